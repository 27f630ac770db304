"""Pictures of where memory went: PNG charts (matplotlib, Agg) and compact terminal bars.

Each chart function returns the data it plots alongside the PNG, so tests (and the JSON output)
can check the figures instead of pixels. Input events may be a ``bot.pipeline.AnalysedEvent``,
a ``grammar.facts.Event`` or the JSON contract of one event (``bot.render.json_out.event_dict``).

Only the object-oriented matplotlib API is used (no pyplot state), so charts can be drawn from
several listener threads at once.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from bot.render.json_out import plain

DPI = 100
EVENT_SIZE_IN = (9.0, 5.0)  # 900 x 500 px
SUMMARY_SIZE_IN = (9.0, 3.6)  # 900 x 360 px
DEFAULT_PAGE_KB = 4

# Colours per memory part and per cause (stable across charts, readable in dark and light Slack).
PART_COLOURS = {
    "anon": "#d62728", "shmem/tmpfs": "#ff7f0e", "page cache": "#1f77b4", "unevictable": "#9467bd",
    "slab (reclaimable)": "#8c564b", "slab (unreclaimable)": "#e377c2", "page tables": "#bcbd22",
    "kernel stacks": "#7f7f7f", "huge pages": "#17becf", "kernel": "#e377c2", "sock": "#8c564b",
    "free": "#2ca02c", "other / unaccounted": "#c7c7c7", "unused limit": "#2ca02c",
}


@dataclass(frozen=True)
class MemoryBreakdown:
    scope: str  # "machine" or "memcg <path>"
    total_kb: int | None  # RAM, or the cgroup limit
    parts: tuple[tuple[str, int], ...]  # (label, kB), in plotting order


@dataclass(frozen=True)
class ZoneLevels:
    name: str  # "Node 0 Normal"
    free_kb: int
    min_kb: int
    low_kb: int | None
    high_kb: int | None

    @property
    def below(self) -> str | None:
        """The lowest watermark free memory is under ("min", "low", "high") or None."""
        for mark in ("min", "low", "high"):
            level = getattr(self, f"{mark}_kb")
            if level is not None and self.free_kb < level:
                return mark
        return None


@dataclass(frozen=True)
class Chart:
    png: bytes
    width: int
    height: int
    data: dict[str, Any]


# -- reading the event ------------------------------------------------------------------------

def _details(event: Any) -> dict[str, Any]:
    """The parsed facts of ``event`` as plain dicts, whichever form it comes in."""
    if isinstance(event, Mapping):
        return dict(event.get("details") or event)
    inner = getattr(event, "event", event)  # AnalysedEvent -> Event
    # Only what the charts read: converting the whole event (a task table of 20,000 rows, every
    # line) on each rendering was the most expensive part of drawing the terminal bars.
    return {name: plain(getattr(inner, name)) for name in _CHART_FACTS}


_CHART_FACTS = ("kind", "memcg", "meminfo", "page_totals", "hugepages", "nodes", "zones")


def memory_breakdown(event: Any, page_kb: int | None = None) -> MemoryBreakdown | None:
    """Where memory went: the memory cgroup's charges for a memcg OOM, else the machine's Mem-Info."""
    details = _details(event)
    page_kb = page_kb or DEFAULT_PAGE_KB
    memcg = details.get("memcg") or {}
    if details.get("kind") == "memcg-oom" and memcg.get("stats"):
        found = _memcg_breakdown(memcg, page_kb)
        if found is not None:
            return found
    meminfo = details.get("meminfo") or {}
    if not meminfo:
        return None

    def pages(*keys: str) -> int:
        return sum(int(meminfo.get(k) or 0) for k in keys) * page_kb

    shmem = pages("shmem")
    kernel_stack = sum(int((z.get("values") or {}).get("kernel_stack") or 0) for z in details.get("zones") or ())
    if not kernel_stack:
        kernel_stack = sum(int((n.get("values") or {}).get("kernel_stack") or 0) for n in details.get("nodes") or ())
    huge = sum(int(h.get("total") or 0) * int(h.get("size_kb") or 0) for h in details.get("hugepages") or ())
    parts = [
        ("anon", max(pages("active_anon", "inactive_anon", "isolated_anon") - shmem, 0)),
        ("shmem/tmpfs", shmem),
        ("page cache", pages("active_file", "inactive_file", "isolated_file")),
        ("unevictable", pages("unevictable")),
        ("slab (reclaimable)", pages("slab_reclaimable")),
        ("slab (unreclaimable)", pages("slab_unreclaimable")),
        ("page tables", pages("pagetables", "sec_pagetables")),
        ("kernel stacks", kernel_stack),
        ("huge pages", huge),
        ("free", pages("free")),
    ]
    ram_pages = (details.get("page_totals") or {}).get("RAM")
    total = int(ram_pages) * page_kb if ram_pages else None
    if total:
        rest = total - sum(kb for _label, kb in parts)
        if rest > 0:
            parts.append(("other / unaccounted", rest))
    return MemoryBreakdown("machine", total, tuple((label, kb) for label, kb in parts if kb > 0))


def _memcg_breakdown(memcg: Mapping[str, Any], page_kb: int) -> MemoryBreakdown | None:
    stats = memcg.get("stats") or {}
    units = (memcg.get("stats_units") or "bytes").lower()

    def kb(key: str) -> int:
        value = int(stats.get(key) or 0)
        if units == "bytes":
            return value // 1024
        if units == "pages":
            return value * page_kb
        return value

    if "anon" in stats:  # cgroup v2 names (also printed by v1 on recent kernels)
        kernel = kb("kernel") or sum(kb(k) for k in ("kernel_stack", "pagetables", "percpu", "slab", "vmalloc"))
        parts = [("anon", kb("anon")), ("shmem/tmpfs", kb("shmem")), ("page cache", max(kb("file") - kb("shmem"), 0)),
                 ("kernel", kernel), ("sock", kb("sock"))]
    elif "rss" in stats:  # cgroup v1: rss, cache (includes shmem)
        parts = [("anon", kb("rss")), ("shmem/tmpfs", kb("shmem")), ("page cache", max(kb("cache") - kb("shmem"), 0))]
    else:
        return None
    limit = None
    for counter in memcg.get("counters") or ():
        if counter.get("resource") == "memory":
            limit = counter.get("limit_kb")
    if limit:
        rest = limit - sum(value for _label, value in parts)
        if rest > 0:
            parts.append(("unused limit", rest))
    path = memcg.get("path") or memcg.get("stats_path") or "?"
    return MemoryBreakdown(f"memcg {path}", limit, tuple((label, value) for label, value in parts if value > 0))


def zone_levels(event: Any) -> list[ZoneLevels]:
    """Each zone's free memory and its min/low/high watermarks (kB), as the zone report shows them."""
    levels = []
    for zone in _details(event).get("zones") or ():
        if zone.get("free_kb") is None or zone.get("min_kb") is None:
            continue
        name = zone.get("name") or "?"
        if zone.get("node") is not None:
            name = f"Node {zone['node']} {name}"
        levels.append(ZoneLevels(name, int(zone["free_kb"]), int(zone["min_kb"]), zone.get("low_kb"),
                                 zone.get("high_kb")))
    return levels


# -- PNGs ---------------------------------------------------------------------------------------

def _figure(size: tuple[float, float]) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> Chart:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    width, height = (int(round(v * DPI)) for v in figure.get_size_inches())
    return Chart(buffer.getvalue(), width, height, {})


def _mib(kb: float) -> float:
    return kb / 1024


def _event_chart(event: Any, *, page_kb: int | None = None, title: str | None = None) -> Chart | None:
    """Where memory went (one stacked bar) and each zone's free memory against its watermarks.
    None when the event shows neither (a kill line alone)."""
    breakdown = memory_breakdown(event, page_kb)
    zones = zone_levels(event)
    if breakdown is None and not zones:
        return None
    rows = 2 if breakdown is not None and zones else 1
    if rows == 2:
        size = EVENT_SIZE_IN
    elif breakdown is not None:
        size = (EVENT_SIZE_IN[0], 2.8)
    else:
        size = (EVENT_SIZE_IN[0], 1.6 + 0.45 * len(zones))
    figure = _figure(size)
    axes = figure.subplots(rows, 1, gridspec_kw={"height_ratios": [1, 1.4]} if rows == 2 else None)
    axes = list(axes) if rows == 2 else [axes]
    if title:
        figure.suptitle(title, fontsize=11)
    if breakdown is not None:
        ax = axes.pop(0)
        left = 0.0
        for label, kb in breakdown.parts:
            ax.barh([0], [_mib(kb)], left=left, color=PART_COLOURS.get(label, "#999999"), label=f"{label} {_size(kb)}",
                    edgecolor="white", linewidth=0.5)
            left += _mib(kb)
        ax.set_yticks([])
        total = f" of {_size(breakdown.total_kb)}" if breakdown.total_kb else ""
        ax.set_title(f"Where memory went ({breakdown.scope}{total})", fontsize=10, loc="left")
        ax.set_xlabel("MiB")
        ax.set_xlim(0, max(left, 1) * 1.0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), ncol=4, fontsize=7, frameon=False)
    if zones:
        ax = axes.pop(0)
        names = [z.name for z in zones]
        positions = list(range(len(zones)))
        colours = ["#d62728" if z.below == "min" else "#ff7f0e" if z.below else "#2ca02c" for z in zones]
        ax.barh(positions, [_mib(z.free_kb) for z in zones], color=colours, height=0.5, label="free")
        for mark, style in (("min", "#000000"), ("low", "#555555"), ("high", "#999999")):
            xs = [_mib(getattr(z, f"{mark}_kb")) for z in zones if getattr(z, f"{mark}_kb") is not None]
            ys = [p for p, z in zip(positions, zones) if getattr(z, f"{mark}_kb") is not None]
            ax.scatter(xs, ys, marker="|", s=400, color=style, label=mark, zorder=3)
        ax.set_yticks(positions, names, fontsize=8)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("MiB (log scale)")
        top = max(max(_mib(z.free_kb), _mib(z.high_kb or z.low_kb or z.min_kb)) for z in zones)
        ax.set_xlim(0, top * 1.5)
        ax.set_title("Free memory per zone against its watermarks (red: below min, orange: below low)",
                     fontsize=10, loc="left")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    figure.tight_layout()
    chart = _png(figure)
    return Chart(chart.png, chart.width, chart.height, {
        "memory": None if breakdown is None else {"scope": breakdown.scope, "total_kb": breakdown.total_kb,
                                                  "parts": [list(p) for p in breakdown.parts]},
        "zones": [dataclasses.asdict(z) | {"below": z.below} for z in zones],
    })


def timeline_series(summary: Any) -> dict[str, Any]:
    """Events per time bucket and cause, as plotted by ``summary_chart``."""
    from bot.incidents.build import cause_label

    causes: list[str] = []
    for bucket in summary.timeline:
        for cause in bucket.by_cause:
            if cause not in causes:
                causes.append(cause)
    return {
        "bucket_s": summary.bucket_s,
        "starts": [b.start for b in summary.timeline],
        "series": {cause_label(c): [b.by_cause.get(c, 0) for b in summary.timeline] for c in causes},
    }


def _summary_chart(summary: Any) -> Chart | None:
    """Stacked bars of events per time bucket, coloured by root cause."""
    if not summary.records:
        return None
    from datetime import datetime, timezone

    from matplotlib import dates

    series = timeline_series(summary)
    figure = _figure(SUMMARY_SIZE_IN)
    ax = figure.subplots()
    xs = [datetime.fromtimestamp(s, tz=timezone.utc) for s in series["starts"]]
    width = series["bucket_s"] / 86400 * 0.9
    bottom = [0] * len(xs)
    palette = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf"]
    for index, (cause, counts) in enumerate(series["series"].items()):
        ax.bar(xs, counts, width=width, bottom=bottom, align="edge", label=cause, color=palette[index % len(palette)])
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.xaxis.set_major_formatter(dates.DateFormatter("%m-%d %H:%M" if series["bucket_s"] < 86400 else "%m-%d"))
    ax.set_ylabel("events")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{summary.title} (UTC)", fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="upper left")
    figure.autofmt_xdate()
    figure.tight_layout()
    chart = _png(figure)
    return Chart(chart.png, chart.width, chart.height, series)


# -- terminal ---------------------------------------------------------------------------------

def _size(kb: float | None) -> str:
    from bot.incidents.build import size_text

    return size_text(kb)


def text_bars(event: Any, *, page_kb: int | None = None, width: int = 40) -> str:
    """Compact bars for a terminal: the memory breakdown and each zone against its watermarks."""
    lines: list[str] = []
    breakdown = memory_breakdown(event, page_kb)
    if breakdown is not None and breakdown.parts:
        scale = max(breakdown.total_kb or 0, sum(kb for _l, kb in breakdown.parts)) or 1
        label_width = max(len(label) for label, _kb in breakdown.parts)
        total = f" of {_size(breakdown.total_kb)}" if breakdown.total_kb else ""
        lines.append(f"Where memory went ({breakdown.scope}{total}):")
        for label, kb in breakdown.parts:
            cells = round(kb / scale * width)
            bar = "\u2588" * cells if cells else "\u258f"
            lines.append(f"  {label:<{label_width}} {bar:<{width}} {_size(kb):>9} {kb / scale:6.1%}")
    zones = zone_levels(event)
    if zones:
        if lines:
            lines.append("")
        lines.append("Zones, free against watermarks (| min  : low  . high):")
        name_width = max(len(z.name) for z in zones)
        for zone in zones:
            top = max(zone.free_kb, zone.high_kb or 0, zone.low_kb or 0, zone.min_kb) or 1
            cells = ["\u2588" if (i + 0.5) / width * top <= zone.free_kb else " " for i in range(width)]
            for mark, char in (("high", "."), ("low", ":"), ("min", "|")):
                level = getattr(zone, f"{mark}_kb")
                if level is not None:
                    cells[min(width - 1, int(level / top * width))] = char
            state = f"below {zone.below}" if zone.below else "ok"
            lines.append(f"  {zone.name:<{name_width}} [{''.join(cells)}] free {_size(zone.free_kb)}, "
                         f"min {_size(zone.min_kb)}  {state}")
    return "\n".join(lines)


# matplotlib's text layout (mathtext on pyparsing) is not thread-safe: the Slack app renders
# charts on several worker threads at once, and concurrent renders corrupted each other.
_MATPLOTLIB = threading.Lock()


def event_chart(event: Any, *, page_kb: int | None = None, title: str | None = None) -> Chart | None:
    """Where memory went (one stacked bar) and each zone's free memory against its watermarks.
    None when the event shows neither (a kill line alone)."""
    with _MATPLOTLIB:
        return _event_chart(event, page_kb=page_kb, title=title)


def summary_chart(summary: Any) -> Chart | None:
    """A timeline of the summary's events by cause (None when there is nothing to plot)."""
    with _MATPLOTLIB:
        return _summary_chart(summary)

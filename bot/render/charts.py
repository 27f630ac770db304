"""Pictures of where memory went: PNG charts (matplotlib, Agg) and compact terminal bars.

Each chart function returns the data it plots alongside the PNG, so tests can check the figures
instead of pixels. An event chart plots the event's ``Overview`` (``knowledge.overview``): its one
memory breakdown and its zone states, the same figures every other surface shows.

Only the object-oriented matplotlib API is used (no pyplot state), so charts can be drawn from
several listener threads at once.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from bot.extras import require
from knowledge.overview import Overview
from knowledge.units import size as _size

DPI = 100
EVENT_SIZE_IN = (9.0, 5.0)  # 900 x 500 px
SUMMARY_SIZE_IN = (9.0, 3.6)  # 900 x 360 px

# Colours per memory part and per cause (stable across charts, readable in dark and light Slack).
PART_COLOURS = {
    "anon": "#d62728",
    "shmem": "#ff7f0e",
    "file": "#1f77b4",
    "unevictable": "#9467bd",
    "slab_reclaimable": "#8c564b",
    "slab_unreclaimable": "#e377c2",
    "slab": "#c49c94",
    "pagetables": "#bcbd22",
    "kernel_stack": "#7f7f7f",
    "hugetlb": "#17becf",
    "kernel": "#e377c2",
    "sock": "#8c564b",
    "free": "#2ca02c",
    "reserved": "#aaaaaa",
    "unaccounted": "#c7c7c7",
    "unused_limit": "#2ca02c",
}
STATE_COLOURS = {"below min": "#d62728", "below low": "#ff7f0e", "ok": "#2ca02c", "unknown": "#999999"}


@dataclass(frozen=True)
class Chart:
    png: bytes
    width: int
    height: int
    data: dict[str, Any]


def _overview(event: Any) -> Overview:
    """The overview of an analysed event (``bot.pipeline.AnalysedEvent``) or the overview itself."""
    return event if isinstance(event, Overview) else event.overview


# -- PNGs ---------------------------------------------------------------------------------------


def _figure(size: tuple[float, float]) -> Any:
    require("charts", "matplotlib")  # one line naming the [charts] extra, not a traceback
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> Chart:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    width, height = (round(v * DPI) for v in figure.get_size_inches())
    return Chart(buffer.getvalue(), width, height, {})


def _mib(kb: float) -> float:
    return kb / 1024


def _event_chart(event: Any, *, title: str | None = None) -> Chart | None:
    """Where memory went (one stacked bar) and each zone's free memory against its watermarks.
    None when the event shows neither (a kill line alone)."""
    overview = _overview(event)
    breakdown = overview.memory if overview.memory is not None and overview.memory.parts else None
    # a zone is plotted against its watermarks, so only zones whose report shows them
    zones = [z for z in overview.zones if z.free_kb is not None and z.min_kb is not None]
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
        for part in breakdown.parts:
            ax.barh(
                [0],
                [_mib(part.kb)],
                left=left,
                color=PART_COLOURS.get(part.name, "#999999"),
                label=f"{part.label} {_size(part.kb)}",
                edgecolor="white",
                linewidth=0.5,
            )
            left += _mib(part.kb)
        ax.set_yticks([])
        ax.set_title(f"Where memory went ({breakdown.title})", fontsize=10, loc="left")
        ax.set_xlabel("MiB")
        ax.set_xlim(0, max(left, 1) * 1.0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), ncol=3, fontsize=7, frameon=False)
    if zones:
        ax = axes.pop(0)
        names = [z.label for z in zones]
        positions = list(range(len(zones)))
        ax.barh(
            positions,
            [_mib(z.free_kb or 0) for z in zones],
            color=[STATE_COLOURS[z.state] for z in zones],
            height=0.5,
            label="free",
        )
        # the marks include the lowmem_reserve the request must leave, as the state rule counts it
        for mark, style in (("min", "#000000"), ("low", "#555555"), ("high", "#999999")):
            marked = [
                (p, getattr(z, f"{mark}_kb") + z.reserve_kb)
                for p, z in zip(positions, zones, strict=True)
                if getattr(z, f"{mark}_kb") is not None
            ]
            ax.scatter(
                [_mib(kb) for _p, kb in marked],
                [p for p, _kb in marked],
                marker="|",
                s=400,
                color=style,
                label=f"{mark} (+ reserve)",
                zorder=3,
            )
        ax.set_yticks(positions, names, fontsize=8)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("MiB (log scale)")
        top = max(
            max(_mib(z.free_kb or 0), _mib((z.high_kb or z.low_kb or z.min_kb or 0) + z.reserve_kb)) for z in zones
        )
        ax.set_xlim(0, top * 1.5)
        ax.set_title(
            "Free memory per zone against its watermarks (red: below min, orange: below low)", fontsize=10, loc="left"
        )
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    figure.tight_layout()
    chart = _png(figure)
    return Chart(
        chart.png,
        chart.width,
        chart.height,
        {
            "memory": None
            if breakdown is None
            else {
                "scope": breakdown.scope,
                "title": breakdown.title,
                "total_kb": breakdown.total_kb,
                "parts": [[p.name, p.kb] for p in breakdown.parts],
            },
            "zones": [
                {
                    "label": z.label,
                    "free_kb": z.free_kb,
                    "min_kb": z.min_kb,
                    "low_kb": z.low_kb,
                    "high_kb": z.high_kb,
                    "reserve_kb": z.reserve_kb,
                    "state": z.state,
                }
                for z in zones
            ],
        },
    )


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
    from datetime import datetime

    require("charts", "matplotlib")
    from matplotlib import dates

    series = timeline_series(summary)
    figure = _figure(SUMMARY_SIZE_IN)
    ax = figure.subplots()
    xs = [datetime.fromtimestamp(s, tz=UTC) for s in series["starts"]]
    width = series["bucket_s"] / 86400 * 0.9
    bottom = [0] * len(xs)
    palette = [
        "#d62728",
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    for index, (cause, counts) in enumerate(series["series"].items()):
        ax.bar(xs, counts, width=width, bottom=bottom, align="edge", label=cause, color=palette[index % len(palette)])
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.xaxis.set_major_formatter(dates.DateFormatter("%m-%d %H:%M" if series["bucket_s"] < 86400 else "%m-%d"))
    ax.set_ylabel("events")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"{summary.title} (UTC)", fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="upper left")
    figure.autofmt_xdate()
    figure.tight_layout()
    chart = _png(figure)
    return Chart(chart.png, chart.width, chart.height, series)


# matplotlib's text layout (mathtext on pyparsing) is not thread-safe: the Slack app renders
# charts on several worker threads at once, and concurrent renders corrupted each other.
_MATPLOTLIB = threading.Lock()


def event_chart(event: Any, *, title: str | None = None) -> Chart | None:
    """Where memory went (one stacked bar) and each zone's free memory against its watermarks, from
    the event's overview. None when the event shows neither (a kill line alone)."""
    with _MATPLOTLIB:
        return _event_chart(event, title=title)


def summary_chart(summary: Any) -> Chart | None:
    """A timeline of the summary's events by cause (None when there is nothing to plot)."""
    with _MATPLOTLIB:
        return _summary_chart(summary)

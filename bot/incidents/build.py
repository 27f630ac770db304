"""Aggregate stored events into a channel summary: totals, groups, timeline, patterns, actions.

Pure functions over ``EventRecord``s; the Slack command, the digest and ``oomlens summary`` all
build the same ``Summary`` and only render it differently.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.store import EventRecord
from knowledge.units import size

from .records import parse_cgroup

# Root-cause categories of shared/corpus/FORMAT.md in plain words.
CATEGORY_LABELS = {
    "lowmem_exhaustion": "low memory zone exhausted",
    "memcg_limit": "memory cgroup limit",
    "process_hog": "one process used most memory",
    "ram_exhausted_no_swap": "RAM exhausted, no swap",
    "swap_exhausted": "swap exhausted",
    "shmem_tmpfs": "shared memory / tmpfs",
    "hugetlb_reservation": "huge pages reserved",
    "slab_unreclaimable_leak": "kernel slab growth",
    "fragmentation_high_order": "fragmentation (high-order allocation)",
    "pagetables_kernel_overhead": "page tables / kernel overhead",
    "cpuset_mempolicy_constraint": "cpuset or memory policy",
    "numa_node_exhaustion": "one NUMA node exhausted",
    "dma_zone_exhaustion": "DMA zone exhausted",
    "manual_trigger": "manual trigger (SysRq)",
    "unaccounted_memory": "memory not accounted (driver, balloon, ARC)",
    "cma_reserved": "CMA reservation",
    "mlocked_unevictable": "mlocked / unevictable memory",
    "watermark_misconfig": "watermark settings",
    "dirty_writeback_stall": "dirty writeback stall",
    "oom_score_adj_protection": "oom_score_adj protection",
    "overcommit_misconfig": "overcommit settings",
    "kernel_bug": "kernel bug",
    "unknown": "undetermined",
}
KIND_WORDS = {
    "oom-kill": "OOM kills",
    "memcg-oom": "memory cgroup OOMs",
    "cpuset": "cpuset OOMs",
    "mempolicy": "memory policy OOMs",
    "sysrq-manual": "manual OOM kills",
    "page-allocation-failure": "page allocation failures",
    None: "partial reports",
}


def cause_label(category: str | None) -> str:
    if not category:
        return "undetermined"
    return CATEGORY_LABELS.get(category, category.replace("_", " "))


def duration_text(seconds: float) -> str:
    if seconds < 60:
        return "under a minute"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.0f} h" if hours >= 10 or hours == int(hours) else f"{hours:.1f} h"
    return f"{hours / 24:.0f} days"


def workload_label(record: EventRecord) -> str | None:
    """Pod / container / unit the victim ran in, else its cgroup path (not the root cgroup)."""
    label = parse_cgroup(record.cgroup or record.oom_memcg).label
    if label:
        return label
    path = record.cgroup if record.cgroup not in (None, "/") else record.oom_memcg
    return path if path not in (None, "/") else None


@dataclass(frozen=True)
class Count:
    label: str
    count: int
    first: float
    last: float
    detail: str | None = None


@dataclass(frozen=True)
class Pattern:
    text: str
    count: int
    records: tuple[EventRecord, ...]


@dataclass(frozen=True)
class Action:
    text: str
    covers: int
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Bucket:
    start: float
    by_cause: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_cause.values())


@dataclass
class Summary:
    title: str
    window_start: float | None
    window_end: float | None
    records: list[EventRecord]
    kinds: list[Count] = field(default_factory=list)
    by_cause: list[Count] = field(default_factory=list)
    by_host: list[Count] = field(default_factory=list)
    by_victim: list[Count] = field(default_factory=list)
    by_workload: list[Count] = field(default_factory=list)
    timeline: list[Bucket] = field(default_factory=list)
    bucket_s: int = 3600
    patterns: list[Pattern] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    threads: list[EventRecord] = field(default_factory=list)
    undated: list[EventRecord] = field(default_factory=list)  # in ``records`` too (last), not placed in time

    @property
    def total(self) -> int:
        return len(self.records)

    @property
    def dated(self) -> list[EventRecord]:
        return self.records[: len(self.records) - len(self.undated)]

    @property
    def first(self) -> float | None:
        dated = self.dated
        return dated[0].when if dated else None

    @property
    def last(self) -> float | None:
        dated = self.dated
        return dated[-1].when if dated else None


def _counts(records: Iterable[EventRecord], key: Any, detail: Any = None) -> list[Count]:
    groups: dict[str, list[EventRecord]] = defaultdict(list)
    for record in records:
        label = key(record)
        if label:
            groups[label].append(record)
    out = [
        Count(label, len(rs), rs[0].when, rs[-1].when, detail(rs) if detail else None) for label, rs in groups.items()
    ]
    return sorted(out, key=lambda c: (-c.count, -c.last, c.label))


def _same(values: list[Any]) -> Any:
    return values[0] if values and all(v == values[0] for v in values) and values[0] is not None else None


def placed_in_time(record: EventRecord) -> bool:
    """Whether ``record.when`` is a time of the event: its log's own stamp, or when it was posted
    in Slack. An event read from a file whose lines carry only seconds since boot (or no stamp)
    has neither, and is never dated by when the file happened to be read."""
    return record.event_time is not None or record.source_kind != "file"


def _pattern_text(victim: str, records: list[EventRecord]) -> str:
    count = len(records)
    timed = all(placed_in_time(r) for r in records)
    span = records[-1].when - records[0].when if timed else 0.0
    hosts = list(dict.fromkeys(r.host for r in records if r.host))
    text = f"{victim} killed {count} times"
    if len(hosts) == 1:
        text += f" on {hosts[0]}"
    elif hosts:
        shown = ", ".join(hosts[:4]) + (", ..." if len(hosts) > 4 else "")
        text += f" on {len(hosts)} hosts ({shown})"
    if timed:
        text += f" in {duration_text(span)}" if span >= 60 else " within a minute"
    if timed and count >= 3 and span >= 60:
        gaps = [b.when - a.when for a, b in itertools.pairwise(records)]
        text += f", about every {duration_text(statistics.median(gaps))}"
    workload = _same([workload_label(r) for r in records])
    if workload:
        text += f", {workload}"
    limits = [r.figures.get("memcg_limit_kb") for r in records]
    if _same(limits):
        text += f", memcg limit {size(limits[0])} each time"
    elif all(limits):
        text += f", memcg limit {size(min(limits))} to {size(max(limits))}"
    causes = Counter(r.category for r in records)
    if len(causes) == 1:
        text += f", cause: {cause_label(records[0].category)}"
    else:
        text += ", causes: " + ", ".join(f"{cause_label(c)} x{n}" for c, n in causes.most_common(3))
    return text


def _patterns(records: list[EventRecord]) -> list[Pattern]:
    by_victim: dict[str, list[EventRecord]] = defaultdict(list)
    for record in records:
        key = record.victim_comm or workload_label(record)
        if key:
            by_victim[key].append(record)
    patterns = [
        Pattern(_pattern_text(victim, rs), len(rs), tuple(rs)) for victim, rs in by_victim.items() if len(rs) >= 2
    ]
    return sorted(patterns, key=lambda p: (-p.count, -p.records[-1].when))


def _actions(records: list[EventRecord], limit: int = 3) -> list[Action]:
    covers: Counter[str] = Counter()
    codes: dict[str, list[str]] = defaultdict(list)
    order: dict[str, int] = {}
    for record in records:
        for step in dict.fromkeys(record.remediation):
            covers[step] += 1
            order.setdefault(step, len(order))
            if record.top_code and record.top_code not in codes[step]:
                codes[step].append(record.top_code)
    ranked = sorted(covers, key=lambda s: (-covers[s], order[s]))
    return [Action(step, covers[step], tuple(codes[step])) for step in ranked[:limit]]


def bucket_size(span_s: float) -> int:
    if span_s <= 2 * 86400:
        return 3600
    if span_s <= 16 * 86400:
        return 6 * 3600
    return 86400


def _timeline(records: list[EventRecord], start: float, end: float) -> tuple[list[Bucket], int]:
    size = bucket_size(max(end - start, 0))
    first = int(start // size * size)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for record in records:
        counts[int((record.when - first) // size)][record.category or "unknown"] += 1
    buckets = int((end - first) // size) + 1 if end >= first else 1
    return [Bucket(first + i * size, dict(counts.get(i, {}))) for i in range(min(buckets, 400))], size


def build_summary(
    records: Iterable[EventRecord], *, title: str, since: float | None = None, until: float | None = None
) -> Summary:
    """The summary of ``records`` (any order) between ``since`` and ``until`` (None: their own span).

    Records that cannot be placed in time (``placed_in_time``) are counted and listed last, in
    the order read, whatever the window; they take no place on the timeline."""
    records = list(records)
    undated = [r for r in records if not placed_in_time(r)]
    ordered = sorted((r for r in records if placed_in_time(r)), key=lambda r: (r.when, r.id or 0))
    if since is not None:
        ordered = [r for r in ordered if r.when >= since]
    if until is not None:
        ordered = [r for r in ordered if r.when < until]
    dated = ordered
    ordered = dated + undated
    summary = Summary(title=title, window_start=since, window_end=until, records=ordered, undated=undated)
    if not ordered:
        return summary
    summary.kinds = _counts(ordered, lambda r: KIND_WORDS.get(r.kind, r.kind or "partial reports"))
    summary.by_cause = _counts(
        ordered,
        lambda r: cause_label(r.category),
        lambda rs: ", ".join(sorted({r.top_code for r in rs if r.top_code})) or None,
    )
    summary.by_host = _counts(ordered, lambda r: r.host)
    summary.by_victim = _counts(ordered, lambda r: r.victim_comm)
    summary.by_workload = _counts(ordered, workload_label)
    if dated:
        start = since if since is not None else dated[0].when
        end = min(until, max(dated[-1].when, start)) if until is not None else dated[-1].when
        summary.timeline, summary.bucket_s = _timeline(dated, start, end)
    summary.patterns = _patterns(ordered)
    summary.actions = _actions(ordered)
    threads: dict[tuple[str | None, str | None], EventRecord] = {}
    for record in ordered:
        if record.message_ts:
            threads[(record.channel, record.thread_ts or record.message_ts)] = record
    summary.threads = sorted(threads.values(), key=lambda r: -r.when)
    return summary

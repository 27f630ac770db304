"""The one view of an event that every surface reads: built once per event by the pipeline.

Terminal text, markdown, JSON, Slack Block Kit, charts and incident records all read an
:class:`Overview`; none of them derives a fact again. Each fact here comes from one place:

- the cause: the top *root-cause* finding of the diagnosis, never a contributing or context
  finding (a "killed again and again" finding is context; it is never called the cause);
- zone states: :class:`knowledge.analysis.ZoneView`'s watermark rule (lowmem_reserve included);
- the memory breakdown: ``Analysis.breakdown`` for the machine, the memory cgroup's memory.stat
  against its limit for a memcg OOM;
- top processes: ``Analysis.tasks`` (what oom_badness() weighs: RSS + swap + page tables);
- what is missing: the parser's ``missing`` parts with their descriptions (what to paste next).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from grammar.facts import Dump, Event, SourceLine
from grammar.parse import MISSING

from . import catalogue
from .analysis import Analysis, ZoneView
from .confidence import doubt
from .diagnose import Diagnosis, NotEvaluated
from .directinit import direct_init
from .model import Finding
from .units import size

KIND_LABELS = {
    "oom-kill": "OOM kill",
    "memcg-oom": "memory cgroup OOM",
    "cpuset": "cpuset-constrained OOM",
    "mempolicy": "mempolicy-constrained OOM",
    "sysrq-manual": "manual OOM (SysRq-f)",
    "page-allocation-failure": "page allocation failure",
}
# 4.9-4.14's `page allocation stalls for Nms` (Event.stall_ms): warn_alloc()'s report, so of kind
# page-allocation-failure, told apart because nothing failed
STALL_LABEL = "page allocation stall"
FRAGMENT_LABEL = "memory report fragment"
TOP_PROCESSES = 8
# What a fragment is told to paste when the parser's list of missing parts is empty but the
# report still held too little to diagnose (e.g. only a call trace).
WHOLE_REPORT = "the whole report: from the line with 'invoked oom-killer' to the 'Killed process' line"
# What the doubt tells to paste when the answer lists the missing parts itself
LISTED_BELOW = "the parts listed under 'To check more' below"
# The span of the kernel's report that holds every part, per kind of event.
PASTE_SPAN = {
    "page-allocation-failure": "paste from 'page allocation failure' to the end of the Mem-Info block",
    STALL_LABEL: "paste from 'page allocation stalls' to the end of the Mem-Info block printed after it",
    None: "paste from 'invoked oom-killer' to 'Killed process'",
}


@direct_init
@dataclass(frozen=True)
class Victim:
    """The process the OOM killer killed (or chose), and what it held."""

    name: str | None
    pid: int | None
    held_kb: int | None  # anon + file + shmem RSS of the Killed process line, else its task row
    anon_rss_kb: int | None
    file_rss_kb: int | None
    shmem_rss_kb: int | None
    total_vm_kb: int | None
    lines: tuple[SourceLine, ...] = ()

    @property
    def text(self) -> str:
        name = self.name or "?"
        return f"{name} (pid {self.pid})" if self.pid is not None else name


@direct_init
@dataclass(frozen=True)
class Request:
    """The allocation that failed: who asked, the gfp mask decoded, and the order."""

    task: str | None
    pid: int | None
    mask: str | None
    symbolic: str | None  # the kernel's own decoding, else ours
    order: int | None
    order_kb: int | None  # size of one block of that order (page size << order)
    decoded: bool
    highest_zone: str | None
    may_reclaim: bool | None
    may_invoke_oom_killer: bool | None
    atomic: bool | None
    flags: tuple[str, ...] = ()


@direct_init
@dataclass(frozen=True)
class ZoneState:
    """A zone against its watermarks; ``state`` is the analysis's one rule (reserve included)."""

    label: str  # "Normal", "Node 1 Normal"
    free_kb: int | None
    min_kb: int | None
    low_kb: int | None
    high_kb: int | None
    reserve_kb: int
    usable: bool | None  # may the failed request take pages from it (None: gfp unknown)
    state: str  # "below min", "below low", "ok" or "unknown"
    largest_block_kb: int | None


@direct_init
@dataclass(frozen=True)
class MemoryPart:
    name: str  # stable key: anon, file, shmem, slab_reclaimable, ..., unaccounted / unused_limit
    label: str
    kb: int
    share: float | None  # of ``MemoryBreakdown.total_kb``


@direct_init
@dataclass(frozen=True)
class MemoryBreakdown:
    """Where memory went, once: the machine's RAM, or a memory cgroup's charges against its limit."""

    scope: str  # "machine" or "memcg"
    title: str  # "machine, 33 GiB of RAM" / "memory cgroup /foo, limit 512 MiB"
    total_kb: int | None
    parts: tuple[MemoryPart, ...]  # largest first, empty parts left out
    cgroup: str | None = None


@direct_init
@dataclass(frozen=True)
class ProcessRow:
    pid: int
    name: str
    rss_kb: int
    swap_kb: int
    pgtables_kb: int
    badness_kb: int  # what oom_badness() weighs: RSS + swap + page tables
    oom_score_adj: int | None
    killed: bool


@dataclass(frozen=True)
class Missing:
    part: str
    description: str


@direct_init
@dataclass(frozen=True)
class Overview:
    """Everything a surface says about one event."""

    number: int  # 1-based position in the paste
    first_line: int
    last_line: int
    kind: str | None
    kind_label: str
    headline: str  # cause first: "Lowmem exhaustion on a 32-bit kernel: clamd killed"
    headline_parts: tuple[str, str | None, str]  # (before, process name, after): surfaces set the name as code
    cause: Finding | None  # the top root-cause finding, or None
    findings: tuple[Finding, ...]  # every finding, ranked (cause first when there is one)
    victim: Victim | None
    request: Request | None
    zones: tuple[ZoneState, ...]
    memory: MemoryBreakdown | None
    processes: tuple[ProcessRow, ...]  # top TOP_PROCESSES, ranked by badness
    process_count: int
    missing: tuple[Missing, ...]
    not_evaluated: tuple[NotEvaluated, ...]
    kernel: str | None
    arch: str | None
    ram_kb: int | None
    swap_total_kb: int | None
    swap_free_kb: int | None
    environment: str | None
    constraint: str | None
    unparsed: int

    @property
    def others(self) -> tuple[Finding, ...]:
        """Findings other than the cause (contributing factors and context)."""
        return tuple(f for f in self.findings if f is not self.cause)

    @property
    def is_fragment(self) -> bool:
        """Too little of the report to name a cause: say what to paste, not finding codes."""
        return self.cause is None and bool(self.missing)

    @property
    def paste_hint(self) -> str | None:
        """What to paste to see every part of the report, when some are missing."""
        if not self.missing:
            return None
        if self.kind_label == STALL_LABEL:
            return PASTE_SPAN[STALL_LABEL]
        return PASTE_SPAN.get(self.kind, PASTE_SPAN[None])

    @property
    def doubt(self) -> str | None:
        """Below 60 % confidence: what the paste cannot tell and which lines to paste next."""
        if self.is_fragment:
            return None  # the fragment wording already says so
        # with parts missing the answer lists them ("this paste lacks"): point there, not again
        paste = LISTED_BELOW if self.missing else None
        return doubt(self.findings, tuple(m.part for m in self.missing), paste)

    @property
    def todo(self) -> tuple[str, ...]:
        """What to do, first step first: the cause's remediation, else what to paste next."""
        if self.cause is not None:
            return self.cause.remediation
        if self.missing:
            # what to paste first; then what the undetermined placeholder (OOM900) can already say
            # from the paste - a known workload's own memory setting - not its request to paste
            acting = tuple(
                step
                for f in self.findings
                if f.name == "diagnosis.undetermined"
                for step in f.remediation
                if not step.startswith("Paste ")
            )
            return (
                f"{_sentence(self.paste_hint or '')}: this paste lacks "
                + "; ".join(m.description for m in self.missing)
                + ".",
            ) + acting
        return (f"Paste {WHOLE_REPORT}.",)

    @property
    def group_key(self) -> tuple[str | None, str | None, str | None]:
        """Events with the same key are the same story told again: the same cause (whichever task
        happened to allocate or be killed), or without a cause the same kind and process."""
        if self.cause is not None:
            return (self.cause.code, self.kind, None)
        return (None, self.kind, self.subject)

    @property
    def subject(self) -> str | None:
        """The process the story is about: the one killed, else the one whose allocation failed."""
        if self.victim is not None and self.victim.name:
            return self.victim.name
        return self.request.task if self.request is not None else None

    @property
    def swap_text(self) -> str | None:
        if self.swap_total_kb is None:
            return None
        if not self.swap_total_kb:
            return "none"
        return f"{size(self.swap_free_kb)} free of {size(self.swap_total_kb)}"


def _sentence(text: str) -> str:
    """``text`` opening a sentence: its first letter upper case, the rest as written ("OOM kill",
    "'Killed process'" keep their case)."""
    return text[:1].upper() + text[1:]


def zone_state(zone: ZoneView) -> str:
    """The state of a zone as the analysis's watermark rule sees it (lowmem_reserve included)."""
    if zone.below_min:
        return "below min"
    if zone.below_low:
        return "below low"
    if zone.below_min is False and zone.below_low is False:
        return "ok"
    return "unknown"


@cache
def _headlines() -> dict[str, str]:
    return {record.code: record.headline or record.title for record in catalogue.load()}


def kind_label(event: Event) -> str:
    if event.stall_ms is not None:
        return STALL_LABEL
    return KIND_LABELS.get(event.kind or "", FRAGMENT_LABEL) if event.kind else FRAGMENT_LABEL


def _victim(analysis: Analysis) -> Victim | None:
    event = analysis.event
    kill = event.kill
    if kill is not None and (kill.comm or kill.pid is not None):
        return Victim(
            kill.comm,
            kill.pid,
            analysis.victim_kb,
            kill.anon_rss_kb,
            kill.file_rss_kb,
            kill.shmem_rss_kb,
            kill.total_vm_kb,
            analysis.victim_lines,
        )
    summary = event.oom_summary
    if summary is not None and summary.task:
        return Victim(summary.task, summary.pid, analysis.victim_kb, None, None, None, None, analysis.victim_lines)
    return None


def _request(analysis: Analysis) -> Request | None:
    event, gfp = analysis.event, analysis.gfp
    trigger = event.trigger
    if trigger is None and event.alloc_failure_mode is None:
        return None
    order = trigger.order if trigger else None
    return Request(
        task=trigger.comm if trigger else None,
        pid=trigger.pid if trigger else None,
        mask=(trigger.gfp_mask if trigger else None) or event.alloc_failure_mode,
        symbolic=(trigger.gfp_symbolic if trigger else None) or getattr(gfp, "symbolic", None),
        order=order,
        order_kb=None if order is None else analysis.page_kb << max(0, order),
        decoded=gfp is not None,
        highest_zone=getattr(gfp, "highest_zone", None),
        may_reclaim=getattr(gfp, "may_reclaim", None),
        may_invoke_oom_killer=getattr(gfp, "may_invoke_oom_killer", None),
        atomic=getattr(gfp, "is_atomic", None),
        flags=tuple(getattr(gfp, "flag_names", None) or ()),
    )


def _parts(figures: list[tuple[str, str, int]], total_kb: int | None) -> tuple[MemoryPart, ...]:
    parts = [
        MemoryPart(name, label, kb, (kb / total_kb) if total_kb else None) for name, label, kb in figures if kb > 0
    ]
    return tuple(sorted(parts, key=lambda part: -part.kb))


def _memcg_memory(analysis: Analysis) -> MemoryBreakdown | None:
    """A memory cgroup's charges (memory.stat) against its limit."""
    memcg = analysis.event.memcg
    if memcg is None or not memcg.stats:
        return None
    stat = analysis.memcg_stat_kb
    stats = memcg.stats
    if "anon" in stats:  # cgroup v2 names (also printed by v1 on recent kernels)
        kernel = stat("kernel")
        if kernel is None:
            kernel = sum(stat(k) or 0 for k in ("kernel_stack", "pagetables", "percpu", "slab", "vmalloc"))
        shmem = stat("shmem") or 0
        figures = [
            ("anon", "anonymous", stat("anon") or 0),
            ("shmem", "shmem/tmpfs", shmem),
            ("file", "page cache", max((stat("file") or 0) - shmem, 0)),
            ("kernel", "kernel", kernel),
            ("sock", "socket buffers", stat("sock") or 0),
        ]
    elif "rss" in stats:  # cgroup v1: rss, cache (cache includes shmem)
        shmem = stat("shmem") or 0
        figures = [
            ("anon", "anonymous", stat("rss") or 0),
            ("shmem", "shmem/tmpfs", shmem),
            ("file", "page cache", max((stat("cache") or 0) - shmem, 0)),
        ]
    else:
        return None
    usage = analysis.memcg_usage
    limit = usage[1] if usage else None
    if limit:
        rest = limit - sum(kb for _name, _label, kb in figures)
        if rest > 0:
            figures.append(("unused_limit", "unused limit", rest))
    path = memcg.path or memcg.stats_path
    title = f"memory cgroup {path or '?'}" + (f", limit {size(limit)}" if limit else "")
    return MemoryBreakdown("memcg", title, limit, _parts(figures, limit), path)


def _memory(analysis: Analysis) -> MemoryBreakdown | None:
    if analysis.is_memcg:
        memcg = _memcg_memory(analysis)
        if memcg is not None:
            return memcg
    figures = analysis.breakdown
    if not figures:
        return None
    total = analysis.ram_kb
    title = "machine" + (f", {size(total)} of RAM" if total else "")
    return MemoryBreakdown("machine", title, total, _parts([(f.name, f.label, f.kb) for f in figures], total))


def _processes(analysis: Analysis) -> tuple[ProcessRow, ...]:
    victim_pid = analysis.event.kill.pid if analysis.event.kill else None
    rows = []
    for task in analysis.tasks[:TOP_PROCESSES]:
        pid, name, rss_kb, swap_kb, pgtables_kb, badness_kb, adj = task.figures()
        rows.append(ProcessRow(pid, name, rss_kb, swap_kb, pgtables_kb, badness_kb, adj, victim_pid == pid))
    return tuple(rows)


def headline_text(
    cause: Finding | None, kind: str, victim: Victim | None, request: Request | None, has_findings: bool, fragment: bool
) -> tuple[str, str | None, str]:
    """Cause first, then what happened: "Lowmem exhaustion on a 32-bit kernel: clamd killed", as
    (text before the process name, the name, text after it)."""
    name: str | None = None
    if victim is not None and victim.name:
        name, before, after = victim.name, "", " killed"
    elif victim is not None:
        before, after = f"pid {victim.pid} killed", ""
    elif request is not None and request.task and kind == KIND_LABELS["page-allocation-failure"]:
        order = f"order-{request.order} " if request.order is not None else ""
        name, before, after = request.task, f"{order}allocation by ", " failed"
    elif request is not None and request.task and kind == STALL_LABEL:
        order = f"order-{request.order} " if request.order is not None else ""
        name, before, after = request.task, f"{order}allocation by ", " stalled (not failed)"
    elif request is not None and request.task:
        name, before, after = request.task, "", " invoked the OOM killer"
    else:
        before = after = ""
    if cause is not None:
        lead = _headlines().get(cause.code, cause.title)
    elif fragment:
        lead = f"{_sentence(kind)}, too little of the report to name a cause"
    elif has_findings:
        lead = f"{_sentence(kind)}, no root cause established"
    else:
        lead = f"{_sentence(kind)}, cause not established"
    if name is None and not before:
        return lead, None, ""
    return f"{lead}: {before}", name, after


def build_overview(diagnosis: Diagnosis, dump: Dump) -> Overview:
    """The view of ``diagnosis``'s event that every surface renders."""
    analysis = diagnosis.analysis
    event = analysis.event
    findings = diagnosis.findings
    cause = next((f for f in findings if f.role == "root-cause"), None)
    victim = _victim(analysis)
    request = _request(analysis)
    missing = tuple(Missing(part, MISSING.get(part, part)) for part in event.missing)
    label = kind_label(event)
    ordered = ((cause,) + tuple(f for f in findings if f is not cause)) if cause else findings
    env = analysis.environment
    parts = headline_text(cause, label, victim, request, bool(findings), cause is None and bool(missing))
    return Overview(
        number=event.index + 1,
        first_line=event.first_line,
        last_line=event.last_line,
        kind=event.kind,
        kind_label=label,
        headline=f"{parts[0]}{parts[1] or ''}{parts[2]}",
        headline_parts=parts,
        cause=cause,
        findings=ordered,
        victim=victim,
        request=request,
        zones=tuple(
            ZoneState(
                z.label,
                z.free_kb,
                z.min_kb,
                z.low_kb,
                z.high_kb,
                z.reserve_kb,
                z.usable,
                zone_state(z),
                z.largest_block_kb,
            )
            for z in analysis.zones
        ),
        memory=_memory(analysis),
        processes=_processes(analysis),
        process_count=len(analysis.tasks),
        missing=missing,
        not_evaluated=diagnosis.not_evaluated,
        kernel=analysis.kernel,
        arch=dump.arch,
        ram_kb=analysis.ram_kb,
        swap_total_kb=analysis.swap_total_kb,
        swap_free_kb=analysis.swap_free_kb,
        environment=env.label if env.kind != "unknown" else None,
        constraint=analysis.constraint,
        unparsed=len(event.unparsed),
    )


def group_title(group: list[Overview] | tuple[Overview, ...]) -> str:
    """ "5 events, same cause (OOM201, a.out)" for a group of repeats."""
    first = group[0]
    code = first.cause.code if first.cause else "no root cause"
    subjects = list(dict.fromkeys(o.subject for o in group if o.subject))
    who = ", ".join(subjects[:3]) + (", …" if len(subjects) > 3 else "") if subjects else first.kind_label
    return f"{len(group)} events, same cause ({code}, {who})"


def group_overviews(overviews: list[Overview] | tuple[Overview, ...]) -> list[list[Overview]]:
    """Events told again: same cause, kind and victim name, grouped in order of first appearance."""
    groups: dict[Any, list[Overview]] = {}
    for overview in overviews:
        groups.setdefault(overview.group_key, []).append(overview)
    return list(groups.values())

"""Known OOM-related kernel defects (knowledge/kernel_fixes.yaml) matched against one event.

Data, not code: each record says which call-trace function, event kind, order and kernel series
it concerns and which fix removes it. ``matches`` is what findings (and helper k9's kernel_bug
finding) call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from grammar import regexcache

from .yamlload import load_yaml

PATH = Path(__file__).with_name("kernel_fixes.yaml")


@dataclass(frozen=True)
class KernelFix:
    id: str
    title: str
    trace: re.Pattern[str] | None
    kinds: tuple[str, ...]
    orders: tuple[int, int] | None
    kernels: tuple[tuple[int, ...], tuple[int, ...]] | None
    fix: str
    fixed_in: str | None
    workaround: str | None
    source: str
    gfp_zone: str | None = None  # the request's highest zone must be this one (e.g. "DMA": a GFP_DMA request)
    zone_empty: str | None = None  # that zone must hold no managed pages where the paste prints it
    log: re.Pattern[str] | None = None  # a kernel message among the event's lines that names the defect
    arch: re.Pattern[str] | None = None  # the architecture the defect concerns (checked when the paste names one)
    highmem: bool = False  # the defect needs a kernel that splits RAM into lowmem and HighMem (the paste shows it)
    module: re.Pattern[str] | None = None  # a module the paste must name (a `[mod]` frame, the module list)
    unfixed: bool = False  # no upstream fix is known (as of the source cited): the steps say so instead of "upgrade"
    # the defect is a warning only: the failed request is one the caller retries or falls back
    # from, and the fix makes it silent (__GFP_NOWARN); the event is harmless (OOM502), not a fault
    harmless: bool = False
    # the share of a memory cgroup's usage that its memory.stat shows dirty (page cache not yet
    # written), with almost nothing under writeback: the shape of a memcg OOM whose reclaim never
    # started writeback (a cgroup v1 memcg OOM with memory.stat printed)
    memcg_dirty: float | None = None
    # the memcg_dirty shape on either hierarchy (the defect is not one of cgroup v1 alone)
    memcg_dirty_v2: bool = False
    # the least share of the free memory (of the zones the request may use) that is free CMA,
    # for a request that may not use CMA (not movable): a defect that left CMA free while
    # movable allocations took the rest
    cma_free: float | None = None
    # the least share of the free memory (buddy lists of the zones the request may use) that sits
    # in blocks listed as highatomic only ('(H)'): a defect that kept the highatomic reserve
    # instead of giving it back before the OOM kill
    highatomic_free: float | None = None
    # the zones the request may use fail the order-0 watermark check only because the whole
    # highatomic reserve is taken off their free memory, while their buddy lists show no free page
    # in a highatomic block: a defect that counted an empty reserve as unusable free memory
    highatomic_empty: bool = False
    # the dump's kernel release string (`uname -r`) must match: a distribution kernel's own
    # regression, named by its package version (e.g. '^4\\.15\\.0-5[6-9]-'); a paste that names no
    # release is treated as for ``kernels`` (a possible match only with ``unversioned``)
    release: re.Pattern[str] | None = None
    # the first release of a stable series that carries the fix, per series: (major, minor) ->
    # point release. A kernel.org release at or after it in that series is fixed (a distribution
    # kernel printing x.y.0 does not show its stable level and is not excluded)
    stable: tuple[tuple[tuple[int, int], int], ...] = ()
    # functions that must ALL be in the call trace (each regex one frame): for a defect whose
    # signature is a path (a generic allocator under one caller) rather than one function
    trace_all: tuple[re.Pattern[str], ...] = ()
    # a slab cache of the unreclaimable-slab table (4.15+) that must hold at least ``slab_share``
    # of the table's total: a kernel-memory leak into a named cache
    slab: re.Pattern[str] | None = None
    slab_share: float = 0.5
    # the defect is an out-of-tree module's (OpenZFS, a vendor client): its fix comes with the
    # module's own release, not with a kernel update, and the steps say so
    out_of_tree: bool = False
    # the defect shows as a watchdog report told with the event (grammar.facts.Watchdog kinds:
    # soft-lockup, hard-lockup, rcu-stall, hung-task): ``trace`` and ``trace_all`` are then matched
    # against the call traces of those reports, not against the memory report's own trace
    watchdog: tuple[str, ...] = ()
    # the kind of machine the defect concerns, which the report itself does not print (a kdump
    # capture kernel): a line of the paste - the report's, the kernel lines and command output
    # around it, or the person's words - must say it. It ties the record as a kernel message does
    # (``situated``), and the record applies to no other paste
    situation: re.Pattern[str] | None = None


def in_series(version: tuple[int, ...], window: tuple[tuple[int, ...], tuple[int, ...]]) -> bool:
    """Whether a kernel release lies in a window of series, inclusive. Each bound is compared at its
    own depth: a 2.x bound keeps three numbers ("2.6.31"), a later one two ("4.3"), so 4.3.0 is
    within ["2.6.31", "4.3"] and 3.1.10 within ["2.6.36", "3.1"]."""
    first, last = window
    return first <= version[: len(first)] and version[: len(last)] <= last


def printed_within(
    printed: tuple[tuple[int, ...], tuple[int, ...] | None] | None,
    window: tuple[tuple[int, ...], tuple[int, ...]],
) -> bool | None:
    """Whether the series a paste's symbolic mask print dates the kernel to (``Analysis.
    printed_series``: ``(first, before)``) lie inside ``window`` (True), outside it (False), or
    partly in it or undated (None). ``before`` is exclusive, so a print that fits up to 4.14 only
    counts as inside a window ending 4.14 when ``before`` is at most 4.14 itself (conservative)."""
    if printed is None:
        return None
    first, before = printed
    low, high = window
    if before is not None and before <= low[: len(before)]:
        return False
    if first[: len(high)] > high:
        return False
    if before is not None and low <= first[: len(low)] and before[: len(high)] <= high:
        return True
    return None


def stable_fixed(version: tuple[int, ...], stable: tuple[tuple[tuple[int, int], int], ...]) -> bool:
    """Whether the kernel.org release ``version`` is at or after the first release of its stable
    series that carries the fix (``stable``: (major, minor) -> point release). An x.y.0 release (or
    a distribution kernel that prints x.y.0) is never counted as fixed here."""
    if len(version) < 3 or not version[2]:
        return False
    return any(version[:2] == series and version[2] >= point for series, point in stable)


def _series(text: str) -> tuple[int, ...]:
    """ "4.7" -> (4, 7); a 2.x series keeps its third number ("2.6.31" -> (2, 6, 31))."""
    parts = [int(x) for x in str(text).split(".")[:3]]
    return tuple(parts if parts[0] == 2 else parts[:2])


# Situations a record (or a check) may name instead of writing its own regex, each said once here.
# A kdump capture kernel: 'elfcorehdr=' on its command line (kexec passes it to the capture kernel,
# Documentation/admin-guide/kdump/kdump.rst v5.16), or the person's words; 'Kdump: loaded' in a task
# header is the first kernel with a capture kernel loaded, not the capture kernel itself
SITUATIONS = {
    "kdump-kernel": r"(?i)elfcorehdr=|\bkdump[ -](kernel|capture|boot)|\b(crash|capture|dump-capture|kdump) kernel\b",
}


def situation_pattern(name: str) -> re.Pattern[str]:
    """The regex of a named situation (SITUATIONS)."""
    return regexcache.compile(SITUATIONS[name])


def _situation(value: str) -> re.Pattern[str]:
    """A record's ``situation``: the name of one of SITUATIONS, or a regex of its own."""
    return situation_pattern(value) if value in SITUATIONS else regexcache.compile(value)


@lru_cache(maxsize=1)
def load() -> tuple[KernelFix, ...]:
    out = []
    for r in load_yaml(PATH.read_text("utf-8")) or []:
        kernels = r.get("kernels")
        orders = r.get("orders")
        out.append(
            KernelFix(
                id=r["id"],
                title=r["title"],
                trace=regexcache.compile(r["trace"]) if r.get("trace") else None,
                kinds=tuple(r.get("kinds") or ()),
                orders=(int(orders[0]), int(orders[1])) if orders else None,
                kernels=(_series(kernels[0]), _series(kernels[1])) if kernels else None,
                fix=r["fix"],
                fixed_in=r.get("fixed_in"),
                workaround=r.get("workaround"),
                source=r["source"],
                gfp_zone=r.get("gfp_zone"),
                zone_empty=r.get("zone_empty"),
                log=regexcache.compile(r["log"]) if r.get("log") else None,
                arch=regexcache.compile(r["arch"]) if r.get("arch") else None,
                highmem=bool(r.get("highmem")),
                module=regexcache.compile(r["module"]) if r.get("module") else None,
                unfixed=bool(r.get("unfixed")),
                harmless=bool(r.get("harmless")),
                memcg_dirty=float(r["memcg_dirty"]) if r.get("memcg_dirty") is not None else None,
                memcg_dirty_v2=bool(r.get("memcg_dirty_v2")),
                cma_free=float(r["cma_free"]) if r.get("cma_free") is not None else None,
                highatomic_free=float(r["highatomic_free"]) if r.get("highatomic_free") is not None else None,
                highatomic_empty=bool(r.get("highatomic_empty")),
                release=regexcache.compile(r["release"]) if r.get("release") else None,
                stable=tuple(
                    ((int(str(k).split(".")[0]), int(str(k).split(".")[1])), int(v))
                    for k, v in (r.get("stable") or {}).items()
                ),
                trace_all=tuple(regexcache.compile(t) for t in r.get("trace_all") or ()),
                slab=regexcache.compile(r["slab"]) if r.get("slab") else None,
                slab_share=float(r.get("slab_share", 0.5)),
                out_of_tree=bool(r.get("out_of_tree")),
                watchdog=tuple(r.get("watchdog") or ()),
                situation=_situation(r["situation"]) if r.get("situation") else None,
            )
        )
    return tuple(out)


@lru_cache(maxsize=64)
def of_kind(kind: str | None) -> tuple[KernelFix, ...]:
    """The records that may fit an event of ``kind``, in the order of :func:`load`: those naming
    no kinds and those naming this one. ``matches`` asks for every event, and most records name
    one or two kinds, so an event's kind rules out most of the catalogue before anything else is
    read (issue 12: the other conditions read the event's zones and version for each record)."""
    return tuple(fix for fix in load() if not fix.kinds or kind in fix.kinds)


@lru_cache(maxsize=8192)
def _function(frame: str) -> str:
    # a pure function of the frame's text, asked for every frame of a trace several times per event.
    # ppc64 ELFv1 kernels (big-endian ppc64) print the code entry symbol of each function, which
    # carries a leading dot ('.mm_init+0x128/0x1c0'; the plain name is the function descriptor),
    # so the dot is dropped to name the function as other architectures do
    name = frame.split("+")[0].strip().lstrip("?").strip().lstrip(".")
    return re.sub(r"(\.(constprop|isra|part|cold)\.?\d*)+$", "", name)


@lru_cache(maxsize=1)
def _trace_patterns() -> tuple[re.Pattern[str], ...]:
    """The records' ``trace`` patterns, each once."""
    return tuple({id(fix.trace): fix.trace for fix in load() if fix.trace is not None}.values())


@lru_cache(maxsize=8192)
def _traced(function: str) -> frozenset[int]:
    """The ids of the records' ``trace`` patterns that find something in ``function`` (a name
    ``_function`` gives). A pure function of the name, as ``_function`` is: a kernel's traces name
    the same few hundred functions in every event, so each is searched with every pattern once,
    not with each record's pattern for every event that reaches it (issue 12)."""
    return frozenset(id(pattern) for pattern in _trace_patterns() if pattern.search(function))


def _traced_in(frames: set[str]) -> frozenset[int]:
    """The ids of the ``trace`` patterns that find something in one of ``frames``."""
    return frozenset().union(*map(_traced, frames))


def matches(analysis: Any, untraced: bool = False, unversioned: bool = False) -> tuple[KernelFix, ...]:
    """The records that this event fits (kind, order, kernel series, architecture, the module the
    paste must name and, where given, a trace function or a kernel message among the event's lines:
    either one ties the record).

    ``untraced``: when the paste shows no call trace at all, a record tied to a function and to the
    request's zone (``gfp_zone``) is kept on its other conditions, as a *possible* match the caller
    must word as such (the trace that would confirm it is missing, not contradicting).

    ``unversioned``: when the paste names no kernel release, a record tied to a kernel series is
    kept on its other conditions, again as a *possible* match the caller words as "if the kernel
    is X-Y" (the release that would confirm it is missing, not contradicting).
    """
    event = analysis.event
    version = analysis.version
    candidates = _candidates(
        event.kind,
        analysis.order,
        None if version is None else tuple(version),
        getattr(analysis, "kernel", None),
        getattr(analysis, "arch", None),
        unversioned,
    )
    if not candidates:
        return ()
    report_frames = {_function(f) for f in event.call_trace}
    named: set[str] | None = None  # the modules the paste names, read once when a record asks
    report_traced: frozenset[int] | None = None  # _traced_in(report_frames), when a record asks
    found = []
    for fix in candidates:
        frames = report_frames
        traced_ids: frozenset[int] | None = None
        if fix.watchdog:
            frames = watchdog_frames(event, fix.watchdog)
            if not frames:
                continue  # no report of that watchdog (with a trace) is told with the event
            traced_ids = _traced_in(frames) if fix.trace is not None else None
        if fix.gfp_zone is not None and getattr(analysis, "highest_zone", None) != fix.gfp_zone:
            continue
        if fix.zone_empty is not None and any(
            z.name == fix.zone_empty and (z.managed_kb or 0) > 0 for z in getattr(analysis, "zones", ()) or ()
        ):
            continue  # the paste shows the zone populated: a defect of an empty zone does not apply
        if fix.highmem and getattr(analysis, "has_highmem", None) is not True:
            continue  # a lowmem/HighMem defect: the paste must show the split
        if fix.kinds and event.kind not in fix.kinds:
            continue
        if fix.orders is not None and (analysis.order is None or not fix.orders[0] <= analysis.order <= fix.orders[1]):
            continue
        if fix.kernels is not None:
            if analysis.version is None:
                dated = printed_within(getattr(analysis, "printed_series", None), fix.kernels)
                if dated is False:
                    continue  # the kernel's own print of the mask dates it outside the series
                if not dated and not unversioned and not fix.highatomic_empty:
                    # (an empty highatomic reserve counted whole is a signature of the affected
                    # releases' own check: the zone line prints the reserve only where it exists)
                    continue
            elif not in_series(tuple(analysis.version), fix.kernels):
                continue
        if fix.release is not None:
            kernel = getattr(analysis, "kernel", None)
            if not kernel:
                if not unversioned:
                    continue
            elif not fix.release.search(kernel):
                continue
        if (
            fix.stable
            and analysis.version is not None
            and stable_fixed(tuple(analysis.version), fix.stable)
            and not _distribution(getattr(analysis, "kernel", None))
        ):
            continue  # a kernel.org stable release of its series that carries the fix
        if fix.slab is not None and not _slab_holds(analysis, fix.slab, fix.slab_share):
            continue
        if fix.memcg_dirty is not None and not _dirty_memcg(analysis, fix.memcg_dirty, fix.memcg_dirty_v2):
            continue
        if fix.cma_free is not None and not _cma_holds_free(analysis, fix.cma_free):
            continue
        if fix.highatomic_free is not None and not _highatomic_holds_free(analysis, fix.highatomic_free):
            continue
        if fix.highatomic_empty and not _empty_highatomic_counted(analysis):
            continue
        arch = getattr(analysis, "arch", None)
        if fix.arch is not None and arch and not fix.arch.search(arch):
            continue  # the paste names another architecture
        if fix.situation is not None and not situated(analysis, fix.situation):
            continue  # the paste does not say the machine is in the situation the defect needs
        logged = (fix.log is not None and _logged(analysis, fix.log)) or fix.situation is not None
        in_trace = False
        if fix.trace is not None:
            if traced_ids is None:
                if report_traced is None:
                    report_traced = _traced_in(report_frames)
                traced_ids = report_traced
            in_trace = id(fix.trace) in traced_ids
        if fix.trace_all:
            path = all(any(t.search(f) for f in frames) for t in fix.trace_all)
            if not path:
                continue  # the whole path must be in the trace
            in_trace = in_trace or fix.trace is None
        traced = logged or in_trace or (fix.trace is None and fix.log is None and not fix.trace_all)
        if not traced and not (untraced and not frames and fix.gfp_zone is not None):
            continue
        if (
            fix.trace is None
            and fix.kernels is None
            and fix.log is None
            and fix.release is None
            and fix.situation is None
            and not fix.trace_all
        ):
            continue  # a record must be tied to a function, a kernel message, a kernel series or release
        if fix.module is not None:
            if named is None:
                from .clues import modules

                named = set(modules(analysis))
            if not any(fix.module.search(name) for name in named):
                continue  # a driver's defect: the paste must name the driver
        found.append(fix)
    return tuple(found)


@lru_cache(maxsize=1024)
def _candidates(
    kind: str | None,
    order: int | None,
    version: tuple[int, ...] | None,
    kernel: str | None,
    arch: str | None,
    unversioned: bool,
) -> tuple[KernelFix, ...]:
    """The records of ``of_kind(kind)`` that pass those of ``matches``' conditions which read only
    these values of the event (its order, kernel version, release and architecture), in order.
    ``matches`` asks the rest of each one (and these again); events share a few sets of them, so
    a record that one of these rules out is looked at once per set, not for every event (issue 12)."""
    out = []
    for fix in of_kind(kind):
        if fix.kinds and kind not in fix.kinds:
            continue
        if fix.orders is not None and (order is None or not fix.orders[0] <= order <= fix.orders[1]):
            continue
        if fix.kernels is not None and version is not None and not in_series(version, fix.kernels):
            continue
        if fix.release is not None:
            if not kernel:
                if not unversioned:
                    continue
            elif not fix.release.search(kernel):
                continue
        if fix.stable and version is not None and stable_fixed(version, fix.stable) and not _distribution(kernel):
            continue
        if fix.arch is not None and arch and not fix.arch.search(arch):
            continue
        out.append(fix)
    return tuple(out)


def watchdog_frames(event: Any, kinds: tuple[str, ...]) -> set[str]:
    """The function names of the call traces of the event's watchdog reports of ``kinds``."""
    return {_function(f) for w in getattr(event, "watchdogs", ()) if w.kind in kinds for f in w.call_trace}


def _dirty_memcg(analysis: Any, share: float, v2_too: bool = False) -> bool:
    """A cgroup v1 memory cgroup OOM (either hierarchy with ``v2_too``) whose memory.stat shows at
    least ``share`` of its usage dirty and less than a tenth of that under writeback (reclaim found
    dirty pages it could not write; Analysis.memcg_dirty reads both hierarchies' names)."""
    if not getattr(analysis, "is_memcg", False):
        return False
    if not v2_too and getattr(analysis, "cgroup_v2", None) is True:
        return False
    usage = analysis.memcg_usage
    pages = analysis.memcg_dirty
    if usage is None or not usage[0] or pages is None:
        return False
    dirty, writeback = pages
    return bool(dirty >= share * usage[0] and writeback * 10 < dirty)


def _cma_holds_free(analysis: Any, share: float) -> bool:
    """A request that may not use CMA (not movable; any request when the mask is not printed)
    while free CMA is at least ``share`` of the free memory of the zones it may use, or of all
    free memory when the paste prints no zone line (as knowledge.checks.zones.cma_unusable reads
    them)."""
    if getattr(analysis, "movable_request", False):
        return False
    zones = [z for z in getattr(analysis, "usable_zones", ()) or () if z.free_kb]
    if zones:
        free = sum(z.free_kb for z in zones)
        cma = sum(z.values.get("free_cma", 0) for z in zones)
    else:
        free = getattr(analysis, "free_kb", None) or 0
        cma = (analysis.event.meminfo.get("free_cma") or 0) * getattr(analysis, "page_kb", 4)
    return bool(free and cma and cma >= share * free)


def _highatomic_holds_free(analysis: Any, share: float) -> bool:
    """At least ``share`` of the free memory in the buddy lists of the zones the request may use
    is in blocks the lists mark as highatomic only ('(H)', shown per order since 4.4)."""
    usable = {(z.node, z.name) for z in getattr(analysis, "usable_zones", ()) or ()}
    free = held = 0
    for buddy in analysis.event.buddy:
        if (buddy.node, buddy.zone) not in usable:
            continue
        if not buddy.complete:
            return False  # a shortened line: the orders it leaves out are unknown
        for o in buddy.orders:
            kb = (o.count or 0) * o.size_kb
            free += kb
            if kb and o.migrate_types and set(o.migrate_types) == {"H"}:
                held += kb
    return bool(free and held >= share * free)


def _empty_highatomic_counted(analysis: Any) -> bool:
    """Every usable zone with a zone line fails the order-0 watermark check (ZoneView.below_min,
    the kernel's own comparison) only because the whole highatomic reserve (the zone line's
    reserved_highatomic, which the check takes off the free memory of a request without reserve
    access: mm/page_alloc.c __zone_watermark_unusable_free(), v5.10-v6.11) is counted as unusable,
    while the zone's complete buddy list shows no free page in a block marked highatomic ('(H)'):
    the reserve was empty, and the check counted it all the same."""
    zones = [z for z in getattr(analysis, "usable_zones", ()) or () if z.min_kb is not None and z.free_kb]
    if not zones:
        return False
    buddies = {(b.node, b.zone): b for b in analysis.event.buddy}
    for zone in zones:
        reserved = zone.values.get("reserved_highatomic", 0)
        if not reserved or zone.rule is None or zone.rule.may_use_highatomic or not zone.below_min:
            return False
        floor = zone.floor_kb
        if floor is None or (zone.free_kb or 0) - (zone.unusable_kb - reserved) <= floor:
            return False  # below the floor even without the reserve: the memory ran out
        buddy = buddies.get((zone.node, zone.name))
        if buddy is None or not buddy.complete:
            return False  # the lists that would show the reserve empty are not printed whole
        if any(o.count and "H" in (o.migrate_types or ()) for o in buddy.orders):
            return False  # free pages sit in highatomic blocks: the reserve was not empty
    return True


def _distribution(kernel: str | None) -> bool:
    """Whether the release string is a distribution kernel's (knowledge/kernel_series.yaml): its
    third number is the distribution's base, not a kernel.org stable level."""
    if not kernel:
        return False
    from .kernel_series import upgrade_path

    return upgrade_path(kernel).kind == "distribution"


def _slab_holds(analysis: Any, cache: re.Pattern[str], share: float) -> bool:
    """The caches of the unreclaimable-slab table (4.15+, Event.slab_info) whose name matches
    ``cache`` hold at least ``share`` of the table's total use; False when no table is printed."""
    rows = getattr(analysis.event, "slab_info", ()) or ()
    total = sum(r.used_kb for r in rows)
    held = sum(r.used_kb for r in rows if cache.search(r.name))
    return bool(total and held and held >= share * total)


def situated(analysis: Any, situation: re.Pattern[str]) -> Any:
    """The first line of the paste that says the machine is in ``situation`` (a record's
    ``situation``): among the event's own lines, the kernel lines and command output around the
    report (``Dump.context``) and the person's words, in that order; None when none does."""
    from .surroundings import facts

    event_lines = tuple(getattr(analysis.event, "lines", ()))
    dump = getattr(analysis, "dump", None)
    context = facts(dump) if dump is not None else None
    if context is None:
        return next((line for line in event_lines if situation.search(line.text)), None)
    for line in (*event_lines, *(c.line for c in context.lines), *context.prose):
        if situation.search(line.text):
            return line
    return None


def _logged(analysis: Any, log: re.Pattern[str]) -> bool:
    """Whether one of the event's lines holds a match of ``log``: through
    ``Analysis.matching_lines`` (a literal the pattern needs looked for in the event's text first,
    rather than the regex run over each of its lines), else line by line."""
    matching_lines = getattr(analysis, "matching_lines", None)
    if matching_lines is not None:
        return bool(matching_lines(log))
    return any(log.search(line.text) for line in getattr(analysis.event, "lines", ()))

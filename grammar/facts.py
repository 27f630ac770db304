"""Typed facts extracted from a kernel memory dump.

Everything here is a frozen dataclass: the parser builds them once and nothing downstream
mutates them. Every fact carries the 1-based line number(s) of the paste it came from so a
finding can quote its evidence. Units are kept as the kernel printed them and named in the
field (``_kb``, ``_pages``, ``_bytes``); ``None`` always means "the paste does not show it".
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

_Fact = TypeVar("_Fact")


def quick_constructor(cls: type[_Fact]) -> Callable[..., _Fact]:
    """``cls(...)`` for a frozen slotted dataclass, made about four times faster, for the facts
    made once per line (a task row, a source line). A frozen class's generated ``__init__`` sets
    each field through ``object.__setattr__`` (for TaskRow's 17 fields, most of the cost of
    reading a row); this fills an unfrozen twin with the same slots, then gives the object its
    class, so it is the same object ``cls(...)`` makes: same type, fields, equality, hash, and
    frozen from then on."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if "__post_init__" in vars(cls) or any(f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__}: only plain fields can be set by a twin")
    twin = dataclasses.make_dataclass(
        f"_{cls.__name__}Twin",
        [(f.name, f.type) if f.default is dataclasses.MISSING else (f.name, f.type, f.default) for f in fields],
        slots=True,
        eq=False,
        repr=False,
        match_args=False,
    )
    if twin.__slots__ != cls.__slots__:  # type: ignore[attr-defined]  # the class assignment needs one layout
        raise TypeError(f"{cls.__name__}: not a slotted dataclass")

    def make(*args: Any, **kwargs: Any) -> _Fact:
        fact = twin(*args, **kwargs)
        fact.__class__ = cls
        return fact  # type: ignore[no-any-return]  # (typing.cast is a call: this runs once per row)

    # (a loop that makes many may do ``twin(...)`` then set ``__class__`` itself: no call of make)
    make.twin = twin  # type: ignore[attr-defined]
    return make


def _frozen_map(values: Mapping[str, int] | None = None) -> Mapping[str, int]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True, slots=True)
class WallTime:
    """A wall-clock stamp from a log prefix, as far as it is printed (syslog omits the year)."""

    text: str  # as printed
    year: int | None
    month: int
    day: int
    hour: int
    minute: int
    second: float
    utc_offset_s: int | None  # None: the stamp names no zone


@dataclass(frozen=True, slots=True)  # one per distinct log prefix: a stamp per row of a big table
class Stamp:
    """What one line's log prefix tells (``grammar/prefixes.lark`` named groups)."""

    host: str | None = None  # the machine, as printed (syslog/ISO/journal host field)
    time: WallTime | None = None  # a date and clock; never derived from seconds since boot
    uptime_s: float | None = None  # `[ 1234.567890]`: seconds since boot, not a date
    caller: str | None = None  # printk caller id: `T1234` (task) or `C3` (interrupt on CPU 3)


NO_STAMP = Stamp()


@dataclass(frozen=True, slots=True)  # one per line of the paste: 100,000 for a big task table
class SourceLine:
    """One line of the paste as it was normalised: number in the paste and the kernel text."""

    number: int
    text: str
    prefix: str = ""  # the log prefix stripped from it (syslog stamp and host, dmesg stamp, ...)
    stamp: Stamp = NO_STAMP  # what the prefix tells: host, wall-clock time, uptime, caller id

    @property
    def host(self) -> str | None:
        return self.stamp.host

    @property
    def time(self) -> WallTime | None:
        return self.stamp.time


@dataclass(frozen=True)
class Trigger:
    """`X invoked oom-killer: gfp_mask=..., order=..., oom_score_adj=...` (or the alloc-failure line)."""

    comm: str | None
    pid: int | None
    gfp_mask: str | None  # hex exactly as printed, e.g. "0x84d0"
    gfp_symbolic: str | None  # the kernel's own %pGg text, without parentheses
    order: int | None
    oom_adj: int | None
    oom_score_adj: int | None
    nodemask: str | None
    line: int


@dataclass(frozen=True)
class TaskHeader:
    """`CPU: 3 PID: 123 Comm: foo Tainted: ... 6.1.0-50-amd64 #1` or the 2.6/3.x `Pid: N, comm: X`."""

    cpu: int | None
    pid: int | None
    comm: str | None
    kernel: str | None
    tainted: str | None
    hardware: str | None
    line: int


@dataclass(frozen=True)
class Zone:
    """One zone line of the Mem-Info report (`Node 0 Normal free:...kB min:... lowmem_reserve...`)."""

    node: int | None
    name: str
    free_kb: int | None
    min_kb: int | None
    low_kb: int | None
    high_kb: int | None
    values: Mapping[str, int]  # every `key:NNNkB`/`key:NNN` field, in kB where the kernel said kB
    all_unreclaimable: bool | None
    lowmem_reserve: tuple[int, ...] | None  # pages, from the following lowmem_reserve[] line
    line: int


@dataclass(frozen=True)
class BuddyOrder:
    size_kb: int
    count: int
    migrate_types: str | None  # e.g. "UME" on 4.x+ kernels


@dataclass(frozen=True)
class BuddyList:
    """`Node 0 Normal: 12*4kB (UME) 3*8kB ... = 1234kB`."""

    node: int | None
    zone: str
    orders: tuple[BuddyOrder, ...]
    total_kb: int | None
    line: int

    @property
    def complete(self) -> bool:
        """Whether the line shows every order up to its total, as the kernel prints it (each
        order's blocks twice the size of the one before). A person's copy may leave orders out
        (`3375*4kB ... 7*128kB`) or cut the total: what such a line does not show is unknown,
        not zero."""
        if self.total_kb is None:
            return False
        sizes = [order.size_kb for order in self.orders]
        return all(later == 2 * earlier for earlier, later in itertools.pairwise(sizes))


@dataclass(frozen=True)
class NodeStat:
    """`Node 0 active_anon:...kB inactive_anon:...kB ...` (4.8+ per-node counters)."""

    node: int
    values: Mapping[str, int]
    all_unreclaimable: bool | None
    line: int


@dataclass(frozen=True)
class Hugepages:
    """`Node 0 hugepages_total=512 hugepages_free=512 hugepages_surp=0 hugepages_size=2048kB`."""

    node: int | None
    total: int
    free: int
    surplus: int | None
    size_kb: int
    line: int


@dataclass(frozen=True)
class SlabInfoRow:
    """A row of the 4.15+ `Unreclaimable slab info:` table (mm/slab_common.c
    dump_unreclaimable_slab(): `Name Used Total`), e.g. `kmalloc-256 3141592KB 3141600KB`."""

    name: str
    used_kb: int
    total_kb: int | None
    line: int


@dataclass(frozen=True, slots=True)  # a task table reaches 100,000 rows: no __dict__ per row
class TaskRow:
    """One row of the task dump; columns vary by kernel era, missing ones are None."""

    pid: int
    uid: int | None
    tgid: int | None
    total_vm_pages: int | None
    rss_pages: int | None
    rss_anon_pages: int | None
    rss_file_pages: int | None
    rss_shmem_pages: int | None
    pgtables_bytes: int | None  # the 4.15+ pgtables_bytes column (older kernels print nr_ptes)
    nr_ptes: int | None
    nr_pmds: int | None
    swapents: int | None
    oom_score_adj: int | None
    oom_adj: int | None
    cpu: int | None
    name: str
    line: int


@dataclass(frozen=True)
class Kill:
    """`Killed process N (comm) total-vm:..kB, anon-rss:..kB, ...` and its `Kill process ... score` line."""

    pid: int | None
    comm: str | None
    total_vm_kb: int | None
    anon_rss_kb: int | None
    file_rss_kb: int | None
    shmem_rss_kb: int | None
    pgtables_kb: int | None
    uid: int | None
    oom_score_adj: int | None
    score: int | None  # from `Out of memory: Kill process N (x) score S or sacrifice child`
    memcg_kill: bool  # `Memory cgroup out of memory: Killed process`
    line: int
    # True when the score is printed on the 2.6.36-5.0 scale ("or sacrifice child"): points per
    # mille of RAM + swap, oom_score_adj included; False for the unscaled 2.6.x "and children".
    score_per_mille: bool | None = None


@dataclass(frozen=True)
class OomSummary:
    """`oom-kill:constraint=...,nodemask=...,cpuset=...,mems_allowed=...,oom_memcg=...,task_memcg=...,task=...,pid=...,uid=...`."""

    constraint: str | None
    nodemask: str | None
    cpuset: str | None
    mems_allowed: str | None
    oom_memcg: str | None
    task_memcg: str | None
    task: str | None
    pid: int | None
    uid: int | None
    line: int


@dataclass(frozen=True)
class MemcgCounter:
    """`memory: usage 1048576kB, limit 1048576kB, failcnt 42` and the swap/kmem/memory+swap variants."""

    resource: str  # "memory", "memory+swap", "swap", "kmem", "tcpmem"
    usage_kb: int
    limit_kb: int | None  # None when the limit prints as "max"/unlimited
    failcnt: int | None
    line: int


@dataclass(frozen=True)
class MemcgInfo:
    """What the dump says about the memory cgroup whose limit was hit."""

    path: str | None  # the memcg charged (v1 `as a result of limit of`, v2 `oom_memcg=`)
    task_path: str | None  # v1 `Task in /x killed`
    counters: tuple[MemcgCounter, ...]
    stats_path: str | None  # `Memory cgroup stats for /x:`
    stats: Mapping[str, int]  # memory.stat keys (bytes on v2, pages/bytes per kernel on v1)
    stats_units: str | None  # "bytes" or "kB"/"pages" when the kernel says so
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Panic:
    """`Kernel panic - not syncing: Out of memory...` / `System is deadlocked on memory`."""

    reason: str
    line: int


@dataclass(frozen=True)
class Watchdog:
    """A watchdog's report printed near the event: the machine (or a task) stalled. ``kind`` is
    "soft-lockup", "hard-lockup", "rcu-stall" or "hung-task"; the CPU, seconds, task name and
    pid as the report prints them (the report's own `CPU: ... Comm:` header fills CPU, task and
    pid where the first line does not name them). ``call_trace`` holds the function names of the
    report's trace, innermost first, kept apart from the event's own ``call_trace``."""

    kind: str
    cpu: int | None
    seconds: int | None
    comm: str | None
    pid: int | None
    line: SourceLine  # the watchdog's first line, quoted as evidence
    call_trace: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()  # every line of the report (header, registers, trace)


@dataclass(frozen=True)
class Unparsed:
    """A line inside an event that the grammar did not understand: kept, reported, never dropped."""

    line: int
    text: str


@dataclass(frozen=True)
class Event:
    """One kernel memory event (an OOM kill, a memcg OOM, an allocation failure, a panic, a fragment)."""

    index: int  # 0-based position in the paste
    kind: str | None  # see FORMAT.md: oom-kill, memcg-oom, cpuset, mempolicy, sysrq-manual, page-allocation-failure
    first_line: int
    last_line: int
    # The machine that printed it (several hosts can share one log): the host as its log prefix
    # names it (None when none does), its kernel release, architecture and page size.
    host: str | None = None
    kernel: str | None = None
    arch: str | None = None
    page_size_kb: int | None = None
    trigger: Trigger | None = None
    alloc_failure_mode: str | None = None  # for page allocation failures: `mode:0x...(...)`
    # 4.9-4.14's allocation stall warning (`page allocation stalls for Nms`): how long the request
    # had been in the slow path. The report is warn_alloc()'s, so ``kind`` stays
    # page-allocation-failure (FORMAT.md), but nothing failed: the request was still being retried.
    stall_ms: int | None = None
    header: TaskHeader | None = None
    call_trace: tuple[str, ...] = ()  # function names, innermost first
    meminfo: Mapping[str, int] = field(default_factory=_frozen_map)  # global Mem-Info counters, pages
    meminfo_lines: tuple[int, ...] = ()
    nodes: tuple[NodeStat, ...] = ()
    zones: tuple[Zone, ...] = ()
    buddy: tuple[BuddyList, ...] = ()
    hugepages: tuple[Hugepages, ...] = ()
    slab_info: tuple[SlabInfoRow, ...] = ()  # the unreclaimable-slab table's rows (4.15+)
    slab_info_line: int | None = None  # its `Unreclaimable slab info:` heading
    pagecache_pages: int | None = None
    swapcache_pages: int | None = None
    free_swap_kb: int | None = None
    total_swap_kb: int | None = None
    swap_lines: tuple[int, ...] = ()
    page_totals: Mapping[str, int] = field(
        default_factory=_frozen_map
    )  # "RAM", "reserved", "HighMem/MovableOnly", "cma reserved", ...
    page_total_lines: tuple[int, ...] = ()
    task_table_present: bool = False
    task_table_line: int | None = None
    tasks: tuple[TaskRow, ...] = ()
    task_columns: tuple[str, ...] = ()
    oom_summary: OomSummary | None = None
    memcg: MemcgInfo | None = None
    kill: Kill | None = None
    reaped: tuple[SourceLine, ...] = ()
    panic: Panic | None = None
    sysrq: bool = False
    constraint_line: SourceLine | None = None  # 2.6/3.x: explicit constraint text when printed
    unparsed: tuple[Unparsed, ...] = ()
    missing: tuple[str, ...] = ()  # parts of a full report this paste does not show (see parse.MISSING)
    lines: tuple[SourceLine, ...] = ()  # every normalised line of the event, for quoting evidence
    # watchdog reports (soft lockup, RCU stall, hung task) printed inside or next to the event,
    # with their own call traces: not lines of the memory report, never in ``lines``
    watchdogs: tuple[Watchdog, ...] = ()

    @property
    def ram_pages(self) -> int | None:
        return self.page_totals.get("RAM")

    @property
    def time(self) -> WallTime | None:
        """The first wall-clock stamp on the event's lines (None when the log prints none)."""
        return next((line.stamp.time for line in self.lines if line.stamp.time is not None), None)

    @property
    def uptime_s(self) -> float | None:
        """The first seconds-since-boot stamp on the event's lines: not a date."""
        return next((line.stamp.uptime_s for line in self.lines if line.stamp.uptime_s is not None), None)


@dataclass(frozen=True)
class Dump:
    """Everything parsed from one paste."""

    kernel: str | None  # None when the events come from different kernels (each event has its own)
    arch: str | None
    page_size_kb: int | None
    events: tuple[Event, ...]
    warnings: tuple[str, ...]
    line_count: int
    context: Any = None  # grammar.context_facts.ContextFacts: command output and kernel lines around the report

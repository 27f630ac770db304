"""Derived views over one parsed event: where the memory went, zones against their watermarks,
free blocks by order, the task table, memcg, swap, NUMA nodes and the environment.

Checks (``knowledge.checks``) read only this module's :class:`Analysis`, never the raw parser
output, so every figure a finding quotes is computed once, in kB, with the paste lines it came
from. Nothing here guesses: a figure the paste does not show is ``None`` and the checks that
need it report "not evaluated".
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from grammar.facts import BuddyList, Dump, Event, SourceLine, TaskRow, Zone
from grammar.firstchars import syntax_chars
from grammar.literal import find_all, line_indexes
from grammar.release import release_version

from .clues import alloc_wrapper
from .directinit import direct_init
from .hardware import combined_mode as combined_cpu_mode
from .hardware import scan as scan_cpu_names
from .kernel_fixes import matches
from .surroundings import Named, facts, named_programs, of, per_paste, ram, swap_total
from .workloads import load as load_workloads
from .workloads import recognise, recognise_named, runs_as

if TYPE_CHECKING:
    from functools import cached_property
else:

    class cached_property:  # a drop-in for functools.cached_property
        """functools.cached_property without its lock (as in Python 3.12+): computed on first
        read and stored in the instance's ``__dict__``, which later reads find before this
        descriptor. Python 3.11's takes an RLock on every first read: an Analysis computes some
        fifteen properties per event, and the lock was an eighth of the diagnosis's time (issue
        12). An Analysis belongs to the one call that made it, so no thread shares it."""

        def __init__(self, function):
            self.function = function
            self.name = function.__name__
            self.__doc__ = function.__doc__

        def __set_name__(self, owner, name):
            self.name = name

        def __get__(self, instance, owner=None):
            if instance is None:
                return self
            value = instance.__dict__[self.name] = self.function(instance)
            return value


# Zone types in the kernel's order (include/linux/mmzone.h enum zone_type); which of them a
# kernel has depends on its config, but the order never changes.
ZONE_ORDER = ("DMA", "DMA32", "Normal", "HighMem", "Movable", "Device")
LOWMEM_ZONES = ("DMA", "DMA32", "Normal")
# min_free_kbytes above this multiple of the kernel's own value (knowledge/findings/OOM120.yaml
# default_factor uses the same) is a setting someone raised
MIN_FREE_INFLATED_FACTOR = 3
# the sizes VMs, cloud instances and DIMM sets commonly come in (powers of two from 512 MB): the
# RAM a sizing step proposes is the first of these that holds the workload
COMMON_RAM_SIZES_KB = tuple((1 << n) * 1024 for n in range(9, 23))
# no larger size is proposed to a 32-bit kernel: its struct pages and page tables take lowmem in
# proportion to RAM (OOM102), so beyond 4 GB more RAM is not what it needs
MAX_32BIT_SIZED_KB = 4 * 1024 * 1024
# pageblocks of this size or more (16 and 64 KiB pages on arm64) make khugepaged's min_free_kbytes
# (11 per lowmem zone, capped at 5 % of lowmem) itself far above the kernel's default without THP
LARGE_PAGEBLOCK_KB = 32 * 1024
# vm.watermark_scale_factor's default (mm/page_alloc.c, v4.6+: 10, i.e. 0.1 % of a zone)
DEFAULT_WATERMARK_SCALE_FACTOR = 10
# headroom added to what a workload held at the kill when sizing RAM or a limit for it
SIZING_HEADROOM = 0.25
# The largest lowmem a 32-bit kernel maps: x86-32 with VMSPLIT_1G (arch/x86/Kconfig, PAGE_OFFSET
# 0x40000000) keeps 3 GB of kernel space less the vmalloc area; the default 3G/1G split gives 896 MB.
MAX_32BIT_LOWMEM_KB = 3 * 1024 * 1024
# sysctl_lowmem_reserve_ratio[ZONE_DMA] default (mm/page_alloc.c, v2.6-v6.x) and how closely a
# DMA line's reserve must match the Normal zone's size to say that zone is the next one up
DMA_RESERVE_RATIO = 256
RESERVE_MATCH_SHARE = 0.1
# 'or sacrifice child' (v2.6.36-v4.18); 2.6.1x kernels printed 'Out of Memory: Kill process N
# (comm) score S and children.' before killing a child ('Out of memory: Killed process M (child).')
SELECTED_PROCESS = re.compile(
    r"[Kk]ill process (\d+) \((.*?)\) score -?\d+ (?:or (?:sacrifice child|a child)|and children)"
)
ARCH_32BIT = re.compile(
    r"^(i[3-6]86|x86$|x86[-_]32|arm$|armv[5-7]|armhf|armel|mips$|mipsel|ppc$|powerpc$|xtensa|sh4?$|m68k|s390$)"
)
RELEASE_32BIT = re.compile(r"(-686|-486|-586|-pae\b|\.i[3-6]86|x86[-_]32|-armmp|-v7\+|-v6\+|armv7)", re.I)
VM_HARDWARE = (
    ("QEMU", "QEMU/KVM virtual machine"),
    ("KVM", "KVM virtual machine"),
    ("Xen", "Xen guest"),
    ("VMware", "VMware virtual machine"),
    ("VirtualBox", "VirtualBox virtual machine"),
    ("Microsoft Corporation Virtual Machine", "Hyper-V virtual machine"),
    ("Google Compute Engine", "Google Compute Engine VM"),
    ("Amazon EC2", "Amazon EC2 instance"),
    ("BHYVE", "bhyve virtual machine"),
    ("Parallels", "Parallels virtual machine"),
    ("OpenStack", "OpenStack (KVM) virtual machine"),
    ("z/VM", "z/VM guest"),
    ("Cloud Hypervisor", "Cloud Hypervisor VM"),
    ("Firecracker", "Firecracker microVM"),
    # RHEV/RHV and oVirt set the guest's SMBIOS product name (vdsm's OSName: 'RHEV Hypervisor',
    # 'oVirt Node'); older QEMU/SeaBIOS guests report 'Bochs'. Configuration tools read the same
    # strings as KVM guests: Salt salt/grains/core.py _virtual() (product_name 'RHEV Hypervisor',
    # 'oVirt Node': kvm), Puppet Facter's FactsUtils::HYPERVISORS_HASH ('RHEV Hypervisor' rhev,
    # 'oVirt Node' ovirt, 'Bochs' bochs)
    ("RHEV Hypervisor", "RHEV (KVM) virtual machine"),
    ("oVirt Node", "oVirt (KVM) virtual machine"),
    ("Bochs", "QEMU/KVM virtual machine (Bochs/SeaBIOS firmware)"),
)
# (VM_HARDWARE's names in lower case, as Analysis.environment compares them, lowered once)
_VM_HARDWARE_LOWERED = tuple((needle.lower(), label) for needle, label in VM_HARDWARE)
# QEMU names its vCPU threads "CPU <n>/KVM"; such a thread allocating means this host runs VMs.
# The patterns Analysis asks once per event, compiled once (re's module functions look each up in
# its cache, with flag arithmetic through the RegexFlag enum, at every call)
_MEMS_ALLOWED = re.compile(r"mems_allowed=([\d,\-]+)")
_CPUSET = re.compile(r"cpuset=(\S+)")
_VM_RELEASE = re.compile(r"xen|qubes|-gcp|-aws|-azure|-kvm\b", re.I)
_CONTAINER_RUNTIME = re.compile(r"docker[-/]|/docker\b|containerd|cri-containerd|libpod|crio-")
_LXC = re.compile(r"(^|/)lxc[./]|lxc\.payload")
_SYSTEMD_UNIT = re.compile(r"\.service|\.scope|\.slice")
_POWERPC = re.compile(r"(ppc|powerpc)", re.I)
_NODE_LIST = re.compile(r"[\d,\-]+")
# Pattern syntax that looks past a line's ends (lookahead, lookbehind, string anchors): such a
# pattern is not searched in the joined text first (Analysis.matching_lines)
_LINE_EDGE_SYNTAX = ("(?=", "(?!", "(?<", "\\A", "\\Z")
KVM_VCPU_THREAD = re.compile(r"^CPU \d+/KVM$")
HYPERVISOR_PROCESS = re.compile(r"^(qemu-system-\S+|qemu-kvm|kvm|qemu)$")
HYPERVISOR_STARTS = ("qemu", "kvm")  # how every name HYPERVISOR_PROCESS matches begins (a cheap first test)


_ROW_NAME = attrgetter("name")


def _names_start(rows: Iterable[TaskRow], starts: tuple[str, ...]) -> bool:
    """Whether a row's name may begin with one of ``starts``: never False when one does. The names
    joined, each after a line break, are searched for the break and the start (a table's names in
    a few hundred characters, where the event's text to search for the starts alone is some ten
    thousand: issue 12); a name holding a break itself can only add a place to look at."""
    names = "\n" + "\n".join(map(_ROW_NAME, rows))
    return any("\n" + start in names for start in starts)


def _line_number(line: SourceLine) -> int:
    return line.number


_UNKNOWN = object()  # (a memo's "not worked out yet": None is an answer)
# Mem-Info's names of the isolated pages as the per-node lines print them (Analysis._node_sum_kb;
# one dict for every call rather than one built per node and key)
_NODE_ALIASES = {"isolated_anon": "isolated(anon)", "isolated_file": "isolated(file)"}


_REGEX_SYNTAX = frozenset(".^$*+?{}[]()|\\")
_QUANTIFIERS = frozenset("*?{+")


@lru_cache(maxsize=1024)
def required_literals(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Texts of which one occurs in everything ``pattern`` matches, or None when not known.

    A pattern of plain alternatives (``no killable processes|System is deadlocked``) needs one of
    them; any other pattern needs the plain text it opens with (``cpuset=`` of ``cpuset=\\S+``),
    less a last character that a quantifier makes optional. Under re.IGNORECASE the texts are
    lower case and ASCII: they stand for a case-insensitive search only in an ASCII text.
    Shorter than three characters, or in a verbose pattern: None.
    """
    if flags & re.X:
        return None
    ignore_case = bool(flags & re.I)
    after = _after_leading_group(pattern)
    if after is not None:
        # `(^|: )Killed process 1 \(`: the text after a leading group is in every match
        pattern = after
    if "|" in pattern:
        alternatives = pattern.split("|")
        if any(_REGEX_SYNTAX.intersection(alternative) for alternative in alternatives):
            return None
    else:
        end = next((index for index, char in enumerate(pattern) if char in _REGEX_SYNTAX), len(pattern))
        prefix = pattern[:end]
        if end < len(pattern) and pattern[end] in _QUANTIFIERS:
            prefix = prefix[:-1]
        alternatives = [prefix]
    if any(len(alternative) < 3 or (ignore_case and not alternative.isascii()) for alternative in alternatives):
        return None
    return tuple(alternative.lower() if ignore_case else alternative for alternative in alternatives)


_GROUP_OPENERS = ("(?:", "(?=", "(?!", "(?<=", "(?<!", "(?P<")  # groups that set no flag


def _after_leading_group(pattern: str) -> str | None:
    """The rest of ``pattern`` after the group it opens with (and that group's quantifier), when
    no ``|`` outside a group follows it, so every match holds a match of the rest: None when the
    pattern opens with no group, with one that sets flags (``(?i)``), or when that is not so."""
    if not pattern.startswith("(") or (pattern.startswith("(?") and not pattern.startswith(_GROUP_OPENERS)):
        return None
    end = _group_end(pattern)
    if end is None:
        return None
    index = end + 1
    if index < len(pattern) and pattern[index] in "?*+":
        index += 1
        if index < len(pattern) and pattern[index] in "?+":  # lazy or possessive
            index += 1
    elif index < len(pattern) and pattern[index] == "{":
        close = pattern.find("}", index)
        if close < 0:
            return None
        index = close + 1
    rest = pattern[index:]
    depth = 0
    for _, char in syntax_chars(rest):  # a `|` outside every group would make the rest one alternative
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return None
    return rest


def _group_end(pattern: str) -> int | None:
    """The index of the `)` that closes the group ``pattern`` opens with."""
    depth = 0
    for position, char in syntax_chars(pattern):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position
    return None


# re's flags as plain ints: an int & a RegexFlag goes through the enum's Python operators
_IGNORECASE, _MULTILINE = int(re.IGNORECASE), int(re.MULTILINE)


@lru_cache(maxsize=1024)
def _ignoring_case(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with re.IGNORECASE (``find_lines``: the same few dozen patterns for
    every event), without re's own cache look-up and flag arithmetic each time."""
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=1024)
def _multiline(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags | _MULTILINE)


@lru_cache(maxsize=256)  # a pure function of the release, asked for every event; a log names few releases
def kernel_version(release: str | None) -> tuple[int, ...] | None:
    """`6.1.0-50-686-pae` -> (6, 1, 0); None when the paste shows no release."""
    return release_version(release)


def ramp(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    """Linear map of ``value`` from [low, high] onto [out_low, out_high], clamped."""
    if high <= low:
        return out_high if value >= high else out_low
    fraction = min(1.0, max(0.0, (value - low) / (high - low)))
    return out_low + fraction * (out_high - out_low)


@direct_init
@dataclass(frozen=True)
class Figure:
    """One number with its label and the paste lines that show it."""

    name: str
    label: str
    kb: int
    lines: tuple[SourceLine, ...] = ()


# Buddy-list migratetype letters (mm/page_alloc.c show_migration_types(), v4.4-v6.18):
# U unmovable, M movable, E reclaimable -- the MIGRATE_PCPTYPES every request may take --,
# H highatomic, C CMA, I isolate (never allocatable); R (MIGRATE_RESERVE) exists only before 4.4.
PCP_TYPES = frozenset("UME")


@dataclass(frozen=True)
class AllocRule:
    """What the kernel's __zone_watermark_ok() is given for this request on the failing path.

    The slow path (__alloc_pages_slowpath -> get_page_from_freelist) checks every zone against
    its *min* watermark (ALLOC_WMARK_MIN from gfp_to_alloc_flags()); only the fast path uses low.
    ``min_share`` is the part of min the request must leave: __GFP_HIGH (ALLOC_HIGH /
    ALLOC_MIN_RESERVE) takes half of it, a non-sleeping request (ALLOC_HARDER, ALLOC_NON_BLOCK
    with __GFP_HIGH since 6.3) a further quarter of what is left. Which requests count as
    "harder" changed twice, see :func:`alloc_rule`.
    """

    era: str  # "2.6-4.3", "4.4-6.2", "6.3+"
    order: int
    min_share: float
    may_use_cma: bool  # ALLOC_CMA: a movable request may count (and take) free CMA pages
    may_use_highatomic: bool  # the nr_reserved_highatomic pages are not subtracted
    source: str
    # 6.12+: the check takes off only the free pages of the highatomic reserve (nr_free_highatomic,
    # c928807f6f6b "mm/page_alloc: keep track of free highatomic"), not the whole reserve
    free_highatomic_only: bool = False


def alloc_rule(version: tuple[int, ...] | None, order: int | None, gfp: Any | None) -> AllocRule:
    """The alloc_flags the failing path passes to __zone_watermark_ok(), per kernel era.

    Sources (mm/page_alloc.c): v4.3 gfp_to_alloc_flags() -- ALLOC_HIGH for __GFP_HIGH, ALLOC_HARDER
    for every request without __GFP_WAIT (so GFP_NOWAIT too), ALLOC_CMA for movable requests;
    v4.4 (__GFP_WAIT split into __GFP_DIRECT_RECLAIM/__GFP_KSWAPD_RECLAIM) -- ALLOC_HARDER only for
    __GFP_ATOMIC, so GFP_NOWAIT keeps the whole min; v6.3 (__GFP_ATOMIC removed) -- ALLOC_MIN_RESERVE
    for __GFP_HIGH halves min, ALLOC_NON_BLOCK takes a further quarter only together with it, and
    any reserve flag (or a non-blocking order > 0 request, ALLOC_HIGHATOMIC) may use the highatomic
    reserve. Unknown kernel: the 4.4-6.2 rule; unknown gfp: no reserve access (the strictest floor).
    """
    order = max(0, order or 0)
    flags = set(getattr(gfp, "flag_names", None) or []) if gfp is not None else set()
    high = "__GFP_HIGH" in flags
    nomemalloc = "__GFP_NOMEMALLOC" in flags
    movable = "__GFP_MOVABLE" in flags
    may_reclaim = getattr(gfp, "may_reclaim", None) if gfp is not None else None
    blocking = may_reclaim is not False
    share = 1.0
    if version is not None and version[:2] < (4, 4):
        era = "2.6-4.3"
        # 3.x: atomic = !(gfp_mask & (__GFP_WAIT | __GFP_NO_KSWAPD)) (THP's no-kswapd requests excluded)
        harder = gfp is not None and not blocking and not nomemalloc and "__GFP_NO_KSWAPD" not in flags
        if high:
            share -= share / 2
        if harder:
            share -= share / 4
        highatomic = False  # MIGRATE_HIGHATOMIC was added in 4.4
        source = "mm/page_alloc.c (v4.3): gfp_to_alloc_flags(), __zone_watermark_ok()"
    elif version is not None and version[:2] >= (6, 3):
        era = "6.3+"
        non_block = gfp is not None and not blocking and not nomemalloc
        if high:
            share -= share / 2
            if non_block:
                share -= share / 4
        highatomic = high or (non_block and order > 0)
        source = "mm/page_alloc.c (v6.3): gfp_to_alloc_flags(), __zone_watermark_ok(), __zone_watermark_unusable_free()"
    else:
        era = "4.4-6.2"
        harder = "__GFP_ATOMIC" in flags and not nomemalloc
        if high:
            share -= share / 2
        if harder:
            share -= share / 4
        highatomic = harder
        source = "mm/page_alloc.c (v4.4, v6.2): gfp_to_alloc_flags(), __zone_watermark_ok()"
    # 6.12 (c928807f6f6b, mm-hotfixes): __zone_watermark_unusable_free() subtracts
    # nr_free_highatomic instead of nr_reserved_highatomic
    free_only = version is not None and version[:2] >= (6, 12)
    return AllocRule(era, order, share, movable, highatomic, source, free_only)


@direct_init
@dataclass(frozen=True)
class ZoneView:
    """A zone of the Mem-Info report (or only its buddy list) read against the request.

    The floor and the verdicts are the kernel's __zone_watermark_ok() for the failing path
    (see :class:`AllocRule`): a zone serves the request only when its free pages, less what the
    request may not count (``unusable_kb``: the 2^order - 1 pages, the highatomic reserve, free
    CMA for a non-movable request), stay strictly above min (the reserves the request may dip
    into taken off) plus lowmem_reserve[highest zone]; the kernel fails at ``<=``. Since 5.0 the
    printed min already includes watermark_boost (min_wmark_pages(), include/linux/mmzone.h v5.0).
    """

    node: int | None
    name: str
    free_kb: int | None
    min_kb: int | None
    low_kb: int | None
    high_kb: int | None
    managed_kb: int | None
    present_kb: int | None
    reserve_kb: int  # lowmem_reserve this zone keeps against the request's highest zone
    usable: bool | None  # may the request take pages from this zone (None: gfp unknown)
    all_unreclaimable: bool | None
    blocks_at_order: int | None  # free blocks large enough for the requested order (allowed migratetypes)
    kb_at_order: int | None
    largest_block_kb: int | None
    lines: tuple[SourceLine, ...]
    values: dict[str, int]
    unusable_kb: int = 0  # free pages this request may not count (__zone_watermark_unusable_free)
    mark_kb: int | None = None  # min after the reserve access the request has (None: min_kb)
    order_ok: bool | None = None  # the high-order part of the check (None: order 0 or no buddy list)
    rule: AllocRule | None = None

    @property
    def label(self) -> str:
        return self.name if self.node is None else f"Node {self.node} {self.name}"

    @property
    def floor_kb(self) -> int | None:
        """min watermark (less the reserves the request may use) plus the lowmem reserve it must leave."""
        mark = self.mark_kb if self.mark_kb is not None else self.min_kb
        return None if mark is None else mark + self.reserve_kb

    @property
    def countable_kb(self) -> int | None:
        """The free pages __zone_watermark_ok() counts for this request."""
        return None if self.free_kb is None else self.free_kb - self.unusable_kb

    @property
    def below_min(self) -> bool | None:
        """The order-0 part of __zone_watermark_ok() fails: free - unusable <= min' + reserve."""
        if self.countable_kb is None or self.floor_kb is None:
            return None
        return self.countable_kb <= self.floor_kb

    @property
    def below_low(self) -> bool | None:
        """At or below the low watermark (plus reserve): the allocator's fast path already fails here."""
        if self.countable_kb is None or self.low_kb is None:
            return None
        return self.countable_kb <= self.low_kb + self.reserve_kb

    @property
    def headroom_kb(self) -> int | None:
        if self.countable_kb is None or self.floor_kb is None:
            return None
        return self.countable_kb - self.floor_kb

    @property
    def watermark_ok(self) -> bool | None:
        """The whole __zone_watermark_ok() verdict for the request (None: figures missing)."""
        below = self.below_min
        if below is None:
            return None
        if below:
            return False
        return self.order_ok


def _plain_copy(values: Mapping[str, int]) -> dict[str, int]:
    """``dict(values)``: a zone's fields (a read-only view of a dict, grammar.facts) copied in one C
    call through the view's ``copy`` rather than key by key through the mapping protocol (a fifth
    of the work of ``Analysis.zones``, issue 12). The same items in the same order."""
    copied = values.copy() if isinstance(values, MappingProxyType | dict) else None
    return copied if type(copied) is dict else dict(values)


def _empty(values: dict[str, int]) -> bool:
    """A zone printed with no pages (``present:0kB`` or ``managed:0kB``): never in a zonelist, so no
    request takes from it (mm/page_alloc.c build_zonelists_node(): populated_zone(), v2.6.18;
    build_zonerefs_node(): managed_zone(), v4.16 on)."""
    return values.get("present") == 0 or values.get("managed") == 0


class _Weighed:
    """What the OOM killer makes of a task's figures, for ``TaskUse`` and ``RowUse`` alike."""

    __slots__ = ()

    if TYPE_CHECKING:  # fields of TaskUse, properties of RowUse

        @property
        def rss_kb(self) -> int: ...
        @property
        def swap_kb(self) -> int: ...
        @property
        def pgtables_kb(self) -> int: ...
        @property
        def oom_score_adj(self) -> int | None: ...
        @property
        def badness_kb(self) -> int: ...

    @property
    def protected(self) -> bool:
        adj = self.oom_score_adj
        return adj is not None and adj <= -1000


@direct_init
@dataclass(frozen=True, slots=True)
class TaskUse(_Weighed):
    """A same-name group of task-table rows and what the OOM killer counts for it (a group of
    one row is that row's ``RowUse``, which has the same attributes)."""

    name: str
    rss_kb: int
    swap_kb: int
    pgtables_kb: int
    oom_score_adj: int | None
    rows: tuple[TaskRow, ...]

    @property
    def badness_kb(self) -> int:
        """What oom_badness() counts: RSS + swap entries + page tables (mm/oom_kill.c)."""
        return self.rss_kb + self.swap_kb + self.pgtables_kb

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple([row.pid for row in self.rows])


def _row_rss_kb(row: TaskRow, page_kb: int) -> int:
    if row.rss_pages is None and row.rss_anon_pages is not None:
        return ((row.rss_anon_pages or 0) + (row.rss_file_pages or 0) + (row.rss_shmem_pages or 0)) * page_kb
    return (row.rss_pages or 0) * page_kb


def _row_swap_kb(row: TaskRow, page_kb: int) -> int:
    return (row.swapents or 0) * page_kb


def _row_pgtables_kb(row: TaskRow, page_kb: int) -> int:
    """The row's page tables, as oom_badness() counts them: the pgtables_bytes column since 4.15
    (mm_pgtables_bytes(), mm/oom_kill.c v4.15), and before it the nr_ptes and nr_pmds columns,
    counts of page-table pages (oom_badness() adds atomic_long_read(&mm->nr_ptes) +
    mm_nr_pmds(mm) pages, mm/oom_kill.c v4.0-v4.14; nr_ptes alone, v2.6.36-v3.19)."""
    if row.pgtables_bytes is not None:
        return row.pgtables_bytes // 1024
    return ((row.nr_ptes or 0) + (row.nr_pmds or 0)) * page_kb


class _RowFields(NamedTuple):
    row: TaskRow
    page_kb: int
    badness_kb: int  # what oom_badness() counts: RSS + swap entries + page tables (mm/oom_kill.c)


class RowUse(_RowFields, _Weighed):
    """One task-table row and what the OOM killer counts for it: ``TaskUse``'s attributes, read
    from the row when asked. A table reaches 100,000 rows; this holds the row, the page size and
    the row's ``badness_kb`` only, no other figures, tuples or name of its own (the rows are
    sorted, summed and grouped by their badness: it is worked out once, by ``all_of``).

    A named tuple (issue 12): ``all_of`` makes one for every row of every table, and a tuple is
    made in C in one call, where a frozen dataclass's three slots took a call each (through
    their descriptors' ``__set__``): a quarter less work for ``Analysis.tasks`` (callgrind)."""

    __slots__ = ()

    @classmethod
    def all_of(cls, rows: Iterable[TaskRow], page_kb: int) -> list[RowUse]:
        """One for each of ``rows``, in their order."""
        # the three sums of _row_rss_kb, _row_swap_kb and _row_pgtables_kb inline, in one loop
        # rather than a call per row. The same fields, the same values.
        out: list[RowUse] = []
        append = out.append
        for row in rows:
            rss = row.rss_pages
            if rss is None and row.rss_anon_pages is not None:
                rss = (row.rss_anon_pages or 0) + (row.rss_file_pages or 0) + (row.rss_shmem_pages or 0)
            tables = row.pgtables_bytes
            tables_kb = tables // 1024 if tables is not None else ((row.nr_ptes or 0) + (row.nr_pmds or 0)) * page_kb
            append(_new_tuple(cls, (row, page_kb, ((rss or 0) + (row.swapents or 0)) * page_kb + tables_kb)))
        return out

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def rss_kb(self) -> int:
        return _row_rss_kb(self.row, self.page_kb)

    @property
    def swap_kb(self) -> int:
        return _row_swap_kb(self.row, self.page_kb)

    @property
    def pgtables_kb(self) -> int:
        return _row_pgtables_kb(self.row, self.page_kb)

    @property
    def oom_score_adj(self) -> int | None:
        return self.row.oom_score_adj

    @property
    def rows(self) -> tuple[TaskRow, ...]:
        return (self.row,)

    @property
    def pids(self) -> tuple[int, ...]:
        return (self.row.pid,)

    def figures(self) -> tuple[int, str, int, int, int, int, int | None]:
        """(pid, name, rss_kb, swap_kb, pgtables_kb, badness_kb, oom_score_adj) in one call, for the
        overview's rows of the largest processes (the properties above took a call each)."""
        row, page_kb = self.row, self.page_kb
        return (
            row.pid,
            row.name,
            _row_rss_kb(row, page_kb),
            _row_swap_kb(row, page_kb),
            _row_pgtables_kb(row, page_kb),
            self.badness_kb,
            row.oom_score_adj,
        )


_new_tuple = tuple.__new__  # (RowUse.all_of: a RowUse from its fields' tuple, in C)
# RowUse's badness_kb, read as the tuple's item (attrgetter reads it through the field's descriptor)
_ROW_BADNESS = itemgetter(2)


@direct_init
@dataclass(frozen=True)
class Environment:
    kind: str  # kubernetes, docker, lxc, systemd, vm, bare-metal, unknown
    label: str
    container: bool
    kubernetes: bool
    vm: bool
    hypervisor_host: bool
    cgroup_v2: bool | None  # None: the paste does not tell
    evidence: str | None


# largest first; ``reverse`` keeps the order of equals as a key of -badness_kb did (sorting is stable)
_BADNESS = attrgetter("badness_kb")


def page_kb_from_tasks(event: Event) -> int | None:
    """The page size the task dump's pgtables_bytes column shows, when nothing else says it.

    Each page-table page is counted whole: mm_inc_nr_ptes() adds PTRS_PER_PTE * sizeof(pte_t),
    one page (include/linux/mm.h v4.15-v6.x; dump_tasks() prints mm_pgtables_bytes(), mm/oom_kill.c
    v4.15+). When every non-zero value is a multiple of 64 KiB (at least 5 rows) or of 16 KiB (at
    least 8 rows), the pages are that size: with 4 KiB pages the chance of that is 1 in 16 (1 in
    4) per row, so about one in a million (1 in 65,000) for the whole dump.
    """
    values = [row.pgtables_bytes for row in event.tasks if row.pgtables_bytes]
    for size_kb, min_rows in ((64, 5), (16, 8)):
        if len(values) >= min_rows and all(v % (size_kb * 1024) == 0 for v in values):
            return size_kb
    return None


def _context_cpu_names(dump: Dump) -> tuple[str | None, str | None]:
    """``hardware.scan`` of the paste's board models and then its prose lines (``Analysis.cpu_mode``),
    scanned once per paste rather than for each of its events (``surroundings.per_paste``): every
    event reads the same lines, some hundred of them in a long thread, each against twenty patterns."""
    context = facts(dump)

    def scan() -> tuple[str | None, str | None]:
        texts = [str(row.values["model"]) for row in of(dump, "board_model")]
        return scan_cpu_names([*texts, *(line.text for line in context.prose)])

    return per_paste(context, _context_cpu_names, scan)


class Analysis:
    """Everything the checks read about one event (computed lazily, once)."""

    def __init__(self, event: Event, dump: Dump, gfp: Any | None = None) -> None:
        self.event = event
        self.dump = dump
        self.gfp = gfp
        # The event's own machine: one log can interleave several hosts and kernels.
        self.page_kb = event.page_size_kb or dump.page_size_kb or page_kb_from_tasks(event) or 4
        self.kernel = (
            (event.header.kernel if event.header and event.header.kernel else None) or event.kernel or dump.kernel
        )
        self.arch = event.arch or dump.arch
        self.version = kernel_version(self.kernel)
        self._found: dict[str, tuple[SourceLine, ...]] = {}  # find_lines() by pattern
        self._fixes: dict[tuple[bool, bool], tuple[Any, ...]] = {}  # kernel_fixes() by its arguments
        self._meminfo: dict[tuple[str, ...], int | None] = {}  # meminfo_kb() by its keys
        # knowledge.checks.base.FACTS this event shows, by name, as the checks first ask for them
        self.facts: dict[str, bool] = {}

    # ----------------------------------------------------------------------------- lines
    def lines(self, *numbers: int | None) -> tuple[SourceLine, ...]:
        if len(numbers) == 1:  # most calls name one line: no set or list to make for it
            number = numbers[0]
            line = self._line(number) if number is not None else None
            return () if line is None else (line,)
        out = []
        seen = set()
        for number in numbers:
            # one line per number (_line gives the same line for a number each time, and lines of
            # different numbers differ): compared by number, not by SourceLine.__eq__
            if number is not None and number not in seen:
                seen.add(number)
                line = self._line(number)
                if line is not None:
                    out.append(line)
        return tuple(out)

    def _line(self, number: int) -> SourceLine | None:
        """The event's line ``number`` (the last of that number), found by bisection: the lines are
        sorted by number, and a dict of them would cost 5 MB for a 100,000-row task table."""
        lines = self.event.lines
        # most events number their lines one by one: the line that many places after the first
        # is the one when it has that number and the next has a higher one
        at = number - lines[0].number if lines else -1
        if (
            0 <= at < len(lines)
            and lines[at].number == number
            and (at + 1 == len(lines) or lines[at + 1].number > number)
        ):
            return lines[at]
        at = bisect_right(lines, number, key=_line_number) - 1
        return lines[at] if at >= 0 and lines[at].number == number else None

    def lines_of(self, numbers: Iterable[int]) -> tuple[SourceLine, ...]:
        return self.lines(*numbers)

    def find_lines(self, pattern: str) -> tuple[SourceLine, ...]:
        """The event's lines in which ``pattern`` occurs (ignoring case). Several checks look for the
        same text (a call-trace function, "no killable processes"): each pattern is searched once."""
        found = self._found.get(pattern)
        if found is None:
            found = self._found[pattern] = self.matching_lines(_ignoring_case(pattern))
        return found

    def matching_lines(self, regex: re.Pattern[str]) -> tuple[SourceLine, ...]:
        """The event's lines that ``regex`` finds something in (``regex.search(line.text)``).

        Most patterns occur in no line: the whole text is searched first, in one pass, with ``^``
        and ``$`` at line ends (re.M), which finds every match a line holds. Only lookarounds and
        the string anchors read past a line's ends differently, so for them each line is searched
        directly."""
        lines = self.event.lines
        search = regex.search
        literals = required_literals(regex.pattern, regex.flags)
        ignore_case = regex.flags & _IGNORECASE
        if literals is not None and (not ignore_case or self.text.isascii()):
            # one of the literals is in every match: str.find is ~100x faster than re, whose
            # IGNORECASE search takes ~0.2 us a character (an ASCII text's cases fold as lower()),
            # and only the lines that hold one are searched
            text = self.lowered_text if ignore_case else self.text
            found: list[int] = []
            for literal in literals:
                # (by the literal's rarest character: grammar.literal)
                found.extend(find_all(text, literal, bool(ignore_case)))
            if not found:
                return ()
            found.sort()
            return tuple(
                lines[index] for index in dict.fromkeys(line_indexes(text, found)) if search(lines[index].text)
            )
        if (
            not any(mark in regex.pattern for mark in _LINE_EDGE_SYNTAX)
            and _multiline(regex.pattern, regex.flags).search(self.text) is None
        ):
            return ()
        return tuple(line for line in lines if search(line.text))

    @cached_property
    def text(self) -> str:
        """The event's lines, one per line (what :meth:`matching_lines` searches first)."""
        return "\n".join([line.text for line in self.event.lines])  # (a list: join makes one of a generator)

    @cached_property
    def lowered_text(self) -> str:
        return self.text.lower()

    # ----------------------------------------------------------------------------- basics
    def version_at_least(self, major: int, minor: int = 0) -> bool | None:
        if self.version is None:
            return None
        return self.version[:2] >= (major, minor)

    @cached_property
    def printed_series(self) -> tuple[tuple[int, ...], tuple[int, ...] | None] | None:
        """For a paste that names no kernel release: the series whose own symbolic print of the
        request's mask is the one the paste shows (``knowledge.gfp.decoder.printed_series``:
        ``(first, before)``), which dates the kernel as the release would; None when the release is
        known, no symbolic print is shown or no upstream series alone prints it so."""
        if self.version is not None:
            return None
        gfp = self.gfp
        printed = getattr(gfp, "printed_symbolic", None)
        mask = getattr(gfp, "mask", None)
        if not printed or mask is None:
            return None
        from .gfp.decoder import printed_series

        return printed_series(mask, printed, self.arch)

    @cached_property
    def is_32bit(self) -> bool | None:
        arch = (self.arch or "").lower()
        if arch:
            return bool(ARCH_32BIT.match(arch))
        if self.kernel and RELEASE_32BIT.search(self.kernel):
            return True
        if self.zone_names & {"HighMem"} or self.highmem_by_reserve:
            return True
        # `N pages HighMem/MovableOnly` counts the zones is_highmem_idx() accepts, which is 0 without
        # CONFIG_HIGHMEM (include/linux/mmzone.h v3.x-v6.x; lib/show_mem.c, mm/show_mem.c 6.1+):
        # a non-zero count is a HighMem kernel, and HIGHMEM exists on 32-bit ports only
        totals = self.event.page_totals
        if totals.get("HighMem/MovableOnly", totals.get("HighMem")):
            return True
        if "DMA32" in self.zone_names:
            return False
        return None

    @cached_property
    def cpu_mode(self) -> tuple[bool | None, str | None]:
        """Whether the CPU the paste names has a 64-bit mode (``knowledge.hardware``), and its name:
        from its `Hardware name:` line, the kernel release, a Raspberry Pi's model, the person's words."""
        # the `Hardware name:` of every report of the paste from this kernel (one machine: a page
        # allocation failure's report may come without the header another report prints)
        texts = [
            event.header.hardware
            for event in self.dump.events
            if event.header
            and event.header.hardware
            and (event is self.event or (event.header.kernel or event.kernel or self.dump.kernel) == self.kernel)
        ]
        texts += [self.kernel or ""]
        return combined_cpu_mode(scan_cpu_names(texts), _context_cpu_names(self.dump))

    @property
    def thirty_two_bit_cpu(self) -> str | None:
        """The 32-bit-only CPU the paste names, on which no 64-bit kernel runs (None when it names none)."""
        mode, name = self.cpu_mode
        return name if mode is False else None

    @cached_property
    def zone_names(self) -> set[str]:
        return {z.name for z in self.event.zones} | {b.zone for b in self.event.buddy}

    @cached_property
    def highmem_by_reserve(self) -> bool:
        """The zone report shows a populated zone right above ZONE_NORMAL on a kernel without
        ZONE_DMA32, although no HighMem line was pasted (cut, or trimmed by a mail quote).

        show_free_areas() (mm/page_alloc.c v2.6-v6.0, mm/show_mem.c v6.1+) prints every populated
        zone, each followed by `lowmem_reserve[]:` with one entry per zone type of the kernel
        (MAX_NR_ZONES, include/linux/mmzone.h enum zone_type: DMA, DMA32, Normal, HighMem,
        Movable, Device), each entry the managed pages of the zones between it and the printed one
        divided by the ratio (mm/page_alloc.c setup_per_zone_lowmem_reserve(), DMA's ratio 256).
        So:
        - a Normal line whose entries are 0 up to index 0 or 1 and then non-zero sits at index
          <= 1 (no DMA32 type below it: ZONE_DMA32 depends on !X86_32, mm/Kconfig) with a
          populated zone directly above it;
        - a DMA line whose second entry matches the printed Normal zone's size (ratio 256) and
          whose third entry is larger says the same.
        That zone is HighMem (CONFIG_HIGHMEM exists only on 32-bit kernels) unless a 64-bit
        kernel without ZONE_DMA32 was booted with kernelcore=/movablecore= (a populated
        Movable); the printed lowmem zones must then also fit under the largest lowmem a 32-bit
        kernel maps (``MAX_32BIT_LOWMEM_KB``).
        """
        names = self.zone_names
        if names & {"DMA32", "HighMem"} or "Normal" not in names:
            return False
        lowmem = [z.values.get("managed", z.values.get("present")) for z in self.event.zones if z.name in LOWMEM_ZONES]
        if (
            not lowmem
            or any(v is None for v in lowmem)
            or sum(v for v in lowmem if v is not None) > MAX_32BIT_LOWMEM_KB
        ):
            return False
        page_kb = self.page_kb
        for zone in self.event.zones:
            reserve = zone.lowmem_reserve
            if not reserve:
                continue
            if zone.name == "Normal":
                first = next((i for i, v in enumerate(reserve) if v), None)
                if first is not None and 1 <= first <= 2 and len(reserve) >= first + 2:
                    return True
            if zone.name == "DMA" and len(reserve) >= 4 and reserve[1] and reserve[2] > reserve[1]:
                normal = [
                    z.values.get("managed", z.values.get("present"))
                    for z in self.event.zones
                    if z.name == "Normal" and z.node == zone.node
                ]
                size = normal[0] if normal else None
                if size and abs(reserve[1] * DMA_RESERVE_RATIO * page_kb - size) <= RESERVE_MATCH_SHARE * size:
                    return True
        return False

    @cached_property
    def movable_request(self) -> bool:
        """Whether the printed gfp mask makes the request movable (__GFP_MOVABLE, alone or in
        GFP_HIGHUSER_MOVABLE / GFP_MOVABLE_MASK): only such a request may take free CMA pages
        (mm/page_alloc.c gfp_to_alloc_flags() ALLOC_CMA). False when no mask is printed."""
        gfp = self.gfp
        flags = set(getattr(gfp, "flag_names", []) or []) | set(getattr(gfp, "symbolic_names", ()) or ())
        return bool(flags & {"__GFP_MOVABLE", "GFP_HIGHUSER_MOVABLE", "GFP_MOVABLE_MASK"})

    @cached_property
    def has_highmem(self) -> bool:
        """A 32-bit kernel that splits RAM into lowmem and HighMem."""
        if "HighMem" in self.zone_names or self.highmem_by_reserve:
            return True
        totals = self.event.page_totals
        high = totals.get("HighMem", totals.get("HighMem/MovableOnly"))
        return bool(self.is_32bit and high)

    @cached_property
    def ram_kb(self) -> int | None:
        ram = self.event.page_totals.get("RAM")
        if ram:
            return ram * self.page_kb
        present = [z.values.get("present") for z in self.event.zones]
        if present and all(p is not None for p in present):
            total = int(sum(p for p in present if p is not None))
            # A paste cut inside the zone report lists only some zones: when the global counters
            # account for more memory than those zones hold, their sum is not the RAM size.
            keys = (
                "active_anon",
                "inactive_anon",
                "active_file",
                "inactive_file",
                "unevictable",
                "free",
                "slab_reclaimable",
                "slab_unreclaimable",
                "slab",
            )
            # the global counters, else the per-node lines (kB) when only those were pasted
            counted = sum(self.meminfo_kb(key) or 0 for key in keys)
            return total if counted <= total else None
        return self._context_ram.kb if self._context_ram else None

    @cached_property
    def _context_ram(self) -> Any:
        """RAM as command output around the report shows it (MemTotal, free, top): knowledge.surroundings."""
        return ram(self.dump)

    @cached_property
    def ram_lines(self) -> tuple[SourceLine, ...]:
        lines = self.lines_of(self.event.page_total_lines)
        if not lines and not self.event.page_totals and self._context_ram and self.ram_kb == self._context_ram.kb:
            return tuple(self._context_ram.lines)
        return lines

    @cached_property
    def reserved_kb(self) -> int | None:
        reserved = self.event.page_totals.get("reserved")
        return None if reserved is None else reserved * self.page_kb

    @cached_property
    def highmem_total_kb(self) -> int | None:
        totals = self.event.page_totals
        high = totals.get("HighMem", totals.get("HighMem/MovableOnly"))
        if self.has_highmem and high is not None:
            return high * self.page_kb
        present = [z.values.get("present") for z in self.event.zones if z.name == "HighMem"]
        if present and present[0] is not None:
            return int(present[0])
        return None

    @cached_property
    def lowmem_kb(self) -> int | None:
        """Size of the zones the kernel itself can address directly (DMA, DMA32, Normal)."""
        present = [z.values.get("managed", z.values.get("present")) for z in self.event.zones if z.name in LOWMEM_ZONES]
        if present and all(p is not None for p in present):
            return int(sum(p for p in present if p is not None))
        if self.has_highmem and self.ram_kb is not None and self.highmem_total_kb is not None:
            return self.ram_kb - self.highmem_total_kb
        return None

    # ----------------------------------------------------------------------------- counters
    def meminfo_kb(self, *keys: str) -> int | None:
        """Sum of global Mem-Info counters (pages) in kB; None when none of them is printed."""
        # worked out once per event and keys: the checks ask for the same few counters (slab,
        # page tables, shmem...) some fourteen times an event
        known = self._meminfo.get(keys, _UNKNOWN)
        if known is not _UNKNOWN:
            return known  # type: ignore[return-value]
        # (one loop, no generator: all() and sum() over generators resumed one from C per counter)
        meminfo = self.event.meminfo
        pages = None
        for key in keys:
            value = meminfo.get(key)
            if value is not None:
                pages = value if pages is None else pages + value
        total = self._node_sum_kb(*keys) if pages is None else pages * self.page_kb
        self._meminfo[keys] = total
        return total

    def _node_sum_kb(self, *keys: str) -> int | None:
        total = None
        for node in self.event.nodes:
            for key in keys:
                value = node.values.get(_NODE_ALIASES.get(key, key))
                if value is not None:
                    total = (total or 0) + value
        return total

    @cached_property
    def combined_slab_kb(self) -> int | None:
        """`slab:` of kernels that print one slab figure: show_free_areas() (mm/page_alloc.c, v2.6.28)
        printed NR_SLAB_RECLAIMABLE + NR_SLAB_UNRECLAIMABLE as `slab:` until KOSAKI Motohiro's
        'Makes slab pages field in show_free_areas() separate two field' (2009, 2.6.31). Only when
        the paste shows no split counters; None otherwise."""
        if self.counter_kb("slab_reclaimable") is not None or self.counter_kb("slab_unreclaimable") is not None:
            return None
        return self.counter_kb("slab")

    def counter_kb(self, key: str) -> int | None:
        """kernel_stack / pagetables / shmem...: global counter, else node, else zone sums (kB)."""
        value = self.meminfo_kb(key)
        if value is not None:
            return value
        zone_values = [z.values.get(key) for z in self.event.zones]
        if any(v is not None for v in zone_values):
            return int(sum(v for v in zone_values if v is not None))
        return None

    @cached_property
    def meminfo_lines(self) -> tuple[SourceLine, ...]:
        return self.lines_of(self.event.meminfo_lines) or self.lines_of(n.line for n in self.event.nodes)

    @cached_property
    def has_memory_report(self) -> bool:
        return bool(self.event.meminfo or self.event.nodes or self.event.zones)

    @cached_property
    def free_kb(self) -> int | None:
        free = self.meminfo_kb("free")
        if free is None:
            zone_free = [z.free_kb for z in self.event.zones]
            if zone_free and all(f is not None for f in zone_free):
                free = int(sum(f for f in zone_free if f is not None))
            elif self.event.buddy:
                free = sum(b.total_kb or 0 for b in self.event.buddy)
        return free

    @cached_property
    def hugetlb_kb(self) -> int:
        return sum(h.total * h.size_kb for h in self.event.hugepages)

    @cached_property
    def hugetlb_free_kb(self) -> int:
        return sum(h.free * h.size_kb for h in self.event.hugepages)

    @cached_property
    def hugepages_lines(self) -> tuple[SourceLine, ...]:
        return self.lines(*(h.line for h in self.event.hugepages if h.total))

    @cached_property
    def breakdown(self) -> tuple[Figure, ...] | None:
        """Where RAM went, in kB; ``unaccounted`` is RAM minus everything the report accounts for."""
        from_zones = not self.event.meminfo and not self.event.nodes
        if from_zones and not self._zone_counters:
            return None
        lines = self.meminfo_lines or self.lines_of(z.line for z in self.event.zones)
        if from_zones:
            anon = sum(self.counter_kb(k) or 0 for k in ("active_anon", "inactive_anon", "isolated(anon)"))
            file_lru = sum(self.counter_kb(k) or 0 for k in ("active_file", "inactive_file", "isolated(file)"))
            unevictable = self.counter_kb("unevictable") or 0
        else:
            anon = self.meminfo_kb("active_anon", "inactive_anon", "isolated_anon") or 0
            file_lru = self.meminfo_kb("active_file", "inactive_file", "isolated_file") or 0
            unevictable = self.meminfo_kb("unevictable") or 0
        shmem = self.counter_kb("shmem") or 0
        # before the split LRU (2.6.28) show_free_areas() printed one `Active:N inactive:N` pair
        # for anonymous memory and page cache together (mm/page_alloc.c v2.6.18)
        lru = 0 if anon or file_lru or from_zones else self.meminfo_kb("Active", "inactive") or 0
        figures = [
            Figure("anon", "anonymous (process heap/stack, excluding shmem)", max(0, anon - shmem), lines),
            Figure("file", "page cache (file LRU)", file_lru, lines),
            Figure("shmem", "shmem/tmpfs (incl. SysV/POSIX shm)", shmem, lines),
            Figure("unevictable", "unevictable (mlocked, ramfs)", unevictable, lines),
            *(
                [Figure("lru", "LRU, anonymous and page cache together (this kernel prints one figure)", lru, lines)]
                if lru
                else []
            ),
            Figure("slab_reclaimable", "slab, reclaimable", self.counter_kb("slab_reclaimable") or 0, lines),
            Figure("slab_unreclaimable", "slab, unreclaimable", self.counter_kb("slab_unreclaimable") or 0, lines),
            Figure(
                "slab",
                "slab, reclaimable and unreclaimable together (this kernel prints one figure)",
                self.combined_slab_kb or 0,
                lines,
            ),
            Figure("pagetables", "page tables", self.counter_kb("pagetables") or 0, lines),
            Figure("kernel_stack", "kernel stacks", self.counter_kb("kernel_stack") or 0, lines),
            Figure("hugetlb", "HugeTLB pool", self.hugetlb_kb, self.hugepages_lines),
            Figure(
                "free", "free (incl. per-cpu lists)", (self.free_kb or 0) + (self.meminfo_kb("free_pcp") or 0), lines
            ),
        ]
        if self.reserved_kb is not None:
            figures.append(
                Figure(
                    "reserved",
                    "reserved at boot (kernel, struct page, firmware, CMA)",
                    self.reserved_kb,
                    self.ram_lines,
                )
            )
        if self.ram_kb is not None and not from_zones:
            # zone lines alone carry no global counters (5.x+ moved slab, page tables, kernel
            # stacks and shmem to the node line): nothing can be called unaccounted from them
            accounted = sum([f.kb for f in figures])
            figures.append(
                Figure(
                    "unaccounted",
                    "unaccounted (drivers, GPU, balloon, vmalloc, ZFS ARC...)",
                    max(0, self.ram_kb - accounted),
                    self.ram_lines,
                )
            )
        return tuple(figures)

    @cached_property
    def _zone_counters(self) -> bool:
        """The paste has no Mem-Info summary or node line, but every printed zone line carries its
        own LRU counters (a report cut or quoted down to its zone lines): the breakdown is then
        the sum of those zones' counters, and RAM the zones' present memory (``ram_kb``)."""
        zones = self.event.zones
        return bool(zones) and all(
            "active_anon" in z.values and "inactive_file" in z.values and "present" in z.values for z in zones
        )

    @cached_property
    def pfn_span_gap_kb(self) -> int:
        """`pages RAM` above what the zones print as present, when every zone prints it: older x86_64
        show_mem() counted the pfn span with its holes, so the gap is no memory and no counter can
        hold it (taken off "unaccounted" by OOM215 and OOM610). 0 when there is none or no way to tell."""
        present = [z.present_kb for z in self.zones]
        if not present or any(v is None for v in present) or not self.ram_kb:
            return 0
        return max(0, self.ram_kb - int(sum(v for v in present if v is not None)))

    def figure(self, name: str) -> Figure | None:
        for figure in self.breakdown or ():
            if figure.name == name:
                return figure
        return None

    # ----------------------------------------------------------------------------- zones
    @cached_property
    def zone_types(self) -> tuple[str, ...]:
        """The zone types this kernel has, in lowmem_reserve[] index order."""
        width = max((len(z.lowmem_reserve) for z in self.event.zones if z.lowmem_reserve), default=0)
        names = [n for n in ZONE_ORDER if n != "Device"]
        if self.is_32bit or "HighMem" in self.zone_names:
            names.remove("DMA32")
        else:
            names.remove("HighMem")
        if width > len(names):
            names.append("Device")
        # a kernel without ZONE_DMA32/ZONE_DMA (arm64 configs, s390...) prints fewer entries
        while width and len(names) > width:
            for candidate in ("DMA32", "DMA", "Movable"):
                if candidate in names and candidate not in self.zone_names:
                    names.remove(candidate)
                    break
            else:
                break
        return tuple(names)

    @cached_property
    def highest_zone(self) -> str | None:
        """Highest zone the request may use, from the gfp decoding."""
        zone = getattr(self.gfp, "highest_zone", None) if self.gfp is not None else None
        if zone == "DMA32" and "DMA32" not in self.zone_types:
            # a kernel without ZONE_DMA32 (every 32-bit one, arm64 configs without it) serves
            # __GFP_DMA32 from ZONE_NORMAL: include/linux/gfp.h (v2.6.31-v6.x) `#ifdef
            # CONFIG_ZONE_DMA32 #define OPT_ZONE_DMA32 ZONE_DMA32 #else ... ZONE_NORMAL`
            zone = "Normal"
        return zone if zone in ZONE_ORDER else None

    def zone_usable(self, name: str) -> bool | None:
        if self.highest_zone is None:
            return None
        if name not in ZONE_ORDER:
            return None
        if name == "Movable" and self.highest_zone != "Movable":
            return False
        # HighMem-capable requests are also Movable-capable on highmem kernels only when movable
        if self.highest_zone == "Movable":
            return True
        return ZONE_ORDER.index(name) <= ZONE_ORDER.index(self.highest_zone)

    def _reserve_kb(self, zone: Zone) -> int:
        if not zone.lowmem_reserve or self.highest_zone is None:
            return 0
        types = self.zone_types
        target = self.highest_zone
        if target not in types:
            usable = [t for t in types if self.zone_usable(t)]
            if not usable:
                return 0
            target = usable[-1]
        index = types.index(target)
        if index >= len(zone.lowmem_reserve):
            return 0
        return zone.lowmem_reserve[index] * self.page_kb

    @cached_property
    def order(self) -> int | None:
        return self.event.trigger.order if self.event.trigger else None

    @cached_property
    def alloc_rule(self) -> AllocRule:
        """The alloc_flags of the failing path for this request and kernel (see :func:`alloc_rule`)."""
        return alloc_rule(self.version, self.order, self.gfp)

    def _allowed_types(self, rule: AllocRule) -> frozenset[str]:
        allowed = set(PCP_TYPES)
        if rule.may_use_cma:
            allowed.add("C")
        if rule.may_use_highatomic:
            allowed.add("H")
        return frozenset(allowed)

    def _blocks(
        self, buddy: BuddyList | None, allowed: frozenset[str] | None = None
    ) -> tuple[int | None, int | None, int | None]:
        """Free blocks at or above the order whose free list the request may take (v4.4+: by
        migratetype); ``allowed``: ``_allowed_types`` of the request's rule, when the caller has it."""
        if buddy is None or not buddy.complete:  # (orders left out of a shortened line are unknown)
            return None, None, None
        need_kb = self.page_kb * (1 << max(0, self.order or 0))
        rule = self.alloc_rule
        if allowed is None:
            allowed = self._allowed_types(rule)

        any_type = rule.era == "2.6-4.3"  # (no free lists by migratetype before 4.4)
        # one pass over the orders: the blocks that fit (on a list the request may take) and the
        # largest free block of any kind
        blocks = kb = largest = 0
        for o in buddy.orders:
            count = o.count
            if not count:
                continue
            size_kb = o.size_kb
            if size_kb > largest:
                largest = size_kb
            if size_kb >= need_kb and (any_type or not o.migrate_types or not allowed.isdisjoint(o.migrate_types)):
                blocks += count
                kb += count * size_kb
        return blocks, kb, largest

    def _order_ok(
        self,
        zone_free_kb: int | None,
        unusable_kb: int,
        mark_kb: int | None,
        buddy: BuddyList | None,
        blocks: int | None,
    ) -> bool | None:
        """The high-order part of __zone_watermark_ok() (the order-0 part is ZoneView.below_min).

        v4.4+ (mm/page_alloc.c v4.4 "only enforce watermarks for order-0 allocations"): some
        order >= the request holds a free block on a list the request may take (U/M/E, C with
        ALLOC_CMA, H with reserve access). v2.6-v4.3: for each order below the request the pages
        free at that order are taken off and min is halved; what is left must stay above it.
        """
        order = max(0, self.order or 0)
        if order == 0:
            return True
        if buddy is None or not buddy.complete:
            return None
        rule = self.alloc_rule
        if rule.era != "2.6-4.3":
            return bool(blocks)
        if zone_free_kb is None or mark_kb is None:
            return None
        # v4.3: the loop counts free_pages less the 2^order - 1 pages only (free CMA is taken off in
        # the first comparison alone)
        free = zone_free_kb - (((1 << order) - 1) * self.page_kb)
        mark = float(mark_kb)
        by_size = {o.size_kb: o.count for o in buddy.orders}
        for o in range(order):
            size = self.page_kb << o
            free -= by_size.get(size, 0) * size
            mark /= 2
            if free <= mark:
                return False
        return True

    def _zone_terms(self, zone: Zone, buddy: BuddyList | None = None) -> tuple[int, int | None]:
        """(unusable kB, min after reserve access) for one printed zone."""
        rule = self.alloc_rule
        unusable = ((1 << rule.order) - 1) * self.page_kb
        if not rule.may_use_highatomic and rule.era != "2.6-4.3":
            reserved = zone.values.get("reserved_highatomic", 0)
            if reserved and rule.free_highatomic_only and buddy is not None and buddy.complete:
                # 6.12+: only the reserve's free pages, which the buddy list marks '(H)' (an order
                # whose letters name other types too is counted whole: the strictest floor)
                held = sum((o.count or 0) * o.size_kb for o in buddy.orders if "H" in (o.migrate_types or ""))
                reserved = min(reserved, held)
            unusable += reserved
        if not rule.may_use_cma:
            unusable += zone.values.get("free_cma", 0)
        mark = None if zone.min_kb is None else int(zone.min_kb * rule.min_share)
        return unusable, mark

    @cached_property
    def zones(self) -> tuple[ZoneView, ...]:
        buddies = {(b.node, b.zone): b for b in self.event.buddy}
        views = []
        seen = set()
        rule = self.alloc_rule
        allowed = self._allowed_types(rule)  # (once, not per zone)
        for zone in self.event.zones:
            buddy = buddies.get((zone.node, zone.name))
            blocks, kb_at, largest = self._blocks(buddy, allowed)
            values = _plain_copy(zone.values)
            unusable, mark = self._zone_terms(zone, buddy)
            views.append(
                ZoneView(
                    node=zone.node,
                    name=zone.name,
                    free_kb=zone.free_kb,
                    min_kb=zone.min_kb,
                    low_kb=zone.low_kb,
                    high_kb=zone.high_kb,
                    managed_kb=values.get("managed"),
                    present_kb=values.get("present"),
                    reserve_kb=self._reserve_kb(zone),
                    usable=False if _empty(values) else self.zone_usable(zone.name),
                    all_unreclaimable=zone.all_unreclaimable,
                    blocks_at_order=blocks,
                    kb_at_order=kb_at,
                    largest_block_kb=largest,
                    lines=self.lines(zone.line, buddy.line if buddy else None),
                    values=values,
                    unusable_kb=unusable,
                    mark_kb=mark,
                    order_ok=self._order_ok(zone.free_kb, unusable, mark, buddy, blocks),
                    rule=rule,
                )
            )
            seen.add((zone.node, zone.name))
        for buddy in self.event.buddy:
            if (buddy.node, buddy.zone) in seen:
                continue
            blocks, kb_at, largest = self._blocks(buddy, allowed)
            views.append(
                ZoneView(
                    node=buddy.node,
                    name=buddy.zone,
                    free_kb=buddy.total_kb,
                    min_kb=None,
                    low_kb=None,
                    high_kb=None,
                    managed_kb=None,
                    present_kb=None,
                    reserve_kb=0,
                    usable=self.zone_usable(buddy.zone),
                    all_unreclaimable=None,
                    blocks_at_order=blocks,
                    kb_at_order=kb_at,
                    largest_block_kb=largest,
                    lines=self.lines(buddy.line),
                    values={},
                    unusable_kb=((1 << rule.order) - 1) * self.page_kb,
                    order_ok=self._order_ok(None, 0, None, buddy, blocks) if rule.era != "2.6-4.3" else None,
                    rule=rule,
                )
            )
        return tuple(views)

    @cached_property
    def zones_not_printed(self) -> tuple[str, ...]:
        """Zone types above the request's highest zone, which 6.1+ kernels leave out of the report.

        lib/show_mem.c __show_mem(filter, nodemask, max_zone_idx) and mm/page_alloc.c (v6.1; mm/show_mem.c in
        later releases), commit 974f4367dd31 "mm: reduce noise in show_mem for lowmem allocations":
        show_free_areas() skip zones above gfp_zone(gfp_mask) (warn_alloc and the OOM dump_header
        pass it), so a lowmem request's report never shows HighMem or Movable: their absence says
        nothing about them.
        """
        if not self.version_at_least(6, 1) or self.highest_zone is None:
            return ()
        types = self.zone_types or tuple(n for n in ZONE_ORDER if n != "Device")
        if self.highest_zone not in types:
            return ()
        return tuple(types[types.index(self.highest_zone) + 1 :])

    @cached_property
    def usable_zones(self) -> tuple[ZoneView, ...]:
        """Zones the request may use (all zones when the gfp mask is unknown), allowed nodes only."""
        allowed = self.allowed_nodes
        return tuple(
            z for z in self.zones if z.usable is not False and (allowed is None or z.node is None or z.node in allowed)
        )

    # ----------------------------------------------------------------------------- NUMA
    @cached_property
    def node_ids(self) -> tuple[int, ...]:
        ids = {z.node for z in self.event.zones if z.node is not None}
        ids |= {b.node for b in self.event.buddy if b.node is not None}
        ids |= {n.node for n in self.event.nodes}
        return tuple(sorted(ids))

    @cached_property
    def allowed_nodes(self) -> set[int] | None:
        """Nodes the allocation may use: explicit nodemask, else cpuset mems_allowed; None = all."""
        texts = []
        if self.event.trigger and self.event.trigger.nodemask not in (None, "(null)"):
            texts.append(self.event.trigger.nodemask)
        summary = self.event.oom_summary
        if summary and summary.nodemask not in (None, "(null)"):
            texts.append(summary.nodemask)
        if summary and summary.mems_allowed:
            texts.append(summary.mems_allowed)
        else:
            line = self.find_lines(r"mems_allowed=([\d,\-]+)")
            if line:
                match = _MEMS_ALLOWED.search(line[0].text)
                if match:
                    texts.append(match.group(1))
        for text in texts:
            nodes = parse_node_list(text or "")
            if nodes is not None:
                return nodes
        return None

    def node_free_kb(self, node: int) -> int | None:
        zones = [z for z in self.zones if z.node == node]
        if not zones or any(z.free_kb is None for z in zones):
            return None
        return sum(z.free_kb or 0 for z in zones)

    # ----------------------------------------------------------------------------- tasks
    @cached_property
    def tasks(self) -> tuple[RowUse, ...]:
        """Task rows as the OOM killer weighs them, largest first."""
        uses = RowUse.all_of(self.event.tasks, self.page_kb)
        uses.sort(key=_ROW_BADNESS, reverse=True)
        return tuple(uses)

    @cached_property
    def task_groups(self) -> tuple[TaskUse | RowUse, ...]:
        """Rows grouped by command name (many workers of one service), largest first."""
        # The first row of each name, and the rows of the names seen more than once: no list per
        # name (a table of 100,000 distinct names would make 100,000 of them).
        first: dict[str, RowUse] = {}
        more: dict[str, list[RowUse]] = {}
        page_kb = self.page_kb  # every RowUse of self.tasks has it
        for task in self.tasks:
            name = task.row.name
            if name not in first:
                first[name] = task
            elif name in more:
                more[name].append(task)
            else:
                more[name] = [first[name], task]
        out: list[TaskUse | RowUse] = []
        for name, task in first.items():
            members = more.get(name)
            if members is None:
                out.append(task)  # a group of one row is that row
                continue
            # one pass over the members' rows (not three sums through RowUse's properties)
            rss_kb = swap_kb = pgtables_kb = 0
            adjs = set()
            rows = []
            for member in members:
                row = member.row
                # _row_rss_kb and _row_pgtables_kb inline (a call each per member was a third of
                # this property's work): the same sums
                rss = row.rss_pages
                if rss is None and row.rss_anon_pages is not None:
                    rss = (row.rss_anon_pages or 0) + (row.rss_file_pages or 0) + (row.rss_shmem_pages or 0)
                rss_kb += (rss or 0) * page_kb
                swap_kb += (row.swapents or 0) * page_kb
                tables = row.pgtables_bytes
                pgtables_kb += (
                    tables // 1024 if tables is not None else ((row.nr_ptes or 0) + (row.nr_pmds or 0)) * page_kb
                )
                adjs.add(row.oom_score_adj)
                rows.append(row)
            out.append(TaskUse(name, rss_kb, swap_kb, pgtables_kb, adjs.pop() if len(adjs) == 1 else None, tuple(rows)))
        return tuple(sorted(out, key=_BADNESS, reverse=True))

    @cached_property
    def tasks_total_kb(self) -> int:
        return sum(map(_ROW_BADNESS, self.tasks))

    @cached_property
    def victim(self) -> RowUse | None:
        kill = self.event.kill
        if kill is None:
            return None
        for task in self.tasks:
            if task.row.pid == kill.pid:
                return task
        return None

    @cached_property
    def victim_kb(self) -> int | None:
        """What the killed process held (Killed process line, else its task row)."""
        kill = self.event.kill
        if kill is not None and kill.anon_rss_kb is not None:
            return (kill.anon_rss_kb or 0) + (kill.file_rss_kb or 0) + (kill.shmem_rss_kb or 0)
        if self.victim is not None:
            return self.victim.badness_kb
        return None

    @cached_property
    def selected_process(self) -> tuple[int, str, tuple[SourceLine, ...]] | None:
        """The process the OOM killer selected when it killed one of its children instead.

        mm/oom_kill.c oom_kill_process() (v2.6.36-v4.18) prints `Kill process N (comm) score S or
        sacrifice child` for the task select_bad_process() chose, then may kill a child with its
        own memory (`Killed process M (child)`): S is the parent's score, the Killed line's RSS
        the child's. None when no such line is pasted or the killed process is the selected one.
        """
        kill = self.event.kill
        if kill is None:
            return None
        # The first line that holds a match: every match holds the literal, looked for in the
        # event's text (one find, not an `in` per line: a task table's rows are most of them),
        # then the line holding it searched, and on from the next line when it holds no match.
        text, lines = self.text, self.event.lines
        at = text.find("ill process ")
        index, counted = 0, 0
        while at >= 0:
            index += text.count("\n", counted, at)
            counted = at
            line = lines[index]
            match = SELECTED_PROCESS.search(line.text)
            if match:
                pid, comm = int(match.group(1)), match.group(2)
                if kill.pid is not None and pid != kill.pid:
                    return pid, comm, (line,)
                return None
            end = text.find("\n", at)
            if end < 0:
                break
            at = text.find("ill process ", end + 1)
        return None

    @cached_property
    def victim_name(self) -> str | None:
        if self.event.kill and self.event.kill.comm:
            return self.event.kill.comm
        if self.event.oom_summary and self.event.oom_summary.task:
            return self.event.oom_summary.task
        return self.victim.name if self.victim else None

    @cached_property
    def victim_lines(self) -> tuple[SourceLine, ...]:
        numbers = [self.event.kill.line] if self.event.kill else []
        if self.victim:
            numbers += [r.line for r in self.victim.rows]
        return self.lines(*numbers)

    # ----------------------------------------------------------------------------- swap
    @cached_property
    def swap_total_kb(self) -> int | None:
        if self.event.total_swap_kb is not None:
            return self.event.total_swap_kb
        return self._context_swap.kb if self._context_swap else None

    @cached_property
    def _context_swap(self) -> Any:
        """Configured swap as command output around the report shows it (knowledge.surroundings)."""
        return swap_total(self.dump)

    @cached_property
    def swap_free_kb(self) -> int | None:
        return self.event.free_swap_kb

    @cached_property
    def swap_lines(self) -> tuple[SourceLine, ...]:
        if self.event.total_swap_kb is None and self._context_swap:
            return tuple(self._context_swap.lines)
        return self.lines_of(self.event.swap_lines)

    # ----------------------------------------------------------------------------- OOM context
    @cached_property
    def constraint(self) -> str | None:
        if self.event.oom_summary and self.event.oom_summary.constraint:
            return self.event.oom_summary.constraint.replace("CONSTAINT", "CONSTRAINT")
        kind = self.event.kind
        return {
            "memcg-oom": "CONSTRAINT_MEMCG",
            "cpuset": "CONSTRAINT_CPUSET",
            "mempolicy": "CONSTRAINT_MEMORY_POLICY",
        }.get(kind or "")

    @cached_property
    def is_memcg(self) -> bool:
        return self.constraint == "CONSTRAINT_MEMCG" or self.event.kind == "memcg-oom"

    @cached_property
    def is_global(self) -> bool:
        """An OOM (or failure) of the whole machine, not a cgroup/cpuset/mempolicy-bounded one."""
        return self.constraint in (None, "CONSTRAINT_NONE") and self.event.kind not in ("memcg-oom", "sysrq-manual")

    @cached_property
    def kill_line_global(self) -> bool:
        """The kill line itself says the machine ran out: `Out of memory: Killed process` (or
        `Out of memory: Kill process`), not `Memory cgroup out of memory:`. mm/oom_kill.c (v5.15)
        out_of_memory() passes `!is_memcg_oom(oc) ? "Out of memory" : "Memory cgroup out of
        memory"` to oom_kill_process(), whose __oom_kill_process() prints it before `Killed
        process`; a memory cgroup's kill always says so. False for a bare `Killed process` line
        (the prefix cut away), which tells neither."""
        kill = self.event.kill
        if kill is None or kill.memcg_kill or self.is_memcg:
            return False
        return any(line.number == kill.line and "Out of memory" in line.text for line in self.event.lines)

    @cached_property
    def is_allocation_failure(self) -> bool:
        """A warn_alloc() report of a request that failed: not 4.9-4.14's stall warning, printed
        while the request was still being retried (``is_stall``)."""
        return self.event.kind == "page-allocation-failure" and self.event.stall_ms is None

    @property
    def is_stall(self) -> bool:
        """4.9-4.14's `page allocation stalls for Nms` warning: the request had not failed."""
        return self.event.stall_ms is not None

    # ----------------------------------------------------------------------------- memcg
    @cached_property
    def memcg_usage(self) -> tuple[int, int | None, tuple[SourceLine, ...]] | None:
        memcg = self.event.memcg
        if memcg is None:
            return None
        for resource in ("memory", "memory+swap"):
            for counter in memcg.counters:
                if counter.resource == resource:
                    return counter.usage_kb, counter.limit_kb, self.lines(counter.line)
        return None

    @cached_property
    def memcg_dirty(self) -> tuple[int, int] | None:
        """(dirty, under writeback) page cache of the OOM'd memory cgroup in kB, from its memory.stat:
        v1 names them `dirty`/`writeback` (`total_*` with the hierarchy), v2 `file_dirty`/
        `file_writeback` (Documentation/admin-guide/cgroup-v2.rst). None without a dirty figure."""
        dirty = self.memcg_stat_kb("dirty", "total_dirty", "file_dirty")
        if dirty is None:
            return None
        return dirty, self.memcg_stat_kb("writeback", "total_writeback", "file_writeback") or 0

    def memcg_stat_kb(self, *keys: str) -> int | None:
        """memory.stat value in kB: v2 prints bytes, v1 prints kB in the OOM report (or pages)."""
        memcg = self.event.memcg
        if memcg is None or not memcg.stats:
            return None
        for key in keys:
            if key in memcg.stats:
                value = memcg.stats[key]
                units = (memcg.stats_units or "").lower()
                if units == "bytes":
                    return value // 1024
                if units == "pages":
                    return value * self.page_kb
                return value
        return None

    @cached_property
    def memcg_lines(self) -> tuple[SourceLine, ...]:
        return self.lines_of(self.event.memcg.lines) if self.event.memcg else ()

    # ----------------------------------------------------------------------------- environment
    @cached_property
    def environment(self) -> Environment:
        paths = []
        summary = self.event.oom_summary
        if summary:
            paths += [summary.oom_memcg, summary.task_memcg, summary.cpuset]
        if self.event.memcg:
            paths += [self.event.memcg.path, self.event.memcg.task_path, self.event.memcg.stats_path]
        paths += [m.group(1) for line in self.find_lines(r"cpuset=\S+") for m in [_CPUSET.search(line.text)] if m]
        text = " ".join([p for p in paths if p])
        hardware = self.event.header.hardware if self.event.header else None
        vm_label = None
        if hardware:
            hardware_lowered = hardware.lower()
            for needle, label in _VM_HARDWARE_LOWERED:
                if needle in hardware_lowered:
                    vm_label = label
                    break
        if vm_label is None and self.kernel and _VM_RELEASE.search(self.kernel):
            vm_label = "cloud or Xen virtual machine"
        trigger = self.event.trigger.comm if self.event.trigger else None
        hypervisor_host = bool(trigger and KVM_VCPU_THREAD.match(trigger))
        # (a row's name is in its line, one of the event's: without either literal in the event's
        # text no name begins with one, and the rows need not be asked)
        if not hypervisor_host and self.event.tasks and _names_start(self.event.tasks, HYPERVISOR_STARTS):
            for row in self.event.tasks:  # (a loop, not a generator: every row of the table is asked)
                if row.name.startswith(HYPERVISOR_STARTS) and HYPERVISOR_PROCESS.match(row.name):
                    hypervisor_host = True
                    break
        cgroup_v2 = self.cgroup_v2
        if "kubepods" in text:
            return Environment(
                "kubernetes",
                "Kubernetes pod",
                True,
                True,
                vm_label is not None,
                hypervisor_host,
                cgroup_v2,
                "cgroup path contains kubepods",
            )
        if _CONTAINER_RUNTIME.search(text):
            return Environment(
                "docker",
                "container (Docker/containerd/Podman)",
                True,
                False,
                vm_label is not None,
                hypervisor_host,
                cgroup_v2,
                "cgroup path names a container runtime",
            )
        if _LXC.search(text):
            return Environment(
                "lxc",
                "LXC container",
                True,
                False,
                vm_label is not None,
                hypervisor_host,
                cgroup_v2,
                "cgroup path /lxc/",
            )
        if vm_label is not None:
            return Environment(
                "vm",
                vm_label,
                False,
                False,
                True,
                hypervisor_host,
                cgroup_v2,
                f"hardware name: {hardware}" if hardware else f"kernel {self.kernel}",
            )
        if hypervisor_host:
            return Environment(
                "bare-metal", "hypervisor host", False, False, False, True, cgroup_v2, "KVM vCPU thread / QEMU process"
            )
        if hardware:
            return Environment(
                "bare-metal", "physical machine", False, False, False, False, cgroup_v2, f"hardware name: {hardware}"
            )
        if _SYSTEMD_UNIT.search(text):
            return Environment(
                "systemd", "systemd-managed host", False, False, False, False, cgroup_v2, "systemd cgroup path"
            )
        return Environment("unknown", "unknown environment", False, False, False, False, cgroup_v2, None)

    @cached_property
    def cgroup_v2(self) -> bool | None:
        """The cgroup hierarchy as the paste shows it (None: it does not tell).

        mm/memcontrol.c mem_cgroup_print_oom_meminfo() (v4.19-v6.18): cgroup v1 prints
        `memory+swap:` and `kmem:` counters, v2 prints `swap:` and memory.stat in bytes. The
        `oom_memcg=` summary is printed on both, and the kernel version says nothing (RHEL 8,
        Ubuntu 20.04 and Debian 10 run 4.18-5.4 kernels with v1 by default), so neither is used.
        A call trace through memory_max_write is a write to a v2 memory.max: that handler is in
        the v2 interface files only (mm/memcontrol.c memory_files[], memory_cgrp_subsys's
        .dfl_cftypes, v4.19; v1's memory.limit_in_bytes is mem_cgroup_write()).
        """
        # (a frame that is the handler holds its name, which no line break splits in the frames
        # joined: the frames are asked one by one only when the join holds it)
        trace = self.event.call_trace
        if "memory_max_write" in "\n".join(trace) and any(
            f.lstrip("?").strip().lstrip(".") == "memory_max_write" for f in trace
        ):
            return True
        memcg = self.event.memcg
        if memcg is None:
            return None
        resources = {c.resource for c in memcg.counters}
        if resources & {"memory+swap", "kmem"}:
            return False
        if "swap" in resources or (memcg.stats_units or "").lower() == "bytes":
            return True
        return None

    @cached_property
    def trace_module(self) -> tuple[str, str, tuple[SourceLine, ...]] | None:
        """(module, function, line) of the call-trace frame in a loadable module that made the
        request, e.g. `p_dump_task_f+0x19/0xf0 [p_lkrg]`: out-of-tree and driver code. The first
        reliable frame past a module's allocation wrappers (clues.ALLOC_WRAPPER_FUNCTIONS: spl's
        kmem wrappers name the allocator, not zfs that called it); a frame marked `?` is a stale
        stack word the unwinder could not vouch for (arch/x86/kernel/dumpstack.c printk_stack_address(),
        `reliable ? "" : "? "`), taken only when no reliable frame is in a module. Failing those,
        the first wrapper frame. ARM and older kernels print a frame in parentheses after the
        address, `[<7f2c7a4c>] (alloc_rx_agg+0x60/0x138 [r8152])` (arch/arm/kernel/traps.c
        dump_backtrace_entry(): "[<%08lx>] (%ps) from [<%08lx>] (%pS)"; some trees print %pS for both), the caller being the `from` one."""
        # (with the module's build ID after its name where the kernel prints it: clues.TRACE_MODULE)
        frame = re.compile(
            r"(?:^|\s|\]\s*|\()(\?\s*)?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+\s+\[([A-Za-z_][\w-]*)(?:\s+[0-9a-f]{20,40})?\]"
        )
        best: tuple[int, tuple[str, str, tuple[SourceLine, ...]]] | None = None
        for line in self.event.lines:
            # (every match holds `+0x`: `in` rules most lines out; the search took about 4 us a line,
            # 13 on a zone line, so 0.2-0.6 ms an event with the task tables of the peer's dumps)
            match = frame.search(line.text) if "+0x" in line.text else None
            if not match:
                continue
            # 0: a reliable caller, 1: a `?` caller, 2: a wrapper (reliable), 3: a `?` wrapper
            rank = (2 if alloc_wrapper(match.group(2)) else 0) + (1 if match.group(1) else 0)
            if best is None or rank < best[0]:
                best = (rank, (match.group(3), match.group(2), (line,)))
                if rank == 0:
                    break
        return best[1] if best is not None else None

    def kernel_fixes(self, *, untraced: bool = False, unversioned: bool = False) -> tuple[Any, ...]:
        """The knowledge/kernel_fixes.yaml records this event fits (``kernel_fixes.matches``, which
        says what ``untraced`` and ``unversioned`` keep), worked out once per event: half a dozen
        checks ask for them."""
        key = (untraced, unversioned)
        found = self._fixes.get(key)
        if found is None:
            found = self._fixes[key] = matches(self, untraced=untraced, unversioned=unversioned)
        return found

    # ----------------------------------------------------------------------------- workload / sizing
    @cached_property
    def cgroup_paths(self) -> tuple[str, ...]:
        """Every cgroup path / unit the report names for the memory it is about: the OOM'd memcg and
        the killed task's (oom_memcg, task_memcg, the memcg lines)."""
        paths: list[str | None] = []
        summary = self.event.oom_summary
        if summary:
            paths += [summary.oom_memcg, summary.task_memcg]
        if self.event.memcg:
            paths += [self.event.memcg.path, self.event.memcg.task_path, self.event.memcg.stats_path]
        return tuple(dict.fromkeys(p for p in paths if p and p != "/"))

    def workload(self, *names: str | None) -> Any:
        """The knowledge/workloads.yaml record for these process names or the report's cgroups. A
        generic runtime's process (python3) that a record says its program runs as (``runs_as``:
        Home Assistant Core in its container) is that record's when the paste's other lines or its
        author's words name the program, and the process is not known by a more specific name
        (a server's own name, puma, stays with a record it runs as, GitLab's, when the paste names
        that product).

        The summary's `cpuset=` is the cgroup of the task that invoked the OOM killer, not of the
        one killed (mm/oom_kill.c dump_oom_summary() -> kernel/cgroup/cpuset.c
        cpuset_print_current_mems_allowed(), task_cs(current), v4.19-v6.18): it names these
        processes' workload only when one of them is that task."""
        paths = self.cgroup_paths
        summary = self.event.oom_summary
        trigger = self.event.trigger.comm if self.event.trigger else None
        if summary and summary.cpuset and summary.cpuset != "/" and trigger and trigger in names:
            paths = (*paths, summary.cpuset)
        found = recognise(names, paths)
        named = self._named_records
        if named:
            for name in names:
                if not name or recognise((name,), ()) is not found:
                    continue
                if found is not None and any(p.search(name) for p in found.runs_as):
                    continue  # the record already says what this runtime's process runs
                record = runs_as(name, named)
                if record is not None:
                    return record
        return found

    @cached_property
    def _named_records(self) -> tuple[Any, ...]:
        """The records that declare ``runs_as`` and that this event's paste names (same host), in
        the order named_programs gives."""
        if not any(w.runs_as for w in load_workloads()):
            return ()
        host = self.event.host
        out: list[Any] = []
        for named in named_programs(self.dump):
            if host and named.line.prefix and host not in named.line.prefix.split():
                continue
            record = recognise_named(named.name, named.kind)
            if record is not None and record.runs_as and record not in out:
                out.append(record)
        return tuple(out)

    @cached_property
    def named_workload(self) -> tuple[Any, Any] | None:
        """(record, surroundings.Named): the first knowledge/workloads.yaml record that a program or
        unit named elsewhere in the paste stands for: what another report of it killed
        (:meth:`_killed_by_other_reports`), then the text around the reports (a syslog program tag,
        a unit systemd logs about, the largest `top` or `docker stats` row). In a log of several
        hosts, only lines whose prefix names this event's host (or no host) count."""
        found = self._killed_by_other_reports()
        if found is not None:
            return found
        host = self.event.host
        for named in named_programs(self.dump):
            if host and named.line.prefix and host not in named.line.prefix.split():
                continue
            workload = recognise_named(named.name, named.kind)
            if workload is not None:
                return workload, named
        return None

    def _killed_by_other_reports(self) -> tuple[Any, Any] | None:
        """The first known program another report of this paste killed (same host, and for a memcg
        OOM the same memory cgroup; a kill at a cgroup's limit never counts for a global OOM): a
        report cut to its header often has a complete sibling that names what the OOM killer
        chose. Each other report costs a name lookup; only the one returned looks up its line."""

        def limit_of(event: Event) -> str | None:
            summary = event.oom_summary
            return (summary.oom_memcg if summary else None) or (event.memcg.path if event.memcg else None)

        own_limit = limit_of(self.event) if self.is_memcg else None
        for other in self.dump.events:
            kill = other.kill
            if other is self.event or other.host != self.event.host or kill is None or not kill.comm:
                continue
            if self.is_memcg and (own_limit is None or limit_of(other) != own_limit):
                continue  # a kill in another memory cgroup says nothing about this one
            if not self.is_memcg and (kill.memcg_kill or other.kind == "memcg-oom"):
                continue  # nor does a kill at a cgroup's limit about a machine-wide shortage
            workload = recognise_named(kill.comm, "process")
            if workload is None:
                continue
            at = bisect_right(other.lines, kill.line, key=_line_number) - 1
            if at >= 0 and other.lines[at].number == kill.line:
                return workload, Named(kill.comm, "process", "killed by another report in this paste", other.lines[at])
        return None

    @cached_property
    def next_ram_size_kb(self) -> int | None:
        """The next of COMMON_RAM_SIZES_KB above the RAM a machine of 1 GB or more has (by more
        than the few percent firmware and kernel keep), for a machine-wide OOM whose paste lacks
        the counters ``sizing`` needs: a first guess, said as one. None inside a memory cgroup, for
        a 32-bit kernel beyond 4 GB (OOM102), or below 1 GB, where the kernel's own boot may need
        more than one step up (OOM223 sizes that case)."""
        ram = self.ram_kb
        if not ram or ram < 1024 * 1024 * 0.9 or self.is_memcg:
            return None
        size = next((kb for kb in COMMON_RAM_SIZES_KB if kb >= ram * 1.05), None)
        if size and size > MAX_32BIT_SIZED_KB and self.is_32bit:
            return None
        return size

    @cached_property
    def sizing(self) -> dict[str, Any] | None:
        """How much the workload held that nothing could reclaim, against what it had.

        Global: anonymous + shmem + unevictable + unreclaimable slab + page tables + kernel
        stacks + HugeTLB pool (+ swap in use) against RAM (+ swap). Memory cgroup: its usage
        against its limit. The target adds SIZING_HEADROOM (25 %), rounded up to 256 MB; the
        shortfall is target minus what it had, when the workload with its headroom exceeds it. For a machine short of memory, ``size_kb`` is the
        next of COMMON_RAM_SIZES_KB that holds the target beside the swap it has, and ``swap_kb``
        (no swap configured) the shortfall rounded up to whole GB. All of it is read from one
        moment, the kill: page cache the workload reads and growth after it are not in it, so the
        figures are a floor.
        """
        if self.is_memcg:
            usage = self.memcg_usage
            if usage is None or not usage[1]:
                return None
            demand, capacity, scope = usage[0], usage[1], "limit"
        else:
            if self.breakdown is None or not self.ram_kb:
                return None
            if any(f.name == "lru" for f in self.breakdown):
                # a kernel before the split LRU (2.6.28) prints anonymous memory and page cache as
                # one figure: what nothing could reclaim is not known, so no size is given
                return None
            names = ("anon", "shmem", "unevictable", "slab_unreclaimable", "pagetables", "kernel_stack", "hugetlb")
            demand = sum([f.kb for f in self.breakdown if f.name in names])
            capacity, scope = self.ram_kb, "RAM"
            if self.swap_total_kb and self.swap_free_kb is not None:
                demand += self.swap_total_kb - self.swap_free_kb
                capacity += self.swap_total_kb
                scope = "RAM + swap"
        step = 256 * 1024
        wanted = int(demand * (1 + SIZING_HEADROOM))
        target = -(-wanted // step) * step
        # short only when the workload with its headroom exceeds what it had, not when rounding
        # the target up to 256 MB does (258 MiB held on a 511 MiB VM is not a shortfall)
        missing = max(0, target - capacity) if wanted > capacity else 0
        size_kb = swap_kb = None
        if missing and scope != "limit":
            # RAM that holds the target beside the swap the machine already has, at the next size
            # VMs, instances and DIMM sets come in; or, without swap, the shortfall as swap
            # (larger than the RAM it has by more than the few percent the firmware and kernel
            # keep: `pages RAM` of a 512 MB VM is 511.5 MB, so 512 MB is not a larger machine)
            need = max(target - (self.swap_total_kb or 0), int((self.ram_kb or 0) * 1.05))
            size_kb = next((kb for kb in COMMON_RAM_SIZES_KB if kb >= need), None)
            if size_kb and size_kb > MAX_32BIT_SIZED_KB and self.is_32bit:
                size_kb = None  # more RAM crowds a 32-bit kernel's lowmem with struct pages (OOM102)
            if not self.swap_total_kb:
                swap_kb = -(-missing // (1024 * 1024)) * 1024 * 1024
        return {
            "demand_kb": demand,
            "capacity_kb": capacity,
            "target_kb": target,
            "missing_kb": missing,
            "scope": scope,
            "size_kb": size_kb,
            "swap_kb": swap_kb,
            # the one moment the figures are read at: a stall warning (4.9-4.14) is printed while
            # the request is still being retried, before any kill
            "moment": "at the stall warning" if self.is_stall else "at the kill",
        }

    # ----------------------------------------------------------------------------- kernel facts
    @cached_property
    def min_free_reading(self) -> MinFreeReading | None:
        """vm.min_free_kbytes as the zone lines show it (:class:`MinFreeReading`), boost taken out.

        __setup_per_zone_wmarks() (mm/page_alloc.c, v2.6.x-v6.18) gives each lowmem zone
        min_free_kbytes * its managed pages / the lowmem zones' managed pages (present pages before
        3.x), and low = min + gap, high = min + 2 * gap with gap = min / 4 (v2.6-v4.5: `min >> 2`,
        high `min >> 1`) or, since 4.6 (795ae7a0de6b "mm: scale kswapd watermarks in proportion to
        memory"), max(min / 4, managed * watermark_scale_factor / 10000). Since 5.0 the printed
        min, low and high all hold watermark_boost (min_wmark_pages(), include/linux/mmzone.h,
        1c30844d2dfe), which the zone line prints as `boost:` only since a6ea8b5b9f1c
        ("mm/page_alloc.c: show watermark_boost of zone in zoneinfo", v5.16; it adds the field to
        show_free_areas() too): on 5.0-5.15 a boosted min looks like a raised min_free_kbytes.
        So, per zone, without `boost:`:
        - the unboosted min is at most min and at most 4 * (low - min), exact when min / 4 is the
          gap, as it is for any raised value (min / 4 above 0.1 % of the zone);
        - a gap wider than vm.watermark_scale_factor's default (10, 0.1 % of the zone) gives is
          min / 4, so 4 * gap is the unboosted min (unless the scale factor was raised);
        - otherwise boost_watermark() (mm/page_alloc.c v5.0+) caps the boost at max(pageblock,
          high * watermark_boost_factor / 10000), 1.5 x the unboosted high by default, so the
          unboosted min is at least min(min - pageblock, (min - 3 * gap) / 2.5).
        The sum over the printed zones is the setting when every lowmem zone is printed. Since 6.1
        a report prints only the zones up to the request's highest (974f4367dd31), a cpuset
        filters nodes (SHOW_MEM_FILTER_NODES) and pastes are cut: when the printed zones hold less
        than 80 % of the managed lowmem the page totals give (pages RAM - reserved -
        HighMem/MovableOnly), the setting is their min per managed page times that lowmem.
        """
        rows = []
        for z in self.zones:
            size = z.managed_kb if z.managed_kb is not None else z.present_kb
            if z.name not in LOWMEM_ZONES or z.min_kb is None or size == 0:
                continue
            rows.append((z, size))
        if not rows:
            return None
        may_boost = self.version_at_least(5, 0) is not False
        pageblock = self.pageblock_kb
        high_sum = low_sum = 0
        inferred = False
        for z, size in rows:
            m = z.min_kb or 0
            boost = z.values.get("boost")
            if boost is not None or not may_boost:
                m -= boost or 0
                high_sum += max(0, m)
                low_sum += max(0, m)
                continue
            gap = (z.low_kb - m) if z.low_kb is not None and z.low_kb >= m else None
            if gap is None:
                high_sum += m
                low_sum += m
                continue
            top = min(m, 4 * gap + 3 * self.page_kb)
            inferred = inferred or top < m
            high_sum += top
            if size is not None and gap > size * DEFAULT_WATERMARK_SCALE_FACTOR // 10000 + 2 * self.page_kb:
                low_sum += top  # a gap wider than the default scale factor gives is min / 4: exact
            else:
                low_sum += min(top, max(0, min(m - pageblock, int((m - 3 * gap) / 2.5))))
        sizes = [size for _, size in rows]
        printed_kb = sum(sizes) if None not in sizes else None  # type: ignore[arg-type]
        basis = printed_kb
        missing: tuple[str, ...] = tuple(n for n in self.zones_not_printed if n in LOWMEM_ZONES)
        expected = self.lowmem_from_totals_kb
        scale = 1.0
        if printed_kb and expected and (missing or printed_kb < 0.8 * expected):
            scale = expected / printed_kb
            basis = expected
        nodes = {z.node for z, _ in rows}
        zone_count = len(rows) + len(missing) * max(1, len(nodes))
        if scale > 1 and not missing:
            # nodes a cpuset left out, or a cut paste: as many zones again as the share missing
            # (never fewer than DMA, DMA32 and Normal), so khugepaged's value is not undercounted
            zone_count = max(zone_count, len(LOWMEM_ZONES), math.ceil(len(rows) * scale))
        return MinFreeReading(
            kb=int(high_sum * scale),
            low_kb=int(low_sum * scale),
            lowmem_kb=basis,
            zones=tuple(z.label for z, _ in rows),
            not_printed=missing,
            extrapolated=scale > 1,
            boost_inferred=inferred,
            zone_count=zone_count,
            lines=tuple(ln for z, _ in rows for ln in z.lines[:1]),
        )

    @cached_property
    def lowmem_from_totals_kb(self) -> int | None:
        """Managed lowmem as the page totals give it: (pages RAM - reserved - HighMem/MovableOnly)
        x page size (lib/show_mem.c, mm/show_mem.c: `pages RAM` sums present pages, `pages
        reserved` present less managed; on 64-bit kernels HighMem/MovableOnly counts ZONE_MOVABLE)."""
        totals = self.event.page_totals
        ram, reserved = totals.get("RAM"), totals.get("reserved")
        if not ram:
            return None
        high = totals.get("HighMem/MovableOnly", totals.get("HighMem")) or 0
        return max(0, ram - (reserved or 0) - high) * self.page_kb or None

    @cached_property
    def min_free_kbytes_estimate(self) -> int | None:
        """vm.min_free_kbytes as the watermarks show it (``min_free_reading``: the lowmem zones'
        min watermarks summed, boost taken out where printed or bounded by low - min)."""
        reading = self.min_free_reading
        return reading.kb if reading else None

    @cached_property
    def min_free_lowmem_kb(self) -> int | None:
        """The lowmem the kernel splits min_free_kbytes over (the reading's basis, else lowmem_kb)."""
        reading = self.min_free_reading
        return (reading.lowmem_kb if reading and reading.lowmem_kb else None) or self.lowmem_kb

    @cached_property
    def default_min_free_kbytes(self) -> int | None:
        """init_per_zone_wmark_min() / calculate_min_free_kbytes() (mm/page_alloc.c):
        int_sqrt(lowmem_kbytes * 16), clamped to [128, 65536] before 5.7 and [128, 262144] since
        (ee8eb9a5fe86 "mm/page_alloc: increase default min_free_kbytes bound", posted February
        2020, v5.7). lowmem_kbytes is nr_free_buffer_pages(): the managed pages of the zones up to
        Normal less their high watermarks, about their managed size at boot."""
        lowmem = self.min_free_lowmem_kb
        if not lowmem:
            return None
        cap = 262144 if self.version_at_least(5, 7) is not False else 65536
        return int(min(cap, max(128, math.isqrt(int(lowmem) * 16))))

    @cached_property
    def default_min_free_kbytes_any_bound(self) -> int | None:
        """``default_min_free_kbytes`` under the newer bound (262144) whatever the release: what
        the tests of a raised setting compare with, since a vendor kernel before 5.7 may carry
        ee8eb9a5fe86's bound (a setting is called raised only above both)."""
        lowmem = self.min_free_lowmem_kb
        return min(262144, math.isqrt(int(lowmem) * 16)) if lowmem else None

    @cached_property
    def pageblock_kb(self) -> int:
        """The pageblock: the PMD (THP) size, include/linux/pageblock-flags.h pageblock_order =
        HUGETLB_PAGE_ORDER (v2.6.24+), min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER) later. 2 MB with 4 kB
        pages on x86 and arm64 (1 MB on s390: HPAGE_SHIFT 20), 8 MB with sparc64's 8 kB pages
        (HPAGE_SHIFT 23), 32 MB with 16 kB and 512 MB with 64 kB pages on arm64 (PMD; the
        PAGE_BLOCK_ORDER option of 6.16 defaults to ARCH_FORCE_MAX_ORDER, 13 with 64 kB pages); on
        ppc64 (CONFIG_HUGETLB_PAGE_SIZE_VARIABLE) the default huge page size, at most 16 MB with
        64 kB pages (16 MB with the hash MMU, 2 MB with radix; set_pageblock_order()), so the
        larger is taken."""
        if self.page_kb == 4 and self.arch and self.arch.lower().startswith("s390"):
            return 1024
        if self.page_kb == 64 and self.arch and _POWERPC.match(self.arch):
            return 16 * 1024
        return {4: 2048, 8: 8 * 1024, 16: 32 * 1024, 64: 512 * 1024}.get(self.page_kb, 2048)

    @cached_property
    def thp_min_free_kbytes(self) -> int | None:
        """What khugepaged raises min_free_kbytes to when THP is enabled (set_recommended_min_free_kbytes()).

        mm/khugepaged.c (v4.8-v6.18; mm/huge_memory.c v2.6.38-v4.7): pageblock_nr_pages * nr_zones
        * 2 plus pageblock_nr_pages * nr_zones * MIGRATE_PCPTYPES^2 (= 11 pageblocks per populated
        zone up to Normal; ZONE_MOVABLE is skipped in later releases), never more than 5 % of
        lowmem (nr_free_buffer_pages() / 20). With 64 kB pages on arm64 a pageblock is 512 MB, so
        the 5 % cap is what applies (``pageblock_kb``). The zones counted are the printed lowmem
        zones, plus those the report could not print (``min_free_reading``).
        """
        lowmem = self.min_free_lowmem_kb
        reading = self.min_free_reading
        if not lowmem or reading is None:
            return None
        return int(min(self.pageblock_kb * reading.zone_count * 11, lowmem // 20))

    @cached_property
    def kernel_min_free_kbytes(self) -> int | None:
        """The highest value the kernel itself sets for this machine (the sqrt default or THP's)."""
        values = [v for v in (self.default_min_free_kbytes, self.thp_min_free_kbytes) if v]
        return max(values) if values else None

    @cached_property
    def min_free_kbytes_inflated(self) -> bool | None:
        """min_free_kbytes above MIN_FREE_INFLATED_FACTOR x what the kernel would set: someone raised it.

        Watermark-raising advice is offered only when this is not True (issue 13: never raise a
        reserve that is already the problem). Read from the reading's upper figure (a boost the
        report does not print may still be in it): OOM120 asks the lower one."""
        estimate, own = self.min_free_kbytes_estimate, self.kernel_min_free_kbytes
        if estimate is None or not own:
            return None
        if estimate > MIN_FREE_INFLATED_FACTOR * own:
            return True
        # khugepaged's own value with 32 MB or larger pageblocks (16 and 64 KiB pages) is itself
        # far above what the kernel keeps without THP (OOM120's THP reading)
        default = self.default_min_free_kbytes_any_bound
        return bool(
            self.pageblock_kb >= LARGE_PAGEBLOCK_KB and default and estimate > MIN_FREE_INFLATED_FACTOR * default
        )


@dataclass(frozen=True)
class MinFreeReading:
    """vm.min_free_kbytes read from one report's zone lines (``Analysis.min_free_reading``)."""

    kb: int  # the setting (upper figure: exact when boost is printed or min / 4 is the low-min gap)
    low_kb: int  # the least it can be with an unprinted watermark boost (5.0-5.15) taken out
    lowmem_kb: int | None  # the managed lowmem it is split over
    zones: tuple[str, ...]  # the lowmem zones printed
    not_printed: tuple[str, ...]  # lowmem zone types above the request's highest zone (6.1+)
    extrapolated: bool  # read from the printed zones' share of lowmem (zones left out or cut)
    boost_inferred: bool  # a boost the report does not print was taken out (min above 4 x (low - min))
    zone_count: int  # populated lowmem zones, for khugepaged's recommendation
    lines: tuple[SourceLine, ...]


def parse_node_list(text: str) -> set[int] | None:
    """`0-1,3` -> {0, 1, 3}; None when not a node list."""
    text = text.strip()
    if not text or not _NODE_LIST.fullmatch(text):
        return None
    nodes: set[int] = set()
    for part in text.split(","):
        if not part:
            continue
        if "-" in part:
            low, _, high = part.partition("-")
            if not (low.isdigit() and high.isdigit()):
                return None
            nodes.update(range(int(low), int(high) + 1))
        elif part.isdigit():
            nodes.add(int(part))
    return nodes

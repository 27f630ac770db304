"""Paste -> :class:`grammar.facts.Dump`: normalise, parse with the LALR grammar, assemble events.

Event assembly follows the order in which the kernel prints a report (trigger, task header,
call trace, memcg context, Mem-Info, task dump, decision, kill, reaper/panic): a line whose
section comes before the furthest section the current event has reached begins a new event.
That reads every event in a paste, including pastes that start mid-way or hold only a
fragment, and a quotation of lines already seen (an answer quoting the question) adds nothing.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any, cast

from lark.exceptions import LarkError

from .context_facts import ContextFacts, read_context
from .facts import (
    NO_STAMP,
    BuddyList,
    BuddyOrder,
    Dump,
    Event,
    Hugepages,
    Kill,
    MemcgCounter,
    MemcgInfo,
    NodeStat,
    OomSummary,
    Panic,
    SlabInfoRow,
    SourceLine,
    TaskHeader,
    TaskRow,
    Trigger,
    Unparsed,
    Watchdog,
    Zone,
    quick_constructor,
)
from .lexicon import OTHER, Classified, classify_fields, oom_parser
from .normalise import Line, decode_bytes, normalise
from .release import release_version
from .stamps import epoch, is_kernel_prefix, read_stamp
from .transform import Item, LineTransformer, oom_line_parser, read_line, task_row_parts

MAX_INPUT_BYTES = 64 * 1024 * 1024  # in-process limit; the CLI streams larger files (jsonl)
_TASK_ROW = "TASK_ROW"  # the terminal whose runs become one item (classify_lines)

# Where each line kind sits in a kernel report; None = context that never opens or splits an event.
_SECTION: dict[str, int | None] = {
    "sysrq": 0,
    "invoked": 0,
    "alloc_failure": 0,
    "alloc_stall_mode": None,  # 4.9-rc: the stall header's mode on the next line
    "cpuset_line": 1,
    "compaction_disabled": 1,
    "task_header": 1,
    "hardware": 1,
    "workqueue": 1,
    "task_process": 1,
    "call_trace_start": None,
    "trace_line": None,
    "register_line": None,
    "ratelimit": None,
    "sysrq_ignored": None,
    "separator": None,
    "memcg_task_in": 3,
    "memcg_counter": 3,
    "memcg_stats_start": 3,
    "memcg_stat": 3,
    "meminfo_start": 4,
    "percpu": 4,
    "meminfo_counters": 4,
    "legacy_meminfo": 4,
    "node_stat": 4,
    "zone": 4,
    "lowmem_reserve": 4,
    "buddy": 4,
    "hugepages": 4,
    "pagecache": 4,
    "swapcache": 4,
    "swapcache_stats": 4,
    "free_swap": 4,
    "total_swap": 4,
    "page_total": 4,
    "slab_info_start": 4,
    "slab_info_header": 4,
    "slab_info_row": 4,
    "tasks_state": 5,
    "task_table_header": 5,
    "task_row": 5,
    "oom_summary": 6,
    "kill_score": 7,
    "killed": 8,
    "oom_group": 8,
    "no_killable": 8,
    "panic": 9,
    "reaped": 9,
    "numa_note": 9,
}
# Kinds that occur once per report: a second one means a second report.
_ONCE = {
    "sysrq",
    "invoked",
    "alloc_failure",
    "task_header",
    "meminfo_start",
    "task_table_header",
    "tasks_state",
    "oom_summary",
    "kill_score",
    "killed",
    "oom_group",
    "memcg_task_in",
    "memcg_stats_start",
    "free_swap",
    "total_swap",
    "pagecache",
}
# A zone's lines in show_free_areas() (mm/show_mem.c, mm/page_alloc.c before 6.1), printed once per
# zone and report, and the fields naming the zone in each
_ZONE_LINES = {"zone": "name", "buddy": "zone"}


def _zone_line_key(item: Item) -> tuple[str, Any, Any]:
    """A zone line's kind, node and zone (``_Draft.zone_lines``)."""
    return item.kind, item.fields.get("node"), item.fields.get(_ZONE_LINES[item.kind])


# Evidence that a group of lines is a memory event (a lone header or trace is not).
_SUBSTANTIVE = {
    "invoked",
    "alloc_failure",
    "sysrq",
    "memcg_task_in",
    "memcg_counter",
    "hugepages",
    "memcg_stats_start",
    "meminfo_start",
    "meminfo_counters",
    "legacy_meminfo",
    "node_stat",
    "zone",
    "buddy",
    "free_swap",
    "total_swap",
    "page_total",
    "task_table_header",
    "task_row",
    "oom_summary",
    "kill_score",
    "killed",
    "no_killable",
}
_MAX_GAP = 60  # unrelated lines after which an open event is closed

# Call-trace frames that tell which kind of memory event printed the stack, when no line of the
# report itself survived. Only the frames at the top of the trace count (after the frames that
# print the stack): a task blocked in reclaim or waiting for oom_lock also has
# __alloc_pages_slowpath or out_of_memory deeper in its stack, but it printed no report.
# lib/dump_stack.c, arch/*/kernel/traps.c and dumpstack.c: the printing frames.
_PRINTING_FRAMES = frozenset(
    {
        "dump_stack",
        "dump_stack_lvl",
        "__dump_stack",
        "show_stack",
        "show_stack_log_lvl",
        "show_trace",
        "show_trace_log_lvl",
        "dump_backtrace",
        "dump_backtrace_entry",
        "unwind_backtrace",
        "print_stack_trace",
        "dump_stack_print_info",
        "arch_stack_walk",
        "show_regs",
        "__show_regs",
        "print_context_stack",
        "print_context_stack_bp",
        "dump_trace",
        "__warn",
        "warn_slowpath_common",
        "warn_slowpath_null",
        "warn_slowpath_fmt",
        "report_bug",
        "handle_bug",
        "exc_invalid_op",
        "asm_exc_invalid_op",
        "invalid_op",
    }
)
# mm/oom_kill.c (dump_header, oom_kill_process, out_of_memory), mm/page_alloc.c
# (__alloc_pages_may_oom, warn_alloc, __alloc_pages_slowpath), mm/memcontrol.c (the memcg charge
# path: mem_cgroup_out_of_memory, try_charge, try_charge_memcg 5.16+, mem_cgroup_oom 3.12-4.x),
# drivers/tty/sysrq.c (moom_callback, sysrq_handle_moom).
_MEMCG_FRAMES = frozenset(
    {
        "mem_cgroup_out_of_memory",
        "mem_cgroup_oom_synchronize",
        "mem_cgroup_oom",
        "try_charge",
        "try_charge_memcg",
        "__mem_cgroup_try_charge",
        "mem_cgroup_charge_common",
        "mem_cgroup_handle_oom",
        "__mem_cgroup_charge",
        "mem_cgroup_charge",
        "mem_cgroup_try_charge",
        "charge_memcg",
        "obj_cgroup_charge_pages",
        "__memcg_kmem_charge",
        "__memcg_kmem_charge_page",
        "obj_cgroup_charge",
    }
)
_SYSRQ_FRAMES = frozenset({"moom_callback", "sysrq_handle_moom"})
_OOM_FRAMES = frozenset(
    {
        "dump_header",
        "oom_kill_process",
        "__oom_kill_process",
        "out_of_memory",
        "__out_of_memory",
        "pagefault_out_of_memory",
        "__alloc_pages_may_oom",
        "check_panic_on_oom",
        "dump_tasks",
        "select_bad_process",
        "oom_kill_task",
    }
)
_ALLOC_FAILURE_FRAMES = frozenset({"warn_alloc", "warn_alloc_failed", "warn_alloc_show_mem", "__alloc_pages_slowpath"})
_EVENT_FRAMES = _MEMCG_FRAMES | _SYSRQ_FRAMES | _OOM_FRAMES | _ALLOC_FAILURE_FRAMES


def _trace_kind(items: list[Item]) -> str | None:
    """The event kind the top of the first call trace in ``items`` shows, or None."""
    chain: set[str] = set()
    for item in items:
        if item.kind != "trace_line":
            if chain and item.kind == "call_trace_start":
                break  # a second trace: the first one decided
            continue
        function = (item.fields.get("function") or "").split(".")[0]
        if not function:
            continue
        if function in _EVENT_FRAMES:
            chain.add(function)
        elif function in _PRINTING_FRAMES or item.fields.get("unreliable"):
            continue
        else:
            break  # the first frame of other work: the event frames (if any) are above it
    if not chain:
        return None
    if chain & _MEMCG_FRAMES:
        return "memcg-oom"
    if chain & _SYSRQ_FRAMES:
        return "sysrq-manual"
    if chain & _OOM_FRAMES:
        return "oom-kill"
    return "page-allocation-failure"


_RELEASE_ARCH = (
    (re.compile(r"x86_64|amd64"), "x86_64"),
    (re.compile(r"aarch64|arm64|-v8\+|-rpi-v8|-rpi-2712"), "arm64"),  # Raspberry Pi: -v8+, -rpi-v8, -rpi-2712
    (re.compile(r"i[3-6]86|686-pae|\.i686|-pae\b|x86[-_]32"), "i686"),
    (re.compile(r"ppc64le"), "ppc64le"),
    (re.compile(r"ppc64"), "ppc64"),
    (re.compile(r"s390x"), "s390x"),
    (re.compile(r"armv7|armhf|-v7\+|-v7l\+|-v6\+|-rpi-v[67]|-ARCH\b.*arm"), "arm"),
    (re.compile(r"mips"), "mips"),
    (re.compile(r"xtensa"), "xtensa"),
    (re.compile(r"riscv64"), "riscv64"),
)


@dataclass
class _Draft:
    """An event being assembled."""

    items: list[Item] = field(default_factory=list)
    unparsed: list[Item] = field(default_factory=list)
    pending: list[Item] = field(default_factory=list)
    reached: int = -1
    kinds: set[str] = field(default_factory=set)
    stamp: float | None = None  # uptime stamp of the last line added
    zone_lines: set[tuple[str, Any, Any]] = field(default_factory=set)  # the zone lines held (_zone_line_key)

    def accepts(self, item: Item) -> bool:
        kind = item.kind
        section = _SECTION.get(kind)
        if section is None:
            return self.reached < 8
        if section != 4 and self.items and self.items[0].kind == "sysrq" and _show_memory(self):
            return False  # SysRq-m prints show_mem() only: a report line after it is another event
        if kind in ("invoked", "alloc_failure"):
            # `SysRq : Manual OOM execution` is followed by its own `invoked` line
            # ... and a stack dumped just before the report (2.6 kernels with a dump_stack()
            # ahead of the `oom-killer:` line) is that report's trace, when nothing comes between.
            return (
                self.kinds == {"sysrq"}
                or self.kinds <= {"ratelimit"}
                or (
                    not self.pending
                    and self.kinds <= {"call_trace_start", "trace_line"}
                    and _trace_kind(self.items) is not None
                )
            )
        if (
            kind in ("panic", "no_killable")
            and "killed" in self.kinds
            and (kind == "no_killable" or _OOM_PANIC.search(item.fields.get("reason") or ""))
        ):
            # out_of_memory() that killed a victim returns; one that finds none to kill (or panics
            # under panic_on_oom) is a later call, with its own report (mm/oom_kill.c, 2.6-6.x)
            return False
        if (
            kind == "killed"
            and "killed" in self.kinds  # (every line of self.items but a reaped one is of self.kinds)
            and any(
                other.kind == "killed" and other.fields.get("pid") == item.fields.get("pid") for other in self.items
            )
        ):
            return True  # the same kill printed twice is still one event
        if kind == "killed" and "oom_group" in self.kinds:
            # memory.oom.group: the same oom_kill_process() call kills every task of the group after the
            # victim, one kill line each (mm/oom_kill.c oom_kill_memcg_member(), 4.19-6.x): one event
            return True
        if (
            kind == "free_swap"
            and "free_swap" in self.kinds
            and any(
                other.kind == "free_swap" and other.fields.get("kb") == item.fields.get("kb") for other in self.items
            )
        ):
            return True  # 2.6 x86_64 show_mem() adds `Free swap: NkB` to show_swap_cache_info()'s `Free swap  = NkB`
        if kind == "memcg_stats_start" and self.reached <= 3 and _subgroup_stats(self.items, item):
            return True
        if kind in _ONCE and kind in self.kinds:
            return False
        if kind in _ZONE_LINES and _zone_line_key(item) in self.zone_lines:
            return False  # show_free_areas() prints each zone once: a second report, its header not printed
        if kind in ("task_header", "hardware") and "panic" in self.kinds:
            return True  # panic() dumps the stack of the task that hit the OOM
        if kind == "reaped":
            return True
        return section >= self.reached or (section <= 2 and self.reached <= 3)

    def add(self, item: Item) -> None:
        if self.pending:
            self.unparsed.extend(self.pending)
            self.pending.clear()
        self.items.append(item)
        self.kinds.add(item.kind)
        if item.kind in _ZONE_LINES:
            self.zone_lines.add(_zone_line_key(item))
        section = _SECTION.get(item.kind)
        if section is not None and section > self.reached and item.kind != "reaped":
            self.reached = section


def parse_text(data: str | bytes, *, first_line: int = 1) -> Dump:
    """Parse a whole paste. Never raises on bad input: problems become ``Dump.warnings``.

    ``first_line`` is the number of the paste's first line: a window cut out of a big log
    (``grammar.windows``) passes its place in the file, so every fact is numbered as in the file.
    """
    size = len(data)
    if size > MAX_INPUT_BYTES:
        return Dump(
            None,
            None,
            None,
            (),
            (
                f"input is {size // (1024 * 1024)} MB; the limit is "
                f"{MAX_INPUT_BYTES // (1024 * 1024)} MB (use `oomlens analyze --format jsonl` for big logs)",
            ),
            0,
        )
    text, warnings = decode_bytes(data)
    if not text.strip():
        return Dump(None, None, None, (), tuple(warnings) or ("input is empty",), 0)
    oom_line_parser()  # built before the normaliser classifies: both then share one load of the grammar
    normalised = normalise(text)
    del text  # a big paste: each copy counts
    warnings.extend(normalised.warnings)
    physical_lines, lines = normalised.physical_lines, _oldest_first(normalised.lines)
    del normalised
    if first_line != 1:
        lines = tuple(line._replace(number=line.number + first_line - 1) for line in lines)
    context = read_context(lines)
    items = classify_lines(lines)
    prose = prose_lines(items, context)
    if prose:
        context = dataclasses.replace(context, prose=prose)
    del lines  # the items keep each line's text and prefix; the lines themselves are not needed again
    dump = assemble(items, physical_lines, warnings)
    # the program tags an event may read, now that the events' hosts are known
    context = context.tags_for_hosts({event.host for event in dump.events if event.host})
    return dataclasses.replace(dump, context=context)


_LATE = 4102444800.0  # 2100-01-01: the year a stamp without one is read in (only their order counts)


def _clock(prefix: str, wall: bool) -> float | None:
    """The wall clock (``wall``) or the printk stamp of a log prefix, in seconds."""
    stamp = read_stamp(prefix)
    if not wall:
        return stamp.uptime_s
    return epoch(stamp.time, _LATE) if stamp.time is not None else None


# What the kernel prints right after a line that opens a section of its report: in a paste
# listed newest first, those lines come right before it.
_TASK_HEADERS = ("TASK_HEADER_NEW", "TASK_HEADER_OLD", "TASK_HEADER_CUT")
_SECTION_BODY = {
    "INVOKED": ("CPUSET_LINE", *_TASK_HEADERS),
    "LEGACY_INVOKED": ("CPUSET_LINE", *_TASK_HEADERS),
    "INVOKED_CUT": ("CPUSET_LINE", *_TASK_HEADERS),
    "ALLOC_FAILURE": _TASK_HEADERS,
    "ALLOC_FAILURE_CUT": _TASK_HEADERS,
    "VMALLOC_FAILURE": _TASK_HEADERS,
    "VMALLOC_FAILURE_CUT": _TASK_HEADERS,
    "ALLOC_STALL": ("CPUSET_LINE", *_TASK_HEADERS),
    "CPUSET_LINE": _TASK_HEADERS,
    "TASK_HEADER_NEW": ("HARDWARE",),
    "TASK_HEADER_OLD": ("HARDWARE",),
    "CALL_TRACE_START": ("TRACE_LINE", "TRACE_LINE_CUT"),
    "MEMINFO_START": ("MEMINFO_COUNTERS", "LEGACY_MEMINFO"),
    "TASK_TABLE": ("TASK_ROW",),
    "MEMCG_STATS_START": ("MEMCG_STAT",),
    "MEMCG_TASK_IN": ("MEMCG_COUNTER",),
    "PAGECACHE": ("SWAPCACHE",),
    "SWAPCACHE": ("SWAPCACHE_STATS", "FREE_SWAP"),
    "FREE_SWAP": ("TOTAL_SWAP",),
    "TOTAL_SWAP": ("PAGE_TOTAL",),
    "OOM_SUMMARY": ("KILLED", "KILLED_CUT"),
    "KILL_SCORE": ("KILLED", "KILLED_CUT"),
}

_ROW_PID = re.compile(r"\[\s*(\d+)\]")
_ZONE_RANK = {"DMA": 0, "DMA32": 1, "Normal": 2, "HighMem": 3, "Movable": 4, "Device": 5}
_ZONE_NAME_AT = {"ZONE": 1, "ZONE_CUT": 1, "BUDDY": 1, "BUDDY_CUT": 1}  # the zone name's group in each terminal
_ZONE_REPORT = frozenset(("ZONE", "ZONE_CUT", "LOWMEM_RESERVE", "BUDDY", "BUDDY_CUT"))
_OPENINGS = frozenset(
    (
        "INVOKED",
        "LEGACY_INVOKED",
        "INVOKED_CUT",
        "ALLOC_FAILURE",
        "ALLOC_FAILURE_CUT",
        "VMALLOC_FAILURE",
        "VMALLOC_FAILURE_CUT",
        "ALLOC_STALL",
    )
)


def _printed_backwards(lines: Sequence[Line]) -> tuple[Sequence[Line], bool | None]:
    """Whether the report's sections run backwards (`Call Trace:` below its frames, the task
    table's header below its rows) more often than forwards; None when no section shows an order.
    The lines come back classified (the parser then takes each classification from its line)."""
    lines = [
        line if line.classified is not None else line._replace(classified=classify_fields(line.text)) for line in lines
    ]
    kinds = [line.classified.kind for line in lines]  # type: ignore[union-attr]
    forward = backward = 0
    for index, kind in enumerate(kinds):
        body = _SECTION_BODY.get(kind)
        if body is None:
            continue
        after = index + 1 < len(kinds) and kinds[index + 1] in body
        before = index > 0 and kinds[index - 1] in body
        forward += after
        backward += before and not after
    # the task table lists tasks in the task list's order (mm/oom_kill.c dump_tasks), which is
    # mostly that of their pids
    last_pid = -1
    for line, kind in zip(lines, kinds, strict=True):
        if kind != "TASK_ROW":
            last_pid = -1
            continue
        pid = _ROW_PID.match(line.text)
        if pid is not None:
            value = int(pid.group(1))
            if last_pid >= 0 and value != last_pid:
                forward += value > last_pid
                backward += value < last_pid
            last_pid = value
    # zones are reported in their order (mm/page_alloc.c: for_each_populated_zone): DMA first
    order = -1
    for line, kind in zip(lines, kinds, strict=True):
        if kind in _ZONE_NAME_AT:
            values = line.classified.values  # type: ignore[union-attr]
            name = values[_ZONE_NAME_AT[kind]] if len(values) > _ZONE_NAME_AT[kind] else None
            rank = _ZONE_RANK.get(name, -1) if isinstance(name, str) else -1
            if rank >= 0 and order >= 0 and rank != order:
                forward += rank > order
                backward += rank < order
            order = rank if rank >= 0 else order
        elif kind not in _ZONE_REPORT:
            order = -1
    # a report opens with its trigger line: at the top of a paste listed in order, at the bottom of
    # one listed newest first
    known = [kind for kind in kinds if kind != OTHER]
    if len(known) > 1:
        forward += known[0] in _OPENINGS and known[-1] not in _OPENINGS
        backward += known[-1] in _OPENINGS and known[0] not in _OPENINGS
    return lines, (backward > forward) if forward or backward else None


def _oldest_first(lines: Sequence[Line]) -> tuple[Line, ...]:
    """The lines in the order the kernel printed them, when the paste lists its log newest first
    (`journalctl -r`, a Kibana, Grafana or CloudWatch table sorted by time descending): its
    stamps, the wall clock when the lines show one (what such a list is sorted by), else the
    printk stamp, never step forward, and the report's sections run backwards (or, when no section
    shows an order, the stamps step back at least twice). Each stamped line moves with the lines without a prefix
    right below it (the rest of its record); the lines around the log stay where they are, and
    every line keeps its number (events are listed in the paste's order)."""
    stamped = [index for index, line in enumerate(lines) if line.prefix]
    if len(stamped) < 2:
        return tuple(lines)
    first, last = read_stamp(lines[stamped[0]].prefix), read_stamp(lines[stamped[-1]].prefix)
    wall = first.time is not None and last.time is not None
    start, end = _clock(lines[stamped[0]].prefix, wall), _clock(lines[stamped[-1]].prefix, wall)
    if start is None or end is None or start < end:  # (a log in the order printed: two stamps read)
        return tuple(lines)
    if start == end:
        # Stamps that never step forward from the first to an equal last one are all equal (no
        # step back), so the report's order alone decides: asked first, it spares reading every
        # stamp of a log whose report was printed within one second of the wall clock, the
        # common case of a syslog (the classification it makes is the parser's: never wasted).
        lines, backwards = _printed_backwards(lines)
        if not backwards:
            return tuple(lines)
    back = 0
    previous = None
    for index in stamped:
        moment = _clock(lines[index].prefix, wall)
        if moment is None:
            continue
        if previous is not None:
            if moment > previous:
                return tuple(lines)  # a step forward: not a list sorted newest first
            back += moment < previous
        previous = moment
    # the report's own order decides whenever it shows one: a few stamps stepping back can be
    # another host's lines or a later day's pasted below a report printed within one second
    lines, backwards = _printed_backwards(lines)
    if not (backwards or (backwards is None and back >= 2)):
        return tuple(lines)
    stop = stamped[-1] + 1
    while stop < len(lines) and not lines[stop].prefix and lines[stop].number == lines[stop - 1].number + 1:
        stop += 1  # the rest of the last record (a blank line ends it: a person's text follows)
    records: list[list[Line]] = []
    for line in lines[stamped[0] : stop]:
        if line.prefix:
            records.append([line])
        else:
            records[-1].append(line)
    return (*lines[: stamped[0]], *itertools.chain.from_iterable(reversed(records)), *lines[stop:])


# A person's own words around a log: a word of letters (an apostrophe or hyphen inside it), in
# quotes or brackets, followed by punctuation. Sentences are mostly such words; log and command
# lines are mostly numbers, paths, key=value pairs and addresses.
_PROSE_WORDS = re.compile(r"(?<!\S)[\"'(\[]?[A-Za-z][A-Za-z'-]*[\"')\],.;:!?]*(?!\S)")
# Chinese and Japanese put no space between words, and a Korean word carries its particles: a run
# of their characters is a clause, not a token. Each two such characters count as one word (the
# words of those languages are one to three characters long). Compiled when a line that is not
# ASCII first asks (a class of these ranges costs some milliseconds to compile).


@cache
def _prose_cjk() -> re.Pattern[str]:
    return re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


_PROSE_MIN_WORDS = 3
_PROSE_MAX_LINES = 200  # the words of a message, not a whole unprefixed file


def prose_lines(items: list[Item], context: ContextFacts) -> tuple[SourceLine, ...]:
    """The paste's lines of a person's own words (``ContextFacts.prose``): lines the OOM grammar
    reads as no kernel line (nor as a kernel line it keeps fields of: the `Linux version ...
    (gcc ...)` banner, a `uname -a`) and the context grammar as no command output, that carry no log
    prefix (the lines ``assemble`` takes for prose between quoted reports), and that are shaped
    like a sentence: at least three words, and words at least half of the line's tokens (every two
    Chinese, Japanese or Korean characters counting as a word). The first ``_PROSE_MAX_LINES`` of
    them."""
    taken = {c.line.number for c in context.lines}
    out: list[SourceLine] = []
    words_of = _PROSE_WORDS.findall
    for item in items:
        if item.kind != "other" or item.prefix or item.fields or not item.text or item.number in taken:
            continue
        words = len(words_of(item.text))
        if not item.text.isascii():
            words += len(_prose_cjk().findall(item.text)) // 2
        if words >= _PROSE_MIN_WORDS and 2 * words >= len(item.text.split()):
            out.append(SourceLine(item.number, item.text, ""))
            if len(out) >= _PROSE_MAX_LINES:
                break
    return tuple(out)


def classify_lines(lines: tuple[Line, ...]) -> list[Item]:
    """Run the LALR grammar over normalised lines; one :class:`Item` per line, numbered, except
    that a run of task rows with the same log prefix is one item (its first row, the others in
    ``Item.run``): the assembler would put every row of such a run where it put the first (same
    host, caller and stamp, same section), so it takes the run whole.

    Each line is of the terminal the normaliser's classification found (a line it did not ask
    about is classified here), and a run of lines of one terminal is one token: ``start`` is a
    flat repetition of one-terminal rules, so the parser's steps for the other lines of a run
    would be the same as for the first. The rule's Transformer method reads each of them
    (``read_line``)."""
    if not lines:
        return []
    classified_lines: list[Classified] = []
    starts: list[int] = []  # where each run of one terminal begins
    previous = None
    for index, line in enumerate(lines):
        classified = line.classified or classify_fields(line.text)
        classified_lines.append(classified)
        if classified.kind != previous:
            starts.append(index)
            previous = classified.kind
    heads = [(lines[start].text, classified_lines[start]) for start in starts]
    try:
        parsed: list[Item] = oom_line_parser().parse(heads)  # type: ignore[assignment]
    except LarkError:
        # Unreachable with the catch-all OTHER terminal; parse line by line rather than fail.
        parsed = []
        for text, _ in heads:
            try:
                parsed.extend(LineTransformer().transform(oom_parser().parse(text + "\n")))
            except LarkError:
                parsed.append(Item("other", text))
    items: list[Item] = []
    long_names: list[int] = []  # trigger lines naming a task longer than a comm, by place in items
    for item, start, end in zip(parsed, starts, [*starts[1:], len(lines)], strict=True):
        kind = classified_lines[start].kind
        opening = kind in _OPENINGS
        index = start
        while index < end:
            line = lines[index]
            if index > start:
                item = read_line(kind, line.text, classified_lines[index].values)
            item.number = line.number
            item.prefix = line.prefix
            item.text = line.text
            index += 1
            if opening:
                if item.fields.get("shows_nothing") and not is_kernel_prefix(line.prefix):
                    # `kvm invoked oom-killer` shows no field: the kernel's line only under its prefix
                    item = Item("other", line.text, number=line.number, prefix=line.prefix)
                elif len(item.fields.get("comm") or "") > COMM_MAX or _FIELD_LABEL.match(item.fields.get("comm") or ""):
                    long_names.append(len(items))
            if kind == _TASK_ROW:  # the rows after it with its prefix are its run
                follow = index
                while follow < end and lines[follow].prefix == line.prefix:
                    follow += 1
                if follow > index:
                    item.run = lines[index:follow]
                    index = follow
            items.append(item)
    for place in long_names:
        if _quotes_a_kernel_line(items, place):
            quoted = items[place]
            items[place] = Item("other", quoted.text, number=quoted.number, prefix=quoted.prefix)
    return items


# The kernel keeps a task's name in TASK_COMM_LEN bytes with the NUL (16, include/linux/sched.h,
# 2.6 to 7.x): `invoked oom-killer` and `page allocation failure` print at most 15 characters of it.
COMM_MAX = 15
# A task name that opens with a capitalised word and ': ' ('Summary: X', 'Subject: X'): a bug form's
# or a mail's field holding the kernel's line, which _quotes_a_kernel_line tests like a name too long
# for a comm (a comm may hold ': ', so only the kernel's own line elsewhere in the paste settles it)
_FIELD_LABEL = re.compile(r"[A-Z][a-z]+: ")
# lines from a trigger line to the `CPU: .. PID: .. Comm:` header dump_stack() prints after it
# (warn_alloc(): the line, the cpuset line, then dump_stack(); dump_header() likewise)
_HEADER_REACH = 6


def _quotes_a_kernel_line(items: list[Item], place: int) -> bool:
    """Whether the trigger line at ``place``, whose task name is longer than a comm can be or opens
    with a field's label (``_FIELD_LABEL``), quotes the kernel's words in a person's text (an
    article's title, a bug form's `Summary:` field): the paste shows the kernel's own line
    elsewhere, its task name (a comm) the end of the quoted one, with the same order and the same
    mask (or none, where the quote was wrapped or cut before it), and the task header printed after
    the quoted line, if any, does not name that comm (another writer's text spliced before the
    kernel's line, a console's status line, keeps its header's comm)."""
    quoted = items[place]
    comm = quoted.fields["comm"]
    for item in items[place + 1 : place + 1 + _HEADER_REACH]:
        if item.kind == "task_header":
            if item.fields.get("comm") and comm.endswith(item.fields["comm"]):
                return False
            break
        if item.kind in ("invoked", "alloc_failure"):
            break
    order, mask = quoted.fields.get("order"), quoted.fields.get("gfp_mask")
    return any(
        item.kind == quoted.kind
        and 0 < len(item.fields.get("comm") or "") <= COMM_MAX
        and comm.endswith(item.fields["comm"])
        and item.fields.get("order") == order
        and (mask is None or item.fields.get("gfp_mask") == mask)
        for item in items
        if item is not quoted
    )


# What panic() prints after its `Kernel panic - not syncing:` line: the stack of the panicking task
# (kernel/panic.c panic() -> dump_stack(): the CPU line, hardware name, call trace and registers).
_PANIC_DUMP = frozenset(("task_header", "hardware", "call_trace_start", "trace_line", "register_line"))


@dataclass
class _Stream:
    """The lines of one printer: one host (as its log prefix names it) and one printk caller id."""

    current: _Draft | None = None
    gap: int = 0
    in_panic_dump: bool = False  # after a panic that is no memory event: its own stack dump follows


def _stream_keys(items: list[Item]) -> list[tuple[str | None, str | None]]:
    """(host, caller id) of each item. A line without a host field (a wrapped piece, bare dmesg
    lines pasted after syslog ones) belongs to the host of the line before it; a dated syslog or
    ISO line that names no host is from no named host. Likewise the caller id."""
    keys: list[tuple[str | None, str | None]] = []
    host: str | None = None
    callers: dict[str | None, str | None] = {}
    key: tuple[str | None, str | None] = (None, None)
    # Kernel lines without a prefix that open a report right above the log's first prefixed line,
    # itself a kernel line (no other line between), are that report's first lines, whose prefix
    # the copy left out (a selection started after it, a person pasting the warning line on its own
    # above the log it comes from): they take its host and caller. (A run that does not open a
    # report is the end of one of its own; another program's log may follow any of them.)
    leading: list[int] | None = []
    for item in items:
        if not item.prefix:  # no stamp: host and caller stay, and so does the key
            if leading is not None:
                if item.kind != "other":
                    leading.append(len(keys))
                else:
                    leading.clear()
            keys.append(key)
            continue
        stamp = read_stamp(item.prefix)
        if stamp.host is not None or stamp.time is not None:
            host = stamp.host
        if stamp.caller is not None:
            callers[host] = stamp.caller
        caller = callers.get(host)
        if key[0] != host or key[1] != caller:
            key = (host, caller)
        if leading is not None:
            if leading and item.kind != "other" and items[leading[0]].kind in ("invoked", "alloc_failure"):
                for place in leading:
                    keys[place] = key
            leading = None
        keys.append(key)  # the same tuple while the key stays: one per line would be 6 MB per 100,000 lines
    # The `oom-kill:` summary and the `Killed process` line are printed one right after the other for one victim
    # (mm/oom_kill.c 4.19+: dump_header() ends with dump_oom_summary(), then __oom_kill_process() prints the kill):
    # a summary without a prefix (the wrapped tail of a record whose prefix was cut off) on the line just before a
    # prefixed kill line of the same pid is that printer's, wherever it sits (a window of a big log reads it as
    # the whole log does: the pair decides, not the lines around it).
    for index, item in enumerate(items[:-1]):
        if item.kind == "oom_summary" and not item.prefix:
            kill = items[index + 1]
            if (
                kill.kind == "killed"
                and kill.prefix
                and kill.number == item.number + 1
                and str(kill.fields.get("pid")) == item.fields.get("values", {}).get("pid")
            ):
                keys[index] = keys[index + 1]
    return keys


# What a watchdog prints after its first line (kernel/watchdog.c, kernel/hung_task.c
# sched_show_task(), kernel/rcu/tree_stall.h): the `CPU: ... Comm:` header, `Hardware name`,
# registers, `Call Trace:` and frames (`<IRQ>`/`<TASK>` markers among them).
_WATCHDOG_BODY = frozenset(
    {
        "task_header",
        "task_process",
        "hardware",
        "workqueue",
        "register_line",
        "call_trace_start",
        "trace_line",
        "trace_line_cut",
        "ellipsis",
        "separator",
    }
)
_WATCHDOG_DETAIL_LINES = (
    12  # unknown lines between a watchdog's first line and its trace (`rcu: 3-....:`, `task:X state:D`)
)
_WATCHDOG_REACH = _MAX_GAP  # lines between a watchdog report and the event it is told with


@dataclass
class _WatchdogReport:
    """A watchdog's first line and the lines of its report that follow it (one printer)."""

    first: Item
    key: tuple[str | None, str | None]
    body: list[Item] = field(default_factory=list)
    pending: list[Item] = field(default_factory=list)  # unknown lines, kept only when a body line follows
    traced: bool = False


def _watchdog_reports(
    items: list[Item], keys: list[tuple[str | None, str | None]]
) -> tuple[list[_WatchdogReport], set[int]]:
    """The watchdog reports of a paste, each with the lines printed after its first line by the
    same printer: the header, registers and call trace, and before the trace up to
    _WATCHDOG_DETAIL_LINES lines the grammar does not know. The positions (in ``items``) of the
    lines they hold, which are no lines of a memory report. A report whose call trace runs, at
    its top, through the OOM or allocation-failure path (a task stuck in the OOM killer itself)
    leaves its header and trace to the event they make, as they did before watchdogs were read."""
    if not any(item.kind == "watchdog" for item in items):
        return [], set()
    reports: list[_WatchdogReport] = []
    open_report: dict[tuple[str | None, str | None], _WatchdogReport] = {}
    positions: dict[int, int] = {}  # id(item) -> position

    def close(key: tuple[str | None, str | None]) -> None:
        report = open_report.pop(key, None)
        if report is not None:
            report.pending.clear()

    for position, (item, key) in enumerate(zip(items, keys, strict=False)):
        positions[id(item)] = position
        kind = item.kind
        report = open_report.get(key)
        if kind == "watchdog":
            close(key)
            report = open_report[key] = _WatchdogReport(item, key)
            reports.append(report)
            continue
        if report is None:
            continue
        if kind == "other" and not report.traced and len(report.pending) < _WATCHDOG_DETAIL_LINES:
            report.pending.append(item)
            continue
        if kind not in _WATCHDOG_BODY:
            close(key)
            continue
        if kind == "task_header" and (report.traced or any(i.kind == "task_header" for i in report.body)):
            close(key)
            continue
        if kind == "call_trace_start" and report.traced:
            close(key)
            continue
        report.body.extend(report.pending)
        report.pending.clear()
        report.body.append(item)
        if kind in ("trace_line", "trace_line_cut"):
            report.traced = True
    for key in list(open_report):
        close(key)
    taken: set[int] = set()
    for report in reports:
        taken.add(positions[id(report.first)])
        if _trace_kind(report.body) is None:
            taken.update(positions[id(item)] for item in report.body)
    return reports, taken


def _watchdog_fact(report: _WatchdogReport) -> Watchdog:
    fields = report.first.fields
    header = next((item.fields for item in report.body if item.kind == "task_header"), None)
    cpu, comm, pid = fields.get("cpu"), fields.get("comm"), fields.get("pid")
    if header is not None and fields.get("watchdog") in ("soft-lockup", "hard-lockup", "rcu-stall"):
        # the stuck CPU's own header (a hung task's report prints none)
        cpu = cpu if cpu is not None else header.get("cpu")
        comm = comm or header.get("comm")
        pid = pid if pid is not None else header.get("pid")
    frames = tuple(
        function
        for item in report.body
        if item.kind in ("trace_line", "trace_line_cut") and (function := item.fields.get("function"))
    )
    return Watchdog(
        kind=fields["watchdog"],
        cpu=cpu,
        seconds=fields.get("seconds"),
        comm=comm,
        pid=pid,
        line=_source_line(report.first.number, report.first.text, report.first.prefix),
        call_trace=frames,
        lines=(report.first.number, *(item.number for item in report.body)),
    )


def _attach_watchdogs(events: list[Event], reports: list[_WatchdogReport]) -> list[Event]:
    """Each watchdog report told with the event of its host it sits in, else the one it follows
    within _WATCHDOG_REACH lines, else the one it precedes within as many lines: a stall during
    or right after an OOM belongs to that OOM's account. A report near no event is dropped (a
    watchdog alone is no memory event)."""
    attached: dict[int, list[Watchdog]] = {}
    for report in reports:
        host = report.key[0]
        start = report.first.number
        end = report.body[-1].number if report.body else start
        mine = [index for index, event in enumerate(events) if event.host == host]
        inside = [i for i in mine if events[i].first_line <= start <= events[i].last_line]
        before = [i for i in mine if events[i].last_line < start and start - events[i].last_line <= _WATCHDOG_REACH]
        after = [i for i in mine if events[i].first_line > end and events[i].first_line - end <= _WATCHDOG_REACH]
        if inside:
            chosen = inside[-1]
        elif before:
            chosen = max(before, key=lambda i: events[i].last_line)
        elif after:
            chosen = min(after, key=lambda i: events[i].first_line)
        else:
            continue
        attached.setdefault(chosen, []).append(_watchdog_fact(report))
    return [
        dataclasses.replace(event, watchdogs=tuple(attached[index])) if index in attached else event
        for index, event in enumerate(events)
    ]


def assemble(items: list[Item], physical_lines: int, warnings: list[str]) -> Dump:
    """Group classified lines into events, separately for each host and printk caller id, so a
    central syslog interleaving several machines (or CPUs printing at once) gives each its own
    events whole. Watchdog reports (soft lockup, RCU stall, hung task) are set apart first and
    told with the event they sit in or next to (``Event.watchdogs``)."""
    drafts: list[_Draft] = []
    streams: dict[tuple[str | None, str | None], _Stream] = {}
    keys = _stream_keys(items)
    host_of: dict[int, str | None] = {}
    watchdog_reports, watchdog_lines = _watchdog_reports(items, keys)
    for position, (item, key) in enumerate(zip(items, keys, strict=False)):
        if watchdog_lines and position in watchdog_lines:
            continue  # a watchdog's report: not a line of any memory report
        stream = streams.get(key)
        if stream is None:
            stream = streams[key] = _Stream()
        current = stream.current
        kind = item.kind
        if (
            kind == "other"
            or (kind == "memcg_stat" and not _stat_of(current, item))
            or (kind == "slab_info_row" and (current is None or "slab_info_start" not in current.kinds))
        ):
            if current is not None:
                current.pending.append(item)
                stream.gap += 1
                if stream.gap > _MAX_GAP:
                    current.pending.clear()
                    stream.current = None
            continue
        if kind == "panic" and current is None and "memory" not in (item.fields.get("reason") or "").lower():
            # panic() dumps the panicking task's stack (kernel/panic.c): no memory report either
            stream.in_panic_dump = True
            continue
        if stream.in_panic_dump:
            if kind in _PANIC_DUMP:
                continue
            stream.in_panic_dump = False
        if kind == "separator" and current is None:
            continue
        if kind == "ellipsis":
            continue  # where a person cut the report: neither kernel text nor the end of the event
        if kind == "reaped":
            owner = _owner_of_reaped(drafts, item, host_of, key[0])
            if owner is not None and owner is not current:
                owner.items.append(item)
                continue
        stream.gap = 0
        stamp = _uptime(item.prefix) if "[" in item.prefix else None  # (the test inlined: most lines have no stamp)
        if (
            current is not None
            and current.accepts(item)
            # (the tests of _went_back and _request_unanswered that most lines fail, inlined)
            and (stamp is None or not _went_back(current, stamp))
            and (kind not in _OPENING or not _request_unanswered(current, item, stamp))
        ):
            current.add(item)
            current.stamp = stamp if stamp is not None else current.stamp
            continue
        # Another caller of the same host may be printing this report (`sysrq: Manual OOM
        # execution` from an interrupt, the report from a kworker): join its open event.
        shared = _open_draft_of_host(streams, key, item)
        if shared is not None and not _went_back(shared, stamp):
            stream.current = shared
            stream.gap = 0
            shared.add(item)
            shared.stamp = stamp if stamp is not None else shared.stamp
            continue
        stream.current = _Draft()
        stream.current.add(item)
        stream.current.stamp = stamp
        host_of[id(stream.current)] = key[0]
        drafts.append(stream.current)

    drafts = _join_rearranged_fragments(drafts, host_of)
    events: list[Event] = []
    machines = _Machines(items, keys)
    # A quotation repeats lines of an earlier event after some prose (an answer quoting the
    # question). A kernel repeating itself (the same warning every second) has no prose between.
    # A person may also quote only the start of a line ("HighMem free:1536kB"), or the key line
    # above the log it comes from.
    kept = sorted((draft for draft in drafts if _is_event(draft)), key=lambda draft: draft.items[0].number)
    # (the prose and spans are read only to compare an event with another: none for a single event)
    prose = [item.number for item in items if item.kind == "other" and not item.prefix] if len(kept) > 1 else []
    spans = (
        [
            (draft.items[0].number, max(item.run[-1].number if item.run else item.number for item in draft.items))
            for draft in kept
        ]
        if len(kept) > 1
        else [(0, 0)] * len(kept)
    )
    # (prefix, text) pairs, not joined strings: a copy of every line would double a big task table;
    # and none for a single event, which is compared with nothing (a big table's is 10 MB)
    signatures = [set(_line_pairs(draft.items)) for draft in kept] if len(kept) > 1 else []
    # The same report pasted twice in two renderings (syslog lines, then `dmesg`; a journal and a
    # console): the prefixes differ, but each printk record keeps its microsecond stamp and text.
    stamped = [_stamp_pairs(draft.items) for draft in kept] if len(kept) > 1 else []
    for index, draft in enumerate(kept):
        start, end = spans[index]
        host = host_of.get(id(draft))
        if any(
            _same_records(stamped[index], stamped[other], host, host_of.get(id(kept[other]))) for other in range(index)
        ):
            continue  # the printk records of an earlier event printed again (another rendering of the log)
        if any(
            _same_records(stamped[index], stamped[other], host, host_of.get(id(kept[other])))
            and len(stamped[index][1]) < len(stamped[other][1])  # type: ignore[index]
            for other in range(index + 1, len(kept))
        ):
            continue  # a shorter rendering of the records a later event prints in full
        if any(
            _quotes(kept[index], signatures[index], kept[other], signatures[other], index > other)
            and (
                _any_between(prose, spans[other][1], start)
                or (
                    all(_USEC_STAMP.search(item.prefix) for item in draft.items)
                    and _quotes(kept[index], signatures[index], kept[other], signatures[other], False, same_prefix=True)
                )
            )
            for other in range(index)
        ):
            # repeats an earlier event after prose (an answer quoting the question), or copies its
            # lines with their µs printk stamps (one message is printed once: a quotation of it)
            continue
        if any(
            len(signatures[index]) < len(signatures[other])
            and (
                (
                    _any_between(prose, end, spans[other][0])
                    and _quotes(
                        kept[index], signatures[index], kept[other], signatures[other], False, True, bare_other=True
                    )
                )
                or (
                    all(_USEC_STAMP.search(item.prefix) for item in draft.items)
                    and _quotes(kept[index], signatures[index], kept[other], signatures[other], False, same_prefix=True)
                )
            )
            for other in range(index + 1, len(kept))
        ):
            # the key lines quoted above the report they come from: prose between (the report may be
            # pasted again without the log's prefixes: a mail quoting a bug report's key lines, then
            # its full output), or the same µs stamps
            continue
        events.append(_build_event(len(events), draft, machines, host_of.get(id(draft))))
    if watchdog_reports and events:
        events = _attach_watchdogs(events, watchdog_reports)
    if events:
        kernels = {event.kernel for event in events}
        arches = {event.arch for event in events}
        pages = {event.page_size_kb for event in events} - {None}
        # one machine (or several alike): its facts; several kernels: none at the top level
        kernel = next(iter(kernels)) if len(kernels) == 1 else None
        arch = next(iter(arches)) if len(arches) == 1 and len(kernels) == 1 else None
        page_size = next(iter(pages)) if len(pages) == 1 else None
    else:
        kernel = _first_kernel(items) or _identity(items, items, "release")
        arch = _arch(items, kernel, _identity(items, items, "machine"))
        page_size = _page_size(items)
    unparsed = sum(len(event.unparsed) for event in events)
    if unparsed:
        warnings.append(f"{unparsed} line(s) inside the report(s) were not understood; they are listed as unparsed")
    if not events and not warnings:
        warnings.append("no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input")
    return Dump(kernel, arch, page_size, tuple(events), tuple(warnings), physical_lines)


_UPTIME = re.compile(r"\[\s*(\d+\.\d+)(?:\s*<\s*\d+\.\d+>)?\]")  # (`dmesg -d` adds the delta)
# printk stamps come from each CPU's local_clock(), which may disagree by a little; a report is
# printed in well under this time, so a larger step back is another report (a log listed
# newest first, or two reports interleaved).
_CLOCK_SKEW_S = 0.1


def _uptime(prefix: str) -> float | None:
    """The seconds-since-boot stamp of a printk line (`[ 5864.708493]`), when the prefix has one."""
    if "[" not in prefix:
        return None
    match = _UPTIME.search(prefix)
    return float(match.group(1)) if match else None


def _is_event(draft: _Draft) -> bool:
    """Whether a group of lines is a memory event. A SysRq request the kernel refused (`OOM
    request ignored`) is none, nor is SysRq-m's Mem-Info."""
    if draft.kinds & _SUBSTANTIVE and not _show_memory(draft):
        refused = "sysrq_ignored" in draft.kinds and not draft.kinds & (_SUBSTANTIVE - {"sysrq"})
        if not refused:
            return True
    return _trace_kind(draft.items) is not None or any(
        item.kind == "panic" and _OOM_PANIC.search(item.fields.get("reason") or "") for item in draft.items
    )


# The panics out_of_memory() itself raises: panic_on_oom (`Out of memory: ...panic_on_oom...`,
# mm/oom_kill.c check_panic_on_oom) and a global OOM with nothing left to kill, which prints
# `Out of memory and no killable processes...` and then panics with `System is deadlocked on
# memory` (mm/oom_kill.c out_of_memory(), 4.9-6.x). A paste that starts at that panic, the
# warning above it scrolled away, is still that OOM.
_OOM_PANIC = re.compile(r"out of memory|deadlocked on memory", re.IGNORECASE)


def _show_memory(draft: _Draft) -> bool:
    """`sysrq: Show Memory` (SysRq-m) and the Mem-Info it asked for: a memory dump on request,
    no memory event (drivers/tty/sysrq.c sysrq_handle_showmem calls show_mem() alone)."""
    return bool(draft.items) and draft.items[0].kind == "sysrq" and draft.items[0].fields.get("what") == "Show Memory"


_SYSRQ_REACH_S = 2.0  # sysrq queues moom_work at once: its report follows within milliseconds


_OPENING = frozenset({"invoked", "alloc_failure"})


def _request_unanswered(draft: _Draft, item: Item, stamp: float | None) -> bool:
    """A `SysRq : Manual OOM execution` line followed only much later by a report: that report
    is another OOM (the request printed nothing, or was ignored), not the manual one."""
    return (
        item.kind in _OPENING
        and draft.kinds == {"sysrq"}
        and stamp is not None
        and draft.stamp is not None
        and stamp - draft.stamp > _SYSRQ_REACH_S
    )


def _went_back(draft: _Draft, stamp: float | None) -> bool:
    return stamp is not None and draft.stamp is not None and stamp < draft.stamp - _CLOCK_SKEW_S


# One report is printed in one go by one task (mm/oom_kill.c out_of_memory() under oom_lock, from
# dump_header() to the kill line; warn_alloc() from its header to show_mem()): pieces of it lie
# within a moment of each other on the printk clock, and pieces further apart are of other reports.
# A console can take seconds over a long task table, but a person's quotation of it rarely spans
# more than a second of it; the bound errs towards keeping two events apart.
_REPORT_SPAN_S = 1.0
_JOIN_REACH = 8  # the earlier pieces of one host a piece is compared with (a paste's few quotations)


def _usec_stamps(draft: _Draft) -> list[float] | None:
    """The printk microsecond stamp of each line of ``draft``, or None if a line has none."""
    stamps = []
    for item in draft.items:
        match = _USEC_STAMP.search(item.prefix)
        if match is None:
            return None
        stamps.append(float(match.group(1)))
    return stamps


def _join_rearranged_fragments(drafts: list[_Draft], host_of: dict[int, str | None]) -> list[_Draft]:
    """Pieces of one report that a person quoted out of the order the kernel printed them (the
    kill line first, the task-table row a paragraph below, the `invoked oom-killer` header last,
    the writer's sentences between) are one event. The assembler reads the lines in the paste's
    order, so each place where the quotation steps back in the kernel's order starts a new draft;
    two drafts of one host are pieces of one report when every line of both carries its printk
    record's microsecond stamp (kernel/printk: one stamp per record, which a quotation keeps),
    the later-pasted draft holds a line printed before a line of the earlier one (the paste is not
    in the printed order, so this is no split the kernel's own order made), all lie within
    ``_REPORT_SPAN_S`` of each other, and, put in the order of their stamps, they read as one
    report: each line is accepted by the event the lines before it make (each section in the
    kernel's order, no line a report prints once appearing twice). A log in the order printed is
    never joined (its stamps follow the paste), nor are two reports that each hold their own
    header or kill line. Only pieces holding a line a memory report alone prints (``_SUBSTANTIVE``:
    not a task header or trace, which a warning or an oops printed a moment later shares) and no
    printk record another piece holds too are joined."""
    if not _may_join(drafts, host_of):
        return drafts
    stamps = [_usec_stamps(draft) if draft.kinds & _SUBSTANTIVE else None for draft in drafts]
    # a piece holding a record another piece holds too repeats it (a reply copying a line of the
    # report it quotes): a quotation of a line already read, never a missing part of a report
    seen: dict[float, int] = {}
    for own in stamps:
        for stamp in set(own or ()):
            seen[stamp] = seen.get(stamp, 0) + 1
    stamps = [None if own is None or any(seen[stamp] > 1 for stamp in set(own)) else own for own in stamps]
    out, out_stamps = list(drafts), stamps
    index = 1
    while index < len(out):
        own = out_stamps[index]
        joined = None
        if own is not None:
            host = host_of.get(id(out[index]))
            for other in range(index - 1, max(-1, index - 1 - _JOIN_REACH), -1):
                theirs = out_stamps[other]
                if theirs is None or host_of.get(id(out[other])) != host or min(own) >= max(theirs):
                    continue
                if max(max(own), max(theirs)) - min(min(own), min(theirs)) > _REPORT_SPAN_S:
                    continue
                merged = _in_printed_order(out[other], theirs, out[index], own)
                if merged is not None:
                    joined = other
                    host_of[id(merged[0])] = host
                    out[other], out_stamps[other] = merged
                    del out[index], out_stamps[index]
                    break
        # a joined draft is compared again with the pieces before it
        index = max(joined, 1) if joined is not None else index + 1
    return out


def _may_join(drafts: list[_Draft], host_of: dict[int, str | None]) -> bool:
    """Whether two drafts of one host within ``_JOIN_REACH`` of each other may be pieces pasted out
    of the printed order, by one stamp of each: the first line of the later-pasted one is not later
    than the last stamp the earlier one took (``_Draft.stamp``). A draft takes no line that steps
    back more than ``_CLOCK_SKEW_S`` from the line before it (``_went_back``), so its lines lie
    within that of its first and last ones (two skews allow for a drift); a log in the order
    printed (most logs, whatever their reports' pace) is not read again line by line."""
    firsts: list[float | None] = []
    for draft in drafts:
        match = _USEC_STAMP.search(draft.items[0].prefix) if draft.kinds & _SUBSTANTIVE else None
        firsts.append(float(match.group(1)) if match else None)
    for index, first in enumerate(firsts):
        if first is None:
            continue
        host = host_of.get(id(drafts[index]))
        for other in range(index - 1, max(-1, index - 1 - _JOIN_REACH), -1):
            last = drafts[other].stamp
            if (
                firsts[other] is not None
                and last is not None
                and first < last + 2 * _CLOCK_SKEW_S
                and host_of.get(id(drafts[other])) == host
            ):
                return True
    return False


def _in_printed_order(
    first: _Draft, first_stamps: list[float], second: _Draft, second_stamps: list[float]
) -> tuple[_Draft, list[float]] | None:
    """The lines of two drafts as one draft in the order of their printk stamps, with their stamps,
    or None when they do not read as one report in that order."""
    ordered = sorted(
        zip(first_stamps + second_stamps, first.items + second.items, strict=True),
        key=lambda pair: (pair[0], pair[1].number),
    )
    draft = _Draft()
    for _, item in ordered:
        if draft.items and not draft.accepts(item):
            return None
        draft.add(item)
    draft.stamp = ordered[-1][0]
    draft.unparsed = sorted(first.unparsed + second.unparsed, key=attrgetter("number"))
    return draft, [stamp for stamp, _ in ordered]


# printk's microsecond stamp (`dmesg -d` adds the delta): one message, not a repeat
_USEC_STAMP = re.compile(r"\[\s*(\d+\.\d{6})(?:\s*<\s*\d+\.\d+>)?\]")  # (group 1: the stamp)
_QUOTE_CHECK_LINES = 20  # partial-line quotations are short; longer drafts must match exactly


def _quotes(
    draft: _Draft,
    signature: set[tuple[str, str]],
    other: _Draft,
    other_signature: set[tuple[str, str]],
    later: bool,
    same_prefix: bool = False,
    bare_other: bool = False,
) -> bool:
    """True when ``draft`` only repeats lines (or the starts of lines) of ``other``; with
    ``same_prefix``, only lines that carry the same log prefix (stamp) count, and with ``bare_other``
    also lines of ``other`` that carry no prefix at all (the report pasted again without the log's
    prefixes)."""
    if signature <= other_signature:
        return True
    if len(draft.items) + sum(len(item.run) for item in draft.items) > _QUOTE_CHECK_LINES:
        return False
    texts = list(_line_pairs(other.items))
    return all(
        any(
            text.startswith(own_text)
            and (
                prefix == own_prefix or (bare_other and not prefix)
                if same_prefix
                else not own_prefix or prefix == own_prefix
            )
            for prefix, text in texts
        )
        for own_prefix, own_text in _line_pairs(_memory_items(draft.items))
    )


def _memory_items(items: list[Item]) -> list[Item]:
    """The items a quotation is compared on: a panic that is not an out-of-memory panic (`Attempted to
    kill init!` after the kill of pid 1, kernel/exit.c do_exit()) is printed by another task than the
    report, outside it; a copy of the report's lines that quotes it too is still a copy."""
    return [
        item for item in items if item.kind != "panic" or _OOM_PANIC.search(item.fields.get("reason") or "") is not None
    ]


def _stamp_pairs(items: list[Item]) -> tuple[tuple[str, str], frozenset[str]] | None:
    """The first line's (microsecond printk stamp, text) and the stamps of all stamped lines, or
    None when the first line has no such stamp or fewer than three lines do. printk gives each
    record one stamp (kernel/printk: the record's ts_nsec, printed to the microsecond), so lines
    with the stamps of another event's lines, opening with its first line, are the same records,
    whatever syslog, journald or a mail client put around them or where it wrapped them."""
    stamps: set[str] = set()
    opening: tuple[str, str] | None = None
    for item in items:
        match = _USEC_STAMP.search(item.prefix)
        if match is None:
            continue
        key = match.group(1)
        if opening is None and item is items[0]:
            opening = (key, item.text)
        stamps.add(key)
    if opening is None or len(stamps) < 3:
        return None
    return opening, frozenset(stamps)


def _same_records(
    own: tuple[tuple[str, str], frozenset[str]] | None,
    other: tuple[tuple[str, str], frozenset[str]] | None,
    own_host: str | None,
    other_host: str | None,
) -> bool:
    """Whether ``own`` opens with ``other``'s first record and prints only records of ``other``
    (the same machine, or a rendering that names none)."""
    if own is None or other is None or (own_host and other_host and own_host != other_host):
        return False
    return own[0] == other[0] and own[1] <= other[1]


def _line_pairs(items: list[Item]) -> Iterator[tuple[str, str]]:
    """(prefix, text) of every line the items stand for, the rows of a run included."""
    for item in items:
        yield item.prefix, item.text
        for line in item.run:
            yield item.prefix, line.text


def _open_draft_of_host(
    streams: dict[tuple[str | None, str | None], _Stream], key: tuple[str | None, str | None], item: Item
) -> _Draft | None:
    if key[1] is None:
        return None
    for other_key, other in streams.items():
        if other_key[0] == key[0] and other_key != key and other.current is not None and other.current.accepts(item):
            return other.current
    return None


class _Machines:
    """Kernel, arch and page size of each host, from that host's lines only."""

    def __init__(self, items: list[Item], keys: list[tuple[str | None, str | None]]) -> None:
        self._items: dict[str | None, list[Item]] = {}
        self._all = items
        hosts = {host for host, _caller in keys}
        if len(hosts) == 1 and len(keys) == len(items):  # one host (nearly every paste): all the lines
            self._items[next(iter(hosts))] = list(items)
        else:
            for item, (host, _caller) in zip(items, keys, strict=False):
                self._items.setdefault(host, []).append(item)
        self._arch: dict[tuple[str | None, str | None], str | None] = {}

    def kernel(self, host: str | None) -> str | None:
        return _first_kernel(self._items.get(host, [])) or _identity(self._items.get(host, []), self._all, "release")

    def page_size(self, host: str | None) -> int | None:
        return _page_size(self._items.get(host, []))

    def arch(self, host: str | None, kernel: str | None) -> str | None:
        if (host, kernel) not in self._arch:
            self._arch[(host, kernel)] = _arch(
                self._items.get(host, []), kernel, _identity(self._items.get(host, []), self._all, "machine")
            )
        return self._arch[(host, kernel)]


def _any_between(sorted_numbers: list[int], low: int, high: int) -> bool:
    at = bisect.bisect_right(sorted_numbers, low)
    return at < len(sorted_numbers) and sorted_numbers[at] < high


def _owner_of_reaped(
    drafts: list[_Draft], item: Item, host_of: dict[int, str | None], host: str | None
) -> _Draft | None:
    pid = item.fields.get("pid")
    for draft in reversed(drafts):
        if host_of.get(id(draft)) != host:
            continue
        for other in draft.items:
            if other.kind == "killed" and other.fields.get("pid") == pid:
                return draft
    return None


def _first_kernel(items: list[Item]) -> str | None:
    for item in items:
        if item.kind == "task_header" and item.fields.get("kernel"):
            return cast("str | None", item.fields["kernel"])
    return None


# `uname -m` machine names -> the arch names of a release suffix
_MACHINE_ARCH = (
    (re.compile(r"x86_64|amd64"), "x86_64"),
    (re.compile(r"i[3-6]86"), "i686"),
    (re.compile(r"aarch64|arm64"), "arm64"),
    (re.compile(r"arm"), "arm"),
    (re.compile(r"ppc64le|powerpc64le"), "ppc64le"),
    (re.compile(r"ppc64|powerpc64"), "ppc64"),
    (re.compile(r"ppc|powerpc"), "ppc"),
    (re.compile(r"s390x"), "s390x"),
    (re.compile(r"mips"), "mips"),
    (re.compile(r"riscv64"), "riscv64"),
    # PA-RISC: uname's `parisc`/`parisc64`; GNU triplets (a cross-built banner's compiler) `hppa`/`hppa64`
    (re.compile(r"parisc64|hppa64"), "parisc64"),
    (re.compile(r"parisc|hppa"), "parisc"),
    (re.compile(r"m68k"), "m68k"),
)


_UM_FRAME = re.compile(r"[0-9a-fA-F]{8,16}:  \[<[0-9a-fA-F]{8,16}>\] ")
_PPC_FRAME = re.compile(r"\[([0-9a-fA-F]{8}|[0-9a-fA-F]{16})\] \[[0-9a-fA-F]{8,16}\] [\w.$]+\+0x")
# ppc64's show_stack before the stack slot was printed too (2.6.1x, under `Trace:`): the return
# address alone, 16 digits, kernel text at 0xc000000000000000, modules at 0xd000000000000000
_PPC64_RETURN_FRAME = re.compile(r"\[[cd]0{7}[0-9a-fA-F]{8}\] [\w.$]+\+0x")
_IBM_Z = re.compile(r"Hardware name: IBM \d{4}\b")
_I386_CONTEXT_FRAME = re.compile(r"\[[\w.]+\+\d+/\d+\]")  # 2.6 i386 print_context_stack: `[func+41/44]`


def _identity(own: list[Item], every: list[Item], key: str) -> str | None:
    """A fact of a `uname -a` or boot-banner line (``release`` or ``machine``): the host's own
    line first, else the one value every such line of the paste agrees on (a person's shell
    output carries no log prefix, so it names no host)."""
    for items in (own, every) if len(own) < len(every) else (own,):  # (``own`` is of ``every``: all of it, read once)
        values = {item.fields[key] for item in items if item.kind == "other" and item.fields.get(key)}
        if len(values) == 1:
            return str(next(iter(values)))
        if values:
            return None  # two machines' lines disagree: none is this dump's
    return None


def _page_size(items: list[Item]) -> int | None:
    for item in items:
        if item.kind == "buddy" and item.fields.get("orders"):
            return cast(int, min(size for size, _, _ in item.fields["orders"]))
    return None


def _zone_names(items: list[Item]) -> set[str]:
    """The zones a zone report or buddy lists of ``items`` name."""
    zones = {item.fields.get("name") for item in items if item.kind == "zone"} | {
        item.fields.get("zone") for item in items if item.kind == "buddy"
    }
    zones.discard(None)
    return zones  # type: ignore[return-value]


def _arch(items: list[Item], kernel: str | None, machine: str | None = None) -> str | None:
    if kernel:
        for pattern, name in _RELEASE_ARCH:
            if pattern.search(kernel):
                return name
    if machine:
        for pattern, name in _MACHINE_ARCH:
            if pattern.match(machine):
                return name
    registers = " ".join(item.text for item in items if item.kind == "register_line")[:4000]
    traces = [item.text for item in items if item.kind == "trace_line"][:60]
    if "RIP:" in registers or "RSP:" in registers or _guarded_search(_X86_64_REGISTERS, registers):
        return "x86_64"
    if "EIP:" in registers or "ESP:" in registers:
        return "i686"
    if "Krnl PSW" in registers or "Krnl GPRS" in registers:
        return "s390x"
    process = [item.fields["task_digits"] for item in items if item.kind == "task_process"]
    if process:
        return "s390x" if process[0] == 16 else "s390"  # `task: %p` is as wide as a pointer
    # Each test of every frame below asks first whether the frames, joined, hold a literal its
    # pattern needs (a frame that holds one gives it to the joined text; most pastes hold none);
    # a test of every trace line does so when ``traces`` holds them all (fewer than 60).
    joined = " ".join(traces)
    every = len(traces) < 60
    # User-mode Linux (arch/um/kernel/sysrq.c): `6ff5b868:  [<602f550d>] _raw_spin_unlock+0x9/0xb`,
    # the stack slot then the address; no other in-tree arch prints the slot this way.
    if ":  [<" in joined and sum(1 for text in traces if _UM_FRAME.match(text)) >= 2:
        return "um"
    # PowerPC show_stack(): `[stack pointer] [return address] func+0x../0x..`, each as wide as
    # a pointer (arch/powerpc/kernel/process.c): 8 hex digits on 32-bit powerpc, 16 on ppc64.
    ppc_widths = (
        {len(match.group(1)) for match in (_PPC_FRAME.match(text) for text in traces) if match}
        if "] [" in joined
        else set()
    )
    if ppc_widths == {8}:
        return "ppc"
    if ppc_widths == {16}:
        return "ppc64"
    if "0000000" in joined and sum(1 for text in traces if _PPC64_RETURN_FRAME.match(text)) >= 2:
        return "ppc64"
    if "NIP" in registers and "MSR" in registers:
        return "ppc64"
    if _guarded_search(_ARM64_X29, registers) or _guarded_search(_ARM64_PSTATE, registers):
        return "arm64"
    hardware = " ".join(item.text for item in items if item.kind == "hardware")
    if "IBM" in hardware and _IBM_Z.search(hardware):
        return "s390x"  # IBM Z machine types (2964 = z13, ...) exist only as s390x
    frame_address = _FRAME_ADDRESS_PATTERN.findall
    addresses = (
        [m for t in traces if _holds_any(t, _FRAME_ADDRESS[1]) for m in frame_address(t)]
        if ">" in joined and _holds_any(joined, _FRAME_ADDRESS[1])  # (each form closes its address with `>`)
        else []
    )
    addresses = [a or b or c for a, b, c in addresses]
    widths = {len(m) for m in addresses}
    kernel_text = [a for a in addresses if a.lower().startswith("ffffffff")]
    if widths == {16} and len(kernel_text) * 2 > len(addresses):
        return "x86_64"  # x86-64 kernel text and modules live at 0xffffffff8.../0xffffffffa...
    if _I386_CONTEXT_FRAME.search(joined):
        return "i686"  # 2.6 i386 print_context_stack: `[func+41/44]`
    if _guarded_search(_MIPS_ENTRY, joined):
        return (
            "mips"  # arch/mips entry and TLB exception handlers (arch/mips/kernel/scall32-o32.S, genex.S, mm/tlbex.c)
        )
    if "Function entered at [<" in joined and any(text.startswith("Function entered at [<") for text in traces):
        return "arm"  # 32-bit ARM without CONFIG_KALLSYMS (arch/arm/kernel/traps.c dump_backtrace_entry)
    if _holds_any(joined, _ARM_UNWIND[1]) and any(
        _holds_any(text, _ARM_UNWIND[1]) and re.match(_ARM_UNWIND[0], text) for text in traces
    ):
        return "arm"  # 32-bit ARM's unwinder, 5.x: `show_stack from dump_stack_lvl+0x68/0x84` (arch/arm/kernel/traps.c)
    if _guarded_search(_M68K_ENTRY, joined):
        return "m68k"  # arch/m68k/kernel/entry.S interrupt entry and the Amiga/Atari platform handlers
    if (not every or "Stack : " in joined) and any(
        item.text.startswith("Stack : ") for item in items if item.kind == "trace_line"
    ):
        return "mips"  # arch/mips/kernel/traps.c show_stacktrace(): `Stack : 80690000 80631cf4 ...`
    if widths == {8}:
        if re.search(r"\) from \[<|__dabt_|__irq_svc|ret_fast_syscall", joined):
            return "arm"
        # Only x86-32 entry code names these (arch/x86/entry/entry_32.S, arch/x86/kernel/entry_32.S).
        # A HighMem zone or kernel text at 0xc0000000 is no evidence: 32-bit ARM, MIPS and
        # PowerPC routers have both.
        if _guarded_search(_X86_32_ENTRY, joined):
            return "i686"
        # `[<c04d36d2>] out_of_memory+0x92/0x250` (no parentheses, no `from`: not ARM) with kernel
        # text at x86-32's PAGE_OFFSET 0xc0000000 and modules in its vmalloc area above lowmem
        # (0xd...-0xf...); MIPS kernel text is in KSEG0 (0x8...), xtensa's at 0xd...
        lead = {a[0].lower() for a in addresses}
        if "c" in lead and lead <= {"c", "d", "e", "f"}:
            return "i686"
    if (not every or "TASK>" in joined) and any(
        item.text.strip() in ("<TASK>", "</TASK>") for item in items if item.kind == "trace_line"
    ):
        # <TASK> markers are x86 only (arch/x86/kernel/dumpstack.c, 5.16+); of x86, only
        # x86-32 has a HighMem zone (CONFIG_HIGHMEM depends on X86_32).
        # Without a zone report (or buddy lists naming the zones) the two cannot be told apart;
        # DMA32 exists only on 64-bit.
        zones = _zone_names(items)
        if zones:
            return "i686" if "HighMem" in zones else "x86_64"
        if _sixty_four_bit(items):
            return "x86_64"  # x86 by its markers, 64-bit by a value x86-32 cannot print
    elif _guarded_search(_X86_FRAMES, joined):
        # frames of functions only arch/x86 defines (a KVM or Xen guest's paravirt clock, the TSC
        # sched_clock), which x86-32 and x86-64 share: the zones tell which. DMA32 is 64-bit only
        # (CONFIG_ZONE_DMA32 is selected by X86_64 alone in arch/x86/Kconfig, v2.6.14-v6.x; arm64,
        # riscv64, mips64 and others have it too, so the frames are needed), HighMem 32-bit only
        # (CONFIG_HIGHMEM depends on X86_32); neither zone, no verdict.
        zones = _zone_names(items)
        if "DMA32" in zones and "HighMem" not in zones:
            return "x86_64"
        if "HighMem" in zones and "DMA32" not in zones:
            return "i686"
    # arm64's exception entry and its syscall wrappers (`__arm64_sys_ioctl`,
    # arch/arm64/include/asm/syscall_wrapper.h); a Clang CFI kernel (Android) names the jump-table
    # entry `dump_backtrace.cfi_jt`.
    if _guarded_search(_ARM64_ENTRY, joined) or (
        _guarded_search(_ARM64_BACKTRACE, joined) and any(item.text.startswith("Call trace:") for item in items)
    ):
        return "arm64"  # arm64 prints `Call trace:` from dump_backtrace()
    for item in items:
        # a known kernel message naming the arch, whatever its prefix; another line only when
        # a syslog tag says it is the kernel's
        if item.kind == "numa_note" or (item.kind == "other" and item.prefix and "kernel" in item.prefix):
            word = re.search(r"\b(x86_64|aarch64|ppc64le|s390x)\b", item.text)
            if word:
                return "arm64" if word.group(1) == "aarch64" else word.group(1)
    # x86-64's syscall entry and wrappers (`__x64_sys_read`), and the AMD SRSO return thunks
    # (`srso_alias_return_thunk`), which only a 64-bit kernel builds (MITIGATION_SRSO depends on X86_64).
    if _guarded_search(_X86_64_ENTRY, joined):
        return "x86_64"
    if _holds_any(joined, _DIRECT_MAP_WORD[1]) and any(_guarded_search(_DIRECT_MAP_WORD, text) for text in traces):
        return "x86_64"  # raw stack words in x86-64's direct map (0xffff880000000000, before KASLR)
    return None


# The searches of ``_arch`` that would try every position of a call trace (a pattern opening with
# ``\b``, a class or an alternation: 5-13 us on a dozen frames), each with literals one of which
# every match holds, looked for first (``in``: 0.1 us). tests/test_lean_patterns.py checks each
# against the literals the pattern requires (grammar.screen.required). Searched with ``re``'s
# functions (its cache), as before: compiled only by a paste that gets this far.
_Guarded = tuple[str, tuple[str, ...]]
_ARM64_X29: _Guarded = (r"\bx29:", ("x29:",))
# x86-64's general registers as __show_regs() prints them (arch/x86/kernel/process_64.c, 2.6.24
# to 6.x: `RAX: %016lx RBX: ... RCX:`, `RBP: ... R08: ... R09:`, ..., and `knlGS:`); no other
# arch names its registers so (x86-32 prints EAX.., arm64 x0.., PowerPC GPR00..)
_X86_64_REGISTERS: _Guarded = (
    r"\b(?:RAX|RBX|RCX|RDX|RSI|RDI|RBP|R0[89]|R1[0-5]): [0-9a-fA-F]{16}\b|\bknlGS:",
    (
        "RAX: ",
        "RBX: ",
        "RCX: ",
        "RDX: ",
        "RSI: ",
        "RDI: ",
        "RBP: ",
        "R08: ",
        "R09: ",
        "R10: ",
        "R11: ",
        "R12: ",
        "R13: ",
        "R14: ",
        "R15: ",
        "knlGS:",
    ),
)
_ARM64_PSTATE: _Guarded = (r"\bpstate:", ("pstate:",))
# `[<c04d36d2>]`, 2.6 x86_64 `<ffffffff8014d7bc>{`, 2.6 i386 multi-column `<c01369e2> __alloc_pages+0x1f2/0x2d0`
_FRAME_ADDRESS: _Guarded = (
    r"\[<([0-9a-fA-F]+)>\]|<([0-9a-fA-F]{16})>\{|<([0-9a-fA-F]{8})> [\w.$]+\+0x",
    ("[<", ">{", "+0x"),
)
_MIPS_ENTRY: _Guarded = (
    r"\b(tlb_do_page_fault_[01]|handle_sys(64)?|syscall_common|handle_tlb[ls]|handle_mod|handle_adel_int|"
    r"handle_ades_int|__r4k_wait|r4k_wait_irqoff)\+0x",
    ("tlb_do_page_fault_", "handle_", "syscall_common", "r4k_wait"),
)
_FRAME_ADDRESS_PATTERN = re.compile(_FRAME_ADDRESS[0])
_ARM_UNWIND: _Guarded = (r"\(?[\w.$]+\)? from \(?[\w.$]+\+0x", (" from ",))
_M68K_ENTRY: _Guarded = (
    r"\b(amiga_\w+|atari_\w+|cia_handler|auto_inthandler|inthandler)\+0x",
    ("amiga_", "atari_", "cia_handler", "inthandler"),
)
_X86_32_ENTRY: _Guarded = (
    r"\b(sysenter_\w+|error_code|syscall_call|ia32_sysenter_target|entry_SYSENTER_32|entry_INT80_32)\b",
    ("sysenter_", "error_code", "syscall_call", "entry_SYSENTER_32", "entry_INT80_32"),
)
_ARM64_ENTRY: _Guarded = (
    r"\bel0t_64_sync|\bel0_svc|\bel1h_64_sync|\b__arm64_sys_\w+\+0x",
    ("el0t_64_sync", "el0_svc", "el1h_64_sync", "__arm64_sys_"),
)
_ARM64_BACKTRACE: _Guarded = (r"\bdump_backtrace(\.cfi_jt)?\+", ("dump_backtrace",))
_X86_64_ENTRY: _Guarded = (
    r"asm_exc_page_fault|entry_SYSCALL_64|do_syscall_64|\b__x64_sys_\w+\+0x|\bsrso_\w+\+0x",
    ("asm_exc_page_fault", "entry_SYSCALL_64", "do_syscall_64", "__x64_sys_", "srso_"),
)
_DIRECT_MAP_WORD: _Guarded = (r"\bffff88[0-9a-fA-F]{10}\b", ("ffff88",))
# Functions only arch/x86 defines, on 32- and 64-bit alike: kvmclock's (arch/x86/kernel/kvmclock.c:
# kvm_clock_read, kvm_clock_get_cycles, kvm_sched_clock_read), the paravirt clock's
# (arch/x86/kernel/pvclock.c pvclock_clocksource_read, KVM and Xen guests; v2.6.26-v6.x) and the
# TSC's sched_clock (arch/x86/kernel/tsc.c native_sched_clock). arm64's paravirt time is other
# code (drivers/clocksource/arm_arch_timer.c, arch/arm64/kernel/paravirt.c: steal time only).
_X86_FRAMES: _Guarded = (
    r"\b(?:kvm_clock_read|kvm_clock_get_cycles|kvm_sched_clock_read|pvclock_clocksource_read|native_sched_clock)\+0x",
    (
        "kvm_clock_read",
        "kvm_clock_get_cycles",
        "kvm_sched_clock_read",
        "pvclock_clocksource_read",
        "native_sched_clock",
    ),
)
GUARDED_SEARCHES = (
    _ARM64_X29,
    _ARM64_PSTATE,
    _FRAME_ADDRESS,
    _MIPS_ENTRY,
    _ARM_UNWIND,
    _M68K_ENTRY,
    _X86_32_ENTRY,
    _ARM64_ENTRY,
    _ARM64_BACKTRACE,
    _X86_64_ENTRY,
    _DIRECT_MAP_WORD,
    _X86_FRAMES,
)


_ULONG_32_MAX = 2**32 - 1


def _sixty_four_bit(items: list[Item]) -> bool:
    """Whether a line prints a value only a 64-bit kernel can: a vmalloc failure's size above
    2^32 - 1. vmalloc takes its size as an unsigned long (mm/vmalloc.c __vmalloc_node_range(),
    `unsigned long size`, printed `%lu`: 4.12-5.12 `vmalloc: allocation failure: %lu bytes`, 5.13-6.x
    `vmalloc error: size %lu, ...`), 32 bits wide on every 32-bit arch, so a larger size was
    asked for by a 64-bit kernel (an overflowed or negative size read back as unsigned is near
    2^64 there). It tells the word size, not the arch: the caller keeps the arch its frames or
    markers name."""
    return any(
        item.kind == "alloc_failure" and (item.fields.get("vmalloc_size") or 0) > _ULONG_32_MAX for item in items
    )


def _holds_any(text: str, literals: tuple[str, ...]) -> bool:
    return any(literal in text for literal in literals)


def _guarded_search(guarded: _Guarded, text: str) -> re.Match[str] | None:
    """``re.search(pattern, text)`` of a ``_Guarded`` search, asked only when ``text`` holds one of
    its literals (without one there is no match)."""
    pattern, literals = guarded
    return re.search(pattern, text) if _holds_any(text, literals) else None


def _lines(items: list[Item], kinds: set[str]) -> tuple[int, ...]:
    return tuple(item.number for item in items if item.kind in kinds)


def _kind_lines(by_kind: dict[str, list[Item]], items: list[Item], kinds: tuple[str, ...]) -> tuple[int, ...]:
    """``_lines(items, kinds)`` from the event's items by kind (each list in the items' order): one
    kind's list when only one of ``kinds`` is there (nearly always), no pass over every line."""
    present = [kind for kind in kinds if kind in by_kind]
    if not present:
        return ()
    if len(present) == 1:
        return tuple(item.number for item in by_kind[present[0]])
    return _lines(items, set(kinds))


def _caller_pid(prefix: str) -> int | None:
    """The pid a printk caller id names: with CONFIG_PRINTK_CALLER (5.1+, 15ff2069cb7f 'printk: Add
    caller information to printk() output') each record is prefixed `[T<pid>]` when printed in task
    context and `[C<cpu>]` otherwise (kernel/printk/printk.c printk_caller_id()). The `invoked
    oom-killer` and `page allocation failure` lines are printed by the allocating task itself
    (dump_header() and warn_alloc() print current->comm), so a task caller id on that line is the
    trigger's pid when no `CPU: .. PID:` line was pasted. A CPU caller id names no task."""
    caller = read_stamp(prefix).caller
    if caller and caller[0] == "T" and caller[1:].isdigit():
        return int(caller[1:])
    return None


def _build_event(index: int, draft: _Draft, machines: _Machines, host: str | None) -> Event:
    items = draft.items
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)

    def first(kind: str) -> Item | None:
        found = by_kind.get(kind)
        return found[0] if found else None

    header_item = first("task_header")
    header = None
    if header_item:
        f = header_item.fields
        hardware = first("hardware")
        process = first("task_process")  # s390 prints the task on a line of its own
        if process is not None and f["pid"] is None:
            f = dict(f, pid=process.fields["pid"], comm=process.fields["comm"])
        header = TaskHeader(
            f["cpu"],
            f["pid"],
            f["comm"],
            f["kernel"],
            f["tainted"],
            hardware.fields["name"] if hardware else None,
            header_item.number,
        )

    trigger = None
    alloc_mode = None
    stall_ms = None
    trigger_item = first("invoked") or first("alloc_failure")
    if trigger_item:
        f = trigger_item.fields
        comm = f.get("comm")
        if comm and header and header.comm and len(comm) > COMM_MAX and comm.endswith(header.comm):
            comm = header.comm  # another writer's output before the line (a terminal status line, `**`)
        pid = header.pid if header and (comm is None or header.comm == comm) else None
        if pid is None and header is None and trigger_item.prefix:
            pid = _caller_pid(trigger_item.prefix)
        comm = comm or (header.comm if header else None)
        trigger = Trigger(
            comm,
            pid,
            f.get("gfp_mask"),
            f.get("gfp_symbolic"),
            f.get("order"),
            f.get("oom_adj"),
            f.get("oom_score_adj"),
            f.get("nodemask"),
            trigger_item.number,
        )
        if trigger_item.kind == "alloc_failure":
            stall_ms = f.get("stall_ms")
            mode_item = first("alloc_stall_mode")
            if stall_ms is not None and trigger.gfp_mask is None and mode_item is not None:
                # 4.9-rc printed the stall header's mode on the line after it (oom.lark ALLOC_STALL_MODE)
                mask, symbolic = mode_item.fields["gfp_mask"], mode_item.fields["gfp_symbolic"]
                trigger = dataclasses.replace(trigger, gfp_mask=mask, gfp_symbolic=symbolic)
            alloc_mode = trigger.gfp_mask
    elif header is not None:
        # No trigger line survived (a panic's stack, a warning cut above): the task in the
        # header is the one that was allocating.
        trigger = Trigger(header.comm, header.pid, None, None, None, None, None, None, header.line)

    zones = []
    zone_items = by_kind.get("zone", [])
    reserve_items = by_kind.get("lowmem_reserve", [])
    reserve_by_position = {}
    if reserve_items:
        # each zone's `lowmem_reserve[]` line is the next one printed after it, with no zone between
        # (in printing order: a log listed newest first was put back in it, its lines keep their numbers)
        position = {id(item): place for place, item in enumerate(items)}
        for zone_item in zone_items:
            at = position[id(zone_item)]
            following = next((r for r in reserve_items if position[id(r)] > at), None)
            if following and all(not at < position[id(z)] < position[id(following)] for z in zone_items):
                reserve_by_position[id(zone_item)] = following.fields["values"]
    for zone_item in zone_items:
        values = zone_item.fields["values"]
        zones.append(
            Zone(
                node=zone_item.fields["node"],
                name=zone_item.fields["name"],
                free_kb=values.get("free"),
                min_kb=values.get("min"),
                low_kb=values.get("low"),
                high_kb=values.get("high"),
                values=MappingProxyType(dict(values)),
                all_unreclaimable=zone_item.fields["all_unreclaimable"],
                lowmem_reserve=reserve_by_position.get(id(zone_item)),
                line=zone_item.number,
            )
        )

    buddy = tuple(
        BuddyList(
            b.fields["node"],
            b.fields["zone"],
            tuple(BuddyOrder(size, count, types) for size, count, types in b.fields["orders"]),
            b.fields["total_kb"],
            b.number,
        )
        for b in by_kind.get("buddy", [])
    )

    meminfo: dict[str, int] = {}
    for item in by_kind.get("meminfo_counters", []) + by_kind.get("legacy_meminfo", []):
        meminfo.update(item.fields["values"])

    page_totals: dict[str, int] = {}
    for item in by_kind.get("page_total", []):
        page_totals.setdefault(item.fields["what"], item.fields["count"])

    columns: tuple[str, ...] = ()
    header_row = first("task_table_header")
    if header_row:
        columns = header_row.fields["columns"]
    kernel = (header.kernel if header else None) or machines.kernel(host)
    row_items = by_kind.get("task_row", [])

    def row_sources() -> Iterator[tuple[int, str, int]]:
        # (pid, rest of the row, line) one row at a time: a 100,000-row table never has every
        # row's split text at once, only the rows built from it
        for item in row_items:
            yield (*task_row_parts(item.text), item.number)
            for line in item.run:
                yield (*task_row_parts(line.text), line.number)

    names = tuple(c for c in columns if c != "name")
    parsed_rows = _task_rows(row_items, names, kernel)
    # (`all`, not `None in`: that calls TaskRow.__eq__ once per row; a TaskRow is always true)
    if not all(parsed_rows):  # a row a person cut short: read the columns still there
        reference = next((rest for row, (_, rest, _) in zip(parsed_rows, row_sources(), strict=False) if row), None)
        row_names = names or (_era_names(reference.split(), kernel) if reference else ())
        parsed_rows = [
            row or _cut_task_row(pid, rest, number, row_names)
            for row, (pid, rest, number) in zip(parsed_rows, row_sources(), strict=False)
        ]
    tasks = tuple(filter(None, parsed_rows))

    summary = None
    summary_item = first("oom_summary")
    if summary_item:
        v = summary_item.fields["values"]
        summary = OomSummary(
            v.get("constraint"),
            v.get("nodemask"),
            v.get("cpuset"),
            v.get("mems_allowed"),
            v.get("oom_memcg"),
            v.get("task_memcg"),
            v.get("task"),
            _to_int(v.get("pid")),
            _to_int(v.get("uid")),
            summary_item.number,
        )

    kill = None
    killed_item = first("killed")
    score_item = first("kill_score")
    if killed_item or score_item:
        f = killed_item.fields if killed_item else {}
        s = score_item.fields if score_item else {}
        kill = Kill(
            pid=f.get("pid", s.get("pid")),
            comm=f.get("comm", s.get("comm")),
            total_vm_kb=f.get("total_vm_kb"),
            anon_rss_kb=f.get("anon_rss_kb"),
            file_rss_kb=f.get("file_rss_kb"),
            shmem_rss_kb=f.get("shmem_rss_kb"),
            pgtables_kb=f.get("pgtables_kb"),
            uid=f.get("uid"),
            oom_score_adj=f.get("oom_score_adj"),
            score=s.get("score"),
            memcg_kill=bool(f.get("memcg") or s.get("memcg")),
            line=(killed_item or score_item).number,  # type: ignore[union-attr]
            score_per_mille=s.get("per_mille") if score_item else None,
        )

    if kill is None and summary is not None and summary.pid is not None:
        # No kill line survived, but the summary names the victim (mm/oom_kill.c
        # dump_oom_summary, 4.19+: `...,task=java,pid=7134,uid=1000`).
        kill = Kill(
            pid=summary.pid,
            comm=summary.task,
            total_vm_kb=None,
            anon_rss_kb=None,
            file_rss_kb=None,
            shmem_rss_kb=None,
            pgtables_kb=None,
            uid=summary.uid,
            oom_score_adj=None,
            score=None,
            memcg_kill=summary.constraint == "CONSTRAINT_MEMCG",
            line=summary.line,
        )
    memcg = _memcg(by_kind, summary)
    panic_item = first("panic")
    panic = Panic(panic_item.fields["reason"], panic_item.number) if panic_item else None
    if panic is None and first("no_killable"):
        panic = Panic("Out of memory and no killable processes", first("no_killable").number)  # type: ignore[union-attr]

    swap_free = first("free_swap")
    swap_total = first("total_swap")
    call_trace = tuple(t.fields["function"] for t in by_kind.get("trace_line", []) if t.fields.get("function"))
    kind = _kind(by_kind, trigger, summary, kill, memcg, panic, call_trace)
    all_lines = tuple(sorted(_event_source_lines(items + draft.unparsed, row_items), key=attrgetter("number")))
    return Event(
        index=index,
        kind=kind,
        first_line=all_lines[0].number,  # (items[0], unless a log listed newest first was put back in order)
        last_line=all_lines[-1].number,
        host=host,
        kernel=kernel,
        arch=machines.arch(host, kernel),
        page_size_kb=machines.page_size(host),
        trigger=trigger,
        alloc_failure_mode=alloc_mode,
        stall_ms=stall_ms,
        header=header,
        call_trace=call_trace,
        meminfo=MappingProxyType(meminfo),
        meminfo_lines=_kind_lines(by_kind, items, ("meminfo_counters", "legacy_meminfo")),
        nodes=tuple(
            NodeStat(
                n.fields["node"], MappingProxyType(dict(n.fields["values"])), n.fields["all_unreclaimable"], n.number
            )
            for n in by_kind.get("node_stat", [])
        ),
        zones=tuple(zones),
        buddy=buddy,
        hugepages=tuple(
            Hugepages(
                h.fields["node"],
                h.fields["total"],
                h.fields["free"],
                h.fields["surplus"],
                h.fields["size_kb"],
                h.number,
            )
            for h in by_kind.get("hugepages", [])
        ),
        slab_info=tuple(
            SlabInfoRow(r.fields["name"], r.fields["used_kb"], r.fields["total_kb"], r.number)
            for r in by_kind.get("slab_info_row", [])
            if r.fields.get("name") and r.fields.get("used_kb") is not None
        ),
        slab_info_line=first("slab_info_start").number if first("slab_info_start") else None,  # type: ignore[union-attr]
        pagecache_pages=first("pagecache").fields["pages"] if first("pagecache") else None,  # type: ignore[union-attr]
        swapcache_pages=first("swapcache").fields["pages"] if first("swapcache") else None,  # type: ignore[union-attr]
        free_swap_kb=swap_free.fields["kb"] if swap_free else None,
        total_swap_kb=swap_total.fields["kb"] if swap_total else None,
        swap_lines=_kind_lines(by_kind, items, ("free_swap", "total_swap", "swapcache")),
        page_totals=MappingProxyType(page_totals),
        page_total_lines=_kind_lines(by_kind, items, ("page_total",)),
        task_table_present=bool(header_row or tasks or "tasks_state" in by_kind),
        task_table_line=header_row.number if header_row else (tasks[0].line if tasks else None),
        tasks=tasks,
        task_columns=columns,
        oom_summary=summary,
        memcg=memcg,
        kill=kill,
        reaped=tuple(_source_line(r.number, r.text, r.prefix) for r in by_kind.get("reaped", [])),
        panic=panic,
        sysrq=bool(by_kind.get("sysrq")) or (trigger is not None and trigger.order == -1),
        unparsed=tuple(Unparsed(u.number, u.text) for u in draft.unparsed),
        missing=_missing(kind, by_kind, panic),
        lines=all_lines,
    )


# Made once per line of an event (and per task row): TaskRow(...) and SourceLine(...), faster.
_task_row_of = quick_constructor(TaskRow)
_task_row_twin = _task_row_of.twin  # type: ignore[attr-defined]  # (made inline by _task_rows)
_source_line_of = quick_constructor(SourceLine)
_source_line_twin = _source_line_of.twin  # type: ignore[attr-defined]  # (made inline by _event_source_lines)


def _source_line(number: int, text: str, prefix: str) -> SourceLine:
    return _source_line_of(number, text, prefix, read_stamp(prefix)) if prefix else _source_line_of(number, text)


def _event_source_lines(items: list[Item], row_items: list[Item]) -> list[SourceLine]:
    """``_source_line`` of each of ``items``, then of the other rows of each run of ``row_items``
    (with the prefix and stamp of the run's item): made inline (``quick_constructor``'s twin,
    then its class), once per line of an event."""
    twin = _source_line_twin
    out: list[SourceLine] = []
    append = out.append
    for item in items:
        prefix = item.prefix
        line = twin(item.number, item.text, prefix, read_stamp(prefix)) if prefix else twin(item.number, item.text)
        line.__class__ = SourceLine
        append(line)
    for item in row_items:
        if not item.run:
            continue
        prefix = item.prefix
        stamp = read_stamp(prefix) if prefix else NO_STAMP  # one prefix per run
        for row in item.run:
            line = twin(row.number, row.text, prefix, stamp)
            line.__class__ = SourceLine
            append(line)
    return out


# What a complete report of each kind prints, and how to say that a paste lacks it.
MISSING = {
    "trigger": "the trigger line (`... invoked oom-killer: gfp_mask=..., order=...`)",
    "alloc-failure": "the warning line (`...: page allocation failure: order:..., mode:...`)",
    "mem-info": "the Mem-Info block (global counters and per-zone free/min/low/high)",
    "memcg-usage": "the memory cgroup usage/limit lines and memory.stat",
    "task-dump": "the task dump (`[ pid ] uid tgid total_vm rss ...`; cut from the paste, or vm.oom_dump_tasks=0)",
    "kill": "the `Killed process ...` line",
}


def _missing(kind: str | None, by_kind: dict[str, list[Item]], panic: Panic | None) -> tuple[str, ...]:
    missing = []
    if kind == "page-allocation-failure":
        if "alloc_failure" not in by_kind:
            missing.append("alloc-failure")
        if not by_kind.keys() & {"meminfo_start", "zone", "meminfo_counters"}:
            missing.append("mem-info")
        return tuple(missing)
    if "invoked" not in by_kind:
        missing.append("trigger")
    if kind == "memcg-oom":
        if not by_kind.keys() & {"memcg_counter", "memcg_stats_start"}:
            missing.append("memcg-usage")
    elif not by_kind.keys() & {"meminfo_start", "zone", "meminfo_counters", "legacy_meminfo"}:
        missing.append("mem-info")
    if kind is not None and not by_kind.keys() & {"task_table_header", "task_row", "tasks_state"}:
        missing.append("task-dump")
    if kind is not None and panic is None and not by_kind.keys() & {"killed", "kill_score"}:
        missing.append("kill")
    return tuple(missing)


# memory.stat keys of the cgroup v2 format (Documentation/admin-guide/cgroup-v2.rst, memory.stat;
# mm/memcontrol.c memory_stat_format(), which the memcg OOM report prints under `Memory cgroup
# stats for`): the ones that tell a quoted excerpt of that block from other `word number` lines
_STAT_KEYS = frozenset(
    (
        "anon",
        "file",
        "kernel",
        "kernel_stack",
        "pagetables",
        "sock",
        "shmem",
        "file_mapped",
        "file_dirty",
        "file_writeback",
        "swapcached",
        "anon_thp",
        "file_thp",
        "shmem_thp",
        "inactive_anon",
        "active_anon",
        "inactive_file",
        "active_file",
        "unevictable",
        "slab_reclaimable",
        "slab_unreclaimable",
        "slab",
    )
)


def _subgroup_stats(items: list[Item], item: Item) -> bool:
    """Whether a `Memory cgroup stats for <path>:` line is one of the report's own: cgroup v1
    prints one such line for the memory cgroup whose limit was hit and one for each group below
    it (mm/memcontrol.c mem_cgroup_print_oom_info(), 3.x-4.x: for_each_mem_cgroup_tree), each
    with that group's own counters, so a line for a group below the report's first one is not a
    second report."""
    first = next((i.fields.get("path") for i in items if i.kind == "memcg_stats_start"), None)
    path = item.fields.get("path")
    return isinstance(first, str) and isinstance(path, str) and bool(first) and path.startswith(first.rstrip("/") + "/")


def _stat_of(current: _Draft | None, item: Item) -> bool:
    """Whether a `key value` memory.stat line belongs to the open event: after its `Memory cgroup
    stats for` header, or, where a person cut that header out of an excerpt ('...' between the
    counters and the lines kept), after its memcg counters when the key is one of memory.stat's."""
    if current is None:
        return False
    if "memcg_stats_start" in current.kinds:
        return True
    return "memcg_counter" in current.kinds and item.fields.get("key") in _STAT_KEYS


def _to_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _memcg(by_kind: dict[str, list[Item]], summary: OomSummary | None) -> MemcgInfo | None:
    task_in = by_kind.get("memcg_task_in", [None])[0]
    counters = tuple(
        MemcgCounter(c.fields["resource"], c.fields["usage_kb"], c.fields["limit_kb"], c.fields["failcnt"], c.number)
        for c in by_kind.get("memcg_counter", [])
    )
    stats_start = by_kind.get("memcg_stats_start", [None])[0]
    if not (task_in or counters or stats_start or (summary and summary.oom_memcg)):
        return None
    stats: dict[str, int] = {}
    units = None
    if stats_start is not None and stats_start.fields["inline"]:
        stats.update(stats_start.fields["inline"])
        units = "kB"
        # cgroup v1's line for each group below the one whose limit was hit holds that group's own
        # counters (_subgroup_stats): the limit's usage is the sum over them all
        for below in by_kind.get("memcg_stats_start", [])[1:]:
            for key, value in (below.fields["inline"] or {}).items():
                stats[key] = stats.get(key, 0) + value
    # without the header (cut from an excerpt) only the v2-format keys were kept (_stat_of): bytes
    if stats_start is not None or counters:
        for stat in by_kind.get("memcg_stat", []):
            if stat.fields["value"] is not None:
                stats[stat.fields["key"]] = stat.fields["value"]
                units = units or "bytes"
    path = None
    if summary and summary.oom_memcg:
        path = summary.oom_memcg
    elif task_in is not None:
        path = task_in.fields["limit"]
    elif stats_start is not None:
        path = stats_start.fields["path"]
    lines = tuple(
        i.number for kind in ("memcg_task_in", "memcg_counter", "memcg_stats_start") for i in by_kind.get(kind, [])
    )
    return MemcgInfo(
        path=path,
        task_path=task_in.fields["task"] if task_in else None,
        counters=counters,
        stats_path=stats_start.fields["path"] if stats_start else None,
        stats=MappingProxyType(stats),
        stats_units=units,
        lines=lines,
    )


def _kind(
    by_kind: dict[str, list[Item]],
    trigger: Trigger | None,
    summary: OomSummary | None,
    kill: Kill | None,
    memcg: MemcgInfo | None,
    panic: Panic | None,
    call_trace: tuple[str, ...],
) -> str | None:
    if summary and summary.constraint:
        constraint = summary.constraint
        if constraint == "CONSTRAINT_MEMCG":
            return "memcg-oom"
        if constraint == "CONSTRAINT_CPUSET":
            return "cpuset"
        if constraint == "CONSTRAINT_MEMORY_POLICY":
            return "mempolicy"
    if "alloc_failure" in by_kind:
        return "page-allocation-failure"
    functions = {name.split(".")[0] for name in call_trace}
    trace_kind = _trace_kind(by_kind.get("trace_line", []))
    if functions & {"mem_cgroup_out_of_memory", "mem_cgroup_oom_synchronize"} or trace_kind == "memcg-oom":
        return "memcg-oom"  # only the memcg charge path calls these
    if (
        (trigger is not None and trigger.order == -1)
        or "sysrq" in by_kind
        or trace_kind == "sysrq-manual"
        # the report's task is the kworker running SysRq-f's work (drivers/tty/sysrq.c moom_work)
        or any(item.fields.get("function") in _SYSRQ_FRAMES for item in by_kind.get("workqueue", ()))
    ):
        return "sysrq-manual"
    if (
        (kill and kill.memcg_kill)
        or "memcg_task_in" in by_kind
        or "memcg_counter" in by_kind
        or "memcg_stats_start" in by_kind
    ):
        return "memcg-oom"
    if (
        "invoked" not in by_kind
        and (functions & {"warn_alloc", "warn_alloc_failed"} or trace_kind == "page-allocation-failure")
        and not functions & {"out_of_memory", "oom_kill_process"}
    ):
        return "page-allocation-failure"
    if (
        "invoked" in by_kind
        or kill is not None
        or summary is not None
        or "task_row" in by_kind
        or "tasks_state" in by_kind
        or "task_table_header" in by_kind
        or (panic and "memory" in panic.reason.lower())
        or functions & {"out_of_memory", "oom_kill_process"}
        or trace_kind == "oom-kill"
    ):
        return "oom-kill"
    return None


_TASK_COLUMN_ERAS = {
    6: ("uid", "tgid", "total_vm", "rss", "cpu", "oom_adj"),
    7: ("uid", "tgid", "total_vm", "rss", "pgtables_bytes", "swapents", "oom_score_adj"),
    8: ("uid", "tgid", "total_vm", "rss", "nr_ptes", "nr_pmds", "swapents", "oom_score_adj"),
    10: (
        "uid",
        "tgid",
        "total_vm",
        "rss",
        "rss_anon",
        "rss_file",
        "rss_shmem",
        "pgtables_bytes",
        "swapents",
        "oom_score_adj",
    ),
}


# TaskRow's numeric fields, in constructor order, and the column name the kernel prints for each.
_TASK_FIELDS = (
    "uid",
    "tgid",
    "total_vm",
    "rss",
    "rss_anon",
    "rss_file",
    "rss_shmem",
    "pgtables_bytes",
    "nr_ptes",
    "nr_pmds",
    "swapents",
    "oom_score_adj",
    "oom_adj",
    "cpu",
)


@lru_cache(maxsize=64)
def _column_getter(names: tuple[str, ...]) -> Callable[[list[int | None]], tuple[int | None, ...]]:
    """Picks TaskRow's numeric fields, in constructor order, from a row's numbers under the
    header's numeric columns ``names`` followed by one None (the value of a column not printed)."""
    index = {name: position for position, name in enumerate(names)}
    return itemgetter(*(index.get(field, len(names)) for field in _TASK_FIELDS))


def _era_names(words: list[str], kernel: str | None) -> tuple[str, ...]:
    """The numeric columns of a row printed without its header, from their number and the release."""
    numeric = 0
    for count in range(len(words) - 1, 0, -1):
        if _all_ints(words[:count]):
            numeric = count
            break
    names = _TASK_COLUMN_ERAS.get(numeric, ())
    if numeric == 7 and kernel and _release_before(kernel, (3, 10)):
        names = ("uid", "tgid", "total_vm", "rss", "cpu", "oom_adj", "oom_score_adj")
    elif numeric == 7 and kernel and _release_before(kernel, (4, 15)):
        names = ("uid", "tgid", "total_vm", "rss", "nr_ptes", "swapents", "oom_score_adj")
    return names if numeric and len(names) == numeric else ()


def _task_row(pid: int, rest: str, number: int, names: tuple[str, ...], kernel: str | None) -> TaskRow | None:
    """One task-dump row; ``names`` are the header's numeric columns (empty: no header seen)."""
    words = rest.split()
    numbers = _ints(words[: len(names)]) if names and len(words) > len(names) else None
    if numbers is None:
        # no header (or one that does not fit): infer the era from the number of columns
        names = _era_names(words, kernel)
        if not names:
            return None
        numbers = _ints(words[: len(names)])
        if numbers is None:
            return None
    values: list[int | None] = [*numbers, None]
    return _task_row_of(pid, *_column_getter(names)(values), name=" ".join(words[len(names) :]), line=number)


def _task_rows(row_items: list[Item], names: tuple[str, ...], kernel: str | None) -> list[TaskRow | None]:
    """``_task_row`` of every row of the items (runs included), in order. A row whose numbers fill
    the header's columns (nearly every row) is read here in one loop by the header's row maker
    (``_row_maker``); any other row goes through ``_task_row``."""
    count = len(names)
    make = _row_maker(names) if names else None
    out: list[TaskRow | None] = []
    append = out.append
    for item in row_items:
        # the item's own row, then the other rows of its run (each has ``number`` and ``text``)
        for line in (item, *item.run) if item.run else (item,):
            pid, _, rest = line.text.partition("]")
            words = rest.split()
            if make is not None and len(words) > count:
                try:
                    # (the name is one word in nearly every row: no list of it to join)
                    name = words[count] if len(words) == count + 1 else " ".join(words[count:])
                    append(make(int(pid.lstrip("[ \t")), words, name, line.number))
                    continue
                except ValueError:  # a column that is not a number: read as a row without a header
                    pass
            append(_task_row(int(pid.lstrip("[ \t")), rest + "\n", line.number, names, kernel))
    return out


@lru_cache(maxsize=64)
def _row_maker(names: tuple[str, ...]) -> Callable[[int, list[str], str, int], TaskRow]:
    """The TaskRow of a row under the header's numeric columns ``names``: ``make(pid, words,
    name, line)`` reads each of the first ``len(names)`` words as an int (ValueError when one is
    not), each TaskRow field from its column (None for a column not printed), and makes the row
    as ``_task_row_of`` does (``quick_constructor``'s twin, then its class). The same row as
    ``_column_getter(names)`` over the ints followed by None, without a list, a map and a tuple
    per row: the function is written for the header's columns (only column positions go into
    its text, never a name read from the input) and compiled once per header."""
    position = {name: index for index, name in enumerate(names)}  # (a repeated column: its last place)
    ints = "".join(f"    v{index} = int(words[{index}])\n" for index in range(len(names)))
    fields = "".join(f"v{position[field]}, " if field in position else "None, " for field in _TASK_FIELDS)
    source = (
        "def make(pid, words, name, line):\n"
        f"{ints}"
        f"    row = twin(pid, {fields}name, line)\n"
        "    row.__class__ = TaskRow\n"
        "    return row\n"
    )
    namespace: dict[str, Any] = {"twin": _task_row_twin, "TaskRow": TaskRow}
    exec(compile(source, f"<task row maker {len(names)}>", "exec"), namespace)  # (our own text, see above)
    return namespace["make"]  # type: ignore[no-any-return]


def _cut_task_row(pid: int, rest: str, number: int, names: tuple[str, ...]) -> TaskRow | None:
    """A row cut before its name: the numbers still there, the last one only when whitespace
    follows it (`  12` may be the start of `12034`); the name is unknown (empty)."""
    words = rest.split()
    if not names or not words or len(words) > len(names) or not rest.strip():
        return None
    if not rest[-1:].isspace():
        words = words[:-1]
    numbers = _ints(words)
    if numbers is None:
        return None
    values: list[int | None] = [*numbers, *([None] * (len(names) + 1 - len(numbers)))]
    return _task_row_of(pid, *_column_getter(names)(values), name="", line=number)


def _ints(words: list[str]) -> list[int] | None:
    try:
        return list(map(int, words))
    except ValueError:
        return None


def _all_ints(words: list[str]) -> bool:
    return _ints(words) is not None


def _release_before(kernel: str, version: tuple[int, int]) -> bool:
    found = release_version(kernel)
    return found is not None and found[:2] < version

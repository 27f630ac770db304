"""Checks: code that reads an :class:`~knowledge.analysis.Analysis` and says whether a finding holds.

A check is registered under a name with the facts it needs. The catalogue
(``knowledge/findings/OOMnnn.yaml``) names the check and its params; several findings may share
one check. A check returns ``None`` (silent: the facts are there and the finding does not hold)
or a :class:`Hit` with a confidence in [0, 1], the named evidence and template context. When the
facts a check declares are missing it is not run and the finding is reported "not evaluated".

Thresholds are params in the YAML records, each explained there and in docs/diagnosis.md; none
is keyed to a particular paste, process or machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from grammar.facts import SourceLine

from .. import driver_params
from ..analysis import LOWMEM_ZONES, SIZING_HEADROOM, Analysis
from ..surroundings import kernel_lines

Evidence = dict[str, tuple[object, tuple[SourceLine, ...]]]

# A container runtime's own processes: runc (crun, youki) is `runc:[0:PARENT]`, `runc:[1:CHILD]`,
# `runc:[2:INIT]` while it sets a container up, until it execs the container's program (runc
# libcontainer/nsenter/nsexec.c names the stages), and conmon, containerd-shim and the pause
# container stay beside it. Killed inside a container's memory cgroup, they say the program never
# started within the limit; they hold no application memory of their own to bound.
CONTAINER_RUNTIME = re.compile(r"^(?:runc|crun|youki)(?::\[\d:[A-Z]+\])?$|^(?:conmon|containerd-shim\S*|pause)$")


@dataclass
class Hit:
    confidence: float
    evidence: Evidence = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    role: str | None = None  # overrides the record's role (e.g. demoted to "contributing")


@dataclass(frozen=True)
class CheckSpec:
    name: str
    needs: tuple[str, ...]  # each entry a fact name or alternatives joined by "|"
    function: Callable[[Analysis, dict[str, Any]], Hit | None]
    doc: str


FACTS: dict[str, Callable[[Analysis], bool]] = {
    "event": lambda a: True,
    "trigger": lambda a: a.event.trigger is not None,
    "order": lambda a: a.order is not None,
    "gfp": lambda a: a.gfp is not None,
    "zones": lambda a: any(z.min_kb is not None for z in a.zones),
    "buddy": lambda a: bool(a.event.buddy),
    "meminfo": lambda a: a.breakdown is not None,
    "ram": lambda a: a.ram_kb is not None,
    "tasks": lambda a: bool(a.tasks),
    "kill": lambda a: a.event.kill is not None,
    "swap": lambda a: a.swap_total_kb is not None,
    "hugepages": lambda a: bool(a.event.hugepages),
    "memcg": lambda a: a.is_memcg,
    "arch": lambda a: a.is_32bit is not None,
    "numa": lambda a: len(a.node_ids) > 1,
    "constraint": lambda a: a.constraint is not None,
    "page_totals": lambda a: bool(a.event.page_totals),
    "kernel": lambda a: a.version is not None,
}

REGISTRY: dict[str, CheckSpec] = {}


def check(
    name: str, needs: tuple[str, ...] = ("event",)
) -> Callable[[Callable[..., Hit | None]], Callable[..., Hit | None]]:
    def register(function: Callable[..., Hit | None]) -> Callable[..., Hit | None]:
        for need in needs:
            for alternative in need.split("|"):
                if alternative not in FACTS:
                    raise ValueError(f"check {name}: unknown fact {alternative!r}")
        REGISTRY[name] = CheckSpec(name, needs, function, (function.__doc__ or "").strip())
        return function

    return register


def has_fact(analysis: Analysis, name: str) -> bool:
    """Whether the event shows the fact ``name`` of FACTS, worked out once per event (some forty
    checks ask for the same dozen facts)."""
    shown = analysis.facts.get(name)
    if shown is None:
        shown = analysis.facts[name] = FACTS[name](analysis)
    return shown


def missing_facts(spec: CheckSpec, analysis: Analysis) -> tuple[str, ...]:
    """The needs (alternatives kept together) that this event does not show."""
    # Asked for every record of the catalogue, for every event, and the records ask for the
    # same few dozen needs: each need ("tasks|kill" as a whole) is worked out once per event
    # and kept in ``analysis.facts`` beside the facts it reads (a name with "|" is no fact's).
    facts = analysis.facts
    missing: tuple[str, ...] = ()
    for need in spec.needs:
        shown = facts.get(need)
        if shown is None:
            shown = facts[need] = _shows(analysis, need)
        if not shown:
            missing += (need,)
    return missing


def _shows(analysis: Analysis, need: str) -> bool:
    """Whether the event shows one of the alternatives of ``need`` (each fact worked out once)."""
    facts = analysis.facts
    for alternative in _need_alternatives(need):
        shown = facts.get(alternative)
        if shown is None:
            shown = facts[alternative] = FACTS[alternative](analysis)
        if shown:
            return True
    return False


@cache
def _need_alternatives(need: str) -> tuple[str, ...]:
    return tuple(need.split("|"))


def _workload_context(a: Analysis, *names: str | None) -> dict[str, Any]:
    """ctx.workload (knowledge/workloads.yaml: which setting bounds this program), ctx.sizing and
    ctx.named_workload: when the report names no known program, the one the text around it names
    (a syslog program tag, a systemd unit, a `top` row), with the name and where it was seen - a
    candidate to check, not the process the report shows holding the memory."""
    workload = a.workload(*names)
    # the process name the record was recognised by (None when a cgroup path or unit matched it):
    # the program's own name (a record's first pattern) before one of its thread names
    process = None
    if workload is not None:
        matching = [n for n in names if n and any(p.search(n) for p in workload.process)]
        process = next((n for n in matching if workload.process[0].search(n)), matching[0] if matching else None)
    named = a.named_workload if workload is None else None
    return {
        "named_workload": (
            {
                "name": named[0].name,
                "levers": named[0].levers,
                "id": named[0].id,
                "seen": named[1].name,
                "source": named[1].source,
            }
            if named
            else None
        ),
        "workload": (
            {
                "name": workload.name,
                "levers": workload.levers,
                "id": workload.id,
                "process": process,
                "limit_setting": workload.limit_setting,
                "limit_share": workload.limit_share,
            }
            if workload
            else None
        ),
        "sizing": a.sizing,
    }


def _fit_context(a: Analysis, held_kb: int | None) -> dict[str, Any] | None:
    """ctx.fit: the room a program that held ``held_kb`` (RSS + swap + page tables) has beside the
    rest of a global OOM: RAM (+ swap) less everything else that nothing could reclaim at the kill
    (Analysis.sizing's demand less the program's own share). None inside a memory cgroup (OOM401
    sizes the group against its limit), without the figures, or when the rest alone fills memory."""
    sizing = a.sizing
    if a.is_memcg or sizing is None or not held_kb:
        return None
    others = max(0, sizing["demand_kb"] - held_kb)
    room = sizing["capacity_kb"] - others
    if room <= 0:
        return None
    return {
        "held_kb": held_kb,
        "others_kb": others,
        "room_kb": room,
        "capacity_kb": sizing["capacity_kb"],
        "scope": sizing["scope"],
    }


def _count_context(a: Analysis, group: Any, workload: Any) -> dict[str, Any] | None:
    """ctx.count: for a record whose processes are copies of one program (``count_setting``), how
    many of them the dump shows, their average RSS + swap + page tables, and how many fit in the
    room beside the rest of a global OOM (RAM (+ swap) less everything else nothing could reclaim,
    as _fit_context) with SIZING_HEADROOM kept free. RSS counts the pages the copies share in each
    of them, so the count errs low."""
    if workload is None or not workload.count_setting or group is None or len(group.pids) < 2:
        return None
    fit = _fit_context(a, group.badness_kb)
    if fit is None:
        return None
    each = group.badness_kb // len(group.pids)
    if each <= 0:
        return None
    fits = int(fit["room_kb"] / (1 + SIZING_HEADROOM) // each)
    return {
        "setting": workload.count_setting,
        "processes": len(group.pids),
        "each_kb": each,
        "room_kb": fit["room_kb"],
        "fits": max(1, fits),
    }


def _fix_dict(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "title": f.title,
        "fix": f.fix,
        "fixed_in": f.fixed_in,
        "workaround": f.workaround,
        "source": f.source,
        "kernels": "-".join(".".join(str(n) for n in end) for end in f.kernels) if f.kernels else None,
        "unfixed": f.unfixed,
    }


def _kernel_fixes(a: Analysis) -> list[dict[str, Any]]:
    """Known kernel defects this event fits that have a fix (knowledge/kernel_fixes.yaml), for
    ctx.kernel_fixes: the steps built on it say "upgrade to a kernel with the fix"; a defect with no
    upstream fix, or an out-of-tree module's whose fix is the module's own release, is named by the
    known_defect finding (OOM606) alone."""
    return [_fix_dict(f) for f in a.kernel_fixes() if not f.unfixed and not f.out_of_tree]


def _slab_sources(a: Analysis) -> dict[str, str]:
    """ctx.slab_list / ctx.alloc_traces: where this kernel shows the biggest slab caches and the
    call sites that allocate one, for the slab findings (OOM212, OOM219, OOM603).

    dump_unreclaimable_slab() ('Unreclaimable slab info' after Mem-Info) exists from 4.15
    (mm/oom_kill.c is_dump_unreclaim_slabs(), 'mm: oom: show unreclaimable slab info when
    unreclaimable slabs > user memory'): only in a global OOM, only when unreclaimable slab exceeds
    the LRU pages, and only with CONFIG_SLAB or CONFIG_SLUB_DEBUG (mm/slab.h; a stub otherwise).
    SLUB's alloc_calls moved from sysfs to debugfs alloc_traces in 5.14 (64dd68497be7)."""
    version = a.version
    if version is not None and version >= (5, 14):
        traces = "/sys/kernel/debug/slab/<cache>/alloc_traces (debugfs; 5.14 moved it out of sysfs)"
    elif version is not None:
        traces = "/sys/kernel/slab/<cache>/alloc_calls"
    else:
        traces = "/sys/kernel/debug/slab/<cache>/alloc_traces on 5.14+ or /sys/kernel/slab/<cache>/alloc_calls before"
    if a.find_lines(r"Unreclaimable slab info"):
        listed = "the 'Unreclaimable slab info' in the report lists the biggest"
    elif version is not None and version < (4, 15):
        listed = "this kernel (before 4.15) prints no 'Unreclaimable slab info' list in its OOM report"
    else:
        listed = (
            "this paste shows no 'Unreclaimable slab info' list, which kernels from 4.15 built with SLAB or"
            " SLUB_DEBUG print after Mem-Info in a global OOM when unreclaimable slab exceeds the LRU pages"
        )
    return {"slab_list": listed, "alloc_traces": traces}


def _module_context(a: Analysis) -> dict[str, Any]:
    """ctx.module / ctx.module_function: the loadable module whose code is in the call trace."""
    found = a.trace_module
    module = found[0] if found else None
    # a parameter of that module that keeps or shrinks the buffer whose allocation is in the trace
    # (knowledge/driver_params.yaml): the driver's own way around the high-order request
    param = driver_params.matching(module, a.event.call_trace) if module else None
    return {
        "module": module,
        "module_function": found[1] if found else None,
        "module_param": (
            {"parameter": param.parameter, "effect": param.effect, "set": param.set, "source": param.source}
            if param
            else None
        ),
    }


# A person's words that say the failures keep coming ("page allocation failures occur", "it keeps
# failing", "again and again", "floods the log"): the paste holds one report, the reporter saw
# many - the same evidence as the failure pasted again and again (as the words that say the
# network stopped are read, knowledge.surroundings.network_stopped). Plural "failures": one
# "failure occurs" names the event, not its recurrence.
RECURS_SAID = re.compile(
    r"(?i)\bfailures (occur|keep|happen|appear|show up|repeat|recur)"
    r"|\b(keeps?|kept) (happening|failing|coming|appearing)|\bagain and again\b"
    r"|\bfloods? (the|my|our) (log|dmesg|console|syslog)"
)

# How many lines may lie between a report tail cut above and the next report's first line for the
# tail to be read as that report's predecessor (the lines are adjacent in a log; one blank or a
# quote's marker line may come between in a mail)
TAIL_GAP = 2


def report_tail_before(a: Analysis, event: Any) -> Any:
    """The event of the paste right above ``event`` when it is the tail of an earlier report, cut
    above: no trigger line and no kill line of its own (Mem-Info, zone and page-total lines), from
    the same machine, ending at most ``TAIL_GAP`` lines above ``event``. Every kernel prints its
    memory report after the header and the call trace (mm/page_alloc.c warn_alloc(), mm/oom_kill.c
    dump_header(), and __alloc_pages()'s own printk then dump_stack() then show_mem() in 2.6), so
    such a tail belongs to an earlier report, not to ``event``."""
    events = a.dump.events
    index = next((i for i, e in enumerate(events) if e is event), None)
    if not index:
        return None
    if event.trigger is None and event.kill is None:
        return None  # the report below must be one with its header or kill line, not another tail
    tail = events[index - 1]
    if tail.trigger is not None or tail.kill is not None or tail.kind is not None:
        return None
    if tail.host and event.host and tail.host != event.host:
        return None
    if not 0 < event.first_line - tail.last_line <= TAIL_GAP + 1:
        return None
    return tail


_ANY: Any = object()


def failures_alike(a: Analysis, *, mask: Any = _ANY, order: Any = _ANY, host: Any = _ANY) -> list[Any]:
    """The paste's allocation-failure reports (warn_alloc() of a request that failed: not 4.9-4.14's
    stall warning, printed while the request was still retried) with a trigger line, of a request
    with this gfp ``mask``, this ``order`` and on this ``host`` where those are given: how often the
    same request failed, as the repeat counts of OOM121, OOM130, OOM501, OOM502 and OOM610 read it."""
    return [
        e
        for e in a.dump.events
        if e.kind == "page-allocation-failure"
        and e.stall_ms is None
        and e.trigger is not None
        and (mask is _ANY or e.trigger.gfp_mask == mask)
        and (order is _ANY or e.trigger.order == order)
        and (host is _ANY or e.host == host)
    ]


def recurrence(a: Analysis) -> tuple[SourceLine, ...]:
    """Lines that show a failure the paste holds once is not a one-off: the person's words saying
    such failures recur (``RECURS_SAID``), or the cut tail of an earlier report right above it
    (``report_tail_before``)."""
    tail = report_tail_before(a, a.event)
    return recurrence_said(a) + ((tail.lines[0],) if tail is not None and tail.lines else ())


def recurrence_said(a: Analysis) -> tuple[SourceLine, ...]:
    """The person's words that say such failures recur (``RECURS_SAID``)."""
    from ..surroundings import prose_matching

    return prose_matching(a.dump, RECURS_SAID)[:1]


def _warning_only(a: Analysis, repeats: int, min_repeats: int) -> bool:
    """A lone page allocation failure warning: nothing was killed, it did not recur, and no line
    after it says what failed with it.

    warn_alloc() (mm/page_alloc.c) prints it for any failed request without __GFP_NOWARN; the
    caller gets NULL and handles it (falls back to order-0 or vmalloc memory, retries, drops a
    packet that is resent), so one such warning is harmless unless errors follow - and when the
    paste shows them (``gave_up_after``, ``device_failed_after``), it is not; nor when the paste
    shows it recurs although it holds it once (``recurrence``: the person's words, an earlier
    report's tail right above).
    """
    return (
        a.event.kind == "page-allocation-failure"
        and a.event.kill is None
        and repeats < min_repeats
        and not gave_up_after(a)
        and not device_failed_after(a)
        and not recurrence(a)
    )


# A device's own error message as dev_printk() prints it, `<driver> <device>: <message>`
# (drivers/base/core.c __dev_printk(): dev_driver_string() and dev_name(); netdev_printk() adds
# the interface name, `r8169 0000:02:00.0 eth0: ...`), for the device names of the buses whose
# drivers make atomic and DMA requests: a USB interface (`4-1:1.0`, drivers/usb/core/message.c
# usb_set_configuration(): "%d-%s:%d.%d") or device (`1-1.3`), a PCI function (`0000:02:00.0`,
# drivers/pci/probe.c pci_setup_device()), a platform device named by its address
# (`fe300000.mmc`, drivers/of/platform.c of_device_make_bus_id()), an SDIO function
# (`mmc1:0001:1`) - and a message that says it failed.
DEVICE_ERROR = re.compile(
    r"(?:^|[\s>])(?P<driver>[A-Za-z][\w.-]*) "
    r"(?P<device>\d+-[\d.]+(?::\d+\.\d+)?|[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"
    r"|[0-9a-f]{5,}\.[A-Za-z][\w-]*|mmc\d+:[0-9a-f]{4}(?::\d+)?)(?: [\w.-]+)?: "
    r"(?P<text>[^\n]*?\b(?:fail(?:s|ed|ure)?|errors?|timed out|time-?out|not responding|hang|hung)\b[^\n]*)",
    re.I,
)

# The person's words saying what ran on the failed allocation stopped working after it: the link
# or the device it drives died, dropped or locked up
FAILED_AFTER_SAID = re.compile(
    r"(?i)\b(?:link|connection|wi-?fi|wlan|network|nic|interface|adapter|dongle)s?\b[^.\n]{0,40}?"
    r"\b(?:dies|died|dead|drops|dropped|goes down|went down|is lost|was lost|stops working|"
    r"stopped working|locks up|locked up|hangs|hung|keeps dropping|keeps disconnecting)\b"
)


def device_failed_after(a: Analysis) -> tuple[SourceLine, ...]:
    """Lines that show the caller's device failing with the warning or right after it: a device's
    error message (``DEVICE_ERROR``) among the event's lines after its first or within
    ``GAVE_UP_REACH`` lines after its end (the person's quoted log, or a line the report does not
    take), or the person's words saying its link or device died (``FAILED_AFTER_SAID``). A driver
    whose buffer refill or transmit path failed atomically may not retry, and the device stops
    (a USB wifi driver's `failed to get tx report`, a NIC's transmit timeout): then the single
    warning is not harmless."""
    # worked out once per event: OOM130, OOM131, OOM501 and OOM502 each ask (read only)
    if "_device_failed_after" not in a.__dict__:
        a.__dict__["_device_failed_after"] = _device_failed_after(a)
    return cast("tuple[SourceLine, ...]", a.__dict__["_device_failed_after"])


def _device_failed_after(a: Analysis) -> tuple[SourceLine, ...]:
    from ..surroundings import facts, prose_matching

    event = a.event
    end = event.last_line + GAVE_UP_REACH
    candidates = [*event.lines, *(SourceLine(u.line, u.text) for u in event.unparsed), *facts(a.dump).prose]
    first = min(
        (line for line in candidates if event.first_line < line.number <= end and DEVICE_ERROR.search(line.text)),
        key=lambda line: line.number,
        default=None,
    )
    return ((first,) if first is not None else ()) + prose_matching(a.dump, FAILED_AFTER_SAID)[:1]


# How far below a warning's last line the caller's own failure message is read as its outcome:
# a driver or nommu prints it right after warn_alloc()'s report returns (a few lines of its own
# cleanup may come between), not a screen later.
GAVE_UP_REACH = 10


def gave_up_after(a: Analysis) -> tuple[SourceLine, ...]:
    """Kernel lines right after this warning (within ``GAVE_UP_REACH`` lines of its end, from the
    same machine) that say the allocation failed for good: the caller gave up instead of falling
    back (``alloc_gave_up`` of grammar/context.lark: `cannot alloc N bytes`, `nommu: Allocation
    of length N ... failed`, `errno 12`, `-ENOMEM`)."""
    event = a.event
    lines = []
    for row in kernel_lines(a.dump, "alloc_gave_up"):
        line = row.line
        if not event.first_line < line.number <= event.last_line + GAVE_UP_REACH:
            continue
        host = line.stamp.host if line.stamp is not None else None
        if host and event.host and host != event.host:
            continue
        lines.append(line)
    return tuple(lines)


def _usable_lowmem(a: Analysis) -> list[Any]:
    return [z for z in a.usable_zones if z.name in LOWMEM_ZONES]


def _flag(a: Analysis, *names: str) -> bool:
    flags = set(getattr(a.gfp, "flag_names", []) or []) | set(getattr(a.gfp, "symbolic_names", ()) or ())
    return any(n in flags for n in names)


def _boot_masked(a: Analysis) -> bool:
    """Was the request made while the kernel still strips reclaim from every request: until the
    scheduler is up, __alloc_pages() ands the caller's mask with gfp_allowed_mask = GFP_BOOT_MASK
    (mm/internal.h: __GFP_BITS_MASK without __GFP_RECLAIM, __GFP_IO, __GFP_FS; since 2.6.31), lifted
    late in start_kernel() (2.6.31-3.x) or in kernel_init_freeable() (init/main.c, v4.x-v6.x), and
    the failure warning prints the stripped mask. A request from start_kernel() itself therefore
    shows no reclaim bits whatever its caller asked for (parisc's set_fixmap() asks
    GFP_KERNEL|__GFP_ZERO for a page table and prints __GFP_ZERO). Not when the trace passes through
    rest_init() (noinline, init/main.c): start_kernel() ends there, and the boot CPU's idle loop
    under it (cpu_startup_entry(), do_idle()) serves interrupts for the machine's whole life."""
    return _trace_has(a, "start_kernel") is not None and _trace_has(a, *IDLE_LOOP) is None


# start_kernel()'s last call, rest_init(), and the idle loop of the boot CPU beneath it
# (init/main.c; kernel/sched/idle.c cpu_startup_entry() and do_idle() since 4.9, cpu_idle() and
# cpu_idle_loop() before)
IDLE_LOOP = ("rest_init", "arch_call_rest_init", "cpu_startup_entry", "do_idle", "cpu_idle", "cpu_idle_loop")


def _trace_has(a: Analysis, *names: str) -> str | None:
    for function in a.event.call_trace:
        bare = function.lstrip(".")  # ppc64 ELFv1 entry symbols: '.mm_init' (kernel_fixes._function)
        for name in names:
            if bare == name or bare.startswith(name + "."):
                return function
    return None


# The functions of process creation that allocate the new task's own memory (kernel/fork.c: its
# task_struct, kernel stack and mm; the page directory: pgd_alloc() in arch/*/mm/pgtable.c),
# and the entries into them across releases (do_fork before 4.2, _do_fork 4.2-5.9, kernel_clone
# 5.10+), plus the page-table allocations of a fault (mm/memory.c __pte_alloc(), __pmd_alloc(),
# __pud_alloc()). Every fork and every page fault makes these requests; some are above order 0:
# x86_64's kernel stack is 16 KiB, order 2 (THREAD_SIZE_ORDER, commit 6538b8ea886e "x86_64: expand
# kernel stack to 16K"), and with page-table isolation its page directory is two pages, order 1
# (arch/x86/include/asm/pgalloc.h PGD_ALLOCATION_ORDER under CONFIG_PAGE_TABLE_ISOLATION, 4.15+).
ROUTINE_REQUESTS = (
    "copy_process",
    "dup_task_struct",
    "alloc_thread_stack_node",
    "alloc_thread_info_node",
    "dup_mm",
    "mm_init",
    "pgd_alloc",
    "do_fork",
    "_do_fork",
    "kernel_clone",
    "__pte_alloc",
    "__pmd_alloc",
    "__pud_alloc",
    "pte_alloc_one",
)


def _routine_request(a: Analysis) -> str | None:
    """Is the request one the kernel makes for every process it creates (or every page table a
    fault fills), so that a failure of it at orders 1-3 says as much about memory as one at order
    0? The function in the trace that says so, or "kthreadd" when the trace was cut and the
    allocating task is kthreadd: kernel/kthread.c kthreadd() does nothing but create kernel
    threads (create_kthread(), a fork of kthreadd), so what it allocates is a new thread's."""
    found = _trace_has(a, *ROUTINE_REQUESTS)
    if found is not None:
        return found
    trigger = a.event.trigger
    if trigger is not None and trigger.comm == "kthreadd" and not a.event.call_trace:
        return "kthreadd"
    return None

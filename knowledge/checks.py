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
from typing import Any

from grammar.facts import SourceLine

from .analysis import HYPERVISOR_PROCESS, LOWMEM_ZONES, Analysis, ramp

Evidence = dict[str, tuple[object, tuple[SourceLine, ...]]]


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


def missing_facts(spec: CheckSpec, analysis: Analysis) -> tuple[str, ...]:
    """The needs (alternatives kept together) that this event does not show."""
    return tuple(need for need in spec.needs if not any(FACTS[alt](analysis) for alt in need.split("|")))


def _workload_context(a: Analysis, *names: str | None) -> dict[str, Any]:
    """ctx.workload (knowledge/workloads.yaml: which setting bounds this program) and ctx.sizing."""
    workload = a.workload(*names)
    return {
        "workload": {"name": workload.name, "levers": workload.levers, "id": workload.id} if workload else None,
        "sizing": a.sizing,
    }


def _fix_dict(f: Any) -> dict[str, Any]:
    return {
        "id": f.id,
        "title": f.title,
        "fix": f.fix,
        "fixed_in": f.fixed_in,
        "workaround": f.workaround,
        "source": f.source,
    }


def _kernel_fixes(a: Analysis) -> list[dict[str, Any]]:
    """Known kernel defects this event fits (knowledge/kernel_fixes.yaml), for ctx.kernel_fixes."""
    from .kernel_fixes import matches

    return [_fix_dict(f) for f in matches(a)]


def _module_context(a: Analysis) -> dict[str, Any]:
    """ctx.module / ctx.module_function: the loadable module whose code is in the call trace."""
    found = a.trace_module
    return {"module": found[0] if found else None, "module_function": found[1] if found else None}


def _warning_only(a: Analysis, repeats: int, min_repeats: int) -> bool:
    """A lone page allocation failure warning: nothing was killed and it did not recur.

    warn_alloc() (mm/page_alloc.c) prints it for any failed request without __GFP_NOWARN; the
    caller gets NULL and handles it (falls back to order-0 or vmalloc memory, retries, drops a
    packet that is resent), so one such warning is harmless unless errors follow.
    """
    return a.event.kind == "page-allocation-failure" and a.event.kill is None and repeats < min_repeats


def _usable_lowmem(a: Analysis) -> list[Any]:
    return [z for z in a.usable_zones if z.name in LOWMEM_ZONES]


def _flag(a: Analysis, *names: str) -> bool:
    flags = set(getattr(a.gfp, "flag_names", []) or []) | set(getattr(a.gfp, "symbolic_names", ()) or ())
    return any(n in flags for n in names)


def _trace_has(a: Analysis, *names: str) -> str | None:
    for function in a.event.call_trace:
        for name in names:
            if function == name or function.startswith(name + "."):
                return function
    return None


# ================================================================================ manual / policy
@check("manual_trigger")
def manual_trigger(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """SysRq-f or an order=-1 request: the OOM killer was invoked by hand."""
    if not (a.event.sysrq or a.order == -1 or a.event.kind == "sysrq-manual"):
        return None
    lines = a.find_lines(r"sysrq|order=-1|Manual OOM execution")
    evidence: Evidence = {"order": (a.order, lines), "sysrq": (True, lines)}
    # SysRq-f is often written by a program reacting to real memory pressure: when the zones the
    # request could use are at or below the kernel's floor (or swap is full), say so.
    starved = [z for z in a.usable_zones if z.below_min]
    judged = [z for z in a.usable_zones if z.below_min is not None]
    shortage = bool(judged) and len(starved) == len(judged)
    swap_full = bool(a.swap_total_kb) and a.swap_free_kb is not None and a.swap_free_kb <= 0.02 * (a.swap_total_kb or 0)
    if shortage:
        evidence["starved_zones"] = (
            ", ".join(z.label for z in starved),
            tuple(ln for z in starved for ln in z.lines[:1]),
        )
    if swap_full:
        evidence["free_swap_kb"] = (a.swap_free_kb, a.swap_lines)
    return Hit(
        p["confidence"],
        evidence,
        {
            "panicked": a.event.panic is not None,
            "shortage": shortage or swap_full,
            "judged": bool(judged) or a.swap_total_kb is not None,
        },
    )


@check("panic_policy", needs=("event",))
def panic_policy(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The kernel panicked because vm.panic_on_oom asked it to."""
    panic = a.event.panic
    if panic is None or "panic_on_oom" not in panic.reason:
        return None
    mode = 2 if "compulsory" in panic.reason else 1
    return Hit(
        p["confidence"],
        {"panic_reason": (panic.reason, a.lines(panic.line)), "panic_on_oom": (mode, a.lines(panic.line))},
    )


@check("no_killable", needs=("event",))
def no_killable(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Nothing was eligible: every task is OOM_SCORE_ADJ_MIN (-1000) or unkillable."""
    panic = a.event.panic
    text_lines = a.find_lines(r"no killable processes|System is deadlocked on memory")
    protected = [t for t in a.tasks if t.protected]
    all_protected = bool(a.tasks) and len(protected) == len(a.tasks)
    if not text_lines and not all_protected:
        return None
    if a.tasks and len(protected) < p["min_protected_share"] * len(a.tasks):
        return None  # earlier victims are dying, not protected: the memory is not in tasks
    if not text_lines and a.event.kill is not None:
        return None
    if _boot_without_tasks(a, p["boot_uptime_s"]):
        return None  # no process exists yet: the kernel alone did not fit (OOM223), not oom_score_adj
    evidence: Evidence = {
        "panic_reason": (
            panic.reason if panic else text_lines[0].text if text_lines else "every task is -1000",
            text_lines or (a.lines(panic.line) if panic else ()),
        ),
        "protected_tasks": (len(protected), a.lines(*(r.line for t in protected[:5] for r in t.rows))),
        "task_count": (len(a.tasks), a.lines(a.event.task_table_line)),
    }
    largest = a.tasks[0] if a.tasks else None
    if largest is not None:
        evidence["largest_task"] = (largest.name, a.lines(*(r.line for r in largest.rows)))
        evidence["largest_task_kb"] = (largest.badness_kb, a.lines(*(r.line for r in largest.rows)))
    return Hit(p["confidence"], evidence, {"has_largest": largest is not None})


def _event_uptime(a: Analysis) -> float | None:
    return next((ln.stamp.uptime_s for ln in a.event.lines if ln.stamp.uptime_s is not None), None)


def _boot_without_tasks(a: Analysis, boot_uptime_s: float) -> bool:
    """No user process to kill because none exists yet: the task table is printed empty, or it is
    absent and the report comes within the first ``boot_uptime_s`` seconds after boot."""
    if a.tasks or not a.find_lines(r"no killable processes|System is deadlocked on memory"):
        return False
    if a.event.task_table_line is not None:
        return True
    uptime = _event_uptime(a)
    return uptime is not None and uptime < boot_uptime_s


@check("kernel_too_big_for_ram", needs=("event",))
def kernel_too_big_for_ram(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Nothing to kill because no process exists yet: the kernel's own boot (drivers, initramfs, per-CPU
    memory) needs more than the machine, VM or crash-kernel reservation has."""
    if not _boot_without_tasks(a, p["boot_uptime_s"]):
        return None
    text_lines = a.find_lines(r"no killable processes|System is deadlocked on memory")
    evidence: Evidence = {"panic_reason": (text_lines[0].text.strip(), text_lines[:1])}
    if a.event.task_table_line is not None:
        evidence["task_count"] = (0, a.lines(a.event.task_table_line))
    uptime = _event_uptime(a)
    if uptime is not None:
        evidence["uptime_s"] = (round(uptime, 1), text_lines[:1])
    ram = a.ram_kb
    suggest_kb = None
    if ram:
        evidence["ram_kb"] = (ram, a.ram_lines)
        # at least p["floor_kb"], and at least twice what did not fit, rounded up to a power of two
        target = max(p["floor_kb"], 2 * ram)
        suggest_kb = 1 << (int(target) - 1).bit_length()
    return Hit(
        p["confidence"], evidence, {"suggest_kb": suggest_kb, "suggest_mb": suggest_kb // 1024 if suggest_kb else None}
    )


@check("repeated_kills", needs=("event",))
def repeated_kills(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The same process name was killed again and again in this paste (on the same host)."""
    events = [e for e in a.dump.events if e.host == a.event.host]
    names = [e.kill.comm for e in events if e.kill and e.kill.comm]
    victim = a.event.kill.comm if a.event.kill else None
    if victim is None or names.count(victim) < p["min_kills"]:
        return None
    # report once, on the first event that killed it
    first = next(e for e in events if e.kill and e.kill.comm == victim)
    if first.index != a.event.index:
        return None
    kill_lines = tuple(
        line for e in events if e.kill and e.kill.comm == victim for line in e.lines if line.number == e.kill.line
    )
    return Hit(
        p["confidence"],
        {"victim": (victim, kill_lines), "kills": (names.count(victim), kill_lines), "events": (len(events), ())},
    )


# ================================================================================ 32-bit lowmem
X86_32_MAX_LOWMEM_KB = 896 * 1024  # arch/x86/Kconfig VMSPLIT_3G: 1 GB kernel space less 128 MB vmalloc


@check("lowmem_exhaustion", needs=("arch",))
def lowmem_exhaustion(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """32-bit kernel: a request confined to lowmem (DMA/Normal) finds Normal at its floor while HighMem is free."""
    if not a.is_32bit:
        return None
    highest = a.highest_zone
    if highest is not None and highest in ("HighMem", "Movable"):
        return None  # the request could use HighMem; lowmem is not the limit
    if not a.is_global and a.constraint is not None:
        return None
    evidence: Evidence = {}
    normal = [z for z in a.zones if z.name == "Normal"]
    if not normal:
        # Some 32-bit boards (ARM) put all lowmem in ZONE_DMA and have no ZONE_NORMAL; a DMA zone
        # far larger than x86's 16 MB ISA zone is then the lowmem zone kernel requests use
        normal = [
            z for z in a.zones if z.name == "DMA" and (z.managed_kb or z.present_kb or 0) > p["dma_as_lowmem_min_kb"]
        ]
    high = [z for z in a.zones if z.name == "HighMem"]
    high_free = sum(z.free_kb or 0 for z in high) if high else None
    if a.ram_kb is not None:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
        if a.reserved_kb is not None:
            evidence["reserved_kb"] = (a.reserved_kb, a.ram_lines)
    if a.lowmem_kb is not None:
        evidence["lowmem_kb"] = (a.lowmem_kb, a.ram_lines or tuple(ln for z in normal for ln in z.lines))
    if a.gfp is not None:
        evidence["gfp_zone"] = (highest or "unknown", a.lines(a.event.trigger.line) if a.event.trigger else ())
    if high_free is not None:
        evidence["highmem_free_kb"] = (high_free, tuple(ln for z in high for ln in z.lines))
    context: dict[str, Any] = {"mode": "", "stopgap_mem": None}
    if normal and normal[0].min_kb is not None:
        zone = normal[0]
        if not (zone.below_low or zone.below_min):
            return None
        if zone.unusable_kb and zone.free_kb is not None and zone.low_kb is not None and zone.free_kb > zone.low_kb:
            return None  # above low counting the free pages this request may not use (CMA): OOM140's case
        if high_free is not None and high_free < p["highmem_free_factor"] * (zone.free_kb or 0):
            return None  # HighMem is as exhausted as lowmem: a plain RAM shortage
        evidence.update(
            {
                "normal_free_kb": (zone.free_kb, zone.lines),
                "normal_min_kb": (zone.min_kb, zone.lines),
                "normal_low_kb": (zone.low_kb, zone.lines),
            }
        )
        confidence = p["confidence_zones"]
        context["mode"] = "zones"
    elif normal and normal[0].free_kb is not None and a.lowmem_kb:
        zone = normal[0]  # buddy list only: compare with the size of lowmem
        if zone.free_kb > p["buddy_free_share"] * a.lowmem_kb:
            return None
        if high_free is not None and high_free < p["highmem_free_factor"] * (zone.free_kb or 0):
            return None
        evidence["normal_free_kb"] = (zone.free_kb, zone.lines)
        confidence = p["confidence_buddy"]
        context["mode"] = "buddy"
    elif not a.has_memory_report and (highest in ("DMA", "Normal") or (a.is_global and a.event.kill is not None)):
        # No zone report: a 32-bit kernel, and either a kernel request that cannot use HighMem or a
        # global kill of a tiny victim (user memory in HighMem cannot relieve lowmem)
        if highest is None:
            victim_kb = a.victim_kb
            if victim_kb is None or victim_kb > p["tiny_victim_kb"]:
                return None
            evidence["victim_kb"] = (victim_kb, a.victim_lines)
            confidence = p["confidence_tiny_victim"]
            context["mode"] = "tiny_victim"
        else:
            confidence = p["confidence_arch_only"]
            context["mode"] = "arch_only"
    else:
        return None
    evidence["arch"] = (a.arch or "32-bit", ())
    # what min_free_kbytes is now (sum of the lowmem min watermarks, boost excluded) against the
    # kernel's own default for this lowmem: a raise is only offered when it is not inflated already
    context["min_free_now"] = a.min_free_kbytes_estimate
    context["min_free_default"] = a.default_min_free_kbytes
    context["min_free_raise"] = None
    if a.default_min_free_kbytes and (
        a.min_free_kbytes_estimate is None or a.min_free_kbytes_estimate < 2 * a.default_min_free_kbytes
    ):
        context["min_free_raise"] = int(a.default_min_free_kbytes * 1.5)
    if a.ram_kb and a.ram_kb > 16 * 1024 * 1024:
        context["stopgap_mem"] = "16G"
    context["has_highmem_zone"] = bool(high) or a.has_highmem
    # page tables live in lowmem unless an x86-32 kernel is built with CONFIG_HIGHPTE
    pagetables = a.counter_kb("pagetables")
    context["highpte"] = None
    if a.arch is None or "86" in a.arch:
        # without the RAM lines, x86-32 lowmem is at most 896 MB with the default 3G/1G split:
        # the share against that is a lower bound
        lowmem = a.lowmem_kb or X86_32_MAX_LOWMEM_KB
        if pagetables and pagetables >= p["highpte_share"] * lowmem:
            context["highpte"] = {
                "kb": pagetables,
                "share": round(100 * pagetables / lowmem),
                "bound": a.lowmem_kb is None,
            }
    return Hit(confidence, evidence, context)


@check("lowmem_metadata", needs=("arch", "ram", "page_totals"))
def lowmem_metadata(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """32-bit kernel with so much RAM that its struct page array alone eats a large part of lowmem."""
    if not (a.is_32bit and a.has_highmem) or not a.lowmem_kb:
        return None
    ram_pages = (a.ram_kb or 0) // a.page_kb
    mem_map_kb = ram_pages * p["struct_page_bytes"] // 1024
    share = mem_map_kb / a.lowmem_kb
    if share < p["min_share"]:
        return None
    evidence: Evidence = {
        "ram_kb": (a.ram_kb, a.ram_lines),
        "lowmem_kb": (a.lowmem_kb, a.ram_lines),
        "mem_map_kb": (mem_map_kb, a.ram_lines),
        "mem_map_share": (round(share * 100), a.ram_lines),
    }
    if a.reserved_kb is not None:
        evidence["reserved_kb"] = (a.reserved_kb, a.ram_lines)
    pte = _trace_has(a, "pte_alloc_one", "__pte_alloc", "pte_alloc_one_kernel")
    context = {"pte_trace": pte}
    if pte:
        evidence["trace_function"] = (pte, a.find_lines(re.escape(pte)))
    return Hit(ramp(share, p["min_share"], 0.4, p["confidence_low"], p["confidence_high"]), evidence, context)


# ================================================================================ zones
@check("dma_zone", needs=("gfp|zones",))
def dma_zone(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The request is confined to ZONE_DMA (GFP_DMA) and that zone cannot serve it, or DMA is below
    min with no gfp to tell.

    A GFP_DMA request may only take pages from ZONE_DMA (gfp_zone(), include/linux/gfp.h), so it
    fails when that zone is below its low watermark or holds no free block of the request's order,
    whatever the rest of RAM holds. Without the zone lines, the failure of such a request is itself
    the evidence (with less confidence).
    """
    dma = [z for z in a.zones if z.name == "DMA" and z.min_kb is not None]
    zone = dma[0] if dma else None
    order = max(a.order or 0, 0)  # SysRq prints order=-1
    request_kb = a.page_kb << order if a.page_kb else None
    context: dict[str, Any] = {
        "order": order,
        "request_kb": request_kb,
        "no_block": False,
        "kernel_fixes": [],
        "kernel_fixes_possible": [],
    }
    evidence: Evidence = {}
    if a.highest_zone == "DMA":
        mode = "confined"
        trigger = a.lines(a.event.trigger.line) if a.event.trigger else ()
        evidence["gfp"] = (
            getattr(a.gfp, "symbolic", None) or (a.event.trigger.gfp_mask if a.event.trigger else None),
            trigger,
        )
        if zone is not None:
            no_block = order > 0 and zone.blocks_at_order == 0
            if not (zone.below_low or no_block):
                return None
            confidence = p["confidence_confined"]
            context["no_block"] = no_block
        elif a.event.kind == "page-allocation-failure":
            confidence = p["confidence_confined_no_zones"]
        else:
            return None
        if a.event.kind == "page-allocation-failure":
            from .kernel_fixes import matches

            known = matches(a)
            possible = [f for f in matches(a, untraced=True) if f not in known]
            context["kernel_fixes"] = [_fix_dict(f) for f in known]
            context["kernel_fixes_possible"] = [_fix_dict(f) for f in possible]
    elif a.highest_zone is None and zone is not None and zone.below_min:
        confidence = p["confidence_unknown_gfp"]
        mode = "unknown_gfp"
    else:
        return None
    context["mode"] = mode
    if zone is not None:
        evidence["dma_free_kb"] = (zone.free_kb, zone.lines)
        evidence["dma_min_kb"] = (zone.min_kb, zone.lines)
        if zone.managed_kb is not None:
            evidence["dma_managed_kb"] = (zone.managed_kb, zone.lines)
        if zone.largest_block_kb is not None:
            evidence["dma_largest_block_kb"] = (zone.largest_block_kb, zone.lines)
    if request_kb is not None and order > 0:
        evidence["request_kb"] = (request_kb, ())
    return Hit(confidence, evidence, context)


@check("watermark_inflated", needs=("zones",))
def watermark_inflated(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Zone min watermarks far above what the kernel would choose: vm.min_free_kbytes raised."""
    estimate = a.min_free_kbytes_estimate
    default = a.default_min_free_kbytes
    own = a.kernel_min_free_kbytes  # the sqrt default, or THP's recommendation when higher
    if estimate is None or not default or not own or not a.lowmem_kb:
        return None
    if estimate < p["default_factor"] * own:
        return None
    zones = [z for z in a.zones if z.name in LOWMEM_ZONES and z.min_kb is not None]
    lines = tuple(ln for z in zones for ln in z.lines[:1])
    free_lowmem = sum(z.free_kb or 0 for z in zones)
    biggest = max(zones, key=lambda z: z.min_kb or 0)
    ratio = estimate / own
    # a reserve of several percent of lowmem is itself what the OOM ran into; a smaller one is
    # still far above the kernel's choice and worth lowering, but it did not cause the shortage
    role = None if estimate >= p["lowmem_share"] * a.lowmem_kb else "contributing"
    evidence: Evidence = {
        "min_free_kbytes_estimate": (estimate, lines),
        "default_min_free_kbytes": (default, ()),
        "lowmem_kb": (a.lowmem_kb, lines),
        "free_lowmem_kb": (free_lowmem, lines),
        "zone": (biggest.label, biggest.lines),
        "zone_free_kb": (biggest.free_kb, biggest.lines),
        "zone_min_kb": (biggest.min_kb, biggest.lines),
    }
    if a.thp_min_free_kbytes and a.thp_min_free_kbytes > default:
        evidence["thp_min_free_kbytes"] = (a.thp_min_free_kbytes, ())
    boost = sum(z.values.get("boost", 0) for z in zones)
    return Hit(
        ramp(ratio, p["default_factor"], 20, p["confidence_low"], p["confidence_high"]),
        evidence,
        {"ratio": round(ratio, 1), "own": own, "boost": boost, "cause": role is None},
        role,
    )


@check("fragmentation", needs=("order",))
def fragmentation(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A higher-order request fails although there is free memory: no free block is big enough."""
    order = a.order
    if order is None or order < 1:
        return None
    request_kb = a.page_kb << order
    evidence: Evidence = {
        "order": (order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
        "request_kb": (request_kb, ()),
    }
    zones = [z for z in a.usable_zones if z.blocks_at_order is not None]
    costly = order > p["costly_order"]
    repeats = sum(
        1
        for e in a.dump.events
        if e.kind == "page-allocation-failure" and e.trigger is not None and e.trigger.order == order
    )
    context: dict[str, Any] = {
        "costly": costly,
        "atomic": bool(getattr(a.gfp, "is_atomic", False)),
        "mode": "",
        "reserve_blocked": None,
        "warning_only": _warning_only(a, repeats, 3),
        "kernel_fixes": _kernel_fixes(a),
        **_module_context(a),
        **_min_free_advice(a),
    }
    if zones:
        free = sum(z.free_kb or 0 for z in zones)
        judged = [z for z in zones if z.below_min is not None]
        # __zone_watermark_ok(): a zone at or below its floor (min + lowmem_reserve, after the
        # pages the request may not count) serves nothing, whatever its blocks. When every zone
        # with watermarks fails that order-0 part, memory itself is short: not fragmentation.
        if judged and all(z.below_min for z in judged):
            return None
        if any(z.watermark_ok for z in judged):
            return None  # some zone passes the kernel's whole check: not a contiguity failure
        fitting = sum(
            z.blocks_at_order or 0
            for z in zones
            if z.below_min is not True and (z.headroom_kb is None or z.headroom_kb > 0)
        )
        floor = sum(z.floor_kb or 0 for z in zones)
        evidence["free_kb"] = (free, tuple(ln for z in zones for ln in z.lines))
        evidence["blocks_at_order"] = (fitting, tuple(ln for z in zones for ln in z.lines))
        best = max(zones, key=lambda z: z.free_kb or 0)
        evidence["zone"] = (best.label, best.lines)
        evidence["largest_block_kb"] = (best.largest_block_kb, best.lines)
        if fitting > p["max_fitting_blocks"] and not (judged and any(z.order_ok is False for z in judged)):
            return None
        if free < max(floor, 1) * p["free_over_floor"] and free < p["min_free_kb"]:
            return None  # memory itself is short, not just contiguity
        context["mode"] = "buddy"
        # zones that hold a block of the order and pass min, but not min + lowmem_reserve: their
        # reserve against requests that may use higher zones is what refuses this one
        blocked = [
            z
            for z in judged
            if z.reserve_kb
            and z.blocks_at_order
            and z.countable_kb is not None
            and z.countable_kb > (z.mark_kb if z.mark_kb is not None else z.min_kb or 0)
            and z.below_min
        ]
        if blocked:
            zone = max(blocked, key=lambda z: z.blocks_at_order or 0)
            context["reserve_blocked"] = {
                "zone": zone.label,
                "name": zone.name,
                "free_kb": zone.countable_kb,
                "min_kb": zone.mark_kb if zone.mark_kb is not None else zone.min_kb,
                "reserve_kb": zone.reserve_kb,
                "blocks": zone.blocks_at_order,
            }
        confidence = ramp(
            free / max(1, floor), p["free_over_floor"], 8, p["confidence_buddy_low"], p["confidence_buddy_high"]
        )
    else:
        context["mode"] = "order_only"
        confidence = p["confidence_costly"] if costly else p["confidence_order_only"]
    # A lone warning (nothing killed, not repeated) whose caller copes with the failure (OOM501's
    # reasons): the missing block is how it failed, the harmless fallback is what to tell the user.
    role = "contributing" if context["warning_only"] and a.gfp is not None and _fallback_reasons(a) else None
    return Hit(confidence, evidence, context, role)


@check("atomic_high_order", needs=("order", "gfp"))
def atomic_high_order(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A caller in atomic context asks for contiguous pages: a kernel/driver design defect when it recurs."""
    if (a.order or 0) < p["min_order"] or not getattr(a.gfp, "is_atomic", False):
        return None
    same = [
        e
        for e in a.dump.events
        if e.host == a.event.host
        and e.trigger
        and e.trigger.order == a.order
        and e.trigger.gfp_mask == (a.event.trigger.gfp_mask if a.event.trigger else None)
    ]
    repeats = len(same)
    function = next(
        (
            f
            for f in a.event.call_trace
            if not re.match(
                r"(dump_stack|show_stack|warn_alloc|__alloc_pages|alloc_pages|get_page_from_freelist|__get_free_pages|"
                r"kmalloc|__kmalloc|kmem_cache_alloc|cache_alloc_refill|new_slab|___slab_alloc|allocate_slab|"
                r"dump_backtrace|__warn_alloc|__alloc_pages_slowpath|__alloc_pages_nodemask|alloc_slab_page)",
                f,
            )
        ),
        None,
    )
    evidence: Evidence = {
        "order": (a.order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
        "failures": (
            repeats,
            tuple(ln for e in same[:5] for ln in e.lines if e.trigger and ln.number == e.trigger.line),
        ),
    }
    if function:
        evidence["caller"] = (function, a.find_lines(re.escape(function))[:1])
    repeated = repeats >= p["min_repeats"]
    confidence = p["confidence_repeated"] if repeated else p["confidence_single"]
    # one failure is a symptom (fragmentation); the same failure again and again is the caller's defect
    return Hit(
        confidence,
        evidence,
        {
            "has_caller": function is not None,
            "warning_only": _warning_only(a, repeats, p["min_repeats"]),
            "kernel_fixes": _kernel_fixes(a),
            **_module_context(a),
        },
        "root-cause" if repeated else None,
    )


@check("atomic_reserve", needs=("order", "gfp"))
def atomic_reserve(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """An order-0 atomic allocation failed: the reserve below the min watermark ran dry."""
    if a.event.kind != "page-allocation-failure" or a.order != 0 or not getattr(a.gfp, "is_atomic", False):
        return None
    trigger_lines = a.lines(a.event.trigger.line) if a.event.trigger else ()
    same = [
        e
        for e in a.dump.events
        if e.host == a.event.host
        and e.kind == "page-allocation-failure"
        and e.trigger is not None
        and e.trigger.order == 0
        and e.trigger.gfp_mask == (a.event.trigger.gfp_mask if a.event.trigger else None)
    ]
    evidence: Evidence = {"order": (0, trigger_lines), "failures": (len(same), trigger_lines)}
    mask = getattr(a.gfp, "symbolic", None) or (a.event.trigger.gfp_mask if a.event.trigger else None)
    if mask:
        evidence["gfp"] = (mask, trigger_lines)
    low = [
        z
        for z in a.zones
        if z.usable is not False
        and z.free_kb is not None
        and z.min_kb is not None
        and z.free_kb <= z.min_kb * p["near_min_factor"]
    ]
    if low:
        zone = min(low, key=lambda z: z.free_kb - z.min_kb)  # type: ignore[operator]
        evidence.update(
            {
                "zone": (zone.label, zone.lines),
                "zone_free_kb": (zone.free_kb, zone.lines),
                "zone_min_kb": (zone.min_kb, zone.lines),
            }
        )
    confidence = p["confidence"] + (p["confidence_repeated_bonus"] if len(same) >= p["min_repeats"] else 0.0)
    if low:
        confidence += p["confidence_near_min_bonus"]
    # A request without __GFP_HIGH/__GFP_ATOMIC (GFP_NOWAIT and friends) is allowed to fail: its
    # callers retry, fall back or drop. Since 4.4 it has no access below min at all (AllocRule
    # min_share 1), so a larger reserve does not help it and the warning alone is harmless.
    flags = set(getattr(a.gfp, "flag_names", []) or [])
    nowait = not flags & {"__GFP_HIGH", "__GFP_ATOMIC", "__GFP_MEMALLOC"}
    role = None
    if nowait:
        confidence *= p["nowait_factor"]
        if len(same) < p["min_repeats"]:
            role = "context"
    return Hit(
        confidence,
        evidence,
        {
            "has_zone": bool(low),
            "has_gfp": bool(mask),
            "nowait": nowait,
            "warning_only": _warning_only(a, len(same), p["min_repeats"]),
            "kernel_fixes": _kernel_fixes(a),
            "reserve_access": a.alloc_rule.min_share < 1,
            **_min_free_advice(a),
        },
        role,
    )


def _min_free_advice(a: Analysis) -> dict[str, Any]:
    """What a "raise vm.min_free_kbytes" step may say for this machine (never a fixed number).

    Raising is offered only when the watermarks are not already inflated; the target is twice
    the current value (or twice the kernel's own when lower), never above 1 % of RAM.
    """
    now = a.min_free_kbytes_estimate
    own = a.kernel_min_free_kbytes
    inflated = a.min_free_kbytes_inflated
    target = None
    if inflated is not True and a.ram_kb:
        base = max(now or 0, own or 0)
        if base:
            target = min(2 * base, a.ram_kb // 100)
            if now is not None and target <= now:
                target = None
    return {"min_free_inflated": inflated is True, "min_free_now": now, "min_free_own": own, "min_free_target": target}


@check("cma_unusable", needs=("zones|page_totals",))
def cma_unusable(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Free memory is mostly CMA, which only movable allocations may use."""
    cma_reserved_pages = a.event.page_totals.get("cma reserved")
    cma_reserved_kb = cma_reserved_pages * a.page_kb if cma_reserved_pages else None
    free_cma = sum(z.values.get("free_cma", 0) for z in a.zones)
    if not free_cma:
        free_cma_pages = a.event.meminfo.get("free_cma")
        free_cma = (free_cma_pages or 0) * a.page_kb
    movable = _flag(a, "__GFP_MOVABLE", "GFP_HIGHUSER_MOVABLE", "GFP_MOVABLE_MASK")
    if a.gfp is not None and movable:
        return None
    free = a.free_kb or 0
    evidence: Evidence = {}
    if cma_reserved_kb:
        evidence["cma_reserved_kb"] = (cma_reserved_kb, a.ram_lines)
    if free_cma:
        evidence["free_cma_kb"] = (free_cma, tuple(ln for z in a.zones for ln in z.lines[:1]) or a.meminfo_lines)
        evidence["free_kb"] = (free, a.meminfo_lines)
    role = None
    area = cma_reserved_kb or free_cma
    # __zone_watermark_ok() leaves free CMA out for a non-movable request: a zone that fails its
    # floor only because of that (it would pass with its free CMA counted) failed for CMA alone
    decisive = [
        z
        for z in a.usable_zones
        if z.below_min
        and z.values.get("free_cma")
        and z.rule is not None
        and not z.rule.may_use_cma
        and (z.countable_kb or 0) + z.values.get("free_cma", 0) > (z.floor_kb or 0)
    ]
    if decisive:
        evidence["cma_decisive_zone"] = (decisive[0].label, decisive[0].lines)
    if not decisive and not (
        area and a.ram_kb and area >= p["root_share"] * (a.lowmem_kb if a.has_highmem and a.lowmem_kb else a.ram_kb)
    ):
        role = "contributing"  # a small CMA area explains the missing headroom, not the shortage
    if a.is_allocation_failure and free_cma and free and free_cma >= p["free_share"] * free:
        role = None  # a failed unmovable request while the free memory is CMA: the CMA is why it failed
    if free_cma and free and free_cma >= p["free_share"] * free:
        confidence = p["confidence_free"]
    elif cma_reserved_kb and a.lowmem_kb and a.has_highmem and cma_reserved_kb >= p["lowmem_share"] * a.lowmem_kb:
        confidence = p["confidence_lowmem"]
        evidence["lowmem_kb"] = (a.lowmem_kb, a.ram_lines)
    else:
        return None
    return Hit(confidence, evidence, {}, role)


# ================================================================================ where RAM went
def _share_hit(
    a: Analysis,
    name: str,
    p: dict[str, Any],
    kb: int | None,
    lines: tuple[SourceLine, ...],
    denominator_kb: int | None = None,
    denominator_name: str = "ram_kb",
) -> Hit | None:
    denominator = denominator_kb or a.ram_kb
    if kb is None or not denominator:
        return None
    share = kb / denominator
    if share < p["min_share"]:
        return None
    confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    return Hit(
        confidence,
        {
            f"{name}_kb": (kb, lines),
            denominator_name: (denominator, a.ram_lines),
            f"{name}_share": (round(share * 100), lines),
        },
    )


@check("shmem_share", needs=("meminfo", "ram"))
def shmem_share(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """tmpfs / shared memory holds a large part of RAM and belongs to no process."""
    if not a.is_global:
        return None
    shmem = a.counter_kb("shmem")
    hit = _share_hit(a, "shmem", p, shmem, a.meminfo_lines)
    if hit is None:
        return None
    largest = a.tasks[0] if a.tasks else None
    if largest is not None:
        hit.evidence["largest_task"] = (largest.name, a.lines(*(r.line for r in largest.rows)))
        hit.evidence["largest_task_kb"] = (largest.badness_kb, a.lines(*(r.line for r in largest.rows)))
        if largest.badness_kb > (shmem or 0):
            hit.confidence *= p["demote_when_task_larger"]
    hit.context["has_largest"] = largest is not None
    swap = a.swap_total_kb
    hit.context["no_swap"] = swap == 0
    return hit


@check("hugetlb_pool", needs=("hugepages", "ram"))
def hugetlb_pool(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A static HugeTLB pool takes a large part of RAM out of the normal allocator."""
    hit = _share_hit(a, "hugetlb", p, a.hugetlb_kb, a.hugepages_lines)
    if hit is None:
        return None
    free = a.hugetlb_free_kb
    hit.evidence["hugetlb_free_kb"] = (free, a.hugepages_lines)
    sizes = sorted({h.size_kb for h in a.event.hugepages if h.total})
    hit.evidence["hugepage_sizes"] = (", ".join(f"{s} kB" for s in sizes), a.hugepages_lines)
    hit.evidence["hugepages_total"] = (sum(h.total for h in a.event.hugepages), a.hugepages_lines)
    if a.hugetlb_kb and free >= p["unused_share"] * a.hugetlb_kb:
        hit.confidence = min(0.97, hit.confidence + p["unused_bonus"])
    hit.context["unused"] = bool(a.hugetlb_kb and free >= p["unused_share"] * a.hugetlb_kb)
    return hit


@check("slab_unreclaimable", needs=("meminfo", "ram|page_totals|zones"))
def slab_unreclaimable(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Unreclaimable slab (kernel objects) holds a large part of the memory it can live in."""
    slab = a.counter_kb("slab_unreclaimable")
    combined = slab is None and a.combined_slab_kb is not None
    if combined:
        slab = a.combined_slab_kb  # an old kernel's one `slab:` figure: reclaim left it standing all the same
    if a.has_highmem and a.lowmem_kb:
        hit = _share_hit(a, "slab_unreclaimable", p, slab, a.meminfo_lines, a.lowmem_kb, "lowmem_kb")
        scope = "lowmem"
    else:
        hit = _share_hit(a, "slab_unreclaimable", p, slab, a.meminfo_lines)
        scope = "RAM"
    if hit is None:
        return None
    hit.context["scope"] = scope
    hit.context["combined"] = combined
    slab_lines = a.find_lines(r"Unreclaimable slab info")
    hit.context["slab_dump"] = bool(slab_lines)
    return hit


@check("pagetables_share", needs=("meminfo", "ram"))
def pagetables_share(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Page tables take a large part of RAM: huge sparse mappings or very many processes."""
    hit = _share_hit(a, "pagetables", p, a.counter_kb("pagetables"), a.meminfo_lines)
    if hit is None:
        return None
    top = max(a.tasks, key=lambda t: t.pgtables_kb, default=None)
    if top is not None and top.pgtables_kb:
        hit.evidence["top_pgtables_task"] = (top.name, a.lines(*(r.line for r in top.rows)))
        hit.evidence["top_pgtables_kb"] = (top.pgtables_kb, a.lines(*(r.line for r in top.rows)))
        hit.evidence["top_rss_kb"] = (top.rss_kb, a.lines(*(r.line for r in top.rows)))
    hit.context["has_top"] = bool(top is not None and top.pgtables_kb)
    return hit


@check("mlocked_share", needs=("meminfo", "ram"))
def mlocked_share(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """mlock()ed / unevictable pages pin a large part of RAM."""
    unevictable = a.counter_kb("unevictable")
    hit = _share_hit(a, "unevictable", p, unevictable, a.meminfo_lines)
    if hit is None:
        return None
    mlocked = a.counter_kb("mlocked")
    if mlocked is not None:
        hit.evidence["mlocked_kb"] = (mlocked, tuple(ln for z in a.zones for ln in z.lines[:1]))
    return hit


@check("unaccounted", needs=("meminfo", "ram"))
def unaccounted(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """RAM that no counter of the report accounts for: drivers, GPU, balloon, vmalloc, ZFS ARC."""
    figure = a.figure("unaccounted")
    if figure is None or figure.kb < p["min_kb"]:
        return None
    present = [z.present_kb for z in a.zones]
    if present and all(v is not None for v in present) and a.ram_kb:
        # `pages RAM` above what the zones print as present (older x86_64 show_mem() counted the
        # pfn span with its holes): the gap is not memory, so only what exceeds it is unaccounted
        gap = a.ram_kb - int(sum(v for v in present if v is not None))
        if gap > 0 and figure.kb - gap < p["min_kb"]:
            return None
    hit = _share_hit(a, "unaccounted", p, figure.kb, figure.lines)
    if hit is None:
        return None
    hit.context["vm"] = a.environment.vm
    return hit


@check("dirty_writeback", needs=("meminfo", "ram"))
def dirty_writeback(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Much of memory is dirty or under writeback: reclaim waits for slow I/O."""
    pending = (a.meminfo_kb("dirty") or 0) + (a.meminfo_kb("writeback") or 0) + (a.meminfo_kb("unstable") or 0)
    if not pending:
        pending = sum(z.values.get("writepending", 0) for z in a.zones)
    hit = _share_hit(a, "writepending", p, pending, a.meminfo_lines)
    if hit is None:
        return None
    hit.context["no_fs"] = a.gfp is not None and getattr(a.gfp, "may_call_fs", True) is False
    # Example limits derived from this host's RAM, never fixed sizes: the defaults are
    # dirty_ratio 20 and dirty_background_ratio 10 percent of dirtyable memory (free + file LRU,
    # mm/page-writeback.c global_dirtyable_memory(), v6.1), so a fixed 1 GB raises the limit on
    # any host under about 5 GB. 5 % / 2.5 % of RAM (at most 1 GB / 256 MB) stays below the
    # defaults whenever a quarter of RAM is dirtyable.
    ram = a.ram_kb or 0
    hit.context["dirty_bytes"] = min(1 << 30, ram * 1024 // 20) // (1 << 20) * (1 << 20)
    hit.context["background_bytes"] = min(1 << 28, ram * 1024 // 40) // (1 << 20) * (1 << 20)
    return hit


# ================================================================================ processes
@check("process_hog", needs=("tasks|kill",))
def process_hog(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """One process (or one command's processes) holds most of the memory the OOM killer weighs."""
    total = (a.ram_kb or 0) + (a.swap_total_kb or 0) - (a.hugetlb_kb or 0)
    usage = a.memcg_usage
    if a.is_memcg and usage is not None:
        total = usage[1] or usage[0]
    evidence: Evidence = {}
    groups = a.task_groups
    top = groups[0] if groups else None
    if top is not None:
        single = a.tasks[0]
        subject = top if top.badness_kb > single.badness_kb * 1.2 and len(top.pids) > 1 else single
        kb = subject.badness_kb
        lines = a.lines(*(r.line for r in subject.rows[:6]))
        evidence.update(
            {
                "hog": (subject.name, lines),
                "hog_kb": (kb, lines),
                "hog_processes": (len(subject.pids), lines),
                "hog_swap_kb": (subject.swap_kb, lines),
                "tasks_total_kb": (a.tasks_total_kb, a.lines(a.event.task_table_line)),
            }
        )
        adj = subject.oom_score_adj
    elif a.event.kill is not None and a.victim_kb is not None:
        kb = a.victim_kb + (a.event.kill.pgtables_kb or 0)
        evidence.update(
            {
                "hog": (a.victim_name, a.victim_lines),
                "hog_kb": (kb, a.victim_lines),
                "hog_processes": (1, a.victim_lines),
            }
        )
        adj = a.event.kill.oom_score_adj
    elif (
        a.event.kill is not None
        and a.event.kill.score is not None
        and a.event.kill.score_per_mille
        and not a.event.kill.memcg_kill
        and a.event.kill.score <= 1000
    ):
        # A score above 1000 proves a positive oom_score_adj (containers, Kubernetes) and inside a
        # memory cgroup the scale is the cgroup limit: in both the share cannot be read back.
        # Only `Kill process N (x) score S or sacrifice child` survived: on 2.6.36-5.0 S is the
        # victim's RSS + swap + page tables per mille of RAM + swap (plus oom_score_adj, which
        # these kernels do not print here), so it still says how much of memory it held.
        kill = a.event.kill
        lines = a.lines(kill.line)
        share = min(kill.score or 0, 1000) / 1000
        evidence.update(
            {
                "hog": (kill.comm, lines),
                "kill_score": (kill.score, lines),
                "hog_share": (round(share * 100), lines),
                "hog_processes": (1, lines),
            }
        )
        if share < p["min_share"]:
            return None
        confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
        context = {
            "memcg": kill.memcg_kill,
            "protected": False,
            "victim_is_hog": True,
            "has_total": False,
            "has_table": False,
            "victim": kill.comm,
            "from_score": True,
            "hog_is_guest": bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(kill.comm or "")),
            **_workload_context(a, kill.comm),
        }
        return Hit(confidence * p["score_only_factor"], evidence, context, "contributing" if kill.memcg_kill else None)
    else:
        return None
    if total > 0:
        share = kb / total
        evidence["hog_share"] = (round(share * 100), evidence["hog_kb"][1])
        evidence["weighed_kb"] = (total, a.ram_lines + a.swap_lines)
        if share < p["min_share"]:
            return None
        confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    else:
        # no RAM figure: judge by absolute size and by the victim's share of what the table shows
        if kb < p["min_kb_without_ram"]:
            return None
        confidence = p["confidence_without_ram"]
    context = {
        "memcg": a.is_memcg,
        "protected": adj is not None and adj <= -1000,
        "victim_is_hog": a.victim_name == evidence["hog"][0],
        "has_total": total > 0,
        "has_table": top is not None,
        "victim": a.victim_name,
        "from_score": False,
        # a guest VM's QEMU process is what the host exists to keep alive: capping it
        # below the guest's RAM kills the guest
        "hog_is_guest": bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(str(evidence["hog"][0] or ""))),
        **_workload_context(a, str(evidence["hog"][0] or ""), a.victim_name),
    }
    role = None
    if a.is_memcg:
        role, confidence = "contributing", confidence * p["memcg_factor"]
    elif a.swap_total_kb and a.swap_free_kb is not None and a.swap_free_kb <= p["swap_exhausted_kb"]:
        confidence *= p["swap_exhausted_factor"]
    return Hit(confidence, evidence, context, role)


@check("presumed_growth", needs=("trigger",))
def presumed_growth(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A global order-0 OOM whose memory report was not pasted: by far the commonest cause is user memory growth."""
    if a.has_memory_report or a.tasks or a.event.kill is not None or a.is_memcg:
        return None
    if a.event.kind not in ("oom-kill", None) or not a.is_global:
        return None
    if (a.order or 0) != 0:
        return None
    if a.is_32bit and a.highest_zone in (None, "DMA", "Normal"):
        return None  # 32-bit kernel requests: lowmem_exhaustion speaks for these
    trigger = a.event.trigger
    lines = a.lines(trigger.line) if trigger else ()
    user_fault = bool(
        _trace_has(
            a,
            "handle_mm_fault",
            "do_anonymous_page",
            "filemap_fault",
            "do_page_fault",
            "__handle_mm_fault",
            "exc_page_fault",
        )
    ) or _flag(a, "GFP_HIGHUSER_MOVABLE", "GFP_HIGHUSER")
    return Hit(
        p["confidence_user"] if user_fault else p["confidence"],
        {"trigger": (trigger.comm if trigger else None, lines), "order": (a.order, lines)},
        {"user_fault": user_fault},
    )


@check("score_adj_protection", needs=("tasks",))
def score_adj_protection(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The task that holds the memory is shielded by oom_score_adj, so a bystander was killed."""
    if not a.tasks:
        return None
    largest = a.tasks[0]
    if largest.oom_score_adj is None or largest.oom_score_adj > p["max_adj"]:
        return None
    victim = a.victim
    victim_kb = a.victim_kb
    if a.event.kill is None and not a.event.panic:
        return None
    if victim is not None and victim.pids == largest.pids:
        return None
    if victim_kb is not None and largest.badness_kb < p["min_ratio"] * max(victim_kb, 1):
        return None
    weighed = (a.ram_kb or 0) + (a.swap_total_kb or 0)
    if weighed and largest.badness_kb < p["min_share"] * weighed:
        return None
    lines = a.lines(*(r.line for r in largest.rows))
    evidence: Evidence = {
        "protected_task": (largest.name, lines),
        "protected_kb": (largest.badness_kb, lines),
        "protected_adj": (largest.oom_score_adj, lines),
    }
    if victim_kb is not None:
        evidence["victim"] = (a.victim_name, a.victim_lines)
        evidence["victim_kb"] = (victim_kb, a.victim_lines)
    return Hit(p["confidence"], evidence, {"has_victim": victim_kb is not None})


@check("vm_overcommit", needs=("trigger|tasks",))
def vm_overcommit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A hypervisor host runs out of memory: its guests were promised more RAM than it has."""
    env = a.environment
    if not env.hypervisor_host or not a.is_global:
        return None
    guests = [t for t in a.tasks if re.match(r"^(qemu-system-\S+|qemu-kvm|kvm|qemu)$", t.name)]
    guests_kb = sum(t.badness_kb for t in guests)
    trigger = a.event.trigger
    evidence: Evidence = {"trigger": (trigger.comm if trigger else None, a.lines(trigger.line) if trigger else ())}
    if guests:
        evidence["guests"] = (len(guests), a.lines(*(r.line for t in guests[:6] for r in t.rows)))
        evidence["guests_kb"] = (guests_kb, a.lines(*(r.line for t in guests[:6] for r in t.rows)))
        if a.ram_kb and guests_kb < p["min_guest_share"] * a.ram_kb:
            return None
        confidence = p["confidence_table"]
    else:
        confidence = p["confidence_trigger_only"]
    return Hit(confidence, evidence, {"has_guests": bool(guests)})


# ================================================================================ RAM / swap state
@check("ram_no_swap", needs=("swap",))
def ram_no_swap(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Global OOM on a machine with no swap: anonymous memory had nowhere to go."""
    if not a.is_global or a.swap_total_kb != 0 or a.is_allocation_failure:
        return None
    free = a.free_kb
    evidence: Evidence = {"total_swap_kb": (0, a.swap_lines)}
    if a.ram_kb is not None:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
    anon = a.figure("anon")
    if anon is not None and a.ram_kb:
        evidence["anon_kb"] = (anon.kb, anon.lines)
        if anon.kb < p["min_anon_share"] * a.ram_kb:
            return None  # not anonymous memory that swap could have absorbed
    if free is not None:
        evidence["free_kb"] = (free, a.meminfo_lines)
    return Hit(p["confidence"], evidence, {"sizing": a.sizing})


@check("swap_exhausted", needs=("swap",))
def swap_exhausted(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Swap is configured and full."""
    total, free = a.swap_total_kb, a.swap_free_kb
    if not total or free is None:
        return None
    if free > max(p["max_free_share"] * total, p["max_free_kb"]):
        return None
    if a.is_memcg:
        return None
    return Hit(
        p["confidence"],
        {
            "total_swap_kb": (total, a.swap_lines),
            "free_swap_kb": (free, a.swap_lines),
            "used_swap_kb": (total - free, a.swap_lines),
        },
    )


# ================================================================================ NUMA / cpuset
@check("cpuset_mempolicy", needs=("event",))
def cpuset_mempolicy(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The allocation was limited to some NUMA nodes (cpuset mems, mempolicy, nodemask)."""
    constraint = a.constraint
    evidence: Evidence = {}
    summary_lines = a.lines(a.event.oom_summary.line) if a.event.oom_summary else ()
    allowed = a.allowed_nodes
    context: dict[str, Any] = {"mode": "", "movable_only": False}
    if constraint in ("CONSTRAINT_CPUSET", "CONSTRAINT_MEMORY_POLICY"):
        evidence["constraint"] = (constraint, summary_lines or a.find_lines(constraint))
        confidence = p["confidence_constraint"]
        context["mode"] = "constraint"
    elif a.is_global and len(a.node_ids) > 1:
        # global constraint, yet only some nodes are exhausted while others have plenty free:
        # the request was bound by a mempolicy/nodemask the report does not print
        exhausted, roomy = _node_split(a, p)
        if not exhausted or not roomy:
            return None
        evidence["exhausted_nodes"] = (", ".join(str(n) for n in exhausted), ())
        confidence = p["confidence_inferred"]
        context["mode"] = "inferred"
    else:
        return None
    if allowed is not None:
        evidence["mems_allowed"] = (
            ",".join(str(n) for n in sorted(allowed)),
            summary_lines or a.find_lines("mems_allowed"),
        )
        node_zones = [z for z in a.zones if z.node in allowed]
        if node_zones and all(z.name == "Movable" for z in node_zones) and a.highest_zone not in (None, "Movable"):
            context["movable_only"] = True
            evidence["movable_free_kb"] = (
                sum(z.free_kb or 0 for z in node_zones),
                tuple(ln for z in node_zones for ln in z.lines),
            )
            confidence = max(confidence, p["confidence_movable_only"])
    cpuset = a.event.oom_summary.cpuset if a.event.oom_summary else None
    if cpuset:
        evidence["cpuset"] = (cpuset, summary_lines)
    return Hit(confidence, evidence, context)


def _node_split(a: Analysis, p: dict[str, Any]) -> tuple[list[int], list[int]]:
    exhausted, roomy = [], []
    for node in a.node_ids:
        zones = [z for z in a.zones if z.node == node and z.usable is not False and z.name != "Movable"]
        if not zones or any(z.free_kb is None for z in zones):
            continue
        if any(z.below_low for z in zones if z.name == "Normal") or all(
            z.below_low for z in zones if z.below_low is not None
        ):
            exhausted.append(node)
        else:
            free = sum(z.free_kb or 0 for z in zones)
            size = sum((z.managed_kb or z.present_kb or 0) for z in zones)
            if size and free >= p["roomy_share"] * size:
                roomy.append(node)
    return exhausted, roomy


@check("numa_node", needs=("event",))
def numa_node(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """One NUMA node is exhausted while other nodes still have free memory."""
    nodes_line = a.find_lines(r"OOM kill occurred on an? \S+ NUMA system")
    if nodes_line:
        return Hit(
            p["confidence_kernel_message"],
            {"kernel_message": (nodes_line[0].text, nodes_line[:1])},
            {"mode": "message"},
        )
    if len(a.node_ids) < 2:
        # under a cpuset/mempolicy constraint the report shows only the allowed nodes
        # (show_mem filters with SHOW_MEM_FILTER_NODES), so only their exhaustion can be seen
        zones = [z for z in a.zones if z.usable is not False and z.below_low is not None]
        if a.constraint not in ("CONSTRAINT_CPUSET", "CONSTRAINT_MEMORY_POLICY") or not zones:
            return None
        if not all(z.below_low for z in zones):
            return None
        nodes = sorted({z.node for z in zones if z.node is not None}) or sorted(a.allowed_nodes or [])
        lines = tuple(ln for z in zones for ln in z.lines[:1])
        return Hit(
            p["confidence_constrained"],
            {
                "exhausted_nodes": (", ".join(map(str, nodes)) or "allowed", lines),
                "exhausted_free_kb": (sum(z.free_kb or 0 for z in zones), lines),
            },
            {"mode": "constrained"},
            "contributing",
        )
    exhausted, roomy = _node_split(a, p)
    if not exhausted or not roomy:
        return None
    free_by_node = {n: a.node_free_kb(n) for n in a.node_ids}
    starved = [z for z in a.zones if z.node in exhausted and z.below_low and z.usable is not False]
    lines = tuple(ln for z in starved for ln in z.lines[:1])
    roomy_lines = tuple(ln for z in a.zones if z.node in roomy for ln in z.lines[:1])
    return Hit(
        p["confidence"],
        {
            "exhausted_nodes": (", ".join(map(str, exhausted)), lines),
            "exhausted_free_kb": (sum(z.free_kb or 0 for z in starved), lines),
            "exhausted_zones": (
                ", ".join(
                    f"{z.label} free {z.free_kb} kB < low {z.low_kb} kB"
                    + (f" + reserve {z.reserve_kb} kB" if z.reserve_kb else "")
                    for z in starved
                ),
                lines,
            ),
            "other_free_kb": (sum(free_by_node[n] or 0 for n in roomy), roomy_lines),
            "roomy_nodes": (", ".join(map(str, roomy)), roomy_lines),
        },
        {"mode": "zones"},
    )


# ================================================================================ memcg
@check("memcg_limit", needs=("memcg",))
def memcg_limit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The memory cgroup hit its limit: the kill was about the container, not the machine."""
    memcg = a.event.memcg
    path = (a.event.oom_summary.oom_memcg if a.event.oom_summary else None) or (
        memcg.path or memcg.stats_path if memcg else None
    )
    evidence: Evidence = {}
    if path:
        evidence["memcg"] = (path, a.lines(a.event.oom_summary.line) if a.event.oom_summary else a.memcg_lines[:1])
    usage = a.memcg_usage
    context: dict[str, Any] = {"has_usage": False, "swap_limit_zero": False, "breakdown": []}
    if usage is not None:
        used, limit, lines = usage
        evidence["usage_kb"] = (used, lines)
        evidence["limit_kb"] = (limit, lines)
        context["has_usage"] = limit is not None
        if memcg is not None:
            for counter in memcg.counters:
                if counter.resource == "swap" and counter.limit_kb == 0:
                    context["swap_limit_zero"] = True
                if counter.failcnt is not None and counter.resource == "memory":
                    evidence["failcnt"] = (counter.failcnt, a.lines(counter.line))
    for key, label in (
        ("anon", "anon"),
        ("rss", "anon"),
        ("shmem", "shmem"),
        ("file", "file"),
        ("cache", "page cache"),
        ("kernel", "kernel"),
        ("slab_unreclaimable", "slab unreclaimable"),
        ("sock", "socket buffers"),
    ):
        value = a.memcg_stat_kb(key, "total_" + key)
        if value and label not in [b[0] for b in context["breakdown"]]:
            context["breakdown"].append((label, value))
    context["v1"] = memcg is not None and any(c.resource in ("memory+swap", "kmem") for c in memcg.counters)
    context.update(_workload_context(a, a.victim_name, a.tasks[0].name if a.tasks else None))
    return Hit(p["confidence"], evidence, context)


@check("memcg_shmem", needs=("memcg",))
def memcg_shmem(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Inside the cgroup, tmpfs/shmem pages (charged to it, owned by no process) fill the limit."""
    shmem = a.memcg_stat_kb("shmem", "total_shmem")
    usage = a.memcg_usage
    if shmem is None or usage is None:
        return None
    used = usage[1] or usage[0]
    if not used or shmem < p["min_share"] * used:
        return None
    share = shmem / used
    evidence: Evidence = {
        "shmem_kb": (shmem, a.memcg_lines),
        "usage_kb": (usage[0], usage[2]),
        "shmem_share": (round(share * 100), a.memcg_lines),
    }
    if a.victim_kb is not None:
        evidence["victim_kb"] = (a.victim_kb, a.victim_lines)
    return Hit(
        ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"]),
        evidence,
        {"has_victim": a.victim_kb is not None},
    )


# ================================================================================ fallback
@check("undetermined", needs=("meminfo|zones|tasks|memcg",))
def undetermined(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Placeholder evaluated last by diagnose(): fires only when no root cause fired."""
    return Hit(p["confidence"], {"kind": (a.event.kind or "fragment", ())})


# ================================================================================ issue 9: harmless failures, kernel defects,
# vmalloc space, workload vs runaway (clues: knowledge.clues; text around the report: knowledge.surroundings)
def _clues(a: Analysis) -> dict[str, Any]:
    from .clues import clues

    return clues(a)


def _fallback_reasons(a: Analysis, evidence: Evidence | None = None) -> list[str]:
    """Why the caller of this failed request copes with the failure (OOM501): __GFP_NORETRY, a
    request that may neither reclaim nor dip into reserves (GFP_NOWAIT), a vmalloc fallback, or a
    network receive refill that retries later. ``evidence`` gets the caller lines when given."""
    gfp = a.gfp
    order = a.order or 0
    clue = _clues(a)
    reasons = []
    if _flag(a, "__GFP_NORETRY"):
        reasons.append("noretry")
    if (
        getattr(gfp, "may_reclaim", None) is False
        and not getattr(gfp, "may_use_reserves", None)
        and not _flag(a, "__GFP_HIGH", "__GFP_ATOMIC", "GFP_ATOMIC")
    ):
        reasons.append("nowait")
    if "vmalloc_fallback" in clue and order >= 1:
        reasons.append("vmalloc_fallback")
        if evidence is not None:
            evidence["fallback_caller"] = (clue["vmalloc_fallback"].detail, clue["vmalloc_fallback"].lines)
    if "net_refill" in clue and order >= 1:
        reasons.append("net_refill")
        if evidence is not None:
            evidence["refill_caller"] = (clue["net_refill"].detail, clue["net_refill"].lines[-1:])
    return reasons


@check("benign_fallback", needs=("order", "gfp"))
def benign_fallback(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """An allocation failure whose caller has a fallback (__GFP_NORETRY, GFP_NOWAIT, a vmalloc fallback, a refill that retries): the warning is noise."""
    if a.event.kind != "page-allocation-failure" or a.event.kill is not None:
        return None
    order = a.order or 0
    trigger_lines = a.lines(a.event.trigger.line) if a.event.trigger else a.find_lines(r"allocation failure")[:1]
    mask = getattr(a.gfp, "symbolic", None) or (a.event.trigger.gfp_mask if a.event.trigger else None)
    evidence: Evidence = {"order": (order, trigger_lines)}
    if mask:
        evidence["gfp"] = (mask, trigger_lines)
    reasons = _fallback_reasons(a, evidence)
    if not reasons:
        return None
    same = [
        e
        for e in a.dump.events
        if e.kind == "page-allocation-failure"
        and e.trigger is not None
        and a.event.trigger is not None
        and e.trigger.gfp_mask == a.event.trigger.gfp_mask
    ]
    evidence["failures"] = (len(same) or 1, trigger_lines)
    key = reasons[0]
    if key == "net_refill" and len(same) <= 1:
        key = "net_refill_single"  # one dropped refill is noise; the same one again and again is a problem
    confidence = p["confidence_" + key]
    if len(reasons) > 1:
        confidence = min(p["confidence_max"], confidence + p["confidence_each_more"] * (len(reasons) - 1))
    kills = [e for e in a.dump.events if e.kill is not None]
    if kills:
        confidence *= p["kill_in_paste_factor"]  # something else in the paste did run out of memory
    return Hit(confidence, evidence, {"reasons": reasons, "kills_in_paste": len(kills)})


@check("contradicted_kill", needs=("zones", "gfp"))
def contradicted_kill(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The OOM killer ran although a zone the request may use was above its high watermark with a block of the order free."""
    if a.event.kind not in ("oom-kill", None) or not a.is_global or (a.event.kill is None and a.event.trigger is None):
        return None
    order = a.order
    if order is None or order < 0 or order > p["max_order"]:
        return None
    allowed = a.allowed_nodes
    if len(a.node_ids) > 1 and any(z.below_low for z in a.usable_zones if z.name != "DMA"):
        return None  # one node short, others free: an unprinted mempolicy may bind the request (numa findings)
    request_kb = a.page_kb << order
    roomy = []
    for zone in a.usable_zones:
        if zone.free_kb is None or zone.high_kb is None or zone.usable is not True:
            continue
        if allowed is not None and zone.node is not None and zone.node not in allowed:
            continue
        free = zone.free_kb - zone.values.get("free_cma", 0)  # CMA serves only movable requests
        if free < zone.high_kb + zone.reserve_kb + max(request_kb, p["min_margin_kb"]):
            continue
        if order > 0 and not zone.blocks_at_order:
            # __zone_watermark_ok() needs a free block of the order; without buddy lines (None)
            # free memory above high does not show that one existed, so nothing contradicts the kill
            continue
        roomy.append((zone, free))
    if not roomy:
        return None
    zone, free = max(roomy, key=lambda item: item[1] - (item[0].high_kb or 0))
    margin = free / max(1, (zone.high_kb or 0) + zone.reserve_kb)
    evidence: Evidence = {
        "zone": (zone.label, zone.lines),
        "zone_free_kb": (free, zone.lines),
        "zone_high_kb": (zone.high_kb, zone.lines),
        "order": (order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
    }
    if zone.reserve_kb:
        evidence["zone_reserve_kb"] = (zone.reserve_kb, zone.lines)
    if a.victim_name is not None:
        evidence["victim"] = (a.victim_name, a.victim_lines)
    confidence = ramp(margin, p["margin_low"], p["margin_high"], p["confidence_low"], p["confidence_high"])
    return Hit(confidence, evidence, {"margin": round(margin, 1), "gfp_zone": a.highest_zone})


@check("kernel_path_clue", needs=("event",))
def kernel_path_clue(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """kswapd invoking the OOM killer, or an out-of-tree module allocating in the failing trace: a kernel-side path to suspect."""
    clue = _clues(a)
    evidence: Evidence = {}
    reasons = []
    if "kswapd_oom" in clue:
        reasons.append("kswapd")
        evidence["kswapd"] = (clue["kswapd_oom"].detail, clue["kswapd_oom"].lines)
    if "out_of_tree" in clue:
        reasons.append("out_of_tree")
        evidence["module"] = (clue["out_of_tree"].detail, clue["out_of_tree"].lines)
        header = a.event.header
        if header is not None and header.tainted:
            evidence["tainted"] = (header.tainted, a.lines(header.line))
    for name in ("kasan", "kmemleak"):
        if name in clue:
            reasons.append(name)
            evidence[name] = (clue[name].detail, clue[name].lines)
    if not reasons:
        return None
    return Hit(p["confidence"], evidence, {"reasons": reasons})


@check("known_defect", needs=("event",))
def known_defect(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A record of knowledge/kernel_fixes.yaml fits the event (trace function or affected series): name the fix."""
    from .kernel_fixes import _function, matches

    found = matches(a)
    if not found:
        return None
    frames = [(f, _function(f)) for f in a.event.call_trace]
    evidence: Evidence = {"defect": (found[0].title, ())}
    traced = False
    for fix in found:
        hit = next((raw for raw, name in frames if fix.trace is not None and fix.trace.search(name)), None)
        if hit:
            evidence["function"] = (_function(hit), a.find_lines(re.escape(_function(hit)))[:1])
            traced = True
            break
    if a.kernel:
        evidence["kernel"] = (a.kernel, ())
    confidence = p["confidence_traced"] if traced else p["confidence_series"]
    return Hit(confidence, evidence, {"kernel_fixes": [_fix_dict(f) for f in found], "by_series": not traced})


@check("slab_without_tasks", needs=("meminfo", "ram", "tasks"))
def slab_without_tasks(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Unreclaimable slab holds much of RAM while user processes hold little: a kernel or driver leak, not a workload."""
    slab = a.counter_kb("slab_unreclaimable")
    ram_kb = a.lowmem_kb if a.has_highmem and a.lowmem_kb else a.ram_kb
    if slab is None or not ram_kb:
        return None
    share = slab / ram_kb
    tasks_share = a.tasks_total_kb / (a.ram_kb or ram_kb)
    if share < p["min_share"] or tasks_share > p["max_tasks_share"]:
        return None
    evidence: Evidence = {
        "slab_unreclaimable_kb": (slab, a.meminfo_lines),
        "ram_kb": (ram_kb, a.ram_lines),
        "tasks_total_kb": (a.tasks_total_kb, a.lines(a.event.task_table_line)),
    }
    from .surroundings import largest_slab_cache

    cache = largest_slab_cache(a.dump)
    if cache is not None:
        evidence["slab_cache"] = (f"{cache.values['name']} {cache.values['size_kb']} kB", (cache.line,))
    else:
        slab_lines = a.find_lines(r"^\S+\s+\d+KB\s+\d+KB$")
        if slab_lines:
            evidence["slab_cache"] = (slab_lines[0].text, slab_lines[:1])
    clue = _clues(a)
    context = {"debug": [n for n in ("kasan", "kmemleak") if n in clue]}
    return Hit(
        ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"]), evidence, context
    )


@check("vmalloc_space", needs=("event",))
def vmalloc_space(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """vmalloc/vmap failed for want of kernel virtual address space: the 32-bit vmalloc area is too small."""
    from .surroundings import facts, kernel_lines

    rows = kernel_lines(a.dump, "vmalloc_failure")
    if not rows:
        return None
    # the lines that belong to this event: inside it or just before it (the kernel prints them first)
    near = [r for r in rows if a.event.first_line - p["lines_before"] <= r.line.number <= a.event.last_line]
    if not near:
        return None
    space = [
        r
        for r in near
        if "vmap allocation" in r.values["text"]
        or "vmalloc space" in r.values["text"]
        or "vm_struct" in r.values["text"]
    ]
    if a.is_32bit:
        confidence = p["confidence_space_32bit"] if space else p["confidence_32bit"]
    elif a.is_32bit is None and space:
        confidence = p["confidence_space_unknown_arch"]
    else:
        return None
    first = (space or near)[0]
    evidence: Evidence = {"vmalloc_line": (first.values["text"], (first.line,))}
    if first.values.get("bytes"):
        evidence["request_bytes"] = (first.values["bytes"], (first.line,))
    for row in facts(a.dump).of("meminfo_field"):
        if row.values.get("key") in ("VmallocTotal", "VmallocUsed", "VmallocChunk") and "kb" in row.values:
            evidence[str(row.values["key"]).lower() + "_kb"] = (row.values["kb"], (row.line,))
    evidence["arch"] = (a.dump.arch or ("32-bit" if a.is_32bit else "unknown"), ())
    return Hit(confidence, evidence, {"space": bool(space), "is_32bit": bool(a.is_32bit)})


@check("workload_fit", needs=("tasks", "ram"))
def workload_fit(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Many processes together need more than RAM (+ swap), none of them far above the others: the workload does not fit."""
    if not a.is_global or a.is_allocation_failure or not a.tasks or not a.ram_kb:
        return None
    swap_total = a.swap_total_kb
    swap_free = a.swap_free_kb
    if swap_total is None:
        return None
    swap_full = bool(swap_total) and swap_free is not None and swap_free <= max(p["swap_full_share"] * swap_total, 4096)
    if swap_total and not swap_full:
        return None
    total = a.tasks_total_kb
    groups = a.task_groups
    top = groups[0]
    weighed = a.ram_kb + (swap_total or 0)
    top_share = top.badness_kb / max(1, total)
    big = [g for g in groups if g.badness_kb >= p["member_share"] * weighed]
    if total < p["min_tasks_share"] * weighed or top_share > p["max_top_share"] or len(big) < p["min_members"]:
        return None
    lines = a.lines(*(r.line for g in big[:6] for r in g.rows[:1]))
    evidence: Evidence = {
        "tasks_total_kb": (total, a.lines(a.event.task_table_line)),
        "ram_kb": (a.ram_kb, a.ram_lines),
        "total_swap_kb": (swap_total, a.swap_lines),
        "largest": (top.name, a.lines(*(r.line for r in top.rows[:1]))),
        "largest_share": (round(top_share * 100), lines),
        "big_processes": (len(big), lines),
    }
    if swap_total:
        evidence["free_swap_kb"] = (swap_free, a.swap_lines)
    confidence = ramp(total / weighed, p["min_tasks_share"], 1.0, p["confidence_low"], p["confidence_high"])
    sizing = a.sizing
    swap_gb = max(1, -(-(sizing["missing_kb"] if sizing and sizing["missing_kb"] else a.ram_kb // 4) // (1024 * 1024)))
    return Hit(
        confidence,
        evidence,
        {"swap": bool(swap_total), "names": ", ".join(g.name for g in big[:5]), "sizing": sizing, "swap_gb": swap_gb},
    )


@check("runaway_process", needs=("tasks",))
def runaway_process(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """One process holds most of memory and far more than any other: a runaway (leak, unbounded input), not a workload that needs more RAM."""
    if a.is_memcg or len(a.task_groups) < 2:
        return None
    groups = a.task_groups
    top, second = groups[0], groups[1]
    weighed = (a.ram_kb or 0) + (a.swap_total_kb or 0) - (a.hugetlb_kb or 0)
    if not weighed or top.protected:
        return None
    share = top.badness_kb / weighed
    ratio = top.badness_kb / max(1, second.badness_kb)
    if share < p["min_share"] or ratio < p["min_ratio"]:
        return None
    lines = a.lines(*(r.line for r in top.rows[:4]))
    evidence: Evidence = {
        "hog": (top.name, lines),
        "hog_kb": (top.badness_kb, lines),
        "hog_share": (round(share * 100), lines),
        "next": (second.name, a.lines(*(r.line for r in second.rows[:1]))),
        "next_kb": (second.badness_kb, a.lines(*(r.line for r in second.rows[:1]))),
        "ratio": (round(ratio, 1), lines),
    }
    from .surroundings import top_processes

    snapshot = [r for r in top_processes(a.dump) if r.values.get("command", "").split()[0:1] == [top.name]]
    if snapshot:
        evidence["top_snapshot_kb"] = (snapshot[0].values.get("res_kb"), (snapshot[0].line,))
    confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    if a.swap_total_kb and a.swap_free_kb is not None and a.swap_free_kb <= p["swap_exhausted_kb"]:
        confidence *= p["swap_exhausted_factor"]  # swap used up: the swap finding speaks first
    return Hit(confidence, evidence, {"processes": len(top.pids)})


@check("unaccounted_named", needs=("meminfo", "ram"))
def unaccounted_named(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """RAM no counter explains, and the trace or module list names a driver that takes such memory (balloon, GPU, ZFS)."""
    clue = _clues(a)
    named = [clue[n] for n in ("balloon", "zfs", "gpu") if n in clue]
    if not named:
        return None
    figure = a.figure("unaccounted")
    if figure is None or not a.ram_kb:
        return None
    share = figure.kb / a.ram_kb
    if share < p["min_share"]:
        return None
    driver = named[0]
    evidence: Evidence = {
        "unaccounted_kb": (figure.kb, figure.lines),
        "ram_kb": (a.ram_kb, a.ram_lines),
        "unaccounted_share": (round(share * 100), figure.lines),
        "driver": (driver.detail, driver.lines),
    }
    confidence = ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"])
    return Hit(confidence, evidence, {"kind": driver.name})


def _ordinary_blocks(a: Analysis, zone_name: str, node: int | None, need_kb: int) -> int | None:
    """Free blocks of at least ``need_kb`` that an ordinary request may take: blocks the buddy list
    marks only as highatomic (H), CMA (C) or isolated (I) are reserved for other requests."""
    for buddy in a.event.buddy:
        if buddy.zone != zone_name or buddy.node != node:
            continue
        count = 0
        for o in buddy.orders:
            if o.size_kb < need_kb or not o.count:
                continue
            types = o.migrate_types
            if types and not set(types) & set("UMER"):
                continue
            count += o.count
        return count
    return None


@check("premature_high_order_oom", needs=("order", "buddy"))
def premature_high_order_oom(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A global OOM kill for a small high-order request (order 1-3) while the usable zones hold free memory but no free block of that order an ordinary request may take."""
    order = a.order
    if order is None or not 1 <= order <= p["max_order"] or a.is_allocation_failure or not a.is_global:
        return None
    if a.event.kind not in ("oom-kill", None) or getattr(a.gfp, "is_atomic", False):
        return None
    need_kb = a.page_kb << order
    # a zone at its floor (min + the lowmem reserve it keeps against this request) serves nothing
    zones = [
        z
        for z in a.zones
        if z.usable is not False and z.free_kb is not None and (z.headroom_kb is None or z.headroom_kb > need_kb)
    ]
    if not zones:
        return None
    free = sum(z.free_kb or 0 for z in zones)
    blocks = [_ordinary_blocks(a, z.name, z.node, need_kb) for z in zones]
    if any(b is None for b in blocks) or sum(b or 0 for b in blocks) > p["max_fitting_blocks"]:
        return None
    floor = sum(z.floor_kb or 0 for z in zones)
    # page cache the kernel could have reclaimed (and compacted) before declaring OOM
    file_kb = sum(z.values.get("active_file", 0) + z.values.get("inactive_file", 0) for z in zones)
    size_kb = sum(z.managed_kb or z.present_kb or 0 for z in zones)
    reclaimable = bool(size_kb) and file_kb >= p["min_file_share"] * size_kb
    if not reclaimable and (free < p["free_over_min"] * max(floor, 1) or free < p["min_free_kb"]):
        return None
    best = max(zones, key=lambda z: z.free_kb or 0)
    lines = tuple(ln for z in zones for ln in z.lines)
    buddy_lines = a.lines(*(b.line for b in a.event.buddy))
    evidence: Evidence = {
        "order": (order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
        "request_kb": (need_kb, ()),
        "free_kb": (free, lines or buddy_lines),
        "blocks_at_order": (0, buddy_lines),
        "zone": (best.label, best.lines),
        "largest_block_kb": (best.largest_block_kb, buddy_lines),
    }
    reserved_only = any(
        o.count and o.size_kb >= need_kb and o.migrate_types and not set(o.migrate_types) & set("UMER")
        for b in a.event.buddy
        for o in b.orders
    )
    version = a.version
    known_bug = version is not None and version[:2] == (4, 7)
    if known_bug:
        evidence["kernel"] = (a.kernel, a.lines(a.event.header.line) if a.event.header else ())
    if reclaimable:
        evidence["file_kb"] = (file_kb, lines)
    confidence = max(
        ramp(free / max(floor, 1), p["free_over_min"], 8, p["confidence_low"], p["confidence_high"]),
        ramp(file_kb / max(size_kb, 1), p["min_file_share"], 0.6, p["confidence_low"], p["confidence_high"])
        if reclaimable
        else 0.0,
    )
    return Hit(
        confidence,
        evidence,
        {
            "reclaimable": reclaimable,
            "reserved_only": reserved_only,
            "known_bug": known_bug,
            "user_fault": bool(_trace_has(a, "_do_fork", "copy_process", "dup_task_struct")),
        },
    )


@check("slab_share_of_counted", needs=("meminfo",))
def slab_share_of_counted(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Without the RAM size: unreclaimable slab is most of the memory the report's counters show (a lower bound of RAM)."""
    if a.ram_kb is not None or a.breakdown is None or a.is_memcg:
        return None  # with RAM known the slab share finding speaks
    counted = sum(f.kb for f in a.breakdown if f.name != "unaccounted")
    slab = a.counter_kb("slab_unreclaimable")
    if not slab or not counted or counted < p["min_counted_kb"]:
        return None
    share = slab / counted
    if share < p["min_share"]:
        return None
    user = a.figure("anon")
    evidence: Evidence = {
        "slab_unreclaimable_kb": (slab, a.meminfo_lines),
        "counted_kb": (counted, a.meminfo_lines),
        "slab_share": (round(share * 100), a.meminfo_lines),
    }
    if user is not None:
        evidence["anon_kb"] = (user.kb, user.lines)
    return Hit(
        ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"]),
        evidence,
        {"user_small": user is not None and user.kb < p["user_small_share"] * counted},
    )


@check("container_killed_context", needs=("event",))
def container_killed_context(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Container or unit tooling pasted with the dump says the OOM killer ended it (OOMKilled, systemd oom-kill) and names its memory limit."""
    from .surroundings import container_oom_killed, memory_limit

    killed = container_oom_killed(a.dump)
    limit = memory_limit(a.dump)
    if not killed:
        return None
    if a.constraint == "CONSTRAINT_NONE" and a.event.oom_summary is not None:
        return None  # the kernel says the machine, not a cgroup, ran out
    evidence: Evidence = {"tool_line": (killed[0].text.strip(), killed[:1])}
    if limit is not None:
        evidence["limit_kb"] = (limit.kb, limit.lines)
        evidence["limit_source"] = (limit.source, limit.lines)
    confidence = p["confidence_limit"] if limit is not None else p["confidence"]
    role = "contributing" if a.is_memcg else None  # the kernel's memcg report speaks first
    return Hit(confidence, evidence, {"has_limit": limit is not None}, role)


@check("nofs_reclaim", needs=("gfp", "meminfo", "ram"))
def nofs_reclaim(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A filesystem or block-layer path allocating with GFP_NOFS/GFP_NOIO ran short while much of RAM was page cache it may not reclaim itself."""
    clue = _clues(a).get("nofs_noio")
    if clue is None or not a.is_global or not a.ram_kb:
        return None
    file_lru = a.figure("file")
    if file_lru is None or file_lru.kb < p["min_file_share"] * a.ram_kb:
        return None
    mask = getattr(a.gfp, "symbolic", None) or (a.event.trigger.gfp_mask if a.event.trigger else None)
    evidence: Evidence = {
        "caller": (clue.detail, clue.lines[-1:]),
        "gfp": (mask, clue.lines[:1]),
        "file_kb": (file_lru.kb, file_lru.lines),
        "ram_kb": (a.ram_kb, a.ram_lines),
    }
    return Hit(p["confidence"], evidence, {"noio": getattr(a.gfp, "may_do_io", None) is False})


@check("vmalloc_beyond_ram", needs=("ram",))
def vmalloc_beyond_ram(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A vmalloc request larger than the machine's RAM failed: it can never succeed, so the caller passed an unchecked size."""
    from .surroundings import kernel_lines

    near = [
        r
        for r in kernel_lines(a.dump, "vmalloc_failure")
        if a.event.first_line - p["lines_before"] <= r.line.number <= a.event.last_line and r.values.get("bytes")
    ]
    if not near or not a.ram_kb:
        return None
    row = max(near, key=lambda r: int(r.values["bytes"]))
    request_kb = int(row.values["bytes"]) // 1024
    if request_kb < p["min_ram_share"] * a.ram_kb:
        return None
    evidence: Evidence = {
        "vmalloc_line": (row.values["text"], (row.line,)),
        "request_kb": (request_kb, (row.line,)),
        "ram_kb": (a.ram_kb, a.ram_lines),
    }
    trigger = a.event.trigger
    if trigger is not None and trigger.comm:
        evidence["task"] = (trigger.comm, a.lines(trigger.line))
    return Hit(p["confidence"], evidence, {"has_task": "task" in evidence})

"""RAM and swap state: no swap, swap exhausted, swapoff bringing a swap area back."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..analysis import HYPERVISOR_PROCESS, Analysis
from .base import (
    Evidence,
    Hit,
    _workload_context,
    check,
)

# swapoff(2)'s frames: the syscall by its names across releases (SyS_swapoff, __x64_sys_swapoff,
# __do_sys_swapoff, __se_sys_swapoff) and try_to_unuse(), which only swapoff calls to read an area's
# pages back (mm/swapfile.c v4.16); a frame may carry a compiler suffix (.constprop.1) or a ppc64 dot
_SWAPOFF_FRAME = re.compile(r"(?:\w*_)?(?:sys|SyS)_swapoff|try_to_unuse")


def _swapoff_frame(a: Analysis) -> str | None:
    return next((name for name in a.event.call_trace if _is_swapoff_frame(name)), None)


@lru_cache(maxsize=4096)
def _is_swapoff_frame(name: str) -> bool:
    """Whether a trace frame is one of ``_SWAPOFF_FRAME``'s: a pure function of the frame's text,
    asked for every frame of every event, and a kernel's traces name the same few hundred
    functions (as ``clues._clue_function``)."""
    return _SWAPOFF_FRAME.fullmatch(name.lstrip(".").split(".", 1)[0]) is not None


@check("swapoff_refill", needs=("event",))
def swapoff_refill(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The allocation that ran out was swapoff's, reading a swap area back into RAM."""
    if a.is_memcg:
        return None
    frame = _swapoff_frame(a)
    free = a.event.free_swap_kb
    negative = free is not None and free < 0
    trigger = a.event.trigger
    # swapoff(8) invoking the OOM killer: the program allocates next to nothing itself, the
    # syscall's try_to_unuse() everything
    named = trigger is not None and trigger.comm == "swapoff"
    if frame is None and not negative and not named:
        return None
    evidence: Evidence = {}
    if frame is not None:
        evidence["swapoff_frame"] = (frame, a.find_lines(re.escape(frame)))
    if negative:
        evidence["free_swap_kb"] = (free, a.swap_lines)
    if trigger is not None and trigger.comm:
        evidence["trigger"] = (trigger.comm, a.lines(trigger.line))
    return Hit(p["confidence"] if frame is not None else p["confidence_without_trace"], evidence)


def swapoff_running(a: Analysis) -> bool:
    """swapoff was bringing an area back (its frames in the trace, or free swap below zero): the
    report's swap totals no longer count that area."""
    free = a.event.free_swap_kb
    trigger = a.event.trigger
    return (
        _swapoff_frame(a) is not None
        or (free is not None and free < 0)
        or (trigger is not None and trigger.comm == "swapoff")
    )


@check("ram_no_swap", needs=("swap",))
def ram_no_swap(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Global OOM on a machine with no swap: anonymous memory had nowhere to go."""
    if not a.is_global or a.swap_total_kb != 0 or a.is_allocation_failure:
        return None
    if swapoff_running(a):
        return None  # 'Total swap = 0kB' while swapoff runs: the area was taken off the count (OOM227)
    free = a.free_kb
    evidence: Evidence = {"total_swap_kb": (0, a.swap_lines)}
    if a.ram_kb is not None:
        evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
    anon = a.figure("anon")
    if anon is not None and not anon.kb and a.figure("lru") is not None:
        # before the split LRU (2.6.28) the report prints one Active/inactive pair for anonymous
        # memory and page cache together (Analysis.breakdown's "lru"): the anonymous share is not
        # known, which is no evidence that it was small
        anon = None
    if anon is not None and a.ram_kb:
        evidence["anon_kb"] = (anon.kb, anon.lines)
        if anon.kb < p["min_anon_share"] * a.ram_kb:
            return None  # not anonymous memory that swap could have absorbed
    if free is not None:
        evidence["free_kb"] = (free, a.meminfo_lines)
    # the largest task may be a known workload: its own lever is a way to make it fit
    largest = _largest(a)
    context = _workload_context(a, largest)
    # a guest VM's QEMU process on a hypervisor host is what the host must keep alive: capping the
    # biggest consumer would cap the guest (OOM201's guard)
    context["largest_is_guest"] = bool(a.environment.hypervisor_host and HYPERVISOR_PROCESS.match(largest or ""))
    return Hit(p["confidence"], evidence, context)


def _largest(a: Analysis) -> str | None:
    """The program holding the most memory in the task table (all its processes together)."""
    return a.task_groups[0].name if a.task_groups else None


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
        _workload_context(a, _largest(a)),
    )

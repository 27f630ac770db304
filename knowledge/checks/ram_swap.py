"""RAM and swap state: no swap, swap exhausted."""

from __future__ import annotations

from typing import Any

from ..analysis import HYPERVISOR_PROCESS, Analysis
from .base import (
    Evidence,
    Hit,
    _workload_context,
    check,
)


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

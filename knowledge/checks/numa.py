"""NUMA nodes, cpusets and memory policies."""

from __future__ import annotations

import re
from typing import Any

from ..analysis import Analysis
from ..surroundings import prose_matching
from .base import (
    Evidence,
    Hit,
    check,
)


@check("cpuset_mempolicy", needs=("event",))
def cpuset_mempolicy(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The allocation was limited to some NUMA nodes (cpuset mems, mempolicy, nodemask)."""
    constraint = a.constraint
    evidence: Evidence = {}
    summary_lines = a.lines(a.event.oom_summary.line) if a.event.oom_summary else ()
    allowed = a.allowed_nodes
    context: dict[str, Any] = {"mode": "", "movable_only": False, "allowed_kb": None}
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
    elif _movable_only_in_words(a):
        # the report prints no zone of the allowed nodes, but the words around it say the task was
        # bound to a node whose memory is all ZONE_MOVABLE, and this request may not use that zone
        # (include/linux/gfp.h GFP_ZONE_TABLE: only __GFP_MOVABLE with __GFP_HIGHMEM reaches it)
        trigger = a.event.trigger
        evidence["zone"] = (a.highest_zone, a.lines(trigger.line) if trigger else ())
        confidence = p["confidence_movable_words"]
        context["mode"] = "words"
        context["movable_only"] = True
    elif _low_zone_off_the_allowed_nodes(a):
        # a request that only a DMA or DMA32 zone can serve, from a task whose cpuset leaves out
        # node 0: those zones hold the lowest physical memory (DMA32 the first 4 GiB on x86_64,
        # include/linux/mmzone.h), which lies on node 0 of a normal NUMA layout. The fast path takes
        # the cpuset's mems_allowed as the request's nodemask (mm/page_alloc.c v5.8
        # prepare_alloc_pages()), and a hardwalled or exclusive cpuset keeps the slow path there
        # too (kernel/cgroup/cpuset.c v5.8 __cpuset_node_allowed()), so the request can fail with
        # plenty free on the nodes it may use.
        trigger = a.event.trigger
        evidence["zone"] = (a.highest_zone, a.lines(trigger.line) if trigger else ())
        confidence = p["confidence_low_zone"]
        context["mode"] = "low_zone"
    else:
        return None
    if allowed is not None:
        evidence["mems_allowed"] = (
            ",".join(str(n) for n in sorted(allowed)),
            summary_lines or a.find_lines("mems_allowed"),
        )
        node_zones = [z for z in a.zones if z.node in allowed]
        # what the allowed nodes hold (managed pages of the zones printed for them): the most a
        # bound process can ever get, and what a memory limit sized from total RAM overshoots
        context["allowed_kb"] = sum(z.managed_kb or z.present_kb or 0 for z in node_zones) or None
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


# A person's words that say the task's memory nodes hold only ZONE_MOVABLE (a hot-pluggable or
# persistent-memory node, movable_node) and that it was bound to them (a cpuset, numactl).
MOVABLE_ONLY_WORDS = re.compile(
    r"\bmovable[- ]only\b|\bonly (?:has |have |contains? )?(?:a |the )?movable zones?\b|\bmovable_node\b", re.I
)
BOUND_WORDS = re.compile(r"\b(?:bind|binds|bound|binding|cpusets?|cpuset-mems|mems|membind|numactl)\b", re.I)


def _movable_only_in_words(a: Analysis) -> bool:
    """A global OOM for a request that may not use ZONE_MOVABLE, with no zone of the allowed nodes
    printed, where the person's words say the task was bound to nodes that hold only that zone."""
    if not a.is_global or a.highest_zone in (None, "Movable") or a.zones:
        return False
    return bool(prose_matching(a.dump, MOVABLE_ONLY_WORDS)) and bool(prose_matching(a.dump, BOUND_WORDS))


def _low_zone_off_the_allowed_nodes(a: Analysis) -> bool:
    """The request needs ZONE_DMA/ZONE_DMA32, may sleep, and the cpuset's mems_allowed leaves out
    node 0 (where those zones normally are); zones printed for the allowed nodes must not hold one."""
    allowed = a.allowed_nodes
    if a.highest_zone not in ("DMA", "DMA32") or not allowed or 0 in allowed:
        return False
    if a.gfp is None or getattr(a.gfp, "is_atomic", False):
        return False
    return not any(z.node in allowed and z.name in ("DMA", "DMA32") and z.usable is not False for z in a.zones)


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

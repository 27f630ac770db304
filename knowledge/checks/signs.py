"""What known kernel defects produce, read from the figures a paste shows (OOM610).

A kernel defect is named outright when its signature is in the paste: a function or message of a
known record (OOM606), a module (OOM602, OOM608), a development tree (OOM602), a kill the numbers
contradict (OOM601). Many pastes of kernel defects show none of that: no taint, no module, some
not even the release. What they do show is what such defects produce. ``defect_signs`` reads those
shapes, each one a pattern of the figures that kernel fixes have removed (the sources are cited in
the record, knowledge/findings/OOM610.yaml):

- ``high_order``: a request of order 2 or more failed, or invoked the OOM killer, while a zone it may
  use held plenty of free order-0 memory (its free pages above twice its floor, min plus
  lowmem_reserve): compaction and reclaim did not make a block of the order, or the caller asked
  for contiguous memory it did not need - what the compaction and premature-OOM fixes and the
  kvmalloc conversions of later releases remove;
- ``unaccounted``: much of RAM in no counter of the report, with no balloon, GPU or ZFS module to
  hold it: memory taken straight from the page allocator and never given back (a kernel or driver
  leak outside every counter);
- ``dma``: a request confined to ZONE_DMA (GFP_DMA) failed on an exhausted DMA zone: a driver or the
  kernel's bounce and atomic-pool code asking for the 16 MB zone;
- ``free_zones``: a global order-0 OOM kill while every zone the request may use is above its low
  watermark (plus lowmem_reserve): the allocator's fast path would have served the request, so
  the kill is not what the printed figures call for (OOM601 takes the stronger case, a zone above
  high).

A paste whose kernel defect is already named (a kernel_fixes record, an implicated module, an
out-of-tree taint) or whose failure is harmless (the caller's fallback) gets none of this: the
named fix, the module's path or the verdict say more. The finding is contributing and worded as a
suspicion; its step is the kernel path worded for the dump's release (knowledge.kernel_series),
with what to paste next to confirm.
"""

from __future__ import annotations

from typing import Any

from ..analysis import Analysis
from ..clues import implicated_module
from ..kernel_series import table
from ..surroundings import kernel_lines
from .base import Evidence, Hit, _warning_only, check, failures_alike
from .defects import _clues, _development, _fallback_reasons

SIGNS = ("high_order", "unaccounted", "dma", "free_zones", "manual_stall")


def _named_elsewhere(a: Analysis) -> bool:
    """The paste already names the defect or its module, or says the failure is harmless."""
    if a.kernel_fixes():
        return True  # a known record (OOM606, or a harmless one: OOM502)
    clue = _clues(a)
    if "out_of_tree" in clue or any(name in clue for name in ("balloon", "gpu", "zfs")):
        return True  # OOM602 / OOM218 name the module and its own path
    if implicated_module(a) is not None:
        return True
    return _development(a) is not None  # a development tree: OOM602's


def _unmaintained_or_unknown(a: Analysis) -> bool:
    """The paste prints no kernel release, or one of a series kernel.org no longer maintains
    (knowledge/kernel_series.yaml, distribution kernels by their base series): the compaction,
    reclaim and caller fixes since are not in it. A development tree is OOM602's."""
    from grammar.release import parse_release

    release = parse_release(a.kernel) if a.kernel else None
    if release is None:
        return a.version is None
    if release.pre_release is not None:
        return False
    series = release.series
    return (series[0], series[1]) not in table().maintained


def _high_order(a: Analysis, p: dict[str, Any], evidence: Evidence) -> bool:
    order = a.order
    if order is None or order < p["min_order"]:
        return False
    if a.event.kind not in ("page-allocation-failure", "oom-kill", None) or a.is_memcg:
        return False
    if not _unmaintained_or_unknown(a):
        return False  # a maintained series carries the compaction fixes: the figures alone are no sign
    if a.gfp is not None and _fallback_reasons(a):
        return False  # the caller copes with the failure (OOM501): not a defect to fix
    repeats = len(failures_alike(a, order=order))
    if _warning_only(a, repeats, 3):
        return False  # one warning, nothing killed: harmless unless it repeats (OOM130 says so)
    roomy = [
        z
        for z in a.usable_zones
        if z.below_min is False
        and z.countable_kb is not None
        and z.floor_kb
        and z.countable_kb >= p["free_over_floor"] * z.floor_kb
        and z.countable_kb >= p["min_free_kb"]
    ]
    if not roomy:
        return False
    zone = max(roomy, key=lambda z: z.countable_kb or 0)
    trigger = a.lines(a.event.trigger.line) if a.event.trigger else ()
    evidence["order"] = (order, trigger)
    evidence["zone"] = (zone.label, zone.lines)
    evidence["zone_free_kb"] = (zone.countable_kb, zone.lines)
    evidence["zone_floor_kb"] = (zone.floor_kb, zone.lines)
    return True


def _unaccounted(a: Analysis, p: dict[str, Any], evidence: Evidence) -> bool:
    figure = a.figure("unaccounted") if a.breakdown is not None else None
    if figure is None or not a.ram_kb:
        return False
    kb = figure.kb - a.pfn_span_gap_kb  # (the pfn span's holes are no memory: OOM215's discount)
    if kb < p["unaccounted_min_kb"] or kb < p["unaccounted_share"] * a.ram_kb:
        return False
    if _cma_area(a):
        return False  # devices allocate from CMA by design (GPU, camera, codecs): OOM140 reads it
    if a.environment.vm and not _module_list(a):
        # a VM's balloon driver is the first suspect (OOM215); only a printed module list without
        # one (the balloon clue reads the same list) leaves the kernel as the suspect
        return False
    evidence["unaccounted_kb"] = (kb, figure.lines)
    evidence["ram_kb"] = (a.ram_kb, a.ram_lines)
    return True


def _cma_area(a: Analysis) -> bool:
    """The paste shows a CMA area (reserved pages, or free CMA pages in a zone or Mem-Info)."""
    if a.event.page_totals.get("cma reserved"):
        return True
    return any(z.values.get("free_cma") for z in a.zones) or bool(a.event.meminfo.get("free_cma"))


def _module_list(a: Analysis) -> bool:
    """The paste prints the loaded-module list ("Modules linked in:")."""
    return bool(a.find_lines(r"Modules linked in:"))


def _dma(a: Analysis, evidence: Evidence) -> bool:
    """A request confined to the DMA zone (GFP_DMA), or to DMA32 and below (GFP_DMA32) on a machine
    with memory above them, that the confining zones could not serve: each at or below its low
    watermark or without a free block of the order."""
    zone_name = a.highest_zone
    if zone_name not in ("DMA", "DMA32") or a.is_memcg:
        return False
    if a.constraint not in (None, "CONSTRAINT_NONE"):
        return False  # a cpuset or mempolicy confines it further (OOM301)
    if a.gfp is not None and _fallback_reasons(a):
        return False
    confining = [z for z in a.zones if z.usable is True and z.min_kb is not None]
    if not confining or not any(z.name == zone_name for z in confining):
        return False
    if zone_name == "DMA32" and not any(z.name in ("Normal", "Movable", "HighMem") for z in a.zones):
        return False  # all of RAM is below 4 GB: DMA32 is simply the machine's memory
    order = max(a.order or 0, 0)
    if not all(z.below_low or (order > 0 and z.blocks_at_order == 0) for z in confining):
        return False
    zone = next(z for z in confining if z.name == zone_name)
    evidence["zone"] = (zone.label, zone.lines)
    evidence["zone_free_kb"] = (zone.free_kb, zone.lines)
    return True


def _free_zones(a: Analysis, evidence: Evidence) -> bool:
    if a.event.kind != "oom-kill" or not a.is_global or a.is_memcg or a.order != 0:
        return False
    if a.constraint not in (None, "CONSTRAINT_NONE"):
        return False  # a cpuset or mempolicy confines the request to some nodes (OOM301)
    if len(a.node_ids) > 1:
        return False  # one node may be short while the figures of another look free
    zones = [z for z in a.usable_zones if z.usable is True and z.countable_kb is not None and z.low_kb is not None]
    if not zones or any(z.below_low is not False for z in zones):
        return False
    if not any((z.managed_kb or z.present_kb or 0) > 0 and (z.countable_kb or 0) > 0 for z in zones):
        return False
    zone = max(zones, key=lambda z: z.countable_kb or 0)
    evidence["zone"] = (zone.label, zone.lines)
    evidence["zone_free_kb"] = (zone.countable_kb, zone.lines)
    evidence["zone_low_kb"] = (zone.low_kb, zone.lines)
    return True


def _manual_stall(a: Analysis, evidence: Evidence) -> bool:
    """A kill by hand (SysRq-f) while every zone the request may use was at its floor or swap was
    full, on a kernel before 6.1 or one the paste does not name: the machine stalled short of
    memory and the kernel had not killed on its own. Kernels from 6.1 can kill instead of
    stalling (the multi-gen LRU's min_ttl_ms, OOM001's step); the kill the kernel refused
    ("OOM request ignored") is OOM001's own case."""
    if not (a.event.sysrq or a.order == -1 or a.event.kind == "sysrq-manual"):
        return False
    if a.version is not None and a.version[:2] >= (6, 1):
        return False
    if kernel_lines(a.dump, "sysrq_ignored"):
        return False
    judged = [z for z in a.usable_zones if z.below_min is not None]
    starved = [z for z in judged if z.below_min]
    swap_full = bool(a.swap_total_kb) and a.swap_free_kb is not None and a.swap_free_kb <= 0.02 * (a.swap_total_kb or 0)
    if not ((judged and len(starved) == len(judged)) or swap_full):
        return False
    if starved:
        zone = max(starved, key=lambda z: z.managed_kb or z.present_kb or 0)
        evidence["zone"] = (zone.label, zone.lines)
        evidence["zone_free_kb"] = (zone.countable_kb, zone.lines)
        evidence["zone_floor_kb"] = (zone.floor_kb, zone.lines)
    stall = next(iter(a.event.watchdogs), None)
    if stall is not None:  # the kernel's own word that the machine stalled: quoted
        evidence["watchdog"] = (stall.line.text.strip(), (stall.line,))
    return True


@check("defect_signs", needs=("event",))
def defect_signs(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The figures show what known kernel defects produce (high-order failures with free order-0
    memory, memory no counter explains, an exhausted DMA zone, free zones at an order-0 kill) and
    the paste names no defect, module or fallback: the kernel path is among the levers."""
    if _named_elsewhere(a):
        return None
    evidence: Evidence = {}
    signs = []
    if _high_order(a, p, evidence):
        signs.append("high_order")
    if _unaccounted(a, p, evidence):
        signs.append("unaccounted")
    if "zone" not in evidence and _dma(a, evidence):
        signs.append("dma")
    if "zone" not in evidence and _free_zones(a, evidence):
        signs.append("free_zones")
    if not signs and _manual_stall(a, evidence):
        signs.append("manual_stall")
    if not signs:
        return None
    if a.kernel:
        evidence["kernel"] = (a.kernel, a.lines(a.event.header.line) if a.event.header else ())
    return Hit(p["confidence"], evidence, {"signs": signs, "order": a.order})

"""Zones, watermarks, fragmentation, atomic and high-order requests, CMA, reclaim context (OOM1xx)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..analysis import LARGE_PAGEBLOCK_KB, LOWMEM_ZONES, Analysis, ramp
from ..clues import NET_FUNCTIONS, SKB_ALLOC_FUNCTIONS, _base, alloc_wrapper, clues
from ..kernel_fixes import _function, situated, situation_pattern
from .base import (
    Evidence,
    Hit,
    _fix_dict,
    _flag,
    _kernel_fixes,
    _module_context,
    _routine_request,
    _trace_has,
    _warning_only,
    check,
    device_failed_after,
    failures_alike,
    recurrence_said,
)
from .defects import _clues, _fallback_reasons, _network_stalled
from .signs import _unmaintained_or_unknown


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
            known = a.kernel_fixes()
            possible = [f for f in a.kernel_fixes(untraced=True) if f not in known]
            context["kernel_fixes"] = [_fix_dict(f) for f in known]
            context["kernel_fixes_possible"] = [_fix_dict(f) for f in possible]
        else:
            context["kernel_fixes"] = _kernel_fixes(a)  # e.g. block I/O bounced into ZONE_DMA (2.6 x86_64)
    elif a.highest_zone is None and zone is not None and zone.below_min:
        confidence = p["confidence_unknown_gfp"]
        mode = "unknown_gfp"
        context["kernel_fixes"] = _kernel_fixes(a)
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
    """Zone min watermarks far above what the kernel would choose: vm.min_free_kbytes raised.

    The setting is read by Analysis.min_free_reading (boost taken out; the printed zones' share
    when zones are left out); the test asks its lower figure, so a watermark boost the report does
    not print (5.0-5.15) never passes for a raised setting. The kernel's own value is the larger of
    the sqrt default and THP's recommendation; for the test the sqrt default is not capped at
    65536 (a vendor kernel before 5.7 may carry the 262144 bound of ee8eb9a5fe86).
    """
    reading = a.min_free_reading
    default = a.default_min_free_kbytes
    own = a.kernel_min_free_kbytes  # the sqrt default, or THP's recommendation when higher
    lowmem = a.min_free_lowmem_kb
    if reading is None or not default or not own or not lowmem:
        return None
    sqrt_test = a.default_min_free_kbytes_any_bound or 0
    thp_mode = False
    if reading.low_kb < p["default_factor"] * max(own, sqrt_test):
        # khugepaged's own value is the setting, but with 32 MB or larger pageblocks (16 and 64 KiB
        # pages) it is itself far above the kernel's default without THP: up to 5 % of lowmem
        if a.pageblock_kb < LARGE_PAGEBLOCK_KB or reading.low_kb < p["default_factor"] * sqrt_test:
            return None
        thp_mode = True
        own = default
    estimate = reading.kb
    zones = [z for z in a.zones if z.name in LOWMEM_ZONES and z.min_kb is not None]
    free_lowmem = sum(z.free_kb or 0 for z in zones)
    biggest = max(zones, key=lambda z: z.min_kb or 0)
    ratio = estimate / own
    served = _served_with_own_watermarks(a, own, lowmem)
    # a reserve of several percent of lowmem is itself what the OOM ran into, and so is one without
    # which a zone the request may use would have served it; a smaller one that changed nothing is
    # still far above the kernel's choice and worth lowering, but it did not cause the shortage
    cause = estimate >= p["lowmem_share"] * lowmem or served is not None
    evidence: Evidence = {
        "min_free_kbytes_estimate": (estimate, reading.lines),
        "default_min_free_kbytes": (default, ()),
        "lowmem_kb": (lowmem, reading.lines),
        "free_lowmem_kb": (free_lowmem, reading.lines),
        "zone": (biggest.label, biggest.lines),
        "zone_free_kb": (biggest.free_kb, biggest.lines),
        "zone_min_kb": (biggest.min_kb, biggest.lines),
    }
    if a.thp_min_free_kbytes and a.thp_min_free_kbytes > default:
        evidence["thp_min_free_kbytes"] = (a.thp_min_free_kbytes, ())
    if reading.extrapolated:
        evidence["zones_printed"] = (", ".join(reading.zones), reading.lines)
    if served is not None:
        evidence["served_zone"] = (served.label, served.lines)
    boost = sum(z.values.get("boost", 0) for z in zones)
    confidence = ramp(ratio, p["default_factor"], 20, p["confidence_low"], p["confidence_high"])
    return Hit(
        confidence * p["thp_factor"] if thp_mode else confidence,
        evidence,
        {
            "ratio": round(ratio, 1),
            "own": own,
            "boost": boost,
            "cause": cause,
            "served": served.label if served is not None else None,
            "extrapolated": reading.extrapolated,
            "not_printed": ", ".join(reading.not_printed),
            "boost_inferred": reading.boost_inferred,
            "floor": reading.low_kb if reading.low_kb < 0.9 * estimate else None,
            "sqrt_cap": 262144 if a.version_at_least(5, 7) is not False else 65536,
            "thp_mode": thp_mode,
            "page_kb": a.page_kb,
            "pageblock_mb": a.pageblock_kb // 1024,
        },
        None if cause else "contributing",
    )


def _served_with_own_watermarks(a: Analysis, own: int, lowmem: int) -> Any:
    """The first lowmem zone the request may use that failed __zone_watermark_ok() with the
    printed min but would have passed with the kernel's own min_free_kbytes (its share of
    ``own``, split as __setup_per_zone_wmarks() splits it: by managed pages), the reserves the
    request may dip into, the unusable pages and lowmem_reserve counted as the zone model counts
    them; the one with the most free memory, None when no zone would have. Only for an OOM kill or
    the failure of a request that may reclaim."""
    if a.is_allocation_failure and getattr(a.gfp, "may_reclaim", None) is not True:
        return None  # an atomic or GFP_NOWAIT request is opportunistic: its failure is not the reserve's doing
    if a.event.kind == "sysrq-manual" or a.order == -1 or a.is_memcg:
        return None  # a kill by hand, or at a memory cgroup's limit: no watermark decided it
    share = a.alloc_rule.min_share
    served = []
    for z in a.usable_zones:
        size = z.managed_kb if z.managed_kb is not None else z.present_kb
        if z.name not in LOWMEM_ZONES or not size or z.countable_kb is None or not z.below_min:
            continue
        mark = int(own * size / lowmem * share)
        if z.countable_kb > mark + z.reserve_kb and z.order_ok is not False:
            served.append(z)
    # the zone with the most free memory it may count names the case best
    return max(served, key=lambda z: z.countable_kb or 0) if served else None


def _compaction_refused(a: Analysis) -> str | None:
    """Why the kernel never compacts memory for this request, or None when it may.

    mm/compaction.c try_to_compact_pages() returns COMPACT_SKIPPED for a request without __GFP_IO
    (4.10-6.7 `if (!may_perform_io)`; 6.8+ gfp_compaction_allowed(), include/linux/gfp.h), and
    before 4.10 also for one without __GFP_FS (2.6.35-4.9 `if (!may_enter_fs ||
    !may_perform_io)`; 73e64c51afc5 'mm, compaction: allow compaction for GFP_NOFS requests',
    Michal Hocko, October 2016, merged for 4.10). An atomic request (no direct reclaim) is the
    finding's ``atomic`` case, not this one."""
    gfp = a.gfp
    if gfp is None or getattr(gfp, "may_reclaim", None) is not True:
        return None
    if getattr(gfp, "may_do_io", None) is False:
        return "GFP_NOIO"
    if getattr(gfp, "may_call_fs", None) is False and a.version is not None and a.version < (4, 10):
        return "GFP_NOFS, before 4.10"
    return None


@check("fragmentation", needs=("order",))
def fragmentation(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A higher-order request fails although there is free memory: no free block is big enough."""
    order = a.order
    if order is None or order < 1 or a.is_stall:
        return None  # a stall warning was printed while the request was still compacting (OOM503)
    request_kb = a.page_kb << order
    evidence: Evidence = {
        "order": (order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
        "request_kb": (request_kb, ()),
    }
    zones = [z for z in a.usable_zones if z.blocks_at_order is not None]
    costly = order > p["costly_order"]
    repeats = len(failures_alike(a, order=order))
    context: dict[str, Any] = {
        "costly": costly,
        "atomic": bool(getattr(a.gfp, "is_atomic", False)),
        "mode": "",
        "reserve_blocked": None,
        "warning_only": _warning_only(a, repeats, 3),
        "kernel_fixes": _kernel_fixes(a),
        "no_compaction": _compaction_refused(a),
        "traced": bool(a.event.call_trace),
        # a series kernel.org no longer maintains, or no release printed: the built-in caller's
        # path is worded for the release (knowledge.kernel_series), as OOM610 words it
        "kernel_aged": _unmaintained_or_unknown(a),
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
        # memory itself is short, not just contiguity: judged on the zones that pass the order-0
        # part, since a zone at its floor (min + lowmem_reserve) lends nothing to this request
        passing = [z for z in zones if z.below_min is False] or zones
        passing_free = sum(z.free_kb or 0 for z in passing)
        passing_floor = sum(z.floor_kb or 0 for z in passing)
        # Contiguity alone refused the request, however near the floor, when a zone passes the
        # order-0 part at min and holds no block of the order and either
        # - the request may not compact (only a block already free could serve it), or
        # - it is costly (order > PAGE_ALLOC_COSTLY_ORDER): not retried after one round of reclaim
        #   and compaction unless __GFP_RETRY_MAYFAIL, and never OOM-kills (mm/page_alloc.c
        #   __alloc_pages_slowpath(), __alloc_pages_may_oom()).
        passes_order0 = any(z.below_min is False for z in judged)
        refused = context["no_compaction"] if passes_order0 else None
        contiguity_only = bool(refused) or (costly and passes_order0)
        short = passing_free < max(passing_floor, 1) * p["free_over_floor"] and passing_free < p["min_free_kb"]
        if short and not contiguity_only:
            return None
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
        # A costly request is given up after one round of reclaim and compaction, so its failure is
        # about contiguity - unless it asked to be retried: __GFP_RETRY_MAYFAIL (__GFP_REPEAT before
        # 4.13, the same bit) keeps reclaiming and compacting while that makes progress
        # (mm/page_alloc.c __alloc_pages_slowpath(): v4.4 'pages_reclaimed < (1 << order)', v4.7+
        # should_reclaim_retry()/should_compact_retry()), and such a request "may fail, but only
        # when there is genuinely little unused memory" and "the caller must handle failure"
        # (include/linux/gfp.h v4.13-v6.0, gfp_types.h v6.1+): without the buddy lists a shortage,
        # a fragmented zone and a caller that copes cannot be told apart, as for orders 1-3
        retried = _flag(a, "__GFP_RETRY_MAYFAIL", "__GFP_REPEAT")
        context["retried"] = retried
        # A kdump capture kernel runs in the crashkernel= reservation alone (a few hundred MB,
        # Documentation/admin-guide/kdump/kdump.rst), which the drivers it probes, sized for the
        # production machine, can use up: there a shortage is as likely as a fragmented zone, and
        # the order alone does not tell them apart
        capture = costly and not retried and situated(a, situation_pattern("kdump-kernel")) is not None
        context["capture_kernel"] = capture
        confidence = p["confidence_costly"] if costly and not retried and not capture else p["confidence_order_only"]
        # Orders 1-3 invoke the OOM killer only after reclaim and compaction found nothing
        # (OOM204's reading, mm/page_alloc.c __alloc_pages_may_oom()); when the request is one every
        # fork or fault makes, not a driver's buffer, memory running out is the likelier reading
        if not costly and a.event.kind == "oom-kill" and _routine_request(a):
            confidence = p["confidence_routine"]
    # A lone warning (nothing killed, not repeated) whose caller copes with the failure (OOM501's
    # reasons): the missing block is how it failed, the harmless fallback is what to tell the user.
    role = "contributing" if context["warning_only"] and a.gfp is not None and _fallback_reasons(a) else None
    return Hit(confidence, evidence, context, role)


def _net_path(a: Analysis) -> str | None:
    """The network-stack function in the trace of an atomic request (knowledge/clues.py net_refill):
    a packet path whose failed allocation drops or defers that packet (alloc_skb() and friends
    return NULL by contract, net/core/skbuff.c), so TCP resends and the stack recovers."""
    clue = clues(a).get("net_refill")
    if clue is not None:
        return clue.detail
    if a.event.call_trace or a.event.trigger is None or not 1 <= (a.order or 0) <= 3:
        return None
    # a warning printed without its trace (cut, or quoted as one line): the other failures of the
    # same host with the same gfp mask show where such requests come from
    mask = a.event.trigger.gfp_mask
    for other in a.dump.events:
        if other is a.event or other.host != a.event.host or other.trigger is None or not other.call_trace:
            continue
        if other.kind != "page-allocation-failure" or other.trigger.gfp_mask != mask:
            continue
        found = next((_base(f) for f in other.call_trace if NET_FUNCTIONS.match(_base(f))), None)
        if found is None:
            return None  # the first traced sibling is not a network path: say nothing
        return found
    return None


# Functions that allocate a packet's own buffer (an skb, or the page fragments a receive ring is
# refilled with): a high-order request there is a frame larger than a page, unlike a socket's or
# a connection's own structures (tcp_create_openreq_child) that the packet path also allocates
PACKET_BUFFER = re.compile(
    r"^([a-z0-9_]*_alloc_rx_(buffers?|bufs?|page|frag|skb)|[a-z0-9_]*(rx_refill|refill_rx|_rx_refill|refill_rx_ring)|"
    r"netdev_alloc_frag|__netdev_alloc_frag|page_frag_alloc|__page_frag_alloc|skb_page_frag_refill)$"
)


# A network driver's receive-ring refill (e1000_alloc_rx_buffers, igb_alloc_rx_buffers,
# bnx2_alloc_rx_skb, ..._rx_refill): a socket buffer it asks for holds one received frame, so a
# buffer above a page there is a frame above a page (jumbo frames)
RX_REFILL = re.compile(r"alloc_rx_buf|alloc_rx_skb|alloc_rx_page|rx_refill|refill_rx|rx_alloc_skb")


def _rx_refill(a: Analysis) -> str | None:
    """The receive-ring refill function of the event's call trace, if any (``RX_REFILL``)."""
    return next((_function(f) for f in a.event.call_trace if RX_REFILL.search(_function(f))), None)


def _packet_buffer(function: str | None) -> str | None:
    if function and (SKB_ALLOC_FUNCTIONS.match(function) or PACKET_BUFFER.match(function)):
        return function
    return None


# frames of the allocator itself and the slab allocators (with the socket-buffer wrappers of
# clues.SKB_ALLOC_FUNCTIONS and the modules' allocation wrappers of clues.ALLOC_WRAPPER_FUNCTIONS):
# the caller to name is the first frame past them
_ALLOCATOR_FRAME = re.compile(
    r"(dump_stack|show_stack|warn_alloc|__alloc_pages|alloc_pages|get_page_from_freelist|__get_free_pages|"
    r"kmalloc|__kmalloc|kmem_cache_alloc|cache_alloc_refill|new_slab|___slab_alloc|allocate_slab|"
    r"dump_backtrace|__warn_alloc|__alloc_pages_slowpath|__alloc_pages_nodemask|alloc_slab_page|"
    r"cache_grow|kmem_getpages|fallback_alloc|____cache_alloc|__cache_alloc|slab_alloc|__slab_alloc|__do_kmalloc)"
)


def _allocator_frame(function: str) -> bool:
    return bool(
        _ALLOCATOR_FRAME.match(function) or SKB_ALLOC_FUNCTIONS.match(_base(function)) or alloc_wrapper(function)
    )


def _alloc_caller(trace: Sequence[str]) -> str | None:
    """The first frame past the allocator's run at the top of the trace. The run may step over
    one stray frame: older unwinders print stale stack words as frames without the "?" mark later
    x86 kernels give them (2.6.18: `:ip_tables:ipt_do_table` between __alloc_pages and cache_grow)."""
    last = -1
    for index, function in enumerate(trace):
        if index - last > 2:
            break
        if _allocator_frame(function):
            last = index
    return next((f for f in trace[last + 1 :] if not _allocator_frame(f)), None)


def _stalled_context(a: Analysis, evidence: Evidence) -> dict[str, Any] | None:
    """ctx.stalled (defects._network_stalled without its lines, which go to the evidence)."""
    stalled = _network_stalled(a)
    if stalled is None:
        return None
    stalled = dict(stalled)  # (the event's memo stays whole)
    lines = stalled.pop("lines")
    evidence["network_stopped"] = (stalled["seen"], lines[:3])
    if stalled["driver"]:
        evidence["driver"] = (stalled["driver"], a.find_lines(re.escape(f"[{stalled['driver']}]"))[:1] or lines[:1])
    return stalled


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
    function = _alloc_caller(a.event.call_trace)
    evidence: Evidence = {
        "order": (a.order, a.lines(a.event.trigger.line) if a.event.trigger else ()),
        "failures": (
            repeats,
            tuple(ln for e in same[:5] for ln in e.lines if e.trigger and ln.number == e.trigger.line),
        ),
    }
    if function:
        evidence["caller"] = (function, a.find_lines(re.escape(function))[:1])
    # the person's words that say these failures keep coming count as the failure pasted again
    said = recurrence_said(a)
    if said:
        evidence["recurs"] = (said[0].text.strip(), ())  # the person's words: named, not a report line
    repeated = repeats >= p["min_repeats"] or bool(said)
    confidence = p["confidence_repeated"] if repeated else p["confidence_single"]
    # one failure is a symptom (fragmentation); the same failure again and again is the caller's defect
    return Hit(
        confidence,
        evidence,
        {
            "has_caller": function is not None,
            "warning_only": _warning_only(a, repeats, p["min_repeats"]),
            "net_path": _net_path(a),
            "net_path_elsewhere": not a.event.call_trace,
            "kernel_fixes": _kernel_fixes(a),
            "request_kb": a.page_kb << (a.order or 0),
            "packet_buffer": _packet_buffer(_net_path(a)),
            # a receive buffer above a page from the packet path: frames larger than a page
            # (jumbo frames), each refill an atomic request for a free block of this order
            "jumbo": _rx_refill(a) if _packet_buffer(_net_path(a)) and (a.order or 0) >= 1 else None,
            "stalled": _stalled_context(a, evidence),
            # the device's own error right after the failure (checks.base.device_failed_after): the
            # driver did not simply drop a packet, so the packet path's 'harmless in itself' is not said
            "device_failed": bool(device_failed_after(a)),
            **_module_context(a),
            **_min_free_advice(a),
        },
        "root-cause" if repeated else None,
    )


@check("atomic_reserve", needs=("order", "gfp"))
def atomic_reserve(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """An order-0 atomic allocation failed: the reserve below the min watermark ran dry."""
    if a.event.kind != "page-allocation-failure" or a.order != 0 or not getattr(a.gfp, "is_atomic", False):
        return None
    trigger_lines = a.lines(a.event.trigger.line) if a.event.trigger else ()
    same = failures_alike(a, mask=a.event.trigger.gfp_mask if a.event.trigger else None, order=0, host=a.event.host)
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
    stalled = _stalled_context(a, evidence)
    if nowait:
        confidence *= p["nowait_factor"]
        if len(same) < p["min_repeats"] and stalled is None:
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
            "stalled": stalled,
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
    if a.movable_request:
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


def _ordinary_blocks(a: Analysis, zone_name: str, node: int | None, need_kb: int) -> int | None:
    """Free blocks of at least ``need_kb`` that an ordinary request may take: blocks the buddy list
    marks only as highatomic (H), CMA (C) or isolated (I) are reserved for other requests."""
    for buddy in a.event.buddy:
        if buddy.zone != zone_name or buddy.node != node:
            continue
        if not buddy.complete:
            return None  # a shortened line: the orders it leaves out are unknown
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
            **_min_free_advice(a),
        },
    )


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

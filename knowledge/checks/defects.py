"""Fallbacks: harmless failures, contradicted kills, kernel defects and the undetermined placeholder
(clues: knowledge.clues; text around the report: knowledge.surroundings)."""

from __future__ import annotations

import re
from typing import Any, cast

from grammar.facts import TaskRow

from ..analysis import Analysis, ramp
from ..clues import clues, implicated_module
from ..kernel_fixes import _function, in_series, situated
from ..surroundings import kernel_lines, network_stopped
from .base import (
    Evidence,
    Hit,
    _boot_masked,
    _fix_dict,
    _flag,
    _module_context,
    _trace_has,
    _workload_context,
    check,
    device_failed_after,
    failures_alike,
    gave_up_after,
    recurrence,
    report_tail_before,
)


@check("undetermined", needs=("meminfo|zones|tasks|memcg|page_totals",))
def undetermined(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Placeholder evaluated last by diagnose(): fires only when no root cause fired.

    A partial paste still shows some facts about the machine; the context names the ones that
    narrow the cause, so the steps give what the paste supports besides "paste the rest"."""
    # a known workload among the killed, the largest and the allocating task names its own lever
    trigger = a.event.trigger
    names = (a.victim_name, a.task_groups[0].name if a.task_groups else None, trigger.comm if trigger else None)
    context = {**_partial_context(a), **_workload_context(a, *names)}
    # every part of the report is there (event.missing, what the overview asks to paste): asking
    # for "the complete report" again would send the reader in a circle
    context["whole"] = not a.event.missing
    # the tail of an earlier report, cut above, right before a report of the same machine: that
    # report is read in full below, so this tail names no cause and asks for nothing of its own
    if any(report_tail_before(a, e) is a.event for e in a.dump.events):
        return None
    return Hit(p["confidence"], {"kind": (a.event.kind or "fragment", ())}, context)


@check("partial_pointer", needs=("meminfo|zones|tasks|memcg|page_totals",))
def partial_pointer(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """What a partial paste points at, offered as a possible cause (evaluated like OOM900: only
    when no other root cause fired, and never confident).

    ``p["pointer"]`` names the part of :func:`_partial_context` the record speaks for: ``highmem``
    (a 32-bit HighMem kernel, shown without a zone report: lowmem or the vmalloc area),
    ``large_pages`` (16/64 KiB pages without a zone report: THP's min_free_kbytes) or ``numa``
    (a zone of a NUMA node printed at or below its low watermark)."""
    pointer = _partial_context(a).get(p["pointer"])
    if not pointer:
        return None
    evidence: Evidence = {}
    context: dict[str, Any] = dict(pointer)
    if p["pointer"] == "highmem":
        totals = a.lines_of(a.event.page_total_lines)
        evidence["highmem_kb"] = (pointer["high_kb"], totals)
        evidence["ram_kb"] = (pointer["ram_kb"], totals)
        evidence["lowmem_kb"] = (pointer["ram_kb"] - pointer["high_kb"], totals)
    elif p["pointer"] == "large_pages":
        lines = a.lines(a.event.task_table_line)
        evidence["page_kb"] = (pointer["page_kb"], lines)
        evidence["pageblock_mb"] = (pointer["pageblock_mb"], ())
    else:
        starved = [z for z in a.zones if z.node is not None and z.below_low and z.usable is not False]
        if not starved:
            return None  # the node's zones are not short: nothing points at its exhaustion
        zone = max(starved, key=lambda z: z.managed_kb or z.present_kb or 0)
        evidence["zone"] = (zone.label, zone.lines)
        evidence["zone_free_kb"] = (zone.free_kb, zone.lines)
        evidence["zone_low_kb"] = (zone.low_kb, zone.lines)
        context["zone"] = zone.label
    return Hit(p["confidence"], evidence, context)


def _partial_context(a: Analysis) -> dict[str, Any]:
    """What a partial paste shows that points at a cause: a 32-bit HighMem kernel (lowmem or the
    vmalloc area), the zones of one NUMA node, or large pages (THP's min_free_kbytes)."""
    out: dict[str, Any] = {"highmem": None, "numa": None, "large_pages": None}
    totals = a.event.page_totals
    high = totals.get("HighMem/MovableOnly", totals.get("HighMem"))
    if a.has_highmem and high and totals.get("RAM"):
        out["highmem"] = {"high_kb": high * a.page_kb, "ram_kb": totals["RAM"] * a.page_kb}
    nodes = sorted({z.node for z in a.zones if z.node is not None})
    if nodes and (len(nodes) > 1 or nodes[0] > 0):
        # a zone line of node 1 or above: the machine is NUMA, and a process bound to some nodes
        # (numactl, cpuset.mems, a mempolicy) can use only their memory
        managed = {n: sum(z.managed_kb or z.present_kb or 0 for z in a.zones if z.node == n) for n in nodes}
        out["numa"] = {"nodes": ", ".join(str(n) for n in nodes), "node_kb": sum(managed.values())}
    if a.page_kb in (16, 64) and not any(z.min_kb is not None for z in a.zones):
        out["large_pages"] = {"page_kb": a.page_kb, "pageblock_mb": {16: 32, 64: 512}[a.page_kb]}
    return out


def _clues(a: Analysis) -> dict[str, Any]:
    return clues(a)


def _fallback_reasons(a: Analysis, evidence: Evidence | None = None) -> list[str]:
    """Why the caller of this failed request copes with the failure (OOM501): __GFP_NORETRY, a
    request that may neither reclaim nor dip into reserves (GFP_NOWAIT), a vmalloc fallback, a
    caller that retries at a smaller order, a network receive refill that retries later, or an
    atomic single-page socket-buffer allocation whose failure drops one packet. ``evidence`` gets
    the caller lines when given."""
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
        # at boot the printed mask lost its reclaim bits to GFP_BOOT_MASK: not the caller's choice
        and not _boot_masked(a)
    ):
        reasons.append("nowait")
    if "vmalloc_fallback" in clue and order >= 1:
        reasons.append("vmalloc_fallback")
        if evidence is not None:
            evidence["fallback_caller"] = (clue["vmalloc_fallback"].detail, clue["vmalloc_fallback"].lines)
    if "order_fallback" in clue and order >= 1:
        reasons.append("order_fallback")
        if evidence is not None:
            evidence["order_fallback_caller"] = (clue["order_fallback"].detail, clue["order_fallback"].lines)
    if "net_refill" in clue and order >= 1:
        reasons.append("net_refill")
        if evidence is not None:
            evidence["refill_caller"] = (clue["net_refill"].detail, clue["net_refill"].lines[-1:])
    if "net_drop" in clue and order == 0:
        reasons.append("net_drop")
        if evidence is not None:
            evidence["skb_caller"] = (clue["net_drop"].detail, clue["net_drop"].lines[-1:])
    return reasons


def _network_stalled(a: Analysis) -> dict[str, Any] | None:
    """An atomic failure on a network path after which the paste shows the network stopped
    (``surroundings.network_stopped``: the transmit watchdog, or the person's words): the driver
    did not recover from the failed refill, so the failure was not the harmless dropped packet it
    usually is. A receive ring refilled only from the driver's own NAPI poll stays empty once a
    refill fails with nothing in it: no packet arrives to run the poll again (virtio_net had that
    FIXME until 3161e453e496 'virtio: net refill on out-of-memory', 2009, refilled it from a work
    item with GFP_KERNEL). ``driver``: the module in the trace (Analysis.trace_module), else the
    watchdog's driver; ``seen``: the line that shows it."""
    if not getattr(a.gfp, "is_atomic", False) or a.event.kind != "page-allocation-failure":
        return None
    # worked out once per event (OOM121, OOM131 and OOM501 ask; read only, never changed)
    if "_network_stalled" not in a.__dict__:
        a.__dict__["_network_stalled"] = _network_stalled_of(a)
    return cast("dict[str, Any] | None", a.__dict__["_network_stalled"])


def _network_stalled_of(a: Analysis) -> dict[str, Any] | None:
    clue = _clues(a)
    if "net_refill" not in clue and "net_drop" not in clue:
        return None
    # the watchdog's lines only after this failure; the person's words wherever they stand
    start = a.event.lines[0].number if a.event.lines else 0
    watchdog = {row.line.number for row in kernel_lines(a.dump, "netdev_watchdog")}
    lines = tuple(line for line in network_stopped(a.dump) if line.number not in watchdog or line.number > start)
    if not lines:
        return None
    traced = a.trace_module
    driver = traced[0] if traced else None
    if driver is None:
        driver = next(
            (str(r.values["driver"]) for r in kernel_lines(a.dump, "netdev_watchdog") if r.values.get("driver")), None
        )
    seen = lines[0].text.strip()
    return {
        "driver": driver,
        "function": traced[1] if traced else None,
        "seen": seen if len(seen) <= 160 else seen[:157] + "...",
        "lines": lines,
    }


@check("benign_fallback", needs=("order", "gfp"))
def benign_fallback(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """An allocation failure whose caller has a fallback (__GFP_NORETRY, GFP_NOWAIT, a vmalloc fallback, a refill that retries): the warning is noise."""
    if not a.is_allocation_failure or a.event.kill is not None:
        return None  # (a stall warning is no failure: OOM503)
    order = a.order or 0
    trigger_lines = a.lines(a.event.trigger.line) if a.event.trigger else a.find_lines(r"allocation failure")[:1]
    mask = getattr(a.gfp, "symbolic", None) or (a.event.trigger.gfp_mask if a.event.trigger else None)
    evidence: Evidence = {"order": (order, trigger_lines)}
    if mask:
        evidence["gfp"] = (mask, trigger_lines)
    reasons = _fallback_reasons(a, evidence)
    if not reasons:
        return None
    if _network_stalled(a) is not None:
        return None  # the network stopped after it: not noise (OOM121/OOM131 name the driver)
    same = failures_alike(a, mask=a.event.trigger.gfp_mask) if a.event.trigger is not None else []
    evidence["failures"] = (len(same) or 1, trigger_lines)
    if reasons == ["net_drop"] and len(same) > 1:
        return None  # the same single-page atomic request failing again and again: the reserve ran dry (OOM121)
    key = reasons[0]
    if key == "net_refill" and len(same) <= 1 and not recurrence(a) and not device_failed_after(a):
        key = "net_refill_single"  # one dropped refill is noise; the same one again and again is a problem
    confidence = p["confidence_" + key]
    if len(reasons) > 1:
        confidence = min(p["confidence_max"], confidence + p["confidence_each_more"] * (len(reasons) - 1))
    kills = [e for e in a.dump.events if e.kill is not None]
    if kills:
        confidence *= p["kill_in_paste_factor"]  # something else in the paste did run out of memory
    context = {"reasons": reasons, "kills_in_paste": len(kills), "io_backlog": _io_backlog(a, p, evidence)}
    return Hit(confidence, evidence, context)


# The block layer's request submission: a request that fails here is made while the kernel
# queues I/O (mm/page_io.c swap_readpage, writeback and readahead all end in submit_bio()).
BLOCK_SUBMIT = (
    "submit_bio",
    "submit_bio_noacct",
    "generic_make_request",
    "blk_queue_bio",
    "blk_mq_submit_bio",
    "blk_mq_make_request",
    "get_request",
    "blk_mq_get_request",
    "__blk_mq_alloc_request",
)


def _io_backlog(a: Analysis, p: dict[str, Any], evidence: Evidence) -> dict[str, Any] | None:
    """The failed request was made by the block layer while much memory was under writeback.

    Pages under writeback have been submitted to the device and not completed; dirtyable memory
    is free + file LRU pages (mm/page-writeback.c global_dirtyable_memory(), v4.9-v6.1), of which
    the flusher starts background writeback at dirty_background_ratio (10 %). Writeback of at
    least ``io_backlog_share`` of it means the storage cannot drain what the dirty limits let
    pile up; smaller dirty limits bound that backlog (the example sizes are OOM216's: 5 % and
    2.5 % of RAM, at most 1 GB and 256 MB, below the defaults)."""
    caller = _trace_has(a, *BLOCK_SUBMIT)
    writeback = a.meminfo_kb("writeback")
    dirtyable = sum(a.meminfo_kb(key) or 0 for key in ("free", "active_file", "inactive_file"))
    if caller is None or not writeback or not dirtyable or writeback < p["io_backlog_share"] * dirtyable:
        return None
    evidence["writeback_kb"] = (writeback, a.meminfo_lines)
    evidence["block_caller"] = (caller, ())
    ram = a.ram_kb or dirtyable
    return {
        "writeback_kb": writeback,
        "caller": caller,
        "share": round(100 * writeback / dirtyable),
        "dirty_bytes": min(1 << 30, ram * 1024 // 20) // (1 << 20) * (1 << 20),
        "background_bytes": min(1 << 28, ram * 1024 // 40) // (1 << 20) * (1 << 20),
    }


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
    fault = _fault_path_kill(a)
    if fault:
        reasons.append("pagefault")
        evidence["fault_path"] = fault
    development = _development(a)
    if development and _killed_on_development_tree(a):
        reasons.append("development")
        evidence["development"] = (a.kernel, a.lines(a.event.header.line) if a.event.header else ())
    score = _impossible_score(a, evidence)
    if score:
        reasons.append("score")
    if _negative_page_count(a, evidence):
        reasons.append("refcount")
    if not reasons:
        return None
    # "without": the step to reproduce without the module or the memory debugger applies - always
    # beside another reason, and for the root causes below only when the trace names a module or
    # debugger or the taint flags say an out-of-tree, proprietary or unsigned module is loaded
    header = a.event.header
    named = bool(
        {"out_of_tree", "kasan", "kmemleak"} & set(reasons)
        or (header is not None and header.tainted and set(header.tainted) & set("POE"))
    )
    context: dict[str, Any] = {"reasons": reasons, "without": True}
    if score or "refcount" in reasons:
        # the kernel printed a number it cannot print without a defect: the defect is the cause,
        # and the ordinary reading of the same figures its symptom (knowledge.diagnose.leads_as_defect)
        context.update(score=score, shown=True, without=named)
        return Hit(p["confidence_shown"], evidence, context, "root-cause")
    if reasons[0] == "pagefault" and set(reasons) <= {"pagefault", "development"}:
        # the kill itself is the clue: a global kill the allocator did not ask for (on a
        # development tree as well)
        return Hit(p["confidence_pagefault"], evidence, context, "root-cause")
    if "kswapd" in reasons and _header_only(a):
        # the header is all the paste holds, and the task it names is the reclaim thread: that is
        # read from the paste, OOM204's user-space growth only presumed - a root cause, below 60 %
        context["without"] = named
        return Hit(p["confidence"], evidence, context, "root-cause")
    if "kasan" in reasons:
        # a KASAN kernel is a debugging build, run to find kernel bugs: generic KASAN keeps a
        # shadow byte per 8 bytes of kernel memory and holds freed slab objects back in a
        # quarantine of up to 1/32 of RAM (mm/kasan/quarantine.c QUARANTINE_FRACTION), so what
        # fails on it is the kernel's own - the defect being hunted or the build's overhead. In
        # folds 1-4 both pastes from a KASAN build were kernel defects (a TLS page leak in an
        # out-of-tree firewall module, a 5.0.x regression under btrfs on lvmcache)
        return Hit(p["confidence_debug"], evidence, context, "root-cause")
    return Hit(p["confidence"], evidence, context)


def _header_only(a: Analysis) -> bool:
    """A global OOM pasted as its header (and trace) alone: no memory report, task table or kill
    line (the pastes OOM204 reads a prior from)."""
    if a.has_memory_report or a.tasks or a.event.kill is not None or a.is_memcg:
        return False
    return a.event.kind in ("oom-kill", None) and a.is_global


# oom_badness() (mm/oom_kill.c v2.6.36-v5.0) counts RSS + swap entries + page tables, adds
# oom_score_adj * totalpages / 1000, and oom_kill_process() prints `score` as points * 1000 /
# totalpages, totalpages being what this OOM may use (RAM + swap, or the memory cgroup's limit):
# with oom_score_adj <= 0 the score of a task that holds no more than that is at most 1000. From
# f755a04 ('oom: use pte pages in OOM score', v2.6.39, in stable from 2.6.36) until 'oom: fix
# integer overflow of points in oom_badness' (Frantisek Hrbata, v3.2; stable 3.0.16) the points
# were an int, and `points *= 1000` overflowed once a task held 2^31 / 1000 pages or more: the
# task scored 1 and was passed over (https://lore.kernel.org/linux-mm/1320076569-23872-1-git-send-email-fhrbata@redhat.com/).
OVERFLOW_PAGES = 2**31 // 1000
# the series whose kernels have each scoring defect (first, last): the int overflow from 2.6.36 (the
# stable backport of f755a04) to 3.1; the memcg limit bypass from 3.12 (4942642080ea, 3.12-rc6) to
# the 3.13 release candidates (1f14c1ac19aa is in 3.13)
SCORE_DEFECT_SERIES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "overflow": ((2, 6, 36), (3, 1)),
    "above_scale": ((3, 12), (3, 13)),
}


def _impossible_score(a: Analysis, evidence: Evidence) -> str | None:
    """A kill score the per-mille scale of 2.6.36-5.0 cannot give the task the table shows:
    "above_scale" - above 1000 with oom_score_adj <= 0, so the task held more than the memory the
    OOM counts against (a memory cgroup's charges bypassing its limit: 4942642080ea, 3.12-rc6 to
    3.13-rc, fixed by 1f14c1ac19aa 'mm: memcg: do not allow task about to OOM kill to bypass the
    limit' in 3.13; or pages it maps that are charged elsewhere); "overflow" - 1 or less for a task
    whose row holds 2^31 / 1000 pages or more with oom_score_adj >= 0 (the int overflow of
    oom_badness(), 2.6.36 to 3.1, or a release the paste does not print). None when the score is
    not on that scale, the row is missing, or the printed release is not the defect's."""
    kill = a.event.kill
    if kill is None or kill.score is None or not kill.score_per_mille:
        return None
    selected = a.selected_process
    pid = selected[0] if selected else kill.pid
    row = next((task.row for task in a.tasks if task.row.pid == pid), None)
    adj = row.oom_score_adj if row is not None else kill.oom_score_adj
    if adj is None:
        return None
    if kill.score > 1000 and adj <= 0 and row is not None and _beyond_any_machine(a, kill.score, row):
        # whatever the release: no machine is that small
        kind = "tiny_victim"
        evidence["victim_rss_pages"] = ((row.rss_pages or 0) + (row.swapents or 0), a.lines(row.line))
    elif kill.score > 1000 and adj <= 0:
        # the task's RSS counts file pages it maps that may be charged to another group, so above
        # 1000 is read as the bypass only on the releases that had it, printed in the paste
        if a.version is None or not in_series(a.version, SCORE_DEFECT_SERIES["above_scale"]):
            return None
        kind = "above_scale"
    elif (
        kill.score <= 1
        and adj >= 0
        and row is not None
        and (row.rss_pages or 0) + (row.swapents or 0) >= OVERFLOW_PAGES
    ):
        if a.version is not None and not in_series(a.version, SCORE_DEFECT_SERIES["overflow"]):
            return None
        kind = "overflow"
        evidence["victim_rss_pages"] = ((row.rss_pages or 0) + (row.swapents or 0), a.lines(row.line))
    else:
        return None
    lines = tuple(
        line for line in a.event.lines if "ill process " in line.text and f" score {kill.score} " in line.text
    )
    evidence["kill_score"] = (kill.score, lines[:1] or a.lines(kill.line))
    return kind


# A per-mille score S of a task whose points (RSS + swap entries + page tables) are P says that
# the OOM counted at most P * 1000 / S pages (oom_badness(), mm/oom_kill.c v2.6.36-v5.0, with
# oom_score_adj <= 0 adding nothing). Below this many pages (4 MB) no machine or node that prints
# the report is left: the score is the arithmetic's, not the task's.
LEAST_COUNTED_PAGES = 1024


def _beyond_any_machine(a: Analysis, score: int, row: TaskRow) -> bool:
    """A global kill (the kill line's `Out of memory:`, not a memory cgroup's: a group's limit can be
    tiny) whose selected task's row holds so little that its score would need a machine of under
    LEAST_COUNTED_PAGES pages: the kernel's score arithmetic went wrong - on 3.5-rc1 and rc2,
    oom_badness() multiplied a negative oom_score_adj by totalpages in unsigned arithmetic ('mm, oom:
    fix and cleanup oom score calculations', David Rientjes, linux-mm 2012-06-11). Page tables are
    counted generously (one page per 256 pages of address space) when the row does not print them."""
    if row.rss_pages is None or a.is_memcg or a.event.kill is None or a.event.kill.memcg_kill:
        return False
    # the score's own line (`Out of memory: Kill process N (x) score S ...`; a memory cgroup's says
    # `Memory cgroup out of memory:`, mm/oom_kill.c v3.5 oom_kill_process() is given either message)
    said = [line.text for line in a.event.lines if "ill process " in line.text and f" score {score} " in line.text]
    if not said or not all("Out of memory" in text for text in said):
        return False
    if row.pgtables_bytes is not None:
        tables = -(-row.pgtables_bytes // (a.page_kb * 1024))
    elif row.nr_ptes is not None:
        tables = row.nr_ptes + (row.nr_pmds or 0)
    else:
        tables = -(-(row.total_vm_pages or 0) // 256)
    points = row.rss_pages + (row.swapents or 0) + tables
    return points * 1000 < score * LEAST_COUNTED_PAGES


def _negative_page_count(a: Analysis, evidence: Evidence) -> bool:
    """A page total of the report below zero. The arch show_mem() of 2.6 to 3.x kernels that print
    `N pages shared` (arch/arm/mm/init.c v3.10, arch/sh/mm/init.c, arch/x86/mm/init_64.c v2.6.20)
    add page_count(page) - 1 for every page in use, each at least 1 there, so the total is never
    negative unless reference counts went below zero: pages were put more often than they were
    taken - a kernel defect (a page leak or a double free in the code that manages them), not a
    shortage of memory."""
    totals = a.event.page_totals
    shared = totals.get("shared")
    if shared is None or shared >= 0:
        return False
    lines = tuple(line for line in a.event.lines if line.number in a.event.page_total_lines and "shared" in line.text)
    evidence["pages_shared"] = (shared, lines[:1])
    return True


def _killed_on_development_tree(a: Analysis) -> bool:
    """An OOM kill on a development tree that no known record explains: the tree's own regressions
    are the first suspect (a failed allocation with a fallback is not a kill; a known record gives
    its own fix)."""
    if a.event.kind not in ("oom-kill", None) or (a.event.kill is None and a.event.trigger is None):
        return False
    if not a.is_global:
        return False  # a memory cgroup at its limit is the workload's size, whatever the tree
    return not any(not f.harmless for f in a.kernel_fixes())


# Stable releases that carry 60e2793d440a ('mm, oom: do not trigger out_of_memory from the #PF'),
# by series: the first release of each whose stable review lists it (4.14.256-rc3 review,
# 2021-11-25; 5.4.160-rc2 review, 2021-11). Other series got it in the same weeks, at releases not
# verified here; a distribution kernel printing x.y.0 does not show its stable level at all.
FAULT_PATH_BACKPORTS: dict[tuple[int, ...], int] = {(4, 14): 256, (5, 4): 160}


def _fault_path_kill(a: Analysis) -> tuple[str, tuple[Any, ...]] | None:
    """A global OOM kill entered from the page-fault path: on 3.12-5.15 pagefault_out_of_memory()
    calls out_of_memory() with gfp_mask 0 and order 0 after a fault returned VM_FAULT_OOM, having
    handed a memcg OOM to mem_cgroup_oom_synchronize() first. A page allocation that found memory
    short would have run the OOM killer itself (__alloc_pages_may_oom), so a global kill from here
    means an allocation in the fault path failed without that: a memory cgroup's kernel-memory
    charge refused at a cgroup v1 kmem limit (the case 60e2793d440a's changelog names), or a fault
    handler (often a driver's vm_ops->fault) returning VM_FAULT_OOM. 5.16 (60e2793d440a) stopped killing from this path, and the stable
    releases of November 2021 carry it as well (FAULT_PATH_BACKPORTS): from those the reading
    does not apply either."""
    if a.event.kind != "oom-kill" or not a.is_global or a.is_memcg:
        return None
    if a.version is not None and not ((3, 12) <= a.version[:2] < (5, 16)):
        return None
    fixed = FAULT_PATH_BACKPORTS.get(a.version[:2]) if a.version is not None else None
    if fixed is not None and a.version is not None and len(a.version) > 2 and a.version[2] >= fixed:
        return None  # a stable release with the backport: pagefault_out_of_memory() kills no more
    trigger = a.event.trigger
    in_trace = "pagefault_out_of_memory" in a.event.call_trace
    mask_zero = getattr(a.gfp, "mask", None) == 0 and a.order == 0
    if not (in_trace or mask_zero):
        return None
    lines = a.find_lines(r"\bpagefault_out_of_memory\b")[:1] + (a.lines(trigger.line) if trigger else ())
    return ("pagefault_out_of_memory" if in_trace else "gfp_mask=0x0, order=0", lines)


@check("known_defect", needs=("event",))
def known_defect(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A record of knowledge/kernel_fixes.yaml fits the event (trace function or affected series): name the fix."""
    found = tuple(f for f in a.kernel_fixes() if not f.harmless)  # a harmless one is OOM502's
    if not found:
        return None
    return _defect_hit(a, p, found)


@check("known_noise", needs=("event",))
def known_noise(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A record of knowledge/kernel_fixes.yaml marked harmless fits this warning: the failed request
    is one the caller retries or falls back from, and the fix only makes it silent."""
    if a.event.kind != "page-allocation-failure" or a.event.kill is not None:
        return None
    found = tuple(f for f in a.kernel_fixes() if f.harmless)
    if not found or len(found) < len(a.kernel_fixes()):
        # a record whose fix removes the failing request itself (OOM606's) fits as well: that
        # defect is the story, and silencing the warning is not its fix
        return None
    if gave_up_after(a) or device_failed_after(a):
        return None  # the caller said it failed right after the warning: its fallback did not save it
    hit = _defect_hit(a, p, found)
    kills = [e for e in a.dump.events if e.kill is not None]
    if kills:
        # something in the same paste did run out of memory: a fallback that copes with one
        # failed attempt is no answer when the same request keeps failing up to a kill
        mask = a.event.trigger.gfp_mask if a.event.trigger else None
        same = failures_alike(a, mask=mask)
        if len(same) > 1 or recurrence(a):
            return None
        hit = Hit(hit.confidence * p["kill_in_paste_factor"], hit.evidence, hit.context, hit.role)
    return hit


def _defect_hit(a: Analysis, p: dict[str, Any], found: tuple[Any, ...]) -> Hit:
    """The evidence that ties the kernel_fixes records ``found`` to the event, and how firmly."""
    frames = [(f, _function(f)) for f in a.event.call_trace]
    evidence: Evidence = {"defect": (found[0].title, ())}
    traced = pinned = False
    for fix in found:
        # a record tied by its function or message AND by the architecture or kernel series the
        # paste names is pinned by two independent facts: it explains the event better than a
        # generic reading of the same figures
        second_key = (fix.arch is not None and bool(a.arch)) or fix.kernels is not None or fix.release is not None
        pattern = fix.trace if fix.trace is not None else (fix.trace_all[-1] if fix.trace_all else None)
        if fix.watchdog:
            # the defect's trace is a watchdog's (a stall told with the event): quote its report
            stalled = next(
                (
                    (w, name)
                    for w in a.event.watchdogs
                    if w.kind in fix.watchdog
                    for name in map(_function, w.call_trace)
                    if pattern is not None and pattern.search(name)
                ),
                None,
            )
            if stalled is not None:
                report, name = stalled
                evidence["watchdog"] = (report.line.text.strip(), (report.line,))
                evidence["function"] = (name, (report.line,))
                traced, pinned = True, second_key
                break
            continue
        hit = next((raw for raw, name in frames if pattern is not None and pattern.search(name)), None)
        if hit:
            evidence["function"] = (_function(hit), a.find_lines(re.escape(_function(hit)))[:1])
            traced, pinned = True, second_key
            break
        logged = next((line for line in a.event.lines if fix.log is not None and fix.log.search(line.text)), None)
        if logged is not None:
            evidence["message"] = (logged.text.strip(), (logged,))
            traced, pinned = True, second_key
            break
        if fix.highatomic_empty:
            # the zone and buddy lines are the signature (kernel_fixes._empty_highatomic_counted)
            zone = next((z for z in a.usable_zones if z.values.get("reserved_highatomic")), None)
            if zone is not None:
                evidence["highatomic"] = (
                    f"{zone.label} free:{zone.free_kb}kB min:{zone.min_kb}kB "
                    f"reserved_highatomic:{zone.values['reserved_highatomic']}kB, no free page in a "
                    "highatomic ('H') block of its buddy list",
                    zone.lines,
                )
                traced, pinned = True, a.version is not None
                break
        said = situated(a, fix.situation) if fix.situation is not None else None
        if said is not None:
            # the paste says the machine is in the situation the defect needs (a kdump kernel)
            # quoted by its line when the report or the kernel lines around it hold it; the
            # person's words are named, not quoted as a line of the report
            context = a.dump.context
            quoted = a.event.first_line <= said.number <= a.event.last_line or any(
                c.line.number == said.number for c in (context.lines if context else ())
            )
            evidence["situation"] = (said.text.strip(), (said,) if quoted else ())
            traced, pinned = True, second_key
            break
    slabbed = next((f for f in found if f.slab is not None), None)
    if slabbed is not None and slabbed.slab is not None:
        rows = [r for r in a.event.slab_info if slabbed.slab.search(r.name)]
        if rows:
            top = max(rows, key=lambda r: r.used_kb)
            evidence["slab_cache"] = (f"{top.name} {top.used_kb} kB", a.lines(top.line))
            if not traced:
                # the cache the defect fills, named by the slab table, ties the record as a trace
                # function does; the release or series the record names pins it
                traced, pinned = True, slabbed.kernels is not None or slabbed.release is not None
    if a.kernel:
        evidence["kernel"] = (a.kernel, ())
    confidence = p["confidence_pinned"] if pinned else p["confidence_traced"] if traced else p["confidence_series"]
    context = {
        "kernel_fixes": [_fix_dict(f) for f in found if not f.unfixed and not f.out_of_tree],
        # an out-of-tree module's defect: the fix is the module's own release, not a kernel update
        "module_fixes": [_fix_dict(f) for f in found if not f.unfixed and f.out_of_tree],
        # a defect no upstream change fixes yet: the steps give the workaround and the report path
        "unfixed": [_fix_dict(f) for f in found if f.unfixed],
        "by_series": not traced,
        **_module_context(a),
    }
    return Hit(confidence, evidence, context)


@check("stuck_page_cache", needs=("zones", "gfp"))
def stuck_page_cache(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A global order-0 OOM kill while the zones the request may use are mostly clean, unmapped page cache: reclaim made no progress on memory it should free without I/O."""
    if a.event.kind != "oom-kill" or not a.is_global or a.order != 0:
        return None
    if not getattr(a.gfp, "may_reclaim", None):
        return None  # a request that may not reclaim never tried to free the page cache
    zones = [z for z in a.usable_zones if (z.managed_kb or z.present_kb) and "active_file" in z.values]
    if not zones:
        return None
    size = sum(z.managed_kb or z.present_kb or 0 for z in zones)
    file_kb = sum(z.values.get("active_file", 0) + z.values.get("inactive_file", 0) for z in zones)
    if not size or file_kb < p["min_file_share"] * size:
        return None
    # page cache that is dirty, under writeback or mapped by processes needs I/O or unmapping
    # first; only when the paste shows little of it is the cache plainly reclaimable
    busy_kb = sum(v for v in (a.meminfo_kb("dirty"), a.meminfo_kb("writeback"), a.meminfo_kb("mapped")) if v)
    all_file = a.meminfo_kb("active_file", "inactive_file")
    if all_file and busy_kb > p["max_busy_share"] * all_file:
        return None
    lines = tuple(ln for z in zones for ln in z.lines[:1])
    evidence: Evidence = {
        "file_kb": (file_kb, lines),
        "zones_kb": (size, lines),
        "file_share": (round(100 * file_kb / size), lines),
        "order": (0, a.lines(a.event.trigger.line) if a.event.trigger else ()),
    }
    if all_file:
        evidence["busy_kb"] = (busy_kb, a.meminfo_lines)
    if a.swap_total_kb and a.swap_free_kb is not None:
        evidence["free_swap_kb"] = (a.swap_free_kb, a.swap_lines)
    return Hit(
        ramp(file_kb / size, p["min_file_share"], p["full_file_share"], p["confidence_low"], p["confidence_high"]),
        evidence,
        {"has_busy": bool(all_file), "zones": ", ".join(z.label for z in zones), "development": _development(a)},
    )


def _development(a: Analysis) -> str | None:
    """What kind of pre-release tree the paste's kernel is (grammar/release.py), or None: "mm-tree",
    "linux-next", "git-describe" (a build between tags) or "rc" (a release candidate)."""
    from grammar.release import parse_release

    release = parse_release(a.kernel) if a.kernel else None
    return release.pre_release if release else None


@check("driver_implicated", needs=("meminfo", "ram"))
def driver_implicated(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A loadable module is implicated (in the trace, or out of tree on a tainted kernel) and the
    numbers are not an ordinary shortage: unreclaimable slab or memory no counter explains holds
    much of RAM while the processes hold little. The path: a fixed release where one is known,
    else a known-good kernel, a report upstream with the data, and what to paste to confirm."""
    module = implicated_module(a)
    if module is None:
        return None
    clue = _clues(a)
    if any(name in clue and clue[name].detail == module.name for name in ("balloon", "gpu", "zfs")):
        return None  # a driver that takes memory by design: OOM218 names it and its own lever
    ram_kb = a.lowmem_kb if a.has_highmem and a.lowmem_kb else a.ram_kb
    if not ram_kb:
        return None
    tasks_share = a.tasks_total_kb / ram_kb if a.tasks else None
    if tasks_share is not None and tasks_share > p["max_tasks_share"]:
        return None  # the processes hold much of memory: an ordinary shortage explains the kill
    evidence: Evidence = {"module": (module.name, module.lines)}
    slab = a.counter_kb("slab_unreclaimable")
    unaccounted = a.figure("unaccounted")
    shares = []
    if slab and slab / ram_kb >= p["min_slab_share"]:
        shares.append(("slab", slab / ram_kb))
        evidence["slab_unreclaimable_kb"] = (slab, a.meminfo_lines)
    if unaccounted is not None and a.ram_kb and unaccounted.kb / a.ram_kb >= p["min_unaccounted_share"]:
        shares.append(("unaccounted", unaccounted.kb / a.ram_kb))
        evidence["unaccounted_kb"] = (unaccounted.kb, unaccounted.lines)
    if not shares:
        return None
    evidence["ram_kb"] = (ram_kb, a.ram_lines)
    if tasks_share is not None:
        evidence["tasks_total_kb"] = (a.tasks_total_kb, a.lines(a.event.task_table_line))
    header = a.event.header
    if module.out_of_tree and header is not None and header.tainted:
        evidence["tainted"] = (header.tainted, a.lines(header.line))
    kind, share = max(shares, key=lambda item: item[1])
    # each fact that ties the module to the memory raises the confidence: its code in the failing
    # trace, its own taint flags (out of tree), and no process table that could hold the memory
    confidence = p["confidence_base"]
    confidence += p["confidence_traced"] if module.traced else 0.0
    confidence += p["confidence_out_of_tree"] if module.out_of_tree else 0.0
    fixes = [f for f in a.kernel_fixes() if f.module is not None and f.module.search(module.name)]
    context = {
        "module": module.name,
        "traced": module.traced,
        "out_of_tree": module.out_of_tree,
        "kind": kind,
        "share": round(share * 100),
        "unsure": confidence < p["sure_from"],
        "fixed": [_fix_dict(f) for f in fixes if not f.unfixed],
    }
    # one tie alone is a suspicion beside the slab or unaccounted finding that names the mechanism
    # (contributing, after it); both ties make the module the most likely holder (root cause)
    return Hit(
        min(confidence, p["confidence_max"]), evidence, context, None if not context["unsure"] else "contributing"
    )


# The kernel's OOM code: mm/oom_kill.c (out_of_memory, oom_kill_process, __oom_kill_process,
# select_bad_process, oom_badness, oom_evaluate_task, dump_tasks, dump_header, mark_oom_victim,
# exit_oom_victim, the oom reaper), mm/memcontrol.c's memcg OOM path (mem_cgroup_out_of_memory,
# mem_cgroup_oom, mem_cgroup_oom_synchronize, mem_cgroup_oom_notify, memcg_oom_recover, ...) and the
# page-fault path's pagefault_out_of_memory() - in v3.12, v4.19 and v6.1 alike.
_OOM_CODE = re.compile(
    r"\b(out_of_memory|__?oom_kill_process|select_bad_process|oom_badness|oom_evaluate_task|dump_tasks"
    r"|dump_header|mark_oom_victim|exit_oom_victim|__oom_reap_task_mm|oom_reap_task\w*|oom_reaper"
    r"|mem_cgroup_out_of_memory|mem_cgroup_oom\w*|memcg_oom\w*|pagefault_out_of_memory)\+0x"
)
_CRASH_END = re.compile(r"---\[ end trace|invoked oom-killer|page allocation failure")


@check("oops_in_oom_path")
def oops_in_oom_path(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """After this kill the kernel crashed (an oops, a general protection fault, BUG()) in its own OOM
    code: the crash report names a function of the OOM killer or of the memory cgroup's OOM path.
    The kill is the trigger; the crash is a kernel defect."""
    if a.event.kill is None:
        return None
    start = a.event.first_line
    # up to the next event that killed: its own report would name the OOM code of course
    later = [e.first_line for e in a.dump.events if e.kill is not None and e.first_line > start]
    end = min(later) if later else start + p["max_lines_after"]
    crashes = [r for r in kernel_lines(a.dump, "kernel_oops") if start < r.line.number < end]
    if not crashes:
        return None
    # the crash reports' lines are the dump's events' (a report whose trace goes through the OOM code
    # is read as one) or nobody's: each crash is read up to its end marker or the next report
    lines = sorted(
        (line for e in a.dump.events for line in e.lines if start < line.number < end),
        key=lambda line: line.number,
    )
    for crash in crashes:
        after = crash.line.number
        for line in lines:
            if line.number <= after:
                continue
            if line.number > after + p["crash_lines"] or _CRASH_END.search(line.text):
                break
            found = _OOM_CODE.search(line.text)
            if found:
                # quoted without their lines: a finding cites only its own event's lines, and the
                # crash is printed after the event (or read as an event of its own)
                evidence: Evidence = {
                    "oops": (str(crash.values["text"]), ()),
                    "function": (found.group(1), ()),
                }
                return Hit(p["confidence"], evidence, {})
    return None


# ---------------------------------------------------------------------------------------------
# 4.9-4.14's allocation stall warning (`page allocation stalls for Nms, order:N, mode:...`)
#
# __alloc_pages_slowpath() called warn_alloc() each time a request that may reclaim had spent
# another 10 s there (mm/page_alloc.c v4.9-v4.14, stall_timeout += 10 * HZ); the request then went
# on reclaiming, compacting and retrying, and may well have succeeded. 63f53dea0c98 added it
# (4.9-rc1); before 4.12 warn_alloc() returned early for __GFP_NOWARN (v4.9, v4.10, v4.11), and
# since 822519634142 ('mm: page_alloc: __GFP_NOWARN shouldn't suppress stall warnings', 4.12) the
# stall report strips the flag and prints the mask without it (v4.12, v4.14); 400e22499dd9 ('mm:
# don't warn about allocations which stall for too long', 4.15-rc1) removed it, and 4.9.y dropped it
# too (present in 4.9.115, gone by 4.9.154). What it means depends on the request.

# The flags of a transparent huge page request: GFP_TRANSHUGE_LIGHT = (GFP_HIGHUSER_MOVABLE |
# __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM, GFP_TRANSHUGE adds
# __GFP_DIRECT_RECLAIM (include/linux/gfp.h v4.9-v4.14); __GFP_NOWARN never shows in a stall
# print (see above), so the rest is what tells a THP request.
THP_FLAGS = ("__GFP_COMP", "__GFP_NOMEMALLOC", "__GFP_MOVABLE", "__GFP_HARDWALL")
# khugepaged's allocation of the huge page it collapses into (mm/khugepaged.c khugepaged_alloc_page(),
# collapse_huge_page()) and the THP fault path (mm/huge_memory.c do_huge_pmd_anonymous_page(),
# __do_huge_pmd_anonymous_page(), alloc_hugepage_vma())
THP_FRAMES = (
    "khugepaged_alloc_page",
    "collapse_huge_page",
    "khugepaged_do_scan",
    "do_huge_pmd_anonymous_page",
    "__do_huge_pmd_anonymous_page",
    "alloc_hugepage_vma",
    "do_huge_pmd_wp_page",
)


def _stall_opportunistic(a: Analysis, costly_order: int) -> tuple[list[str], Evidence]:
    """Why the stalled request may fail at no cost to anyone, with the evidence: a THP request
    (khugepaged's own thread, the THP mask at an order above costly, or a THP frame), any request
    above PAGE_ALLOC_COSTLY_ORDER without __GFP_NOFAIL (the allocator gives up on it after
    compaction and never OOM-kills for it: __alloc_pages_may_oom(), should_compact_retry()), or
    __GFP_NORETRY."""
    trigger = a.event.trigger
    lines = a.lines(trigger.line) if trigger else ()
    order = a.order or 0
    reasons: list[str] = []
    evidence: Evidence = {}
    if order > costly_order:
        frame = _trace_has(a, *THP_FRAMES)
        if trigger is not None and trigger.comm == "khugepaged":
            reasons.append("thp")
            evidence["caller"] = ("khugepaged", lines)
        elif frame is not None:
            reasons.append("thp")
            evidence["caller"] = (frame, ())
        elif all(_flag(a, flag) for flag in THP_FLAGS):
            reasons.append("thp")
            evidence["caller"] = ("transparent huge page (mask)", lines)
        if not _flag(a, "__GFP_NOFAIL"):
            reasons.append("costly")
    if _flag(a, "__GFP_NORETRY"):
        reasons.append("noretry")
    return reasons, evidence


def _stall_context(a: Analysis) -> dict[str, Any]:
    """What the release says: whether a __GFP_NOWARN request could have printed this."""
    version = a.version
    return {
        "strips_nowarn": None if version is None else (4, 12) <= version[:2] < (4, 15),
        "before_nowarn_change": None if version is None else version[:2] < (4, 12),
        "after_removal": None if version is None else version[:2] >= (4, 15),
        # mainline printed it from 4.9 to 4.14 only: another release that prints it carries it from its vendor
        "vendor_carried": None if version is None else not (4, 9) <= version[:2] < (4, 15),
        "stalls": _stall_count(a),
    }


def _stall_count(a: Analysis) -> int:
    """Stall warnings of the same task in the paste (they repeat every 10 s while it stalls)."""
    trigger = a.event.trigger
    return sum(
        1
        for e in a.dump.events
        if e.stall_ms is not None
        and e.trigger is not None
        and trigger is not None
        and (e.trigger.pid, e.trigger.comm) == (trigger.pid, trigger.comm)
    )


def _stall_evidence(a: Analysis) -> Evidence:
    trigger = a.event.trigger
    lines = a.lines(trigger.line) if trigger else ()
    evidence: Evidence = {"stall_ms": (a.event.stall_ms, lines), "order": (a.order, lines)}
    mask = getattr(a.gfp, "symbolic", None) or (trigger.gfp_mask if trigger else None)
    if mask:
        evidence["gfp"] = (mask, lines)
    if a.kernel:
        evidence["kernel"] = (a.kernel, a.lines(a.event.header.line) if a.event.header else ())
    return evidence


def _starved(a: Analysis) -> list[Any]:
    """The zones the request may use, largest first, when every one of them is at or below its min
    watermark (lowmem_reserve counted): the allocator could serve it from none. Empty otherwise."""
    zones = [z for z in a.usable_zones if z.usable is not False and z.below_min is not None]
    if not zones or not all(z.below_min for z in zones):
        return []
    return sorted(zones, key=lambda z: -(z.managed_kb or z.present_kb or 0))


@check("stall_opportunistic", needs=("event",))
def stall_opportunistic(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A stall warning for a request that may fail: a THP or other costly-order request, or one
    with __GFP_NORETRY, was still compacting after 10 s. Nothing failed; the warning is noise."""
    if a.event.stall_ms is None or a.event.kill is not None:
        return None
    reasons, evidence = _stall_opportunistic(a, p["costly_order"])
    if not reasons:
        return None
    evidence.update(_stall_evidence(a))
    confidence = p["confidence_" + reasons[0]]
    starved = _starved(a)
    if starved:
        # the request is noise, but the machine it ran on was short of memory as well
        confidence *= p["starved_factor"]
        evidence["starved_zone"] = (starved[0].label, starved[0].lines)
    kills = [e for e in a.dump.events if e.kill is not None]
    if kills:
        confidence *= p["kill_in_paste_factor"]  # something in the paste did run out of memory
    context = _stall_context(a)
    context.update({"reasons": reasons, "kills_in_paste": len(kills), "starved": bool(starved)})
    return Hit(confidence, evidence, context)


@check("stall_reclaim", needs=("event",))
def stall_reclaim(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A stall warning for an ordinary request (order 0 to 3 without __GFP_NORETRY): it had been
    reclaiming for 10 s or more - the machine is thrashing, and the memory figures name why."""
    if a.event.stall_ms is None or a.event.kill is not None:
        return None
    reasons, _ = _stall_opportunistic(a, p["costly_order"])
    if reasons:
        return None
    evidence = _stall_evidence(a)
    starved = _starved(a)
    if starved:
        evidence["starved_zone"] = (starved[0].label, starved[0].lines)
    if a.swap_total_kb is not None:
        evidence["total_swap_kb"] = (a.swap_total_kb, a.swap_lines)
        if a.swap_free_kb is not None:
            evidence["free_swap_kb"] = (a.swap_free_kb, a.swap_lines)
    anon = a.figure("anon")
    if anon is not None and anon.kb and a.ram_kb:
        evidence["anon_kb"] = (anon.kb, anon.lines)
    swap_gone = a.swap_total_kb == 0 or (
        a.swap_total_kb is not None
        and a.swap_free_kb is not None
        and a.swap_free_kb <= p["swap_full_share"] * a.swap_total_kb
    )
    anon_most = anon is not None and bool(a.ram_kb) and anon.kb >= p["anon_share"] * (a.ram_kb or 0)
    shown = bool(starved) and swap_gone and anon_most
    context = _stall_context(a)
    context.update(
        {
            "starved": bool(starved),
            "swap_gone": swap_gone,
            "anon_most": anon_most,
            "meminfo": a.breakdown is not None,
            "kills_in_paste": sum(1 for e in a.dump.events if e.kill is not None),
        }
    )
    return Hit(p["confidence_shown"] if shown else p["confidence"], evidence, context)

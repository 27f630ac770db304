"""Where RAM went: shmem, hugetlb, slab, page tables, mlock, unaccounted, dirty pages (OOM2xx)."""

from __future__ import annotations

from typing import Any

from grammar.facts import SourceLine

from ..analysis import Analysis, ramp
from ..surroundings import largest_slab_cache
from .base import (
    Evidence,
    Hit,
    _slab_sources,
    check,
)
from .defects import _clues
from .memcg import UNLIMITED_KB


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
        # the task's RSS counts the shmem pages it maps (get_mm_rss() includes MM_SHMEMPAGES, which
        # the kill line prints as shmem-rss): only what it holds besides them outweighs the shmem
        if largest.badness_kb - _mapped_shmem_kb(a, largest) > (shmem or 0):
            hit.confidence *= p["demote_when_task_larger"]
    hit.context["has_largest"] = largest is not None
    swap = a.swap_total_kb
    hit.context["no_swap"] = swap == 0
    return hit


def _mapped_shmem_kb(a: Analysis, task: Any) -> int:
    """The shmem pages ``task`` (a task-table row) maps, as far as the paste shows them: the row's
    rss_shmem column where the table prints one, else the kill line's shmem-rss when it is the
    killed task (mm/oom_kill.c v6.1 __oom_kill_process(): K(get_mm_counter(mm, MM_SHMEMPAGES)))."""
    row = task.rows[0] if task.rows else None
    if row is not None and row.rss_shmem_pages is not None:
        return int(row.rss_shmem_pages) * a.page_kb
    kill = a.event.kill
    if kill is not None and kill.shmem_rss_kb and row is not None and kill.pid == row.pid:
        return int(kill.shmem_rss_kb)
    return 0


@check("hugetlb_pool", needs=("hugepages",))
def hugetlb_pool(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A static HugeTLB pool takes a large part of RAM out of the normal allocator."""
    if a.ram_kb:
        hit = _share_hit(a, "hugetlb", p, a.hugetlb_kb, a.hugepages_lines)
    elif a.hugetlb_kb >= p["min_kb_without_ram"] and a.hugetlb_free_kb >= p["unused_share"] * a.hugetlb_kb:
        # the paste shows the pool but not the RAM it is part of (a quoted fragment): a large pool
        # left mostly unused at an OOM is the classic misfit, but only the RAM size can confirm it
        hit = Hit(p["confidence_without_ram"], {"hugetlb_kb": (a.hugetlb_kb, a.hugepages_lines)})
    else:
        hit = None
    if hit is None:
        return None
    hit.context["has_ram"] = bool(a.ram_kb)
    free = a.hugetlb_free_kb
    hit.evidence["hugetlb_free_kb"] = (free, a.hugepages_lines)
    sizes = sorted({h.size_kb for h in a.event.hugepages if h.total})
    hit.evidence["hugepage_sizes"] = (", ".join(f"{s} kB" for s in sizes), a.hugepages_lines)
    hit.evidence["hugepages_total"] = (sum(h.total for h in a.event.hugepages), a.hugepages_lines)
    if a.hugetlb_kb and free >= p["unused_share"] * a.hugetlb_kb and a.ram_kb:
        hit.confidence = min(0.97, hit.confidence + p["unused_bonus"])
    hit.context["unused"] = bool(a.hugetlb_kb and free >= p["unused_share"] * a.hugetlb_kb)
    # one page size in the pool: its page count and how many were in use (total - free, per node:
    # mm/hugetlb.c hugetlb_show_meminfo_node() prints nr_huge_pages_node and free_huge_pages_node),
    # so the step can say what vm.nr_hugepages holds and how much of it anything mapped
    pools = [h for h in a.event.hugepages if h.total]
    if len({h.size_kb for h in pools}) == 1:
        total = sum(h.total for h in pools)
        hit.context["pool"] = {
            "total": total,
            "size_kb": pools[0].size_kb,
            "in_use": max(0, total - sum(h.free for h in pools)),
        }
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
    share = slab / (a.lowmem_kb or 1) if scope == "lowmem" and slab else 0.0
    if not combined and share >= p["lowmem_dominant_share"]:
        # on a 32-bit kernel, objects that reclaim cannot free hold most of lowmem: they are what
        # exhausted it, so they lead over the lowmem split (OOM101), which a leak would outgrow
        hit.confidence = max(hit.confidence, p["confidence_lowmem_dominant"])
    slab_lines = a.find_lines(r"Unreclaimable slab info")
    hit.context["slab_dump"] = bool(slab_lines)
    hit.context.update(_slab_sources(a))
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


@check("mlocked_share", needs=("meminfo|zones|memcg", "ram|memcg"))
def mlocked_share(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """mlock()ed / unevictable pages pin a large part of RAM (the global counter, else the sum of
    the zone lines' unevictable:, which show_free_areas() prints per zone since 2.6.28) - or of a
    memory cgroup's limit, from the group's memory.stat `unevictable` that its OOM report prints
    (mm/memcontrol.c v6.1 memory_stat_format(); v1 `unevictable`/`total_unevictable`, 3.x-6.x):
    reclaim inside the group cannot touch them either."""
    if a.is_memcg:
        usage = a.memcg_usage
        limit = (usage[1] or usage[0]) if usage is not None else None
        unevictable = a.memcg_stat_kb("unevictable", "total_unevictable")
        if not limit or unevictable is None or limit >= UNLIMITED_KB:
            return None
        hit = _share_hit(a, "unevictable", p, unevictable, a.memcg_lines, limit, "limit_kb")
        if hit is not None:
            hit.evidence["limit_kb"] = (limit, usage[2] if usage is not None else ())
            hit.context["memcg"] = True
        return hit
    unevictable = a.counter_kb("unevictable")
    hit = _share_hit(a, "unevictable", p, unevictable, a.meminfo_lines)
    if hit is None:
        return None
    hit.context["memcg"] = False
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
    # the pfn span's holes that `pages RAM` counted are not memory: only what exceeds them is unaccounted
    gap = a.pfn_span_gap_kb
    if gap and figure.kb - gap < p["min_kb"]:
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
    cache = largest_slab_cache(a.dump)
    if cache is not None:
        evidence["slab_cache"] = (f"{cache.values['name']} {cache.values['size_kb']} kB", (cache.line,))
    else:
        slab_lines = a.find_lines(r"^\S+\s+\d+KB\s+\d+KB$")
        if slab_lines:
            evidence["slab_cache"] = (slab_lines[0].text, slab_lines[:1])
    clue = _clues(a)
    context = {"debug": [n for n in ("kasan", "kmemleak") if n in clue], **_slab_sources(a)}
    return Hit(
        ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"]), evidence, context
    )


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


@check("slab_table_only", needs=("event",))
def slab_table_only(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The report prints its 'Unreclaimable slab info' table but no Mem-Info slab counter (a cut or
    quoted report): the kernel prints that table only when unreclaimable slab exceeds all LRU
    (user and page cache) pages (mm/oom_kill.c is_dump_unreclaim_slabs(), 4.15+), so the table
    itself says kernel objects outweigh everything processes hold."""
    if a.counter_kb("slab_unreclaimable") is not None:
        return None  # the counter is printed: OOM219, OOM212 and OOM603 read the share
    event = a.event
    if event.slab_info_line is None:
        return None
    start = a.lines(event.slab_info_line)
    rows = [(r.name, r.used_kb, r) for r in event.slab_info if r.line > event.slab_info_line]
    total = sum(used for _name, used, _line in rows)
    if not rows or total < p["min_total_kb"]:
        return None
    name, used, row = max(rows, key=lambda row: row[1])
    line = a.lines(row.line)
    evidence: Evidence = {
        "slab_cache": (f"{name} {used} kB", line),
        "slab_table_kb": (total, start[:1]),
        "slab_cache_share": (round(100 * used / total), line),
    }
    return Hit(p["confidence"], evidence, {**_slab_sources(a), "cache": name})


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
        {"user_small": user is not None and user.kb < p["user_small_share"] * counted, **_slab_sources(a)},
    )

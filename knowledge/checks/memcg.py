"""Memory cgroups: the limit, shmem charged to the group, a killed container."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..analysis import SIZING_HEADROOM, Analysis, ramp
from ..surroundings import container_oom_killed, memory_limit
from .base import (
    CONTAINER_RUNTIME,
    Evidence,
    Hit,
    _fix_dict,
    _trace_has,
    _workload_context,
    check,
)

# The programs that write a service's or container's memory.max, by the command the kernel prints,
# and the project whose release carries their writer: OpenRC's openrc-run.sh applies a service's
# rc_cgroup_settings (sh/rc-cgroup.sh cgroup2_set_limits, github.com/OpenRC/openrc); systemd, PID 1,
# writes a unit's MemoryMax= (src/core/cgroup.c, github.com/systemd/systemd); runc and crun write a
# container's memory.max (runc libcontainer/cgroups/fs2/memory.go; crun src/libcrun/cgroup-resources.c).
_LIMIT_WRITERS = (
    (re.compile(r"^openrc"), "OpenRC"),
    (re.compile(r"^systemd$"), "systemd"),
    (re.compile(r"^runc\b"), "runc"),
    (re.compile(r"^crun$"), "crun"),
)


def _writer_project(writer: str | None) -> str | None:
    """The project whose release carries the program ``writer`` that wrote a memory.max, or None."""
    return next((project for pattern, project in _LIMIT_WRITERS if writer and pattern.match(writer)), None)


# The least swap allowance (memory+swap limit above the memory limit) worth a sentence, and the share
# of it a group may have used and still count as not swapping
SWAP_ALLOWANCE_MIN_KB = 32 * 1024
SWAP_ALLOWANCE_USED_SHARE = 0.5
# a limit at or above this (1 PiB) is no limit set: v1 prints an unset one as PAGE_COUNTER_MAX pages
UNLIMITED_KB = 1 << 40


def _swap_unused(counters: tuple[Any, ...]) -> dict[str, int] | None:
    """A cgroup v1 group at its memory limit that was allowed swap and barely used it: the
    memory+swap limit (memory.memsw.limit_in_bytes) is above the memory limit by the allowance, and
    memory+swap usage is above memory usage by what it had swapped out. Reclaim at the memory limit
    swaps anonymous pages out while the group's memsw charge and the host's swap space allow it
    (mm/memcontrol.c v1 try_charge() -> try_to_free_mem_cgroup_pages(may_swap), mm/vmscan.c
    get_scan_count(): no anon scan without free swap or at memory.swappiness 0 in a v1 group); so
    a kill with most of the allowance unused says the swap was not usable, not too small."""
    by = {c.resource: c for c in counters}
    memory, both = by.get("memory"), by.get("memory+swap")
    if memory is None or both is None or memory.limit_kb is None or both.limit_kb is None:
        return None
    if both.limit_kb >= UNLIMITED_KB:
        return None  # memory+swap not limited (PAGE_COUNTER_MAX prints as 9007199254740988kB): no allowance set
    allowance = both.limit_kb - memory.limit_kb
    swapped = max(0, both.usage_kb - memory.usage_kb)
    at_limit = memory.usage_kb >= memory.limit_kb * 0.98
    if not at_limit or allowance < SWAP_ALLOWANCE_MIN_KB or swapped > allowance * SWAP_ALLOWANCE_USED_SHARE:
        return None
    return {"allowance_kb": allowance, "swapped_kb": swapped, "memsw_limit_kb": both.limit_kb}


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
    context["swap_unused"] = _swap_unused(memcg.counters) if memcg is not None else None
    trigger = a.event.trigger.comm if a.event.trigger else None
    # a write to a cgroup v2 memory.max sets the new limit, reclaims down to it and, when reclaim
    # cannot get the group below it, OOM-kills inside the group from the writer's own context
    # (mm/memcontrol.c memory_max_write(), v4.19): the task that invoked the OOM killer then set
    # the limit below what the group held - it was not charging the group, and nothing had to grow
    written = _trace_has(a, "memory_max_write")
    context["limit_written"] = (
        {
            "writer": trigger,
            "pid": a.event.trigger.pid if a.event.trigger else None,
            "project": _writer_project(trigger),
        }
        if written
        else None
    )
    if written:
        evidence["limit_writer"] = (trigger or written, a.find_lines(r"\bmemory_max_write\b")[:1])
    # otherwise the task that invoked a memcg OOM was charging the group, so it is one of the group's
    # own programs: it names the workload when the victim and the task table are not pasted
    charging = None if written else trigger
    context.update(_workload_context(a, a.victim_name, a.tasks[0].name if a.tasks else None, charging))
    context["raise_to"] = _raise_to(a, context["sizing"], p["min_victim_kb"])
    context["heap"] = _heap(context["workload"], context["raise_to"])
    # the program that held the group's memory: the largest of the group's task table (a memcg
    # OOM's table lists the group's tasks only), else the victim, else the task that was charging;
    # never a container runtime's own process (a victim that is one: the container was starting)
    # (the groups' names read up to the first that fits, not one for each group of the table)
    groups = a.task_groups
    candidates: Iterable[str | None] = (g.name for g in groups) if groups else (a.victim_name, charging)
    context["holder"] = next((n for n in candidates if n and not CONTAINER_RUNTIME.match(n)), None)
    context["starting"] = bool(a.victim_name and CONTAINER_RUNTIME.match(a.victim_name))
    context["victim"] = a.victim_name
    # tmpfs/shm files charged to the group belong to no process: a program's leak is then not
    # what filled it (OOM402 names the files)
    shmem = a.memcg_stat_kb("shmem", "total_shmem")
    group_kb = (usage[1] or usage[0]) if usage is not None else None
    context["shmem_held"] = bool(shmem and group_kb and shmem >= p["shmem_share"] * group_kb)
    return Hit(p["confidence"], evidence, context)


# kernels print an unset limit as PAGE_COUNTER_MAX pages (9007199254740988 kB with 4 KiB pages):
# from 1 PiB on a limit is read as none
UNLIMITED_KB = 1 << 40


def _raise_to(a: Analysis, sizing: dict[str, Any] | None, min_victim_kb: int) -> dict[str, Any] | None:
    """ctx.raise_to: the size the limit must grow to for what the group held, from the dump.

    With the group's usage and limit: usage at the kill plus SIZING_HEADROOM. Without them, the
    kill line's victim bounds it from below when it held at least ``min_victim_kb``: the group held
    at least what the victim did (RSS and page tables, charged to the group it ran in), so the
    limit must be at least that plus the headroom. Rounded up to a step that grows with the size
    (4 MB below 64 MB, 16 MB below 256 MB, 64 MB below 1 GB, 256 MB above). None when neither is
    shown or the limit is unset."""
    if sizing is not None:
        if sizing["capacity_kb"] >= UNLIMITED_KB or not sizing["demand_kb"]:
            return None
        held = sizing["demand_kb"]
        return {"basis": "usage", "target_kb": _round_up(held), "held_kb": held, "limit_kb": sizing["capacity_kb"]}
    kill = a.event.kill
    victim = a.victim_kb
    if kill is None or victim is None:
        return None
    held = victim + (kill.pgtables_kb or 0)
    if held < min_victim_kb:
        return None  # a small victim bounds the group too loosely to name a size
    return {"basis": "victim", "target_kb": _round_up(held), "held_kb": held, "victim": a.victim_name}


def _heap(workload: dict[str, Any] | None, raise_to: dict[str, Any] | None) -> dict[str, Any] | None:
    """ctx.heap: the workload's heap-like setting (knowledge/workloads.yaml limit_setting) at its
    record's share of the limit the report prints, rounded down to 64 MB (1 MB below 256 MB): low and high, for the
    current limit. None without a printed limit or for a record without such a setting."""
    if workload is None or not workload.get("limit_share") or raise_to is None or raise_to["basis"] != "usage":
        return None
    low, high = workload["limit_share"]
    limit = raise_to["limit_kb"]
    # rounded down to 64 MB, or to 1 MB below 256 MB: a share of a small limit is never rounded
    # up to the whole limit
    return {
        "setting": workload["limit_setting"],
        "low_kb": _round_down(limit * low),
        "high_kb": _round_down(limit * high),
        "limit_kb": limit,
    }


def _round_down(kb: float) -> int:
    step = 64 * 1024 if kb >= 256 * 1024 else 1024
    return max(1024, int(kb) // step * step)


def _round_up(held_kb: int) -> int:
    want = int(held_kb * (1 + SIZING_HEADROOM))
    mib = 1024
    step = (
        4 * mib if want < 64 * mib else 16 * mib if want < 256 * mib else 64 * mib if want < 1024 * mib else 256 * mib
    )
    return -(-want // step) * step


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


@check("container_killed_context", needs=("event",))
def container_killed_context(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Container or unit tooling pasted with the dump says the OOM killer ended it (OOMKilled, systemd oom-kill) and names its memory limit."""
    killed = container_oom_killed(a.dump)
    limit = memory_limit(a.dump)
    if not killed:
        return None
    if (a.constraint == "CONSTRAINT_NONE" and a.event.oom_summary is not None) or a.kill_line_global:
        return None  # the kernel says the machine, not a cgroup, ran out (the summary, or the kill line)
    evidence: Evidence = {"tool_line": (killed[0].text.strip(), killed[:1])}
    if limit is not None:
        evidence["limit_kb"] = (limit.kb, limit.lines)
        evidence["limit_source"] = (limit.source, limit.lines)
    confidence = p["confidence_limit"] if limit is not None else p["confidence"]
    role = "contributing" if a.is_memcg else None  # the kernel's memcg report speaks first
    return Hit(confidence, evidence, {"has_limit": limit is not None}, role)


@check("memcg_dirty", needs=("memcg",))
def memcg_dirty(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """A memory cgroup OOM whose charge is mostly dirty page cache (or page cache under writeback):
    reclaim inside the group found little clean to free because writeback had not started or was
    slow. The group's own memory.stat against its usage, not the machine's Dirty against RAM (OOM216)."""
    usage = a.memcg_usage
    pages = a.memcg_dirty
    if usage is None or not usage[0] or pages is None:
        return None
    dirty, writeback = pages
    used, limit, lines = usage
    share = (dirty + writeback) / used
    if share < p["min_share"]:
        return None
    evidence: Evidence = {
        "dirty_kb": (dirty, a.memcg_lines),
        "writeback_kb": (writeback, a.memcg_lines),
        "usage_kb": (used, lines),
        "dirty_share": (round(share * 100), a.memcg_lines),
    }
    if limit:
        evidence["limit_kb"] = (limit, lines)
    # the global vm.dirty_* limits are the only dirty limits a cgroup v1 group has (and the fallback
    # on v2): sized from this group's limit they start writeback (background) and throttle the
    # writer (dirty_bytes) before the dirty cache can fill the group. A quarter and an eighth of
    # the limit, in whole MiB (at least 1 MiB; the kernel refuses dirty_bytes below two pages).
    base = (limit or used) * 1024
    mib = 1 << 20
    fixes = [f for f in a.kernel_fixes() if f.memcg_dirty is not None and not f.unfixed]
    possible = []
    if a.version is None:
        possible = [
            f
            for f in a.kernel_fixes(unversioned=True)
            if f.memcg_dirty is not None and not f.unfixed and f not in fixes
        ]
    context: dict[str, Any] = {
        "v1": a.cgroup_v2 is False,
        "v2": a.cgroup_v2 is True,
        "no_writeback": writeback * 10 < dirty,
        "dirty_bytes": max(mib, base // 4 // mib * mib),
        "background_bytes": max(mib, base // 8 // mib * mib),
        "limit_size": limit or used,
        "kernel_fixes": [_fix_dict(f) for f in fixes],
        "kernel_fixes_possible": [_fix_dict(f) for f in possible],
    }
    context["writer"] = a.event.trigger.comm if a.event.trigger and a.event.trigger.comm else a.victim_name
    return Hit(
        ramp(share, p["min_share"], p["full_share"], p["confidence_low"], p["confidence_high"]), evidence, context
    )

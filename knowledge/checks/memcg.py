"""Memory cgroups: the limit, shmem charged to the group, a killed container."""

from __future__ import annotations

from typing import Any

from ..analysis import Analysis, ramp
from ..surroundings import container_oom_killed, memory_limit
from .base import (
    Evidence,
    Hit,
    _workload_context,
    check,
)


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
    # the task that invoked a memcg OOM was charging the group, so it is one of the group's own
    # programs: it names the workload when the victim and the task table are not pasted
    trigger = a.event.trigger.comm if a.event.trigger else None
    context.update(_workload_context(a, a.victim_name, a.tasks[0].name if a.tasks else None, trigger))
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


@check("container_killed_context", needs=("event",))
def container_killed_context(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Container or unit tooling pasted with the dump says the OOM killer ended it (OOMKilled, systemd oom-kill) and names its memory limit."""
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

"""Manual triggers, panic policy, nothing killable, a kernel too big for its RAM, repeated kills (OOM0xx and context)."""

from __future__ import annotations

import re
from typing import Any

from grammar.facts import Event

from ..analysis import Analysis
from ..surroundings import kernel_lines
from .base import (
    CONTAINER_RUNTIME,
    Evidence,
    Hit,
    _workload_context,
    check,
)


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
    # drivers/tty/sysrq.c moom_callback(): a SysRq-f that out_of_memory() turned down prints
    # "OOM request ignored ..." and kills nothing (grammar/context.lark SYSRQ_IGNORED)
    refused = kernel_lines(a.dump, "sysrq_ignored")
    if refused:
        evidence["sysrq_ignored"] = (refused[0].values["text"], tuple(r.line for r in refused))
    return Hit(
        p["confidence"],
        evidence,
        {
            "killed": _sysrq_victim(a),
            "panicked": a.event.panic is not None,
            "shortage": shortage or swap_full,
            "judged": bool(judged) or a.swap_total_kb is not None,
            "refused": bool(refused),
            "refused_disabled_wording": any(r.values.get("killer_disabled_wording") for r in refused),
        },
    )


def _sysrq_victim(a: Analysis) -> dict[str, Any] | None:
    """What the SysRq-f killed: its name and what it held (the kill line, else its task row), and
    whether it was the largest task of the table (``largest``; None without a table). SysRq-f
    kills whatever oom_badness() scores highest (drivers/tty/sysrq.c moom_callback() calls
    out_of_memory() with order -1), so its victim is usually the process a person or agent
    pressed it for."""
    name, held = a.victim_name, a.victim_kb
    if a.event.kill is None or not name or not held:
        return None
    largest = None
    if a.tasks:
        victim = a.victim
        largest = victim is not None and victim.row.pid == a.tasks[0].row.pid
    return {"name": name, "held_kb": held, "largest": largest}


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


@check("small_victim", needs=("kill",))
def small_victim(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """The machine ran out (the kill line or the report says so) and the OOM killer chose a process
    that held almost nothing: killing it freed little, and the memory was elsewhere.

    mm/oom_kill.c (v5.15) oom_badness() scores a task by its RSS, swap entries and page tables plus
    oom_score_adj x totalpages / 1000, and select_bad_process() kills the highest score: a victim
    this small means the others scored lower still (lowered oom_score_adj, memory in no task:
    tmpfs, slab, a driver) or that it held swap the kill line does not print."""
    kill = a.event.kill
    if kill is None or kill.anon_rss_kb is None or a.is_memcg or kill.memcg_kill:
        return None
    if a.has_memory_report or a.tasks:
        return None  # the report says where the memory was: its own findings (slab, lowmem, OOM205)
    if not (a.kill_line_global or (a.is_global and a.event.oom_summary is not None)):
        return None  # a bare kill line does not say whether a memory cgroup's limit killed it
    if a.event.kind == "sysrq-manual" or a.selected_process is not None:
        return None  # SysRq-f's victim, or a child killed in the selected parent's place
    if kill.oom_score_adj is not None and kill.oom_score_adj >= p["max_adj"]:
        return None  # a raised oom_score_adj chose it: OOM225's step on that setting
    held = (a.victim_kb or 0) + (kill.pgtables_kb or 0)
    ram = a.ram_kb
    if held > (p["max_share"] * ram if ram else p["max_kb_without_ram"]):
        return None
    same = [e for e in a.dump.events if e.kill is not None and e.kill.comm == kill.comm]
    if not ram and len(same) < p["min_kills_without_ram"]:
        return None  # one small kill, the rest of its report cut away: too little to judge the choice
    kill_lines = a.lines(kill.line)
    evidence: Evidence = {"victim": (kill.comm, kill_lines), "victim_kb": (held, kill_lines)}
    if kill.oom_score_adj is not None:
        evidence["victim_adj"] = (kill.oom_score_adj, kill_lines)
    if ram:
        evidence["ram_kb"] = (ram, a.ram_lines)
    if kill.total_vm_kb:
        evidence["total_vm_kb"] = (kill.total_vm_kb, kill_lines)
    return Hit(
        p["confidence"],
        evidence,
        {"kills": len(same), "has_ram": bool(ram)},
    )


NO_KILLABLE = r"no killable processes|System is deadlocked on memory"


def _says_no_killable(text: str) -> bool:
    lowered = text.lower()
    return ("killable" in lowered or "deadlocked" in lowered) and re.search(NO_KILLABLE, text, re.I) is not None


def _small_kill(event: Event, most_kb: int) -> bool:
    """A kill whose victim held at most ``most_kb`` of resident memory by its kill line, with no task
    table printed beside it (a table says itself who held the memory)."""
    kill = event.kill
    if kill is None or kill.anon_rss_kb is None or event.tasks or kill.memcg_kill:
        return False
    return kill.anon_rss_kb + (kill.file_rss_kb or 0) + (kill.shmem_rss_kb or 0) <= most_kb


def _series_ends_unkillable(a: Analysis, p: dict[str, Any]) -> Event | None:
    """The later event of the same machine in which the kernel found nothing left to kill, when this
    kill opens or continues a run of kills that each freed next to nothing and that run ends there
    within ``series_s`` seconds: out_of_memory() killed the few tasks it was allowed to (a victim
    is chosen by oom_badness(), which skips OOM_SCORE_ADJ_MIN tasks, mm/oom_kill.c v3.10) and then
    panicked 'Out of memory and no killable processes...'. The series is one incident; its earlier
    kills are the same finding as its end."""
    if not _small_kill(a.event, p["series_victim_kb"]) or a.is_memcg:
        return None
    start = a.event.uptime_s
    if start is None:
        return None  # without stamps the run's end cannot be placed within series_s
    for event in a.dump.events[a.event.index + 1 :]:
        if event.host != a.event.host:
            continue
        at = event.uptime_s
        if at is not None and at - start > p["series_s"]:
            return None  # (a big log of small kills is walked only as far as the window)
        if any(_says_no_killable(line.text) for line in event.lines):
            if event.tasks:
                return None  # the table judges (OOM003 on that event reads it)
            if at is None or at < start:
                return None
            return event
        if not _small_kill(event, p["series_victim_kb"]):
            return None  # a kill that freed memory, or a report with its own figures, breaks the run
    return None


def _no_killable_series(a: Analysis, p: dict[str, Any], end: Event) -> Hit:
    said = next(line for line in end.lines if _says_no_killable(line.text))
    kills = [e for e in a.dump.events[a.event.index : end.index + 1] if e.kill is not None and e.host == a.event.host]
    reason = end.panic.reason if end.panic else said.text.strip()
    # the evidence quotes this event's own lines (the later event quotes the kernel's message)
    kill_lines = a.lines(a.event.kill.line) if a.event.kill is not None else ()
    evidence: Evidence = {"panic_reason": (reason, ()), "small_kills": (len(kills), kill_lines)}
    return Hit(p["confidence_series"], evidence, {"has_largest": False, "series": True})


@check("no_killable", needs=("event",))
def no_killable(a: Analysis, p: dict[str, Any]) -> Hit | None:
    """Nothing was eligible: every task is OOM_SCORE_ADJ_MIN (-1000) or unkillable."""
    panic = a.event.panic
    text_lines = a.find_lines(NO_KILLABLE)
    if not text_lines and a.event.kill is not None:
        series_end = _series_ends_unkillable(a, p)
        if series_end is not None:
            return _no_killable_series(a, p, series_end)
        # a victim was found and the kernel did not say otherwise: not this finding, whatever the
        # table shows (asked first: counting the protected rows of every event cost more)
        return None
    protected = [t for t in a.tasks if t.protected]
    all_protected = bool(a.tasks) and len(protected) == len(a.tasks)
    if not text_lines and not all_protected:
        return None
    if a.tasks and len(protected) < p["min_protected_share"] * len(a.tasks):
        return None  # earlier victims are dying, not protected: the memory is not in tasks
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
    shown = _protection_shown(a)
    confidence = p["confidence"] if shown else p["confidence_unshown"]
    return Hit(confidence, evidence, {"has_largest": largest is not None, "series": False, "shown": shown})


def _protection_shown(a: Analysis) -> bool:
    """Does the paste show tasks excluded by oom_score_adj: a task table (whose rows the check has
    counted), or a trigger that runs at -1000 itself (oom_adj -17 before 2.6.36)? The kernel's
    message alone does not say why nothing was eligible: oom_badness() (mm/oom_kill.c, v4.14-v5.0)
    skips init and kernel threads (oom_unkillable_task()), tasks without an mm, tasks at
    OOM_SCORE_ADJ_MIN, victims already reaped (MMF_OOM_SKIP) and tasks in vfork(); select_bad_process()
    then finds none after the few killable tasks were killed, whatever their oom_score_adj."""
    if a.tasks or a.event.task_table_line is not None:
        return True
    trigger = a.event.trigger
    return trigger is not None and (trigger.oom_score_adj == -1000 or trigger.oom_adj == -17)


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
    # killed by its memory cgroup's limit each time (the kernel's memcg report, or the kill line's
    # `Memory cgroup out of memory`): the limit is there already and the program reaches it again
    memcg = a.is_memcg or bool(a.event.kill and a.event.kill.memcg_kill)
    # whether the paste shows that the kills were the machine's: a Mem-Info report (a memory
    # cgroup's OOM prints the group's counters instead, mm/oom_kill.c v6.1 dump_header()), the
    # oom-kill summary's constraint, or the global kill line's `Out of memory:` prefix
    # (Analysis.kill_line_global). Bare `Killed process` lines say neither, and a container's
    # limit is the common cause of a kill that repeats.
    machine = not memcg and (
        a.has_memory_report or bool(a.event.oom_summary and a.event.oom_summary.constraint) or a.kill_line_global
    )
    workload = _workload_context(a, victim)["workload"]
    return Hit(
        p["confidence"],
        {"victim": (victim, kill_lines), "kills": (names.count(victim), kill_lines), "events": (len(events), ())},
        {"memcg": memcg, "machine": machine, "workload": workload, "starting": bool(CONTAINER_RUNTIME.match(victim))},
    )

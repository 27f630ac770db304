"""What every renderer says about an event, computed once: headline, and the skippable details
(gfp decoding, zone table, top processes, memory breakdown, findings not evaluated).

Plain data (dicts, lists, strings, ints) so the terminal/markdown templates and the Slack
renderer can share it: ``headline(findings, event)`` and ``details(event, dump, gfp)``.
"""

from __future__ import annotations

from typing import Any, Sequence

from grammar.facts import Dump, Event

from .analysis import Analysis, mb
from .confidence import CONFIDENT
from .diagnose import NotEvaluated, decode_gfp, evaluate
from .model import Finding

KIND_LABELS = {
    "oom-kill": "OOM kill",
    "memcg-oom": "memory cgroup OOM",
    "cpuset": "cpuset-constrained OOM",
    "mempolicy": "mempolicy-constrained OOM",
    "sysrq-manual": "manual OOM (SysRq)",
    "page-allocation-failure": "page allocation failure",
    None: "memory report fragment",
}


def kind_label(event: Event) -> str:
    return KIND_LABELS.get(event.kind, event.kind or "memory event")


def victim_text(event: Event) -> str | None:
    kill = event.kill
    if kill is not None and kill.comm:
        return f"{kill.comm} (pid {kill.pid})" if kill.pid is not None else kill.comm
    if event.oom_summary is not None and event.oom_summary.task:
        summary = event.oom_summary
        return f"{summary.task} (pid {summary.pid})" if summary.pid is not None else summary.task
    return None


def root_causes(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.role == "root-cause"]


def headline(findings: Sequence[Finding], event: Event) -> str:
    """One line naming the cause: the top root cause, what was killed, how sure."""
    victim = victim_text(event)
    tail = f"; killed {victim}" if victim else ""
    causes = root_causes(findings)
    if causes:
        top = causes[0]
        unsure = "" if top.confidence >= CONFIDENT else " (not certain; see what to paste next)"
        return f"{top.title} [{top.code}, {top.confidence:.0%}]{unsure}{tail}"
    if findings:
        return f"{kind_label(event).capitalize()}: no root cause established ({findings[0].title}){tail}"
    return f"{kind_label(event).capitalize()}: the paste holds too little of the report to diagnose{tail}"


def _zone_rows(analysis: Analysis) -> list[dict[str, Any]]:
    rows = []
    for zone in analysis.zones:
        state = "unknown"
        if zone.below_min:
            state = "below min"
        elif zone.below_low:
            state = "below low"
        elif zone.free_kb is not None and zone.low_kb is not None:
            state = "ok"
        rows.append({
            "zone": zone.label, "free_kb": zone.free_kb, "min_kb": zone.min_kb, "low_kb": zone.low_kb,
            "high_kb": zone.high_kb, "reserve_kb": zone.reserve_kb,
            "usable": {True: "yes", False: "no", None: "?"}[zone.usable], "state": state,
            "largest_block_kb": zone.largest_block_kb,
        })
    return rows


def _gfp(analysis: Analysis) -> dict[str, Any] | None:
    event, gfp = analysis.event, analysis.gfp
    trigger = event.trigger
    if trigger is None and event.alloc_failure_mode is None:
        return None
    mask = trigger.gfp_mask if trigger else event.alloc_failure_mode
    out: dict[str, Any] = {
        "task": trigger.comm if trigger else None, "mask": mask,
        "order": trigger.order if trigger else None,
        "symbolic": (getattr(gfp, "symbolic", None) if gfp is not None else None) or (trigger.gfp_symbolic if trigger else None),
        "highest_zone": getattr(gfp, "highest_zone", None) if gfp is not None else None,
        "may_reclaim": getattr(gfp, "may_reclaim", None) if gfp is not None else None,
        "may_invoke_oom_killer": getattr(gfp, "may_invoke_oom_killer", None) if gfp is not None else None,
        "atomic": getattr(gfp, "is_atomic", None) if gfp is not None else None,
        "decoded": gfp is not None,
    }
    return out


def _processes(analysis: Analysis, limit: int = 8) -> list[dict[str, Any]]:
    victim_pid = analysis.event.kill.pid if analysis.event.kill else None
    rows = []
    for task in analysis.tasks[:limit]:
        rows.append({"pid": task.pids[0], "name": task.name, "rss_kb": task.rss_kb, "swap_kb": task.swap_kb,
                     "pgtables_kb": task.pgtables_kb, "oom_score_adj": task.oom_score_adj,
                     "killed": victim_pid in task.pids})
    return rows


def details(event: Event, dump: Dump, gfp: Any | None = None,
            not_evaluated: tuple[NotEvaluated, ...] | None = None) -> dict[str, Any]:
    """The skippable part of a reply, as plain data. Pass the diagnosis's ``not_evaluated`` when
    it is at hand: only without it is the catalogue run again to learn what could not be checked."""
    if not_evaluated is None:
        diagnosis = evaluate(event, dump, gfp)
        analysis, not_evaluated = diagnosis.analysis, diagnosis.not_evaluated
    else:
        analysis = Analysis(event, dump, gfp if gfp is not None else decode_gfp(event, dump))
    breakdown = [{"name": f.name, "label": f.label, "kb": f.kb, "size": mb(f.kb),
                  "share": None if not analysis.ram_kb else round(100 * f.kb / analysis.ram_kb)}
                 for f in (analysis.breakdown or ()) if f.kb]
    breakdown.sort(key=lambda row: -row["kb"])
    env = analysis.environment
    return {
        "kind": kind_label(event),
        "victim": victim_text(event),
        "ram": mb(analysis.ram_kb) if analysis.ram_kb else None,
        "swap": None if analysis.swap_total_kb is None else
        f"{mb(analysis.swap_free_kb)} free of {mb(analysis.swap_total_kb)}" if analysis.swap_total_kb else "none",
        "environment": env.label if env.kind != "unknown" else None,
        "constraint": analysis.constraint,
        "gfp": _gfp(analysis),
        "zones": _zone_rows(analysis),
        "processes": _processes(analysis),
        "process_count": len(analysis.tasks),
        "breakdown": breakdown,
        "not_evaluated": [{"code": n.code, "name": n.name, "missing": list(n.missing)}
                          for n in not_evaluated],
    }

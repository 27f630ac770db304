"""Runs the finding catalogue over one parsed event and ranks what fires.

Ranking: root causes first, then contributing factors, then context; within a role by
confidence (each check computes its own from how strong its evidence is, see
docs/diagnosis.md). ``diagnose`` is what ``bot.pipeline`` calls; ``evaluate`` also returns the
analysis and the findings that could not be evaluated (their facts are missing), for renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from grammar.facts import Dump, Event

from . import catalogue
from .analysis import Analysis
from .checks import REGISTRY, Hit, missing_facts
from .confidence import calibrate, role_for
from .model import Deferred, Evidence, Finding

ROLE_RANK = {"root-cause": 0, "contributing": 1, "context": 2}
# Evaluated after every other record and only while no root cause has fired, in this order: what
# a partial paste points at (OOM103, OOM125, OOM303, OOM702: possible causes, never confident),
# then the undetermined placeholder (OOM900)
FALLBACK_CHECKS = ("partial_pointer", "undetermined")


@dataclass(frozen=True)
class NotEvaluated:
    code: str
    name: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    analysis: Analysis
    findings: tuple[Finding, ...]
    not_evaluated: tuple[NotEvaluated, ...]


def decode_gfp(event: Event, dump: Dump) -> Any | None:
    """The gfp decoding of the event's mask for the dump's kernel (None without a mask)."""
    from knowledge.gfp import decode_event_mask

    return decode_event_mask(event, dump)


def template_context(analysis: Analysis, hit: Hit) -> dict[str, Any]:
    env = analysis.environment
    return {
        "ev": {name: value for name, (value, _lines) in hit.evidence.items()},
        "ctx": hit.context,
        "env": {
            "kind": env.kind,
            "label": env.label,
            "container": env.container,
            "kubernetes": env.kubernetes,
            "vm": env.vm,
            "hypervisor_host": env.hypervisor_host,
            "cgroup_v2": env.cgroup_v2,
        },
        "kernel": analysis.kernel,
        "version": analysis.version,
        "arch": analysis.arch,
        "is_32bit": analysis.is_32bit,
        "kind": analysis.event.kind,
        "victim": analysis.victim_name,
    }


def build_finding(record: catalogue.Record, analysis: Analysis, hit: Hit) -> Finding:
    hit.confidence = calibrate(hit.confidence, record.check, analysis.event, hit.context)
    hit.role = role_for(record.check, analysis.event, hit.role)
    context = template_context(analysis, hit)
    # in the record's order: the record lists the most telling figures first
    evidence = tuple(
        Evidence(
            name=spec["name"],
            value=hit.evidence[spec["name"]][0],
            label=spec["label"],
            lines=hit.evidence[spec["name"]][1],
            unit=spec.get("unit"),
        )
        for spec in record.evidence
        if spec["name"] in hit.evidence
    )
    return Finding(
        code=record.code,
        name=record.name,
        category=record.category,
        title=record.title,
        severity=record.severity,
        confidence=round(min(0.99, max(0.01, hit.confidence)), 2),
        role=hit.role or record.role,
        # rendered when a surface first reads them: most show the text of one or two findings
        explanation=Deferred(partial(catalogue.render, record.explanation, context)),
        evidence=evidence,
        remediation=Deferred(partial(catalogue.render_remediation, record, context)),
        references=record.references,
    )


def evaluate(event: Event, dump: Dump, gfp: Any | None = None) -> Diagnosis:
    analysis = Analysis(event, dump, gfp if gfp is not None else decode_gfp(event, dump))
    findings: list[Finding] = []
    not_evaluated: list[NotEvaluated] = []
    fallback: dict[str, list[catalogue.Record]] = {check: [] for check in FALLBACK_CHECKS}
    for record in catalogue.load():
        spec = REGISTRY[record.check]
        if record.check in fallback:
            fallback[record.check].append(record)
            continue
        missing = missing_facts(spec, analysis)
        if missing:
            not_evaluated.append(NotEvaluated(record.code, record.name, missing))
            continue
        hit = spec.function(analysis, record.params)
        if hit is not None:
            findings.append(build_finding(record, analysis, hit))
    for check in FALLBACK_CHECKS:
        if any(f.role == "root-cause" for f in findings):
            break
        for record in fallback[check]:
            spec = REGISTRY[record.check]
            if not missing_facts(spec, analysis):
                hit = spec.function(analysis, record.params)
                if hit is not None:
                    findings.append(build_finding(record, analysis, hit))
    findings.sort(key=lambda f: (ROLE_RANK.get(f.role, 3), -f.confidence, f.code))
    return Diagnosis(analysis, tuple(findings), tuple(not_evaluated))


def diagnose(event: Event, dump: Dump) -> tuple[Finding, ...]:
    """Return the findings for ``event``, most likely root cause first."""
    return evaluate(event, dump).findings

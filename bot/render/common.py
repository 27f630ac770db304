"""Shared view model for the text and markdown renderers (and usable by the Slack one).

``report_view(report)`` turns a :class:`bot.pipeline.Report` into plain data: per event the
headline (``knowledge.summary.headline``), the ranked findings with quoted evidence lines, and
the details (``knowledge.summary.details``). ``jinja_env(kind)`` loads ``templates/<kind>/`` with
``StrictUndefined`` so a template that names a missing value fails instead of printing blank.
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from bot.charts import text_bars
from bot.pipeline import AnalysedEvent, Report
from knowledge.analysis import mb
from knowledge.confidence import doubt
from knowledge.summary import details, headline

TEMPLATES = Path(__file__).parent / "templates"


def _kb(value: Any) -> str:
    return "-" if value is None else f"{value} kB"


def _wrap(text: str, width: int = 96, indent: str = "  ") -> str:
    return "\n".join(textwrap.fill(" ".join(p.split()), width=width, initial_indent=indent,
                                   subsequent_indent=indent) for p in text.split("\n\n") if p.strip())


def _value(value: Any, unit: str | None = None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and unit == "kB":
        return f"{value} kB ({mb(value)})" if value >= 1024 else f"{value} kB"
    return str(value)


@cache
def jinja_env(kind: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES / kind)),
                             undefined=jinja2.StrictUndefined, autoescape=False,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(size=mb, kb=_kb, wrap=_wrap, value=_value)
    return env


def finding_view(finding: Any) -> dict[str, Any]:
    return {
        "code": finding.code, "name": finding.name, "category": finding.category, "title": finding.title,
        "severity": finding.severity, "confidence": round(finding.confidence * 100), "role": finding.role,
        "explanation": finding.explanation, "remediation": list(finding.remediation),
        "references": list(finding.references),
        "evidence": [{"label": e.label, "value": e.value, "unit": getattr(e, "unit", None),
                      "lines": [{"number": line.number, "text": line.text} for line in e.lines[:2]]}
                     for e in finding.evidence],
    }


def event_view(analysed: AnalysedEvent, report: Report) -> dict[str, Any]:
    event = analysed.event
    findings = [finding_view(f) for f in analysed.findings]
    causes = [f for f in findings if f["role"] == "root-cause"]
    top = causes[0] if causes else None
    return {
        "number": event.index + 1, "first_line": event.first_line, "last_line": event.last_line,
        "headline": headline(analysed.findings, event), "top": top,
        "doubt": doubt(analysed.findings, event),
        "others": [f for f in findings if f is not top],
        "details": details(event, report.dump, analysed.gfp, analysed.not_evaluated),
        "bars": text_bars(analysed, page_kb=report.dump.page_size_kb),
        "unparsed": len(event.unparsed),
    }


def report_view(report: Report) -> dict[str, Any]:
    return {
        "kernel": report.kernel or "unknown kernel", "arch": report.arch or "unknown arch",
        "events": [event_view(e, report) for e in report.events],
        "warnings": list(report.warnings), "message": report.message,
    }

"""What the text and markdown renderers show, read from each event's ``Overview``.

``report_view(report)`` arranges the overviews for a reader: events told again (same cause, same
victim) are grouped, the first shown in full and the others by what differs; each event reads
headline, what to do, why, evidence, then details that can be skipped. Nothing here derives a
fact: every figure comes from ``knowledge.overview``. ``jinja_env(kind)`` loads
``templates/<kind>/`` with ``StrictUndefined`` so a template that names a missing value fails
instead of printing blank.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from bot.pipeline import Report
from bot.render.markup import markdown_code
from knowledge.diskcache import jinja_bytecode_cache
from knowledge.model import Finding
from knowledge.overview import Overview, group_title
from knowledge.templating import Environment
from knowledge.units import size

TEMPLATES = Path(__file__).parent / "templates"
DEFAULT_WIDTH = 96
BAR_WIDTH = 24
ELLIPSIS = "\u2026"
MAX_REPEAT_ROWS = 4  # a group lists this many repeats by what differs, then counts the rest
# A paste with repeats is answered on one screen: fewer quoted lines, findings by title, details
# on a line each (``--all`` shows everything).
COMPACT_EVIDENCE_LINES = 4
COMPACT_MEMORY_PARTS = 4


def _wrap(
    text: str, width: int = DEFAULT_WIDTH, indent: str = "  ", first: str | None = None, verbatim: bool = False
) -> str:
    # Prose is re-flowed; a headline (``verbatim``) keeps its runs of spaces, because it quotes
    # process names as printed and a name may hold two spaces.
    paragraphs = [p.strip() if verbatim else " ".join(p.split()) for p in str(text).split("\n\n") if p.strip()]
    out = []
    for index, paragraph in enumerate(paragraphs):
        lead = first if (first is not None and index == 0) else indent
        line_width = max(20, width)
        filled = None if verbatim else _fill_words(paragraph, line_width, lead, indent)
        if filled is None:
            filled = textwrap.fill(
                paragraph,
                width=line_width,
                initial_indent=lead,
                subsequent_indent=indent,
                break_on_hyphens=False,
                break_long_words=True,
            )
        out.append(filled)
    return "\n".join(out)


def _fill_words(paragraph: str, width: int, lead: str, indent: str) -> str | None:
    """``textwrap.fill`` of ``paragraph`` as ``_wrap`` calls it, for words joined by single
    spaces (what ``_wrap`` makes of prose), or None where textwrap's own handling could differ:
    a word longer than a line (textwrap breaks it), an indent as wide as the line, a character
    textwrap reads as whitespace other than the space. Its greedy filling is textwrap's for such
    a paragraph: a word goes on the line when it fits after one space, else starts the next line
    (tests/test_render_wrap.py compares the two). textwrap's chunking and loop were most of the
    time of a text report (issue 12)."""
    room = width - len(lead)
    if len(paragraph) <= room and room > 0 and not _TEXTWRAP_SPACE.intersection(paragraph):
        return lead + paragraph
    words = paragraph.split(" ")
    longest = max(map(len, words))
    if room <= 0 or width - len(indent) <= 0 or longest > room or longest > width - len(indent):
        return None
    if _TEXTWRAP_SPACE.intersection(paragraph) or "" in words:
        return None
    lines = []
    line = [words[0]]
    used = len(words[0])
    for word in words[1:]:
        if used + 1 + len(word) <= room:
            line.append(word)
            used += 1 + len(word)
        else:
            lines.append(lead + " ".join(line))
            lead = indent
            room = width - len(indent)
            line = [word]
            used = len(word)
    lines.append(lead + " ".join(line))
    return "\n".join(lines)


# what textwrap turns into a space or splits words at besides the space (textwrap._whitespace)
_TEXTWRAP_SPACE = frozenset("\t\n\x0b\x0c\r")


def cut(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, with "…" where it was cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: max(1, limit - 1)] + ELLIPSIS


def value_text(value: Any, unit: str | None = None) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and unit == "kB":
        return f"{value} kB ({size(value)})" if value >= 1024 else f"{value} kB"
    if isinstance(value, float) and unit == "%":
        return f"{value:.0f}%"
    return str(value)


def _dash(value: Any) -> str:
    return "-" if value is None else str(value)


@cache
def jinja_env(kind: str) -> jinja2.Environment:
    env = Environment(  # (a dict's keys read as attributes without a failed look-up first)
        loader=jinja2.FileSystemLoader(str(TEMPLATES / kind)),
        bytecode_cache=jinja_bytecode_cache(f"render-{kind}"),  # type: ignore[arg-type]
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(size=size, wrap=_wrap, value=value_text, cut=cut, dash=_dash, code=markdown_code)
    return env


def evidence_view(finding: Finding) -> dict[str, Any]:
    """A finding's figures, and the paste lines behind them each quoted once, in line order."""
    figures = [{"label": e.label, "value": value_text(e.value, e.unit)} for e in finding.evidence]
    lines: dict[int, str] = {}
    for evidence in finding.evidence:
        for line in evidence.lines:
            lines.setdefault(line.number, line.text)
    return {"figures": figures, "lines": [{"number": n, "text": lines[n]} for n in sorted(lines)]}


class FindingView(dict[str, Any]):
    """A finding as the templates read it. Its text (``explanation``, ``remediation``) is looked
    up only when a template reads it: a grouped answer names the other findings by title alone,
    and their templates are then never rendered (knowledge.model.Finding defers them)."""

    __slots__ = ("finding",)

    def __init__(self, finding: Finding, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.finding = finding

    def __missing__(self, key: str) -> Any:
        if key == "explanation":
            return self.finding.explanation
        if key == "remediation":
            return list(self.finding.remediation)
        raise KeyError(key)


def finding_view(finding: Finding) -> FindingView:
    return FindingView(
        finding,
        {
            "code": finding.code,
            "name": finding.name,
            "category": finding.category,
            "title": finding.title,
            "severity": finding.severity,
            "confidence": round(finding.confidence * 100),
            "role": finding.role,
            "references": list(finding.references),
            "evidence": evidence_view(finding),
        },
    )


def memory_rows(overview: Overview, width: int = BAR_WIDTH) -> list[dict[str, Any]]:
    """The breakdown's parts with a bar each (share of RAM, or of the cgroup limit)."""
    memory = overview.memory
    if memory is None:
        return []
    scale = max(memory.total_kb or 0, sum(p.kb for p in memory.parts)) or 1
    rows = []
    for part in memory.parts:
        cells = round(part.kb / scale * width)
        rows.append(
            {
                "label": part.label,
                "size": size(part.kb),
                "kb": part.kb,
                "share": None if part.share is None else round(100 * part.share),
                "bar": "\u2588" * cells if cells else "\u258f",
            }
        )
    return rows


def names_of(overview: Overview) -> list[str]:
    """Process names the answer may mention (set as code in markdown and Slack)."""
    names = [overview.subject] + [p.name for p in overview.processes]
    names.append(overview.memory.cgroup if overview.memory is not None else None)
    return sorted({n for n in names if n and len(n) > 1}, key=len, reverse=True)


def event_view(overview: Overview) -> dict[str, Any]:
    machine = [
        ("RAM " + size(overview.ram_kb)) if overview.ram_kb else "",
        ("swap " + overview.swap_text) if overview.swap_text else "",
        overview.environment or "",
        overview.constraint or "",
    ]
    return {
        "number": overview.number,
        "first_line": overview.first_line,
        "last_line": overview.last_line,
        "kind": overview.kind_label,
        "headline": overview.headline,
        "headline_parts": overview.headline_parts,
        "cause": finding_view(overview.cause) if overview.cause else None,
        "others": [finding_view(f) for f in overview.others],
        "todo": list(overview.todo),
        "fragment": overview.is_fragment,
        "doubt": overview.doubt,
        "missing": [m.description for m in overview.missing],
        "paste_hint": overview.paste_hint,
        "names": names_of(overview),
        "victim": overview.victim,
        "request": overview.request,
        "machine": "; ".join(m for m in machine if m),
        "zones": list(overview.zones),
        "memory": overview.memory,
        "memory_rows": memory_rows(overview),
        "processes": list(overview.processes),
        "process_count": overview.process_count,
        # With parts of the report missing, say what to paste (descriptions), not which codes could
        # not run; the codes stay in the JSON output.
        "not_evaluated": [n.code for n in overview.not_evaluated] if not overview.missing else [],
        "unparsed": overview.unparsed,
    }


def _range(values: Sequence[Any]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    low, high = min(values), max(values)
    return size(low) if low == high else f"{size(low)} to {size(high)}"


def repeats_view(group: Sequence[Overview]) -> dict[str, Any]:
    """What differs between the repeats of one story: where they are, the pids, what was held."""
    rest = group[1:]
    rows = [
        {
            "number": o.number,
            "lines": f"{o.first_line}-{o.last_line}",
            "victim": o.victim.text if o.victim else None,
            "task": None if o.victim else (o.request.task if o.request else None),
            "held": size(o.victim.held_kb) if o.victim and o.victim.held_kb is not None else None,
        }
        for o in rest[:MAX_REPEAT_ROWS]
    ]
    more = rest[MAX_REPEAT_ROWS:]
    return {
        "rows": rows,
        "more": len(more),
        "more_numbers": f"{more[0].number}-{more[-1].number}" if more else "",
        "more_lines": f"{more[0].first_line}-{more[-1].last_line}" if more else "",
        "more_held": _range([o.victim.held_kb for o in more if o.victim]) if more else "",
        "more_who": ", ".join(dict.fromkeys(o.subject for o in more if o.subject)) if more else "",
    }


def report_view(
    report: Report, *, all_events: bool = False, width: int = DEFAULT_WIDTH, emphasis: bool = False
) -> dict[str, Any]:
    groups = [[o] for o in report.overviews] if all_events else report.groups()
    return {
        "compact": len(groups) < len(report.events),
        "evidence_limit": COMPACT_EVIDENCE_LINES,
        "memory_limit": COMPACT_MEMORY_PARTS,
        "kernel": report.kernel or "unknown kernel",
        "arch": report.arch or "unknown arch",
        "event_count": len(report.events),
        "width": width,
        "emphasis": emphasis,
        "groups": [
            {
                "title": group_title(g) if len(g) > 1 else None,
                "count": len(g),
                "event": event_view(g[0]),
                "repeats": repeats_view(g) if len(g) > 1 else None,
            }
            for g in groups
        ],
        "grouped": len(groups) < len(report.events),
        "warnings": list(report.warnings),
        "message": report.message,
    }

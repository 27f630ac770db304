"""Block Kit rendering of a ``Report`` (and of the bot's other messages) with Jinja2.

Every ``{{ value }}`` in a Slack template is escaped for mrkdwn (``&``, ``<``, ``>``) by the
environment's ``finalize`` hook, so text from a paste can never become a live mention or link;
the ``code`` filter also defuses backticks. Templates are rendered with ``StrictUndefined``.
Every fact comes from each event's ``Overview`` (``knowledge.overview``). A reply answers each
story (repeats of one cause grouped) with its headline, the top two things to do and two lines
of why; everything else sits behind one details selector. Blocks stay within Slack's limits; a
paste with more stories than fit also gets the full report as a file (``RenderedReply.file``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from bot.render.common import cut, names_of, value_text
from bot.render.markup import format_code
from bot.render.mrkdwn import escape_code, escape_mrkdwn, plain_text_safe, truncate
from knowledge.overview import Overview, group_title
from knowledge.templating import Environment
from knowledge.units import size

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BLOCK_TEXT_TOTAL = 11000  # Slack rejects ~13.2k (msg_blocks_too_long); keep a margin
MAX_FALLBACK_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_GROUPS_INLINE = 5  # stories (groups of repeated events) answered in the message itself
MAX_OPTIONS = 100  # Slack's limit for a static_select
TOP_ACTIONS = 2  # steps shown in the message; the rest are behind the details selector
STEP_CHARS = 700
WHY_CHARS = 450

ACTION_DETAILS = "oomlens_details"
ACTION_UPLOAD = "oomlens_upload"
ACTION_FEEDBACK_HELPFUL = "oomlens_feedback_helpful"
ACTION_FEEDBACK_WRONG = "oomlens_feedback_wrong"
ACTION_GFP_SHARE = "oomlens_gfp_share"
UPLOAD_KIND = "upload"
DETAIL_KINDS = {
    "todo": "Every step to take",
    "why": "Why, in full, with the evidence",
    "others": "Other findings",
    "missing": "What the paste lacks",
    "gfp": "The request (gfp mask)",
    "zones": "Zones",
    "processes": "Top processes",
    "memory": "Memory breakdown",
}

KIND_LABELS = {
    "oom-kill": "OOM kill",
    "memcg-oom": "Memory cgroup OOM",
    "cpuset": "OOM kill (cpuset constraint)",
    "mempolicy": "OOM kill (memory policy constraint)",
    "sysrq-manual": "Manual OOM kill (SysRq-f)",
    "page-allocation-failure": "Page allocation failure",
}


class Mrkdwn(str):
    """Text that is already valid, escaped mrkdwn (``finalize`` leaves it alone)."""


def _finalize(value: Any) -> Any:
    if isinstance(value, Mrkdwn):
        return value
    if value is None:
        return ""
    return escape_mrkdwn(value)


def _code_filter(value: Any) -> Mrkdwn:
    return Mrkdwn(escape_code(value))


def _mrkdwn_filter(value: Any) -> Mrkdwn:
    return value if isinstance(value, Mrkdwn) else Mrkdwn(escape_mrkdwn(value))


def _safe_id(value: Any) -> Mrkdwn:
    """A Slack id (C123, U123) we put into <#...>/<@...> ourselves: alphanumerics only."""
    return Mrkdwn("".join(ch for ch in str(value) if ch.isalnum()))


_loader = jinja2.FileSystemLoader(str(Path(__file__).with_name("templates") / "slack"))
_mrkdwn_env = Environment(  # (a dict's keys read as attributes without a failed look-up first)
    loader=_loader,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    finalize=_finalize,
    keep_trailing_newline=False,
)
_mrkdwn_env.filters.update(code=_code_filter, mrkdwn=_mrkdwn_filter, safe_id=_safe_id)


def render_mrkdwn(template: str, **context: Any) -> str:
    return _mrkdwn_env.get_template(template).render(**context).strip()


# -- view model: everything below reads each event's Overview (knowledge.overview) --------------

DETAILS_PLACEHOLDER = "Details…"


def mrkdwn_code(text: Any, names: Sequence[str] = ()) -> Mrkdwn:
    """Prose as mrkdwn: every piece escaped; commands, sysctls, paths, identifiers and the dump's
    process ``names`` as code."""
    return Mrkdwn(format_code(str(text), escape_mrkdwn, lambda piece: "`" + escape_code(piece) + "`", names))


def headline_mrkdwn(overview: Overview) -> Mrkdwn:
    before, name, after = overview.headline_parts
    code = f"`{escape_code(name)}`" if name else ""
    return Mrkdwn(escape_mrkdwn(before) + code + escape_mrkdwn(after))


def top_finding(analysed: Any) -> Any | None:
    """The cause of an event: its top root-cause finding, never a contributing or context one."""
    return analysed.overview.cause


def why_lines(text: str, limit: int = WHY_CHARS) -> str:
    """The first two sentences of an explanation (cut with "…" past ``limit``)."""
    sentences = re.split(r"(?<=[.;:])\s+(?=[A-Z(])", " ".join(text.split()))
    return truncate(" ".join(sentences[:2]), limit)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[("-" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
    return "\n".join(lines)


def _request_text(overview: Overview) -> str | None:
    q = overview.request
    if q is None:
        return None
    order = f"order {q.order} ({size(q.order_kb)})" if q.order is not None else "order ?"
    lines = [
        f"{q.task or '?'}" + (f" (pid {q.pid})" if q.pid is not None else "") + f" asked for {order}",
        f"gfp_mask={q.mask or '?'}" + (f" ({q.symbolic})" if q.symbolic else ""),
    ]
    if q.decoded:
        yes = {True: "yes", False: "no", None: "?"}
        lines.append(
            f"highest zone {q.highest_zone or '?'}; may reclaim: {yes[q.may_reclaim]}; "
            f"atomic: {yes[q.atomic]}; may invoke OOM killer: {yes[q.may_invoke_oom_killer]}"
        )
        if q.flags:
            lines.append("flags: " + " ".join(q.flags))
    return "\n".join(lines)


def _zones_text(overview: Overview) -> str | None:
    if not overview.zones:
        return None
    usable = {True: "yes", False: "no", None: "?"}
    rows = [
        (z.label, z.free_kb, z.min_kb, z.low_kb, z.high_kb, z.reserve_kb, usable[z.usable], z.state)
        for z in overview.zones
    ]
    return _table(("zone", "free kB", "min kB", "low kB", "high kB", "reserve kB", "usable", "state"), rows)


def _processes_text(overview: Overview) -> str | None:
    if not overview.processes:
        return None
    rows = [
        (
            p.pid,
            p.name + (" (killed)" if p.killed else ""),
            size(p.rss_kb),
            size(p.swap_kb),
            size(p.pgtables_kb),
            p.oom_score_adj,
        )
        for p in overview.processes
    ]
    text = _table(("pid", "name", "rss", "swap", "pgtables", "oom_score_adj"), rows)
    if overview.process_count > len(rows):
        text += f"\n... {overview.process_count - len(rows)} more rows"
    return text


def _memory_text(overview: Overview) -> str | None:
    memory = overview.memory
    if memory is None or not memory.parts:
        return None
    rows = [(p.label, size(p.kb), "-" if p.share is None else f"{100 * p.share:.0f}%") for p in memory.parts]
    return f"Where memory went ({memory.title})\n" + _table(("part", "size", "share"), rows)


def detail_sections(report: Any, analysed: Any) -> list[dict[str, Any]]:
    """The parts of one event's answer kept behind the details selector (``body`` is mrkdwn)."""
    overview: Overview = analysed.overview
    names = names_of(overview)
    sections: list[dict[str, Any]] = []

    def add(kind: str, body: str | None, *, code: bool = False) -> None:
        if body:
            text = Mrkdwn(f"```{escape_code(body)}```") if code else body
            sections.append({"kind": kind, "title": DETAIL_KINDS[kind], "body": text})

    cause = overview.cause
    if len(overview.todo) > TOP_ACTIONS:
        add("todo", Mrkdwn("\n".join(f"{i}. {mrkdwn_code(step, names)}" for i, step in enumerate(overview.todo, 1))))
    if cause is not None:
        lines: dict[int, str] = {}
        for evidence in cause.evidence:
            for line in evidence.lines:
                lines.setdefault(line.number, line.text)
        figures = "\n".join(
            f"• {escape_mrkdwn(e.label)}: {escape_mrkdwn(value_text(e.value, e.unit))}" for e in cause.evidence
        )
        quoted = "\n".join(cut(f"line {n}: {lines[n]}", 150) for n in sorted(lines))
        add(
            "why",
            Mrkdwn(
                f"{mrkdwn_code(cause.explanation, names)}\n_{escape_mrkdwn(cause.code)} {escape_mrkdwn(cause.name)}, "
                f"{round(cause.confidence * 100)}% confidence_\n{figures}"
                + (f"\n```{escape_code(quoted)}```" if quoted else "")
            ),
        )
    if overview.others:
        add(
            "others",
            Mrkdwn(
                "\n".join(
                    f"• *{escape_mrkdwn(f.title)}* ({escape_mrkdwn(f.code)}, {escape_mrkdwn(f.role)}, "
                    f"{round(f.confidence * 100)}%)"
                    + ("" if overview.is_fragment else f"\n{mrkdwn_code(why_lines(f.explanation), names)}")
                    for f in overview.others
                )
            ),
        )
    if overview.missing and not overview.is_fragment:
        add("missing", Mrkdwn("\n".join(f"• {mrkdwn_code(m.description, names)}" for m in overview.missing)))
    add("gfp", _request_text(overview), code=True)
    add("zones", _zones_text(overview), code=True)
    add("processes", _processes_text(overview), code=True)
    add("memory", _memory_text(overview), code=True)
    return sections


def _repeats_mrkdwn(group: Sequence[Overview]) -> Mrkdwn:
    """What differs between repeats of one story: events, line ranges, victims' pids, sizes held."""
    rest = group[1:]
    pids = [str(o.victim.pid) for o in rest if o.victim and o.victim.pid is not None]
    subjects = list(dict.fromkeys(o.subject for o in group if o.subject))
    held = [o.victim.held_kb for o in rest if o.victim and o.victim.held_kb is not None]
    bits = [
        f"events {', '.join(str(o.number) for o in rest[:6])}{', …' if len(rest) > 6 else ''}",
        f"lines {rest[0].first_line}-{rest[-1].last_line}",
    ]
    if len(subjects) > 1:
        bits.append("processes " + ", ".join(subjects[:6]) + (", …" if len(subjects) > 6 else ""))
    if pids:
        bits.append("pids " + ", ".join(pids[:6]) + (", …" if len(pids) > 6 else ""))
    if held:
        low, high = min(held), max(held)
        bits.append("held " + (size(low) if low == high else f"{size(low)} to {size(high)}"))
    return Mrkdwn("The others differ only in: " + escape_mrkdwn("; ".join(bits)))


# -- blocks -----------------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(plain_text_safe(text), MAX_HEADER_TEXT), "emoji": False},
    }


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        button["style"] = style
    return button


def action_value(analysis_id: int | None, event_index: int = 0, kind: str | None = None) -> str:
    value: dict[str, Any] = {"a": analysis_id, "e": event_index}
    if kind:
        value["k"] = kind
    return json.dumps(value, separators=(",", ":"))


def parse_action_value(value: str) -> tuple[int | None, int, str | None]:
    try:
        data = json.loads(value)
        return (int(data["a"]) if data.get("a") is not None else None, int(data.get("e", 0)), data.get("k"))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, 0, None


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": truncate(plain_text_safe(text), MAX_BUTTON_TEXT)}, "value": value}


def _actions(analysis_id: int | None, report: Any, groups: Sequence[Sequence[Overview]]) -> dict[str, Any]:
    """One details selector (every part of the answer not shown) and two unstyled feedback buttons."""
    options = []
    several = len(groups) > 1
    for group in groups:
        first = group[0]
        index = first.number - 1
        for section in detail_sections(report, report.events[index]):
            label = f"Event {first.number}: {section['title']}" if several else section["title"]
            options.append(_option(label, action_value(analysis_id, index, section["kind"])))
    options = options[: MAX_OPTIONS - 1]
    options.append(_option("Full report as a file", action_value(analysis_id, 0, UPLOAD_KIND)))
    select = {
        "type": "static_select",
        "action_id": ACTION_DETAILS,
        "placeholder": {"type": "plain_text", "text": DETAILS_PLACEHOLDER},
        "options": options,
    }
    return {
        "type": "actions",
        "block_id": "oomlens_actions",
        "elements": [
            select,
            _button("Helpful", ACTION_FEEDBACK_HELPFUL, action_value(analysis_id)),
            _button("Wrong cause", ACTION_FEEDBACK_WRONG, action_value(analysis_id)),
        ],
    }


def block_text_length(blocks: Iterable[dict[str, Any]]) -> int:
    """Characters of text in blocks, as Slack's aggregate limit counts them (approximately)."""
    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                total += len(node["text"])
            for key, value in node.items():
                if key != "text" or not isinstance(value, str):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(list(blocks))
    return total


@dataclass
class RenderedReply:
    text: str
    blocks: list[dict[str, Any]]
    headline: str
    top_code: str | None
    top_title: str | None
    file: tuple[str, str] | None = None  # (filename, content) to upload in the thread
    oversize: bool = False
    event_count: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def headline(report: Any) -> str:
    """One line for the whole paste: the first story's headline, and how many events it holds."""
    groups = report.groups()
    if not groups:
        return report.message or "no kernel memory event"
    first = groups[0][0].headline
    if len(report.events) == 1:
        return first
    if len(groups) == 1:
        return f"{first} ({len(report.events)} times)"
    return f"{len(report.events)} kernel memory events, {len(groups)} stories; first: {first}"


def _group_blocks(group: Sequence[Overview], several: bool) -> list[dict[str, Any]]:
    """A story's answer: headline, the top two things to do, two lines of why, what repeats differ in."""
    overview = group[0]
    names = names_of(overview)
    blocks = []
    title = headline_mrkdwn(overview)
    sub = [f"Event {overview.number}, lines {overview.first_line}-{overview.last_line}: {overview.kind_label}"]
    if overview.victim is not None:
        held = f", held {size(overview.victim.held_kb)}" if overview.victim.held_kb is not None else ""
        sub.append(f"killed {overview.victim.text}{held}")
    if len(group) > 1:
        sub.insert(0, group_title(group))
    blocks.append(_section(Mrkdwn((f"*{title}*\n" if several else "") + "_" + escape_mrkdwn("; ".join(sub)) + "_")))
    steps = overview.todo[:TOP_ACTIONS]
    todo = "\n".join(f"{i}. {mrkdwn_code(truncate(step, STEP_CHARS), names)}" for i, step in enumerate(steps, 1))
    blocks.append(_section(Mrkdwn(f"*What to do*\n{todo}")))
    if overview.cause is not None:
        why = mrkdwn_code(why_lines(overview.cause.explanation), names)
    elif overview.is_fragment:
        why = Mrkdwn("This paste holds only part of the kernel's report, too little to name a cause.")
    else:
        why = Mrkdwn("No root cause could be established from the figures in this report.")
    blocks.append(_section(Mrkdwn(f"*Why* {why}")))
    if overview.doubt:
        blocks.append(_section(Mrkdwn(escape_mrkdwn(overview.doubt))))
    if overview.missing and not overview.is_fragment:
        lacks = "; ".join(m.description for m in overview.missing)
        blocks.append(
            _context(
                Mrkdwn(
                    escape_mrkdwn(f"To check more, {overview.paste_hint}; this paste lacks: ")
                    + mrkdwn_code(truncate(lacks, WHY_CHARS), names)
                )
            )
        )
    if len(group) > 1:
        blocks.append(_context(_repeats_mrkdwn(group)))
    return blocks


def render_report(report: Any, *, analysis_id: int | None, force_file: bool = False) -> RenderedReply:
    """The reply to a paste: per story the headline, what to do, why; the rest behind one selector."""
    if not report.events:
        raise ValueError("render_report needs a report with at least one event")
    groups = report.groups()
    head = headline(report)
    first = groups[0][0]
    cause = first.cause
    text = truncate(escape_mrkdwn(head), MAX_FALLBACK_TEXT)
    several = len(groups) > 1
    inline = groups[:MAX_GROUPS_INLINE]

    def build(shown: Sequence[Sequence[Overview]], attached: bool) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = [_header(head)]
        for group in shown:
            blocks += _group_blocks(group, several)
        others = sum(len(g[0].others) for g in shown)
        blocks.append(
            _context(
                render_mrkdwn(
                    "context.j2",
                    kernel=report.kernel,
                    arch=report.arch,
                    other_findings=others,
                    hidden=len(groups) - len(shown),
                    attached=attached,
                    warnings=list(report.warnings)[:2],
                )
            )
        )
        blocks.append(_actions(analysis_id, report, shown))
        return blocks

    oversize = force_file or len(groups) > MAX_GROUPS_INLINE
    blocks = build(inline, oversize)
    while len(inline) > 1 and (len(blocks) > MAX_BLOCKS or block_text_length(blocks) > MAX_BLOCK_TEXT_TOTAL):
        inline = inline[:-1]
        oversize = True
        blocks = build(inline, oversize)
    rendered = RenderedReply(
        text=text,
        blocks=blocks,
        headline=head,
        top_code=cause.code if cause else None,
        top_title=cause.title if cause else None,
        event_count=len(report.events),
    )
    if oversize:
        rendered.oversize = True
        rendered.file = (report_filename(), render_report_text(report))
    return rendered


def report_filename() -> str:
    return f"oomlens-report-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.txt"


def render_report_text(report: Any) -> str:
    """The whole analysis, every event in full, as the terminal shows it (plain text, no escaping)."""
    from bot.render.text import render_text

    return render_text(report, all_events=True)


def render_details(report: Any, event_index: int, kind: str) -> tuple[str, list[dict[str, Any]]]:
    if not report.events:
        return "Nothing to show.", [_section("Nothing to show.")]
    event_index = min(max(event_index, 0), len(report.events) - 1)
    sections = {s["kind"]: s for s in detail_sections(report, report.events[event_index])}
    section = sections.get(kind)
    if section is None:
        message = f"{DETAIL_KINDS.get(kind, 'That part')}: nothing to show for this event."
        return message, [_section(escape_mrkdwn(message))]
    body = section["body"]
    if len(body) > MAX_SECTION_TEXT - 120:
        # cut inside a code block: close it again so the cut text still renders
        body = Mrkdwn(truncate(body, MAX_SECTION_TEXT - 124) + ("```" if body.count("```") == 2 else ""))
    number = f"Event {event_index + 1}: " if len(report.events) > 1 else ""
    text = Mrkdwn(f"*{escape_mrkdwn(number + section['title'])}*\n{body}")
    return f"{number}{section['title']}", [_section(text)]


def render_gfp(mask: str, release: str | None, body: str, *, shareable: bool) -> tuple[str, list[dict[str, Any]]]:
    text = render_mrkdwn("gfp.j2", mask=mask, release=release, body=truncate(body, MAX_SECTION_TEXT - 200))
    blocks: list[dict[str, Any]] = [_section(text)]
    if shareable:
        value = json.dumps({"m": mask, "r": release}, separators=(",", ":"))
        blocks.append(
            {
                "type": "actions",
                "block_id": "oomlens_gfp",
                "elements": [_button("Share in channel", ACTION_GFP_SHARE, value, "primary")],
            }
        )
    return truncate(f"gfp_mask {escape_mrkdwn(mask)} decoded", MAX_FALLBACK_TEXT), blocks


def render_help() -> tuple[str, list[dict[str, Any]]]:
    text = render_mrkdwn("help.j2")
    return "How to use oomlens", [_section(text)]


def render_notice(message: str) -> tuple[str, list[dict[str, Any]]]:
    """A short message built from untrusted text (e.g. a parser warning), escaped."""
    escaped = truncate(escape_mrkdwn(message), MAX_SECTION_TEXT)
    return escaped, [_section(escaped)]


def render_home(analyses: Sequence[Any]) -> dict[str, Any]:
    _help_text, help_blocks = render_help()
    blocks: list[dict[str, Any]] = [
        _header("oomlens: Linux OOM-killer dumps explained"),
        *help_blocks,
        {"type": "divider"},
        _section("*Latest analyses in this workspace*"),
    ]
    if not analyses:
        blocks.append(_context("No analyses yet: paste a dump in a channel I am in."))
    items = [
        render_mrkdwn(
            "home_item.j2",
            when=datetime.fromtimestamp(a.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC"),
            channel=a.channel if (a.channel or "").startswith(("C", "G")) else None,
            headline=a.headline,
            top_title=a.top_title,
        )
        for a in analyses
    ]
    if items:
        blocks.append(_section("\n".join(items)))
    return {"type": "home", "blocks": blocks[:100]}


def render_oom_modal(channel_id: str | None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "oomlens_paste",
        "title": {"type": "plain_text", "text": "Explain an OOM"},
        "submit": {"type": "plain_text", "text": "Analyse"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel": channel_id or ""}),
        "blocks": [
            {
                "type": "input",
                "block_id": "dump",
                "label": {"type": "plain_text", "text": "Paste the kernel log (dmesg, journalctl, syslog)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "max_length": 3000,
                    "placeholder": {"type": "plain_text", "text": "... invoked oom-killer: gfp_mask=..."},
                },
            },
            _context("Longer than 3000 characters? Upload the log as a file in the channel instead."),
        ],
    }

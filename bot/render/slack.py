"""Block Kit rendering of a ``Report`` (and of the bot's other messages) with Jinja2.

Every ``{{ value }}`` in a Slack template is escaped for mrkdwn (``&``, ``<``, ``>``) by the
environment's ``finalize`` hook, so text from a paste can never become a live mention or link;
the ``code`` filter also defuses backticks. Templates are rendered with ``StrictUndefined``.
Blocks stay within Slack's limits; a reply that would not fits becomes a short summary and the
full report goes into a file (``RenderedReply.file``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import jinja2

from bot.slack.text import escape_code, escape_mrkdwn, plain_text_safe, truncate
from knowledge.confidence import doubt

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_BLOCK_TEXT_TOTAL = 11000  # Slack rejects ~13.2k (msg_blocks_too_long); keep a margin
MAX_FALLBACK_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_EVENTS_INLINE = 5
EXPLANATION_CHARS = 1400

ACTION_DETAILS = "oomlens_details"
ACTION_UPLOAD = "oomlens_upload"
ACTION_FEEDBACK_HELPFUL = "oomlens_feedback_helpful"
ACTION_FEEDBACK_WRONG = "oomlens_feedback_wrong"
ACTION_GFP_SHARE = "oomlens_gfp_share"
DETAIL_KINDS = {"gfp": "GFP mask", "zones": "Zones", "processes": "Top processes", "memory": "Memory breakdown"}

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
_mrkdwn_env = jinja2.Environment(
    loader=_loader, undefined=jinja2.StrictUndefined, autoescape=False, finalize=_finalize,
    keep_trailing_newline=False,
)
_mrkdwn_env.filters.update(code=_code_filter, mrkdwn=_mrkdwn_filter, safe_id=_safe_id)
# Plain text (files, plain_text objects): no mrkdwn escaping; plain_text gets plain_text_safe().
_text_env = jinja2.Environment(loader=_loader, undefined=jinja2.StrictUndefined, autoescape=False)


def render_mrkdwn(template: str, **context: Any) -> str:
    return _mrkdwn_env.get_template(template).render(**context).strip()


def render_plain(template: str, **context: Any) -> str:
    return _text_env.get_template(template).render(**context).strip()


# -- view model -------------------------------------------------------------------------------


def top_finding(analysed: Any) -> Any | None:
    """The finding shown first: the diagnosis ranks findings, most likely cause first."""
    return analysed.findings[0] if analysed.findings else None


def _page_kb(report: Any) -> int:
    return getattr(report.dump, "page_size_kb", None) or 4


def _victim(event: Any) -> str | None:
    kill = event.kill
    if kill is not None and (kill.comm or kill.pid is not None):
        return f"{kill.comm or '?'} (pid {kill.pid})" if kill.pid is not None else str(kill.comm)
    summary = event.oom_summary
    if summary is not None and summary.task:
        return f"{summary.task} (pid {summary.pid})" if summary.pid is not None else summary.task
    return None


def _trigger(event: Any) -> str | None:
    trig = event.trigger
    if trig is None:
        return None
    parts = [f"{trig.comm or '?'}" + (f" (pid {trig.pid})" if trig.pid is not None else "")]
    if trig.gfp_mask:
        parts.append(f"gfp_mask={trig.gfp_mask}" + (f"({trig.gfp_symbolic})" if trig.gfp_symbolic else ""))
    if trig.order is not None:
        parts.append(f"order={trig.order}")
    return ", ".join(parts)


def _killed(event: Any, page_kb: int) -> str | None:
    kill = event.kill
    if kill is None:
        return None
    bits = [_victim(event) or "?"]
    for label, value in (("anon-rss", kill.anon_rss_kb), ("file-rss", kill.file_rss_kb),
                         ("shmem-rss", kill.shmem_rss_kb), ("total-vm", kill.total_vm_kb)):
        if value is not None:
            bits.append(f"{label} {value} kB")
    return ", ".join(bits)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[("-" if cell is None else str(cell)) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _gfp_text(analysed: Any) -> str | None:
    event = analysed.event
    if analysed.gfp is not None:
        try:
            from bot.cli_gfp import render_text  # the gfp issue's terminal renderer

            return str(render_text(analysed.gfp)).strip()
        except Exception:  # not there yet, or it could not render this decoding
            try:
                return json.dumps(analysed.gfp.to_dict(), indent=1, default=str)
            except Exception:
                pass
    trig = event.trigger
    mask = trig.gfp_mask if trig else None
    mask = mask or event.alloc_failure_mode
    if not mask:
        return None
    text = f"gfp_mask={mask}"
    if trig is not None and trig.gfp_symbolic:
        text += f"\nkernel's own decoding: {trig.gfp_symbolic}"
    if trig is not None and trig.order is not None:
        text += f"\norder={trig.order} ({(4 << trig.order)} kB with 4 kB pages)"
    return text


def _zones_text(event: Any) -> str | None:
    if not event.zones:
        return None
    rows = []
    for zone in event.zones:
        rows.append((f"{'' if zone.node is None else zone.node}", zone.name, zone.free_kb, zone.min_kb, zone.low_kb,
                     zone.high_kb, "yes" if zone.all_unreclaimable else ("no" if zone.all_unreclaimable is False else None)))
    return _table(("node", "zone", "free kB", "min kB", "low kB", "high kB", "unreclaimable"), rows)


def _processes_text(event: Any, page_kb: int, limit: int = 12) -> str | None:
    if not event.tasks:
        if event.task_table_present:
            return "The task table header is there but no row survived the paste."
        return None
    tasks = sorted(event.tasks, key=lambda t: t.rss_pages or 0, reverse=True)[:limit]
    rows = [(t.pid, t.name, None if t.rss_pages is None else t.rss_pages * page_kb,
             None if t.total_vm_pages is None else t.total_vm_pages * page_kb,
             t.swapents, t.oom_score_adj) for t in tasks]
    text = _table(("pid", "name", "rss kB", "total_vm kB", "swapents", "oom_score_adj"), rows)
    if len(event.tasks) > limit:
        text += f"\n... {len(event.tasks) - limit} more rows"
    return text


def _memory_text(event: Any, page_kb: int) -> str | None:
    lines: list[str] = []
    if event.meminfo:
        lines.append("Mem-Info (kB):")
        for key, pages in sorted(event.meminfo.items(), key=lambda kv: -kv[1])[:16]:
            lines.append(f"  {key:<22} {pages * page_kb:>12}")
    if event.total_swap_kb is not None or event.free_swap_kb is not None:
        lines.append(f"Swap: free {event.free_swap_kb} kB of {event.total_swap_kb} kB")
    for key, value in event.page_totals.items():
        lines.append(f"{key}: {value} pages")
    if event.memcg is not None:
        memcg = event.memcg
        lines.append(f"Memory cgroup: {memcg.path or memcg.stats_path or '?'}")
        for counter in memcg.counters:
            limit = "max" if counter.limit_kb is None else f"{counter.limit_kb} kB"
            lines.append(f"  {counter.resource}: usage {counter.usage_kb} kB, limit {limit}, failcnt {counter.failcnt}")
        for key, value in list(memcg.stats.items())[:12]:
            lines.append(f"  {key} {value}{(' ' + memcg.stats_units) if memcg.stats_units else ''}")
    return "\n".join(lines) if lines else None


def detail_sections(report: Any, analysed: Any) -> list[dict[str, str]]:
    page_kb = _page_kb(report)
    event = analysed.event
    sections = []
    for kind, body in (("gfp", _gfp_text(analysed)), ("zones", _zones_text(event)),
                       ("processes", _processes_text(event, page_kb)), ("memory", _memory_text(event, page_kb))):
        if body:
            sections.append({"kind": kind, "title": DETAIL_KINDS[kind], "body": body})
    return sections


def _event_view(report: Any, index: int, analysed: Any) -> dict[str, Any]:
    event = analysed.event
    page_kb = _page_kb(report)
    return {
        "number": index + 1,
        "label": KIND_LABELS.get(event.kind or "", "Kernel memory report"),
        "victim": _victim(event),
        "trigger": _trigger(event),
        "killed": _killed(event, page_kb),
        "findings": list(analysed.findings),
        "top": top_finding(analysed),
        "doubt": doubt(analysed.findings, event),
        "first_line": event.first_line,
        "last_line": event.last_line,
        "sections": detail_sections(report, analysed),
    }


# -- blocks -----------------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(plain_text_safe(text), MAX_HEADER_TEXT), "emoji": False}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": truncate(text, MAX_BUTTON_TEXT)},
                              "action_id": action_id, "value": value[:2000]}
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


def _actions(analysis_id: int | None, sections: list[dict[str, str]]) -> dict[str, Any]:
    elements = [_button(f"Details: {s['title']}", f"{ACTION_DETAILS}_{s['kind']}", action_value(analysis_id, 0, s["kind"]))
                for s in sections]
    elements.append(_button("Full report as file", ACTION_UPLOAD, action_value(analysis_id)))
    elements.append(_button("Helpful", ACTION_FEEDBACK_HELPFUL, action_value(analysis_id), "primary"))
    elements.append(_button("Wrong cause", ACTION_FEEDBACK_WRONG, action_value(analysis_id), "danger"))
    return {"type": "actions", "block_id": "oomlens_actions", "elements": elements}


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
    events = [_event_view(report, i, ae) for i, ae in enumerate(report.events)]
    return render_plain("headline.j2", events=events, kernel=report.kernel)


def render_report(report: Any, *, analysis_id: int | None, force_file: bool = False) -> RenderedReply:
    """The reply to a paste: headline + top finding at once, detail/feedback buttons."""
    events = [_event_view(report, i, ae) for i, ae in enumerate(report.events)]
    if not events:
        raise ValueError("render_report needs a report with at least one event")
    head = render_plain("headline.j2", events=events, kernel=report.kernel)
    top = events[0]["top"]
    text = truncate(render_mrkdwn("fallback_text.j2", headline=head, top=top), MAX_FALLBACK_TEXT)
    multi = len(events) > 1
    other_findings = sum(max(0, len(e["findings"]) - 1) for e in events)

    blocks: list[dict[str, Any]] = [_header(head)]
    for view in events[:MAX_EVENTS_INLINE]:
        finding = view["top"]
        explanation = truncate(finding.explanation, EXPLANATION_CHARS) if finding else ""
        blocks.append(_section(render_mrkdwn("finding.j2", finding=finding, event=view, multi=multi,
                                             explanation=explanation)))
        if finding and finding.remediation:
            blocks.append(_section(render_mrkdwn("remediation.j2", steps=list(finding.remediation)[:5])))
        if view["doubt"]:
            blocks.append(_section(escape_mrkdwn(view["doubt"])))
    blocks.append(_context(render_mrkdwn("context.j2", kernel=report.kernel, arch=report.arch,
                                         other_findings=other_findings, warnings=list(report.warnings)[:2])))
    blocks.append(_actions(analysis_id, events[0]["sections"]))

    oversize = (force_file or len(events) > MAX_EVENTS_INLINE or len(blocks) > MAX_BLOCKS
                or block_text_length(blocks) > MAX_BLOCK_TEXT_TOTAL)
    rendered = RenderedReply(text=text, blocks=blocks, headline=head,
                             top_code=getattr(top, "code", None), top_title=getattr(top, "title", None),
                             event_count=len(events))
    if oversize:
        short = [_header(head), _section(render_mrkdwn("summary_oversize.j2", events=events, limit=15))]
        if top is not None:
            short.append(_section(render_mrkdwn("finding.j2", finding=top, event=events[0], multi=multi,
                                                explanation=truncate(top.explanation, 600))))
        short.append(_actions(analysis_id, events[0]["sections"]))
        rendered.blocks = short
        rendered.oversize = True
        rendered.file = (report_filename(), render_report_text(report))
    return rendered


def report_filename() -> str:
    return f"oomlens-report-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.txt"


def render_report_text(report: Any) -> str:
    """The whole analysis as plain text, for the uploaded file (not mrkdwn: no escaping)."""
    events = [_event_view(report, i, ae) for i, ae in enumerate(report.events)]
    return render_plain("report.txt.j2", headline=render_plain("headline.j2", events=events, kernel=report.kernel)
                        if events else (report.message or ""), kernel=report.kernel, arch=report.arch,
                        warnings=list(report.warnings), events=events) + "\n"


def render_details(report: Any, event_index: int, kind: str) -> tuple[str, list[dict[str, Any]]]:
    if not report.events:
        return "Nothing to show.", [_section("Nothing to show.")]
    event_index = min(max(event_index, 0), len(report.events) - 1)
    sections = {s["kind"]: s for s in detail_sections(report, report.events[event_index])}
    section = sections.get(kind)
    if section is None:
        message = f"The paste does not show the {DETAIL_KINDS.get(kind, kind).lower()}."
        return message, [_section(escape_mrkdwn(message))]
    body = truncate(section["body"], MAX_SECTION_TEXT - 120)
    text = render_mrkdwn("details_code.j2", title=section["title"], body=body)
    return f"{section['title']} details", [_section(text)]


def render_gfp(mask: str, release: str | None, body: str, *, shareable: bool) -> tuple[str, list[dict[str, Any]]]:
    text = render_mrkdwn("gfp.j2", mask=mask, release=release, body=truncate(body, MAX_SECTION_TEXT - 200))
    blocks: list[dict[str, Any]] = [_section(text)]
    if shareable:
        value = json.dumps({"m": mask, "r": release}, separators=(",", ":"))
        blocks.append({"type": "actions", "block_id": "oomlens_gfp",
                       "elements": [_button("Share in channel", ACTION_GFP_SHARE, value, "primary")]})
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
    blocks: list[dict[str, Any]] = [_header("oomlens: Linux OOM-killer dumps explained"), *help_blocks, {"type": "divider"},
                                    _section("*Latest analyses in this workspace*")]
    if not analyses:
        blocks.append(_context("No analyses yet: paste a dump in a channel I am in."))
    items = [render_mrkdwn("home_item.j2", when=datetime.fromtimestamp(a.created_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                           channel=a.channel if (a.channel or "").startswith(("C", "G")) else None,
                           headline=a.headline, top_title=a.top_title) for a in analyses]
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
            {"type": "input", "block_id": "dump",
             "label": {"type": "plain_text", "text": "Paste the kernel log (dmesg, journalctl, syslog)"},
             "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 3000,
                         "placeholder": {"type": "plain_text", "text": "... invoked oom-killer: gfp_mask=..."}}},
            _context("Longer than 3000 characters? Upload the log as a file in the channel instead."),
        ],
    }

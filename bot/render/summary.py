"""Summaries as terminal text, Markdown, JSON and Slack Block Kit.

Every string that came from a paste (host, process, cgroup names) is escaped for the target:
mrkdwn (``&``, ``<``, ``>``) in Slack, Markdown table/pipe characters in Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.incidents.build import Count, Summary, cause_label, duration_text, placed_in_time, workload_label
from bot.render.mrkdwn import escape_mrkdwn, plain_text_safe, truncate, truncate_mrkdwn
from bot.store import EventRecord
from knowledge.units import size

Linker = Callable[[EventRecord], str | None]
BAR = "\u2588"


def when_text(epoch: float | None, *, date: bool = True) -> str:
    if epoch is None:
        return "?"
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M" if date else "%H:%M")


def bucket_label(start: float, size: int) -> str:
    moment = datetime.fromtimestamp(start, tz=UTC)
    return moment.strftime("%m-%d %H:%M" if size < 86400 else "%Y-%m-%d")


def totals_line(summary: Summary) -> str:
    if not summary.records:
        return "No kernel memory events recorded in this period."
    kinds = ", ".join(f"{c.count} {c.label}" for c in summary.kinds)
    parts = [f"{summary.total} event{'s' if summary.total != 1 else ''} ({kinds})"]
    undated = len(summary.undated)
    if summary.first is not None and summary.last is not None:
        span = summary.last - summary.first
        parts.append(f"from {when_text(summary.first)} to {when_text(summary.last)} UTC ({duration_text(span)})")
    if undated:
        which = "they" if undated == summary.total else f"{undated} of them"
        parts[-1] += f"; {which} cannot be placed in time (the log shows only seconds since boot, or no time)"
    extra = []
    if summary.by_host:
        extra.append(f"{len(summary.by_host)} host{'s' if len(summary.by_host) != 1 else ''}")
    if summary.by_victim:
        extra.append(f"{len(summary.by_victim)} process name{'s' if len(summary.by_victim) != 1 else ''} killed")
    if summary.by_workload:
        extra.append(
            f"{len(summary.by_workload)} container{'s' if len(summary.by_workload) != 1 else ''} or unit{'s' if len(summary.by_workload) != 1 else ''}"
        )
    return " ".join(parts) + (("; " + ", ".join(extra)) if extra else "")


def event_line(record: EventRecord) -> str:
    bits = [when_text(record.when) if placed_in_time(record) else "time unknown"]
    if record.host:
        bits.append(record.host)
    bits.append(f"{record.victim_comm or '?'} killed" if record.victim_comm else (record.kind or "event"))
    if record.figures.get("memcg_limit_kb"):
        bits.append(f"memcg limit {size(record.figures['memcg_limit_kb'])}")
    bits.append(cause_label(record.category))
    return ", ".join(bits)


def _timeline_rows(summary: Summary, width: int = 30) -> list[tuple[str, int, str]]:
    peak = max((b.total for b in summary.timeline), default=0) or 1
    rows = []
    for bucket in summary.timeline:
        if not bucket.total:
            continue
        causes = ", ".join(f"{cause_label(c)} {n}" for c, n in sorted(bucket.by_cause.items(), key=lambda x: -x[1]))
        bar = BAR * max(1, round(bucket.total / peak * width))
        rows.append((bucket_label(bucket.start, summary.bucket_s), bucket.total, f"{bar} {bucket.total}  {causes}"))
    return rows


def _group_lines(counts: Sequence[Count], limit: int = 8) -> list[str]:
    lines = [f"{c.count:>4}  {c.label}" + (f" ({c.detail})" if c.detail else "") for c in counts[:limit]]
    if len(counts) > limit:
        lines.append(f"      ... and {len(counts) - limit} more")
    return lines


GROUPS = (
    ("By root cause", "by_cause"),
    ("By host", "by_host"),
    ("By process killed", "by_victim"),
    ("By container / pod / unit", "by_workload"),
)


def render_text(summary: Summary, *, linker: Linker | None = None) -> str:
    out = [summary.title, "=" * min(len(summary.title), 100), totals_line(summary)]
    if not summary.records:
        return "\n".join(out) + "\n"
    if summary.patterns:
        out += ["", "Recurring"]
        out += [f"  * {p.text}" for p in summary.patterns[:6]]
    for title, name in GROUPS:
        counts = getattr(summary, name)
        if counts:
            out += ["", title] + ["  " + line for line in _group_lines(counts)]
    rows = _timeline_rows(summary)
    if rows:
        size = duration_text(summary.bucket_s).replace("60 min", "1 h")
        out += ["", f"Timeline ({size} buckets, UTC)"] + [f"  {label}  {text}" for label, _n, text in rows]
    if summary.actions:
        out += ["", "What would prevent most of them"]
        out += [f"  {i}. {a.text} ({a.covers} of {summary.total} events)" for i, a in enumerate(summary.actions, 1)]
    out += ["", "Events"] + [f"  {event_line(r)}" for r in summary.records[-20:]]
    if summary.total > 20:
        out.append(f"  ... {summary.total - 20} earlier events not shown")
    return "\n".join(out) + "\n"


def _md(value: object) -> str:
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("`", "\\`")
    )


def render_markdown(summary: Summary, *, linker: Linker | None = None) -> str:
    out = [f"## {_md(summary.title)}", "", _md(totals_line(summary))]
    if not summary.records:
        return "\n".join(out) + "\n"
    if summary.patterns:
        out += ["", "### Recurring", ""] + [f"- {_md(p.text)}" for p in summary.patterns[:6]]
    for title, name in GROUPS:
        counts = getattr(summary, name)
        if counts:
            out += ["", f"### {title}", "", "| events | |", "| ---: | --- |"]
            out += [
                f"| {c.count} | {_md(c.label)}{' (' + _md(c.detail) + ')' if c.detail else ''} |" for c in counts[:10]
            ]
    rows = _timeline_rows(summary)
    if rows:
        out += ["", "### Timeline (UTC)", "", "```"] + [f"{label}  {text}" for label, _n, text in rows] + ["```"]
    if summary.actions:
        out += ["", "### What would prevent most of them", ""]
        out += [f"{i}. {_md(a.text)} ({a.covers} of {summary.total} events)" for i, a in enumerate(summary.actions, 1)]
    out += ["", "### Events", ""]
    for record in summary.records[-30:]:
        link = linker(record) if linker else None
        line = _md(event_line(record))
        out.append(f"- [{line}]({link})" if link else f"- {line}")
    return "\n".join(out) + "\n"


def summary_dict(summary: Summary, *, linker: Linker | None = None) -> dict[str, Any]:
    def counts(items: Sequence[Count]) -> list[dict[str, Any]]:
        return [
            {"label": c.label, "count": c.count, "first": c.first, "last": c.last, "detail": c.detail} for c in items
        ]

    return {
        "title": summary.title,
        "window": {"since": summary.window_start, "until": summary.window_end},
        "total": summary.total,
        "first": summary.first,
        "last": summary.last,
        "undated": len(summary.undated),
        "kinds": counts(summary.kinds),
        "by_cause": counts(summary.by_cause),
        "by_host": counts(summary.by_host),
        "by_victim": counts(summary.by_victim),
        "by_workload": counts(summary.by_workload),
        "timeline": {
            "bucket_s": summary.bucket_s,
            "buckets": [{"start": b.start, "by_cause": b.by_cause} for b in summary.timeline if b.total],
        },
        "patterns": [{"text": p.text, "count": p.count} for p in summary.patterns],
        "actions": [{"text": a.text, "covers": a.covers, "codes": list(a.codes)} for a in summary.actions],
        "events": [
            {
                "when": r.when if placed_in_time(r) else None,
                "event_time": r.event_time,
                "posted_at": r.posted_at,
                "host": r.host,
                "kind": r.kind,
                "victim": r.victim_comm,
                "victim_pid": r.victim_pid,
                "trigger": r.trigger_comm,
                "cgroup": r.cgroup,
                "workload": workload_label(r),
                "pod_uid": r.pod_uid,
                "container_id": r.container_id,
                "systemd_unit": r.systemd_unit,
                "kernel": r.kernel,
                "top_code": r.top_code,
                "category": r.category,
                "confidence": r.confidence,
                "figures": r.figures,
                "channel": r.channel,
                "message_ts": r.message_ts,
                "link": linker(r) if linker else None,
            }
            for r in summary.records
        ],
    }


# -- Slack ------------------------------------------------------------------------------------

SECTION_LIMIT = 2900


def _link(url: str | None, label: str) -> str:
    """A mrkdwn link; the label is escaped, the URL's & as Slack wants it."""
    if not url:
        return escape_mrkdwn(label)
    safe_label = escape_mrkdwn(label).replace("|", "\u2223")
    return f"<{url.replace('&', '&amp;')}|{safe_label}>"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate_mrkdwn(text, SECTION_LIMIT)}}


def render_slack(
    summary: Summary, *, linker: Linker | None = None, note: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for chat.postMessage; within Block Kit limits for any input."""
    header = truncate(plain_text_safe(summary.title), 150)
    fallback = truncate(f"{summary.title}: {totals_line(summary)}", 2900)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        _section(escape_mrkdwn(totals_line(summary))),
    ]
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(note)}]})
    if not summary.records:
        return escape_mrkdwn(fallback), blocks
    if summary.patterns:
        lines = []
        for pattern in summary.patterns[:5]:
            latest = pattern.records[-1]
            link = linker(latest) if linker and latest.message_ts else None
            lines.append(
                f"\u2022 {escape_mrkdwn(truncate(pattern.text, 400))}"
                + (f" ({_link(link, 'latest thread')})" if link else "")
            )
        blocks.append(_section("*Recurring*\n" + "\n".join(lines)))
    fields = []
    for title, name in GROUPS:
        counts = getattr(summary, name)
        if counts:
            body = "\n".join(f"{c.count} \u00d7 {escape_mrkdwn(truncate(c.label, 60))}" for c in counts[:6])
            if len(counts) > 6:
                body += f"\n\u2026 {len(counts) - 6} more"
            fields.append({"type": "mrkdwn", "text": truncate_mrkdwn(f"*{title}*\n{body}", 1900)})
    if fields:
        blocks.append({"type": "section", "fields": fields})
    rows = _timeline_rows(summary, width=16)
    if rows:
        text = "\n".join(f"{label}  {line}" for label, _n, line in rows[-24:])
        blocks.append(_section("*Timeline (UTC)*\n```" + escape_mrkdwn(truncate(text, 2700)) + "```"))
    if summary.actions:
        lines = [
            f"{i}. {escape_mrkdwn(truncate(a.text, 600))} _({a.covers} of {summary.total} events)_"
            for i, a in enumerate(summary.actions, 1)
        ]
        blocks.append(_section("*What would prevent most of them*\n" + "\n".join(lines)))
    if summary.threads:
        # Whole links only: cutting the joined text could split a <url|label> or an &lt; escape.
        text = "Threads:"
        shown = 0
        for record in summary.threads[:10]:
            label = truncate(f"{when_text(record.when)} {record.host or ''} {record.victim_comm or ''}".strip(), 80)
            link = _link(linker(record) if linker else None, label)
            if len(text) + len(link) + 40 > 2900:
                break
            text += (" \u00b7 " if shown else " ") + link
            shown += 1
        if len(summary.threads) > shown:
            text += f" \u2026 and {len(summary.threads) - shown} more"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return escape_mrkdwn(fallback), blocks

"""Slack wire-format text: escaping what we send, unescaping what we receive, spotting dumps.

Slack sends message text with ``&``, ``<`` and ``>`` entity-encoded and with links, mentions
and channels as ``<...>`` markup. Everything the bot quotes from a paste is escaped again before
it goes into mrkdwn, so a process called ``<!channel>`` pings nobody.
"""

from __future__ import annotations

import re

# <https://example.com|label>, <mailto:x@y|x>, <@U123>, <#C123|name>, <!here>, <!subteam^S1|@team>
_SLACK_MARKUP_RE = re.compile(r"<([^<>\n]*)>")


def _markup_replacement(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#", "!")):
        # A mention in a paste is text the user typed: keep a readable, inert form.
        return "@" + (label.lstrip("@") if label else target[1:]) if target[0] != "#" else "#" + (label or target[1:])
    return label or target


def unescape_slack(text: str) -> str:
    """Turn Slack wire-format text back into what the user pasted.

    Link/mention markup is reduced to its label first (it uses real angle brackets), then the
    entities are decoded, ``&amp;`` last so ``&amp;lt;`` stays the literal ``&lt;`` that was typed.
    """
    text = _SLACK_MARKUP_RE.sub(_markup_replacement, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


_FENCE_RE = re.compile(r"^\s*```[a-zA-Z0-9_+-]*\s*$")


def strip_formatting(text: str) -> str:
    """Remove code fences (``` lines, inline ``` glued to text) and block-quote markers."""
    out: list[str] = []
    for line in text.splitlines():
        if _FENCE_RE.match(line):
            continue
        stripped = line
        if stripped.startswith("```"):
            stripped = stripped[3:]
        if stripped.endswith("```"):
            stripped = stripped[:-3]
        if stripped.startswith("> "):
            stripped = stripped[2:]
        elif stripped == ">":
            stripped = ""
        out.append(stripped)
    return "\n".join(out)


def message_text_to_paste(text: str) -> str:
    """Slack message text -> the plain text the parser expects."""
    return strip_formatting(unescape_slack(text or ""))


# Lines that open a kernel memory event: only these make the bot speak up.
_EVENT_MARKERS = re.compile(
    r"invoked oom-killer|Out of memory|Memory cgroup out of memory|page allocation failure"
    r"|oom-kill:constraint|Killed process \d+|oom_kill_process|System is deadlocked on memory"
    r"|page allocation stalls",
    re.IGNORECASE,
)

# Lines that look like the body of such a report (for stitching a paste split over messages).
_KERNEL_LINE = re.compile(
    r"^\s*(?:<\d>)?(?:\[\s*\d+\.\d+\]|\w{3}\s+\d+\s+\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d)"
    r"|Mem-Info|Node \d+ |\b(?:DMA32|DMA|Normal|HighMem|Movable)\b.*(?:free|kB)"
    r"|active_anon|\[\s*pid\s*\]|^\s*\[\s*\d+\]\s+\d+|pages RAM|Free swap|lowmem_reserve"
    r"|Call Trace|\+0x[0-9a-f]+/0x[0-9a-f]+|kernel:",
    re.IGNORECASE,
)


def has_event_marker(text: str) -> bool:
    return bool(_EVENT_MARKERS.search(text))


def kernel_line_ratio(text: str) -> float:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 0.0
    return sum(1 for line in lines if _KERNEL_LINE.search(line)) / len(lines)


def looks_like_dump_fragment(text: str) -> bool:
    """A message made mostly of kernel log lines (a continuation of a split paste)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 2 and kernel_line_ratio(text) >= 0.5


def looks_binary(data: bytes) -> bool:
    """Heuristic for "this file is not text": NUL bytes or many control characters."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.05

"""Slack wire-format text: escaping what we send, unescaping what we receive.

Whether a message holds a dump is not decided here: every surface asks ``grammar/detect.py``.

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


def looks_binary(data: bytes) -> bool:
    """Heuristic for "this file is not text": NUL bytes or many control characters."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return control / len(sample) > 0.05

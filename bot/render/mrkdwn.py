"""Slack mrkdwn escaping of what the bot sends: everything quoted from a paste goes through here,
so a process called ``<!channel>`` pings nobody (Slack's three control characters are ``&<>``)."""

from __future__ import annotations

import re

_MRKDWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MRKDWN_RE = re.compile(r"[&<>]")


def escape_mrkdwn(value: object) -> str:
    """Escape Slack's three control characters (and nothing else)."""
    return _MRKDWN_RE.sub(lambda m: _MRKDWN_ESCAPES[m.group(0)], str(value))


def escape_code(value: object) -> str:
    """Escape for use inside a ``code span``/```block```: also defuse backticks that would end it."""
    return escape_mrkdwn(value).replace("`", "\u02cb")


def plain_text_safe(value: object) -> str:
    """Text for ``plain_text`` objects: Slack does not document whether ``<!channel>`` there
    notifies, so angle brackets are replaced by look-alikes instead of relying on it."""
    return str(value).replace("<", "\u2039").replace(">", "\u203a").replace("&", "+")


def file_text(value: object, limit: int = 250) -> str:
    """A file title or alt text (shown as plain text; it can carry a victim's name from the paste)."""
    return truncate(plain_text_safe(value), limit)


def truncate(value: str, limit: int, marker: str = "\u2026") -> str:
    if len(value) <= limit:
        return value
    return value[: max(0, limit - len(marker))] + marker


_OPEN_MARKUP = re.compile(r"<[^<>]*$|&[a-z]{0,4}$")


def truncate_mrkdwn(value: str, limit: int, marker: str = "\u2026") -> str:
    """Truncate escaped mrkdwn without splitting a ``<url|label>`` link or an ``&lt;`` entity:
    a cut inside either would leave a raw ``<`` or ``&`` that Slack reads as markup."""
    if len(value) <= limit:
        return value
    cut = value[: max(0, limit - len(marker))]
    return _OPEN_MARKUP.sub("", cut) + marker

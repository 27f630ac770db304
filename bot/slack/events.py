"""Reading Slack payloads: who sent a message, and the text a message carries."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from grammar.detect import holds_event

from . import metrics
from .text import message_text_to_paste

log = logging.getLogger(__name__)


def is_from_self(message: dict[str, Any], context: Any) -> bool:
    bot_user_id = context.get("bot_user_id") if context is not None else None
    bot_id = context.get("bot_id") if context is not None else None
    if bot_user_id and message.get("user") == bot_user_id:
        return True
    return bool(bot_id and message.get("bot_id") == bot_id)


def mentions_bot(text: str, context: Any) -> bool:
    bot_user_id = context.get("bot_user_id") if context is not None else None
    return bool(bot_user_id) and f"<@{bot_user_id}>" in (text or "")


def _block_texts(blocks: Iterable[Any]) -> Iterable[str]:
    for block in blocks or ():
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            yield text["text"]
        for element in block.get("elements") or ():  # rich_text sections/preformatted
            if isinstance(element, dict):
                parts = [e.get("text", "") for e in element.get("elements") or () if isinstance(e, dict)]
                if parts:
                    yield "".join(parts)


def message_paste(message: dict[str, Any]) -> str:
    """The paste a message carries, unescaped: its text, or else (alert bots) its attachments/blocks."""
    text = message.get("text") or ""
    paste = message_text_to_paste(text)
    if holds_event(paste):
        return paste
    extra: list[str] = []
    for attachment in message.get("attachments") or ():
        if isinstance(attachment, dict):
            for key in ("pretext", "text"):
                if isinstance(attachment.get(key), str):
                    extra.append(attachment[key])
            if not attachment.get("text") and isinstance(attachment.get("fallback"), str):
                extra.append(attachment["fallback"])
            extra.extend(_block_texts(attachment.get("blocks")))
    if not extra:
        extra.extend(_block_texts(message.get("blocks")))
    if not extra:
        return paste
    return "\n".join([paste, *(message_text_to_paste(t) for t in extra)]).strip("\n")


EVENT_DEDUP_TTL_S = 24 * 3600  # Slack retries for minutes; keep ids a day


def once_per_event(handler: Callable[..., None]) -> Callable[..., None]:
    """Run an Events API listener at most once per ``event_id`` (Slack's retries carry the same id).

    The check runs in the listener, i.e. after Bolt has acknowledged the request, so the ack path
    never waits on the database; the key is persisted, so a restarted bot skips retries too.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        body = kwargs.get("body") or {}
        context = kwargs.get("context")
        event_id = body.get("event_id")
        if event_id and context is not None:
            services = context["oomlens"]
            if not services.store.claim(f"event:{event_id}", ttl_s=EVENT_DEDUP_TTL_S):
                log.info("dropped repeated delivery of %s", event_id)
                metrics.deduplicated("event")
                return None
        return handler(*args, **kwargs)

    return wrapper

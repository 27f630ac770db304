"""Reading Slack payloads: who sent a message, and the text a message carries."""

from __future__ import annotations

from typing import Any, Iterable

from .text import has_event_marker, message_text_to_paste


def is_from_self(message: dict[str, Any], context: Any) -> bool:
    bot_user_id = context.get("bot_user_id") if context is not None else None
    bot_id = context.get("bot_id") if context is not None else None
    if bot_user_id and message.get("user") == bot_user_id:
        return True
    if bot_id and message.get("bot_id") == bot_id:
        return True
    return False


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
    if has_event_marker(paste):
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

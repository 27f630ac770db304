"""`@oomlens` in a thread: analyse the whole thread; elsewhere: analyse the message or explain usage."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.render.blockkit import render_help, render_notice
from bot.slack.delivery import FAILED, NO_EVENT, deliver, post_message
from bot.slack.events import is_from_self, message_paste, once_per_event
from bot.slack.services import Services

log = logging.getLogger(__name__)

MAX_THREAD_MESSAGES = 200


def _thread_paste(client: Any, channel: str, thread_ts: str, context: Any) -> str:
    parts: list[str] = []
    cursor = None
    seen = 0
    while seen < MAX_THREAD_MESSAGES:
        kwargs = {"channel": channel, "ts": thread_ts, "limit": 100}
        if cursor:
            kwargs["cursor"] = cursor
        response = client.conversations_replies(**kwargs)
        for message in response.get("messages") or ():
            seen += 1
            if not is_from_self(message, context):
                parts.append(message_paste(message))
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return "\n".join(p for p in parts if p)


@once_per_event
def handle_mention(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any) -> None:
    services: Services = context["oomlens"]
    if is_from_self(event, context):
        return
    channel, ts = event.get("channel"), event.get("ts")
    if not channel or not ts:
        return
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != ts:
        try:
            paste = _thread_paste(client, channel, thread_ts, context)
        except SlackApiError as error:
            log.warning("conversations.replies failed in %s: %s", channel, error.response.get("error"))
            paste = message_paste(event)
        source_kind = "thread"
    else:
        thread_ts = ts
        paste = message_paste(event)
        source_kind = "mention"
    outcome = deliver(
        services,
        client,
        team_id=body.get("team_id"),
        channel=channel,
        source_ts=ts,
        thread_ts=thread_ts,
        paste=paste,
        source_kind=source_kind,
        user_id=event.get("user"),
    )
    if outcome.status not in (NO_EVENT, FAILED):
        return
    if not services.store.claim(f"reply:{channel}:{ts}", ttl_s=7 * 86400):
        return
    if source_kind == "thread" or outcome.status == FAILED:
        text, blocks = render_notice(outcome.message or "I found no kernel memory event in this thread.")
    else:
        text, blocks = render_help()
    post_message(services, client, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)


def register(app: App) -> None:
    app.event("app_mention")(handle_mention)

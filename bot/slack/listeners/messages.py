"""Messages in channels the bot is in: answer pasted dumps in the thread, follow edits.

A dump split over several consecutive messages of the same author (Slack cuts long pastes) is
stitched: the answer to the first part is updated as the next parts arrive. A message is joined
to the previous one only when both hold: the previous paste ended inside a report (the parser
says its last event is incomplete), and the new message holds no report of its own. Two
complete dumps pasted seconds apart therefore get two answers, whatever precedes the second.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App

from bot.slack.delivery import deliver
from bot.slack.events import is_from_self, mentions_bot, message_paste, once_per_event
from bot.slack.services import Services
from bot.store.store import Fragment
from grammar.detect import ends_inside_report, holds_event, looks_like_report_part, starts_report

log = logging.getLogger(__name__)

FRAGMENT_WINDOW_S = 180.0  # parts of one paste arrive within seconds; be generous


def _bot_allowed(services: Services, message: dict[str, Any], channel: str) -> bool:
    """Other bots (alerting tools) are answered, but only at top level and at a bounded rate,
    so two bots can never keep answering each other."""
    if not message.get("bot_id") and message.get("subtype") != "bot_message":
        return True
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != message.get("ts"):
        return False
    return services.bot_limiter.allow(channel, message.get("bot_id") or "bot")


@once_per_event
def handle_message(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any) -> None:
    services: Services = context["oomlens"]
    if is_from_self(event, context) or event.get("hidden"):
        return
    channel, ts = event.get("channel"), event.get("ts")
    if not channel or not ts:
        return
    if mentions_bot(event.get("text") or "", context):
        return  # the app_mention listener answers messages that address the bot
    paste = message_paste(event)
    marker = holds_event(paste)
    fragment_like = marker or looks_like_report_part(paste)
    author = event.get("user") or event.get("bot_id") or "unknown"
    thread_key = event.get("thread_ts") or "-"
    team_id = body.get("team_id") or event.get("team")

    with services.locks.get(f"{channel}:{author}:{thread_key}"):
        previous = services.store.fragment(channel, author, thread_key)
        if not fragment_like:
            if previous is not None:
                services.store.drop_fragment(channel, author, thread_key)
            return
        if not _bot_allowed(services, event, channel):
            return
        if not services.store.claim(f"msg:{channel}:{ts}", ttl_s=7 * 86400):
            return
        recent = previous is not None and time.time() - previous.updated_at < FRAGMENT_WINDOW_S
        # A saved part with no event yet is kernel lines of a report still arriving (a part is
        # saved only when it looks like one); one with events may already be complete.
        unfinished = recent and (not holds_event(previous.text) or ends_inside_report(previous.text))
        if unfinished and not starts_report(paste):
            # The next part of a paste already started: analyse all parts, answer the first.
            combined = previous.text + "\n" + paste
            if len(combined) > services.settings.max_file_bytes:
                return
            services.store.save_fragment(
                channel, author, thread_key, Fragment(previous.first_ts, ts, combined, time.time())
            )
            deliver(
                services,
                client,
                team_id=team_id,
                channel=channel,
                source_ts=previous.first_ts,
                thread_ts=event.get("thread_ts") or previous.first_ts,
                paste=combined,
                source_kind="message",
                user_id=event.get("user") or event.get("bot_id"),
            )
            return
        services.store.save_fragment(channel, author, thread_key, Fragment(ts, ts, paste, time.time()))
        if marker:
            deliver(
                services,
                client,
                team_id=team_id,
                channel=channel,
                source_ts=ts,
                thread_ts=event.get("thread_ts") or ts,
                paste=paste,
                source_kind="message",
                user_id=event.get("user") or event.get("bot_id"),
            )


@once_per_event
def handle_message_changed(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any) -> None:
    services: Services = context["oomlens"]
    message = event.get("message") or {}
    previous = event.get("previous_message") or {}
    channel = event.get("channel")
    ts = message.get("ts")
    if not channel or not ts or is_from_self(message, context):
        return
    if (message.get("text") or "") == (previous.get("text") or ""):
        return  # unfurls, language metadata...: nothing the user changed
    if message.get("bot_id") and not _bot_allowed(services, message, channel):
        return
    paste = message_paste(message)
    existing = services.store.reply_for(channel, ts)
    if existing is None and not holds_event(paste):
        return
    deliver(
        services,
        client,
        team_id=body.get("team_id"),
        channel=channel,
        source_ts=ts,
        thread_ts=message.get("thread_ts") or ts,
        paste=paste,
        source_kind="edit",
        user_id=message.get("user") or message.get("bot_id"),
    )


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "message_changed"})(handle_message_changed)
    app.event({"type": "message", "subtype": (None, "bot_message", "thread_broadcast")})(handle_message)

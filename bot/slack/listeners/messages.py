"""Messages in channels the bot is in: answer pasted dumps in the thread, follow edits.

A dump split over several consecutive messages of the same author (Slack cuts long pastes) is
stitched: the answer to the first part is updated as the next parts arrive.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from slack_bolt import App

from bot.slack.delivery import deliver_analysis
from bot.slack.hooks import after_delivery
from bot.slack.events import once_per_event, is_from_self, mentions_bot, message_paste
from bot.slack.services import Services
from bot.slack.text import has_event_marker, looks_like_dump_fragment
from bot.store.store import Fragment

log = logging.getLogger(__name__)

FRAGMENT_WINDOW_S = 180.0  # parts of one paste arrive within seconds; be generous
_OPENER = re.compile(r"invoked oom-killer|page allocation failure|Out of memory:|Memory cgroup out of memory",
                     re.IGNORECASE)


def _starts_new_event(paste: str) -> bool:
    head = "\n".join(line for line in paste.splitlines() if line.strip())
    head = "\n".join(head.splitlines()[:3])
    return bool(_OPENER.search(head))


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
    marker = has_event_marker(paste)
    fragment_like = marker or looks_like_dump_fragment(paste)
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
        if recent and not _starts_new_event(paste):
            # The next part of a paste already started: analyse all parts, answer the first.
            combined = previous.text + "\n" + paste
            if len(combined) > services.settings.max_file_bytes:
                return
            services.store.save_fragment(channel, author, thread_key,
                                         Fragment(previous.first_ts, ts, combined, time.time()))
            outcome = deliver_analysis(services, client, team_id=team_id, channel=channel,
                                       source_ts=previous.first_ts,
                                       thread_ts=event.get("thread_ts") or previous.first_ts, paste=combined,
                                       source_kind="message")
            after_delivery(context, client, outcome, paste=combined, team_id=team_id, channel=channel,
                           source_ts=previous.first_ts, thread_ts=event.get("thread_ts") or previous.first_ts,
                           user_id=event.get("user") or event.get("bot_id"), source_kind="message")
            return
        services.store.save_fragment(channel, author, thread_key, Fragment(ts, ts, paste, time.time()))
        if marker:
            outcome = deliver_analysis(services, client, team_id=team_id, channel=channel, source_ts=ts,
                                       thread_ts=event.get("thread_ts") or ts, paste=paste, source_kind="message")
            after_delivery(context, client, outcome, paste=paste, team_id=team_id, channel=channel, source_ts=ts,
                           thread_ts=event.get("thread_ts") or ts, user_id=event.get("user") or event.get("bot_id"),
                           source_kind="message")


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
    if existing is None and not has_event_marker(paste):
        return
    outcome = deliver_analysis(services, client, team_id=body.get("team_id"), channel=channel, source_ts=ts,
                               thread_ts=message.get("thread_ts") or ts, paste=paste, source_kind="edit")
    after_delivery(context, client, outcome, paste=paste, team_id=body.get("team_id"), channel=channel, source_ts=ts,
                   thread_ts=message.get("thread_ts") or ts, user_id=message.get("user") or message.get("bot_id"),
                   source_kind="edit")


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "message_changed"})(handle_message_changed)
    app.event({"type": "message", "subtype": (None, "bot_message", "thread_broadcast")})(handle_message)

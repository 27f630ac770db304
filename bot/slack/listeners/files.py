"""Files and snippets shared in a channel (`message` with subtype `file_share`).

Plain text, `.log`, `.txt` and `.gz` files are downloaded with the bot token (only from Slack's
file hosts), their text is joined with the message's own text and analysed like a paste.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.render.blockkit import render_notice
from bot.slack.delivery import deliver, post_message
from bot.slack.download import read_files
from bot.slack.events import is_from_self, message_paste, once_per_event
from bot.slack.services import Services
from grammar.detect import holds_event


@once_per_event
def handle_file_share(event: dict[str, Any], body: dict[str, Any], client: Any, context: Any) -> None:
    services: Services = context["oomlens"]
    if is_from_self(event, context):
        return
    channel, ts = event.get("channel"), event.get("ts")
    files = [f for f in event.get("files") or () if isinstance(f, dict)]
    if not channel or not ts or not files:
        return
    if not services.store.claim(f"msg:{channel}:{ts}", ttl_s=7 * 86400):
        return
    thread_ts = event.get("thread_ts") or ts
    texts, problems = read_files(services, client, files)
    message_text = message_paste(event)
    parts = [message_text] if holds_event(message_text) else []
    parts.extend(texts)
    if parts:
        outcome = deliver(
            services,
            client,
            team_id=body.get("team_id"),
            channel=channel,
            source_ts=ts,
            thread_ts=thread_ts,
            paste="\n".join(parts),
            source_kind="file",
            user_id=event.get("user"),
        )
        if outcome.status not in ("no-event", "failed") or not problems:
            return
    if problems:
        # The user shared a log we could not read (too big, not text, wrong host): say why, once.
        text, blocks = render_notice(" ".join(problems))
        if services.store.claim(f"reply:{channel}:{ts}", ttl_s=7 * 86400):
            post_message(services, client, channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "file_share"})(handle_file_share)

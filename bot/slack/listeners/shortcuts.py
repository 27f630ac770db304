"""Message shortcut "Explain OOM": analyse any message (also other bots' alerts) in its thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.render.blockkit import render_notice, render_report
from bot.slack.delivery import FAILED, NO_EVENT, analyse_safely, deliver
from bot.slack.download import read_files
from bot.slack.events import message_paste
from bot.slack.services import Services

log = logging.getLogger(__name__)

CALLBACK_ID = "explain_oom"


def handle_explain(ack: Any, shortcut: dict[str, Any], client: Any, respond: Any, context: Any) -> None:
    ack()
    services: Services = context["oomlens"]
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id")
    ts = message.get("ts") or shortcut.get("message_ts")
    parts = [message_paste(message)]
    files = [f for f in message.get("files") or () if isinstance(f, dict)]
    problems: list[str] = []
    if files:
        texts, problems = read_files(services, client, files)
        parts.extend(texts)
    paste = "\n".join(p for p in parts if p)
    report, problem = analyse_safely(services, paste)
    if report is None or problem:
        notice, blocks = render_notice(" ".join(problems) or problem or "No kernel memory event found.")
        respond(response_type="ephemeral", text=notice, blocks=blocks, replace_original=False)
        return
    team_id = (shortcut.get("team") or {}).get("id")
    try:
        outcome = deliver(
            services,
            client,
            team_id=team_id,
            channel=channel,
            source_ts=ts,
            thread_ts=message.get("thread_ts") or ts,
            paste=paste,
            source_kind="shortcut",
            report=report,
            user_id=message.get("user") or message.get("bot_id"),
        )
    except SlackApiError as error:
        # Typically not_in_channel: show the analysis to the user alone instead.
        log.info("shortcut reply not posted in %s: %s", channel, error.response.get("error"))
        rendered = render_report(report, analysis_id=None)
        respond(response_type="ephemeral", text=rendered.text, blocks=rendered.blocks, replace_original=False)
        return
    if outcome.status in (NO_EVENT, FAILED):
        notice, blocks = render_notice(outcome.message or "No kernel memory event found.")
        respond(response_type="ephemeral", text=notice, blocks=blocks, replace_original=False)


def register(app: App) -> None:
    app.message_shortcut(CALLBACK_ID)(handle_explain)

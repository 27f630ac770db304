"""Controls on our replies: the details selector (a part of the answer, or the full report as a
file), feedback buttons; and gfp "share"."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import App

from bot.render.blockkit import (
    ACTION_DETAILS,
    ACTION_FEEDBACK_HELPFUL,
    ACTION_FEEDBACK_WRONG,
    ACTION_GFP_SHARE,
    ACTION_UPLOAD,
    UPLOAD_KIND,
    parse_action_value,
    render_details,
    render_notice,
    render_report_text,
    report_filename,
)
from bot.slack.delivery import post_message, upload_report_file
from bot.slack.services import Services

from .commands import gfp_reply, parse_gfp_args

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(channel, message_ts, thread_ts) of the message whose button was clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    message_ts = container.get("message_ts") or message.get("ts")
    thread_ts = container.get("thread_ts") or message.get("thread_ts") or message_ts
    return channel, message_ts, thread_ts


def _ephemeral(client: Any, body: dict[str, Any], respond: Any, text: str, blocks: list[dict[str, Any]]) -> None:
    channel, _message_ts, thread_ts = _where(body)
    user = (body.get("user") or {}).get("id")
    if channel and user:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text, blocks=blocks)
    else:
        respond(response_type="ephemeral", text=text, blocks=blocks, replace_original=False)


def _analysis(services: Services, action: dict[str, Any]) -> tuple[Any, Any, int, str | None] | None:
    analysis_id, event_index, kind = parse_action_value(action.get("value") or "")
    if analysis_id is None:
        return None
    found = services.report_for_analysis(analysis_id)
    if found is None:
        return None
    stored, report = found
    return stored, report, event_index, kind


def _chosen(action: dict[str, Any]) -> dict[str, Any]:
    """A selector's choice carries its value in ``selected_option``; a button in ``value``."""
    option = action.get("selected_option") or {}
    return {**action, "value": option["value"]} if option.get("value") else action


def handle_details(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
) -> None:
    action = _chosen(action)
    if parse_action_value(action.get("value") or "")[2] == UPLOAD_KIND:
        handle_upload(ack, body, action, client, respond, context)
        return
    ack()
    found = _analysis(context["oomlens"], action)
    if found is None:
        text, blocks = render_notice("That analysis is no longer available; paste the dump again.")
    else:
        _stored, report, event_index, kind = found
        text, blocks = render_details(report, event_index, kind or action["action_id"].rsplit("_", 1)[-1])
    _ephemeral(client, body, respond, text, blocks)


def handle_upload(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
) -> None:
    ack()
    services: Services = context["oomlens"]
    found = _analysis(services, action)
    channel, _message_ts, thread_ts = _where(body)
    if found is None or not channel:
        text, blocks = render_notice("That analysis is no longer available; paste the dump again.")
        _ephemeral(client, body, respond, text, blocks)
        return
    _stored, report, _event_index, _kind = found
    upload_report_file(services, client, channel, thread_ts, report_filename(), render_report_text(report))


def handle_feedback(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
) -> None:
    ack()
    services: Services = context["oomlens"]
    analysis_id, _event_index, _kind = parse_action_value(action.get("value") or "")
    verdict = "helpful" if action["action_id"] == ACTION_FEEDBACK_HELPFUL else "wrong-cause"
    stored = services.store.analysis(analysis_id) if analysis_id is not None else None
    channel, _message_ts, _thread_ts = _where(body)
    services.store.save_feedback(
        analysis_id=analysis_id,
        team_id=(body.get("team") or {}).get("id"),
        channel=channel,
        user_id=(body.get("user") or {}).get("id"),
        verdict=verdict,
        top_code=stored.top_code if stored else None,
    )
    log.info("feedback %s on analysis %s", verdict, analysis_id)
    message = (
        "Thanks, glad it helped."
        if verdict == "helpful"
        else "Thanks: recorded as a wrong cause; the analysis will be reviewed."
    )
    text, blocks = render_notice(message)
    _ephemeral(client, body, respond, text, blocks)


def handle_gfp_share(
    ack: Any, body: dict[str, Any], action: dict[str, Any], client: Any, respond: Any, context: Any
) -> None:
    ack()
    services: Services = context["oomlens"]
    try:
        data = json.loads(action.get("value") or "{}")
        args = parse_gfp_args(" ".join(x for x in (data.get("m"), data.get("r")) if x))
    except (ValueError, AttributeError):
        args = None
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if args is None or not channel:
        respond(response_type="ephemeral", text="Could not share this decoding.", replace_original=False)
        return
    text, blocks = gfp_reply(*args, shareable=False)
    user = "".join(c for c in (body.get("user") or {}).get("id", "") if c.isalnum())
    if user:
        blocks.insert(
            0, {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by <@{user}> with /gfp"}]}
        )
    try:
        post_message(services, client, channel=channel, text=text, blocks=blocks)
    except Exception:
        # Not in that channel: the response_url can still post visibly on the user's behalf.
        respond(response_type="in_channel", text=text, blocks=blocks, replace_original=False)
    respond(delete_original=True)


def register(app: App) -> None:
    app.action(ACTION_DETAILS)(handle_details)
    # buttons of replies posted before the selector existed
    app.action(re.compile(f"^{ACTION_DETAILS}_(gfp|zones|processes|memory)$"))(handle_details)
    app.action(ACTION_UPLOAD)(handle_upload)
    app.action(re.compile(f"^({ACTION_FEEDBACK_HELPFUL}|{ACTION_FEEDBACK_WRONG})$"))(handle_feedback)
    app.action(ACTION_GFP_SHARE)(handle_gfp_share)

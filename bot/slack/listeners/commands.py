"""Slash commands: `/gfp MASK [RELEASE]` and `/oom` (modal, help, summary hook, inline paste)."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.render.blockkit import RenderedReply, render_gfp, render_help, render_notice, render_oom_modal
from bot.render.gfp_text import render_text
from bot.slack.delivery import analyse_safely, answer_once, post_message, upload_report_file
from bot.slack.services import Services
from bot.slack.text import message_text_to_paste
from grammar.detect import holds_event, looks_like_report_part
from knowledge.gfp import MaskError, decode

log = logging.getLogger(__name__)

GFP_USAGE = "Usage: `/gfp MASK [RELEASE]`, e.g. `/gfp 0x84d0 3.2.59` or `/gfp 0xcc0 6.1.0-50-amd64`."
_MASK_RE = re.compile(r"^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})(\(.*\))?$")
_RELEASE_RE = re.compile(r"^[0-9][0-9A-Za-z._+~-]{0,79}$")


def parse_gfp_args(text: str) -> tuple[str, str | None] | None:
    parts = (text or "").split()
    if not 1 <= len(parts) <= 2:
        return None
    match = _MASK_RE.match(parts[0])
    if match is None:
        return None
    mask = match.group(1).lower()
    release = parts[1] if len(parts) == 2 else None
    if release is not None and not _RELEASE_RE.match(release):
        return None
    return mask, release


def gfp_text(mask: str, release: str | None) -> str:
    """The decoding as terminal text (``MaskError`` for a mask the tables cannot read)."""
    return render_text(decode(mask, release))


def gfp_reply(mask: str, release: str | None, *, shareable: bool) -> tuple[str, list[dict[str, Any]]]:
    try:
        body = gfp_text(mask, release)
    except MaskError as error:  # a mask the tables cannot read: say it, do not crash
        log.info("gfp decode failed for %s/%s: %s", mask, release, error)
        return render_notice(f"Could not decode {mask}: {error}")
    return render_gfp(mask, release, body, shareable=shareable)


def handle_gfp(ack: Any, command: dict[str, Any], respond: Any) -> None:
    ack()
    args = parse_gfp_args(command.get("text") or "")
    if args is None:
        respond(response_type="ephemeral", text=GFP_USAGE, replace_original=False)
        return
    text, blocks = gfp_reply(*args, shareable=True)
    respond(response_type="ephemeral", text=text, blocks=blocks, replace_original=False)


def handle_oom(ack: Any, command: dict[str, Any], respond: Any, client: Any, context: Any) -> None:
    text = (command.get("text") or "").strip()
    word = text.split(maxsplit=1)[0].lower() if text else ""
    if not text:
        ack()
        # trigger_id expires 3 s after the command: open the modal right away.
        client.views_open(trigger_id=command["trigger_id"], view=render_oom_modal(command.get("channel_id")))
        return
    ack()
    if word == "help":
        help_text, blocks = render_help()
        respond(response_type="ephemeral", text=help_text, blocks=blocks)
        return
    if word in ("summary", "digest"):
        context["oomlens"].incidents.handle_command(command, respond, client, context)
        return
    # `/oom <dump>`: analyse the text given inline.
    services: Services = context["oomlens"]
    paste = message_text_to_paste(text)
    report, problem = analyse_safely(services, paste)
    if report is None or problem:
        notice, blocks = render_notice(problem or "No kernel memory event found.")
        respond(response_type="ephemeral", text=notice + " Try `/oom help`.", blocks=blocks)
        return

    def post(rendered: RenderedReply) -> None:
        respond(response_type="in_channel", text=rendered.text, blocks=rendered.blocks)
        return None  # a response_url reply has no ts to link to

    answer_once(
        services,
        report,
        paste,
        team_id=command.get("team_id"),
        channel=command.get("channel_id"),
        user_id=command.get("user_id"),
        source_kind="command",
        post=post,
    )


def handle_paste_submission(ack: Any, body: dict[str, Any], view: dict[str, Any], client: Any, context: Any) -> None:
    values = view.get("state", {}).get("values", {})
    raw = (values.get("dump", {}).get("text", {}) or {}).get("value") or ""
    paste = message_text_to_paste(raw)
    if not (holds_event(paste) or looks_like_report_part(paste)):
        # Cheap check before the ack, so the user can fix the paste in place.
        ack(
            response_action="errors",
            errors={
                "dump": "This does not look like a kernel OOM report (no 'invoked oom-killer', "
                "'Out of memory' or 'page allocation failure' line)."
            },
        )
        return
    ack()
    services: Services = context["oomlens"]
    user = (body.get("user") or {}).get("id")
    try:
        channel = json.loads(view.get("private_metadata") or "{}").get("channel") or user
    except ValueError:
        channel = user
    team_id = (body.get("team") or {}).get("id") or context.get("team_id")
    report, problem = analyse_safely(services, paste)
    if report is None or problem:
        notice, blocks = render_notice(problem or "No kernel memory event found.")
        post_message(services, client, channel=user, text=notice, blocks=blocks)
        return

    intro = f"<@{''.join(c for c in user or '' if c.isalnum())}> asked about a dump: " if user else ""
    for target in dict.fromkeys([channel, user]):  # the channel, or the user's DM if we cannot post there

        def post(rendered: RenderedReply, target: str | None = target) -> str | None:
            response = post_message(
                services, client, channel=target, text=intro + rendered.text, blocks=rendered.blocks
            )
            if rendered.file is not None:
                try:  # the answer is posted: a failed upload must not post it again elsewhere
                    upload_report_file(services, client, target, response["ts"], *rendered.file)
                except SlackApiError as error:
                    log.warning("report upload failed in %s: %s", target, error.response.get("error"))
            ts: str | None = response.get("ts")
            return ts  # the posted answer is the message the summaries link to

        try:
            answer_once(
                services,
                report,
                paste,
                team_id=team_id,
                channel=target,
                user_id=user,
                source_kind="modal",
                post=post,
            )
        except SlackApiError as error:
            log.info("modal result not posted in %s: %s", target, error.response.get("error"))
            continue
        return


def register(app: App) -> None:
    app.command("/gfp")(handle_gfp)
    app.command("/oom")(handle_oom)
    app.view("oomlens_paste")(handle_paste_submission)

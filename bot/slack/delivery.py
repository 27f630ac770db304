"""``deliver()``: analyse a paste, put the answer in the thread (post once, update on later
versions) and record its events in the incident memory. Every listener that answers a paste in a
thread calls it once; a paste that came with no message of its own (``/oom`` inline, the ``/oom``
modal) is answered by ``answer_once()``: the same store, rendering and recording, posted once."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.render.blockkit import RenderedReply, render_notice, render_report
from bot.render.mrkdwn import escape_mrkdwn
from bot.store.queue import JOB_ATTEMPT

from . import metrics
from .services import Services

log = logging.getLogger("bot.delivery")

POSTED, UPDATED, UNCHANGED, NO_EVENT, DUPLICATE, FAILED = (
    "posted",
    "updated",
    "unchanged",
    "no-event",
    "duplicate",
    "failed",
)


@dataclass
class Outcome:
    status: str
    report: Any | None = None
    reply_ts: str | None = None
    message: str | None = None  # for NO_EVENT / FAILED: one line for the user


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def analyse_safely(services: Services, paste: str) -> tuple[Any | None, str | None]:
    """Run the pipeline; never raise (a crash in the parser must not crash the bot)."""
    try:
        with metrics.ANALYSIS_SECONDS.time():
            report = services.analyze(paste)
    except Exception:
        log.exception("analysis failed (paste of %d chars)", len(paste))
        metrics.dump_outcome("failed")
        return None, "Sorry, I could not analyse this paste (internal error); it has been logged."
    if not report.events:
        metrics.dump_outcome("no_event")
        return report, report.message or "No kernel memory event found."
    metrics.dump_outcome("parsed")
    return report, None


def post_message(services: Services, client: Any, **kwargs: Any) -> Any:
    """chat.postMessage at Slack's per-channel pace (429s are retried by the client's handler)."""
    services.pacer.wait(kwargs["channel"])
    kwargs.setdefault("unfurl_links", False)
    kwargs.setdefault("unfurl_media", False)
    return client.chat_postMessage(**kwargs)


REPLY_EVENT_TYPE = "oomlens_reply"


def find_earlier_reply(client: Any, channel: str, thread_ts: str, source_ts: str) -> str | None:
    """The ts of our reply to ``source_ts`` already in the thread (posted with its metadata), if any."""
    try:
        response = client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
    except SlackApiError as error:
        log.warning("could not look for an earlier reply in %s: %s", channel, error.response.get("error"))
        return None
    for message in response.get("messages") or ():
        metadata = message.get("metadata") or {}
        if (
            metadata.get("event_type") == REPLY_EVENT_TYPE
            and (metadata.get("event_payload") or {}).get("source_ts") == source_ts
        ):
            return str(message.get("ts"))
    return None


def upload_report_file(
    services: Services,
    client: Any,
    channel: str,
    thread_ts: str | None,
    filename: str,
    content: str,
    comment: str | None = None,
) -> None:
    services.pacer.wait(channel)
    client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=content,
        filename=filename,
        title="oomlens full report",
        initial_comment=comment and escape_mrkdwn(comment),
    )


def save_analysis(
    services: Services,
    report: Any,
    paste: str,
    *,
    team_id: str | None,
    channel: str | None,
    source_ts: str | None,
    thread_ts: str | None,
    source_kind: str,
) -> int:
    """Store one answered paste (what the feedback buttons and the details refer to); every
    surface that answers a paste records it this way."""
    from bot.render.blockkit import headline, top_finding

    top = top_finding(report.events[0])
    return services.store.save_analysis(
        team_id=team_id,
        channel=channel,
        source_ts=source_ts,
        thread_ts=thread_ts,
        source_kind=source_kind,
        headline=headline(report),
        top_code=getattr(top, "code", None),
        top_title=getattr(top, "title", None),
        event_count=len(report.events),
        paste=paste,
    )


def answer_once(
    services: Services,
    report: Any,
    paste: str,
    *,
    team_id: str | None,
    channel: str | None,
    user_id: str | None,
    source_kind: str,
    post: Callable[[RenderedReply], str | None],
) -> None:
    """Answer a paste that came with no message of its own: store the analysis, render it, ``post``
    it (returning the reply's ts, when it has one; a Slack error propagates and nothing is
    recorded), then record its events, which summaries link to that reply."""
    analysis_id = save_analysis(
        services,
        report,
        paste,
        team_id=team_id,
        channel=channel,
        source_ts=None,
        thread_ts=None,
        source_kind=source_kind,
    )
    reply_ts = post(render_report(report, analysis_id=analysis_id))
    if services.incidents is None:
        return
    try:
        services.incidents.record(
            report,
            paste,
            team_id=team_id,
            channel=channel,
            message_ts=reply_ts,
            thread_ts=None,
            user_id=user_id,
            source_kind=source_kind,
        )
    except Exception:
        log.exception("recording the events of a %s paste failed", source_kind)


def deliver(
    services: Services,
    client: Any,
    *,
    team_id: str | None,
    channel: str,
    source_ts: str,
    thread_ts: str,
    paste: str,
    source_kind: str,
    user_id: str | None,
    report: Any | None = None,
    say_when_gone: bool = True,
) -> Outcome:
    """Analyse ``paste`` (unless ``report`` is given), answer ``source_ts`` in ``thread_ts`` (first
    time post, afterwards chat.update our reply), then record the events (``services.incidents``)."""
    outcome = _answer(
        services,
        client,
        team_id=team_id,
        channel=channel,
        source_ts=source_ts,
        thread_ts=thread_ts,
        paste=paste,
        source_kind=source_kind,
        report=report,
        say_when_gone=say_when_gone,
    )
    metrics.reply_outcome(outcome.status)
    if services.incidents is not None and channel and source_ts:
        services.incidents.after_delivery(
            client,
            outcome,
            paste=paste,
            team_id=team_id,
            channel=channel,
            source_ts=source_ts,
            thread_ts=thread_ts,
            user_id=user_id,
            source_kind=source_kind,
        )
    return outcome


def _answer(
    services: Services,
    client: Any,
    *,
    team_id: str | None,
    channel: str,
    source_ts: str,
    thread_ts: str,
    paste: str,
    source_kind: str,
    report: Any | None,
    say_when_gone: bool,
) -> Outcome:
    if report is None:
        report, problem = analyse_safely(services, paste)
        if report is None:
            return Outcome(FAILED, message=problem)
    existing = services.store.reply_for(channel, source_ts)
    text_digest = digest(paste)
    if existing is not None and existing.text_digest == text_digest:
        return Outcome(UNCHANGED, report=report, reply_ts=existing.reply_ts)

    if not report.events:
        if existing is not None and say_when_gone:
            # The source no longer holds a dump (edited away): say so in our old reply.
            text, blocks = render_notice("The message no longer contains a kernel memory event.")
            client.chat_update(channel=channel, ts=existing.reply_ts, text=text, blocks=blocks)
            services.store.save_reply(channel, source_ts, existing.reply_ts, existing.thread_ts, None, text_digest)
            return Outcome(UPDATED, report=report, reply_ts=existing.reply_ts)
        return Outcome(NO_EVENT, report=report, message=report.message)

    analysis_id = save_analysis(
        services,
        report,
        paste,
        team_id=team_id,
        channel=channel,
        source_ts=source_ts,
        thread_ts=thread_ts,
        source_kind=source_kind,
    )
    try:
        rendered = render_report(report, analysis_id=analysis_id)
    except Exception:  # a rendering bug must cost one reply, not the bot
        log.exception("rendering analysis %s failed", analysis_id)
        return Outcome(FAILED, report=report, message="Sorry, I could not render this analysis; it has been logged.")

    if existing is not None:
        client.chat_update(channel=channel, ts=existing.reply_ts, text=rendered.text, blocks=rendered.blocks)
        services.store.save_reply(channel, source_ts, existing.reply_ts, existing.thread_ts, analysis_id, text_digest)
        status, reply_ts, reply_thread = UPDATED, existing.reply_ts, existing.thread_ts
    else:
        if not services.store.claim(f"reply:{channel}:{source_ts}", ttl_s=7 * 86400):
            return Outcome(DUPLICATE, report=report)
        # A job taken over from a replica that died may have posted before it could record the
        # reply: find that post by its metadata and update it instead of answering twice.
        earlier = find_earlier_reply(client, channel, thread_ts, source_ts) if JOB_ATTEMPT.get() > 1 else None
        if earlier is not None:
            client.chat_update(channel=channel, ts=earlier, text=rendered.text, blocks=rendered.blocks)
            response = {"ts": earlier}
        else:
            response = post_message(
                services,
                client,
                channel=channel,
                thread_ts=thread_ts,
                text=rendered.text,
                blocks=rendered.blocks,
                metadata={"event_type": REPLY_EVENT_TYPE, "event_payload": {"source_ts": source_ts}},
            )
        reply_ts = response["ts"]
        reply_thread = thread_ts
        services.store.save_reply(channel, source_ts, reply_ts, thread_ts, analysis_id, text_digest)
        status = POSTED
    if rendered.file is not None:
        filename, content = rendered.file
        try:
            upload_report_file(services, client, channel, reply_thread, filename, content)
        except SlackApiError as error:
            log.warning("report upload failed in %s: %s", channel, error.response.get("error"))
    log.info(
        "%s analysis %s in %s for %s (%d events, top %s, %s)",
        status,
        analysis_id,
        channel,
        source_ts,
        len(report.events),
        rendered.top_code,
        "file" if rendered.file else "blocks",
    )
    return Outcome(status, report=report, reply_ts=reply_ts)

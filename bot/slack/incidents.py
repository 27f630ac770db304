"""Incident memory in Slack: record analysed events, `/oom summary [24h|7d|since DATE|scan]`,
`/oom digest daily HH:MM [Area/City] | off`, back-fill from channel history, charts in threads.

Summaries are built from the bot's own store (Slack's conversations.history is rate-limited to
1 request/minute for many apps); history is read only by an explicit scan, page by page, with
the cursor saved after every page so a 429 or a restart resumes where it stopped.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.incidents.build import Summary, build_summary
from bot.incidents.records import records_from_report
from bot.render.mrkdwn import escape_mrkdwn, file_text
from bot.render.summary import render_slack
from bot.settings import IncidentSettings
from bot.slack.delivery import POSTED, UNCHANGED, UPDATED, analyse_safely, post_message
from bot.slack.download import read_files
from bot.slack.events import is_from_self, message_paste
from bot.slack.services import Services
from bot.store import Digest, EventRecord, ScanState
from bot.store.queue import CLAIM_HOLDER, JOB_ATTEMPT
from grammar.detect import holds_event

log = logging.getLogger(__name__)

SUMMARY_USAGE = (
    "Usage: `/oom summary [24h|7d|since 2025-03-14]`, `/oom summary scan [7d|since DATE]` "
    "(read dumps posted before I joined), `/oom digest daily 09:00 [Europe/Paris]`, `/oom digest off`."
)
_WINDOW = re.compile(r"^(\d{1,4})\s*(h|d|w)$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DEFAULT_WINDOW_S = 86400


class UsageError(ValueError):
    """The user's arguments are wrong; ``str(error)`` is the one line to show them."""


@dataclass(frozen=True)
class Window:
    since: float
    until: float
    label: str


def parse_window(words: list[str], now: float, *, default_s: float = DEFAULT_WINDOW_S) -> Window:
    """``[]``, ``["24h"]``, ``["last", "7d"]``, ``["2w"]``, ``["since", "2025-03-14"]`` (UTC, time optional).
    A channel reference (``#ops``) is ignored: the summary is always of the channel it is asked in."""
    words = [w for w in words if not w.startswith(("#", "<#"))]
    if words and words[0].lower() == "last":
        words = words[1:]
    if not words:
        hours = default_s / 3600
        return Window(now - default_s, now, f"last {hours:.0f} h" if hours < 48 else f"last {hours / 24:.0f} days")
    if words[0].lower() == "since":
        if len(words) < 2:
            raise UsageError("`since` needs a date, e.g. `since 2025-03-14` or `since 2025-03-14T09:00`.")
        raw = " ".join(words[1:3]) if len(words) > 2 and _CLOCK.match(words[2]) else words[1]
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"`{escape_mrkdwn(raw)}` is not a date; use e.g. `since 2025-03-14`.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        since = moment.timestamp()
        if since >= now:
            raise UsageError("That date is in the future.")
        return Window(since, now, f"since {moment.strftime('%Y-%m-%d %H:%M')} UTC")
    match = _WINDOW.match("".join(words[:2]).lower()) if len(words) <= 2 else None
    if match is None:
        raise UsageError(SUMMARY_USAGE)
    count, unit = int(match.group(1)), match.group(2)
    seconds = count * {"h": 3600, "d": 86400, "w": 7 * 86400}[unit]
    if not 0 < seconds <= 400 * 86400:
        raise UsageError("Pick a period between 1 h and 400 days.")
    words_unit = {"h": "h", "d": "days" if count != 1 else "day", "w": "weeks" if count != 1 else "week"}[unit]
    return Window(now - seconds, now, f"last {count} {words_unit}")


def _ts_to_epoch(ts: str | None, default: float) -> float:
    """A Slack message ts ("1712345678.000100") as epoch seconds, else ``default``."""
    try:
        return float(ts) if ts else default
    except ValueError:
        return default


def archive_link(base_url: str | None, record: EventRecord) -> str | None:
    """``https://<workspace>.slack.com/archives/<C>/p<ts>`` (with thread_ts for replies)."""
    if not base_url or not record.channel or not record.message_ts:
        return None
    link = f"{base_url.rstrip('/')}/archives/{record.channel}/p{record.message_ts.replace('.', '')}"
    if record.thread_ts and record.thread_ts != record.message_ts:
        link += f"?thread_ts={record.thread_ts}&cid={record.channel}"
    return link


class Incidents:
    """What the incident-memory features need; one per app (``OomlensApp.incidents``, ``Services.incidents``)."""

    def __init__(self, services: Services, settings: IncidentSettings | None = None):
        self.services = services
        self.store = services.store
        self.settings = settings or IncidentSettings()
        self.holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{id(self) % 100000}"
        self._team_urls: dict[str, str] = {}
        self._lock = threading.Lock()
        # Charts are drawn and uploaded on their own thread: a listener thread that has posted
        # its answer goes back to the next paste instead of rendering and waiting on the pacer.
        self._charts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oomlens-charts")

    def drain(self) -> None:
        """Finish the charts already queued (called at shutdown, after the listeners)."""
        self._charts.shutdown(wait=True)

    # -- recording ------------------------------------------------------------------------------

    def record(
        self,
        report: Any,
        paste: str,
        *,
        team_id: str | None,
        channel: str | None,
        message_ts: str | None,
        thread_ts: str | None,
        user_id: str | None,
        source_kind: str,
        replace: bool = False,
        posted_at: float | None = None,
    ) -> int:
        posted_at = posted_at if posted_at is not None else _ts_to_epoch(message_ts, time.time())
        records = records_from_report(
            report,
            paste,
            posted_at=posted_at,
            store_paste=self.settings.store_pastes,
            team_id=team_id,
            channel=channel,
            thread_ts=thread_ts,
            message_ts=message_ts,
            user_id=user_id,
            source_kind=source_kind,
        )
        return self.store.record_events(records, replace=replace)

    def after_delivery(
        self,
        client: Any,
        outcome: Any,
        *,
        paste: str,
        team_id: str | None,
        channel: str,
        source_ts: str,
        thread_ts: str,
        user_id: str | None,
        source_kind: str,
    ) -> None:
        """Called by the listeners once an analysis was posted (or updated) in a thread: record its
        events and, for a new reply, attach the chart. Never raises: the answer is already out."""
        # A queued job tried again (its first attempt lost the database after answering) finds its
        # reply unchanged, and records the events the first attempt could not.
        retried = JOB_ATTEMPT.get() > 1 and outcome is not None and outcome.status == UNCHANGED
        if outcome is None or (outcome.status not in (POSTED, UPDATED) and not retried) or outcome.report is None:
            return
        report = outcome.report
        try:
            if report.events:
                self.record(
                    report,
                    paste,
                    team_id=team_id,
                    channel=channel,
                    message_ts=source_ts,
                    thread_ts=thread_ts if thread_ts != source_ts else None,
                    user_id=user_id,
                    source_kind=source_kind,
                    replace=outcome.status == UPDATED or retried,
                )
            else:
                self.store.forget_message_events(channel, source_ts)
        except SQLAlchemyError as error:
            if CLAIM_HOLDER.get() is not None:
                raise  # inside a queued job: the job is tried again and records them then
            log.warning(
                "recording events of %s in %s failed: database unavailable (%s)",
                source_ts,
                channel,
                type(error).__name__,
            )
        except Exception:
            log.exception("recording events of %s in %s failed", source_ts, channel)
        if outcome.status == POSTED and report.events and self.settings.charts:
            try:
                self._charts.submit(self.post_event_chart, client, report, channel=channel, thread_ts=thread_ts)
            except RuntimeError:  # shutting down: the answer is out, the chart is optional
                log.info("chart for %s in %s skipped: shutting down", thread_ts, channel)

    def post_event_chart(self, client: Any, report: Any, *, channel: str, thread_ts: str) -> bool:
        from bot.render.charts import event_chart

        try:
            first = report.events[0]
            title = f"{first.overview.headline}: where memory went"
            chart = event_chart(first, title=title)
            if chart is None:
                return False
            # Charts keep a pace lane of their own: they must never delay the next answer.
            self.services.pacer.wait(f"charts:{channel}")
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=chart.png,
                filename="oomlens-memory.png",
                title=file_text(title),
                alt_txt=file_text(f"Chart of memory use. {title}"),
            )
            return True
        except SlackApiError as error:
            log.warning("chart upload failed in %s: %s", channel, error.response.get("error"))
        except Exception:
            log.exception("chart for %s in %s failed", thread_ts, channel)
        return False

    # -- summaries ------------------------------------------------------------------------------

    def identity(self, client: Any, team_id: str | None = None) -> tuple[str | None, str | None]:
        """(bot user id, bot id) from auth.test, so our own messages are never taken for dumps
        (per workspace: with OAuth each workspace has its own bot user)."""
        key = f"@identity:{team_id or '-'}"
        with self._lock:
            cached = self._team_urls.get(key)
        if cached:
            user_id, _, bot_id = cached.partition(" ")
            return user_id or None, bot_id or None
        try:
            response = client.auth_test()
        except Exception:
            log.warning("auth.test failed", exc_info=True)
            return None, None
        user_id, bot_id = response.get("user_id"), response.get("bot_id")
        with self._lock:
            self._team_urls[key] = f"{user_id or ''} {bot_id or ''}"
        return user_id, bot_id

    def team_url(self, client: Any, team_id: str | None) -> str | None:
        key = team_id or "-"
        with self._lock:
            if key in self._team_urls:
                return self._team_urls[key]
        try:
            url = client.auth_test().get("url")
        except Exception:
            log.warning("auth.test failed; summary links left out", exc_info=True)
            return None
        if url:
            with self._lock:
                self._team_urls[key] = url
        return url

    def summary(self, team_id: str | None, channel: str, window: Window, *, title: str) -> Summary:
        records = self.store.events(team_id=team_id, channel=channel, since=window.since, until=window.until)
        return build_summary(records, title=title, since=window.since, until=window.until)

    def post_summary(
        self,
        client: Any,
        summary: Summary,
        *,
        team_id: str | None,
        channel: str,
        note: str | None = None,
        respond: Any = None,
    ) -> str | None:
        """Post the summary (and its chart, in the summary's thread); returns the message ts."""
        base = self.team_url(client, team_id)
        text, blocks = render_slack(summary, linker=lambda r: archive_link(base, r), note=note)
        try:
            response = post_message(self.services, client, channel=channel, text=text, blocks=blocks)
        except SlackApiError as error:
            log.info("summary not posted in %s: %s", channel, error.response.get("error"))
            if respond is not None:
                respond(response_type="ephemeral", text=text, blocks=blocks, replace_original=False)
            return None
        ts = response.get("ts")
        if self.settings.charts and summary.records:
            from bot.render.charts import summary_chart

            try:
                chart = summary_chart(summary)
                if chart is not None:
                    self.services.pacer.wait(f"charts:{channel}")
                    client.files_upload_v2(
                        channel=channel,
                        thread_ts=ts,
                        content=chart.png,
                        filename="oomlens-timeline.png",
                        title=file_text(summary.title),
                        alt_txt=file_text(f"Timeline chart. {summary.title}"),
                    )
            except Exception:
                log.warning("summary chart failed in %s", channel, exc_info=True)
        return ts

    # -- `/oom summary ...` and `/oom digest ...` -----------------------------------------------

    def handle_command(self, command: dict[str, Any], respond: Any, client: Any, context: Any) -> None:
        """The `/oom summary|digest` handler."""
        words = (command.get("text") or "").split()
        team_id = command.get("team_id")
        channel = command.get("channel_id")
        try:
            if not words or not channel:
                raise UsageError(SUMMARY_USAGE)
            verb = words[0].lower()
            if verb == "digest":
                self._digest_command(words[1:], team_id, channel, command.get("user_id"), respond)
            elif len(words) > 1 and words[1].lower() == "scan":
                self._scan_command(words[2:], team_id, channel, respond, client, context)
            elif len(words) > 1 and words[1].lower() == "help":
                raise UsageError(SUMMARY_USAGE)
            else:
                window = parse_window(words[1:], time.time())
                summary = self.summary(team_id, channel, window, title=f"OOM summary, {window.label}")
                self.post_summary(client, summary, team_id=team_id, channel=channel, respond=respond)
        except UsageError as error:
            respond(response_type="ephemeral", text=str(error), replace_original=False)
        except Exception:
            log.exception("/oom %s failed in %s", words[:1], channel)
            respond(
                response_type="ephemeral",
                text="Sorry, that failed (internal error); it has been logged.",
                replace_original=False,
            )

    def _digest_command(
        self, words: list[str], team_id: str | None, channel: str, user_id: str | None, respond: Any
    ) -> None:
        if not team_id:
            raise UsageError("Digests need a workspace id.")
        if not words:
            current = [d for d in self.store.digests() if d.team_id == team_id and d.channel == channel]
            text = (
                f"Daily digest at {current[0].at_time} {current[0].timezone}."
                if current
                else "No digest in this channel. " + SUMMARY_USAGE
            )
            respond(response_type="ephemeral", text=escape_mrkdwn(text), replace_original=False)
            return
        if words[0].lower() == "off":
            dropped = self.store.drop_digest(team_id, channel)
            respond(
                response_type="ephemeral",
                replace_original=False,
                text="Daily digest turned off." if dropped else "There was no digest in this channel.",
            )
            return
        if words[0].lower() != "daily" or len(words) not in (2, 3) or not _CLOCK.match(words[1]):
            raise UsageError("Usage: `/oom digest daily 09:00 [Europe/Paris]` or `/oom digest off`.")
        zone = words[2] if len(words) == 3 else "UTC"
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"Unknown time zone `{escape_mrkdwn(zone)}`; use e.g. `Europe/Paris` or `UTC`.") from None
        hour, minute = _CLOCK.match(words[1]).groups()  # type: ignore[union-attr]
        at_time = f"{int(hour):02d}:{minute}"
        self.store.set_digest(Digest(team_id, channel, "daily", at_time, zone, user_id, time.time()))
        respond(
            response_type="in_channel",
            replace_original=False,
            text=escape_mrkdwn(
                f"Daily OOM digest for this channel at {at_time} {zone} (last 24 h). `/oom digest off` stops it."
            ),
        )

    def post_digest(self, client: Any, digest: Digest, *, now: float) -> str | None:
        window = Window(now - 86400, now, "last 24 h")
        summary = self.summary(digest.team_id, digest.channel, window, title="Daily OOM digest, last 24 h")
        return self.post_summary(client, summary, team_id=digest.team_id, channel=digest.channel)

    # -- back-fill from channel history ---------------------------------------------------------

    def _scan_command(
        self, words: list[str], team_id: str | None, channel: str, respond: Any, client: Any, context: Any
    ) -> None:
        window = parse_window(words, time.time(), default_s=min(30 * 86400, self.settings.retention_s))
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=escape_mrkdwn(
                f"Reading this channel's history ({window.label}) for dumps posted before I "
                "joined; I will post the summary when done."
            ),
        )
        result = self.scan(
            client,
            team_id or "-",
            channel,
            oldest=window.since,
            bot_user_id=context.get("bot_user_id"),
            bot_id=context.get("bot_id"),
        )
        if result.status != "done":
            respond(
                response_type="ephemeral",
                replace_original=False,
                text=escape_mrkdwn(
                    f"Scan paused after {result.pages} pages ({result.events} events so far): "
                    "Slack asked me to slow down. It resumes by itself."
                ),
            )
            return
        summary = self.summary(team_id, channel, window, title=f"OOM summary, {window.label}")
        note = f"History scan: {result.messages} messages read, {result.events} events found in dumps."
        self.post_summary(client, summary, team_id=team_id, channel=channel, respond=respond, note=note)

    def scan(
        self,
        client: Any,
        team_id: str,
        channel: str,
        *,
        oldest: float | None = None,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        sleep: Any = time.sleep,
    ) -> ScanState:
        """Read conversations.history page by page (resuming a saved cursor) and record every dump."""
        lease = f"scan:{team_id}:{channel}"
        state = self.store.scan_state(team_id, channel)
        if state is not None and state.status == "paused" and state.cursor:
            pass  # resume where the last run stopped
        else:
            state = ScanState(team_id, channel, f"{oldest or 0:.6f}", None, "running", 0, 0, 0, None)
        if not self.store.acquire_lease(lease, self.holder, ttl_s=900):
            return ScanState(**{**state.__dict__, "status": "busy"})
        # A client without slack_sdk's blocking 429 handler: the wait and the cursor are ours.
        history = WebClient(token=client.token, base_url=client.base_url, timeout=client.timeout)
        if bot_user_id is None and bot_id is None:  # resumed by the scheduler: no request context
            bot_user_id, bot_id = self.identity(client, team_id)
        context = {"bot_user_id": bot_user_id, "bot_id": bot_id}
        waits = pages_this_run = 0
        try:
            state = ScanState(**{**state.__dict__, "status": "running"})
            self.store.save_scan(state)
            while pages_this_run < self.settings.scan_max_pages:
                kwargs: dict[str, Any] = {
                    "channel": channel,
                    "oldest": state.oldest,
                    "limit": self.settings.history_page_limit,
                }
                if state.cursor:
                    kwargs["cursor"] = state.cursor
                try:
                    page = history.conversations_history(**kwargs)
                except SlackApiError as error:
                    if error.response.status_code != 429:
                        raise
                    retry_after = float(
                        error.response.headers.get("Retry-After") or error.response.headers.get("retry-after") or 1
                    )
                    state = ScanState(**{**state.__dict__, "status": "paused", "resume_at": time.time() + retry_after})
                    self.store.save_scan(state)
                    if retry_after > self.settings.scan_max_wait_s or waits >= 5:
                        log.info("history scan of %s paused for %.0f s", channel, retry_after)
                        return state
                    waits += 1
                    sleep(retry_after)
                    continue
                pages_this_run += 1
                found = 0
                messages = page.get("messages") or []
                for message in messages:
                    found += self._scan_message(client, team_id, channel, message, context)
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                state = ScanState(
                    team_id,
                    channel,
                    state.oldest,
                    cursor,
                    "running" if cursor else "done",
                    state.pages + 1,
                    state.messages + len(messages),
                    state.events + found,
                    None,
                )
                self.store.save_scan(state)  # the cursor survives a crash or a 429 from here on
                if cursor is None:
                    return state
            state = ScanState(**{**state.__dict__, "status": "paused", "resume_at": time.time()})
            self.store.save_scan(state)
            return state
        finally:
            self.store.release_lease(lease, self.holder)

    def _scan_message(
        self, client: Any, team_id: str, channel: str, message: dict[str, Any], context: dict[str, Any]
    ) -> int:
        if is_from_self(message, context) or message.get("subtype") in ("channel_join", "channel_leave"):
            return 0
        paste = message_paste(message)
        if message.get("files"):
            texts, _problems = read_files(self.services, client, [f for f in message["files"] if isinstance(f, dict)])
            paste = "\n".join([paste, *texts]) if texts else paste
        if not holds_event(paste):
            return 0
        report, problem = analyse_safely(self.services, paste)
        if report is None or problem:
            return 0
        ts = message.get("ts")
        return self.record(
            report,
            paste,
            team_id=team_id,
            channel=channel,
            message_ts=ts,
            thread_ts=message.get("thread_ts") if message.get("thread_ts") != ts else None,
            user_id=message.get("user") or message.get("bot_id"),
            source_kind="history",
        )

    def resume_scans(
        self, client: Any, *, now: float | None = None, client_for: Callable[[str | None], Any] | None = None
    ) -> int:
        """Resume paused scans; ``client_for(team_id)`` gives each workspace's client (OAuth)."""
        resumed = 0
        for state in self.store.paused_scans(now=now):
            team_client = client_for(state.team_id) if client_for is not None else client
            if team_client is None:
                log.info("scan of %s not resumed: workspace %s is no longer installed", state.channel, state.team_id)
                continue
            result = self.scan(team_client, state.team_id, state.channel)
            resumed += result.status != "busy"
        return resumed

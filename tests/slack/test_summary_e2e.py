"""Incident memory end to end: analyses are recorded and charted in their thread, `/oom summary`
posts what happened with links and a timeline, `/oom summary scan` back-fills from the channel
history (pagination, 429 + Retry-After, persisted cursor), and two replicas sharing PostgreSQL
give one reply per dump and one digest per day."""

from __future__ import annotations

import io
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fake_slack import BOT_ID, BOT_USER_ID, TEAM_ID
from slack_harness import BotServer, SlackSender, make_settings, new_channel, real_analyze, slack_escape
from store_backends import postgres_url
from summary_fixtures import db_dump, k8s_dump


def blocks_text(call) -> str:
    import json

    return (call.params.get("text") or "") + json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


def uploads(fake, channel, filename):
    with fake.lock:
        return [
            u for u in fake.uploads.values() if u["channel"] == channel and u["filename"] == filename and u["content"]
        ]


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.size


def test_dumps_are_recorded_charted_and_summarised_with_links(slack, fake_slack, bot):
    real_analyze()
    channel = new_channel()
    ts1, _ = slack.message(channel, "db-3 again\n```" + slack_escape(db_dump("02:00:10")) + "```")
    fake_slack.wait_calls("chat.postMessage", channel=channel)
    ts2, _ = slack.message(channel, slack_escape(db_dump("02:30:10")), user="UOTHER")
    fake_slack.wait_calls("chat.postMessage", count=2, channel=channel)

    charts = fake_slack.wait_for(
        lambda: (lambda u: u if len(u) == 2 else None)(uploads(fake_slack, channel, "oomlens-memory.png"))
    )
    assert sorted(u["thread_ts"] for u in charts) == sorted([ts1, ts2])
    assert all(png_size(u["content"]) == (900, 280) for u in charts)  # memcg OOM: the cgroup's charges only

    events = bot.services.store.events(team_id=TEAM_ID, channel=channel)
    assert [(e.message_ts, e.user_id, e.host, e.victim_comm, e.figures["memcg_limit_kb"]) for e in events] == [
        (ts1, "UHUMAN", "db-3", "postgres", 65536),
        (ts2, "UOTHER", "db-3", "postgres", 65536),
    ]

    slack.command("/oom", "summary since 2023-01-01", channel)
    (summary,) = fake_slack.wait_for(
        lambda: [c for c in fake_slack.calls_to("chat.postMessage", channel=channel) if "OOM summary" in blocks_text(c)]
    )
    text = blocks_text(summary)
    assert "postgres killed 2 times on db-3 in 30 min" in text and "memcg limit 64 MiB each time" in text
    assert f"https://test.slack.com/archives/{channel}/p{ts2.replace('.', '')}" in text
    assert f"https://test.slack.com/archives/{channel}/p{ts1.replace('.', '')}" in text
    summary_ts = fake_slack.messages_by_text(channel, "OOM summary")[0]
    (timeline,) = fake_slack.wait_for(lambda: uploads(fake_slack, channel, "oomlens-timeline.png"))
    assert timeline["thread_ts"] == summary_ts and png_size(timeline["content"]) == (900, 360)


@pytest.fixture
def scan_bot(fake_slack, db_url):
    from bot.settings import IncidentSettings

    server = BotServer(
        make_settings(fake_slack, db_url),
        incident_settings=IncidentSettings(history_page_limit=2),
        start_scheduler=False,
    )
    yield server
    server.stop()


def _history(fake, channel: str) -> list[str]:
    messages = [
        {"type": "message", "user": "UA", "text": slack_escape(db_dump("02:00:10")), "ts": fake.new_ts()},
        {"type": "message", "user": "UB", "text": "is the db down?", "ts": fake.new_ts()},
        {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": slack_escape(db_dump("02:10:10")),
            "ts": fake.new_ts(),
        },  # our own earlier answer quoting a dump: not a new event
        {"type": "message", "subtype": "channel_join", "user": BOT_USER_ID, "text": "joined", "ts": fake.new_ts()},
        {
            "type": "message",
            "user": "UC",
            "text": "```" + slack_escape(k8s_dump("k8s-node-1", "05:10:00")) + "```",
            "ts": fake.new_ts(),
        },
    ]
    fake.add_history(channel, messages)
    return [m["ts"] for m in messages]


def test_history_scan_pages_with_cursors_waits_out_a_429_and_never_duplicates(scan_bot, fake_slack):
    real_analyze()
    channel = new_channel()
    stamps = _history(fake_slack, channel)
    fake_slack.add_fault("conversations.history", status=429, retry_after=1)
    sender = SlackSender(scan_bot.base_url, fake_slack)
    try:
        sender.command("/oom", "summary scan since 2023-01-01", channel)
        (summary,) = fake_slack.wait_for(
            lambda: [
                c for c in fake_slack.calls_to("chat.postMessage", channel=channel) if "History scan" in blocks_text(c)
            ],
            timeout=20,
        )
    finally:
        sender.close()
    calls = fake_slack.calls_to("conversations.history", channel=channel)
    assert [c.params.get("cursor") for c in calls] == [None, None, "dXNlcjo2", "dXNlcjo4"]
    assert calls[1].at - calls[0].at >= 1.0  # Retry-After honoured
    assert all(c.params["limit"] == "2" for c in calls)
    assert "5 messages read, 2 events found" in blocks_text(summary)
    store = scan_bot.services.store
    events = store.events(team_id=TEAM_ID, channel=channel)
    assert sorted((e.message_ts, e.user_id, e.source_kind, e.victim_comm) for e in events) == sorted(
        [(stamps[0], "UA", "history", "postgres"), (stamps[4], "UC", "history", "java")]
    )
    state = store.scan_state(TEAM_ID, channel)
    assert (state.status, state.pages, state.cursor) == ("done", 3, None)
    # a second scan reads the history again but stores nothing twice
    incidents = scan_bot.app.incidents
    again = incidents.scan(scan_bot.app.client, TEAM_ID, channel, oldest=0, bot_user_id=BOT_USER_ID, bot_id=BOT_ID)
    assert (again.status, again.events) == ("done", 0)
    assert len(store.events(team_id=TEAM_ID, channel=channel)) == 2


def test_long_retry_after_pauses_the_scan_and_it_resumes_from_the_saved_cursor(scan_bot, fake_slack):
    real_analyze()
    import dataclasses

    channel = new_channel()
    _history(fake_slack, channel)
    incidents = scan_bot.app.incidents
    client = scan_bot.app.client
    incidents.settings = dataclasses.replace(incidents.settings, scan_max_pages=1)
    first = incidents.scan(client, TEAM_ID, channel, oldest=0, bot_user_id=BOT_USER_ID, bot_id=BOT_ID)
    assert (first.status, first.pages, first.cursor) == ("paused", 1, "dXNlcjo2")
    incidents.settings = dataclasses.replace(incidents.settings, scan_max_pages=50)
    fake_slack.add_fault("conversations.history", status=429, retry_after=120)
    started = time.time()
    second = incidents.scan(client, TEAM_ID, channel, bot_user_id=BOT_USER_ID, bot_id=BOT_ID)
    assert time.time() - started < 5  # a long Retry-After is not slept in a listener thread
    assert (second.status, second.cursor) == ("paused", "dXNlcjo2")
    assert second.resume_at >= started + 119
    # the scheduler resumes it once Retry-After has passed, from the cursor it saved
    assert incidents.resume_scans(client, now=time.time() + 10) == 0
    assert incidents.resume_scans(client, now=time.time() + 121) == 1
    calls = fake_slack.calls_to("conversations.history", channel=channel)
    assert [c.params.get("cursor") for c in calls] == [None, "dXNlcjo2", "dXNlcjo2", "dXNlcjo4"]
    state = scan_bot.services.store.scan_state(TEAM_ID, channel)
    assert (state.status, state.pages, state.events) == ("done", 3, 2)


def test_digest_commands_validate_their_arguments(slack, fake_slack, bot):
    channel = new_channel()
    for text in ("digest daily 25:00", "digest daily 09:00 Mars/Olympus_Mons", "digest weekly 09:00"):
        slack.command("/oom", text, channel)
    # each slash command is its own HTTP request, handled on its own thread: Slack promises no order
    # between them, so the commands whose answer depends on the one before wait for its reply
    # (sent back to back, the second "off" could be handled before the first, or before the "daily")
    for count, text in enumerate(("digest daily 9:30 Europe/Paris", "digest off", "digest off"), start=4):
        slack.command("/oom", text, channel)
        fake_slack.wait_calls("response_url", count=count)
    posts = fake_slack.wait_for(lambda: (lambda c: c if len(c) == 6 else None)(fake_slack.calls_to("response_url")))
    texts = sorted(p.params["text"] for p in posts)
    assert sum("Usage: `/oom digest daily" in t for t in texts) == 2
    assert any("Unknown time zone `Mars/Olympus_Mons`" in t for t in texts)
    assert any("at 09:30 Europe/Paris" in t for t in texts)
    assert "Daily digest turned off." in texts and "There was no digest in this channel." in texts
    assert [d for d in bot.services.store.digests() if d.channel == channel] == []


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request, tmp_path):
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}" if request.param == "sqlite" else postgres_url()


def test_two_replicas_sharing_a_database_reply_once_and_post_one_digest(fake_slack, shared_db):
    real_analyze()
    replicas = [BotServer(make_settings(fake_slack, shared_db), start_scheduler=False) for _ in range(2)]
    senders = [SlackSender(r.base_url, fake_slack) for r in replicas]
    channel = f"C{uuid.uuid4().hex[:10].upper()}"  # fresh in a PostgreSQL database that outlives the test
    try:
        ts = fake_slack.new_ts()
        event = {
            "type": "message",
            "channel": channel,
            "user": "UHUMAN",
            "ts": ts,
            "text": slack_escape(db_dump("02:00:10")),
        }
        # Slack's retry of one delivery lands on the other replica, at the same moment
        threads = [
            threading.Thread(target=s.event, args=(event,), kwargs={"event_id": f"Ev{uuid.uuid4().hex}"})
            for s in senders
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        fake_slack.wait_calls("chat.postMessage", channel=channel)
        fake_slack.wait_for(lambda: uploads(fake_slack, channel, "oomlens-memory.png"))
        time.sleep(1.5)
        assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1
        assert len(uploads(fake_slack, channel, "oomlens-memory.png")) == 1
        store = replicas[0].services.store
        assert len(store.events(team_id=TEAM_ID, channel=channel)) == 1

        senders[0].command("/oom", "digest daily 09:00", channel)
        fake_slack.wait_for(
            lambda: [
                p for p in fake_slack.calls_to("response_url") if "Daily OOM digest" in (p.params.get("text") or "")
            ]
        )
        tomorrow = datetime.now(UTC) + timedelta(days=1)
        due = tomorrow.replace(hour=9, minute=1, second=0, microsecond=0).timestamp()
        posted: list[list[str]] = []
        barrier = threading.Barrier(2)

        def run(replica):
            barrier.wait()
            posted.append(replica.app.scheduler.run_due_digests(now=due))

        workers = [threading.Thread(target=run, args=(r,)) for r in replicas]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert sorted(len(p) for p in posted) == [0, 1]
        digests = [
            c for c in fake_slack.calls_to("chat.postMessage", channel=channel) if "Daily OOM digest" in blocks_text(c)
        ]
        assert len(digests) == 1
        # later ticks on either replica, the same day, post nothing more; the next day posts again
        assert [r.app.scheduler.run_due_digests(now=due + 600) for r in replicas] == [[], []]
        time.sleep(1.0)
        assert len(replicas[1].app.scheduler.run_due_digests(now=due + 86400)) == 1
    finally:
        replicas[0].services.store.drop_digest(TEAM_ID, channel)  # the PostgreSQL database outlives the test
        for sender in senders:
            sender.close()
        for replica in replicas:
            replica.stop()

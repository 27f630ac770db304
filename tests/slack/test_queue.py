"""The durable work queue: acknowledged deliveries are recorded, claimed with a lease, taken over
when their replica dies, and answered exactly once. (While the database cannot record them they go
to the local spool: tests/slack/test_spool.py.)"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from slack_harness import BotServer, SlackSender, corpus_text, make_settings, new_channel, real_analyze, slack_escape

from bot.store import Store
from bot.store.queue import CLAIM_HOLDER
from tests.store_backends import backend_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    opened = Store.open(backend_url(request.param, tmp_path))
    yield opened
    opened.close()


def test_a_job_is_recorded_once_claimed_by_one_replica_and_taken_over_after_its_lease(store):
    key = f"event:{uuid.uuid4().hex}"
    assert store.enqueue(key, '{"x": 1}') is True
    assert store.enqueue(key, '{"x": 1}') is False  # Slack's retry of a recorded delivery
    now = time.time() + 10_000  # later than any job other tests left behind
    mine = [job for job in store.claim_jobs("replica-a", 30, 50, now=now) if job.key == key]
    assert len(mine) == 1 and mine[0].attempts == 1
    assert not [job for job in store.claim_jobs("replica-b", 30, 50, now=now + 1) if job.key == key]
    # replica-a died: its lease runs out and replica-b takes the job over
    taken = [job for job in store.claim_jobs("replica-b", 30, 50, now=now + 31) if job.key == key]
    assert len(taken) == 1 and taken[0].attempts == 2
    assert store.complete_job(taken[0].id, "replica-a") is False  # the old holder cannot complete it
    assert store.extend_leases("replica-a", [taken[0].id], 30) == 0
    assert store.complete_job(taken[0].id, "replica-b") is True
    assert not [job for job in store.claim_jobs("replica-c", 30, 50, now=now + 1000) if job.key == key]


def test_dedup_keys_taken_inside_a_job_are_re_entered_by_the_same_job_only(store):
    key = f"reply:C1:{uuid.uuid4().hex}"
    token = CLAIM_HOLDER.set("job:41")
    try:
        assert store.claim(key, ttl_s=60)
        assert store.claim(key, ttl_s=60)  # the replica that took job 41 over goes on
    finally:
        CLAIM_HOLDER.reset(token)
    token = CLAIM_HOLDER.set("job:42")
    try:
        assert not store.claim(key, ttl_s=60)  # another job's delivery of the same message
    finally:
        CLAIM_HOLDER.reset(token)
    assert not store.claim(key, ttl_s=60)  # outside any job


def _bot_posts(fake_slack, channel, source_ts):
    return [
        call
        for call in fake_slack.calls_to("chat.postMessage", channel=channel)
        if call.params.get("thread_ts") == source_ts
    ]


def test_a_replica_dying_after_its_post_is_taken_over_and_the_dump_answered_exactly_once(fake_slack, db_url):
    """Replica A posts the reply, then freezes before recording it and stops its heartbeat (dead).
    Replica B takes the job over after the lease, finds A's post by its metadata and updates it."""
    real_analyze()
    settings = make_settings(fake_slack, db_url, job_lease_s=1.0)
    replica_a = BotServer(settings)
    frozen = threading.Event()
    release = threading.Event()
    original_save_reply = replica_a.services.store.save_reply

    def save_reply_then_hang(*args, **kwargs):
        frozen.set()
        release.wait(30)
        raise RuntimeError("replica A was killed")

    replica_a.services.store.save_reply = save_reply_then_hang
    sender_a = SlackSender(replica_a.base_url, fake_slack)
    channel = new_channel()
    ts = fake_slack.new_ts()
    event = {
        "type": "message",
        "channel": channel,
        "user": "UHUMAN",
        "ts": ts,
        "text": slack_escape(corpus_text("lab-memcg-v2-deb61-arm64")),
    }
    replica_b = None
    try:
        assert sender_a.event(event, event_id="EvDIES1").status_code == 200
        assert frozen.wait(20), "replica A never reached its post"
        replica_a.app.jobs._beat_stop.set()  # A is dead: no more heartbeats
        assert len(_bot_posts(fake_slack, channel, ts)) == 1
        replica_b = BotServer(settings)
        # Slack does not resend an acknowledged delivery; B finds the job on its own.
        fake_slack.wait_for(lambda: fake_slack.calls_to("chat.update", channel=channel), timeout=20)
        fake_slack.wait_for(lambda: replica_b.services.store.reply_for(channel, ts), timeout=10)
        fake_slack.wait_for(lambda: replica_b.services.store.queue_stats()["pending"] == 0, timeout=10)
        time.sleep(1.5)
        assert len(_bot_posts(fake_slack, channel, ts)) == 1
    finally:
        release.set()
        replica_a.services.store.save_reply = original_save_reply
        sender_a.close()
        replica_a.stop()
        if replica_b is not None:
            replica_b.stop()

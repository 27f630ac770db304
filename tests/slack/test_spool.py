"""While the database cannot record a delivery it is acknowledged (2xx) all the same, kept in the
replica's local spool (fsync'd SQLite), answered from there when that is safe, and replayed into
the database when it answers again, so that every dump is answered exactly once across replicas.

A replica's database is taken away by pointing its store at a file that cannot be opened (every
connection fails: "unreachable"), or by making its recordings hang ("frozen")."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy
from slack_harness import BotServer, SlackSender, corpus_text, make_settings, new_channel, real_analyze, slack_escape

from bot.render.blockkit import parse_action_value
from bot.store import schema
from tests.store_backends import backend_url

BROKEN = "sqlite:////nonexistent/dir/oomlens.db"


def _dump_event(fake_slack, channel: str, case: str = "seed-rsync-32bit") -> dict:
    return {
        "type": "message",
        "channel": channel,
        "user": "UHUMAN",
        "ts": fake_slack.new_ts(),
        "text": slack_escape(corpus_text(case)),
    }


def _posts(fake_slack, channel: str, source_ts: str) -> list:
    return [
        c for c in fake_slack.calls_to("chat.postMessage", channel=channel) if c.params.get("thread_ts") == source_ts
    ]


class Outage:
    """Takes one replica's database away (its store and everything sharing the store object)."""

    def __init__(self, bot: BotServer):
        self.store = bot.services.store
        self.working = self.store.engine

    def __enter__(self) -> Outage:
        self.store.engine = sqlalchemy.create_engine(BROKEN)
        return self

    def end(self) -> None:
        self.store.engine = self.working

    def __exit__(self, *exc: object) -> None:
        self.end()


def _reply_ts(fake_slack, channel: str, source_ts: str) -> str:
    """The ts Slack gave our one reply to ``source_ts``."""
    (ts,) = [
        message["ts"]
        for (where, _), message in list(fake_slack.messages.items())
        if where == channel and message.get("thread_ts") == source_ts and message.get("bot_id")
    ]
    return ts


def _values(blocks) -> list[str]:
    """Every action value in Block Kit blocks (buttons, select options)."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    found: list[str] = []
    if isinstance(blocks, dict):
        if isinstance(blocks.get("value"), str):
            found.append(blocks["value"])
        for value in blocks.values():
            found += _values(value) if isinstance(value, dict | list) else []
    elif isinstance(blocks, list):
        for item in blocks:
            found += _values(item)
    return found


def _rows(bot: BotServer, table, *where) -> list[dict]:
    with bot.services.store.engine.connect() as connection:
        return [dict(row) for row in connection.execute(sqlalchemy.select(table).where(*where)).mappings()]


def _wait(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_database_down_the_delivery_is_acked_answered_once_and_recorded_when_it_returns(fake_slack, db_url):
    real_analyze()
    bot = BotServer(make_settings(fake_slack, db_url))
    sender = SlackSender(bot.base_url, fake_slack)
    channel = new_channel()
    event = _dump_event(fake_slack, channel)
    ts = event["ts"]
    try:
        with Outage(bot) as outage:
            started = time.monotonic()
            response = sender.event(event, event_id="EvSPOOL1")
            assert response.status_code == 200 and time.monotonic() - started < 3.0
            (post,) = fake_slack.wait_for(lambda: _posts(fake_slack, channel, ts), timeout=20)
            assert "clamd" in post.params["text"]
            # Slack's retry, to this replica, while the database is still away: acknowledged, not answered
            assert sender.event(event, event_id="EvSPOOL1", retry_num=1).status_code == 200
            _wait(lambda: bot.app.spool.stats() == {"answered": 1}, what="the spooled job to complete")
            # /readyz keeps this replica in the Service: it still acknowledges deliveries
            ready = sender.http.get("/readyz")
            _wait(lambda: "local spool" in sender.http.get("/readyz").text, timeout=10, what="readyz")
            assert sender.http.get("/readyz").status_code == 200, ready.text
            outage.end()
            _wait(lambda: bot.app.spool.depth() == 0, what="the spool replay")
        # Everything answering it wrote is in the database now.
        (job,) = _rows(bot, schema.jobs, schema.jobs.c.key == "event:EvSPOOL1")
        assert job["done_at"] is not None
        (reply,) = _rows(bot, schema.replies, schema.replies.c.channel == channel, schema.replies.c.source_ts == ts)
        assert reply["reply_ts"] == _reply_ts(fake_slack, channel, ts)
        (analysis,) = _rows(bot, schema.analyses, schema.analyses.c.id == reply["analysis_id"])
        assert analysis["id"] < 0 and analysis["source_ts"] == ts  # the spool's id, kept
        assert {parse_action_value(value)[0] for value in _values(post.params["blocks"])} == {analysis["id"]}
        # (the buttons of the posted reply point at the stored analysis)
        assert _rows(
            bot, schema.oom_events, schema.oom_events.c.channel == channel, schema.oom_events.c.message_ts == ts
        )
        assert _rows(bot, schema.dedup_keys, schema.dedup_keys.c.key == "event:EvSPOOL1")
        # A later retry and an edit-free redelivery are repeats now: still one answer.
        assert sender.event(event, event_id="EvSPOOL1", retry_num=2).status_code == 200
        time.sleep(1.5)
        assert len(_posts(fake_slack, channel, ts)) == 1
        assert not fake_slack.calls_to("chat.update", channel=channel)
    finally:
        sender.close()
        bot.stop()


def test_a_retry_reaching_the_other_replica_during_the_outage_is_not_answered_twice(fake_slack, db_url):
    """The first attempt reaches replica A, its retry replica B, both without a database. A answers
    from its spool; B keeps the retry until the database answers. B gets the database back first
    (A is still cut off, so A's records are not there yet): B's job waits the grace period, finds
    A's reply in the thread by its metadata and updates it instead of posting a second one."""
    real_analyze()
    settings = make_settings(fake_slack, db_url, job_lease_s=2.0)
    replica_a, replica_b = BotServer(settings), BotServer(settings)
    assert replica_a.app.spool.path != replica_b.app.spool.path  # one spool file per process
    sender_a, sender_b = SlackSender(replica_a.base_url, fake_slack), SlackSender(replica_b.base_url, fake_slack)
    channel = new_channel()
    event = _dump_event(fake_slack, channel, "lab-memcg-v2-deb61-arm64")
    ts = event["ts"]
    try:
        with Outage(replica_a) as outage_a, Outage(replica_b) as outage_b:
            assert sender_a.event(event, event_id="EvTWICE1").status_code == 200
            assert sender_b.event(event, event_id="EvTWICE1", retry_num=1).status_code == 200
            assert len(fake_slack.wait_for(lambda: _posts(fake_slack, channel, ts), timeout=20)) == 1
            assert replica_b.app.spool.stats() == {"deferred": 1}  # B does not answer a retry from memory
            outage_b.end()
            _wait(lambda: replica_b.app.spool.depth() == 0, what="B's replay")
            fake_slack.wait_for(lambda: fake_slack.calls_to("chat.update", channel=channel), timeout=20)
            assert len(_posts(fake_slack, channel, ts)) == 1
            outage_a.end()
            _wait(lambda: replica_a.app.spool.depth() == 0, what="A's replay")
        _wait(lambda: replica_b.services.store.queue_stats()["pending"] == 0, what="the queue to drain")
        time.sleep(1.5)
        assert len(_posts(fake_slack, channel, ts)) == 1
        (reply,) = _rows(replica_a, schema.replies, schema.replies.c.channel == channel)
        assert reply["reply_ts"] == _reply_ts(fake_slack, channel, ts)
    finally:
        for sender in (sender_a, sender_b):
            sender.close()
        replica_a.stop()
        replica_b.stop()


def test_a_replica_killed_with_a_full_spool_hands_it_to_the_next_process(fake_slack, db_url):
    """Deliveries acknowledged into the spool by a process that stops before answering them are
    answered once by the next process that takes the spool file, through the shared queue."""
    real_analyze()
    settings = make_settings(fake_slack, db_url)
    dying = BotServer(settings, start_jobs=False)  # acknowledges, never answers (killed at once)
    sender = SlackSender(dying.base_url, fake_slack)
    channel = new_channel()
    events = [_dump_event(fake_slack, channel) for _ in range(3)]
    with Outage(dying):
        for n, event in enumerate(events):
            assert sender.event(event, event_id=f"EvKILLED{n}").status_code == 200
    assert dying.app.spool.stats() == {"pending": 3}
    spool_path = dying.app.spool.path
    sender.close()
    dying.stop()  # releases the spool file, as the kernel does for a killed process
    assert not fake_slack.calls_to("chat.postMessage", channel=channel)
    successor = BotServer(settings)
    try:
        assert successor.app.spool.path == spool_path
        for event in events:
            fake_slack.wait_for(lambda event=event: _posts(fake_slack, channel, event["ts"]), timeout=30)
        _wait(lambda: successor.app.spool.depth() == 0, what="the replay")
        time.sleep(1.5)
        assert [len(_posts(fake_slack, channel, event["ts"])) for event in events] == [1, 1, 1]
    finally:
        successor.stop()


def test_a_frozen_database_still_acks_fast_never_starves_commands_and_answers_once(fake_slack, db_url):
    """Recordings hang: acks still come within Slack's 3 s (a delivery whose insert may still go
    through waits for it instead of being answered from the spool), /gfp is answered, and when the
    database thaws every dump has exactly one answer."""
    real_analyze()
    bot = BotServer(make_settings(fake_slack, db_url))
    sender = SlackSender(bot.base_url, fake_slack)
    store = bot.services.store
    thaw = threading.Event()
    original_enqueue, original_stats = store.enqueue, store.queue_stats

    def frozen_enqueue(*args, **kwargs):
        thaw.wait(60)
        return original_enqueue(*args, **kwargs)

    def frozen_stats(*args, **kwargs):
        thaw.wait(60)
        return original_stats(*args, **kwargs)

    store.enqueue, store.queue_stats = frozen_enqueue, frozen_stats
    channel = new_channel()
    dumps = [_dump_event(fake_slack, channel) for _ in range(2)]
    try:
        results: list[tuple[int, float]] = []

        def deliver(n: int) -> None:
            started = time.monotonic()
            response = sender.event(
                {"type": "message", "channel": channel, "user": "UHUMAN", "ts": fake_slack.new_ts(), "text": "hello"},
                event_id=f"EvFROZEN{n}",
            )
            results.append((response.status_code, time.monotonic() - started))

        started = time.monotonic()
        assert sender.event(dumps[0], event_id="EvFROZENDUMP0").status_code == 200  # its insert hangs
        assert time.monotonic() - started < 3.0
        threads = [threading.Thread(target=deliver, args=(n,)) for n in range(100)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(results) == 100 and {status for status, _ in results} == {200}
        assert max(elapsed for _, elapsed in results) < 3.0
        assert sender.event(dumps[1], event_id="EvFROZENDUMP1").status_code == 200  # straight to the spool
        assert len(fake_slack.wait_for(lambda: _posts(fake_slack, channel, dumps[1]["ts"]), timeout=20)) == 1
        assert not _posts(fake_slack, channel, dumps[0]["ts"])  # may be in the database: it waits
        started = time.monotonic()
        response = sender.command("/gfp", "0xcc0", channel)
        assert response.status_code == 200 and time.monotonic() - started < 3.0
        fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"), timeout=10)
        assert sender.http.get("/healthz").status_code == 200
        thaw.set()  # the hung insert goes through; the spool's copy of it is then a repeat
        fake_slack.wait_for(lambda: _posts(fake_slack, channel, dumps[0]["ts"]), timeout=30)
        _wait(lambda: bot.app.spool.depth() == 0, what="the replay")
        _wait(lambda: store.queue_stats()["pending"] == 0, what="the queue to drain")
        time.sleep(1.5)
        assert [len(_posts(fake_slack, channel, d["ts"])) for d in dumps] == [1, 1]
    finally:
        thaw.set()
        store.enqueue, store.queue_stats = original_enqueue, original_stats
        sender.close()
        bot.stop()


def test_a_full_spool_refuses_the_delivery_so_that_slack_retries(fake_slack, db_url):
    bot = BotServer(make_settings(fake_slack, db_url))
    sender = SlackSender(bot.base_url, fake_slack)
    bot.app.spool.max_bytes = 10  # nothing fits
    channel = new_channel()
    try:
        with Outage(bot):
            refused = sender.event(_dump_event(fake_slack, channel), event_id="EvFULL1")
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            _wait(lambda: sender.http.get("/readyz").status_code == 503, timeout=15, what="not ready")
        assert bot.app.spool.depth() == 0
    finally:
        sender.close()
        bot.stop()


def test_queue_and_spool_depth_and_age_are_exported(fake_slack, db_url):
    from bot.slack import metrics

    bot = BotServer(make_settings(fake_slack, db_url), start_jobs=False)  # jobs stay queued
    sender = SlackSender(bot.base_url, fake_slack)
    channel = new_channel()

    def exported() -> dict[str, float]:
        text = httpx.get(bot.base_url + "/metrics").text
        values = {}
        for name in ("oomlens_queue_depth", "oomlens_queue_oldest_age_seconds", "oomlens_spool_depth"):
            (line,) = [line for line in text.splitlines() if line.startswith(name + " ")]
            values[name] = float(line.split()[1])
        return values

    try:
        for n in range(2):
            assert sender.event(_dump_event(fake_slack, channel), event_id=f"EvMETRIC{n}").status_code == 200
        time.sleep(0.2)
        bot.app.recorder.refresh()
        values = exported()
        assert values["oomlens_queue_depth"] >= 2 and values["oomlens_queue_oldest_age_seconds"] >= 0.2
        assert values["oomlens_spool_depth"] == 0
        with Outage(bot):
            assert sender.event(_dump_event(fake_slack, channel), event_id="EvMETRIC9").status_code == 200
            bot.app.recorder.refresh()  # the probe fails: the spool is counted, the queue left as last seen
            assert exported()["oomlens_spool_depth"] == 1
        assert metrics.REGISTRY.get_sample_value("oomlens_recorded_deliveries_total", {"where": "spooled"}) >= 1
    finally:
        sender.close()
        bot.stop()


def test_socket_mode_records_a_job_before_the_ack(fake_slack, db_url):
    from fake_slack import APP_TOKEN, TEAM_ID, FakeSocketModeServer

    from bot.slack.app import build_app
    from bot.slack.socket_mode import make_handler

    real_analyze()
    ws = FakeSocketModeServer()
    fake_slack.ws_url = ws.url
    settings = make_settings(fake_slack, db_url, signing_secret=None, app_token=APP_TOKEN, socket_mode=True)
    app = build_app(settings, start_jobs=False)  # nothing answers: only the ack's record is seen
    handler = make_handler(app, APP_TOKEN, fake_slack.api_url)
    handler.connect()
    try:
        assert ws.connected.wait(10)
        channel = new_channel()
        payload = {
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": "EvSOCKJOB1",
            "event_time": int(time.time()),
            "event": _dump_event(fake_slack, channel),
        }
        envelope = ws.send("events_api", payload)
        assert ws.wait_ack(envelope) < 3.0
        with app.services.store.engine.connect() as connection:
            (job,) = connection.execute(
                sqlalchemy.select(schema.jobs).where(schema.jobs.c.key == "event:EvSOCKJOB1")
            ).mappings()
        assert job["done_at"] is None and json.loads(job["body"])["event_id"] == "EvSOCKJOB1"
        time.sleep(0.5)
        assert not fake_slack.calls_to("chat.postMessage", channel=channel)
        app.jobs.start()  # now the job threads answer it
        fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage", channel=channel), timeout=20)
    finally:
        handler.close()
        app.shutdown()
        app.services.store.close()
        ws.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_store(request, tmp_path):
    from bot.store import Store

    (tmp_path / "shared").mkdir()
    opened = Store.open(backend_url(request.param, tmp_path / "shared"))
    yield opened
    opened.close()


def test_replay_copies_each_kind_of_entry_once_and_is_idempotent(shared_store, tmp_path):
    """The replay's statements on both databases: an answered entry becomes a done job with its
    keys, analysis (negative id kept) and reply; a pending one a plain job; a deferred retry a
    job that starts after the grace and rechecks the thread; a delivery the database already has
    is left to it. Copying again after a crash between the copy and the local delete changes
    nothing."""
    from bot.store.queue import CLAIM_HOLDER
    from bot.store.spool import ANSWERED, DEFERRED, PENDING, Spool

    tag = uuid.uuid4().hex[:10]
    spool = Spool(tmp_path / "spool")
    try:
        now = time.time()
        keys = {name: f"event:{name}{tag}" for name in ("answered", "pending", "retry", "known")}
        for name, state in (("answered", PENDING), ("pending", PENDING), ("retry", DEFERRED), ("known", PENDING)):
            assert spool.add(keys[name], json.dumps({"n": name}), state=state, recheck=name == "retry", now=now)
        assert not spool.add(keys["retry"], "{}", state=DEFERRED)  # a retry to this replica: a repeat
        (job,) = spool.claim_jobs("me", 30, 1, now=now)
        assert job.key == keys["answered"]
        token = CLAIM_HOLDER.set(f"job:{job.id}")  # what answering it writes in the local store
        try:
            assert spool.store.claim(keys["answered"], ttl_s=3600)
            analysis_id = spool.store.save_analysis(
                team_id="T1", channel=f"C{tag}", source_ts="1.1", thread_ts="1.1", source_kind="message",
                headline="h", top_code=None, top_title=None, event_count=1, paste="p",
            )  # fmt: skip
            spool.store.save_reply(f"C{tag}", "1.1", "2.2", "1.1", analysis_id, "d")
        finally:
            CLAIM_HOLDER.reset(token)
        assert spool.complete_job(job.id, "me")
        assert analysis_id < 0
        assert shared_store.enqueue(keys["known"], "{}")  # another replica recorded it
        assert spool.stats() == {ANSWERED: 1, PENDING: 2, DEFERRED: 1}

        counts = spool.replay(shared_store, grace_s=30, now=now)
        assert (counts.entries, counts.answered, counts.queued, counts.already_queued) == (4, 1, 2, 1)
        assert spool.depth() == 0 and spool.replay(shared_store, grace_s=30).empty
        with shared_store.engine.connect() as connection:
            jobs = {
                row["key"]: row
                for row in connection.execute(
                    sqlalchemy.select(schema.jobs).where(schema.jobs.c.key.in_(list(keys.values())))
                ).mappings()
            }
            assert (
                connection.execute(
                    sqlalchemy.select(schema.analyses.c.id).where(schema.analyses.c.id == analysis_id)
                ).scalar()
                == analysis_id
            )
        assert jobs[keys["answered"]]["done_at"] is not None
        assert jobs[keys["pending"]]["done_at"] is None and jobs[keys["pending"]]["attempts"] == 0
        retry = jobs[keys["retry"]]
        assert retry["attempts"] == 1 and retry["lease_until"] == pytest.approx(now + 30)  # recheck, after the grace
        assert jobs[keys["known"]]["body"] == "{}"  # the database's own copy stays
        reply = shared_store.reply_for(f"C{tag}", "1.1")
        assert reply is not None and (reply.reply_ts, reply.analysis_id) == ("2.2", analysis_id)
        token = CLAIM_HOLDER.set("job:other")
        try:
            assert not shared_store.claim(keys["answered"])  # the key came along: a later copy is a repeat
        finally:
            CLAIM_HOLDER.reset(token)
    finally:
        spool.close()


def test_a_replay_cut_short_by_the_database_deletes_nothing_and_gives_entries_back(shared_store, tmp_path):
    from bot.store.spool import PENDING, Spool

    tag = uuid.uuid4().hex[:10]
    spool = Spool(tmp_path / "spool")
    working = shared_store.engine
    try:
        for n in range(3):
            assert spool.add(f"event:cut{n}{tag}", "{}", state=PENDING)
        shared_store.engine = sqlalchemy.create_engine(BROKEN)  # gone again while replaying
        with pytest.raises(sqlalchemy.exc.OperationalError):
            spool.replay(shared_store, grace_s=30)
        assert spool.stats() == {PENDING: 3}
        assert len(spool.claim_jobs("me", 30, 3)) == 3  # the job threads may take them again at once
        shared_store.engine = working
        assert spool.replay(shared_store, grace_s=30).entries == 0  # held by the job threads now
        counts = spool.replay(shared_store, grace_s=30, now=time.time() + 60)  # their process died
        assert counts.entries == 3 and counts.queued == 3 and spool.depth() == 0
    finally:
        shared_store.engine = working
        spool.close()


def test_replicas_answering_from_their_spools_take_turns_in_a_channel():
    """Two replicas without the shared pace: replica 0 of 2 posts to a channel only at the start of
    its turns, replica 1 at the start of the others (a turn: 1.25 s, a second and a margin for
    the jitter between processes), so their posts to one channel are always over a second apart."""
    from bot.slack.pacing import ChannelPacer, TurnPacer, Turns

    clock = {"now": 1000.25}
    posts: list[tuple[float, int]] = []
    pacers = []
    for rank in range(2):
        turns = Turns()
        turns.set(rank, 2)
        local = ChannelPacer(1.0, clock=lambda: clock["now"])
        pacers.append(TurnPacer(local, turns, 1.0, clock=lambda: clock["now"]))
    for step in range(12):  # both replicas want to post to C1 at every step, a third of a second apart
        rank = step % 2
        delay = pacers[rank].slot("C1")
        posts.append((clock["now"] + delay, rank))
        clock["now"] += 1 / 3
    times = sorted(t for t, _ in posts)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1.25 - 1e-9
    for when, rank in posts:
        turn = when / 1.25
        assert abs(turn - round(turn)) < 1e-9 and round(turn) % 2 == rank
    pacers[0].turns.set(5, 2)  # a rank out of range (the view changed): alone, paced by itself
    assert pacers[0].turns.count == 1


def test_replica_turns_come_from_the_live_replicas(shared_store):
    tag = uuid.uuid4().hex[:8]
    # A moment far in the future, different for every run: no other replica (another test, a
    # checkout sharing the PostgreSQL test database) is alive then.
    now = 10_000_000_000.0 + uuid.uuid4().int % 10**9
    try:
        first = shared_store.replica_turn(f"a-{tag}", ttl_s=15, now=now)
        second = shared_store.replica_turn(f"b-{tag}", ttl_s=15, now=now)
        assert first == (0, 1) and second == (1, 2)
        assert shared_store.replica_turn(f"a-{tag}", ttl_s=15, now=now + 1) == (0, 2)
        assert shared_store.replica_turn(f"b-{tag}", ttl_s=15, now=now + 20) == (0, 1)  # a stopped heartbeating
    finally:
        with shared_store.engine.begin() as connection:
            connection.execute(
                sqlalchemy.delete(schema.leases).where(
                    schema.leases.c.key.in_([f"replica:a-{tag}", f"replica:b-{tag}"])
                )
            )

"""Incident memory in the store, on SQLite and on the real PostgreSQL server: events, retention,
leases (exactly once across threads), digests and scan cursors; the 0001 -> 0002 migration."""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy.exc

sys.path.insert(0, str(Path(__file__).parent))

from store_backends import backend_url

from bot.store import Digest, EventRecord, ScanState, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    opened = Store.open(backend_url(request.param, tmp_path))
    yield opened
    opened.close()


def _record(channel: str, ts: str, index: int = 0, **values) -> EventRecord:
    values.setdefault("posted_at", float(ts))
    return EventRecord(event_index=index, channel=channel, message_ts=ts, team_id="T1", **values)


def test_events_are_stored_once_and_replaced_on_edit(store):
    channel = f"C{uuid.uuid4().hex[:10]}"
    first = [
        _record(
            channel,
            "1700000000.000100",
            0,
            victim_comm="postgres",
            host="db-3",
            figures={"memcg_limit_kb": 4194304},
            remediation=("Raise the limit.",),
        ),
        _record(channel, "1700000000.000100", 1, victim_comm="java"),
    ]
    assert store.record_events(first) == 2
    assert store.record_events(first) == 0  # a retry, another replica, a re-scan
    stored = store.events(team_id="T1", channel=channel)
    assert [(r.event_index, r.victim_comm) for r in stored] == [(0, "postgres"), (1, "java")]
    assert stored[0].figures == {"memcg_limit_kb": 4194304} and stored[0].remediation == ("Raise the limit.",)
    assert stored[0].paste is None
    edited = [_record(channel, "1700000000.000100", 0, victim_comm="mysqld")]
    assert store.record_events(edited, replace=True) == 1
    assert [r.victim_comm for r in store.events(team_id="T1", channel=channel)] == ["mysqld"]
    assert store.forget_message_events(channel, "1700000000.000100") == 1
    assert store.events(team_id="T1", channel=channel) == []


def test_window_uses_the_log_time_when_there_is_one(store):
    channel = f"C{uuid.uuid4().hex[:10]}"
    now = 1_800_000_000.0
    store.record_events(
        [
            _record(channel, f"{now - 100:.6f}", victim_comm="recent"),
            _record(channel, f"{now - 50:.6f}", victim_comm="old-dump", event_time=now - 3 * 86400),
            _record(channel, f"{now - 2 * 86400:.6f}", victim_comm="yesterday"),
        ]
    )
    in_day = store.events(team_id="T1", channel=channel, since=now - 86400, until=now)
    assert [r.victim_comm for r in in_day] == ["recent"]
    in_week = store.events(team_id="T1", channel=channel, since=now - 7 * 86400, until=now)
    assert [r.victim_comm for r in in_week] == ["old-dump", "yesterday", "recent"]
    assert store.events(team_id="T2", channel=channel) == []


def test_retention_purges_events_and_stored_pastes(store):
    channel = f"C{uuid.uuid4().hex[:10]}"
    store.record_events([_record(channel, "1700000001.000001", paste="dump text")])
    analysis = store.save_analysis(
        team_id="T1",
        channel=channel,
        source_ts="1.1",
        thread_ts="1.1",
        source_kind="message",
        headline="h",
        top_code=None,
        top_title=None,
        event_count=1,
        paste="secret paste",
    )
    assert store.events(team_id="T1", channel=channel)[0].paste == "dump text"
    store.purge_retention(30 * 86400, now=time.time() + 10 * 86400)
    assert store.analysis(analysis) is not None and store.events(team_id="T1", channel=channel)
    counts = store.purge_retention(30 * 86400, now=time.time() + 31 * 86400)
    assert counts["events"] >= 1 and counts["analyses"] >= 1
    assert store.analysis(analysis) is None and store.events(team_id="T1", channel=channel) == []


def test_lease_is_won_by_exactly_one_claimant_and_expires_only_unfinished(store):
    key = f"digest:T1:C1:{uuid.uuid4()}"
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda i: store.acquire_lease(key, f"replica-{i}", 60), range(16)))
    assert won.count(True) == 1
    holder = f"replica-{won.index(True)}"
    assert not store.acquire_lease(key, "late", 60)
    # the holder died: after the lease expires someone else may take over
    assert store.acquire_lease(key, "rescuer", 60, now=time.time() + 120)
    store.finish_lease(key, "rescuer", "1700000000.1")
    assert not store.acquire_lease(key, "again", 60, now=time.time() + 10 * 86400 - 1)
    assert store.lease(key)["result"] == "1700000000.1" and holder != "rescuer"
    released = f"scan:{uuid.uuid4()}"
    assert store.acquire_lease(released, "a", 60)
    store.release_lease(released, "a")
    assert store.acquire_lease(released, "b", 60)


def test_digests_and_scan_state(store):
    channel = f"C{uuid.uuid4().hex[:10]}"
    store.set_digest(Digest("T1", channel, "daily", "09:00", "UTC", "U1"))
    store.set_digest(Digest("T1", channel, "daily", "10:30", "Europe/Paris", "U2"))
    mine = [d for d in store.digests() if d.channel == channel]
    assert [(d.at_time, d.timezone, d.created_by) for d in mine] == [("10:30", "Europe/Paris", "U2")]
    assert store.drop_digest("T1", channel) and not store.drop_digest("T1", channel)
    state = ScanState("T1", channel, "0.000000", "dXNlcjo2", "paused", 3, 30, 2, 100.0)
    store.save_scan(state)
    assert store.scan_state("T1", channel) == state
    assert state in store.paused_scans(now=101.0) and state not in store.paused_scans(now=99.0)
    store.save_scan(ScanState("T1", channel, "0.000000", None, "done", 4, 40, 3, None))
    assert store.scan_state("T1", channel).status == "done"


def test_migration_from_the_first_revision_keeps_data(tmp_path):
    from alembic import command
    from alembic.config import Config

    from bot.store.store import MIGRATIONS_DIR, make_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_slack_bot")
    old = Store(engine)
    analysis = old.save_analysis(
        team_id="T",
        channel="C",
        source_ts=None,
        thread_ts=None,
        source_kind="command",
        headline="h",
        top_code=None,
        top_title=None,
        event_count=1,
        paste="p",
    )
    with pytest.raises(sqlalchemy.exc.DBAPIError):
        old.events(team_id="T", channel="C")  # no events table before 0002
    engine.dispose()
    upgraded = Store.open(url)
    assert upgraded.analysis(analysis).paste == "p"
    assert upgraded.record_events([_record("C", "1700000000.000001")]) == 1
    upgraded.close()

"""Summary rendering for Slack stays within Block Kit limits and inert for any name a paste can
carry; `/oom summary` arguments; digest slots across time zones."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from fake_slack import check_text, validate_blocks
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.incidents.build import build_summary
from bot.render.summary import render_slack
from bot.slack.incidents import UsageError, archive_link, parse_window
from bot.store import Digest, EventRecord

HOSTILE = st.lists(
    st.sampled_from(list("<>&!@#`*_~|abc^") + ["<!channel>", "<@U1>", "&amp;", "<!here|x>", "<https://evil.io|click>"]),
    min_size=1,
    max_size=10,
).map("".join)


@given(victim=HOSTILE, host=HOSTILE, cgroup=HOSTILE, step=HOSTILE, count=st.integers(1, 60))
@settings(max_examples=40, deadline=None)
def test_slack_summary_is_valid_and_inert_for_any_names(victim, host, cgroup, step, count):
    start = 1_700_000_000.0
    records = [
        EventRecord(
            event_index=0,
            posted_at=start + i * 600,
            victim_comm=f"{victim}{i % 3}",
            host=f"{host}{i % 7}",
            cgroup="/" + cgroup,
            category="memcg_limit",
            top_code="OOM401",
            kind="memcg-oom",
            figures={"memcg_limit_kb": 1024 * (i % 2 + 1)},
            remediation=(step, f"{step} {i % 4}"),
            channel="C1",
            message_ts=f"{start + i:.6f}",
            thread_ts=f"{start:.6f}" if i % 2 else None,
        )
        for i in range(count)
    ]
    summary = build_summary(records, title=f"OOM summary {victim}")
    text, blocks = render_slack(summary, linker=lambda r: archive_link("https://acme.slack.com/", r), note=host)
    assert validate_blocks(blocks) == []
    assert check_text(text, "mrkdwn") == []


def test_links_point_at_the_message_and_its_thread():
    record = EventRecord(
        event_index=0, posted_at=1.0, channel="C123", message_ts="1700000000.000200", thread_ts="1699999999.000100"
    )
    assert (
        archive_link("https://acme.slack.com/", record)
        == "https://acme.slack.com/archives/C123/p1700000000000200?thread_ts=1699999999.000100&cid=C123"
    )
    assert archive_link(None, record) is None


def test_summary_windows():
    now = datetime(2025, 3, 14, 12, 0, tzinfo=UTC).timestamp()
    assert (parse_window([], now).since, parse_window([], now).until) == (now - 86400, now)
    assert parse_window(["7d"], now).label == "last 7 days"
    assert parse_window(["last", "12h"], now).since == now - 12 * 3600
    assert parse_window(["<#C1|ops>", "2w"], now).since == now - 14 * 86400
    assert parse_window(["since", "2025-03-14"], now).since == now - 12 * 3600
    assert parse_window(["since", "2025-03-14", "09:30"], now).since == now - 2.5 * 3600
    for words in (["since"], ["since", "tomorrowish"], ["since", "2030-01-01"], ["0h"], ["9999d"], ["soon"]):
        with pytest.raises(UsageError):
            parse_window(words, now)


@pytest.mark.parametrize(
    "zone, now, expected",
    [
        ("UTC", "2025-03-14T09:00:30+00:00", "2025-03-14T09:00:00+00:00"),
        ("UTC", "2025-03-14T08:59:59+00:00", "2025-03-13T09:00:00+00:00"),
        ("Europe/Paris", "2025-03-14T08:30:00+00:00", "2025-03-14T09:00:00+01:00"),
        ("Europe/Paris", "2025-03-30T07:30:00+00:00", "2025-03-30T09:00:00+02:00"),  # the day clocks change
        ("America/New_York", "2025-03-14T12:00:00+00:00", "2025-03-13T09:00:00-04:00"),
    ],
)
def test_digest_slot_in_the_channel_time_zone(zone, now, expected):
    from bot.slack.scheduler import digest_slot

    digest = Digest("T", "C", "daily", "09:00", zone, None)
    slot = digest_slot(digest, datetime.fromisoformat(now).timestamp())
    assert slot.isoformat() == expected


def test_a_digest_set_after_todays_slot_waits_for_tomorrow(tmp_path):
    from bot.settings import Settings
    from bot.slack.incidents import Incidents
    from bot.slack.scheduler import Scheduler
    from bot.slack.services import Services
    from bot.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    posted = []

    class Recorder(Incidents):
        def post_digest(self, client, digest, *, now):
            posted.append((digest.channel, now))
            return "1.1"

    services = Services(settings=Settings(bot_token="xoxb-x", signing_secret="s"), store=store)
    scheduler = Scheduler(Recorder(services), client=None)
    nine = datetime(2025, 3, 14, 9, 0, tzinfo=UTC).timestamp()
    store.set_digest(Digest("T", "C", "daily", "09:00", "UTC", "U", updated_at=nine + 3600))
    assert scheduler.run_due_digests(now=nine + 2 * 3600) == []  # set at 10:00: today's 09:00 is not owed
    assert scheduler.run_due_digests(now=nine + 86400 + 60) == ["digest:T:C:2025-03-15"]
    assert scheduler.run_due_digests(now=nine + 86400 + 120) == []
    assert scheduler.run_due_digests(now=nine + 2 * 86400 + 7 * 3600) == []  # missed by 7 h: skipped, not late
    assert posted == [("C", nine + 86400 + 60)]
    store.close()


def test_scheduler_purges_expired_rows(tmp_path):
    from bot.settings import IncidentSettings, Settings
    from bot.slack.incidents import Incidents
    from bot.slack.scheduler import Scheduler
    from bot.slack.services import Services
    from bot.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    services = Services(settings=Settings(bot_token="xoxb-x", signing_secret="s"), store=store)
    scheduler = Scheduler(Incidents(services, IncidentSettings(retention_days=1)), client=None)
    store.record_events([EventRecord(event_index=0, posted_at=1.0, channel="C", message_ts="1.0")])
    store.claim("event:x", ttl_s=10)
    assert scheduler.purge(now=time.time() + 3600) == {
        "events": 0,
        "analyses": 0,
        "fragments": 0,
        "leases": 0,
        "dedup_keys": 1,
    }
    assert scheduler.purge(now=time.time() + 2 * 86400)["events"] == 1
    store.close()


def test_incident_settings_from_env():
    from bot.settings import IncidentSettings, SettingsError

    parsed = IncidentSettings.from_env(
        {
            "OOMLENS_RETENTION_DAYS": "7",
            "OOMLENS_STORE_PASTES": "yes",
            "OOMLENS_CHARTS": "off",
            "OOMLENS_HISTORY_PAGE_LIMIT": "15",
        }
    )
    assert (parsed.retention_s, parsed.store_pastes, parsed.charts, parsed.history_page_limit) == (
        7 * 86400,
        True,
        False,
        15,
    )
    for env, name in (
        ({"OOMLENS_RETENTION_DAYS": "soon"}, "OOMLENS_RETENTION_DAYS"),
        ({"OOMLENS_STORE_PASTES": "maybe"}, "OOMLENS_STORE_PASTES"),
        ({"OOMLENS_RETENTION_DAYS": "0"}, "OOMLENS_RETENTION_DAYS"),
    ):
        with pytest.raises(SettingsError, match=name):
            IncidentSettings.from_env(env)


def test_truncated_mrkdwn_never_ends_inside_a_link_or_an_entity():
    from bot.render.mrkdwn import truncate_mrkdwn

    text = "Threads: <https://acme.slack.com/archives/C1/p1|db-3 &lt;!channel&gt;> \u00b7 <https://acme.slack.com/x|y>"
    for limit in range(10, len(text)):
        cut = truncate_mrkdwn(text, limit)
        assert len(cut) <= limit
        assert check_text(cut, "mrkdwn") == [], (limit, cut)

"""Unit tests of the Slack helpers: escaping, unescaping, detection, pacing, store, downloads, rendering."""

from __future__ import annotations

import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fake_slack import check_text, validate_blocks
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_harness import corpus_text, real_analyze

from bot.render.mrkdwn import escape_mrkdwn
from bot.slack.download import DownloadError, download_text, host_allowed, is_supported_file
from bot.slack.pacing import BotReplyLimiter, ChannelPacer
from bot.slack.text import message_text_to_paste, unescape_slack
from bot.store import Store
from grammar.detect import ends_inside_report, holds_event, looks_like_report_part, starts_report


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_escaped_text_never_holds_markup_and_round_trips(text):
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert check_text(escaped, "mrkdwn") == []
    assert unescape_slack(escaped) == text


def test_unescape_reduces_slack_markup_to_plain_text():
    wire = "&lt;task&gt; x -&gt; y &amp;amp; <https://x.io/a|x.io> <@U123> <!channel> <#C1|ops> &amp;lt;"
    assert unescape_slack(wire) == "<task> x -> y &amp; x.io @U123 @channel #ops &lt;"


def test_paste_from_code_fences_and_quotes():
    wire = "look:\n```\n[ 1.0] a invoked oom-killer: gfp_mask=0x0\n[ 1.1] Mem-Info:```\n&gt; quoted"
    assert message_text_to_paste(wire) == "look:\n[ 1.0] a invoked oom-killer: gfp_mask=0x0\n[ 1.1] Mem-Info:\nquoted"


def test_detection():
    seed = corpus_text("seed-rsync-32bit")
    assert holds_event(seed) and starts_report(seed) and not ends_inside_report(seed)
    assert not holds_event("the deploy was slow today")
    assert looks_like_report_part("[ 1.0] Node 0 Normal free:1kB\n[ 1.1] lowmem_reserve[]: 0 0\n")
    assert not looks_like_report_part("hi\nthere")
    lines = seed.splitlines()
    cut = next(i for i, line in enumerate(lines) if "Mem-Info" in line)
    head, tail = "\n".join(lines[:cut]), "\n".join(lines[cut:])
    assert ends_inside_report(head) and starts_report(head)  # the report opens, and stops at Mem-Info
    assert holds_event(tail) and not starts_report(tail)  # the rest of a report begun elsewhere


def test_pacer_spaces_posts_per_channel_only():
    now = [0.0]
    slept = []
    pacer = ChannelPacer(1.0, clock=lambda: now[0], sleep=slept.append)
    assert [pacer.wait("C1"), pacer.wait("C1"), pacer.wait("C2"), pacer.wait("C1")] == [0, 1.0, 0, 2.0]
    limiter = BotReplyLimiter(limit=2, window_s=60, clock=lambda: now[0])
    assert [limiter.allow("C", "B"), limiter.allow("C", "B"), limiter.allow("C", "B")] == [True, True, False]
    now[0] = 61
    assert limiter.allow("C", "B")


def _pg_url() -> str:
    from tests.store_backends import postgres_url

    return postgres_url()  # the server the other store tests use (OOMLENS_TEST_POSTGRES_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite3'}" if request.param == "sqlite" else _pg_url()
    opened = Store.open(url)
    Store.open(url).close()  # migrations are idempotent
    yield opened
    opened.close()


def test_store_claims_once_across_threads_and_expires(store):
    key = f"event:{uuid.uuid4()}"
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.claim(key, ttl_s=60), range(16)))
    assert results.count(True) == 1
    assert store.claim(key, ttl_s=60) is False
    assert store.claim(key, ttl_s=60, now=10**12) is True  # after the TTL the key can be taken again


def test_store_replies_analyses_feedback(store):
    channel = f"C{uuid.uuid4().hex[:8]}"
    team = f"T{uuid.uuid4().hex[:8]}"
    analysis_id = store.save_analysis(
        team_id=team,
        channel=channel,
        source_ts="1.1",
        thread_ts="1.1",
        source_kind="message",
        headline="OOM kill",
        top_code="OOM101",
        top_title="x",
        event_count=1,
        paste="dump",
    )
    store.save_reply(channel, "1.1", "2.2", "1.1", analysis_id, "d1")
    store.save_reply(channel, "1.1", "2.2", "1.1", analysis_id, "d2")
    assert store.reply_for(channel, "1.1").text_digest == "d2"
    assert [a.id for a in store.latest_analyses(team)] == [analysis_id]
    store.save_feedback(
        analysis_id=analysis_id, team_id=team, channel=channel, user_id="U1", verdict="helpful", top_code="OOM101"
    )
    assert store.feedback_for(analysis_id)[0]["verdict"] == "helpful"
    assert store.ping()


def test_host_allow_list():
    hosts = frozenset({"files.slack.com", "127.0.0.1"})
    assert host_allowed("https://files.slack.com/files-pri/T/F/x.log", hosts)
    assert not host_allowed("http://files.slack.com/x", hosts)  # never send the token in clear
    assert not host_allowed("https://files.slack.com.evil.io/x", hosts)
    assert not host_allowed("https://evil.io/files.slack.com/x", hosts)
    assert host_allowed("http://127.0.0.1:9/x", hosts, frozenset({"127.0.0.1"}))
    assert is_supported_file({"name": "kern.log.gz"}) and is_supported_file({"mode": "snippet", "name": "-"})
    assert not is_supported_file({"name": "a.png", "mimetype": "image/png"})


def test_download_refuses_before_any_request():
    with pytest.raises(DownloadError, match="not hosted on Slack"):
        download_text(
            {"name": "x.log", "url_private_download": "https://evil.io/x.log"},
            token="xoxb-1",
            allowed_hosts=frozenset({"files.slack.com"}),
            max_bytes=10,
        )
    with pytest.raises(DownloadError, match="up to"):
        download_text(
            {"name": "x.log", "size": 11, "url_private_download": "https://files.slack.com/x"},
            token="xoxb-1",
            allowed_hosts=frozenset({"files.slack.com"}),
            max_bytes=10,
        )


def _report_with_names(name: str):
    from bot.pipeline import analyze

    return analyze(corpus_text("seed-rsync-32bit").replace("clamd", name).replace("rsync", name))


@given(
    st.lists(
        st.sampled_from(list("<>&!@#`*_~|abc^") + ["<!channel>", "<@U1>", "&amp;", "<!here|x>"]), min_size=1, max_size=8
    ).map("".join)
)
@settings(max_examples=25, deadline=None)
def test_rendered_reply_is_valid_and_inert_for_any_process_name(name):
    real_analyze()
    from bot.render.blockkit import render_details, render_report

    report = _report_with_names(name)
    rendered = render_report(report, analysis_id=1)
    assert validate_blocks(rendered.blocks) == []
    assert check_text(rendered.text, "mrkdwn") == []
    for kind in ("gfp", "zones", "processes", "memory"):
        text, blocks = render_details(report, 0, kind)
        assert validate_blocks(blocks) == [] and check_text(text, "mrkdwn") == []


def test_more_stories_than_fit_fall_back_to_a_file():
    """Six different stories are more than a reply answers inline (MAX_GROUPS_INLINE): the file
    carries every event in full; one story fits without a file."""
    real_analyze()
    from bot.pipeline import analyze
    from bot.render.blockkit import MAX_GROUPS_INLINE, render_report

    cases = [
        "lab-memcg-v2-deb61-arm64",
        "lab-fragmentation-deb612-amd64",
        "lab-highmem-hog-deb61-686pae",
        "lab-hugetlb-deb612-amd64",
        "lab-lowmem-openfiles-deb61-686pae",
        "seed-rsync-32bit",
        "lab-mlock-deb61-amd64",
    ]
    report = analyze("\n".join(corpus_text(c) for c in cases))
    assert len(report.groups()) > MAX_GROUPS_INLINE
    rendered = render_report(report, analysis_id=7)
    assert rendered.oversize and rendered.file is not None
    assert validate_blocks(rendered.blocks) == []
    assert rendered.file[1].count("Event ") >= len(report.events)  # the file: the terminal text, every event in full
    small = render_report(analyze(corpus_text("lab-memcg-v2-deb61-arm64")), analysis_id=8)
    assert not small.oversize and small.file is None


def test_corpus_cases_render_within_limits():
    analyze = real_analyze()
    from pathlib import Path

    from slack_harness import CORPUS

    from bot.render.blockkit import render_report

    cases = sorted(p for p in Path(CORPUS).iterdir() if (p / "input.log").exists())[:60]
    rendered_any = 0
    for case in cases:
        report = analyze((case / "input.log").read_text(errors="replace"))
        if not report.events:
            continue
        rendered = render_report(report, analysis_id=1)
        assert validate_blocks(rendered.blocks) == [], case.name
        rendered_any += 1
    assert rendered_any > 10


def test_channel_slots_are_shared_by_replicas(store, tmp_path):
    """Two stores on one database (two replicas) hand out distinct slots a full interval apart."""
    url = str(store.engine.url.render_as_string(hide_password=False))
    other = Store.open(url)
    try:
        channel = f"C{uuid.uuid4().hex[:8]}"
        with ThreadPoolExecutor(8) as pool:
            slots = sorted(
                pool.map(lambda i: (store if i % 2 else other).reserve_slot(channel, 0.5, now=1000.0), range(12))
            )
        assert slots[0] == 1000.0
        assert all(later - earlier >= 0.5 - 1e-6 for earlier, later in itertools.pairwise(slots))
        assert store.reserve_slot(channel, 0.5, now=5000.0) == 5000.0  # an idle channel starts now
        assert store.reserve_slot(f"C{uuid.uuid4().hex[:8]}", 0.5) > 0  # a new channel needs no set-up
    finally:
        other.close()


def test_shared_pacer_falls_back_to_in_process_pacing_when_the_database_fails():
    from bot.slack.pacing import SharedChannelPacer

    class Broken:
        def reserve_slot(self, channel, interval_s):
            raise RuntimeError("database down")

    waits = []
    pacer = SharedChannelPacer(Broken(), 1.0, sleep=waits.append)
    pacer.wait("C1")
    pacer.wait("C1")
    assert len(waits) == 1 and 0.9 < waits[0] <= 1.0

"""End to end over HTTP: signed Slack requests -> the real bot under uvicorn -> the fake Web API."""

from __future__ import annotations

import time

import pytest
from slack_harness import corpus_text, new_channel, real_analyze, slack_escape

from bot.render.blockkit import top_finding
from bot.render.mrkdwn import plain_text_safe


def reply_text(call) -> str:
    import json

    return (call.params.get("text") or "") + json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


@pytest.mark.parametrize("case", ["seed-rsync-32bit", "lab-memcg-v2-deb61-arm64"])
def test_pasted_dump_gets_one_threaded_reply_naming_the_cause(case, slack, fake_slack):
    analyze = real_analyze()
    dump = corpus_text(case)
    channel = new_channel()
    started = time.monotonic()
    ts, response = slack.message(channel, "our box died, help?\n```" + slack_escape(dump) + "```")
    assert response.status_code == 200
    assert time.monotonic() - started < 3.0

    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts
    expected = analyze(dump)
    assert expected.events, "the corpus dump must hold an event"
    text = reply_text(reply)
    # the reply leads with the overview's headline: the cause (never a context finding) first
    assert plain_text_safe(expected.events[0].overview.headline) in text
    top = top_finding(expected.events[0])
    assert top is None or top.role == "root-cause"
    victim = expected.events[0].event.kill.comm
    assert victim in text
    time.sleep(1.2)
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1


def test_retried_delivery_gets_no_second_reply_even_after_restart(slack, fake_slack, bot, db_url):
    real_analyze()
    from slack_harness import BotServer, SlackSender, make_settings

    channel = new_channel()
    ts = fake_slack.new_ts()
    event = {
        "type": "message",
        "channel": channel,
        "user": "UHUMAN",
        "ts": ts,
        "text": slack_escape(corpus_text("lab-memcg-v2-deb61-arm64")),
    }
    assert slack.event(event, event_id="EvRETRY1").status_code == 200
    fake_slack.wait_calls("chat.postMessage", channel=channel)
    # Slack's retries: same event id, retry headers; and the same message under a new event id.
    assert slack.event(event, event_id="EvRETRY1", retry_num=1).status_code == 200
    assert slack.event(event, event_id="EvOTHER2").status_code == 200
    # A restarted bot (new process, same database) must not answer the retry either.
    restarted = BotServer(make_settings(fake_slack, db_url))
    try:
        sender = SlackSender(restarted.base_url, fake_slack)
        assert sender.event(event, event_id="EvRETRY1", retry_num=2).status_code == 200
        sender.close()
        time.sleep(1.5)
    finally:
        restarted.stop()
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1
    # both de-duplication keys are persisted
    assert not bot.services.store.claim("event:EvRETRY1")
    assert not bot.services.store.claim(f"msg:{channel}:{ts}")


def test_forged_or_stale_signatures_are_rejected(slack, fake_slack):
    channel = new_channel()
    body = (
        b'{"type":"event_callback","event_id":"EvX","event":{"type":"message","channel":"%s","text":"x"}}'
        % channel.encode()
    )
    assert slack.post(body, "application/json", secret="not-the-secret").status_code == 401
    assert slack.post(body, "application/json", timestamp=int(time.time()) - 360).status_code == 401
    no_headers = slack.http.post("/slack/events", content=body, headers={"content-type": "application/json"})
    assert no_headers.status_code == 401
    junk = slack.http.post("/slack/events", content=b"\xff\xfe\x00junk", headers={"content-type": "application/json"})
    assert junk.status_code in (400, 401)
    time.sleep(0.3)
    assert fake_slack.calls_to("chat.postMessage", channel=channel) == []


def test_url_verification_and_probes(slack, bot):
    body = b'{"type":"url_verification","token":"t","challenge":"abc123"}'
    response = slack.post(body, "application/json")
    assert response.status_code == 200 and "abc123" in response.text
    assert slack.http.get("/healthz").status_code == 200
    assert slack.http.get("/readyz").status_code == 200
    bot.services.store.engine.dispose()
    bot.services.store.engine = __import__("sqlalchemy").create_engine("sqlite:////nonexistent/dir/x.db")
    # /readyz answers from a cached check (at most READY_TTL_S old): the broken database shows
    # within one refresh, and every probe in between answers at once. While the local spool has
    # room the replica stays ready (it still acknowledges deliveries, into the spool); with the
    # spool full it is not.
    from bot.slack.server import READY_TTL_S

    answers = []
    deadline = time.monotonic() + READY_TTL_S + 5
    while time.monotonic() < deadline and not any("database" in text for _, text in answers):
        response = slack.http.get("/readyz")
        answers.append((response.status_code, response.text))
        time.sleep(0.1)
    assert answers[-1] == (200, "ready (database unavailable: deliveries go to the local spool)"), answers
    bot.app.spool.max_bytes = 0
    assert (slack.http.get("/readyz").status_code, slack.http.get("/readyz").text) == (503, "database unavailable")


def test_channel_mention_inside_a_dump_pings_nobody(slack, fake_slack):
    real_analyze()
    dump = corpus_text("seed-rsync-32bit").replace("clamd", "<!channel>").replace("rsync", "<!here>&co")
    channel = new_channel()
    slack.message(channel, slack_escape(dump))
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    text = reply_text(reply)
    assert "<!channel>" not in text and "<!here>" not in text
    assert "&lt;!channel&gt;" in text or "\u2039!channel\u203a" in text  # named, but inert
    # The fake's validator (checked at teardown) also proves no live mention in any text field.


def test_rate_limited_post_is_retried_after_retry_after(slack, fake_slack):
    real_analyze()
    fake_slack.add_fault("chat.postMessage", status=429, retry_after=1)
    channel = new_channel()
    ts, _ = slack.message(channel, slack_escape(corpus_text("lab-memcg-v2-deb61-arm64")))
    first, second = fake_slack.wait_calls("chat.postMessage", count=2, channel=channel)
    assert second.at - first.at >= 1.0
    assert second.params["thread_ts"] == ts
    time.sleep(0.5)
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 2
    fake_slack.violations[:] = [v for v in fake_slack.violations if "pacing" not in v]  # the 429 was ours


def test_non_oom_messages_binary_junk_and_huge_pastes_get_silence(slack, fake_slack, bot):
    channel = new_channel()
    slack.message(channel, "did anyone see the deploy? it was killed by the oom thing I think")
    slack.message(channel, "\x00\x01\x02 binary \ufffd\ufffd junk " * 50)
    slack.message(channel, ("[ 1.0] random kernel line\n" * 2000) + "Out of memory: nothing else here")
    time.sleep(1.5)
    assert fake_slack.calls_to("chat.postMessage", channel=channel) == []
    # ... and the bot still answers afterwards.
    real_analyze()
    slack.message(channel, slack_escape(corpus_text("lab-memcg-v2-deb61-arm64")))
    fake_slack.wait_calls("chat.postMessage", channel=channel)


def test_own_messages_and_bot_thread_replies_are_ignored(slack, fake_slack):
    real_analyze()
    channel = new_channel()
    dump = slack_escape(corpus_text("lab-memcg-v2-deb61-arm64"))
    slack.message(channel, dump, user="UBOT", bot_id="BBOT")  # our own echo
    parent = fake_slack.new_ts()
    # another bot answering inside a thread: never answered (no bot-to-bot ping-pong)
    slack.message(channel, dump, user="UOTHERBOT", bot_id="BOTHER", thread_ts=parent)
    time.sleep(1.5)
    assert fake_slack.calls_to("chat.postMessage", channel=channel) == []
    # an alerting bot's top-level message with a dump is answered
    ts, _ = slack.message(channel, dump, user="UOTHERBOT", bot_id="BOTHER")
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts


def test_edit_updates_the_existing_reply(slack, fake_slack):
    real_analyze()
    channel = new_channel()
    memcg = corpus_text("lab-memcg-v2-deb61-arm64")
    rsync = corpus_text("seed-rsync-32bit")
    ts, _ = slack.message(channel, slack_escape(memcg))
    (_reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    old = {"type": "message", "user": "UHUMAN", "text": slack_escape(memcg), "ts": ts}

    def edit(new_text: str, previous_text: str) -> None:
        slack.event(
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "channel": channel,
                "ts": fake_slack.new_ts(),
                "message": {**old, "text": new_text, "edited": {"ts": "1"}},
                "previous_message": {**old, "text": previous_text},
            }
        )

    edit(slack_escape(memcg), slack_escape(memcg))  # unfurl / metadata only
    time.sleep(1.0)
    assert fake_slack.calls_to("chat.update") == []
    edit(slack_escape(rsync), slack_escape(memcg))
    (update,) = fake_slack.wait_calls("chat.update", channel=channel)
    (reply_ts,) = [ts_ for (ch, ts_) in fake_slack.messages if ch == channel]
    assert update.params["ts"] == reply_ts
    assert "clamd" in reply_text(update)
    edit("never mind, fixed", slack_escape(rsync))
    second_update = fake_slack.wait_calls("chat.update", count=2, channel=channel)[1]
    assert "no longer contains" in reply_text(second_update)
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1


def test_dump_split_over_two_messages_is_answered_once_with_the_whole_dump(slack, fake_slack):
    analyze = real_analyze()
    dump = corpus_text("seed-rsync-32bit")
    lines = dump.splitlines()
    cut = next(i for i, line in enumerate(lines) if "Mem-Info" in line)
    channel = new_channel()
    first_ts, _ = slack.message(channel, "```" + slack_escape("\n".join(lines[:cut])) + "```")
    time.sleep(0.3)
    slack.message(channel, "```" + slack_escape("\n".join(lines[cut:])) + "```")
    time.sleep(1.5)
    posts = fake_slack.calls_to("chat.postMessage", channel=channel)
    assert len(posts) == 1 and posts[0].params["thread_ts"] == first_ts
    final = fake_slack.calls_to("chat.update", channel=channel)
    latest = reply_text(final[-1]) if final else reply_text(posts[0])
    whole = analyze(dump)
    assert "clamd" in latest
    assert plain_text_safe(whole.events[0].overview.headline) in latest
    # the answer reflects the second half too (the task table lives there)
    assert final, "the reply to the first part must be updated with the whole dump"


LAB_CASES = [
    "lab-memcg-v2-deb61-arm64",
    "lab-fragmentation-deb612-amd64",
    "lab-highmem-hog-deb61-686pae",
    "lab-hugetlb-deb612-amd64",
    "lab-lowmem-openfiles-deb61-686pae",
]


def file_share(slack, fake_slack, channel, files, text=""):
    ts = fake_slack.new_ts()
    slack.event(
        {
            "type": "message",
            "subtype": "file_share",
            "channel": channel,
            "user": "UHUMAN",
            "text": text,
            "ts": ts,
            "files": files,
            "upload": False,
            "display_as_bot": False,
        }
    )
    return ts


def test_oversized_report_becomes_a_short_reply_plus_a_file(slack, fake_slack):
    analyze = real_analyze()
    from bot.render.blockkit import MAX_GROUPS_INLINE

    log = "\n".join(corpus_text(case) for case in LAB_CASES + ["seed-rsync-32bit", "lab-mlock-deb61-amd64"])
    report = analyze(log)
    events = len(report.events)
    assert len(report.groups()) > MAX_GROUPS_INLINE, "the test needs more stories than fit in one message"
    channel = new_channel()
    file = fake_slack.add_file("kern.log", log.encode(), filetype="text")
    ts = file_share(slack, fake_slack, channel, [file])
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts
    assert "full report is attached" in reply_text(reply)
    upload = fake_slack.wait_for(
        lambda: [u for u in fake_slack.uploads.values() if u["channel"] == channel and u["content"]]
    )
    assert upload[0]["thread_ts"] == ts
    content = upload[0]["content"].decode()
    assert content.count("\n  Event ") == events and "file-opener" in content  # every event in full


def test_snippet_is_downloaded_with_the_token_from_slack_hosts_only(slack, fake_slack):
    import gzip

    from fake_slack import BOT_TOKEN, ServerThread
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    real_analyze()
    dump = corpus_text("lab-memcg-v2-deb61-arm64")
    channel = new_channel()
    snippet = fake_slack.add_file("-.txt", dump.encode(), mode="snippet", preview=dump[:100], preview_is_truncated=True)
    ts = file_share(slack, fake_slack, channel, [snippet])
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts and "memhog" in reply_text(reply)
    (download,) = [d for d in fake_slack.downloads if d.params["file_id"] == snippet["id"]]
    assert download.headers["authorization"] == f"Bearer {BOT_TOKEN}"

    # A gzip'd log works too.
    channel = new_channel()
    gz = fake_slack.add_file("kern.log.gz", gzip.compress(dump.encode()), filetype="gzip", mimetype="application/gzip")
    file_share(slack, fake_slack, channel, [gz])
    fake_slack.wait_calls("chat.postMessage", channel=channel)

    # A URL on any other host never gets the token (nor a request at all).
    seen = []

    async def record(request):
        seen.append(dict(request.headers))
        return PlainTextResponse(dump)

    other = ServerThread(Starlette(routes=[Route("/{path:path}", record)]))
    port = other.start()
    try:
        channel = new_channel()
        evil = {
            **fake_slack.add_file("kern.log", dump.encode()),
            "url_private_download": f"http://localhost:{port}/steal.log",
            "url_private": f"http://localhost:{port}/steal.log",
        }
        file_share(slack, fake_slack, channel, [evil])
        (notice,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
        assert "not hosted on Slack" in reply_text(notice)
    finally:
        other.stop()
    assert seen == []


def test_file_above_the_size_cap_gets_a_clear_message(slack, fake_slack, bot):
    channel = new_channel()
    big = fake_slack.add_file("huge.log", b"x" * (bot.services.settings.max_file_bytes + 1))
    ts = file_share(slack, fake_slack, channel, [big])
    (notice,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert notice.params["thread_ts"] == ts
    assert "I read files up to" in reply_text(notice)
    assert not [d for d in fake_slack.downloads if d.params["file_id"] == big["id"]]  # refused before fetching
    # Binary junk named .log: a short message, no crash; an image: silence.
    channel = new_channel()
    junk = fake_slack.add_file("core.log", bytes(range(256)) * 20)
    image = fake_slack.add_file("graph.png", b"\x89PNG....", mimetype="image/png", filetype="png")
    file_share(slack, fake_slack, channel, [junk, image])
    (notice,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert "does not look like a text log" in reply_text(notice)
    assert not [d for d in fake_slack.downloads if d.params["file_id"] == image["id"]]

"""End to end over HTTP: signed Slack requests -> the real bot under uvicorn -> the fake Web API."""

from __future__ import annotations

import time

import pytest

from conftest import corpus_text, new_channel, real_analyze, slack_escape
from bot.render.slack import top_finding
from bot.slack.text import escape_mrkdwn


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
    top = top_finding(expected.events[0])
    text = reply_text(reply)
    if top is not None:
        assert escape_mrkdwn(top.title) in text
    else:
        assert "No root cause identified" in text
    victim = expected.events[0].event.kill.comm
    assert victim in text
    time.sleep(1.2)
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1

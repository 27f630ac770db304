"""Slack answers what the CLI reads, and keeps two pastes apart, over the fake Slack API.

Whether a message holds a dump is decided by ``grammar/detect.py`` for the CLI and every Slack
surface alike, so every corpus dump that ``oomlens analyze`` reads gets a reply when pasted.
"""

from __future__ import annotations

import time

from slack_harness import CORPUS, new_channel, real_analyze, slack_escape

SLACK_MESSAGE_LIMIT = 40000  # longer pastes reach Slack as a snippet (a file), not as message text


def _raw(case: str) -> bytes:
    return (CORPUS / case / "input.log").read_bytes()


def _text(case: str) -> str:
    return _raw(case).decode("utf-8", errors="replace")


def test_every_corpus_dump_the_cli_reads_gets_a_slack_reply(slack, fake_slack):
    analyze = real_analyze()
    cases = sorted(path.name for path in CORPUS.iterdir() if (path / "input.log").is_file())
    readable = [case for case in cases if analyze(_raw(case)).events]
    assert len(readable) >= 90
    posted: dict[str, str] = {}
    for case in readable:
        dump = _text(case)
        channel = new_channel()
        if len(slack_escape(dump)) <= SLACK_MESSAGE_LIMIT:
            slack.message(channel, slack_escape(dump))
        else:
            snippet = fake_slack.add_file(
                "-.txt", dump.encode(), mode="snippet", preview=dump[:100], preview_is_truncated=True
            )
            ts = fake_slack.new_ts()
            slack.event(
                {
                    "type": "message",
                    "subtype": "file_share",
                    "channel": channel,
                    "user": "UHUMAN",
                    "text": "",
                    "ts": ts,
                    "files": [snippet],
                    "upload": False,
                    "display_as_bot": False,
                }
            )
        posted[case] = channel
    deadline = time.monotonic() + 60
    unanswered = dict(posted)
    while unanswered and time.monotonic() < deadline:
        unanswered = {
            case: channel
            for case, channel in unanswered.items()
            if not fake_slack.calls_to("chat.postMessage", channel=channel)
        }
        time.sleep(0.2)
    assert not unanswered, f"{len(unanswered)} of {len(posted)} dumps got no reply: {sorted(unanswered)}"


def test_two_complete_dumps_pasted_seconds_apart_get_two_replies(slack, fake_slack):
    """One person pastes two dumps from two hosts; the second starts with prose and boot messages.
    Neither is the continuation of the other: two replies, and the first is never rewritten."""
    real_analyze()
    first = _text("lab-memcg-v2-deb61-arm64")  # ends with its kill line: complete
    second_dump = _text("seed-rsync-32bit")
    boot = "\n".join(line for line in _text("lab-mlock-deb61-amd64").splitlines()[:3])
    second = "and this one is from the 32-bit box, same night:\n" + boot + "\n" + second_dump
    channel = new_channel()
    first_ts, _ = slack.message(channel, slack_escape(first))
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == first_ts
    time.sleep(0.3)
    second_ts, _ = slack.message(channel, slack_escape(second))
    replies = fake_slack.wait_calls("chat.postMessage", count=2, channel=channel)
    assert [r.params["thread_ts"] for r in replies] == [first_ts, second_ts]
    assert "clamd" in (replies[1].params.get("text") or "") + str(replies[1].params.get("blocks"))
    time.sleep(1.0)
    assert fake_slack.calls_to("chat.update", channel=channel) == []  # the first reply stays as it was
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 2


def test_a_first_part_without_an_event_yet_is_joined_by_the_rest(slack, fake_slack):
    """A paste split where the first part holds only the task header and the start of the call
    trace (no event yet: the OOM frames that would name one are in the second part): the second
    part completes it, and the whole is answered once, in the first part's thread."""
    real_analyze()
    lines = _text("seed-rsync-32bit").splitlines()
    cut = next(i for i, line in enumerate(lines) if "Call Trace:" in line) + 1
    channel = new_channel()
    first_ts, _ = slack.message(channel, "```" + slack_escape("\n".join(lines[1:cut])) + "```")
    time.sleep(0.5)
    assert fake_slack.calls_to("chat.postMessage", channel=channel) == []  # nothing to answer yet
    slack.message(channel, "```" + slack_escape("\n".join(lines[cut:])) + "```")
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == first_ts
    assert "clamd" in (reply.params.get("text") or "") + str(reply.params.get("blocks"))

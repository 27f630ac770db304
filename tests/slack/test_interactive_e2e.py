"""End to end over HTTP: slash commands, the /oom modal, the shortcut, buttons, mentions, App Home."""

from __future__ import annotations

import json
import time

from fake_slack import TEAM_ID
from slack_harness import corpus_text, new_channel, real_analyze, slack_escape
from test_http_e2e import reply_text

from bot.render.mrkdwn import escape_mrkdwn, plain_text_safe


def response_posts_for(fake_slack, url_suffix=None):
    return list(fake_slack.response_posts)


def test_gfp_command_replies_privately_with_a_share_button(slack, fake_slack):
    channel = new_channel()
    started = time.monotonic()
    response = slack.command("/gfp", "0x84d0 3.2.59", channel)
    assert response.status_code == 200 and time.monotonic() - started < 3.0
    (private,) = fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"))
    assert private.params["response_type"] == "ephemeral"
    body = reply_text(private)
    from bot.render.gfp_text import render_text
    from knowledge.gfp import decode

    expected = render_text(decode("0x84d0", "3.2.59"))
    for line in [text for text in expected.splitlines() if text.strip()][:3]:
        assert escape_mrkdwn(line.strip()) in body
    buttons = [e for b in private.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    (share,) = [b for b in buttons if b["action_id"] == "oomlens_gfp_share"]

    slack.interactive(
        {
            "type": "block_actions",
            "user": {"id": "UHUMAN"},
            "channel": {"id": channel},
            "container": {"type": "message", "is_ephemeral": True},
            "response_url": fake_slack.response_url(),
            "trigger_id": "t",
            "actions": [{**share, "block_id": "oomlens_gfp", "action_ts": "1"}],
        }
    )
    (shared,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert escape_mrkdwn(expected.splitlines()[0].strip()) in reply_text(shared)
    fake_slack.wait_for(lambda: [p for p in fake_slack.response_posts if p.get("delete_original")])


def test_gfp_command_with_bad_input_explains_usage(slack, fake_slack):
    slack.command("/gfp", "<!channel> please", new_channel())
    (private,) = fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"))
    assert "Usage" in private.params["text"]


def test_oom_opens_a_modal_whose_submission_posts_the_analysis(bot, slack, fake_slack):
    analyze = real_analyze()
    channel = new_channel()
    assert slack.command("/oom", "", channel).status_code == 200
    (opened,) = fake_slack.wait_calls("views.open")
    view = opened.params["view"]
    assert opened.params["trigger_id"].startswith("trig.")
    (element,) = [b["element"] for b in view["blocks"] if b["type"] == "input"]
    assert element["multiline"] is True

    def submit(text: str):
        return slack.interactive(
            {
                "type": "view_submission",
                "user": {"id": "UHUMAN"},
                "trigger_id": "t",
                "team": {"id": TEAM_ID, "domain": "example"},
                "view": {
                    **view,
                    "id": "V1",
                    "state": {"values": {"dump": {"text": {"type": "plain_text_input", "value": text}}}},
                },
            }
        )

    rejected = submit("hello, is this thing on?")
    assert rejected.status_code == 200 and json.loads(rejected.text)["response_action"] == "errors"
    dump = corpus_text("lab-memcg-v2-deb61-arm64")[-2900:]  # the modal field holds 3000 characters
    assert submit(dump).status_code == 200
    (posted,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert "memhog" in reply_text(posted)
    assert plain_text_safe(analyze(dump).events[0].overview.headline) in reply_text(posted)
    # the modal's answer is remembered (recorded once its message exists, just after the post):
    # the channel summary counts it and links to it
    fake_slack.wait_for(lambda: bot.services.store.events(team_id=TEAM_ID, channel=channel))
    slack.command("/oom", "summary since 2023-11-01", channel)  # the fake's ts are from November 2023
    summary = fake_slack.wait_for(
        lambda: [
            c for c in fake_slack.calls_to("chat.postMessage") if c.params.get("channel") == channel and c is not posted
        ]
    )[0]
    assert "No kernel memory events" not in reply_text(summary) and "memhog" in reply_text(summary)


def test_oom_help_and_summary(slack, fake_slack):
    channel = new_channel()
    slack.command("/oom", "help", channel)
    (help_post,) = fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"))
    assert "/gfp" in reply_text(help_post) and help_post.params["response_type"] == "ephemeral"
    slack.command("/oom", "summary #ops last 24h", channel)
    (summary,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert "last 24 h" in reply_text(summary) and "No kernel memory events" in reply_text(summary)
    slack.command("/oom", "summary next tuesday", channel)
    posts = fake_slack.wait_for(lambda: (lambda c: c if len(c) == 2 else None)(fake_slack.calls_to("response_url")))
    assert posts[1].params["text"].startswith("Usage: `/oom summary")


def test_shortcut_explains_another_bots_alert_in_its_thread(slack, fake_slack):
    real_analyze()
    channel = new_channel()
    ts = fake_slack.new_ts()
    dump = corpus_text("seed-rsync-32bit")
    alert = {
        "type": "message",
        "ts": ts,
        "bot_id": "BALERT",
        "subtype": "bot_message",
        "text": "",
        "attachments": [{"fallback": "OOM on db-7", "pretext": "*OOM on db-7*", "text": slack_escape(dump)}],
    }
    started = time.monotonic()
    response = slack.interactive(
        {
            "type": "message_action",
            "callback_id": "explain_oom",
            "trigger_id": "t",
            "user": {"id": "UHUMAN"},
            "channel": {"id": channel, "name": "alerts"},
            "message_ts": ts,
            "message": alert,
            "response_url": fake_slack.response_url(),
        }
    )
    assert response.status_code == 200 and time.monotonic() - started < 3.0
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts and "clamd" in reply_text(reply)

    # On a message without a dump: a private note, nothing in the channel.
    slack.interactive(
        {
            "type": "message_action",
            "callback_id": "explain_oom",
            "trigger_id": "t",
            "user": {"id": "UHUMAN"},
            "channel": {"id": channel},
            "message_ts": "1.2",
            "message": {"type": "message", "ts": "1.2", "text": "lunch?"},
            "response_url": fake_slack.response_url(),
        }
    )
    (note,) = fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"))
    assert note.params["response_type"] == "ephemeral"
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1


def test_details_selector_shows_parts_uploads_the_report_and_buttons_record_feedback(slack, fake_slack, bot):
    real_analyze()
    channel = new_channel()
    ts, _ = slack.message(channel, slack_escape(corpus_text("seed-rsync-32bit")))
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    elements = {e["action_id"]: e for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert set(elements) == {"oomlens_details", "oomlens_feedback_helpful", "oomlens_feedback_wrong"}
    select = elements["oomlens_details"]
    assert select["type"] == "static_select" and not any("style" in e for e in elements.values())
    options = {json.loads(o["value"])["k"]: o for o in select["options"]}
    assert {"zones", "processes", "memory", "why", "upload"} <= set(options)
    (reply_ts,) = [t for (c, t) in fake_slack.messages if c == channel]

    def act(action: dict):
        slack.interactive(
            {
                "type": "block_actions",
                "user": {"id": "UHUMAN"},
                "trigger_id": "t",
                "channel": {"id": channel},
                "container": {"type": "message", "channel_id": channel, "message_ts": reply_ts, "thread_ts": ts},
                "message": {"ts": reply_ts, "thread_ts": ts, "text": reply.params["text"]},
                "response_url": fake_slack.response_url(),
                "actions": [{**action, "block_id": "oomlens_actions", "action_ts": "1"}],
            }
        )

    def choose(kind: str):
        act({"type": "static_select", "action_id": "oomlens_details", "selected_option": options[kind]})

    choose("zones")
    (zones,) = fake_slack.wait_calls("chat.postEphemeral", channel=channel)
    assert zones.params["user"] == "UHUMAN" and "Normal" in reply_text(zones) and "8048" in reply_text(zones)
    assert "below low" in reply_text(zones)
    choose("processes")
    procs = fake_slack.wait_calls("chat.postEphemeral", count=2, channel=channel)[1]
    assert "rsync" in reply_text(procs)
    choose("upload")
    # the memory chart of the reply is uploaded too (on its own schedule): pick the report
    upload = fake_slack.wait_for(
        lambda: [
            u
            for u in fake_slack.uploads.values()
            if u["channel"] == channel and u["content"] and not (u["filename"] or "").endswith(".png")
        ]
    )
    assert upload[0]["thread_ts"] == ts and b"clamd" in upload[0]["content"]
    act(elements["oomlens_feedback_wrong"])
    fake_slack.wait_calls("chat.postEphemeral", count=3, channel=channel)
    analysis_id = json.loads(elements["oomlens_feedback_wrong"]["value"])["a"]
    (vote,) = bot.services.store.feedback_for(analysis_id)
    assert vote["verdict"] == "wrong-cause" and vote["user_id"] == "UHUMAN"


def test_mention_in_a_thread_analyses_the_thread(slack, fake_slack):
    real_analyze()
    channel = new_channel()
    parent = fake_slack.new_ts()
    dump = corpus_text("lab-memcg-v2-deb61-arm64")
    half = len(dump.splitlines()) // 2
    fake_slack.threads[(channel, parent)] = [
        {"type": "message", "ts": parent, "user": "UHUMAN", "text": "prod box died, log follows"},
        {
            "type": "message",
            "ts": fake_slack.new_ts(),
            "user": "UHUMAN",
            "text": slack_escape("\n".join(dump.splitlines()[:half])),
        },
        {
            "type": "message",
            "ts": fake_slack.new_ts(),
            "user": "UOTHER",
            "text": slack_escape("\n".join(dump.splitlines()[half:])),
        },
    ]
    mention_ts = fake_slack.new_ts()
    slack.event(
        {
            "type": "app_mention",
            "channel": channel,
            "user": "UHUMAN",
            "ts": mention_ts,
            "thread_ts": parent,
            "text": "<@UBOT> what happened here?",
        }
    )
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == parent and "memhog" in reply_text(reply)
    assert fake_slack.calls_to("conversations.replies", channel=channel)


def test_app_home_lists_the_latest_analyses(slack, fake_slack):
    real_analyze()
    channel = new_channel()
    slack.message(channel, slack_escape(corpus_text("lab-memcg-v2-deb61-arm64")))
    fake_slack.wait_calls("chat.postMessage", channel=channel)
    slack.event({"type": "app_home_opened", "user": "UHUMAN", "channel": "D1", "tab": "home"})
    (published,) = fake_slack.wait_calls("views.publish")
    assert published.params["user_id"] == "UHUMAN"
    view = json.dumps(published.params["view"])
    assert "memhog" in view and f"<#{channel}>" in view and "/gfp" in view

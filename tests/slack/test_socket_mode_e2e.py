"""End to end over Socket Mode: the real app on a local websocket, the fake Web API behind it."""

from __future__ import annotations

import time

import pytest
from fake_slack import APP_TOKEN, TEAM_ID, FakeSocketModeServer
from slack_harness import corpus_text, make_settings, new_channel, real_analyze, slack_escape


@pytest.fixture
def socket_bot(fake_slack, db_url):
    from bot.slack.app import build_app
    from bot.slack.socket_mode import make_handler

    ws = FakeSocketModeServer()
    fake_slack.ws_url = ws.url
    settings = make_settings(fake_slack, db_url, signing_secret=None, app_token=APP_TOKEN, socket_mode=True)
    app = build_app(settings)
    handler = make_handler(app, APP_TOKEN, fake_slack.api_url)  # what `oomlens serve --socket-mode` runs
    handler.connect()
    assert ws.connected.wait(10)
    ws.app = app
    yield ws
    handler.close()
    app.shutdown()
    app.services.store.close()
    ws.stop()


def test_socket_mode_acks_first_answers_once_and_drops_retries(socket_bot, fake_slack):
    real_analyze()
    channel = new_channel()
    ts = fake_slack.new_ts()
    payload = {
        "team_id": TEAM_ID,
        "api_app_id": "A0TEST",
        "type": "event_callback",
        "event_id": "EvSOCK1",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel": channel,
            "user": "UHUMAN",
            "ts": ts,
            "text": slack_escape(corpus_text("seed-rsync-32bit")),
        },
    }
    first = socket_bot.send("events_api", payload)
    assert socket_bot.wait_ack(first) < 3.0
    (reply,) = fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert reply.params["thread_ts"] == ts and "clamd" in (reply.params["text"] or "")
    assert fake_slack.calls_to("apps.connections.open")[0].headers["authorization"] == f"Bearer {APP_TOKEN}"

    retry = socket_bot.send("events_api", payload, retry_attempt=1, retry_reason="timeout")
    assert socket_bot.wait_ack(retry) < 3.0
    time.sleep(1.2)
    assert len(fake_slack.calls_to("chat.postMessage", channel=channel)) == 1


def test_socket_mode_slash_command(socket_bot, fake_slack):
    channel = new_channel()
    envelope = socket_bot.send(
        "slash_commands",
        {
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": "UHUMAN",
            "command": "/oom",
            "text": "help",
            "response_url": fake_slack.response_url(),
            "trigger_id": "trig.1",
            "api_app_id": "A0TEST",
        },
        accepts_response_payload=True,
    )
    assert socket_bot.wait_ack(envelope) < 3.0
    (private,) = fake_slack.wait_for(lambda: fake_slack.calls_to("response_url"))
    assert "/gfp" in private.params["text"] or "/gfp" in str(private.params.get("blocks"))

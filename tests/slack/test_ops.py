"""Operations: /metrics over the real HTTP bot, the Socket Mode health server, JSON logs keyed by
delivery (no tokens, no paste), and `oomlens feedback export` with the pastes a vote refers to."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest
from fake_slack import BOT_TOKEN
from slack_harness import REPO_ROOT, corpus_text, new_channel, slack_escape

from bot.slack import logs, metrics


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels or None) or 0.0


def metric_value(text: str, name: str, **labels: str) -> float:
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# -- /metrics ------------------------------------------------------------------------------------


def test_metrics_count_deliveries_retries_dumps_and_slack_calls(slack, fake_slack, bot):
    before = httpx.get(bot.base_url + "/metrics").text
    channel = new_channel()
    event = {
        "type": "message",
        "channel": channel,
        "user": "UHUMAN",
        "ts": fake_slack.new_ts(),
        "text": slack_escape(corpus_text("seed-rsync-32bit")),
    }
    fake_slack.add_fault("chat.postMessage", status=429, retry_after=1)  # the answer is rate limited once
    assert slack.event(event, event_id="EvMETRICS1").status_code == 200
    fake_slack.wait_calls("chat.postMessage", channel=channel)
    assert slack.event(event, event_id="EvMETRICS1", retry_num=1).status_code == 200  # Slack's retry
    slack.command("/gfp", "0x201da", channel)

    def delta(name: str, **labels: str) -> float:
        after = httpx.get(bot.base_url + "/metrics").text
        return metric_value(after, name, **labels) - metric_value(before, name, **labels)

    # the answer waits out the 429's Retry-After; the retry is dropped as a repeat meanwhile
    fake_slack.wait_for(
        lambda: (
            delta("oomlens_deduplicated_deliveries_total", kind="event") >= 1
            and delta("oomlens_replies_total", outcome="posted") >= 1
        )
    )
    response = httpx.get(bot.base_url + "/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert delta("oomlens_events_total", type="message") == 2
    assert delta("oomlens_events_total", type="slash_command") == 1
    assert delta("oomlens_event_retries_total", reason="http_timeout") == 1
    assert delta("oomlens_deduplicated_deliveries_total", kind="event") == 1
    assert delta("oomlens_dumps_total", outcome="parsed") == 1
    assert delta("oomlens_replies_total", outcome="posted") == 1
    assert delta("oomlens_analysis_seconds_count") >= 1
    assert delta("oomlens_ack_seconds_count") == 3
    assert delta("oomlens_slack_rate_limited_total", method="chat.postMessage") == 1
    assert delta("oomlens_slack_calls_total", method="chat.postMessage", status="429", error="ratelimited") == 1
    assert delta("oomlens_slack_calls_total", method="chat.postMessage", status="200", error="") >= 1
    # nothing from the paste or a token ever becomes a label
    assert "clamd" not in response.text and BOT_TOKEN not in response.text


def test_queue_gauge_is_settable_for_the_durable_queue():
    metrics.set_queue(7, 12.5)
    assert sample("oomlens_queue_depth") == 7 and sample("oomlens_queue_oldest_age_seconds") == 12.5
    metrics.set_queue(0, 0)
    assert sample("oomlens_queue_depth") == 0


def test_untrusted_label_values_are_bounded():
    assert metrics.delivery_type({"type": "event_callback", "event": {"type": "<!channel> x" * 20}}) == "other"
    assert metrics.delivery_type([1, 2]) == "other"
    assert metrics.delivery_type({"type": "block_actions"}) == "block_actions"


# -- Socket Mode health --------------------------------------------------------------------------


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_socket_mode_health_server_reports_connection_and_database():
    state = {"connected": False, "db": True, "db_calls": 0}

    def ready() -> bool:
        state["db_calls"] += 1
        return state["db"]

    server = metrics.HealthServer(
        connected=lambda: state["connected"], ready=ready, host="127.0.0.1", port=0, cache_s=60
    ).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert _get(base + "/healthz")[0] == 503
        assert _get(base + "/readyz") == (503, "socket mode disconnected")
        state["connected"] = True
        assert _get(base + "/healthz") == (200, "ok")
        assert _get(base + "/readyz") == (200, "ready")
        state["db"] = False
        assert _get(base + "/readyz") == (200, "ready")  # cached: probes never pile up on the database
        assert state["db_calls"] == 1
        code, text = _get(base + "/metrics")
        assert code == 200 and "oomlens_events_total" in text
        assert _get(base + "/nothing")[0] == 404
    finally:
        server.stop()


def test_socket_mode_acks_are_timed_and_events_take_the_durable_path():
    from bot.slack import socket_mode

    class Handler:
        def __init__(self) -> None:
            self.seen: list[object] = []
            self.client = type("Client", (), {})()
            self.client.socket_mode_request_listeners = [self.handle, print]

        def handle(self, client, request) -> None:
            self.seen.append(request)

    class Recorder:
        def __init__(self) -> None:
            self.recorded: list[tuple[str, int]] = []

        def record(self, key, body, retry_num=0):
            self.recorded.append((key, retry_num))
            return "queued"

    class Client:
        def __init__(self) -> None:
            self.acks: list[str] = []

        def send_socket_mode_response(self, response) -> None:
            self.acks.append(response.envelope_id)

    class Request:
        def __init__(self, type_, payload, envelope_id, retry_attempt=None):
            self.type, self.payload, self.envelope_id = type_, payload, envelope_id
            self.retry_attempt, self.retry_reason = retry_attempt, None

    handler, recorder, client = Handler(), Recorder(), Client()
    app = type("App", (), {"recorder": recorder})()
    before = sample("oomlens_ack_seconds_count")
    socket_mode.install(handler, app)
    listeners = handler.client.socket_mode_request_listeners
    assert listeners[1] is print  # other listeners untouched
    command = Request("slash_commands", {"command": "/gfp"}, "E1")
    listeners[0](client, command)
    assert handler.seen == [command] and recorder.recorded == []  # commands: Bolt acknowledges them
    event = {"type": "event_callback", "event_id": "EvS1", "event": {"type": "message"}}
    listeners[0](client, Request("events_api", event, "E2", retry_attempt=1))
    assert recorder.recorded == [("event:EvS1", 1)] and client.acks == ["E2"] and handler.seen == [command]
    assert sample("oomlens_ack_seconds_count") == before + 2


# -- logs ------------------------------------------------------------------------------------------


def test_json_logs_carry_the_delivery_ids_and_never_a_token():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        logs.configure("info", "json", stream=stream)
        log = logging.getLogger("bot.test")
        tokens = (logs.TEAM.set("T123"), logs.CHANNEL.set("C456"), logs.EVENT_ID.set("Ev789"))
        log.info("answered with token %s", "xoxb-1111-2222-secret")
        for var, token in zip((logs.TEAM, logs.CHANNEL, logs.EVENT_ID), tokens, strict=True):
            var.reset(token)
        log.info("outside a delivery")
        logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.schemas")
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("bot.bolt").warning("As you gave `client` as well, `token` will be unused.")
    finally:
        root.handlers[:], root.level = saved
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["message"] for entry in lines] == [
        "answered with token [token]",
        "outside a delivery",
        "Started server process",
    ]
    assert (lines[0]["team"], lines[0]["channel"], lines[0]["event_id"]) == ("T123", "C456", "Ev789")
    assert "team" not in lines[1] and lines[2]["logger"] == "uvicorn.error"


def test_context_executor_carries_the_log_context_into_listener_threads():
    executor = logs.ContextExecutor(max_workers=1)
    token = logs.CHANNEL.set("C999")
    try:
        assert executor.submit(logs.CHANNEL.get).result() == "C999"
    finally:
        logs.CHANNEL.reset(token)
        executor.shutdown()
    assert logs._ids({"team_id": "T1", "event": {"channel": "C2"}, "event_id": "Ev3"}) == ("T1", "C2", "Ev3")
    assert logs._ids({"team": {"id": "T1"}, "channel": {"id": "C2"}}) == ("T1", "C2", None)
    assert logs._ids({"team_id": "T1\n<!channel>", "event": "x"}) == (None, None, None)


# -- feedback export -------------------------------------------------------------------------------


def _export(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "feedback", "export", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_wrong_cause_votes_export_with_their_paste_which_outlives_retention(tmp_path):
    from bot.store import Store

    db_url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    store = Store.open(db_url)
    try:
        ids = {}
        for name, paste in (
            ("wrong", "Out of memory: Killed process 1 (a) <wrong>"),
            ("right", "Out of memory: Killed process 2 (b)"),
        ):
            ids[name] = store.save_analysis(
                team_id="T1",
                channel="C1",
                source_ts=f"1.{len(ids)}",
                thread_ts=None,
                source_kind="message",
                headline=f"{name} headline",
                top_code="X1",
                top_title="t",
                event_count=1,
                paste=paste,
            )
        store.save_feedback(
            analysis_id=ids["wrong"], team_id="T1", channel="C1", user_id="U1", verdict="wrong-cause", top_code="X1"
        )
        store.save_feedback(
            analysis_id=ids["right"], team_id="T1", channel="C1", user_id="U2", verdict="helpful", top_code="X1"
        )
        counts = store.purge_retention(60, now=time.time() + 86400)  # both analyses are past retention
        assert counts["analyses"] == 1
        assert store.analysis(ids["wrong"]) is not None and store.analysis(ids["right"]) is None
    finally:
        store.close()

    result = _export(db_url)
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["verdict"] == "wrong-cause" and row["user_id"] == "U1"
    assert row["analysis"]["paste"] == "Out of memory: Killed process 1 (a) <wrong>"
    assert row["analysis"]["headline"] == "wrong headline"

    everything = [json.loads(line) for line in _export(db_url, "--verdict", "all", "--no-paste").stdout.splitlines()]
    assert [r["verdict"] for r in everything] == ["wrong-cause", "helpful"]
    assert "paste" not in everything[0]["analysis"] and everything[1]["analysis"] is None  # purged

    out = tmp_path / "export.jsonl"
    assert _export(db_url, "-o", str(out), "--since", "2000-01-01").returncode == 0
    assert len(out.read_text().splitlines()) == 1
    assert _export(db_url, "--since", "2999-01-01").stdout == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["--since", "last tuesday"], "is not a date"),
        ([], "holds no oomlens tables"),
    ],
)
def test_feedback_export_errors_are_one_line(tmp_path, args, message):
    result = _export(f"sqlite:///{tmp_path / 'empty.sqlite3'}", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr


def test_serve_in_socket_mode_answers_and_serves_health_and_metrics(fake_slack, tmp_path):
    import os
    import socket

    from fake_slack import APP_TOKEN, TEAM_ID, FakeSocketModeServer

    ws = FakeSocketModeServer()
    fake_slack.ws_url = ws.url
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(
        os.environ,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'socket.sqlite3'}",
        OOMLENS_HEALTH_PORT=str(port),
        OOMLENS_LOG_FORMAT="json",
        PYTHONPATH=str(REPO_ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--socket-mode", "--host", "127.0.0.1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert ws.connected.wait(60), "the bot never opened its websocket"
        base = f"http://127.0.0.1:{port}"
        fake_slack.wait_for(lambda: _get(base + "/healthz")[0] == 200, timeout=30)
        assert _get(base + "/readyz") == (200, "ready")
        channel = new_channel()
        ts = fake_slack.new_ts()
        payload = {
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": "EvSOCKOPS",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel": channel,
                "user": "UHUMAN",
                "ts": ts,
                "text": slack_escape(corpus_text("seed-rsync-32bit")),
            },
        }
        assert ws.wait_ack(ws.send("events_api", payload)) < 3.0
        fake_slack.wait_calls("chat.postMessage", channel=channel)
        ws.wait_ack(ws.send("events_api", payload, retry_attempt=1, retry_reason="timeout"))
        text = _get(base + "/metrics")[1]
        assert metric_value(text, "oomlens_events_total", type="message") == 2
        assert metric_value(text, "oomlens_event_retries_total", reason="timeout") == 1
        assert metric_value(text, "oomlens_ack_seconds_count") == 2
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        ws.stop()
    assert "Traceback" not in output and process.returncode == 0, output
    assert "finishing the analyses in flight" in output  # SIGTERM drains instead of killing
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert entries and len(entries) == len(output.splitlines()), output  # every line is one JSON object
    keyed = [e for e in entries if e.get("event_id") == "EvSOCKOPS"]
    assert keyed and all(e["channel"] == channel and e["team"] == TEAM_ID for e in keyed)
    assert "clamd" not in output and BOT_TOKEN not in output and APP_TOKEN not in output

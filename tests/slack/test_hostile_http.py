"""Hostile input against a real `oomlens serve` process: unsigned and malformed bodies, 64 MB
bodies, 200 idle and 200 half-sent connections. Every answer is 4xx, memory stays bounded,
nothing is logged as a traceback, and the bot keeps acknowledging and answering dumps."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fake_slack import BOT_TOKEN, TEAM_ID
from slack_harness import REPO_ROOT, SIGNING_SECRET, corpus_text, new_channel, real_analyze, sign, slack_escape


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.fixture
def served(fake_slack, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "OOMLENS_CHARTS": "false",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("oomlens serve did not come up:\n" + (tmp_path / "serve.log").read_text())
    yield process, base, port, tmp_path / "serve.log"
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _signed(body: bytes) -> dict[str, str]:
    now = int(time.time())
    return {
        "x-slack-request-timestamp": str(now),
        "x-slack-signature": sign(body, now),
        "content-type": "application/json",
    }


def test_hostile_requests_get_4xx_memory_stays_bounded_and_dumps_are_still_answered(served, fake_slack):
    real_analyze()
    process, base, port, log_path = served
    http = httpx.Client(base_url=base, timeout=10)
    baseline_kb = _rss_kb(process.pid)

    # unsigned junk, and signed junk that is not an Events API object
    unsigned = [b"{", b"null", b"[]", b'{"type":"event_callback","event":null}', b"\xff\xfe", b""]
    for body in unsigned:
        response = http.post("/slack/events", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 401, (body, response.status_code)
    forged = http.post(
        "/slack/events", content=b"{}", headers={"x-slack-request-timestamp": "nan", "x-slack-signature": "v0=zz"}
    )
    assert forged.status_code == 401
    for body in (
        b"{",
        b"[1,2]",
        b"null",
        b'{"type":"event_callback","event":null,"event_id":"Ev1"}',
        b'{"type":"event_callback","event":[],"event_id":"Ev1"}',
        b'{"type":"event_callback","event":{}}',
        b'"str"',
        b"\xff\xfe",
    ):
        response = http.post("/slack/events", content=body, headers=_signed(body))
        assert response.status_code == 400, (body, response.status_code, response.text)

    # 64 MB bodies: declared (refused before reading) and chunked without a length (refused while reading)
    big = b"x" * (64 * 1024 * 1024)
    assert http.post("/slack/events", content=big, headers={"content-type": "application/json"}).status_code == 413

    def chunks():
        piece = b"y" * (1024 * 1024)
        for _ in range(64):
            yield piece

    try:
        chunked = http.post("/slack/events", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413
    except httpx.HTTPError:
        pass  # the server answered 413 and closed while we were still sending: also a refusal
    del big

    # 200 idle connections and 200 half-sent requests (headers cut short, or a body that never ends)
    idle, half = [], []
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", port))
        idle.append(sock)
    for index in range(200):
        sock = socket.create_connection(("127.0.0.1", port))
        if index % 2:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
        else:
            sock.sendall(b'POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"a":')
        half.append(sock)

    # meanwhile: probes answer and a signed dump is acknowledged fast and answered
    started = time.monotonic()
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").status_code == 200
    channel = new_channel()
    ts = fake_slack.new_ts()
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": TEAM_ID,
            "event_id": "EvHOSTILE1",
            "event": {
                "type": "message",
                "channel": channel,
                "user": "UHUMAN",
                "ts": ts,
                "text": slack_escape(corpus_text("seed-rsync-32bit")),
            },
        }
    ).encode()
    assert http.post("/slack/events", content=body, headers=_signed(body)).status_code == 200
    assert time.monotonic() - started < 3.0
    fake_slack.wait_calls("chat.postMessage", channel=channel, timeout=30)

    # the server closes idle and half-sent connections on its own (header and body deadlines)
    closed = 0
    deadline = time.monotonic() + 25
    for sock in idle[:20] + half[:20]:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = sock.recv(4096)
            closed += data == b"" or data.startswith(b"HTTP/1.1 4")
        except (TimeoutError, ConnectionResetError):
            closed += isinstance(sys.exc_info()[1], ConnectionResetError)
    for sock in idle + half:
        sock.close()
    assert closed == 40

    grown_mb = (_rss_kb(process.pid) - baseline_kb) / 1024
    assert grown_mb < 48, f"RSS grew {grown_mb:.0f} MB"
    assert http.get("/healthz").status_code == 200
    assert process.poll() is None
    http.close()
    log = log_path.read_text()
    assert "Traceback" not in log and " 500" not in log, log[-3000:]

"""Harness for the Slack bot tests: the bot under test, signed requests, corpus access, fixtures.

A uniquely named module (not ``conftest``) so test files can import helpers from it without
clashing with other test directories' conftest modules."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from fake_slack import BOT_TOKEN, TEAM_ID, FakeSlack, ServerThread

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT / "tests" / "corpus"
SIGNING_SECRET = "test-signing-secret"


def corpus_text(case: str) -> str:
    path = CORPUS / case / "input.log"
    return path.read_text(encoding="utf-8", errors="replace")


def slack_escape(text: str) -> str:
    """What Slack delivers for text a user pasted: &, <, > entity-encoded."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def real_analyze():
    """The real pipeline; tests that need it skip (visibly) while the parser is not importable."""
    try:
        from bot.pipeline import analyze
    except ImportError as error:
        pytest.skip(f"pipeline not importable yet: {error}")
    return analyze


_channels = itertools.count(1)


def new_channel() -> str:
    """Each test posts in its own channel, so Slack's 1 msg/s/channel pace never couples tests."""
    return f"C{next(_channels):06d}TEST"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    """Posts signed Events API / command / interactivity requests to the bot, like Slack does."""

    def __init__(self, base_url: str, fake: FakeSlack):
        self.base_url = base_url
        self.fake = fake
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self._events = itertools.count(1)

    def close(self) -> None:
        self.http.close()

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": str(timestamp),
            "x-slack-signature": sign(body, timestamp, secret),
            **(headers or {}),
        }
        return self.http.post("/slack/events", content=body, headers=all_headers)

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._events):08d}{id(self) % 1000}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM_ID, "user_id": "UBOT", "is_bot": True}],
        }

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        body = json.dumps(self.event_body(event, event_id)).encode()
        headers = {}
        if retry_num is not None:
            headers = {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_timeout"}
        return self.post(body, "application/json", headers=headers, **kwargs)

    def message(self, channel: str, text: str, *, user: str = "UHUMAN", **extra: Any) -> tuple[str, httpx.Response]:
        ts = self.fake.new_ts()
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts,
            "channel_type": "channel",
            "team": TEAM_ID,
            **extra,
        }
        return ts, self.event(event)

    def command(self, command: str, text: str, channel: str, user: str = "UHUMAN") -> httpx.Response:
        fields = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "channel_name": "ops",
            "user_id": user,
            "user_name": "human",
            "command": command,
            "text": text,
            "response_url": self.fake.response_url(),
            "trigger_id": f"trig.{next(self._events)}",
            "api_app_id": "A0TEST",
        }
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> httpx.Response:
        payload.setdefault("team", {"id": TEAM_ID, "domain": "test"})
        payload.setdefault("api_app_id", "A0TEST")
        payload.setdefault("token", "legacy")
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    fake.allowed_users.add("UHUMAN")
    yield fake
    fake.stop()
    assert not fake.violations, "fake Slack saw violations:\n" + "\n".join(fake.violations)


def make_settings(fake: FakeSlack, database_url: str, **overrides: Any):
    from bot.settings import Settings

    values = dict(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=fake.api_url,
        database_url=database_url,
        max_file_bytes=200_000,
        spool_dir=_spool_dir(database_url),
    )
    values.update(overrides)
    return Settings(**values)


def _spool_dir(database_url: str) -> str:
    """Beside a test's SQLite file (replicas of one test share it, as pods share a volume), else a
    fresh temporary directory: never the working directory."""
    if database_url.startswith("sqlite:///") and len(database_url) > len("sqlite:///"):
        return str(Path(database_url[len("sqlite:///") :]).parent / "spool")
    import tempfile

    return tempfile.mkdtemp(prefix="oomlens-spool-")


class BotServer:
    """The real bot (build_app + the ASGI app) served by uvicorn on 127.0.0.1:<ephemeral>."""

    def __init__(self, settings: Any, analyzer: Any = None, **app_options: Any):
        from bot.slack.app import build_app
        from bot.slack.server import create_asgi_app

        self.app = build_app(settings, analyzer=analyzer, **app_options)
        self.services = self.app.services
        self._server = ServerThread(create_asgi_app(self.app))
        self.port = self._server.start()
        self.base_url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop()
        self.app.shutdown()
        self.services.store.close()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.sqlite3'}"


@pytest.fixture
def bot(fake_slack: FakeSlack, db_url: str) -> Iterator[BotServer]:
    server = BotServer(make_settings(fake_slack, db_url))
    yield server
    server.stop()


@pytest.fixture
def slack(bot: BotServer, fake_slack: FakeSlack) -> Iterator[SlackSender]:
    sender = SlackSender(bot.base_url, fake_slack)
    yield sender
    sender.close()

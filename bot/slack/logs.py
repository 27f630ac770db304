"""Logging for `oomlens serve`: one format for the app, Bolt and uvicorn; optionally JSON.

``configure(level, fmt)`` installs one handler on the root logger; uvicorn is started with
``log_config=None`` so its loggers go through it too. With ``fmt="json"`` every line is one JSON
object with ``team``, ``channel`` and ``event_id`` when the line was logged while handling a
Slack delivery (set by the ``install(bolt)`` middleware, carried into the listener threads by
``ContextExecutor``).

Never in a log line: tokens (anything shaped like xox?- or xapp- is replaced by ``[token]``) and
dump text (Bolt's own logger, which prints request bodies on some errors, stays at WARNING; the
app logs sizes and ids, never pastes). Start-up noise is quieted: alembic's per-plugin INFO lines
and Bolt's warning that the token from the environment is unused when a client is given.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

TEAM: contextvars.ContextVar[str | None] = contextvars.ContextVar("oomlens_team", default=None)
CHANNEL: contextvars.ContextVar[str | None] = contextvars.ContextVar("oomlens_channel", default=None)
EVENT_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("oomlens_event_id", default=None)

_TOKEN = re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]+")
_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    return _TOKEN.sub("[token]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class QuietStartup(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused": Bolt reads
    SLACK_BOT_TOKEN from the environment by itself, and the bot always gives it a client."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in str(record.msg)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, var in (("team", TEAM), ("channel", CHANNEL), ("event_id", EVENT_ID)):
            value = var.get()
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each line (not the one at start-up)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure(level: str = "info", fmt: str = "text", stream: Any = None) -> logging.Handler:
    """One handler on the root logger for everything (app, Bolt, slack_sdk, uvicorn, alembic)."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactTokens())
    handler.addFilter(QuietStartup())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.disabled = False
        logger.setLevel(logging.WARNING if name == "uvicorn.access" else logging.NOTSET)  # serve: access_log=False
    # alembic logs each plugin and each revision at INFO on every start: keep warnings only.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return handler


def _ids(body: Any) -> tuple[str | None, str | None, str | None]:
    """(team, channel, event id) of a Bolt request body: events, commands, actions, shortcuts."""
    if not isinstance(body, dict):
        return None, None, None

    def nested(key: str) -> Any:
        value = body.get(key)
        return value.get("id") if isinstance(value, dict) else value

    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    team = body.get("team_id") or nested("team")
    channel = event.get("channel") or body.get("channel_id") or nested("channel")
    values = (team, channel, body.get("event_id"))
    return tuple(v if isinstance(v, str) and _ID.fullmatch(v) else None for v in values)  # type: ignore[return-value]


def install(bolt: Any) -> None:
    """Tag every log line logged while handling a delivery with its workspace, channel and event id.

    Bolt runs its global middleware one after another and the listeners after them (``next`` does
    not nest), so the middleware sets the ids and leaves them set; each dispatch runs in a copy of
    the caller's context, so they end with it. ``ContextExecutor`` carries them into the listener
    threads."""
    dispatch = bolt.dispatch

    def dispatch_in_own_context(request: Any) -> Any:
        return contextvars.copy_context().run(dispatch, request)

    bolt.dispatch = dispatch_in_own_context

    @bolt.middleware
    def log_context(body: Any, next: Callable[[], Any]) -> Any:
        team, channel, event_id = _ids(body)
        TEAM.set(team)
        CHANNEL.set(channel)
        EVENT_ID.set(event_id)
        return next()


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitter's contextvars (the log context above)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)

"""Prometheus metrics: ``/metrics`` in HTTP mode, and the health port in Socket Mode.

Every metric lives in one registry (``REGISTRY``), created at import. The code that knows about
an event calls a one-line helper here (``event_received``, ``deduplicated``, ``dump_outcome``...);
the recorder's monitor (``bot.slack.recorder``) sets the durable queue's depth and the age of its
oldest job with ``set_queue`` and the local spool's depth with ``set_spool``. Slack Web API
calls are counted by ``CallObserver``, a retry handler placed first on every client (Bolt copies
the retry handlers into the per-workspace clients it makes in OAuth mode), which sees every
response, including the 429s the rate-limit handler then waits out.

Label values are bounded: event types, Slack method names and error codes are checked against a
narrow pattern, anything else becomes ``other``. No label ever holds text from a paste.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from slack_sdk.http_retry.handler import RetryHandler
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter(
    "oomlens_events", "Slack deliveries received, by type (event type, command, action...)", ["type"], registry=REGISTRY
)
RETRIES = Counter(
    "oomlens_event_retries",
    "Deliveries Slack marked as a retry, by its x-slack-retry-reason",
    ["reason"],
    registry=REGISTRY,
)
DEDUPLICATED = Counter(
    "oomlens_deduplicated_deliveries",
    "Deliveries dropped as a repeat, by de-duplication key kind",
    ["kind"],
    registry=REGISTRY,
)
DUMPS = Counter(
    "oomlens_dumps",
    "Dumps detected, and how their analysis ended (parsed: at least one event; "
    "no_event: nothing the parser recognised; failed: an internal error)",
    ["outcome"],
    registry=REGISTRY,
)
REPLIES = Counter(
    "oomlens_replies",
    "Answers to dumps by outcome (posted, updated, unchanged, duplicate...)",
    ["outcome"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("oomlens_queue_depth", "Jobs waiting in the durable queue", registry=REGISTRY)
QUEUE_AGE = Gauge(
    "oomlens_queue_oldest_age_seconds", "Age of the oldest job waiting in the durable queue", registry=REGISTRY
)
SPOOL_DEPTH = Gauge(
    "oomlens_spool_depth",
    "Deliveries in this replica's local spool (acknowledged while the database could not record them)",
    registry=REGISTRY,
)
RECORDED = Counter(
    "oomlens_recorded_deliveries",
    "Events API deliveries by where the ack recorded them: queued (shared queue), repeat, "
    "spooled (answered from the local spool), deferred (spooled until the database is back), "
    "spool_repeat, refused (spool full: not acknowledged, Slack retries)",
    ["where"],
    registry=REGISTRY,
)
ANALYSIS_SECONDS = Histogram(
    "oomlens_analysis_seconds",
    "Time to parse and diagnose one paste",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ACK_SECONDS = Histogram(
    "oomlens_ack_seconds",
    "Time from receiving a Slack request to answering (acknowledging) it",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
SLACK_CALLS = Counter(
    "oomlens_slack_calls",
    "Slack Web API calls by method, HTTP status and Slack error",
    ["method", "status", "error"],
    registry=REGISTRY,
)
SLACK_RATE_LIMITED = Counter(
    "oomlens_slack_rate_limited", "Slack Web API answers 429 (rate limited), by method", ["method"], registry=REGISTRY
)

_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")


def _label(value: Any) -> str:
    return value if isinstance(value, str) and _LABEL.fullmatch(value) else "other"


# -- one-line helpers for the code that knows ---------------------------------------------------


def delivery_type(body: Any) -> str:
    """The kind of a Bolt request body: the event type, ``slash_command``, or the payload type."""
    if not isinstance(body, dict):
        return "other"
    if body.get("type") == "event_callback" and isinstance(body.get("event"), dict):
        return _label(body["event"].get("type"))
    if "command" in body:
        return "slash_command"
    return _label(body.get("type"))


def event_received(body: Any, headers: Any = None) -> None:
    """Count a delivery, and a retry when Slack says so: x-slack-retry-num above 0 (HTTP; Bolt
    copies a Socket Mode envelope's retry_attempt into the same header, 0 for a first try)."""
    EVENTS.labels(delivery_type(body)).inc()
    if not headers:
        return
    number = (headers.get("x-slack-retry-num") or ["0"])[0]
    if str(number).strip() not in ("", "0"):
        RETRIES.labels(_label((headers.get("x-slack-retry-reason") or ["unknown"])[0])).inc()


def deduplicated(kind: str) -> None:
    DEDUPLICATED.labels(_label(kind)).inc()


def dump_outcome(outcome: str) -> None:
    DUMPS.labels(_label(outcome)).inc()


def reply_outcome(outcome: str) -> None:
    REPLIES.labels(_label(outcome)).inc()


def set_queue(depth: int, oldest_age_s: float) -> None:
    """For the durable queue: jobs waiting and the age of the oldest (0 when empty)."""
    QUEUE_DEPTH.set(depth)
    QUEUE_AGE.set(oldest_age_s)


def set_spool(depth: int) -> None:
    SPOOL_DEPTH.set(depth)


def recorded(where: str) -> None:
    RECORDED.labels(_label(where)).inc()


class CallObserver(RetryHandler):
    """Counts every Slack Web API response; never asks for a retry itself."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=0)

    def can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        method = _label(request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])
        if response is None:
            SLACK_CALLS.labels(method, "none", "connection_error").inc()
            return False
        body = getattr(response, "body", None)
        if not body and getattr(response, "data", None):  # an HTTP error: slack_sdk leaves the body unparsed
            try:
                body = json.loads(response.data)
            except ValueError:
                body = None
        body = body if isinstance(body, dict) else {}
        error_code = "" if body.get("ok", response.status_code == 200) else _label(body.get("error"))
        SLACK_CALLS.labels(method, str(int(response.status_code)), error_code).inc()
        if response.status_code == 429:
            SLACK_RATE_LIMITED.labels(method).inc()
        return False


def observe_client(client: Any) -> Any:
    """Put the observer first on ``client`` (idempotent); returns the client."""
    if not any(isinstance(handler, CallObserver) for handler in client.retry_handlers):
        client.retry_handlers.insert(0, CallObserver())
    return client


def install(bolt: Any, *, count_deliveries: bool = True) -> None:
    """Count every delivery Bolt receives and every Web API call its client makes. The queue's
    worker app replays deliveries the server already counted when it received them."""
    observe_client(bolt.client)
    if not count_deliveries:
        return

    @bolt.middleware
    def count_delivery(body: Any, request: Any, next: Callable[[], Any]) -> Any:
        event_received(body, getattr(request, "headers", None))
        return next()


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# -- HTTP mode: the route and the ack timer ------------------------------------------------------


async def _metrics(_request: Request) -> Response:
    payload, content_type = exposition()
    return Response(payload, media_type=content_type)


def routes() -> list[Route]:
    return [Route("/metrics", _metrics, methods=["GET"])]


class AckTimer:
    """ASGI middleware: the time from the request's arrival to the start of the answer, for
    ``/slack/events`` (what Slack's 3-second limit measures)."""

    def __init__(self, app: Any, path: str = "/slack/events") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Any) -> None:
            if message.get("type") == "http.response.start":
                ACK_SECONDS.observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed_send)


# -- Socket Mode: a small health server ----------------------------------------------------------


class HealthServer:
    """``/healthz`` (the Socket Mode connection is up), ``/readyz`` (and the database answers, from a
    check cached for ``cache_s``) and ``/metrics``, on a port of its own: Socket Mode has no HTTP
    server for Kubernetes or Docker to probe."""

    def __init__(
        self,
        *,
        connected: Callable[[], bool],
        ready: Callable[[], bool],
        host: str = "0.0.0.0",
        port: int = 8080,
        cache_s: float = 5.0,
    ) -> None:
        self.connected = connected
        self._ready = ready
        self._cache_s = cache_s
        self._ready_at = (0.0, False)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, ctype = owner.answer(self.path.split("?", 1)[0])
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # probes every few seconds: no access log
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="oomlens-health", daemon=True)

    def ready(self) -> bool:
        with self._lock:
            checked_at, answer = self._ready_at
            if time.monotonic() - checked_at < self._cache_s:
                return answer
        try:
            answer = bool(self._ready())
        except Exception:
            answer = False
        with self._lock:
            self._ready_at = (time.monotonic(), answer)
        return answer

    def answer(self, path: str) -> tuple[int, bytes, str]:
        if path == "/healthz":
            up = self.connected()
            return (200, b"ok", "text/plain") if up else (503, b"socket mode disconnected", "text/plain")
        if path == "/readyz":
            if not self.connected():
                return 503, b"socket mode disconnected", "text/plain"
            return (200, b"ready", "text/plain") if self.ready() else (503, b"database unavailable", "text/plain")
        if path == "/metrics":
            payload, content_type = exposition()
            return 200, payload, content_type
        return 404, b"not found", "text/plain"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

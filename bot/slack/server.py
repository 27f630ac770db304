"""The ASGI application for HTTP mode: Slack's requests at /slack/events, plus probes.

Order of work for a request to /slack/events, so an unsigned or hostile request costs little:

1. the body is streamed with the size limit enforced while reading (413), within a deadline (408);
2. the Slack signature is checked on the raw bytes before anything parses them (401);
3. the body is parsed; anything but a JSON object or a form is refused (400);
4. an Events API delivery is recorded durably and only then acknowledged: as a job in the shared
   database (the durable queue), or, when the database cannot record it within
   ``recorder.ACK_DB_TIMEOUT_S``, in this replica's local spool (``bot.slack.recorder``); only a
   full spool refuses it (503) so that Slack sends it again: an acknowledged dump is never dropped;
5. commands, interactivity and the URL check go to Bolt, on a bounded executor.

Blocking work never runs on the event loop, and every wait has a deadline, so a stuck database
cannot starve acks, /healthz or /readyz. Route registration is in ``routes()``, one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.slack import metrics, oauth
from bot.slack.app import OomlensApp
from bot.slack.recorder import ACKNOWLEDGED, REPEAT, SPOOL_REPEAT, Recorder, event_job_key

log = logging.getLogger("bot.server")

MAX_REQUEST_BYTES = 2 * 1024 * 1024
BODY_TIMEOUT_S = 10.0  # the whole body must arrive within this (half-sent requests)
DISPATCH_TIMEOUT_S = 2.8  # commands and interactivity acknowledge inside Bolt
DISPATCH_THREADS = 8  # threads that hand commands and interactivity to Bolt
READY_TTL_S = 5.0  # /readyz answers from a check at most this old
READY_CHECK_TIMEOUT_S = 3.0


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.response = JSONResponse({"error": message}, status_code=status)


async def read_body(request: Request, limit: int = MAX_REQUEST_BYTES, timeout: float = BODY_TIMEOUT_S) -> bytes:
    """The request body, refused as soon as it is larger than ``limit`` or slower than ``timeout``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _Refused(413, "request too large")
        except ValueError:
            raise _Refused(400, "invalid content-length") from None
    chunks: list[bytes] = []
    size = 0

    async def collect() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _Refused(413, "request too large")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        raise _Refused(408, "request body too slow") from None
    return b"".join(chunks)


class ReadinessProbe:
    """Database readiness from a cached check: ``status()`` never waits, at most one check runs at a
    time (on its own thread), and a check stuck for longer than the timeout means "not ready"."""

    def __init__(self, ping: Callable[[], bool], ttl_s: float = READY_TTL_S, timeout_s: float = READY_CHECK_TIMEOUT_S):
        self.ping = ping
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._result: bool | None = None
        self._checked_at = 0.0
        self._started_at: float | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oomlens-ready")

    def _check(self) -> None:
        ok = False
        try:
            ok = bool(self.ping())
        finally:
            with self._lock:
                self._result, self._checked_at, self._started_at = ok, time.monotonic(), None

    def status(self) -> tuple[bool, str]:
        now = time.monotonic()
        with self._lock:
            if self._started_at is None and now - self._checked_at >= self.ttl_s:
                self._started_at = now
                self._executor.submit(self._check)
            if self._started_at is not None and now - self._started_at > self.timeout_s:
                return False, "database check stuck"
            if self._result is None:
                return False, "database not checked yet"
            return self._result, "ready" if self._result else "database unavailable"

    async def astatus(self) -> tuple[bool, str]:
        """``status()``, waiting (on the event loop, holding no thread) for the very first check."""
        ready, reason = self.status()
        deadline = time.monotonic() + self.timeout_s
        while self._result is None and self._started_at is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            ready, reason = self.status()
        return ready, reason

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def signed(secret: bytes, body: bytes, request: Request, *, now: float | None = None) -> bool:
    """Slack's v0 signature (HMAC-SHA256 of ``v0:<timestamp>:<raw body>``) over the raw bytes,
    with a timestamp at most 5 minutes off; malformed headers are a bad signature, never a 500."""
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not secret or not timestamp.isdigit() or len(timestamp) > 12 or not signature.startswith("v0="):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > 300:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def _event_key(payload: Any) -> str:
    """The job key of a signed JSON body, or a 400 for anything that is not an Events API shape."""
    key = event_job_key(payload)
    if key is None:
        raise _Refused(400, "invalid event")
    return key


def _retry_num(request: Request) -> int:
    raw = request.headers.get("x-slack-retry-num", "0").strip()
    return int(raw) if raw.isdigit() and len(raw) < 6 else 0


def create_asgi_app(app: OomlensApp, *, signing_secret: str | None = None) -> Starlette:
    services = app.services
    secret = (signing_secret if signing_secret is not None else (services.settings.signing_secret or "")).encode()
    # Recording deliveries (the recorder's threads) and Bolt's dispatch of commands each have
    # threads of their own, never the event loop and never the threads that run analyses: a
    # frozen database holds at most the recording threads, and /gfp, /oom and buttons are still
    # acknowledged.
    dispatch_executor = ThreadPoolExecutor(max_workers=DISPATCH_THREADS, thread_name_prefix="oomlens-dispatch")
    recorder = app.recorder if app.recorder is not None else Recorder(services.store, None)
    readiness = ReadinessProbe(services.store.ping)
    readiness.status()  # the first check starts now

    async def in_executor(
        executor: ThreadPoolExecutor, function: Callable[..., Any], *args: Any, timeout: float
    ) -> Any:
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(executor, function, *args), timeout)

    async def slack_events(request: Request) -> Response:
        try:
            body = await read_body(request)
            if not signed(secret, body, request):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return JSONResponse({"error": "invalid request"}, status_code=400)
            if "application/json" in request.headers.get("content-type", ""):
                try:
                    payload = json.loads(text)
                except ValueError:
                    return JSONResponse({"error": "invalid JSON"}, status_code=400)
                if isinstance(payload, dict) and payload.get("type") == "event_callback":
                    return await record_event(request, text, _event_key(payload), payload)
                if not isinstance(payload, dict) or payload.get("type") != "url_verification":
                    return JSONResponse({"error": "invalid request"}, status_code=400)
            elif not isinstance(parse_qs(text).get("payload", parse_qs(text).get("command")), list):
                return JSONResponse({"error": "invalid request"}, status_code=400)
            try:
                bolt_response = await in_executor(
                    dispatch_executor, app.bolt.dispatch, to_bolt_request(request, body), timeout=DISPATCH_TIMEOUT_S
                )
            except TimeoutError:
                log.warning("a command or interaction was not acknowledged within %.1f s", DISPATCH_TIMEOUT_S)
                return JSONResponse({"error": "busy"}, status_code=503)
            return to_starlette_response(bolt_response)
        except _Refused as refused:
            return refused.response
        except ClientDisconnect:
            log.info("client hung up before the request was read")
            return Response(status_code=400)

    async def record_event(request: Request, text: str, key: str, payload: dict[str, Any]) -> Response:
        outcome = await recorder.arecord(key, text, _retry_num(request))
        if outcome not in ACKNOWLEDGED:
            # The database cannot record it and the spool is full (or there is none): refuse,
            # and Slack sends it again (never acknowledge and drop).
            return JSONResponse({"error": "database unavailable"}, status_code=503, headers={"Retry-After": "5"})
        # Events go to the queue, not through the acknowledging Bolt app: count them here.
        metrics.event_received(
            payload, {name: [request.headers.get(name, "")] for name in ("x-slack-retry-num", "x-slack-retry-reason")}
        )
        if outcome in (REPEAT, SPOOL_REPEAT):
            metrics.deduplicated("event")
            log.info(
                "repeated delivery of %s (retry %s) already recorded",
                key,
                request.headers.get("x-slack-retry-num", "-"),
            )
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        ready, reason = await readiness.astatus()
        if not ready and recorder.spool is not None and not recorder.spool.full:
            # Deliveries are still acknowledged (into the local spool) while it has room: taking
            # every replica out of the Service during an outage would turn them away instead.
            ready, reason = True, f"ready ({reason}: deliveries go to the local spool)"
        return PlainTextResponse(reason, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # Shutting down (SIGTERM): let analyses that were already acknowledged post their reply.
        await asyncio.get_running_loop().run_in_executor(None, app.shutdown)
        readiness.close()
        dispatch_executor.shutdown(wait=False, cancel_futures=True)

    server = Starlette(lifespan=lifespan, routes=routes(app, slack_events=slack_events, healthz=healthz, readyz=readyz))
    server.add_middleware(metrics.AckTimer)
    return server


def routes(
    app: Any, *, slack_events: Callable[..., Any], healthz: Callable[..., Any], readyz: Callable[..., Any]
) -> list[Route]:
    """Every route of the HTTP server, in one place (add new endpoints here)."""
    return [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *metrics.routes(),
        *oauth.routes(app.bolt),  # /slack/install and /slack/oauth_redirect when OAuth is on
    ]

"""uvicorn, hardened for the open internet: a deadline for request headers (idle and half-sent
connections are closed), a short keep-alive, bounded header size and concurrency, and quiet logs
for clients that hang up.

The body's size limit and deadline are enforced while it is read (``server.read_body``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0  # from connect (or the end of the previous response) to complete headers
KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this
MAX_HEADER_BYTES = 16 * 1024
MAX_CONCURRENT_REQUESTS = 1000  # connections + requests; above this uvicorn answers 503 at once

log = logging.getLogger("bot.http")


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a header deadline: a connection that has not sent a complete
    request line and headers within ``HEADER_TIMEOUT_S`` is closed (uvicorn itself waits forever)."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self._disarm_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._header_deadline)

    def _disarm_header_timer(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
            self._header_timer = None

    def _header_deadline(self) -> None:
        self._header_timer = None
        if self.conn.their_state in (h11.IDLE,) and not self.transport.is_closing():
            log.info("closed a connection that sent no complete request within %.0f s", self.header_timeout_s)
            self.transport.close()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_timer()  # headers are in; the body has its own deadline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)


def uvicorn_config(asgi_app: Any, *, host: str, port: int, log_level: str = "info") -> Any:
    import uvicorn

    return uvicorn.Config(
        asgi_app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        log_config=None,  # the app's own logging (bot/slack/logs.py) formats uvicorn's lines too
        http=GuardedH11Protocol,
        timeout_keep_alive=KEEP_ALIVE_S,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=MAX_CONCURRENT_REQUESTS,
        timeout_graceful_shutdown=30,
    )


def serve_http(asgi_app: Any, *, host: str, port: int, log_level: str = "info") -> None:
    import uvicorn

    uvicorn.Server(uvicorn_config(asgi_app, host=host, port=port, log_level=log_level)).run()

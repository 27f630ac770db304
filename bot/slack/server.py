"""The ASGI application for HTTP mode: Bolt's Starlette adapter at /slack/events, plus probes.

Bolt's own Starlette handler calls the (synchronous) ``App.dispatch`` on the event loop; here
dispatch runs in the thread pool so a slow middleware never stalls other requests' acks.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response

from bot.slack import metrics, oauth
from bot.slack.app import OomlensApp

MAX_REQUEST_BYTES = 2 * 1024 * 1024


def create_asgi_app(app: OomlensApp) -> Starlette:
    services = app.services

    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_REQUEST_BYTES:
            return JSONResponse({"error": "request too large"}, status_code=413)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"error": "invalid request"}, status_code=400)
        bolt_response = await run_in_threadpool(app.bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        if await run_in_threadpool(services.store.ping):
            return PlainTextResponse("ready")
        return PlainTextResponse("database unavailable", status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # Shutting down (SIGTERM): let analyses that were already acknowledged post their reply.
        await run_in_threadpool(app.shutdown)

    server = Starlette(lifespan=lifespan, routes=[
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *metrics.routes(),
        *oauth.routes(app.bolt),  # /slack/install and /slack/oauth_redirect when OAuth is on
    ])
    server.add_middleware(metrics.AckTimer)
    return server

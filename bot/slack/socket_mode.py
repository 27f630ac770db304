"""Socket Mode: the same durable path as HTTP mode for Events API deliveries.

An ``events_api`` envelope is recorded by the app's ``Recorder`` (a job in the shared queue, or
the local spool while the database cannot record it) and only then acknowledged; the job
threads answer it, as in HTTP mode. An envelope that cannot be recorded (spool full) is not
acknowledged, so Slack sends it again. Commands, shortcuts and buttons go to Bolt, which
acknowledges them before any work.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.socket_mode.response import SocketModeResponse

from . import metrics
from .app import OomlensApp
from .recorder import ACKNOWLEDGED, REPEAT, SPOOL_REPEAT, event_job_key

log = logging.getLogger("bot.socket_mode")


def make_handler(app: OomlensApp, app_token: str, api_url: str) -> Any:
    """A connected-on-demand ``SocketModeHandler`` for ``app`` whose events take the durable path."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk import WebClient

    handler = SocketModeHandler(app.bolt, app_token, web_client=WebClient(base_url=api_url))
    install(handler, app)
    return handler


def install(handler: Any, app: OomlensApp) -> None:
    """Route ``events_api`` envelopes to the recorder and time every ack (``oomlens_ack_seconds``:
    Bolt dispatches an envelope and then acknowledges it, so its time is the time Slack waits)."""
    listeners = handler.client.socket_mode_request_listeners
    for index, listener in enumerate(listeners):
        if getattr(listener, "__self__", None) is handler:

            def routed(client: Any, request: Any, _bolt: Any = listener) -> None:
                with metrics.ACK_SECONDS.time():
                    if request.type == "events_api" and app.recorder is not None:
                        record_envelope(app, client, request)
                    else:
                        _bolt(client, request)

            listeners[index] = routed


def record_envelope(app: OomlensApp, client: Any, request: Any) -> None:
    payload = request.payload
    key = event_job_key(payload)
    if key is None:  # not an event we can queue (malformed): acknowledge, nothing to answer
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
        return
    retry = int(request.retry_attempt or 0)
    assert app.recorder is not None
    outcome = app.recorder.record(key, json.dumps(payload), retry)
    if outcome not in ACKNOWLEDGED:
        log.warning("%s not acknowledged: it could not be recorded (Slack will send it again)", key)
        return
    client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
    metrics.event_received(
        payload, {"x-slack-retry-num": [str(retry)], "x-slack-retry-reason": [request.retry_reason or ""]}
    )
    if outcome in (REPEAT, SPOOL_REPEAT):
        metrics.deduplicated("event")
        log.info("repeated delivery of %s (retry %s) already recorded", key, retry)


__all__ = ["install", "make_handler", "record_envelope"]

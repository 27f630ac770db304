"""`oomlens serve`: run the Slack bot over HTTP (uvicorn) or Socket Mode."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import IO, Any

from bot.settings import IncidentSettings, Settings, SettingsError

log = logging.getLogger(__name__)


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack bot",
        description="Run the Slack bot. Settings come from the environment: SLACK_BOT_TOKEN, "
        "SLACK_SIGNING_SECRET (HTTP mode), SLACK_APP_TOKEN (Socket Mode), SLACK_API_URL, DATABASE_URL, "
        "OOMLENS_MAX_FILE_BYTES, PORT.",
    )
    parser.add_argument("--socket-mode", action="store_true", help="connect over Socket Mode (needs SLACK_APP_TOKEN)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info"),
                        choices=["debug", "info", "warning", "error"])
    parser.set_defaults(run=run)
    return parser


def _fail(message: str) -> int:
    print(f"oomlens serve: {message}", file=sys.stderr)
    return 2


def _port(args: argparse.Namespace) -> int:
    if args.port is not None:
        port = args.port
    else:
        raw = os.environ.get("PORT", "3000").strip() or "3000"
        try:
            port = int(raw)
        except ValueError:
            raise SettingsError("PORT is malformed: expected a TCP port number") from None
    if not 0 <= port <= 65535:
        raise SettingsError("PORT is malformed: expected a TCP port number (0-65535)")
    return port


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env(socket_mode=args.socket_mode)
        port = None if args.socket_mode else _port(args)
        IncidentSettings.from_env()  # OOMLENS_RETENTION_DAYS and friends: one clear line, not a traceback
    except SettingsError as error:
        return _fail(str(error))

    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import build_app
    from bot.store import Store

    try:
        store = Store.open(settings.database_url)
    except Exception as error:  # driver missing, server down, bad credentials...
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return _fail(f"DATABASE_URL: cannot open the database ({first})")
    try:
        app = build_app(settings, store=store)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        reason = getattr(getattr(error, "response", None), "get", lambda *_: None)("error") or str(error).splitlines()[0]
        return _fail(f"SLACK_BOT_TOKEN: Slack did not accept the bot token at {settings.api_url} ({reason})")

    try:
        if args.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler
            from slack_sdk import WebClient

            handler = SocketModeHandler(app.bolt, settings.app_token, web_client=WebClient(base_url=settings.api_url))
            log.info("oomlens connecting over Socket Mode")
            handler.start()
        else:
            import uvicorn

            from bot.slack.server import create_asgi_app

            log.info("oomlens listening on %s:%s", args.host, port)
            uvicorn.run(create_asgi_app(app), host=args.host, port=port, log_level=args.log_level,
                        access_log=False, lifespan="on")
    except KeyboardInterrupt:
        pass
    finally:
        app.shutdown()  # let running analyses finish replying, and queued charts
        store.close()
    return 0

"""`oomlens serve`: run the Slack bot over HTTP (uvicorn) or Socket Mode."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import IO, Any

from bot.settings import IncidentSettings, Settings, SettingsError, load_env_file

log = logging.getLogger(__name__)


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack bot",
        description="Run the Slack bot. Settings come from the environment, and from ./.env (or the file "
        "OOMLENS_ENV_FILE names) for variables not set; docs/settings.md lists them all.",
    )
    parser.add_argument("--no-migrate", action="store_true",
                        help="do not migrate the database at start-up (run `oomlens db upgrade` first, e.g. as an init job)")
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
    logging.getLogger("alembic").setLevel(logging.WARNING)
    load_env_file()
    try:
        settings = Settings.from_env(socket_mode=args.socket_mode)
        port = None if args.socket_mode else _port(args)
        IncidentSettings.from_env()  # OOMLENS_RETENTION_DAYS and friends: one clear line, not a traceback
    except SettingsError as error:
        return _fail(str(error))

    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import build_app
    from bot.store.startup import StartupError, open_store
    from bot.store.store import DatabaseLimits

    try:  # bounded: a refused, unknown or silent database is one line, never a hang
        store = open_store(settings.database_url, migrate=not args.no_migrate, timeout_s=settings.startup_timeout_s,
                           limits=DatabaseLimits.from_settings(settings))
    except StartupError as error:  # driver missing, server down or silent, bad credentials...
        return _fail(str(error))
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
            from bot.slack.http import serve_http
            from bot.slack.server import create_asgi_app

            log.info("oomlens listening on %s:%s", args.host, port)
            serve_http(create_asgi_app(app), host=args.host, port=port, log_level=args.log_level)
    except KeyboardInterrupt:
        pass
    finally:
        app.shutdown()  # let running analyses finish replying, and queued charts
        store.close()
    return 0

"""`oomlens serve`: run the Slack bot over HTTP (uvicorn) or Socket Mode."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from typing import IO, Any

from bot.extras import available, require

log = logging.getLogger(__name__)


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "serve",
        help="run the Slack bot",
        description="Run the Slack bot. Settings come from the environment, and from ./.env (or the file "
        "OOMLENS_ENV_FILE names) for variables not set; docs/settings.md lists them all.",
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not migrate the database at start-up (run `oomlens db upgrade` first, e.g. as an init job)",
    )
    parser.add_argument("--socket-mode", action="store_true", help="connect over Socket Mode (needs SLACK_APP_TOKEN)")
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    parser.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    parser.add_argument(
        "--log-level", default=os.environ.get("LOG_LEVEL", "info"), choices=["debug", "info", "warning", "error"]
    )
    parser.set_defaults(run=run)
    return parser


def _fail(message: str) -> int:
    print(f"oomlens serve: {message}", file=sys.stderr)
    return 2


def _port(args: argparse.Namespace) -> int:
    from bot.settings import SettingsError

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
    # The settings and everything below are imported here: every `oomlens` command imports this
    # module to list its subcommand, and `oomlens analyze` should not pay for them.
    from bot.settings import IncidentSettings, OAuthSettings, OpsSettings, Settings, SettingsError, load_env_file

    load_env_file()  # .env beside the deployment, before any setting is read
    try:
        settings = Settings.from_env(socket_mode=args.socket_mode)
        port = None if args.socket_mode else _port(args)
        IncidentSettings.from_env()  # OOMLENS_RETENTION_DAYS and friends: one clear line, not a traceback
        ops = OpsSettings.from_env()
        oauth = OAuthSettings.from_env()
        if oauth.enabled and args.socket_mode:
            raise SettingsError(
                'SLACK_CLIENT_ID: "Add to Slack" installs need HTTP mode (Slack redirects '
                "the installer to /slack/oauth_redirect); unset it for Socket Mode"
            )
    except SettingsError as error:
        return _fail(str(error))
    require("slack")  # MissingExtra: one line naming the extra (bot.cli.main prints it)
    from bot.slack import logs

    logs.configure(args.log_level, ops.log_format)  # one format for the app, Bolt and uvicorn
    if settings.database_url.startswith(("postgresql", "postgres:")):
        require("postgres")
    incident_settings = IncidentSettings.from_env()
    if incident_settings.charts and not available("charts"):
        log.warning("charts are off: the [charts] extra is not installed (pip install 'oomlens[charts]')")
        incident_settings = dataclasses.replace(incident_settings, charts=False)

    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import build_app
    from bot.store.startup import StartupError, open_store
    from bot.store.store import DatabaseLimits

    try:  # bounded: a refused, unknown or silent database is one line, never a hang
        store = open_store(
            settings.database_url,
            migrate=not args.no_migrate,
            timeout_s=settings.startup_timeout_s,
            limits=DatabaseLimits.from_settings(settings),
        )
    except StartupError as error:  # driver missing, server down or silent, bad credentials...
        return _fail(str(error))
    try:
        app = build_app(settings, store=store, incident_settings=incident_settings, oauth=oauth)
    except (BoltError, SlackApiError, SlackClientError, OSError) as error:
        reason = (
            getattr(getattr(error, "response", None), "get", lambda *_: None)("error") or str(error).splitlines()[0]
        )
        return _fail(f"SLACK_BOT_TOKEN: Slack did not accept the bot token at {settings.api_url} ({reason})")

    try:
        if args.socket_mode:
            from bot.slack.metrics import HealthServer
            from bot.slack.socket_mode import make_handler

            # events recorded (shared queue or local spool) before the ack, as in HTTP mode; ack
            # latency timed as the HTTP server's AckTimer measures it
            handler = make_handler(app, settings.app_token or "", settings.api_url)
            # Socket Mode has no HTTP server: probes and /metrics get a port of their own.
            health = HealthServer(
                connected=lambda: bool(handler.client.is_connected()),
                ready=store.ping,
                host=args.host,
                port=ops.health_port,
            ).start()
            log.info("oomlens connecting over Socket Mode (health and metrics on port %s)", health.port)
            # handler.start() would print Bolt's boot banner to stdout, outside the log format, and
            # die on SIGTERM without draining: connect, then wait for SIGTERM or Ctrl-C instead.
            import signal
            import threading

            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                handler.connect()
                log.info("oomlens connected over Socket Mode")
                stop.wait()
                log.info("oomlens stopping: SIGTERM; finishing the analyses in flight")
                handler.close()
            finally:
                health.stop()
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

"""Runtime settings for the Slack bot, read from the environment.

Everything that can be wrong with the configuration is found here, before any socket is opened,
and reported as one line that names the variable (``SettingsError``); the CLI prints that line
and exits instead of showing a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///oomlens.sqlite3"
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024

# Hosts Slack serves `url_private` / `url_private_download` from. The bot token is only ever
# attached to downloads from these (plus the configured API host, for tests and proxies).
SLACK_FILE_HOSTS = frozenset({"files.slack.com", "files-pri.slack.com", "files-origin.slack.com"})


class SettingsError(ValueError):
    """A missing or malformed setting; ``str(error)`` is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    socket_mode: bool = False
    # Threads that run listeners after the ack (Bolt's default is 5).
    listener_threads: int = 8
    # Minimum seconds between two chat.postMessage calls in the same channel (Slack: ~1/s).
    post_interval_s: float = 1.0
    extra_file_hosts: frozenset[str] = field(default_factory=frozenset)
    # The durable work queue: a claimed job is held this long without a heartbeat.
    job_lease_s: float = 30.0
    # Bounds on every database operation (see bot.store.store.DatabaseLimits).
    db_connect_timeout_s: float = 5.0
    db_statement_timeout_s: float = 10.0
    db_pool_size: int = 5
    # `oomlens serve` gives up (one line, exit 2) when the database is not ready within this.
    startup_timeout_s: float = 30.0
    # The local spool: deliveries acknowledged while the database could not record them.
    spool_dir: str = "oomlens-spool"
    spool_max_bytes: int = 64 * 1024 * 1024

    def __repr__(self) -> str:  # never print secrets, even in a debugger or a crash report
        return (
            f"Settings(api_url={self.api_url!r}, database_url={_redact_url(self.database_url)!r}, "
            f"max_file_bytes={self.max_file_bytes}, socket_mode={self.socket_mode})"
        )

    @property
    def api_host(self) -> str:
        return urlsplit(self.api_url).hostname or ""

    @property
    def allowed_file_hosts(self) -> frozenset[str]:
        hosts = set(SLACK_FILE_HOSTS) | set(self.extra_file_hosts)
        if self.api_url != DEFAULT_API_URL:
            hosts.add(self.api_host)
        return frozenset(hosts)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, socket_mode: bool = False) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN")
        if bot_token is None and get("SLACK_CLIENT_ID"):
            bot_token = ""  # OAuth: each workspace's token comes from its installation (OAuthSettings)
        elif bot_token is None:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set (the bot token, xoxb-...; or SLACK_CLIENT_ID and "
                'SLACK_CLIENT_SECRET for "Add to Slack" installs)'
            )
        elif not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN is malformed: a bot token starts with xoxb-")

        signing_secret = get("SLACK_SIGNING_SECRET")
        app_token = get("SLACK_APP_TOKEN")
        if socket_mode:
            if app_token is None:
                raise SettingsError("SLACK_APP_TOKEN is not set (Socket Mode needs an app-level token, xapp-...)")
            if not app_token.startswith("xapp-"):
                raise SettingsError("SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-")
        else:
            if signing_secret is None:
                raise SettingsError("SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it)")

        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError("SLACK_API_URL is malformed: expected an http(s) URL such as https://slack.com/api/")
        if not api_url.endswith("/"):
            api_url += "/"

        database_url = database_url_from_env(env)

        def number(name: str, default: float, *, minimum: float, integer: bool = False) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                value = int(raw) if integer else float(raw)
            except ValueError:
                raise SettingsError(f"{name} is malformed: expected a {'whole ' if integer else ''}number") from None
            if value < minimum:
                raise SettingsError(f"{name} is malformed: it must be at least {minimum:g}")
            return value

        raw_max = get("OOMLENS_MAX_FILE_BYTES")
        max_file_bytes = DEFAULT_MAX_FILE_BYTES
        if raw_max is not None:
            try:
                max_file_bytes = int(raw_max)
            except ValueError:
                raise SettingsError("OOMLENS_MAX_FILE_BYTES is malformed: expected a number of bytes") from None
            if max_file_bytes <= 0:
                raise SettingsError("OOMLENS_MAX_FILE_BYTES is malformed: it must be positive")

        return cls(
            bot_token=bot_token,
            signing_secret=signing_secret,
            app_token=app_token,
            api_url=api_url,
            database_url=database_url,
            max_file_bytes=max_file_bytes,
            socket_mode=socket_mode,
            listener_threads=int(number("OOMLENS_LISTENER_THREADS", cls.listener_threads, minimum=1, integer=True)),
            job_lease_s=number("OOMLENS_JOB_LEASE_S", cls.job_lease_s, minimum=1),
            db_connect_timeout_s=number("OOMLENS_DB_CONNECT_TIMEOUT", cls.db_connect_timeout_s, minimum=1),
            db_statement_timeout_s=number("OOMLENS_DB_STATEMENT_TIMEOUT", cls.db_statement_timeout_s, minimum=0.5),
            db_pool_size=int(number("OOMLENS_DB_POOL_SIZE", cls.db_pool_size, minimum=1, integer=True)),
            startup_timeout_s=number("OOMLENS_STARTUP_TIMEOUT", cls.startup_timeout_s, minimum=1),
            spool_dir=get("OOMLENS_SPOOL_DIR") or cls.spool_dir,
            spool_max_bytes=int(
                number("OOMLENS_SPOOL_MAX_BYTES", cls.spool_max_bytes, minimum=1_000_000, integer=True)
            ),
        )


def database_url_from_env(env: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL (SQLite or PostgreSQL; ``postgres://`` is accepted), or the SQLite default."""
    env = os.environ if env is None else env
    database_url = (env.get("DATABASE_URL") or "").strip() or DEFAULT_DATABASE_URL
    scheme = database_url.split("://", 1)[0] if "://" in database_url else ""
    if not scheme or scheme.split("+", 1)[0] not in ("sqlite", "postgres", "postgresql"):
        raise SettingsError("DATABASE_URL is malformed: expected sqlite:///path or postgresql://user@host/db")
    return database_url


def load_env_file(path: str | None = None) -> str | None:
    """Read ``.env`` (or ``OOMLENS_ENV_FILE``) into the environment; variables already set win.
    Returns the file read, or None."""
    path = path or os.environ.get("OOMLENS_ENV_FILE") or ".env"
    if not os.path.isfile(path):
        return None
    from dotenv import load_dotenv

    load_dotenv(path, override=False)
    return path


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


# Incident memory (retention, charts, history scans): read from the environment the same way.
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class IncidentSettings:
    retention_days: float = 30.0  # events and stored analyses (with their pastes) older than this are purged
    store_pastes: bool = False  # keep each event's raw paste in oomlens_events
    charts: bool = True  # attach PNG charts to analyses and summaries
    scheduler_interval_s: float = 30.0  # how often digests, paused scans and the purge are checked
    history_page_limit: int = 100  # conversations.history `limit` (15 for new non-Marketplace apps)
    scan_max_pages: int = 50  # pages one `/oom summary scan` reads before it pauses
    scan_max_wait_s: float = 30.0  # a Retry-After up to this is waited for in place; longer ones pause

    @property
    def retention_s(self) -> float:
        return self.retention_days * 86400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IncidentSettings:
        env = os.environ if env is None else env

        def number(name: str, default: float, *, minimum: float) -> float:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} is malformed: expected a number") from None
            if value < minimum:
                raise SettingsError(f"{name} is malformed: it must be at least {minimum:g}")
            return value

        def flag(name: str, default: bool) -> bool:
            raw = (env.get(name) or "").strip().lower()
            if not raw:
                return default
            if raw in _TRUE:
                return True
            if raw in _FALSE:
                return False
            raise SettingsError(f"{name} is malformed: expected true or false")

        return cls(
            retention_days=number("OOMLENS_RETENTION_DAYS", cls.retention_days, minimum=0.01),
            store_pastes=flag("OOMLENS_STORE_PASTES", cls.store_pastes),
            charts=flag("OOMLENS_CHARTS", cls.charts),
            scheduler_interval_s=number("OOMLENS_SCHEDULER_INTERVAL", cls.scheduler_interval_s, minimum=1),
            history_page_limit=int(number("OOMLENS_HISTORY_PAGE_LIMIT", cls.history_page_limit, minimum=1)),
        )


# Operations (prodB): the Socket Mode health port, JSON logs, OAuth. Appended; read the same way.
@dataclass(frozen=True)
class OpsSettings:
    health_port: int = 8080  # Socket Mode: /healthz, /readyz and /metrics on this port
    log_format: str = "text"  # "json": one JSON object per line, for the app and uvicorn alike

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OpsSettings:
        env = os.environ if env is None else env
        raw_port = (env.get("OOMLENS_HEALTH_PORT") or "").strip()
        port = cls.health_port
        if raw_port:
            try:
                port = int(raw_port)
            except ValueError:
                raise SettingsError("OOMLENS_HEALTH_PORT is malformed: expected a TCP port number") from None
            if not 0 <= port <= 65535:
                raise SettingsError("OOMLENS_HEALTH_PORT is malformed: expected a TCP port number (0-65535)")
        log_format = (env.get("OOMLENS_LOG_FORMAT") or "").strip().lower() or cls.log_format
        if log_format not in ("text", "json"):
            raise SettingsError("OOMLENS_LOG_FORMAT is malformed: expected text or json")
        return cls(health_port=port, log_format=log_format)


# "Add to Slack" (OAuth, several workspaces). Off unless SLACK_CLIENT_ID is set; then each
# workspace's bot token is read from its installation (slack-sdk's SQLAlchemy installation store,
# in the bot's own database) and SLACK_BOT_TOKEN is not needed.
DEFAULT_BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "groups:history",
    "mpim:history",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
)  # = deploy/slack-manifest.prod.yaml (tested)


@dataclass(frozen=True)
class OAuthSettings:
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    redirect_uri: str | None = None  # default: Slack uses the app's only redirect URL
    state_expiration_s: int = 600

    def __repr__(self) -> str:
        return (
            f"OAuthSettings(client_id={self.client_id!r}, scopes={self.scopes!r}, redirect_uri={self.redirect_uri!r})"
        )

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OAuthSettings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            return (env.get(name) or "").strip() or None

        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        if client_id is None:
            return cls()
        if client_secret is None:
            raise SettingsError(
                "SLACK_CLIENT_SECRET is not set (Basic Information -> App Credentials); "
                'SLACK_CLIENT_ID turns on "Add to Slack" installs'
            )
        raw_scopes = get("SLACK_SCOPES")
        scopes = tuple(s for s in (raw_scopes or "").replace(" ", ",").split(",") if s) or DEFAULT_BOT_SCOPES
        if not all(re.fullmatch(r"[a-z_]+(?:[.:][a-z_]+)*", scope) for scope in scopes):  # chat:write, commands
            raise SettingsError("SLACK_SCOPES is malformed: expected comma-separated scopes such as chat:write")
        redirect_uri = get("SLACK_REDIRECT_URI")
        if redirect_uri is not None:
            parts = urlsplit(redirect_uri)
            if parts.scheme != "https" or not parts.hostname:
                raise SettingsError("SLACK_REDIRECT_URI is malformed: expected https://<host>/slack/oauth_redirect")
        return cls(client_id=client_id, client_secret=client_secret, scopes=scopes, redirect_uri=redirect_uri)


# -- the one table of settings ----------------------------------------------------------------
# Every variable the bot reads. docs/settings.md and deploy/.env.example are generated from this
# table (`python -m bot.settings`); tests/test_settings_table.py fails when they are stale or when
# code reads a variable that is not listed here.


@dataclass(frozen=True)
class Variable:
    name: str
    default: str  # as written in .env; "" when there is none
    meaning: str
    required: str = ""  # when it is required ("always", "HTTP mode", ...)
    secret: bool = False
    group: str = "Slack"


VARIABLES: tuple[Variable, ...] = (
    Variable("SLACK_BOT_TOKEN", "", "bot token, `xoxb-…`", required="always", secret=True),
    Variable("SLACK_SIGNING_SECRET", "", "verifies every HTTP request from Slack", required="HTTP mode", secret=True),
    Variable("SLACK_APP_TOKEN", "", "app-level token, `xapp-…`", required="Socket Mode", secret=True),
    Variable("SLACK_API_URL", DEFAULT_API_URL, "Web API base URL (proxies, tests)"),
    Variable("OOMLENS_MAX_FILE_BYTES", str(DEFAULT_MAX_FILE_BYTES), "largest shared file downloaded, bytes"),
    Variable(
        "OOMLENS_LISTENER_THREADS",
        str(Settings.listener_threads),
        "threads that analyse and answer (job threads; Bolt listener threads)",
    ),
    Variable("PORT", "3000", "HTTP port when `--port` is not given", group="Server"),
    Variable("LOG_LEVEL", "info", "debug, info, warning or error", group="Server"),
    Variable("OOMLENS_ENV_FILE", ".env", "file read at start-up for variables not already set", group="Server"),
    Variable(
        "OOMLENS_STARTUP_TIMEOUT",
        f"{Settings.startup_timeout_s:g}",
        "seconds start-up waits for the database before it stops with one line",
        group="Server",
    ),
    Variable(
        "DATABASE_URL",
        DEFAULT_DATABASE_URL,
        "`sqlite:///path` or `postgresql://` / `postgres://user:pass@host:5432/db` (psycopg 3)",
        group="Database",
    ),
    Variable(
        "OOMLENS_DB_CONNECT_TIMEOUT",
        f"{Settings.db_connect_timeout_s:g}",
        "seconds to connect, and to wait for a free pooled connection",
        group="Database",
    ),
    Variable(
        "OOMLENS_DB_STATEMENT_TIMEOUT",
        f"{Settings.db_statement_timeout_s:g}",
        "seconds a statement or lock wait may take (SQLite: busy timeout)",
        group="Database",
    ),
    Variable(
        "OOMLENS_DB_POOL_SIZE",
        str(Settings.db_pool_size),
        "pooled connections per replica (as many again may overflow)",
        group="Database",
    ),
    Variable(
        "OOMLENS_JOB_LEASE_S",
        f"{Settings.job_lease_s:g}",
        "seconds a claimed job is held without a heartbeat; a dead replica's jobs are taken over after it",
        group="Database",
    ),
    Variable(
        "OOMLENS_SPOOL_DIR",
        Settings.spool_dir,
        "directory of the local spool: deliveries acknowledged while the database is away (a persistent "
        "volume keeps them through a pod replacement)",
        group="Database",
    ),
    Variable(
        "OOMLENS_SPOOL_MAX_BYTES",
        str(Settings.spool_max_bytes),
        "spooled deliveries kept at most; beyond this a delivery is refused (503) so that Slack retries it",
        group="Database",
    ),
    Variable(
        "OOMLENS_RETENTION_DAYS",
        f"{IncidentSettings.retention_days:g}",
        "events and stored analyses (with their pastes) older than this are purged",
        group="Incident memory",
    ),
    Variable("OOMLENS_STORE_PASTES", "false", "keep each event's raw paste", group="Incident memory"),
    Variable("OOMLENS_CHARTS", "true", "attach PNG charts to analyses and summaries", group="Incident memory"),
    Variable(
        "OOMLENS_SCHEDULER_INTERVAL",
        f"{IncidentSettings.scheduler_interval_s:g}",
        "seconds between checks for due digests, paused scans and the purge",
        group="Incident memory",
    ),
    Variable(
        "OOMLENS_HISTORY_PAGE_LIMIT",
        str(IncidentSettings.history_page_limit),
        "`conversations.history` page size (15 for new non-Marketplace apps)",
        group="Incident memory",
    ),
    Variable(
        "OOMLENS_HEALTH_PORT",
        str(OpsSettings.health_port),
        "Socket Mode: port of `/healthz`, `/readyz` and `/metrics`",
        group="Operations",
    ),
    Variable(
        "OOMLENS_LOG_FORMAT",
        OpsSettings.log_format,
        "`text` or `json` (one object per line, for the app and uvicorn alike)",
        group="Operations",
    ),
    Variable(
        "SLACK_CLIENT_ID",
        "",
        'turns on "Add to Slack" installs for several workspaces (HTTP mode)',
        group="Several workspaces (OAuth)",
    ),
    Variable(
        "SLACK_CLIENT_SECRET",
        "",
        "app credential for the OAuth exchange",
        required="with SLACK_CLIENT_ID",
        secret=True,
        group="Several workspaces (OAuth)",
    ),
    Variable(
        "SLACK_SCOPES",
        ",".join(DEFAULT_BOT_SCOPES),
        "bot scopes asked at install, comma-separated",
        group="Several workspaces (OAuth)",
    ),
    Variable(
        "SLACK_REDIRECT_URI",
        "",
        "`https://<host>/slack/oauth_redirect` when the app has several redirect URLs",
        group="Several workspaces (OAuth)",
    ),
)


def settings_markdown() -> str:
    lines = [
        "# Settings",
        "",
        "<!-- Generated from bot/settings.py (VARIABLES) by `python -m bot.settings`; do not edit. -->",
        "",
        "Read from the environment; `oomlens serve` and `oomlens db` also read `.env` (or the file",
        "`OOMLENS_ENV_FILE` names) for variables not already set. A missing or malformed variable stops",
        "start-up with one line naming it (exit status 2).",
        "",
    ]
    groups: list[str] = []
    for variable in VARIABLES:
        if variable.group not in groups:
            groups.append(variable.group)
    for group in groups:
        lines += [f"## {group}", "", "| Variable | Default | Required | Meaning |", "| --- | --- | --- | --- |"]
        for v in VARIABLES:
            if v.group == group:
                default = f"`{v.default}`" if v.default else ""
                lines.append(
                    f"| `{v.name}` | {default} | {v.required} | {v.meaning}{' (secret)' if v.secret else ''} |"
                )
        lines.append("")
    return "\n".join(lines)


def env_example() -> str:
    lines = [
        "# oomlens settings. Generated from bot/settings.py by `python -m bot.settings`; do not edit.",
        "# Copy to .env next to where `oomlens serve` runs (or point OOMLENS_ENV_FILE at it); variables",
        "# already set in the environment win. docs/settings.md explains each one.",
        "",
    ]
    group = None
    for v in VARIABLES:
        if v.group != group:
            group = v.group
            lines += [f"# -- {group}", ""] if len(lines) == 4 else ["", f"# -- {group}", ""]
        required = f" Required: {v.required}." if v.required else ""
        lines.append(f"# {v.meaning.replace('`', '')}.{required}")
        lines.append(f"{v.name}=" if v.required else f"# {v.name}={v.default}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m bot.settings: regenerate docs/settings.md and deploy/.env.example
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (root / "docs" / "settings.md").write_text(settings_markdown(), encoding="utf-8")
    (root / "deploy" / ".env.example").write_text(env_example(), encoding="utf-8")

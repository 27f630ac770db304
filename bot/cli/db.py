"""`oomlens db upgrade`: bring the database schema to the newest revision (the init job).

On PostgreSQL the upgrade holds an advisory lock, so it is safe next to replicas that migrate at
start-up, and `oomlens serve --no-migrate` replicas can start after it."""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "db", help="database schema (upgrade)", description="Manage the bot's database schema (DATABASE_URL)."
    )
    parser.add_argument("action", choices=["upgrade"], help="upgrade: migrate to the newest revision")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from bot.settings import Settings, SettingsError, database_url_from_env, load_env_file

    out = out or sys.stdout
    load_env_file()
    try:
        url = database_url_from_env()
        timeout = Settings.startup_timeout_s
    except SettingsError as error:
        print(f"oomlens db: {error}", file=sys.stderr)
        return 2
    from bot.store.startup import StartupError, open_store

    try:
        store = open_store(url, migrate=True, timeout_s=max(timeout, 120.0))
    except StartupError as error:
        print(f"oomlens db: {error}", file=sys.stderr)
        return 2
    store.close()
    print("database schema is up to date", file=out)
    return 0

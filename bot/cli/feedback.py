"""`oomlens feedback export`: the "Wrong cause" (and optionally "Helpful") votes from the bot's
database as JSON lines, each with the analysis it judges and its paste, for review and for new
corpus cases. Reads DATABASE_URL (or --database-url); never migrates the database."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from typing import IO, Any

from bot.extras import require


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "feedback",
        help="export the feedback given in Slack",
        description="Export the feedback votes given on the bot's answers.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export",
        help="votes as JSON lines, with the analysed paste",
        description="Write one JSON object per vote (oldest first): the vote, and the analysis it refers to "
        "with its paste (analysis is null if it was purged before this version kept such pastes).",
    )
    export.add_argument("--database-url", default=None, help="default: $DATABASE_URL")
    export.add_argument("--verdict", choices=("wrong-cause", "helpful", "all"), default="wrong-cause")
    export.add_argument("--since", metavar="DATE", help="only votes from this date on (ISO 8601, UTC if no zone)")
    export.add_argument("--no-paste", action="store_true", help="leave the pastes out")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    parser.set_defaults(run=run)
    return parser


def _fail(message: str) -> int:
    print(f"oomlens feedback: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    out = out or sys.stdout
    since = None
    if args.since:
        try:
            moment = datetime.fromisoformat(args.since)
        except ValueError:
            return _fail(f"--since {args.since!r} is not a date (e.g. 2025-03-14 or 2025-03-14T08:00+02:00)")
        since = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    url = args.database_url or (os.environ.get("DATABASE_URL") or "").strip()
    if not url:
        return _fail("no database: set DATABASE_URL or pass --database-url")
    require("slack", "sqlalchemy")
    if url.startswith(("postgresql", "postgres:")):
        require("postgres")
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.feedback import VERDICTS, export_feedback
    from bot.store.store import make_engine

    verdicts = VERDICTS if args.verdict == "all" else (args.verdict,)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        engine = make_engine(url)
    except (SQLAlchemyError, ValueError) as error:
        return _fail(f"DATABASE_URL: {str(error).splitlines()[0]}")
    target = None
    try:
        if not inspect(engine).has_table("oomlens_feedback"):
            return _fail("the database holds no oomlens tables (has the bot ever run on it?)")
        target = open(args.output, "w", encoding="utf-8") if args.output else out  # noqa: SIM115
        count = 0
        for row in export_feedback(engine, verdicts=verdicts, since=since, with_paste=not args.no_paste):
            target.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    except SQLAlchemyError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return _fail(f"cannot read the database ({first})")
    except OSError as error:
        return _fail(f"cannot write {args.output}: {error.strerror or error}")
    finally:
        if target is not None and target is not out:
            target.close()
        engine.dispose()
    print(f"oomlens feedback: {count} vote(s) exported", file=sys.stderr)
    return 0

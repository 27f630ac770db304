"""`oomlens summary FILE...`: what happened across a kern.log (or several): the same summary as
`/oom summary` in Slack, from files of any size (events are streamed, see bot/render/jsonl.py)."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the store pulls in SQLAlchemy; `oomlens analyze` should not pay for it
    from bot.pipeline import Window
    from bot.render.progress import Progress
    from bot.store import EventRecord

FORMATS = ("text", "markdown", "json")


def add_subparser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "summary",
        help="summarise every OOM event in one or more logs",
        description="Summarise the kernel memory events of kern.log/syslog/journal files: totals, root causes, "
        "hosts, processes, containers, a timeline, recurring patterns and the actions that would "
        "prevent most of them.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="log files (plain or .gz), or - for standard input")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--chart", metavar="PNG", help="also write a timeline chart (PNG) to this path")
    parser.add_argument("--since", metavar="DATE", help="only events at or after this date (ISO, UTC)")
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="analyse each log's windows in N processes (default: the cores available)",
    )
    parser.set_defaults(run=run)
    return parser


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    handle: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned open, closed by the caller's `with`
    if handle.read(2) == b"\x1f\x8b":
        import gzip

        handle.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    handle.seek(0)
    return handle


def _window_records(reference: float, window: Window) -> list[EventRecord]:
    """The records of one window's events (run in a worker process with --jobs)."""
    from bot.incidents.records import records_from_report
    from bot.pipeline import analyze_window

    return records_from_report(analyze_window(window), None, posted_at=reference, source_kind="file")


def records_from_file(
    path: str, *, reference: float | None = None, jobs: int = 1, progress: Progress | None = None
) -> Iterator[EventRecord]:
    """The events of one log file as ``EventRecord``s, read once, in constant memory: host and time
    from the log prefixes the parser kept, figures with the dump's own page size. ``reference``
    (default now) picks the year of syslog stamps, which print none. ``jobs`` worker processes
    analyse the log's windows; the records come in file order whatever it is."""
    from bot.pipeline import map_stream

    reference = time.time() if reference is None else reference
    index = 0
    with _open(path) as handle:
        work = functools.partial(_window_records, reference)
        for records in map_stream(handle, work, jobs=jobs, progress=progress.bytes_read if progress else None):
            if progress:
                progress.add_events(len(records))
            for record in records:
                yield dataclasses.replace(record, event_index=index)
                index += 1


def _jobs(value: str) -> int:
    from bot.cli.analyze import _jobs as parse_jobs

    return parse_jobs(value)


def _title(paths: Iterable[str]) -> str:
    names = [Path(p).name if p != "-" else "standard input" for p in paths]
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"OOM summary: {shown}"


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    from bot.incidents.build import build_summary
    from bot.render.summary import render_markdown, render_text, summary_dict

    out = out or sys.stdout
    since = None
    if args.since:
        from datetime import datetime

        try:
            moment = datetime.fromisoformat(args.since.replace("Z", "+00:00"))
        except ValueError:
            print(
                f"oomlens summary: --since {args.since!r} is not a date (e.g. 2025-03-14 or 2025-03-14T09:00)",
                file=sys.stderr,
            )
            return 2
        since = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    from bot.pipeline import available_cores
    from bot.render.progress import Progress

    jobs = getattr(args, "jobs", None)
    jobs = available_cores() if jobs is None else jobs
    records: list[EventRecord] = []
    for path in args.files:
        progress = Progress.for_path(path)
        try:
            records.extend(records_from_file(path, jobs=jobs, progress=progress))
        except OSError as exc:
            progress.finish()
            print(f"oomlens summary: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        progress.finish()
    summary = build_summary(records, title=_title(args.files), since=since)
    if args.format == "json":
        from bot.render.json_out import dumps

        out.write(dumps(summary_dict(summary), indent=True) + "\n")
    elif args.format == "markdown":
        out.write(render_markdown(summary))
    else:
        out.write(render_text(summary))
    if args.chart:
        from bot.render.charts import summary_chart

        chart = summary_chart(summary)
        if chart is None:
            print("oomlens summary: no events, no chart written", file=sys.stderr)
        else:
            try:
                Path(args.chart).write_bytes(chart.png)
            except OSError as exc:
                print(f"oomlens summary: cannot write {args.chart}: {exc.strerror or exc}", file=sys.stderr)
                return 2
    if not summary.records:
        print(
            "oomlens summary: no kernel memory event (OOM kill, memcg OOM, page allocation failure) found",
            file=sys.stderr,
        )
        return 1
    return 0

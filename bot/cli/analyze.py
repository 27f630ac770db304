"""`oomlens analyze FILE`: explain the kernel memory events of a paste or log (text, markdown, JSON,
or JSON lines streamed from a log of any size)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

FORMATS = ("text", "markdown", "json", "jsonl")
MAX_READ_BYTES = 64 * 1024 * 1024


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read(MAX_READ_BYTES + 1)
    with open(path, "rb") as handle:
        return handle.read(MAX_READ_BYTES + 1)


def _render(report, fmt: str, out: IO[str], all_events: bool = False) -> str:  # type: ignore[no-untyped-def]
    if fmt == "json":
        from bot.render.json_out import dumps, report_dict

        return dumps(report_dict(report), indent=True)
    if fmt == "markdown":
        from bot.render.text import render_markdown

        return render_markdown(report, all_events=all_events)
    from bot.render.text import render_text, terminal_style

    width, emphasis = terminal_style(out)
    return render_text(report, all_events=all_events, width=width, emphasis=emphasis)


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("--jobs must be at least 1")
    return jobs


def add_subparser(subparsers: Any) -> None:
    parser = subparsers.add_parser("analyze", help="analyse a kernel log or pasted dump")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--chart", metavar="PNG", help="also write a chart of where memory went (PNG)")
    parser.add_argument(
        "--all",
        action="store_true",
        dest="all_events",
        help="show every event in full (text, markdown) instead of grouping repeats of one cause",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=None,
        metavar="N",
        help="with --format jsonl: analyse the log's windows in N processes "
        "(default: the cores available); the output is the same for every N",
    )
    parser.add_argument("file", help="log file, or - for standard input")
    parser.set_defaults(run=run, one_input=one_paste)


def one_paste(args: argparse.Namespace) -> bool:
    """Whether the command reads one paste (at most MAX_READ_BYTES) and ends, rather than stream
    a log of any size (jsonl): bot.cli.main holds the cyclic collector off for such a command."""
    return bool(args.format != "jsonl")


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    # The pipeline (grammar, knowledge) is imported here rather than at the top: every command
    # imports this module to list its subcommand, and bot.cli.main sets the collector up first.
    from bot.pipeline import analyze
    from grammar.detect import holds_event

    out = out or sys.stdout
    if args.format == "jsonl":
        from bot.pipeline import available_cores
        from bot.render.jsonl import stream_jsonl

        jobs = getattr(args, "jobs", None)
        return stream_jsonl(args.file, out, jobs=available_cores() if jobs is None else jobs)
    try:
        data = _read_input(args.file)
    except OSError as exc:
        print(f"oomlens: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if len(data) > MAX_READ_BYTES:
        print(
            f"oomlens: {args.file} is larger than {MAX_READ_BYTES // (1024 * 1024)} MB; "
            "use --format jsonl, which streams any size",
            file=sys.stderr,
        )
        return 2
    report = analyze(data)
    if not holds_event(report.dump):  # the definition every Slack surface uses too
        if args.format == "json":
            from bot.render.json_out import report_dict

            print(json.dumps(report_dict(report), indent=2), file=out)
        print(f"oomlens: {report.message}", file=sys.stderr)
        return 1
    if args.format == "json":
        from bot.render.json_out import report_dict, write_json

        write_json(report_dict(report, stream_rows=True), out)
    else:
        print(_render(report, args.format, out, getattr(args, "all_events", False)), file=out)
    if args.chart:
        return _write_chart(report, args.chart)
    return 0


def _write_chart(report, path: str) -> int:  # type: ignore[no-untyped-def]
    """--chart: the first event's memory breakdown and zone watermarks as a PNG."""
    from bot.render.charts import event_chart

    chart = event_chart(report.events[0])
    if chart is None:
        print("oomlens: the event shows no memory breakdown or zones; no chart written", file=sys.stderr)
        return 0
    try:
        with open(path, "wb") as handle:
            handle.write(chart.png)
    except OSError as exc:
        print(f"oomlens: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0

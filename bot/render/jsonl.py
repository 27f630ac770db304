"""`oomlens analyze --format jsonl`: any size of log in constant memory, one event per line.

The pipeline cuts the log into windows (``grammar.windows``) and numbers every fact as in the
whole file, so each line is exactly the ``--format json`` event of the same dump, with the
dump's kernel and architecture added.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import IO, Any

from bot.pipeline import Report, Window, analyze_stream, analyze_window, map_stream
from bot.render.json_out import dumps_pieces, event_dict


def stream_events(handle: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Yield one JSON-ready event dict per kernel memory event in the stream."""
    for report in analyze_stream(handle):
        yield from _report_events(report)


def _report_events(report: Report, *, stream_rows: bool = False) -> Iterator[dict[str, Any]]:
    for analysed in report.events:
        out = event_dict(analysed, stream_rows=stream_rows)
        out["kernel"] = analysed.event.kernel or report.kernel  # a log may hold several machines
        out["arch"] = analysed.event.arch or report.arch
        yield out


def window_lines(window: Window) -> list[str]:
    """The JSON lines of one window's events (run in a worker process with --jobs)."""
    report = analyze_window(window)
    events = list(_report_events(report, stream_rows=True))
    # Only each task table's rows outlive the report (in their event's ``Rows``): the lines, the
    # diagnosis and the overview are freed before any row is written, and a table's rows before
    # its line is joined from the chunks (a 100,000-row table's line is 28 MB).
    del report
    lines = []
    while events:
        pieces = dumps_pieces(events.pop(0))
        pieces.append("\n")
        lines.append("".join(pieces))
        del pieces
    return lines


def stream_jsonl(path: str, out: IO[str], jobs: int = 1) -> int:
    """CLI entry: exit 0 when at least one event was written, 1 when none, 2 on I/O errors.

    ``jobs`` worker processes analyse the windows; the lines come out in file order whatever it is."""
    from bot.render.progress import Progress

    count = 0
    progress = Progress.for_path(path)
    try:
        with contextlib.nullcontext(sys.stdin.buffer) if path == "-" else open(path, "rb") as handle:
            for lines in map_stream(handle, window_lines, jobs=jobs, progress=progress.bytes_read):
                out.writelines(lines)
                count += len(lines)
                progress.add_events(len(lines))
    except OSError as exc:
        progress.finish()
        print(f"oomlens: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    progress.finish()
    if count == 0:
        print(
            "oomlens: no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input",
            file=sys.stderr,
        )
        return 1
    return 0

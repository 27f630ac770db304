"""`oomlens analyze --format jsonl`: any size of log in constant memory, one event per line.

The pipeline cuts the log into windows (``grammar.windows``) and numbers every fact as in the
whole file, so each line is exactly the ``--format json`` event of the same dump, with the
dump's kernel and architecture added.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import IO, Any, Iterator

from bot.pipeline import analyze_stream
from bot.render.json_out import event_dict


def stream_events(handle: IO[bytes]) -> Iterator[dict[str, Any]]:
    """Yield one JSON-ready event dict per kernel memory event in the stream."""
    for report in analyze_stream(handle):
        for analysed in report.events:
            out = event_dict(analysed)
            out["kernel"] = analysed.event.kernel or report.kernel  # a log may hold several machines
            out["arch"] = analysed.event.arch or report.arch
            yield out


def stream_jsonl(path: str, out: IO[str]) -> int:
    """CLI entry: exit 0 when at least one event was written, 1 when none, 2 on I/O errors."""
    count = 0
    try:
        with contextlib.nullcontext(sys.stdin.buffer) if path == "-" else open(path, "rb") as handle:
            for event in stream_events(handle):
                out.write(json.dumps(event, ensure_ascii=False) + "\n")
                count += 1
    except OSError as exc:
        print(f"oomlens: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if count == 0:
        print("oomlens: no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input",
              file=sys.stderr)
        return 1
    return 0

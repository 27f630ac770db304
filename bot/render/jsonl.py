"""`oomlens analyze --format jsonl`: any size of log in constant memory, one event per line.

A multi-GB kern.log is mostly other messages. The file is read in fixed-size chunks; a single
compiled search finds the next line that can begin a kernel memory report; from there lines are
collected until a long run of lines that the grammar does not recognise, and that window goes
through the same pipeline as a paste. Line numbers in the output are those of the whole file.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Iterator

from bot.pipeline import analyze
from bot.render.json_out import event_dict
from grammar.lexicon import OTHER, classify
from grammar.normalise import MAX_LINE_CHARS, line_content

CHUNK_BYTES = 8 * 1024 * 1024
MAX_WINDOW_BYTES = 32 * 1024 * 1024
QUIET_LINES = 60  # unrecognised lines after which a report is over (as grammar/parse.py)
LEAD_LINES = 3  # lines kept before an anchor (a prefix-only line, a SysRq line)

# Text found in the first lines of every report kind (trigger, fragments, memcg and kill lines,
# Mem-Info, task dumps). Each is searched with bytes.find, which runs at memory speed; a hit
# opens a window only when its line is one the grammar recognises, so a common word costs one
# classification, not a parse.
# Each literal costs one pass over the file, so the list is short: "oom" covers `invoked
# oom-killer`, `oom-kill:`, `oom_reaper`; "emory" covers `Out of memory`, `Memory cgroup`,
# `deadlocked on memory`; the rest open reports that start mid-way (a task header, Mem-Info
# counters, a zone line, a task table).
_ANCHORS = (
    b"oom", b"emory", b"Mem-Info", b"Mem-info", b"allocation failure", b"Killed process",
    b"SysRq", b"pid ]", b"Comm: ", b"active_anon:", b"kB min:",
)


# Phrases only a kernel memory report prints: they open a window even when the line needs
# decoding first (JSON exports, quotes, run-together records).
_STRONG = (b"invoked oom-killer", b"page allocation failure", b"Killed process", b"Kill process",
           b"oom-kill:", b"Mem-Info", b"Memory cgroup", b"Manual OOM")


class _AnchorFinder:
    """Next anchor position in a chunk, re-searching each literal only once it is passed."""

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.next = {literal: chunk.find(literal) for literal in _ANCHORS}

    def search(self, position: int) -> int:
        best = -1
        for literal, at in self.next.items():
            if 0 <= at < position:
                at = self.chunk.find(literal, position)
                self.next[literal] = at
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best


def _lines_from(handle: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Yield (chunk, is_last) with every chunk ending on a line boundary."""
    carry = b""
    while True:
        block = handle.read(CHUNK_BYTES)
        if not block:
            if carry:
                yield carry, True
            return
        block = carry + block
        cut = block.rfind(b"\n")
        if cut < 0:
            carry = block
            if len(carry) > MAX_WINDOW_BYTES:  # one absurd line: pass it on in pieces
                yield carry, False
                carry = b""
            continue
        carry = block[cut + 1:]
        yield block[: cut + 1], False


def _is_report_line(raw: bytes) -> bool:
    text, _ = line_content(raw[: MAX_LINE_CHARS * 2].decode("utf-8", errors="replace").rstrip("\r\n"))
    text = text.strip()[:MAX_LINE_CHARS]
    return bool(text) and classify(text) != OTHER


def stream_events(handle: IO[bytes]) -> Iterator[dict]:  # type: ignore[type-arg]
    """Yield one JSON-ready event dict per kernel memory event in the stream."""
    line_base = 0  # lines before the current chunk
    window: list[bytes] = []
    window_start = 0  # 0-based line number of window[0]
    window_bytes = 0
    quiet = 0

    def flush() -> Iterator[dict]:  # type: ignore[type-arg]
        nonlocal window, window_bytes, quiet
        if window:
            report = analyze(b"".join(window))
            for analysed in report.events:
                out = event_dict(analysed)
                out["first_line"] += window_start
                out["last_line"] += window_start
                for unparsed in out["unparsed"]:
                    unparsed["line"] += window_start
                out["kernel"] = report.kernel
                out["arch"] = report.arch
                yield out
        window, window_bytes, quiet = [], 0, 0

    for chunk, _ in _lines_from(handle):
        anchors = _AnchorFinder(chunk)
        position = 0
        line_no = line_base
        size = len(chunk)
        while position < size:
            if not window:
                found = anchors.search(position)
                if found < 0:
                    line_no += chunk.count(b"\n", position, size)
                    position = size
                    break
                line_start = max(position, chunk.rfind(b"\n", 0, found) + 1)
                line_end = chunk.find(b"\n", found)
                line_end = size if line_end < 0 else line_end + 1
                line = chunk[line_start:line_end]
                if not any(phrase in line for phrase in _STRONG) and not _is_report_line(line):
                    line_no += chunk.count(b"\n", position, line_end)
                    position = line_end
                    continue
                skipped = chunk.count(b"\n", position, line_start)
                # keep a few lines before the anchor (a prefix-only line, the SysRq request)
                back = line_start
                kept = 0
                while kept < LEAD_LINES and back > position:
                    previous = chunk.rfind(b"\n", 0, back - 1) + 1
                    if previous < position:
                        previous = position
                    back = previous
                    kept += 1
                line_no += skipped - kept
                window = [chunk[back:line_start]] if back < line_start else []
                window_start = line_no
                window_bytes = line_start - back
                line_no += kept
                position = line_start
                quiet = 0
            end = chunk.find(b"\n", position)
            end = size if end < 0 else end + 1
            raw = chunk[position:end]
            window.append(raw)
            window_bytes += len(raw)
            line_no += 1
            position = end
            if _is_report_line(raw):
                quiet = 0
            else:
                quiet += 1
            if quiet >= QUIET_LINES or window_bytes >= MAX_WINDOW_BYTES:
                yield from flush()
        line_base = line_no
    yield from flush()


def stream_jsonl(path: str, out: IO[str]) -> int:
    """CLI entry: exit 0 when at least one event was written, 1 when none, 2 on I/O errors."""
    try:
        handle: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as exc:
        print(f"oomlens: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    count = 0
    try:
        for event in stream_events(handle):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            count += 1
    except OSError as exc:
        print(f"oomlens: error reading {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    if count == 0:
        print("oomlens: no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input",
              file=sys.stderr)
        return 1
    return 0

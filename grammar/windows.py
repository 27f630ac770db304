"""Big logs cut into windows, each holding one or more kernel memory reports, in constant memory.

A multi-GB kern.log is mostly other messages. The file is read in fixed-size chunks; a single
compiled search finds the next line that can begin a kernel memory report; from there lines are
collected until a long run of lines that the grammar does not recognise. Each window carries the
absolute (1-based) number of its first line in the whole file, which ``parse_text(data,
first_line=...)`` gives to every fact, so a window's facts are numbered as in the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from ahocorasick_rs import BytesAhoCorasick

from grammar.detect import is_report_line
from grammar.normalise import MAX_LINE_CHARS

CHUNK_BYTES = 8 * 1024 * 1024
MAX_WINDOW_BYTES = 32 * 1024 * 1024
QUIET_LINES = 60  # unrecognised lines after which a report is over (as parse.py)
LEAD_LINES = 3  # unrecognised lines kept before an anchor (a prefix-only line, a SysRq line)
LOOKBACK_LINES = 400  # report lines (call trace, registers) looked for before an anchor
LOOKBACK_BYTES = 256 * 1024  # at most this much of the previous chunk is held for that

# Text found in the first lines of every report kind (trigger, fragments, memcg and kill lines,
# Mem-Info, task dumps). All of them are searched in one pass over each chunk (an Aho-Corasick
# automaton in Rust, ahocorasick-rs: measured 4.5x faster than one bytes.find pass per literal and
# 6x faster than one compiled regex alternation, see bench/aggregated_log.py); a hit opens a window
# only when its line is one the grammar recognises, so a common word costs one classification, not
# a parse. "oom" covers `invoked oom-killer`, `oom-kill:`, `oom_reaper`; "emory" covers `Out of
# memory`, `Memory cgroup`, `deadlocked on memory`; the rest open reports that start mid-way (a
# task header, Mem-Info counters, a zone line, a task table).
_ANCHORS = (
    b"oom",
    b"emory",
    b"Mem-Info",
    b"Mem-info",
    b"allocation failure",
    b"Killed process",
    b"SysRq",
    b"pid ]",
    b"Comm: ",
    b"active_anon:",
    b"kB min:",
)
_AUTOMATON = BytesAhoCorasick(list(_ANCHORS))


# Phrases only a kernel memory report prints: they open a window even when the line needs
# decoding first (JSON exports, quotes, run-together records).
_STRONG = (
    b"invoked oom-killer",
    b"page allocation failure",
    b"Killed process",
    b"Kill process",
    b"oom-kill:",
    b"Mem-Info",
    b"Memory cgroup",
    b"Manual OOM",
)

# A syslog line written by a user-space program: stamp, host, then a program tag that is not the
# kernel's (`Mar 14 02:03:56 node-01 sshd[812]: `, `2026-03-14T02:03:56+00:00 db-7 postgres[9]: `).
# Such a line is never part of a kernel report, whatever words it holds, so it is passed over
# without classifying it. Lines without a tag (console captures, `journalctl -k`, dmesg) and lines
# the kernel wrote (`host kernel: `) do not match.
_FOREIGN = re.compile(
    rb"(?:<\d{1,3}>)?(?:[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?(?: \d{4})?"
    rb"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+\-]\d\d:?\d\d)?)"
    rb" [\w.\-]+ (?!kernel\b)[\w.\-/@()]+(?:\[\d+\])?: "
)


class _AnchorFinder:
    """Next anchor position in a chunk, from one pass of the automaton over the whole chunk."""

    def __init__(self, chunk: bytes) -> None:
        # Matches never span a newline (no literal holds one), so the non-overlapping matches
        # name every line that holds an anchor.
        self.starts = [start for _, start, _ in _AUTOMATON.find_matches_as_indexes(chunk)]
        self.index = 0

    def search(self, position: int) -> int:
        starts, index = self.starts, self.index
        while index < len(starts) and starts[index] < position:
            index += 1
        self.index = index
        return starts[index] if index < len(starts) else -1


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
        carry = block[cut + 1 :]
        yield block[: cut + 1], False


def _is_report_line(raw: bytes) -> bool:
    if _FOREIGN.match(raw):
        return False
    return is_report_line(raw[: MAX_LINE_CHARS * 2].decode("utf-8", errors="replace"))


@dataclass(frozen=True)
class Window:
    """Consecutive lines of a log: ``data`` starts at 1-based line ``first_line`` of the whole file."""

    first_line: int
    data: bytes


def windows(handle: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Window]:
    """Yield the windows of ``handle`` that may hold a kernel memory report, in file order.

    ``progress``, when given, is called with the number of bytes read so far after each chunk."""
    consumed = 0
    line_base = 0  # lines before the current chunk
    window: list[bytes] = []
    window_start = 0  # 0-based line number of window[0]
    window_bytes = 0
    quiet = 0

    tail: list[bytes] = []  # the last lines before this chunk that are in no window (for lookback)

    def flush() -> Iterator[Window]:
        nonlocal window, window_bytes, quiet
        if window:
            yield Window(first_line=window_start + 1, data=b"".join(window))
        window, window_bytes, quiet = [], 0, 0

    for chunk, _ in _lines_from(handle):
        if progress is not None:
            consumed += len(chunk)
            progress(consumed)
        anchors = _AnchorFinder(chunk)
        position = 0
        free_from = 0  # lines of this chunk before this offset belong to a window already
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
                if _FOREIGN.match(line) or (
                    not any(phrase in line for phrase in _STRONG) and not _is_report_line(line)
                ):
                    line_no += chunk.count(b"\n", position, line_end)
                    position = line_end
                    continue
                skipped = chunk.count(b"\n", position, line_start)
                # Keep the lines before the anchor that belong to the report (a call trace or
                # register dump printed before the line that names it), and up to LEAD_LINES
                # others (a prefix-only line, the SysRq request); across the chunk boundary too.
                back, kept, others = line_start, 0, 0
                while kept < LOOKBACK_LINES and back > free_from:
                    previous = max(free_from, chunk.rfind(b"\n", 0, back - 1) + 1)
                    if _FOREIGN.match(chunk, previous, back):  # a program's line: the report starts after it
                        others = LEAD_LINES + 1
                        break
                    if not _is_report_line(chunk[previous:back]):
                        others += 1
                        if others > LEAD_LINES:
                            break
                    back = previous
                    kept += 1
                borrowed: list[bytes] = []
                if back == free_from == 0 and others <= LEAD_LINES:
                    for raw in reversed(tail):
                        if kept + len(borrowed) >= LOOKBACK_LINES or _FOREIGN.match(raw):
                            break
                        if not _is_report_line(raw):
                            others += 1
                            if others > LEAD_LINES:
                                break
                        borrowed.append(raw)
                    borrowed.reverse()
                line_no += skipped
                window = [*borrowed, chunk[back:line_start]] if back < line_start else borrowed
                window_start = line_no - kept - len(borrowed)
                window_bytes = line_start - back + sum(len(raw) for raw in borrowed)
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
                free_from = position
        line_base = line_no
        if window:
            tail = []
        else:
            recent = _last_lines(chunk, free_from, size, LOOKBACK_LINES)
            tail = ([*tail, *recent] if free_from == 0 else recent)[-LOOKBACK_LINES:]
            held = sum(len(raw) for raw in tail)
            while tail and held > LOOKBACK_BYTES:  # constant memory whatever the line lengths
                held -= len(tail.pop(0))
    yield from flush()


def _last_lines(chunk: bytes, start: int, end: int, count: int) -> list[bytes]:
    """The last ``count`` lines of ``chunk[start:end]`` (which ends on a line boundary)."""
    lines: list[bytes] = []
    while end > start and len(lines) < count:
        previous = max(start, chunk.rfind(b"\n", 0, end - 1) + 1)
        lines.append(chunk[previous:end])
        end = previous
    lines.reverse()
    return lines

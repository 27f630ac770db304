"""Big logs cut into windows, each holding one or more kernel memory reports, in constant memory.

A multi-GB kern.log is mostly other messages. The file is read in fixed-size chunks; a single
compiled search finds the next line that can begin a kernel memory report; from there lines are
collected until a long run of lines that the grammar does not recognise. Each window carries the
absolute (1-based) number of its first line in the whole file, which ``parse_text(data,
first_line=...)`` gives to every fact, so a window's facts are numbered as in the whole file.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import IO

from ahocorasick_rs import BytesAhoCorasick, MatchKind

from grammar.context_facts import ProgramKey, local_key, program_key, tag_host
from grammar.detect import is_report_line
from grammar.lexicon import classify
from grammar.normalise import MAX_LINE_CHARS, line_content
from grammar.screen import both_screen, oom_and_context_but
from grammar.stamps import read_stamp

CHUNK_BYTES = 8 * 1024 * 1024
MAX_WINDOW_BYTES = 32 * 1024 * 1024
QUIET_LINES = 60  # unrecognised lines after which a report is over (as parse.py)
LEAD_LINES = 3  # unrecognised lines kept before an anchor (a prefix-only line, a SysRq line)
LOOKBACK_LINES = 400  # report lines (call trace, registers) looked for before an anchor
LOOKBACK_BYTES = 256 * 1024  # at most this much of the previous chunk is held for that
# A `uname -a` output, the kernel's boot banner or `docker info`'s `Kernel Version:` line (oom.lark
# UNAME, BANNER, KERNEL_VERSION) up to this many lines above a window's first line is taken into
# it: the kernel release the report's own header, when it is missing or cut, does not name
# (parse.py reads such a line as the paste's release). Fewer
# than the resetting lines a range's part starts after (``join_point``: SYNC_LINES of them, its
# last LEAD_LINES inside the part; a release line is a report line, never a resetting one), so a
# range's worker and one scan of the whole file find the same line.
RELEASE_LINES = QUIET_LINES - 1

# Text found in the first lines of every report kind (trigger, fragments, memcg and kill lines,
# Mem-Info, task dumps). All of them are searched in one pass over each chunk; a hit opens a
# window only when its line is one the grammar recognises, so a common word costs one
# classification, not a parse. "oom" covers `invoked oom-killer`, `oom-kill:`, `oom_reaper`;
# "emory" covers `Out of memory`, `Memory cgroup`, `deadlocked on memory`; "OOM" the
# beancounter lines of OpenVZ/Virtuozzo; the rest open reports that start mid-way (a task
# header, Mem-Info counters, a zone line, buddy lists, hugepages and page-cache counters).
#
# The pass is one Aho-Corasick automaton in Rust (ahocorasick-rs) in leftmost-first mode, in
# which the crate searches with its SIMD literal prefilter (Teddy). Only the lines matter, and a
# line holds a leftmost-first match exactly when it holds one of the literals (none holds a
# newline, so no match crosses a line). CPU time on 128 MB of the aggregated syslog of
# bench/aggregated_log.py (2026-12-07, these literals and the task row's openings below):
# leftmost-first 0.045 s; the same automaton in standard mode (overlapping matches) 0.31 s;
# Hyperscan, used until then, 0.11-0.14 s; the task row alone as a `re` pass 0.20 s. Earlier, on
# 64 MB: one compiled `re` alternation 0.81 s, eleven `bytes.find` passes 0.85 s;
# `bytes.count(b"\n")`, which numbering the lines needs anyway, 0.039 s.
_ANCHORS = (
    b"oom",
    b"emory",
    b"Mem-Info",
    b"Mem-info",
    b"allocation failure",
    b"allocation stalls",  # 4.9-4.14's stall warning (oom.lark ALLOC_STALL)
    b"alloction stalls",  # its 4.9-rc spelling
    b"Killed process",
    b"SysRq",
    b"pid ]",
    b"Comm: ",
    b"active_anon:",
    b"kB min:",
    b"OOM",
    b"kB = ",
    b"hugepages_",
    b"pagecache",
    b"pages RAM",
    b"vmap allocation",
    b"vmalloc error",  # 5.13+ warn_alloc of a vmalloc: a lone header line holds no other anchor
    b"KASAN",
)
# A task-table row (`[ 1234]     0  1234    35529 ...`: pid, uid, tgid, total_vm): a table pasted
# without its header holds no word to find. Every match holds `]`, a blank, then a blank or a
# digit (the end of its first field), and none of the literals above starts with one of those
# characters, so one of these openings is found in every line a row matches (an opening found
# inside a literal's match lies in a line found already); the line is then searched for the row.
_ROW = re.compile(rb"\[[ \t]*\d+\][ \t]+\d+[ \t]+\d+[ \t]+\d+[ \t]")
_ROW_OPENINGS = tuple(
    b"]" + blank + after for blank in (b" ", b"\t") for after in (b" ", b"\t", *(bytes([d]) for d in b"0123456789"))
)
_ROW_PATTERN = len(_ANCHORS)  # the automaton's patterns from this index on are the openings

_anchor_automaton: BytesAhoCorasick | None = None


def anchor_matches(chunk: bytes) -> list[tuple[int, int, int]]:
    """The automaton's leftmost-first matches in ``chunk``: (pattern, start, end)."""
    global _anchor_automaton
    if _anchor_automaton is None:
        _anchor_automaton = BytesAhoCorasick([*_ANCHORS, *_ROW_OPENINGS], matchkind=MatchKind.LeftmostFirst)
    return _anchor_automaton.find_matches_as_indexes(chunk)


def anchor_starts(chunk: bytes) -> list[int]:
    """Sorted offsets in ``chunk``: one or more in each line that holds an anchor (one of the
    literals, or a task row), none in any other line."""
    finder = _AnchorFinder(chunk)
    found = []
    position = finder.search(0)
    while position >= 0:
        found.append(position)
        position = finder.search(position + 1)
    return found


# Phrases only a kernel memory report prints: they open a window even when the line needs
# decoding first (JSON exports, quotes, run-together records).
_STRONG = (
    b"invoked oom-killer",
    b"page allocation failure",
    b"page allocation stalls",  # 4.9-4.14's stall warning
    b"page alloction stalls",  # its 4.9-rc spelling
    b"vmalloc: allocation failure",  # warn_alloc's vmalloc header, quoted in prose and wrapped
    b"vmalloc error: size",  # its 5.13+ wording (mm/vmalloc.c __vmalloc_area_node)
    b"Killed process",
    b"Kill process",
    b"oom-kill:",
    b"Mem-Info",
    b"Memory cgroup",
    b"Manual OOM",
    b"Out of memory in UB",  # OpenVZ/Virtuozzo beancounters, often wrapped before `killed process`
    b"OOM killed process",
    b"hugepages_total=",
    # lines the diagnosis reads around a report (a vmalloc area that ran out, a KASAN debug
    # kernel), printed some lines before it
    b"vmap allocation for size",
    b"BUG: KASAN",
)

# (one automaton pass over a line; 13 `in` tests cost about 10x its time)
_strong = BytesAhoCorasick(list(_STRONG)).find_matches_as_indexes


def _has_strong(line: bytes) -> bool:
    return bool(_strong(line))


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
        self.chunk = chunk
        matches = anchor_matches(chunk)
        self.starts = [start for _, start, _ in matches]
        # which matches are a task row's opening, whose line is searched for a row when reached
        self.openings = [pattern >= _ROW_PATTERN for pattern, _, _ in matches]
        self.index = 0

    def search(self, position: int) -> int:
        """The offset of the first match at or after ``position`` (at the start of a line or past
        the start of the chunk) whose line holds an anchor; -1 when there is none."""
        starts, openings, chunk = self.starts, self.openings, self.chunk
        index = bisect_left(starts, position, self.index)
        checked = -1  # the end of the last line searched for a row and found without one
        while index < len(starts) and openings[index]:
            at = starts[index]
            if at >= checked:
                end = chunk.find(b"\n", at)
                checked = len(chunk) if end < 0 else end
                if _ROW.search(chunk, chunk.rfind(b"\n", 0, at) + 1, checked) is not None:
                    break
            index += 1  # (a literal's match later in the line makes it a found line all the same)
        self.index = index
        return starts[index] if index < len(starts) else -1


def _pieces(handle: IO[bytes] | Part, offset: int = 0) -> Iterator[tuple[bytes, int, int]]:
    """Yield (buffer, start, end) with ``buffer[start:end]`` whole lines, in file order.

    A block read is used as it is (only the line cut by its end is carried, and yielded joined to
    the start of the next block as a piece of its own): the blocks are never copied. ``offset`` is
    where ``handle`` stands in the file: the blocks end where those of a read from the file's
    start end, so a part of a file read on its own is cut into the same pieces."""
    carry = b""
    size = CHUNK_BYTES - offset % CHUNK_BYTES
    while True:
        block = handle.read(size)
        size = CHUNK_BYTES
        if not block:
            if carry:
                yield carry, 0, len(carry)
            return
        start = 0
        if carry:
            first = block.find(b"\n")
            if first < 0:
                carry += block
                if len(carry) > MAX_WINDOW_BYTES:  # one absurd line: pass it on in pieces
                    yield carry, 0, len(carry)
                    carry = b""
                continue
            seam = carry + block[: first + 1]
            yield seam, 0, len(seam)
            start = first + 1
        cut = block.rfind(b"\n") + 1
        if cut <= start:
            carry = block[start:]
            continue
        carry = block[cut:]
        yield block, start, cut


# A window ends with the QUIET_LINES lines that closed it; most of them are other programs'
# messages. A line at the end of a window adds nothing to its analysis when the parse reads it
# as a line of its own, OTHER to both grammars, that no transformation of the whole text touches
# ("inert"), and parsing it costs about what analysing the report costs per line: so the inert
# lines at a window's end are left out, all but the first TRIM_MARGIN of them (issue 12). The
# conditions, each from what grammar.normalise and grammar.parse read of a line:
# - the window: ASCII (its decoding is the same whatever is cut, and holds no U+FFFD the binary
#   test counts), no control characters, no CR (the newline count of the transport test), no
#   quoted-printable or rsyslog escapes (they rewrite every line), no Slack link (whose text may
#   run on to a `>` in a later line), the ` kernel: ` count test for run-together records false
#   with and without the cut lines;
# - each cut line: starts with a letter or digit (so no pattern of a transformation that spans
#   lines, a quote mark or an indented code line can continue into it), holds none of the marks a
#   transformation or an inline-code or bold span looks for (below), has a log prefix (so it is
#   never a fragment joined to the line before, nor a prefix whose text is on the next line) and
#   text, and its text is OTHER to oom.lark and context.lark (grammar.screen): the assembly then
#   adds it to no event, and the context reader skips it;
# - the first TRIM_MARGIN inert lines stay: whether a line sits among prefixed lines is read from
#   its four neighbours on each side (normalise._prefixed_blocks), so only inert lines, whose
#   reading does not depend on it, see a neighbour go. The widths of wrapped lines
#   (normalise._wrap_width) count no pair whose second line has a prefix, so no inert line.
TRIM_MARGIN = 4
_TRIM_WINDOW_UNSAFE = (b"\r", b"=3D", b"#012", b"<http", b"<mailto:")  # (a regex of these: 20x slower)
# all bytes but the control characters normalise.decode_bytes counts as binary
_NOT_CONTROL = bytes(sorted(set(range(256)) - {*range(0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)}))
# inline code, fences, bold, printk stamps run together, an HTML character reference
# (html.unescape's), the keys of JSON exports
_TRIM_LINE_UNSAFE = re.compile(
    rb'`|~~~|\*\*|  \[|\t\[|&(?![\t\n\f <&;])|"(?:textPayload|message|MESSAGE|msg|log|timestamp)"'
)
_TRIM_LINE_BYTES = 4000


def _inert(line: bytes) -> bool | ProgramKey:
    """True when ``line`` (ending in a newline, ASCII) is a log line the parse of a window would
    read as an unrelated line of its own (see TRIM_MARGIN); for a line that is one but for a syslog
    program tag the context reader takes (context.lark PROGRAM_TAG), the tag's key: such a line is
    inert when an earlier line of the same program on the same host stays (read_context keeps the
    first of each)."""
    judged = _judged(line)
    if judged is True or judged is False:
        return judged
    program, unit, prefix = judged
    return program, unit, tag_host(prefix)  # (program_key: the tag's host is its prefix's)


def _judged(line: bytes) -> bool | tuple[str, str | None, str]:
    """``_inert`` with the log prefix of a program-tag line in place of the host it names (which
    ``trimmed`` reads only for a program something may read)."""
    if len(line) > _TRIM_LINE_BYTES or not line[:1].isalnum() or _TRIM_LINE_UNSAFE.search(line):
        return False
    body, prefix = line_content(line[:-1].decode("ascii"))
    text = body.strip()[:MAX_LINE_CHARS]
    if not (text and prefix.strip()):
        return False
    verdict = _TEXT_VERDICTS.get(text)
    if verdict is None:
        verdict = _text_verdict(text, line)
        if len(_TEXT_VERDICTS) >= _TEXT_VERDICTS_MAX:
            _TEXT_VERDICTS.clear()
        _TEXT_VERDICTS[text] = verdict
    if verdict is True or verdict is False:
        return verdict
    return (*verdict, prefix)


# What the grammars make of a line's text (after its log prefix) depends on that text alone, and a
# log repeats its messages: each text is judged once (of the 30,500 lines at the windows' ends of
# the aggregated syslog of bench/aggregated_log.py, 20,532 texts differ). Bounded: a log of
# distinct texts costs a dictionary of this many entries.
_TEXT_VERDICTS: dict[str, bool | tuple[str, str | None]] = {}
_TEXT_VERDICTS_MAX = 4096


def _text_verdict(text: str, line: bytes) -> bool | tuple[str, str | None]:
    """For ``_inert``: False when ``text`` is not OTHER to both grammars, else True, or the
    (program, unit) of the syslog program tag it starts with when the context reader reads it as
    one. ``line``: the physical line it was read from."""
    # (each pair of screens in one: one automaton pass and one loop over the terminals without
    # literals per line)
    if "]:" not in text:  # no program tag: OTHER to both grammars
        return both_screen().is_other(text, line)
    # a syslog program tag matches most lines with one: the other terminals are screened
    if not oom_and_context_but("PROGRAM_TAG").is_other(text, line):
        return False
    key = program_key(text)
    return True if key is None else key[:2]


def _names_program(kept: bytes, key: ProgramKey, hosts: Collection[str]) -> bool:
    """``kept`` holds a line the context reader reads as the program tag ``key`` (checked as a cut
    line is, so that it is read as it is, on its own; its host as the events on ``hosts`` tell it
    from others, ``local_key``)."""
    needle = key[0].encode("ascii") + b"["
    at = kept.find(needle)
    while at >= 0:
        start = kept.rfind(b"\n", 0, at) + 1
        end = kept.find(b"\n", at) + 1 or len(kept)
        found = _inert(kept[start:end])
        if isinstance(found, tuple) and local_key(found, hosts) == key:
            return True
        at = kept.find(needle, end)
    return False


# Phrases of a report's own lines, each printed once or a few times per report (not a task row):
# the hosts of the lines that hold them are the hosts of the window's events
_HOST_LINES = BytesAhoCorasick([*_STRONG, b"Mem-info", b"active_anon:", b"kB min:", b"pages RAM", b"pid ]", b"Comm: "])


class _ReportHosts(Collection[str]):
    """The hosts of the report lines of ``head`` (an ASCII window): those whose program tags an
    event of the window reads (the others' tags are told apart only from these). As
    grammar.parse._stream_keys reads it, a line whose prefix names neither host nor time is of the
    host of the line before it.

    Read as far as a question needs (``in``): a report's host is most often that of its first
    line, and a host is named in the text of ``head`` or is none of them (a host is read from a
    log prefix, which is a piece of its line: quote marks, inline-code and bold marks are only
    taken off a line's ends)."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.found: set[str] = set()
        self.absent: set[str] = set()  # hosts not named in the text of ``head``
        self.resolved: dict[int, str | None] = {}  # the host of the report lines read so far, by line start
        self.hits: Iterator[tuple[int, int, int]] | None = None  # the report lines' phrases, once looked for
        self.done = False  # every report line read
        self.end = -1  # the end of the last report line read

    def __contains__(self, host: object) -> bool:
        if host in self.found:
            return True
        if not isinstance(host, str) or self.done or host in self.absent:
            return False
        if host.encode() not in self.head:
            self.absent.add(host)  # (asked again for each line of its host: the head is not searched again)
            return False
        while self._read_one():
            if host in self.found:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        while self._read_one():
            pass
        return iter(self.found)

    def __len__(self) -> int:
        return len(set(self))

    def _read_one(self) -> bool:
        """Read the host of the next report line; False when every line has been read."""
        head, resolved = self.head, self.resolved
        if self.hits is None:
            self.hits = iter(_HOST_LINES.find_matches_as_indexes(head))
        for _, at, _ in self.hits:
            if at < self.end:
                continue  # a line already read
            start = head.rfind(b"\n", 0, at) + 1
            self.end = head.find(b"\n", at) + 1 or len(head)
            line, host = start, None
            while True:
                if line in resolved:
                    host = resolved[line]
                    break
                stamp = read_stamp(
                    line_content(head[line : head.find(b"\n", line) + 1 or len(head)].decode("ascii"))[1].strip()
                )
                if stamp.host is not None or stamp.time is not None:
                    host = stamp.host
                    break
                if line == 0:
                    break
                line = head.rfind(b"\n", 0, line - 1) + 1
            resolved[start] = host
            if host:
                self.found.add(host)
            return True
        self.done = True
        return False


# (program, unit) of a syslog program tag -> whether what reads the context facts may use it; the
# default, None, is that it may
ProgramFilter = Callable[[str, "str | None"], bool]


def trimmed(data: bytes, may_use: ProgramFilter | None = None) -> bytes:
    """``data`` (a window) without the inert lines at its end but the first TRIM_MARGIN of them:
    its analysis is that of the whole window (tests/test_window_trim.py). A program-tag line is
    inert when ``may_use`` says nothing reads its program, or when an earlier line of the same
    program on the same host stays."""
    if not data.endswith(b"\n") or not data.isascii() or any(mark in data for mark in _TRIM_WINDOW_UNSAFE):
        return data
    # the test of normalise._undo_transport for syslog records a web page ran together (a count of
    # ` kernel: ` above the count of lines), on the window and, below, on what is kept of it
    kernels, newlines = data.count(b" kernel: "), data.count(b"\n")
    if data.translate(None, _NOT_CONTROL) or kernels > newlines + 1:
        return data
    starts: list[int] = []  # where the inert lines at the end start, last first
    # their program tags, with the log prefix in place of the host (None: OTHER to both grammars)
    keys: list[tuple[str, str | None, str] | None] = []
    end = len(data)
    while end > 0:
        start = data.rfind(b"\n", 0, end - 1) + 1
        inert = _judged(data[start:end])
        if inert is False:
            break
        starts.append(start)
        keys.append(None if inert is True else inert)
        end = start
    cut = len(starts) - TRIM_MARGIN  # the lines cut: starts[:cut]
    if cut <= 0:
        return data
    # a program whose tag no kept line bears would be lost: the cut moves after its first line
    # among those cut (read_context keeps the first line of each program; the latest of those
    # first lines decides, and every line after it then has its program's first line kept)
    # (of a program on each host an event is on, on no host, and on the other hosts together:
    # context_facts.ContextFacts.tags_for_hosts)
    first: dict[ProgramKey, int] = {}
    hosts = _ReportHosts(data[: starts[-1]])
    for index in range(cut):
        key = keys[index]
        if key is not None and (may_use is None or may_use(key[0], key[1])):
            program, unit, prefix = key
            # (indices run backwards: the last write is the earliest line)
            first[local_key((program, unit, tag_host(prefix)), hosts)] = index
    kept = data[: starts[cut - 1]]
    cut = min([index for key, index in first.items() if not _names_program(kept, key, hosts)], default=cut)
    if cut <= 0:
        return data
    end = starts[cut - 1]
    # (the whole window's counts less those of the lines cut: no ` kernel: ` holds a newline, so
    # none spans the cut)
    if kernels - data.count(b" kernel: ", end) > newlines - data.count(b"\n", end) + 1:
        return data
    return data[:end]


def _is_report_line(raw: bytes) -> bool:
    if _FOREIGN.match(raw):
        return False
    return is_report_line(raw[: MAX_LINE_CHARS * 2].decode("utf-8", errors="replace"))


def _is_release_line(raw: bytes) -> bool:
    """A `uname -a` output, the kernel's boot banner or `docker info`'s `Kernel Version:` line
    (each names the running kernel's release)."""
    if (b"Linux" not in raw and b"Kernel Version: " not in raw) or _FOREIGN.match(raw):
        return False
    text, _prefix = line_content(raw[: MAX_LINE_CHARS * 2].decode("utf-8", errors="replace").rstrip("\r\n"))
    return classify(text.strip()[:MAX_LINE_CHARS]) in _RELEASE_TERMINALS


_RELEASE_TERMINALS = frozenset({"UNAME", "BANNER", "KERNEL_VERSION"})


def _reach_release(
    chunk: bytes, start: int, free_from: int, back: int, borrowed: list[bytes], tail: list[bytes]
) -> tuple[int, list[bytes]]:
    """Where a window that starts at ``back`` (after ``borrowed``, the last lines of ``tail``)
    starts instead when a release line (``_is_release_line``) lies at most RELEASE_LINES lines
    above it, in lines no earlier window holds: its new start in ``chunk`` and the lines of
    ``tail`` it then borrows. Unchanged when there is none."""
    seen, position = 0, back
    if not borrowed:
        # the lines looked at first, without reading each: most hold neither word a release line
        # holds (nor ``_is_release_line`` then)
        reach = back
        while seen < RELEASE_LINES and reach > free_from:
            reach = max(free_from, chunk.rfind(b"\n", 0, reach - 1) + 1)
            seen += 1
        if chunk.find(b"Linux", reach, back) < 0 and chunk.find(b"Kernel Version: ", reach, back) < 0:
            position = reach
        else:
            seen = 0
        while seen < RELEASE_LINES and position > free_from:
            previous = max(free_from, chunk.rfind(b"\n", 0, position - 1) + 1)
            seen += 1
            if _is_release_line(chunk[previous:position]):
                return previous, borrowed
            position = previous
    if position == free_from == start:
        rest = len(tail) - len(borrowed)
        for index in range(rest - 1, max(-1, rest - 1 - (RELEASE_LINES - seen)), -1):
            if _is_release_line(tail[index]):
                return start, tail[index:]
    return back, borrowed


@dataclass(frozen=True)
class Window:
    """Consecutive lines of a log: ``data`` starts at 1-based line ``first_line`` of the whole file."""

    first_line: int
    data: bytes


def windows(
    handle: IO[bytes] | Part,
    progress: Callable[[int], None] | None = None,
    *,
    first_line: int = 1,
    offset: int = 0,
    lines_read: Callable[[int], None] | None = None,
    may_use: ProgramFilter | None = None,
) -> Iterator[Window]:
    """Yield the windows of ``handle`` that may hold a kernel memory report, in file order.
    ``may_use``: see ``trimmed``.

    ``progress``, when given, is called with the number of bytes read so far after each chunk.
    ``first_line`` and ``offset`` are the line number and the byte offset in the whole file where
    ``handle`` stands (a part of a file read by a worker, see ``part_windows``); ``lines_read``,
    when given, is called at the end with the number of newlines read."""
    consumed = 0
    line_base = first_line - 1  # lines before the current chunk
    window: list[bytes] = []
    window_start = 0  # 0-based line number of window[0]
    window_bytes = 0
    quiet = 0

    tail: list[bytes] = []  # the last lines before this chunk that are in no window (for lookback)

    def flush() -> Iterator[Window]:
        nonlocal window, window_bytes, quiet
        lines, window, window_bytes, quiet = window, [], 0, 0
        if lines:
            data = b"".join(lines)
            lines.clear()  # its pieces are not held beside the joined copy while the window is analysed
            data = trimmed(data, may_use)  # (nor the whole window beside what is left of it)
            yield Window(first_line=window_start + 1, data=data)

    for chunk, start, size in _pieces(handle, offset):
        if progress is not None:
            consumed += size - start
            progress(consumed)
        anchors = _AnchorFinder(chunk)
        position = start
        free_from = start  # lines of this piece before this offset belong to a window already
        line_no = line_base
        while position < size:
            if not window:
                found = anchors.search(position)
                if found < 0 or found >= size:
                    line_no += chunk.count(b"\n", position, size)
                    position = size
                    break
                line_start = max(position, chunk.rfind(b"\n", 0, found) + 1)
                line_end = chunk.find(b"\n", found)
                line_end = size if line_end < 0 else line_end + 1
                line = chunk[line_start:line_end]
                if _resets(line):
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
                if back == free_from == start and others <= LEAD_LINES:
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
                reach, borrowed = _reach_release(chunk, start, free_from, back, borrowed, tail)
                if reach < back:
                    kept += chunk.count(b"\n", reach, back)
                    back = reach
                window = [*borrowed, chunk[back:line_start]] if back < line_start else borrowed
                window_start = line_no - kept - len(borrowed)
                window_bytes = line_start - back + sum(map(len, borrowed))
                position = line_start
                quiet = 0
            # The window closes after QUIET_LINES unrecognised lines in a row. Rather than
            # classifying every line, take the lines that would complete that run and classify
            # them last first: the last report line among them restarts the run, and the lines
            # before it need no classification (inside a report, one line in sixty is classified).
            # The windows are those of classifying every line in order.
            ends: list[int] = []
            scan = position
            while len(ends) < QUIET_LINES - quiet and scan < size:
                scan = chunk.find(b"\n", scan)
                scan = size if scan < 0 else scan + 1
                ends.append(scan)
            take = len(ends)
            if window_bytes + ends[-1] - position >= MAX_WINDOW_BYTES:  # the line reaching the cap ends it
                take = bisect_left(ends, position + MAX_WINDOW_BYTES - window_bytes) + 1
            last = take - 1
            while last >= 0 and not _is_report_line(chunk[ends[last - 1] if last else position : ends[last]]):
                last -= 1
            quiet = take - 1 - last if last >= 0 else quiet + take
            window.append(chunk[position : ends[take - 1]])
            window_bytes += ends[take - 1] - position
            # (a piece of a line longer than MAX_WINDOW_BYTES ends without a newline: its line is
            # counted where it ends, in a later piece)
            line_no += take - (ends[take - 1] == size and chunk[size - 1 : size] != b"\n")
            position = ends[take - 1]
            if quiet >= QUIET_LINES or window_bytes >= MAX_WINDOW_BYTES:
                yield from flush()
                free_from = position
        line_base = line_no
        if window or chunk[size - 1 : size] != b"\n":  # (a piece of an overlong line is no line to borrow)
            tail = []
        else:
            recent = _last_lines(chunk, free_from, size, LOOKBACK_LINES)
            tail = ([*tail, *recent] if free_from == start else recent)[-LOOKBACK_LINES:]
            held = sum(map(len, tail))
            while tail and held > LOOKBACK_BYTES:  # constant memory whatever the line lengths
                held -= len(tail.pop(0))
    chunk = anchors = tail = None  # type: ignore[assignment]  # not held while the last window is analysed
    yield from flush()
    if lines_read is not None:
        lines_read(line_base - (first_line - 1))


def _last_lines(chunk: bytes, start: int, end: int, count: int) -> list[bytes]:
    """The last ``count`` lines of ``chunk[start:end]`` (which ends on a line boundary)."""
    begin, found = end, 0
    while begin > start and found < count:
        begin = max(start, chunk.rfind(b"\n", 0, begin - 1) + 1)
        found += 1
    region = chunk[begin:end]
    if b"\r" not in region:  # (bytes.splitlines cuts at a CR as well)
        return region.splitlines(keepends=True)
    lines: list[bytes] = []
    while end > begin:
        previous = max(begin, chunk.rfind(b"\n", 0, end - 1) + 1)
        lines.append(chunk[previous:end])
        end = previous
    lines.reverse()
    return lines


# A big file is split into byte ranges that worker processes scan and analyse on their own, and
# the windows they cut are exactly those of one scan of the whole file. A worker cannot know
# whether a window opened before its range is still open where the range starts, so the ranges
# are joined where that question has one answer whatever came before: after a run of
# QUIET_LINES + LEAD_LINES lines that neither continue a report nor open one ("resetting"
# lines). A window open where such a run starts is closed by its QUIET_LINES-th line at the
# latest, none opens inside it, and a window opened after it reaches back into it by at most
# LEAD_LINES lines (the lookback stops at the (LEAD_LINES + 1)-th unrecognised line). So the
# scan from the start of the run's last LEAD_LINES lines, with nothing open, cuts the same
# windows from there on as the scan of the whole file. The first such run that starts in a
# range, looked for from its first line, gives the range's join; the part of the file from one
# join to the next belongs to one worker. A range in which no run starts among its first
# JOIN_SEARCH_LINES lines (reports back to back) has no join: the worker before it goes on to
# the next join. Any rule serves that both workers apply alike. Each range is searched
# by two workers at most (its own and the one before), and in a log of programs' messages a
# join is found within a few dozen lines of a range's start.
SYNC_LINES = QUIET_LINES + LEAD_LINES
SYNC_BLOCK = 64 * 1024  # a longer line is taken as no resetting line (the run just starts after it)
# A run must start among a range's first lines: in a log of reports back to back, each line of
# the search is classified (by two workers), while one scan classifies about one in sixty.
JOIN_SEARCH_LINES = 2000


def _resets(line: bytes) -> bool:
    """The line neither opens a window (as ``windows`` decides at an anchor) nor is a report line."""
    if _FOREIGN.match(line):
        return True
    return not _has_strong(line) and not _is_report_line(line)


def _pread(fd: int, size: int, offset: int) -> bytes:
    parts = []
    while size > 0:
        part = os.pread(fd, size, offset)
        if not part:
            break
        parts.append(part)
        size -= len(part)
        offset += len(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def line_start(fd: int, position: int, size: int) -> int:
    """The offset of the first line that starts at or after ``position`` (``size`` if none does)."""
    if position <= 0:
        return 0
    position -= 1  # a line starts after a newline: the one just before ``position`` counts
    while position < size:
        block = _pread(fd, min(SYNC_BLOCK, size - position), position)
        if not block:
            break
        found = block.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(block)
    return size


def _lines(fd: int, start: int, stop: int, size: int) -> Iterator[tuple[int, bytes | None]]:
    """(offset, line) of every line that starts in ``[start, stop)``; None for a line longer than
    SYNC_BLOCK, which is never read whole."""
    position = start
    while position < stop:
        block = _pread(fd, min(SYNC_BLOCK, size - position), position)
        if not block:
            return
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            if position + len(block) >= size:  # the file's last line, without a newline
                yield position, block
                return
            yield position, None
            position = line_start(fd, position + len(block), size)
            continue
        begin = 0
        while begin < cut and position + begin < stop:
            end = block.index(b"\n", begin) + 1
            yield position + begin, block[begin:end]
            begin = end
        position += begin


def join_point(fd: int, start: int, stop: int, size: int) -> tuple[int, int] | None:
    """Where the part of the file owned by a range's worker begins: the start of the last
    LEAD_LINES lines of the first run of SYNC_LINES resetting lines that starts in ``[start,
    stop)`` (it may end after ``stop``) and among its first JOIN_SEARCH_LINES lines, and how many
    lines lie between ``start`` and it. None when no run starts there."""
    run = 0
    recent: deque[int] = deque(maxlen=LEAD_LINES)
    for count, (offset, line) in enumerate(_lines(fd, start, size, size)):
        if run == 0 and (offset >= stop or count >= JOIN_SEARCH_LINES):
            return None
        run = run + 1 if line is not None and _resets(line) else 0
        recent.append(offset)
        if run == SYNC_LINES:
            return recent[0], count + 1 - LEAD_LINES
    return None


class Part:
    """``read`` of the bytes ``[start, end)`` of a file (a worker's part), for ``windows``."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.position, self.end = fd, start, end

    def read(self, size: int) -> bytes:
        size = min(size, self.end - self.position)
        if size <= 0:
            return b""
        data = _pread(self.fd, size, self.position)
        self.position += len(data)
        return data


def owned_part(fd: int, size: int, range_bytes: int, index: int, start: int) -> tuple[int, int] | None:
    """The part ``[begin, end)`` of the file that range ``index`` owns (None when it owns none):
    from this range's join to the join of the next range that has one. ``start`` is
    ``line_start(fd, index * range_bytes, size)``."""
    if index == 0:
        begin = 0
    else:
        found = join_point(fd, start, line_start(fd, (index + 1) * range_bytes, size), size)
        if found is None:
            return None
        begin = found[0]
    later = index + 1
    while later * range_bytes < size:
        found = join_point(
            fd, line_start(fd, later * range_bytes, size), line_start(fd, (later + 1) * range_bytes, size), size
        )
        if found is not None:
            return begin, found[0]
        later += 1
    return begin, size


def part_windows(
    fd: int, size: int, range_bytes: int, index: int, start: int, may_use: ProgramFilter | None = None
) -> tuple[list[Window], int]:
    """The windows of range ``index`` of a file split into ranges of ``range_bytes`` (each
    starting at the first line at or after a multiple of it; ``start`` is where this one does),
    numbered from the first line of the part it owns, and the number of newlines in that part
    (0 when it owns none). Over all ranges, in order, with each range's numbers shifted by the
    newlines of the parts before it, these are the windows of ``windows`` over the whole file
    (its first ``size`` bytes). A worker thus counts only the lines it reads, and needs the
    counts of the parts before its own only once it has cut its windows."""
    part = owned_part(fd, size, range_bytes, index, start)
    if part is None:
        return [], 0
    begin, end = part
    counted: list[int] = []
    found = list(windows(Part(fd, begin, end), offset=begin, lines_read=counted.append, may_use=may_use))
    return found, counted[0]


def ranges(fd: int, size: int, range_bytes: int) -> Iterator[tuple[int, int]]:
    """(index, start) of each range of the first ``size`` bytes of a file cut at the first line
    at or after every multiple of ``range_bytes``, for ``part_windows``. A range inside one long
    line (which starts where the next one does) owns nothing and is left out."""
    start = 0
    for index in range(-(-size // range_bytes)):
        end = line_start(fd, (index + 1) * range_bytes, size)
        if end > start or index == 0:
            yield index, start
        start = end

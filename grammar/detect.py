"""One definition of "this text holds a kernel memory event", for every front end.

The CLI (`oomlens analyze` exits 0 when the parser finds an event), the streaming path (which
opens a window on a line the grammar knows) and every Slack surface (messages, edits, files,
commands, shortcuts, thread stitching) ask these functions, so no surface keeps its own list
of marker lines and a paste the CLI reads is never ignored in Slack.
"""

from __future__ import annotations

from functools import lru_cache

from .facts import Dump, Event
from .lexicon import OTHER, classify
from .normalise import MAX_LINE_CHARS, line_content
from .parse import parse_text


def _dump(data: str | bytes | Dump) -> Dump:
    if isinstance(data, Dump):
        return data
    return _parsed(data)


@lru_cache(maxsize=8)
def _parsed(data: str | bytes) -> Dump:
    # A Slack message is asked several questions in a row (is it a report, does it start one,
    # did the previous part end inside one); the facts are frozen, so one parse serves them all.
    return parse_text(data)


def is_report_line(raw: str) -> bool:
    """One physical line (log prefix and quoting allowed) is a line the grammar knows as part
    of a kernel memory report."""
    text, _prefix = line_content(raw[: MAX_LINE_CHARS * 2].rstrip("\r\n"))
    return _known(text.strip()[:MAX_LINE_CHARS])


@lru_cache(maxsize=1024)
def _known(text: str) -> bool:
    # A log's own lines repeat once their prefix (stamp, host) is stripped: the streaming path asks
    # about the same link, mount or audit message many times, and a line the grammar does not
    # know is the slowest to classify (every terminal is tried).
    return bool(text) and classify(text) != OTHER


def holds_event(data: str | bytes | Dump) -> bool:
    """The text holds at least one kernel memory event: exactly when `oomlens analyze` reads it."""
    dump = _dump(data)
    return bool(dump.events)


def starts_report(data: str | bytes | Dump) -> bool:
    """The text holds a report of its own: an event that starts with its opening line (the
    trigger or warning line), not only the tail of a report that began elsewhere."""
    dump = _dump(data)
    return any(not _lacks_start(event) for event in dump.events)


def ends_inside_report(data: str | bytes | Dump) -> bool:
    """The text stops inside a report: its last event lacks the parts that close a report (the
    kill line of an OOM, the Mem-Info of an allocation failure). A paste that Slack or its author
    split looks like this; a complete one does not."""
    dump = _dump(data)
    if not dump.events:
        return False
    last = dump.events[-1]
    if last.kind == "page-allocation-failure":
        return "mem-info" in last.missing
    if last.kind is None:
        return True  # a fragment (only a header and a trace, only Mem-Info): the rest is to come
    return "kill" in last.missing and last.panic is None


def _lacks_start(event: Event) -> bool:
    return bool({"trigger", "alloc-failure"} & set(event.missing))


def looks_like_report_part(text: str) -> bool:
    """A message made mostly of kernel log lines (the middle of a paste Slack split in parts):
    at least two lines, half of them either lines the grammar knows or lines with a log prefix."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    kernelish = 0
    for line in lines[:400]:
        body, prefix = line_content(line[: MAX_LINE_CHARS * 2])
        body = body.strip()[:MAX_LINE_CHARS]
        if prefix.strip() or (body and classify(body) != OTHER):
            kernelish += 1
    return kernelish * 2 >= min(len(lines), 400)

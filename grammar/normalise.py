"""Turns a paste as people send it into one kernel message per line.

Steps, in order: decode bytes; undo transport encodings (CRLF, rsyslog ``#012``, mail
quoted-printable, HTML/Slack entities, Slack link markup, Cloud Logging JSON exports); drop
Markdown fences and ``> `` quote marks; strip log prefixes (``prefixes.lark``); rejoin lines a
web page, chat client or mail reader wrapped. Wrapped fragments are recognised by asking the
grammar: a fragment alone matches no strict line terminal, fragment and predecessor together do.

Each output line keeps the 1-based number of the physical line it started on, and the prefix
text it carried (timestamps tell a repeated event from a quotation of an earlier one).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from .lexicon import (
    OTHER,
    Classified,
    candidates_for_prefixes,
    classify,
    classify_fields,
    is_loose,
    loose_kinds,
    opens_line,
    prefix_end,
    task_row,
    task_row_lines,
)

# Transport encodings, not kernel syntax: these only decide how to decode the paste.
_QP_EVIDENCE = re.compile(r"=3D|=20\n|=\n")
_ENTITY_EVIDENCE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
# A web page's HTML source around a dump (a Q&A site's stored question, a blog post's Markdown
# with <pre><code> blocks): inline code closed on its own line becomes a backtick span (read as
# kernel lines quoted in prose), the other tags of text layout go. Only these names: the kernel's
# own angle brackets (`<4>` levels, `<IRQ>`, `</TASK>`, `<EOI>`) are none of them.
_HTML_INLINE_CODE = re.compile(r"<(code|tt|kbd|samp)(?:\s[^<>\n]*)?>([^<\n]*)</\1>")
_HTML_LAYOUT_TAG = re.compile(r"</?(?:p|pre|code|tt|kbd|samp|br|div|span|blockquote)(?:\s[^<>\n]*)?/?>", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)[\w+-]*\s*$")
# A static-site generator's code block around a dump in a blog post: Hugo's `{{< highlight text >}}`
# ... `{{< /highlight >}}` (or `{{% ... %}}`) and Jekyll/Liquid's `{% highlight text %}` ...
# `{% endhighlight %}`. Like a Markdown fence, the marker line is the writer's, not the kernel's.
_SHORTCODE_FENCE = re.compile(
    r"^\s*(?:\{\{[<%]\s*/?\s*highlight\b[^{}]*[>%]\}\}|\{%-?\s*(?:end)?highlight\b[^{}]*?-?%\})\s*$"
)
_INLINE_CODE = re.compile(r"^\s*`{1,3}(?:[a-z]+\n)?|`{1,3}\s*$")
_QUOTE = re.compile(r"^(?:[ \t]*(?:[>|]|:(?= )))+[ \t]?")  # mail quotes: `> ` and, in some readers, `| ` or `: `
_QUOTE_MARKS = (">", "|", ": ")
_ODD_FIRST = frozenset(">|:")  # the first characters of _QUOTE_MARKS
_BOLD = re.compile(r"^\*\*|\*\*$")  # a line a person set in Markdown bold
# A span a person set in Markdown bold inside a kernel line (`Killed process 23150 (rspamd)
# **total-vm:6541776kB**, anon-rss:...`): CommonMark's flanking rule, no space just inside the
# markers, so a banner of asterisks around spaced words (`**   NOTICE ...   **`) is left alone.
_BOLD_SPAN = re.compile(r"\*\*(?=[^\s*])([^*\n]*?[^\s*])\*\*")
_JSON_PAYLOAD = re.compile(r'"(?:textPayload|message|MESSAGE|msg|log)"\s*:\s*("(?:[^"\\\n]|\\.)*")')
_JSON_TIMESTAMP = re.compile(r'"timestamp"\s*:\s*"([^"]+)"')
_ESCAPED_NEWLINE = re.compile(r"(?:\\r)?\\n|\\r")
# Several syslog records run together on one line by a web page: split before each stamp.
_RUN_TOGETHER = re.compile(r"(?<=\S) (?=[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d [\w.\-]+ kernel: )")
# dmesg lines a web page joined with the padding that filled its fixed-width column: a printk
# stamp never follows other text on the same line.
_STAMP = re.compile(r"\[\s*\d+\.\d{6}\] ")
_RUN_TOGETHER_STAMPS = re.compile(r"(?<=\S)(?:[ \t]{2,}|\t)(?=\[\s*\d+\.\d{6}\] )")  # only where _runs_together


def _runs_together(text: str) -> bool:
    """A printk stamp after text and padding on the same line (a literal search first: cheap)."""
    # (a tab is looked for alone first: one memchr pass, where `\t[` is a slow two-character search;
    # the bracket of `  [` is found first and its two spaces checked behind it: a search for the
    # spaces stops at every run of them in a task table, twice the time)
    for padding, width in ((_SPACES_BRACKET, 2), (_TAB_BRACKET, 1)) if "\t" in text else ((_SPACES_BRACKET, 2),):
        found = padding.search(text)
        while found is not None:
            stamp = found.start()
            at = stamp - width  # (where the padding begins)
            line_start = text.rfind("\n", 0, at) + 1
            if _STAMP.match(text, stamp) and text[line_start:at].strip():
                return True
            found = padding.search(text, stamp + 1)
    return False


_SPACES_BRACKET = re.compile(r"\[(?<=  \[)")  # `  [`, matched at its bracket
_TAB_BRACKET = re.compile(r"\[(?<=\t\[)")


# `Call Trace:` and the trace's first frame on one line: printk("Call Trace:") then each frame, the
# newline after the heading left out (arch/mips/kernel/traps.c show_raw_backtrace without
# CONFIG_KALLSYMS: `Call Trace:[<80071400>] 0x80071400`; m32r and 2.6 m68k show_trace:
# `Call Trace: [<000290a8>] __alloc_pages+0x230/0x250`): two messages, split.
_TRACE_AND_FRAME = re.compile(r"(Call Trace:)[ \t]*(\[<[0-9a-fA-F]{6,16}>\] [^\n]+)")


_BINARY_CHARS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\ufffd]")


class Line(NamedTuple):
    """One kernel message after normalisation (a tuple: pastes reach 100,000 lines)."""

    number: int  # 1-based physical line in the paste where the message starts
    text: str
    prefix: str  # what was stripped in front of it ("" when nothing)
    # the terminal the text matched and its fields, when the normaliser had to ask (the parser
    # then takes them from here instead of matching the line again); None: not asked yet
    classified: Classified | None = None


_new_line = tuple.__new__  # Line(...) without a NamedTuple's Python-level __new__ (once per line)


# printk records are at most 1024 bytes; a longer "line" is junk, and is cut before the grammar
# sees it so that no line can cost more than a bounded amount of matching.
MAX_LINE_CHARS = 4096


@dataclass(frozen=True)
class Normalised:
    lines: tuple[Line, ...]
    warnings: tuple[str, ...]
    physical_lines: int


_BINARY_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])  # _BINARY_CHARS but U+FFFD


def _binary_count(sample: str) -> int:
    """How many characters of ``sample`` _BINARY_CHARS matches; an ASCII sample (most pastes)
    counted by one C pass over its bytes instead of a regex match per character."""
    if sample.isascii():
        data = sample.encode("ascii")
        return len(data) - len(data.translate(None, _BINARY_BYTES))
    return len(_BINARY_CHARS.findall(sample))


def decode_bytes(data: bytes | str) -> tuple[str, list[str]]:
    """Bytes -> text without ever failing; says so when the input is not text."""
    warnings: list[str] = []
    if isinstance(data, bytes):
        if data[:2] == b"\x1f\x8b":
            import gzip
            import zlib

            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                warnings.append("input is a damaged gzip file")
                return "", warnings
        text = data.decode("utf-8", errors="replace")
    else:
        text = data
    sample = text[:65536]
    if sample and _binary_count(sample) > max(8, len(sample) // 20):
        warnings.append("input looks like binary data, not a text log")
        return "", warnings
    return text, warnings


# Terminal colours kept in a file (`dmesg --color=always`, `journalctl` through `script`): CSI
# sequences. Spaces a web page or chat client substituted (`&nbsp;` copied as U+00A0, narrow and
# figure spaces), and characters with no width (zero-width space, a byte-order mark): the kernel
# prints none of them.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ODD_SPACES = {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": "", "\ufeff": ""}


def _holds(text: str, literal: str | tuple[str, ...]) -> bool:
    """``literal in text`` (any of them, for a tuple of literals that all begin with one
    character), for a literal whose first character is rare in a kernel log (`#`, `<`): that
    character found by memchr and the literal compared at each place, where ``in`` scans the
    whole paste a character at a time (27K instructions for a peer example dump, against 8K)."""
    first = literal[0][0]
    at = text.find(first)
    while at >= 0:
        if text.startswith(literal, at):
            return True
        at = text.find(first, at + 1)
    return False


def _undo_transport(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # A multi-character literal is searched for a character at a time; its rare first character
    # alone is one memchr pass, so it is looked for first (most pastes hold no escape, no `&`).
    if "\x1b" in text and "\x1b[" in text:
        text = _ANSI_ESCAPE.sub("", text)
    for odd, plain in _ODD_SPACES.items():
        if odd in text:
            text = text.replace(odd, plain)
    if _holds(text, "#012"):
        text = text.replace("#012", "\n").replace("#011", "\t")
    # quopri, csv and html are imported by the transports that need them: most pastes have none,
    # and the three imports cost more than normalising a paste (10M instructions, 1.5 % of
    # `oomlens analyze`'s start-up)
    if _holds(text, "=3D") and _QP_EVIDENCE.search(text):
        import quopri

        text = quopri.decodestring(text.encode("utf-8", errors="replace")).decode("utf-8", errors="replace")
    # (more tags than lines: a paste without the tag, most of them, is scanned once, not counted twice)
    if " kernel: " in text and text.count(" kernel: ") > text.count("\n") + 1 and _RUN_TOGETHER.search(text):
        text = _RUN_TOGETHER.sub("\n", text)
    if _runs_together(text):
        text = _RUN_TOGETHER_STAMPS.sub("\n", text)
    # The three searches below anchor at every line start of the whole paste; each needs a
    # character most kernel logs never hold (a quote, a brace), looked for first at C speed.
    quoted = '"' in text
    if quoted and ('"_raw"' in text or '"message"' in text or '"@message"' in text):
        text = _from_csv_columns(text)
    # (a CSV row opens its line with a quote; a JSON member names one of the keys in quotes: each a
    # literal search, where the multi-line patterns try every line start of the window)
    if quoted and (text.startswith('"') or '\n"' in text) and _CSV_ROW.search(text):
        text = _from_csv_rows(text)
    if quoted and "{" in text and _JSON_LINE.search(text):
        text = _from_json_lines(text)
    # (both literals open with a quote: looked for only in a paste that holds one, a memchr pass)
    if '"' in text and (
        '"textPayload"' in text or ('"message"' in text and text.lstrip("`json \n").startswith(("[", "{")))
    ):
        text = _from_json_export(text)
    if (
        '"' in text and any(key in text for key in _MEMBER_KEYS) and _JSON_MESSAGE_MEMBER.search(text)
    ):  # pretty-printed JSON quoted in prose (a Kubernetes event)
        text = _JSON_MESSAGE_MEMBER.sub(_member_text, text)
    # (each at the paste's `<`s, which kernel text holds a few of, `<TASK>`: a search for each
    # literal through the whole paste was 41 us of a peer example dump's 70 here)
    if _holds(text, ("<http", "<mailto:")):
        text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), text)
    if _holds(text, ("<pre", "<code", "<p>", "<br")):
        text = _HTML_LAYOUT_TAG.sub("", _HTML_INLINE_CODE.sub(r"`\2`", text))
    if "&" in text and _ENTITY_EVIDENCE.search(text):
        import html

        text = html.unescape(text)
    return text


# JSON-lines exports (Loki/logcli, Elasticsearch, Datadog, Fluentd, `journalctl -o json`): one
# object per line, the message under one of these keys, at the top or one level down.
_JSON_LINE = re.compile(r'^[ \t]*\[?\{.*"(?:message|msg|MESSAGE|log|line|textPayload|_raw)"\s*:\s*"', re.MULTILINE)
_MESSAGE_KEYS = ("message", "msg", "MESSAGE", "log", "line", "textPayload", "_raw")
_TIME_KEYS = ("timestamp", "@timestamp", "time", "ts", "date", "_time", "__REALTIME_TIMESTAMP", "receiveTimestamp")


_MEMBER_KEYS = ('"message"', '"msg"', '"MESSAGE"', '"log"', '"line"', '"textPayload"')  # those of the pattern below
_JSON_MESSAGE_MEMBER = re.compile(
    r'^[ \t]*"(?:message|msg|MESSAGE|log|line|textPayload)"[ \t]*:[ \t]*("(?:[^"\\\n]|\\.)*")[ \t]*,?[ \t]*$',
    re.MULTILINE,
)


def _member_text(match: re.Match[str]) -> str:
    try:
        message = json.loads(match.group(1))
    except ValueError:
        return match.group(0)
    return _ESCAPED_NEWLINE.sub("\n", message).strip("\n") if isinstance(message, str) else match.group(0)


# CSV exports of log platforms (Kibana "Export CSV", Datadog, Splunk): a quoted first field with a
# clock, the message in the last field (quotes inside doubled).
_CSV_ROW = re.compile(r'^"[^"\n]{0,40}\d\d:\d\d:\d\d[^"\n]{0,30}",', re.MULTILINE)


# A CSV export's header naming the message's column (Splunk `_raw`, Kibana and Datadog `message`,
# CloudWatch Logs Insights `@message`), wherever that column is.
_CSV_HEADER = re.compile(r'^"?[\w@.]+"?(?:,"?[\w@.]+"?)+[ \t]*$')
_CSV_MESSAGE_COLUMNS = ("_raw", "message", "@message")


def _from_csv_columns(text: str) -> str:
    """The rows under a CSV header that names a message column become that column's text."""
    import csv

    lines = text.split("\n")
    column = None
    width = 0
    for index, line in enumerate(lines):
        if column is None:
            if _CSV_HEADER.match(line):
                names = [name.strip('"') for name in line.strip().split(",")]
                column = next((names.index(name) for name in _CSV_MESSAGE_COLUMNS if name in names), None)
                width = len(names)
            continue
        try:
            fields = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            fields = []
        if len(fields) != width:
            column = None  # the table ended
            continue
        lines[index] = fields[column]
    return "\n".join(lines)


def _from_csv_rows(text: str) -> str:
    import csv

    lines = text.split("\n")
    for index, line in enumerate(lines):
        if not _CSV_ROW.match(line):
            continue
        try:
            fields = next(csv.reader([line]))
        except (csv.Error, StopIteration):
            continue
        if len(fields) >= 2:
            lines[index] = fields[-1]
    return "\n".join(lines)


def _message_and_time(entry: dict[str, object]) -> tuple[str | None, object]:
    for record in (entry, *(value for value in entry.values() if isinstance(value, dict))):
        message = next((record[key] for key in _MESSAGE_KEYS if isinstance(record.get(key), str)), None)
        if message is not None:
            stamp = next(
                (record[key] for key in _TIME_KEYS if isinstance(record.get(key), (str, int, float))),
                next((entry[key] for key in _TIME_KEYS if isinstance(entry.get(key), (str, int, float))), None),
            )
            return message, stamp
    return None, None


def _from_json_lines(text: str) -> str:
    """Each line that is a JSON object with a message becomes that message; the messages are put
    in time order when every one carries a time (Loki and Grafana list the newest first)."""
    lines = text.split("\n")
    slots: list[int] = []
    entries: list[tuple[object, str]] = []
    for index, line in enumerate(lines):
        candidate = line.strip().removeprefix("[").removesuffix("]").rstrip(",")  # an array, one entry a line
        if not (candidate.startswith("{") and candidate.endswith("}")):
            continue
        try:
            entry = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        message, stamp = _message_and_time(entry)
        if message is None:
            continue
        slots.append(index)
        entries.append((stamp, _ESCAPED_NEWLINE.sub("\n", message).strip("\n")))
    if not entries:
        return text
    stamps = [_sortable(stamp) for stamp, _ in entries]
    if None not in stamps and len({type(stamp) for stamp in stamps}) == 1:
        order = sorted(range(len(entries)), key=lambda position: (stamps[position], position))
        entries = [entries[position] for position in order]
    for slot, (_, message) in zip(slots, entries, strict=False):
        lines[slot] = message
    return "\n".join(lines)


def _sortable(stamp: object) -> float | str | None:
    if stamp is None or isinstance(stamp, bool):
        return None
    if isinstance(stamp, (int, float)):
        return float(stamp)
    text = str(stamp)
    try:
        return float(text)  # journald's __REALTIME_TIMESTAMP, epoch seconds as text
    except ValueError:
        return text


def _from_json_export(text: str) -> str:
    """Cloud Logging / journald JSON exports: the messages, oldest first, one per line."""
    entries = []
    for position, match in enumerate(_JSON_PAYLOAD.finditer(text)):
        try:
            message = json.loads(match.group(1))
        except ValueError:
            continue
        if not isinstance(message, str):
            continue
        # Exports double-escape the console's CR LF ("...\\r\\n" decodes to a literal "\r\n").
        message = _ESCAPED_NEWLINE.sub("\n", message).strip("\n")
        stamp = _JSON_TIMESTAMP.search(text, match.end())
        entries.append((stamp.group(1) if stamp else "", position, message))
    if not entries:
        return text
    if all(stamp for stamp, _, _ in entries):
        entries.sort(key=lambda entry: (entry[0], entry[1]))
    return "\n".join(message for _, _, message in entries)


def _strip_prefix(line: str) -> tuple[str, str]:
    """Remove every log prefix at the start of ``line``; return (text, prefix)."""
    end = prefix_end(line)
    if end is None and line[:1] in (" ", "\t"):
        # a Markdown code block indented by four spaces, or a paste that lost its first column
        end = prefix_end(line, len(line) - len(line.lstrip(" \t")))
    if end is None:
        return line, ""
    return line[end:], line[:end]


# Quote marks that are also kernel text: a terminal's cut may fall just before them
# (`python3 invoked oom-killer` / `: gfp_mask=...`, `GFP_HIGHUSER_MOVABLE` / `|__GFP_COLD)`).
_TEXT_MARKS = frozenset(":|")


def _after_long_prefixed(physical: list[_Physical | None]) -> bool:
    """Whether the last entry has a log prefix and is long enough to have been cut (60 columns or
    more): a line after it that starts with a quote mark may be its rest, when the line before was
    not quoted itself (a mail quotes every line of a reply; one mark on one line is the text's)."""
    last = physical[-1] if physical else None
    return last is not None and bool(last.prefix) and last.raw_length >= 60


def line_content(raw: str) -> tuple[str, str]:
    """One physical line without quote marks, inline-code backticks and log prefixes: (text, prefix)."""
    # (lstrip copies the line: only a line starting with whitespace needs it)
    quoted = raw.startswith(_QUOTE_MARKS) or (raw[:1].isspace() and raw.lstrip().startswith(_QUOTE_MARKS))
    line = _QUOTE.sub("", raw, count=1) if quoted else raw
    if "`" in line:
        line = _INLINE_CODE.sub("", line)
    if "**" in line:
        line = _BOLD.sub("", _BOLD_SPAN.sub(r"\1", line).strip())
    return _strip_prefix(line)


_CODE_SPAN = re.compile(r"`+([^`\n]+)`+")
# A whole kernel line a person set in double quotes in prose (`"Out of memory: Killed process ..."`).
_QUOTED_LINE = re.compile(r'^["\u201c](.+)["\u201d][.,;:]?$')


def _quoted_kernel_line(stripped: str) -> tuple[str, str] | None:
    """The kernel line (and its log prefix) inside a line that is only that line in double quotes."""
    match = _QUOTED_LINE.match(stripped)
    if not match:
        return None
    text, prefix = _strip_prefix(match.group(1).strip())
    text = text.strip()
    return (text, prefix) if text and classify(text) != OTHER else None


# A kernel line's opening after a person's opening double quote that closes on a later line: the
# quotation wrapped inside the line (`"gnome-shell: page allocation failure: order:4,` / `mode:...`).
_OPENED_LINE = re.compile(r'^["\u201c]([^"\u201d]+)$')


def _opened_kernel_line(stripped: str) -> tuple[str, str] | None:
    """The opening of a kernel line (and its log prefix) after a double quote that does not close
    on this line; only an opening the grammar knows (``opens_line``), so prose in quotes stays prose."""
    match = _OPENED_LINE.match(stripped)
    if not match:
        return None
    text, prefix = _strip_prefix(match.group(1).strip())
    text = text.strip()
    return (text, prefix) if text and opens_line(classify_fields(text)) else None


def _unquoted(text: str) -> str:
    """``text`` without the double quotes around it when what they enclose is a kernel line."""
    match = _QUOTED_LINE.match(text)
    inner = match.group(1).strip() if match else ""
    return inner if inner and classify(inner) != OTHER else text


def _kernel_code_spans(raw: str) -> list[tuple[str, str]]:
    """The inline code spans of a prose line that hold a kernel line the grammar knows."""
    spans = []
    for match in _CODE_SPAN.finditer(raw):
        text, prefix = _strip_prefix(match.group(1).strip())
        text = text.strip()
        if text and classify(text) != OTHER:
            spans.append((text, prefix.strip()))
    return spans


_WIDTH_REACH = 24  # lines on each side whose lengths tell a fixed-width cut from a word wrap
_NEIGHBOURS = 4  # lines on each side that decide whether a line sits among prefixed ones


def _prefixed_blocks(physical: list[_Physical | None]) -> list[bool]:
    """For each entry: whether most of its neighbours (up to four lines on each side, within its
    block of lines between blank lines) have a log prefix."""
    flags = [False] * len(physical)
    start = 0
    while start < len(physical):
        if physical[start] is None:
            start += 1
            continue
        end = start
        while end < len(physical) and physical[end] is not None:
            end += 1
        marks = [bool(entry.prefix) for entry in physical[start:end] if entry is not None]
        count = len(marks)
        if all(marks) or not any(marks):  # (a block all of one kind: each line's neighbours are too)
            flags[start:end] = marks
            start = end
            continue
        before = list(itertools.accumulate(marks, initial=0))  # before[i]: prefixed lines among marks[:i]
        for offset in range(count):
            low, high = max(0, offset - _NEIGHBOURS), min(count, offset + 1 + _NEIGHBOURS)
            around = high - low - 1
            prefixed = before[high] - before[low] - marks[offset]
            flags[start + offset] = prefixed * 2 >= around if around else marks[offset]
        start = end
    return flags


def _wrap_width(physical: list[_Physical | None], prefixed: bool = False) -> int | None:
    """The width at which a page or mail reader cut lines, when one width dominates; with
    ``prefixed``, the width at which log lines were cut, read first from the lines with a log
    prefix alone (a mail's prose around them, wrapped at varying lengths, hides it)."""
    if prefixed:
        width = _dominant_width(physical, True)
        if width is not None:
            return width
    return _dominant_width(physical, False)


def _dominant_width(physical: list[_Physical | None], prefixed: bool) -> int | None:
    # (a list, not a generator, for Counter: a generator resumed from C costs more than the loop
    # it runs; the length first, which most lines of prose fail)
    lengths = Counter(
        [
            entry.raw_length
            for entry, following in itertools.pairwise(physical)
            if entry is not None
            and entry.raw_length >= 60
            and following is not None
            and not following.prefix
            and (entry.prefix or not prefixed)
        ]
    )
    if not lengths:
        return None
    width, count = lengths.most_common(1)[0]
    # A page or terminal cuts at one fixed width every time; a mail reader's word wrap gives
    # varying lengths, and there the line broke at a space.
    # Read from a few nearby lines, a word wrap can give the same length two or three times by
    # chance: a cut width must hold for two thirds of them.
    if prefixed:
        # Every log line a terminal cut has that width; a word wrap of a table's rows of one width
        # gives it too, but not to the other wrapped lines near them: nine in ten, and three lines.
        return width if count >= 3 and count * 10 >= 9 * sum(lengths.values()) else None
    return width if count >= 2 and count * 3 >= 2 * sum(lengths.values()) else None


# The rest of a zone line (`DMA free:3488kB min:64kB ... active_anon:0kB`) or a node line (`Node 0
# active_anon:...`) a mail reader wrapped: the kernel prints each as one printk line of `name:value`
# fields ending in `all_unreclaimable? yes|no` (mm/page_alloc.c show_free_areas, 2.6.x to 6.x), so a
# line of nothing but such whole fields after one continues it. A line starting with a bare value
# (`1785580kB shmem:0kB`) lost text at the cut: it is left alone, a join would misread a field.
_FIELD_LINE_KINDS = frozenset({"ZONE", "NODE_STAT"})
_FIELD_TAIL = re.compile(
    r"(?:[a-z][\w()]*:[ \t]?-?\d+(?:[kK]B)?|all_unreclaimable\? (?:yes|no))"
    r"(?:[ \t]+(?:[a-z][\w()]*:[ \t]?-?\d+(?:[kK]B)?|all_unreclaimable\? (?:yes|no)))*"
)


def _field_tail(entry: _Physical | None) -> bool:
    """``entry`` is nothing but whole `name:value` fields of a zone or node line (``_FIELD_TAIL``)."""
    return entry is not None and not entry.prefix and _FIELD_TAIL.fullmatch(entry.text) is not None


# The rest of the 4.19+ `oom-kill:` summary a mail reader wrapped after one of its commas
# (`oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=test,` / `mems_allowed=0,oom_memcg=/test,
# task_memcg=/test,task=dd,pid=4404,uid=0`): mm/oom_kill.c dump_oom_summary() (v4.19-v6.18) prints it
# as one line of comma-separated `name=value` fields (cpuset_print_current_mems_allowed() and
# mem_cgroup_print_oom_context() add theirs with pr_cont), so a line of nothing but such fields after
# a summary line ending in a comma continues it, joined without a space.
_SUMMARY_TAIL = re.compile(r"[a-z_]+=[^\s,]*(?:,[a-z_]+=[^\s,]*)*,?")


def _summary_tail(entry: _Physical, following: _Physical | None) -> bool:
    """``following`` continues the `oom-kill:` summary ``entry`` (``_SUMMARY_TAIL``)."""
    return (
        following is not None
        and not following.prefix
        and entry.text.endswith(",")
        and _SUMMARY_TAIL.fullmatch(following.text) is not None
    )


# The sizes of a kill line (`Killed process 90057 (java)` / `total-vm:2007864kB, anon-rss:518828kB`)
# a person or a mail reader put on a line of their own: mm/oom_kill.c __oom_kill_process() prints
# the line with its sizes as one printk (`total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB,
# shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd`, v2.6.32-v6.18), so a line of nothing but
# such fields after a kill line that has none continues it.
_KILLED_TAIL = re.compile(
    r"(?:(?:total-vm|anon-rss|file-rss|shmem-rss|pgtables):[ \t]?\d+kB|(?:UID|oom_score_adj):[ \t]?-?\d+)"
    r"(?:,?[ \t]+(?:(?:total-vm|anon-rss|file-rss|shmem-rss|pgtables):[ \t]?\d+kB|(?:UID|oom_score_adj):[ \t]?-?\d+))*,?"
)


_KILLED_KINDS = frozenset({"KILLED", "KILLED_CUT"})  # (a set: one hash per line, not two compares)


def _killed_tail(entry: _Physical, following: _Physical | None) -> bool:
    """``following`` holds the sizes of the kill line ``entry``, which shows none, or the rest of
    them after a comma (``_KILLED_TAIL``)."""
    return (
        following is not None
        and not following.prefix
        and ("total-vm:" not in entry.text or entry.text.endswith(","))  # (or wrapped after a size's comma)
        and _KILLED_TAIL.fullmatch(following.text) is not None
    )


# The kill message is one printk, its cause first: mm/oom_kill.c __oom_kill_process() (4.19 on, v6.6)
# prints `pr_err("%s: Killed process %d (%s) total-vm:...", message, ...)`, message "Out of memory" or
# "Memory cgroup out of memory" as out_of_memory() passes it; up to 4.18 oom_kill_process() printed
# `"%s: Kill process %d (%s) score %u or sacrifice child"` the same way. A journal or terminal that
# wrapped it right after the cause's colon leaves `Memory cgroup out of memory:` alone on a line and the
# kill on the next, without a prefix: one kernel line, whose cause says whether the kill was at a memory
# cgroup's limit.
_KILL_CAUSE = re.compile(r"(?:Memory cgroup out of memory|Out of [Mm]emory)(?: \([\w ]+\))?:")
_KILL_AFTER_CAUSE = re.compile(r"Kill(?:ed)? process \d+ ")
# Whether a paste may hold such a cause at a line's end at all (a little markup may follow it before
# line_content strips it): one search of the whole text, so that pastes without one (nearly all)
# pass over their lines no second time
_CAUSE_AT_END = re.compile(r"emory(?: \([\w ]+\))?:[^\n]{0,16}$", re.M)


def _cause_tail(entry: _Physical, following: _Physical | None) -> bool:
    """``entry`` is only the cause of a kill message (``_KILL_CAUSE``) and ``following``, without a
    prefix, the kill it printed on the same line."""
    return (
        following is not None
        and not following.prefix
        and _KILL_CAUSE.fullmatch(entry.text.rstrip()) is not None
        and _KILL_AFTER_CAUSE.match(following.text) is not None
    )


_JOIN_BUDGET = 20000  # classifications spent on joining per paste: prose-only pastes stay linear
_MAX_FRAGMENTS = 12  # a wrapped kernel line rarely spans more physical lines than this


@dataclass(slots=True)
class _Physical:
    number: int
    text: str
    prefix: str
    raw_length: int
    body: str  # the line after its prefix, with the whitespace around the text
    indented: bool
    classified: Classified | None = None  # of ``text``, once asked (``_kind``)

    @property
    def lead(self) -> str:
        return self.body[: len(self.body) - len(self.body.lstrip())]

    @property
    def trail(self) -> str:
        return self.body[len(self.body.rstrip()) :]


def _kind(entry: _Physical) -> str:
    """The terminal ``entry.text`` matches, classified once per entry."""
    if entry.classified is None:
        entry.classified = classify_fields(entry.text)
    return entry.classified.kind


def _opens(entry: _Physical) -> bool:
    """A cut kernel line's opening (lexicon.OPENING_CUTS): it starts its own run, it never
    continues the line before it. Asked after ``_kind``, which classified the entry."""
    return entry.classified is not None and opens_line(entry.classified)


def _hanging_indent(physical: list[_Physical | None], width: int | None, prefixed: bool = False) -> str:
    """``_indent_of_cuts`` read first from the cut lines with a log prefix (``prefixed``: those of
    the tool that cut the log), then from every cut line."""
    return (prefixed and _indent_of_cuts(physical, width, True)) or _indent_of_cuts(physical, width, False)


def _indent_of_cuts(physical: list[_Physical | None], width: int | None, prefixed: bool) -> str:
    """The indent a terminal or viewer put before each continuation of a line it cut at
    ``width`` columns (`    `, a tab): the lead nearly every line without a prefix after a cut
    line near this one begins with, one of them continuing a word; "" when there is none (a plain cut
    leaves some continuations starting with text, a word wrap of a table breaks at its padding)."""
    if width is None:
        return ""
    pairs = [
        (before, entry)
        for before, entry in itertools.pairwise(physical)
        if before is not None
        and entry is not None
        and not entry.prefix
        and before.raw_length == width
        and (before.prefix or not prefixed)
    ]
    leads = Counter(entry.lead for _, entry in pairs)
    for lead in sorted(leads, key=len):
        starting = sum(count for other, count in leads.items() if other.startswith(lead))
        if (
            lead
            and starting >= 2
            and starting * 10 >= 9 * len(pairs)  # (a continuation may have lost its lead as a `: ` quote mark)
            and any(not before.trail and entry.lead == lead for before, entry in pairs)
        ):
            return lead
    return ""


def _hyphenated(text: str) -> bool:
    """A line broken after a word's hyphen (`oom_score_adj` never, `x86-` `64` may be): not after a
    rule of dashes (RHEL's taint placeholder `OE  ------------` before the release)."""
    return text.endswith("-") and text[-2:-1].isalnum()


def _joined(run: list[_Physical], exact: bool | None, indent: str = "") -> str:
    """The run's text glued as a fixed-width cut (the whitespace that was there, less a hanging
    ``indent``), a word wrap, or (``exact`` None) a cut whose continuations' leads are all a hanging
    indent of a width not read (a lone cut line among short ones: nothing to read it from)."""
    return _joins(run, exact, indent)[-1]


def _joins(run: list[_Physical], exact: bool | None, indent: str = "") -> list[str]:
    """``_joined(run[:end], exact, indent)`` for every ``end`` from 1, at ``end - 1``: the glue
    is a left fold, so each is the one before it with the next part (``_best_join`` tries every
    end of a run: one pass, not one join per end)."""
    text = run[0].text
    out = [text]
    for before, part in itertools.pairwise(run):
        if exact is None:
            glue = before.trail
        else:
            glue = before.trail + part.lead.removeprefix(indent) if exact else ("" if _hyphenated(text) else " ")
        text += glue + part.text
        out.append(text)
    return out


def _best_join(
    run: list[_Physical], exact_first: bool, indent: str = "", lone: bool = False
) -> tuple[int, str, Classified] | None:
    """Longest prefix of ``run`` (start + fragments) that the grammar reads as one known line;
    failing that, when the start is a log line the grammar does not know and its fragments carry
    no prefix (a wrap), the longest the grammar reads as a known line a person shortened (`/docker/x
    killed as a result of limit of /docker/x`, cut before `Task in`)."""
    kind_start = _kind(run[0])
    tried: list[tuple[int, str, Classified]] = []
    # the longest end whose parts' texts fit in MAX_LINE_CHARS (every shorter one fits too)
    longest, length = 0, 0
    for part in run:
        length += len(part.text)
        if length > MAX_LINE_CHARS:
            break
        longest += 1
    joins: dict[bool | None, list[str]] = {}  # _joins of run[:longest], by ``exact``, as first asked
    # the candidate terminals of each ``exact``'s longest join: every shorter join begins with it
    # (not so where quote marks are taken off each join)
    screened: dict[bool | None, tuple[Any, ...] | None] = {}
    quoted = run[0].text[:1] in ('"', "\u201c")
    for end in range(longest, 1, -1):
        # (with ``lone``, a prefixed line cut where no width could be read: a continuation's lead is
        # tried last as a hanging indent of its own)
        leads = lone and any(part.lead for part in run[1:end])
        for exact in (exact_first, not exact_first, None) if leads else (exact_first, not exact_first):
            texts = joins.get(exact)
            if texts is None:
                texts = joins[exact] = _joins(run[:longest], exact, indent)
                screened[exact] = None if quoted else candidates_for_prefixes(texts[-1])
            text = texts[end - 1]
            if quoted:
                # a kernel line a person set in double quotes, wrapped: the quotes are not the kernel's
                text = _unquoted(text)
            classified = classify_fields(text, screened[exact])
            kind = classified.kind
            if not is_loose(kind) and (is_loose(kind_start) or kind == kind_start):
                return end, text, classified
            tried.append((end, text, classified))
    if kind_start == OTHER and run[0].prefix:
        return next((join for join in tried if join[2].kind != OTHER), None)
    return None


def normalise(text: str) -> Normalised:
    """Normalise decoded text; see the module docstring."""
    warnings: list[str] = []
    text = _undo_transport(text)
    raw_lines = text.split("\n")
    physical: list[_Physical | None] = []
    shared_prefix = ""
    # (looked for in each line only when the paste has any; each rare character alone first)
    fenced = ("`" in text and "```" in text) or ("~" in text and "~~~" in text)
    shortcodes = "{" in text and "highlight" in text  # (Hugo's or Jekyll's code-block markers)
    # Whether the paste holds inline code, bold or a double quote at all: a line is searched for
    # them only when it does (most pastes hold none; the tests below are those of every line).
    ticks = "`" in text
    bold = _holds(text, "**")  # (at the paste's `*`s: a buddy line holds a dozen, `0*4kB`)
    quotes = '"' in text or "\u201c" in text
    plain = True if "\t" not in text and "|" not in text else None  # (prefix_end's: every line holds neither)
    bare_prefixes = False  # whether an entry is a prefix without its message (merged below)
    any_prefix = False  # whether an entry may have a log prefix (none: no line's neighbours have one)
    append = physical.append
    # The lines that are task rows without a prefix (``task_row_lines``: no prefix can begin there
    # and the classifier reads them as rows), found by one search of the paste: most of a dump's
    # lines, each a prefix match and a classification (a line equal to one of them is one of them).
    # (Searched for only when the paste's last line that opens with a bracket is such a row: a
    # paste of bare rows ends its report with the task table, one stamped by dmesg opens every
    # line with a bracket and holds none - the search would try each line for nothing. Which
    # lines take the shortcut decides only the work, never a line's reading.)
    last = text.rfind("\n[")
    row_lines = task_row_lines() if last >= 0 else None
    # (after a newline: a paste that opens with a row reads its first line by itself)
    has_rows = row_lines is not None and row_lines.match(text, last) is not None
    rows = frozenset(row_lines.findall(text)) if has_rows and row_lines is not None else ()
    row = task_row()
    number = 0
    for raw in raw_lines:
        number += 1  # (the line's 1-based number)
        if fenced and ("```" in raw or "~~~" in raw) and _FENCE.match(raw):
            append(None)
            continue
        if shortcodes and "highlight" in raw and _SHORTCODE_FENCE.match(raw):
            append(None)
            continue
        first = raw[:1]
        if (
            rows
            and first == "["
            and raw in rows
            and not raw[-1].isspace()  # (else its text, stripped, is not the line the search read)
            and len(raw) <= MAX_LINE_CHARS
            and not (ticks and "`" in raw)
            and not (bold and "**" in raw)
        ):  # (a task row: no prefix, classified; see ``rows``)
            shared_prefix = ""
            append(_Physical(number, raw, "", len(raw), raw, False, row))
            continue
        # (line_content for a line with anything to unquote, inline code, bold, or a quote mark
        # after its indent; a line starting with ":" but not ": " gets the same from it as from the
        # plain branch)
        if (
            first in _ODD_FIRST
            or (ticks and "`" in raw)
            or (bold and "**" in raw)
            or (first.isspace() and raw.lstrip()[:1] in _ODD_FIRST)
        ):
            body, prefix = line_content(raw)
            if (
                not prefix
                and _after_long_prefixed(physical)  # (first: two attribute reads, the marks need a copy)
                and (first in _TEXT_MARKS or (first.isspace() and raw.lstrip()[:1] in _TEXT_MARKS))
                and not raw_lines[number - 2].lstrip().startswith(_QUOTE_MARKS)
            ):
                body = raw  # (`: gfp_mask=...`, `|__GFP_COLD)`: the rest of a cut line, not a quote)
        else:  # (line_content without its calls: nothing to unquote, no inline code or bold)
            end = prefix_end(raw, 0, plain)
            if end is None and first in (" ", "\t"):  # (an indented line: _strip_prefix's second try)
                end = prefix_end(raw, len(raw) - len(raw.lstrip(" \t")), plain)
            body, prefix = (raw, "") if end is None else (raw[end:], raw[:end])
        stripped = body.strip()[:MAX_LINE_CHARS]
        if ticks and "`" in stripped and is_loose(classify(stripped)):
            spans = _kernel_code_spans(raw)
            if spans:  # kernel lines quoted inline in prose: `Killed process 1234 (java) ...`
                any_prefix = any_prefix or any(span_prefix for _, span_prefix in spans)
                physical.extend(
                    _Physical(number, text, span_prefix, len(raw), text, False) for text, span_prefix in spans
                )
                append(None)
                continue
        if quotes and stripped[:1] in ('"', "\u201c") and is_loose(classify(stripped)):
            quoted = _quoted_kernel_line(stripped) or _opened_kernel_line(stripped)
            if quoted:  # the quote marks are the person's, not the kernel's
                stripped, quoted_prefix = quoted
                body, prefix = stripped, quoted_prefix or prefix
        if prefix:
            any_prefix = True
            prefix = prefix.strip()
            if prefix == shared_prefix:  # one stamp on many lines (a table printed within one second): one string
                prefix = shared_prefix
        shared_prefix = prefix
        if stripped[:1] == "C" and stripped.startswith(("Call Trace:[", "Call Trace: [")):
            split = _TRACE_AND_FRAME.fullmatch(stripped)
            if split:
                heading, frame = split.groups()
                append(_Physical(number, heading, prefix, len(heading), heading, False))
                append(_Physical(number, frame, prefix, len(raw), frame, False))
                continue
        if stripped:
            # unstripped body: a fixed-width cut can fall inside a run of spaces
            append(_Physical(number, stripped, prefix, len(raw), body, body[:1] in (" ", "\t")))
        elif prefix:
            append(_Physical(number, stripped, prefix, len(raw), body, body[:1] in (" ", "\t")))
            bare_prefixes = True
        else:
            append(None)  # a blank line ends any wrapped run
    physical_lines = len(raw_lines)
    cause_at_end = _CAUSE_AT_END.search(text) is not None
    del raw_lines, text  # each entry keeps what it needs of its line: not the whole paste a second time
    # A prefix whose message sits on the next line (reformatted syslog): one entry.
    merged: set[int] = set()
    for index, entry in enumerate(physical[:-1] if bare_prefixes else ()):
        following = physical[index + 1]
        if entry and not entry.text and following and following.text and not following.prefix:
            entry.text, entry.body = following.text, following.body
            entry.raw_length = following.raw_length
            merged.add(index + 1)
    # A kill message wrapped right after its cause (_cause_tail): one entry, which the joining below
    # reads as any kill line (its sizes may be wrapped onto the next line in turn).
    for index, entry in enumerate(physical[:-1] if cause_at_end else ()):
        # (the colon first: most lines end otherwise)
        if entry and entry.text[-1:] == ":" and index not in merged and index + 1 not in merged:
            following = physical[index + 1]
            if following and _cause_tail(entry, following):
                entry.text = entry.text + " " + following.text
                entry.body = entry.body.rstrip() + " " + following.body.lstrip()
                entry.raw_length = following.raw_length
                entry.classified = None
                merged.add(index + 1)
    if merged:  # drop the absorbed lines (not blank them: a blank line would end a wrapped run)
        physical = [entry for index, entry in enumerate(physical) if index not in merged]

    # Whether the lines around each one carry log prefixes, decided from its neighbours, never
    # for the whole paste: a window of a big log sees other lines than the whole file, and both
    # must read a dump the same way.
    # (a paste without a log prefix, most of them: no line has a prefixed neighbour)
    prefixed_block = _prefixed_blocks(physical) if any_prefix else [False] * len(physical)

    out: list[Line] = []
    budget = _JOIN_BUDGET
    index = 0
    count = len(physical)
    loose = loose_kinds()  # is_loose() as a set: this loop runs once per line
    while index < count:
        entry = physical[index]
        index += 1
        if entry is None or not entry.text:
            continue
        # Every line is classified here (``_kind`` inline), whether or not it is asked about
        # below: the parser would classify it otherwise, and a line joined into another was
        # classified as a candidate fragment anyway.
        classified = entry.classified
        if classified is None:
            classified = entry.classified = classify_fields(entry.text)
        entry_kind = classified.kind
        # Fragments: following lines without a prefix that the grammar does not know alone.
        run = None  # the line and its fragments, when it has any
        wrapped_known = False  # whether a fragment the grammar knows alone followed a word wrap
        following = physical[index] if index < count else None
        field_wrap = False  # a zone or node line a mail reader wrapped (_FIELD_TAIL)
        # the oom-kill summary wrapped after a comma (_SUMMARY_TAIL; the kind first: read already)
        summary_wrap = entry_kind == "OOM_SUMMARY" and entry.text.endswith(",") and _summary_tail(entry, following)
        # a kill line whose sizes sit on the next line (_KILLED_TAIL; the kind first, as above)
        killed_wrap = entry_kind in _KILLED_KINDS and _killed_tail(entry, following)
        if budget > 0 and (
            summary_wrap
            or killed_wrap
            or entry.prefix
            or prefixed_block[index - 1]
            or (following is not None and following.indented)
            or entry_kind in loose
            # (the kind first, where the field match is a regex per line)
            or (field_wrap := entry_kind in _FIELD_LINE_KINDS and _field_tail(following))
        ):
            if (
                following is None
                or not following.text
                or following.prefix
                or (_kind(following) not in loose and (not entry.prefix or entry.raw_length < 60))
                or _opens(following)
            ):
                budget -= 2  # no fragment (most lines): no run to build
            else:
                run = [entry]
                probe = index
                cut_width: int | None = -1  # not read yet
                while probe < count and len(run) <= _MAX_FRAGMENTS:
                    candidate = physical[probe]
                    if candidate is None or not candidate.text or candidate.prefix:
                        break
                    if field_wrap and not _field_tail(candidate):
                        break
                    if summary_wrap and not _summary_tail(run[-1], candidate):
                        break
                    if killed_wrap and not _killed_tail(entry, candidate):
                        break
                    kind = _kind(candidate)
                    if _opens(candidate):  # (asked after _kind, which classified it)
                        break
                    if kind == "ELLIPSIS":
                        # where a person left lines out (`[...]`, a lone `:`): never the rest of a
                        # line, even after table rows whose equal lengths look like a fixed-width cut
                        break
                    if kind not in loose:
                        # A piece of a line a terminal cut at a fixed width may read as a line of
                        # its own (`up_oom_synchronize+0x546/0x570`, a frame): after a prefixed
                        # line of exactly that width, a line without a prefix is still its
                        # continuation.
                        if not entry.prefix or run[-1].raw_length < 60:
                            break
                        if cut_width == -1:
                            cut_width = _wrap_width(
                                physical[max(0, index - 1 - _WIDTH_REACH) : index + _WIDTH_REACH], True
                            )
                        if run[-1].raw_length != cut_width:
                            # A word wrap may also leave such a piece (ARM's `[<c030a968>]
                            # (show_stack+0x10/0x14)` after `(unwind_backtrace) from`): the first
                            # one is tried after a prefixed line the grammar does not know whole.
                            if len(run) > 1 or entry_kind not in loose:
                                break
                            wrapped_known = True
                    run.append(candidate)
                    probe += 1
                budget -= 2 * len(run)
        if run is not None and len(run) > 1:
            # The cut width is read from the lines near this one, not the whole paste (a window
            # of a big log sees only part of it).
            near = physical[max(0, index - 1 - _WIDTH_REACH) : index + _WIDTH_REACH]
            width = _dominant_width(near, True) if entry.prefix else None
            by_prefixed = width is not None  # (then the indent too is read from the prefixed lines first)
            width = width if by_prefixed else _dominant_width(near, False)
            exact_first = summary_wrap or _hyphenated(entry.text) or (width is not None and entry.raw_length == width)
            indent = _hanging_indent(near, width, by_prefixed)
            best = _best_join(run, exact_first, indent, width is None and bool(entry.prefix))
            if best is not None:
                used, text, classified = best
                out.append(Line(entry.number, text, entry.prefix, classified))
                index += used - 1
                continue
            if prefixed_block[index - 1] and entry.prefix and entry_kind == OTHER and not wrapped_known:
                # wrapped text the grammar does not know: keep it together as one unknown line
                out.append(Line(entry.number, _joined(run, exact_first, indent), entry.prefix))
                index += len(run) - 1
                continue
            if (
                entry_kind != OTHER
                and entry_kind in loose
                and entry.prefix
                and not wrapped_known
                and (entry.raw_length == width or killed_wrap)
            ):
                # A line a person shortened (a `_CUT` terminal) that a terminal cut at the width of
                # the lines near it, or a kill line a reader wrapped before its sizes (`Killed
                # process 18177 (palo_be), UID 0,` / `total-vm:70347780kB, ...`; not any line
                # after it among log lines: a person's own words may follow their shortened line):
                # when the grammar reads the whole as the same shortened line, it is that line with
                # all its fields.
                text = _joined(run, exact_first, indent)
                reading = classify_fields(text)
                if reading.kind == entry_kind:
                    out.append(Line(entry.number, text, entry.prefix, reading))
                    index += len(run) - 1
                    continue
        out.append(_new_line(Line, (entry.number, entry.text, entry.prefix, classified)))
    return Normalised(lines=tuple(out), warnings=tuple(warnings), physical_lines=physical_lines)

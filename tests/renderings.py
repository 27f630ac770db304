"""Re-render a corpus case's kernel lines the ways log tools, chat clients and people print them.

``records(text)`` reads a paste into its kernel messages (the normaliser's lines), each with the
time it carries (seconds since boot and wall clock, from its own log prefix or the last one
before it) and the host; prose and blank lines stay where they were. ``FORMATS`` maps a format
name to a function that prints those records the way one tool does: syslog (RFC 3164 files and
wire, RFC 5424), ``journalctl -o ...``, ``dmesg`` and its options, kern.log, a serial console,
container and log-platform exports, and what chat clients, mail readers and web pages do to the
text afterwards (quote marks, HTML entities, code fences, wrapping, CRLF, tabs).

The renderings are of the case's own lines and times, so a parser that reads the original reads
the same events and facts from every rendering (tests/test_parser_renderings.py).
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from grammar.lexicon import OTHER, classify
from grammar.normalise import decode_bytes, normalise
from grammar.stamps import epoch, read_stamp

HOST = "db-7"  # the host named by formats that print one, when the case names none
_BOOT = datetime(2026, 3, 14, 1, 0, 0, tzinfo=UTC)  # the boot time of cases that show no wall clock
_FALLBACK_UPTIME = 5864.708493  # seconds since boot of cases that show no stamp at all


@dataclass(frozen=True)
class Kernel:
    """One kernel message and when it was printed."""

    text: str
    uptime: float  # seconds since boot
    wall: datetime  # UTC
    caller: str | None = None  # printk caller id (`T1234`, `C3`), when the case shows one


@dataclass(frozen=True)
class Prose:
    """A line the person wrote (or a blank line): kept as it was in every rendering."""

    text: str


Entry = Kernel | Prose


@dataclass(frozen=True)
class Records:
    entries: tuple[Entry, ...]
    host: str  # the case's host, or HOST

    @property
    def kernel(self) -> Iterator[Kernel]:
        return (entry for entry in self.entries if isinstance(entry, Kernel))


_OTHER_PROGRAM = re.compile(r"\s(?!kernel\b)[\w.\-/]+(\[\d+\])?:\s*$")  # `host sshd[77]: `
_TAG = re.compile(r"[\w.\-@]+\[\d+\]: ")  # `systemd-journald[393]: ` left after a syslog host


def records(data: bytes | str) -> Records | None:
    """The kernel messages and prose of a paste; None when it names several hosts (a central
    log: one rendering with one host would merge their events)."""
    text, _ = decode_bytes(data)
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = normalise(text).lines
    hosts: set[str] = set()
    stamps = []
    for line in lines:
        stamp = read_stamp(line.prefix) if line.prefix else None
        if stamp is not None and stamp.host:
            hosts.add(stamp.host)
        stamps.append(stamp)
    if len(hosts) > 1:
        return None
    # seconds since boot of each line: its own printk stamp, or its wall clock's distance from
    # the first wall clock, or the last line's; a case with no stamp at all prints in one instant
    uptimes: list[float | None] = []
    walls: list[float | None] = []
    for stamp in stamps:
        uptimes.append(stamp.uptime_s if stamp is not None else None)
        walls.append(epoch(stamp.time, _BOOT.timestamp() + 365 * 86400) if stamp and stamp.time else None)
    first_uptime = next((u for u in uptimes if u is not None), None)
    first_wall = next((w for w in walls if w is not None), None)
    if first_wall is None:
        first_wall = _BOOT.timestamp() + (first_uptime if first_uptime is not None else _FALLBACK_UPTIME)
    if first_uptime is None:
        first_uptime = _FALLBACK_UPTIME
    # The kernel lines: those with a log prefix; in a paste without any, those the grammar knows.
    # A line without a prefix among prefixed ones stays as it was (a person's quotation of one
    # line, a wrapped piece the normaliser left alone).
    prefixed = any(
        stamp is not None and (stamp.time or stamp.uptime_s is not None or stamp.host or "kernel" in line.prefix)
        for line, stamp in zip(lines, stamps, strict=True)
    )  # (a shell prompt before a command the person ran is no log prefix)
    entries: list[Entry] = []
    uptime, wall = first_uptime, first_wall
    last_wall: float | None = None
    latest_wall = first_wall
    second_wall, second_uptime = None, 0.0
    seen: dict[tuple[str, str], tuple[float, float]] = {}
    previous_number = 0
    for line, stamp, own_uptime, own_wall in zip(lines, stamps, uptimes, walls, strict=True):
        if any(not raw.strip() for raw in raw_lines[previous_number : line.number - 1]):
            entries.append(Prose(""))  # a blank line between: it ends wrapped runs, keep it
        previous_number = line.number
        if own_uptime is not None:
            if own_wall is not None and own_wall != second_wall:
                second_wall, second_uptime = own_wall, own_uptime  # a syslog clock's new second
            uptime = own_uptime
            # the wall clock within its printed second from the printk stamp (log platforms
            # keep sub-second times of their own)
            wall = (
                own_wall + min(max(own_uptime - second_uptime, 0.0), 0.999999)
                if own_wall is not None
                else first_wall - first_uptime + own_uptime
            )
        elif own_wall is not None and own_wall != last_wall:
            wall = own_wall
            uptime = max(first_uptime + (own_wall - first_wall), uptime)
            if own_wall < latest_wall and (line.prefix, line.text) in seen:
                uptime, wall = seen[line.prefix, line.text]  # a line quoted again later: its own stamp
        if own_wall is not None:
            last_wall = own_wall
            latest_wall = max(latest_wall, own_wall)
        if _OTHER_PROGRAM.search(line.prefix) or (stamp is not None and stamp.host and _TAG.match(line.text)):
            continue  # another program's syslog line: not the kernel's, no tool prints it as such
        if line.prefix if prefixed else classify(line.text) != OTHER:
            caller = stamp.caller if stamp is not None else None
            entries.append(Kernel(line.text, max(uptime, 0.0), datetime.fromtimestamp(wall, tz=UTC), caller))
            seen.setdefault((line.prefix, line.text), (uptime, wall))
            if own_uptime is None:
                # a printk stamp grows with every message, even within one report or one second
                # of a syslog clock: the lines that print none get microseconds of their own
                uptime, wall = uptime + 0.000011, wall + 0.000011
        else:
            entries.append(Prose(line.text))
    return Records(tuple(entries), next(iter(hosts), HOST))


# ---- stamps as each tool prints them ------------------------------------------------------


def printk(uptime: float) -> str:
    """The kernel's `[%5lu.%06lu]` (kernel/printk/printk.c print_time)."""
    seconds, micro = divmod(round(uptime * 1e6), 1000000)
    return f"[{seconds:5d}.{micro:06d}]"


def console(entry: Kernel) -> str:
    """The console's stamp: `[%5lu.%06lu]`, then `[%6s]` with CONFIG_PRINTK_CALLER
    (kernel/printk/printk.c info_print_prefix), then a space."""
    return printk(entry.uptime) + (f"[{entry.caller:>6}]" if entry.caller else "") + " "


def _milli(wall: datetime) -> str:
    return f"{wall.microsecond // 1000:03d}"


def _micro(wall: datetime) -> str:
    return f"{wall.microsecond:06d}"


def rfc3164(wall: datetime) -> str:
    return f"{wall:%b} {wall.day:2d} {wall:%H:%M:%S}"


def ctime(wall: datetime) -> str:
    """`dmesg -T`: strftime `%a %b %e %H:%M:%S %Y` (util-linux dmesg.c record_ctime)."""
    return f"{wall:%a %b} {wall.day:2d} {wall:%H:%M:%S %Y}"


def iso(wall: datetime, digits: int = 6, zone: str = "+00:00", comma: bool = False) -> str:
    fraction = f"{wall.microsecond:06d}{wall.microsecond % 7}00"[:digits] if digits else ""
    separator = "," if comma else "."
    return f"{wall:%Y-%m-%dT%H:%M:%S}" + (separator + fraction if digits else "") + zone


def _lines(prefix: Callable[[Kernel, int], str]) -> Callable[[Records], list[str]]:
    """Each kernel message behind its prefix; prose as it was."""

    def render(recs: Records) -> list[str]:
        out = []
        for index, entry in enumerate(recs.entries):
            out.append(prefix(entry, index) + entry.text if isinstance(entry, Kernel) else entry.text)
        return out

    return render


def _delta(recs: Records) -> dict[int, float]:
    """Seconds since the kernel message before (dmesg -d, journalctl -o short-delta)."""
    out, last = {}, None
    for index, entry in enumerate(recs.entries):
        if isinstance(entry, Kernel):
            out[index] = 0.0 if last is None else max(entry.uptime - last, 0.0)
            last = entry.uptime
    return out


def _dmesg_delta(recs: Records, before: str = "") -> list[str]:
    deltas = _delta(recs)
    return [
        f"[{printk(entry.uptime)[1:-1]} <{deltas[index]:12.6f}>] {before}{entry.text}"
        if isinstance(entry, Kernel)
        else entry.text
        for index, entry in enumerate(recs.entries)
    ]


def _journal_delta(recs: Records) -> list[str]:
    return _dmesg_delta(recs, f"{recs.host} kernel: ")


def _dmesg_reltime(recs: Records) -> list[str]:
    """`dmesg -H`/`-e`: `[Mar14 02:03]` when the minute changes, else `[  +0.000123]`."""
    out, minute, last = [], None, None
    for entry in recs.entries:
        if not isinstance(entry, Kernel):
            out.append(entry.text)
            continue
        this = entry.wall.replace(second=0, microsecond=0)
        if this != minute:
            out.append(f"[{entry.wall:%b}{entry.wall.day:2d} {entry.wall:%H:%M}] {entry.text}")
        else:
            delta = max(entry.uptime - (last or entry.uptime), 0.0)
            out.append(f"[  {delta:+8.6f}] " if delta < 10 else f"[ {delta:+9.6f}] ")
            out[-1] += entry.text
        minute, last = this, entry.uptime
    return out


# ---- exports where the message is a field -------------------------------------------------


def _json_lines(shape: Callable[[Records, Kernel, int], dict], newest_first: bool) -> Callable[[Records], list[str]]:
    def render(recs: Records) -> list[str]:
        rows = [
            json.dumps(shape(recs, entry, index))
            for index, entry in enumerate(recs.entries)
            if isinstance(entry, Kernel)
        ]
        return rows[::-1] if newest_first else rows

    return render


def _loki(recs: Records, entry: Kernel, index: int) -> dict:
    # `logcli query --output=jsonl`
    return {"labels": {"host": recs.host, "job": "kmsg"}, "line": entry.text, "timestamp": iso(entry.wall, 9, "Z")}


def _kibana(recs: Records, entry: Kernel, index: int) -> dict:
    return {
        "_index": "filebeat-2026.03.14",
        "_id": f"id{index}",
        "_source": {
            "@timestamp": iso(entry.wall, 3, "Z"),
            "host": {"name": recs.host},
            "log": {"file": {"path": "/var/log/kern.log"}},
            "message": f"{rfc3164(entry.wall)} {recs.host} kernel: {printk(entry.uptime)} {entry.text}",
        },
    }


def _journal_json(recs: Records, entry: Kernel, index: int) -> dict:
    return {
        "__REALTIME_TIMESTAMP": str(int(entry.wall.timestamp() * 1e6)),
        "__MONOTONIC_TIMESTAMP": str(int(entry.uptime * 1e6)),
        "_HOSTNAME": recs.host,
        "SYSLOG_IDENTIFIER": "kernel",
        "PRIORITY": "4",
        "_TRANSPORT": "kernel",
        "MESSAGE": entry.text,
    }


def _cloudwatch(recs: Records) -> list[str]:
    """`aws logs filter-log-events` (the CloudWatch agent ships /var/log/kern.log lines)."""
    events = [
        {
            "logStreamName": "i-0a1b2c3d4e5f/var/log/kern.log",
            "timestamp": int(entry.wall.timestamp() * 1000),
            "message": f"{rfc3164(entry.wall)} {recs.host} kernel: {printk(entry.uptime)} {entry.text}",
            "ingestionTime": int(entry.wall.timestamp() * 1000) + 812,
            "eventId": f"3760{index:052d}",
        }
        for index, entry in enumerate(recs.kernel)
    ]
    return json.dumps({"events": events, "searchedLogStreams": []}, indent=4).split("\n")


def _journal_json_pretty(recs: Records) -> list[str]:
    """`journalctl -o json-pretty`: one indented object per message, `"KEY" : "value"`."""
    out = []
    for index, entry in enumerate(recs.kernel):
        out.append("{")
        fields = list(_journal_json(recs, entry, index).items())
        for position, (key, value) in enumerate(fields):
            out.append(f"\t{json.dumps(key)} : {json.dumps(value)}" + ("," if position < len(fields) - 1 else ""))
        out.append("}")
    return out


def _csv_raw_first(recs: Records) -> list[str]:
    """A CSV export whose message column comes first (Splunk's `_raw`, then `_time` and the
    default fields)."""
    rows = ['"_raw","_time",host,index,source,sourcetype']
    for entry in recs.kernel:
        raw = f"{rfc3164(entry.wall)} {recs.host} kernel: {printk(entry.uptime)} {entry.text}".replace('"', '""')
        rows.append(f'"{raw}","{iso(entry.wall, 3, "+0000")}",{recs.host},main,/var/log/kern.log,syslog')
    return rows


def _newest_first(lines: Callable[[Records], list[str]]) -> Callable[[Records], list[str]]:
    """A tool or log platform listing the kernel's lines newest first (`journalctl -r`, Kibana
    Discover, Grafana Explore and CloudWatch Logs Insights sort by time descending)."""
    return lambda recs: lines(kernel_only(recs))[::-1]


def _csv(recs: Records) -> list[str]:
    """A log platform's CSV export (Kibana, Datadog): time, host, message; quotes doubled."""
    rows = ['"@timestamp","host.name","message"']
    for entry in recs.kernel:
        message = entry.text.replace('"', '""')
        rows.append(
            f'"{entry.wall:%b %d, %Y @ %H:%M:%S}.{entry.wall.microsecond // 1000:03d}","{recs.host}","{message}"'
        )
    return rows


# ---- what people and their clients do to the text afterwards ---------------------------------


def _join(lines: Sequence[str]) -> str:
    return "\n".join(lines) + "\n"


def _cut(width: int, indent: str = "") -> Callable[[list[str]], list[str]]:
    """A terminal or web page cutting every line at ``width`` columns (``indent`` before each
    continuation: a viewer with a hanging indent)."""

    def wrap(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            first, rest = line[:width], line[width:]
            out.append(first)
            step = width - len(indent)
            out.extend(indent + rest[i : i + step] for i in range(0, len(rest), step))
        return out

    return wrap


def _word_wrap(width: int, indent: str = "") -> Callable[[list[str]], list[str]]:
    """A mail reader or editor wrapping at a space before ``width`` columns."""

    def wrap(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            if len(line) <= width:
                out.append(line)
                continue
            out.extend(
                textwrap.wrap(
                    line,
                    width,
                    subsequent_indent=indent,
                    break_long_words=False,
                    break_on_hyphens=False,
                    drop_whitespace=True,
                    replace_whitespace=False,
                )
                or [line]
            )
        return out

    return wrap


_ANSI_SUBSYS = re.compile(r"^([^:]*?: )(?=\S)")


def _colour(line: str) -> str:
    """`dmesg --color=always` kept in a file: the stamp green, a subsystem prefix yellow."""
    match = re.match(r"(\[[^\]]*\] )(.*)", line)
    if not match:
        return line
    stamp, text = match.groups()
    text = _ANSI_SUBSYS.sub(lambda m: f"\x1b[33m{m.group(1)}\x1b[0m", text, count=1)
    return f"\x1b[32m{stamp}\x1b[0m{text}"


def _unexpand(line: str) -> str:
    """Runs of spaces that reach a tab stop as tabs (an editor's `unexpand -a`)."""
    out, column, spaces = [], 0, 0
    for char in line:
        if char == " ":
            spaces += 1
            column += 1
            if column % 8 == 0:
                out.append("\t" if spaces > 1 else " ")
                spaces = 0
            continue
        out.append(" " * spaces + char)
        spaces = 0
        column = column + 8 - column % 8 if char == "\t" else column + 1
    out.append(" " * spaces)
    return "".join(out)


def _nbsp(line: str) -> str:
    """A web page's `&nbsp;` kept by the copy: every space of a run after the first."""
    return re.sub(r"(?<= ) ", "\u00a0", line)


def _slack_fence(lines: list[str]) -> list[str]:
    """Slack's code block: the fences on the first and last lines of text themselves."""
    if not lines:
        return lines
    lines = list(lines)
    lines[0] = "```" + lines[0]
    lines[-1] = lines[-1] + "```"
    return lines


Format = Callable[[Records], str]


def _fmt(lines: Callable[[Records], list[str]], *after: Callable[[list[str]], list[str]]) -> Format:
    def render(recs: Records) -> str:
        out = lines(recs)
        for step in after:
            out = step(out)
        return _join(out)

    return render


def _each(change: Callable[[str], str]) -> Callable[[list[str]], list[str]]:
    return lambda lines: [change(line) for line in lines]


def _around(head: str, tail: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [head, *lines, tail]


def _host(prefix: Callable[[Records, Kernel], str]) -> Callable[[Records], list[str]]:
    def render(recs: Records) -> list[str]:
        return _lines(lambda entry, index: prefix(recs, entry))(recs)

    return render


def _text(transform: Callable[[str], str], lines: Callable[[Records], list[str]]) -> Format:
    return lambda recs: transform(_join(lines(recs)))


_dmesg = _lines(lambda e, i: console(e))
_syslog = _host(lambda r, e: f"{rfc3164(e.wall)} {r.host} kernel: ")
_kern_log = _host(lambda r, e: f"{rfc3164(e.wall)} {r.host} kernel: {printk(e.uptime)} ")

FORMATS: dict[str, Format] = {
    # the kernel's own prints
    "bare": _fmt(_lines(lambda e, i: "")),  # dmesg -t, journalctl -o cat, a person's copy without stamps
    "dmesg": _fmt(_dmesg),
    "dmesg-raw": _fmt(_lines(lambda e, i: "<4>" + printk(e.uptime) + " ")),  # dmesg -r, /proc/kmsg
    # a line whose case shows no caller id gets an interrupt-context one (`C0`): an invented task id
    # would name a pid the case does not show (the parser reads the task id on a report's first line
    # as the allocating task's pid, grammar.parse._caller_pid)
    "dmesg-caller-console": _fmt(_lines(lambda e, i: f"{printk(e.uptime)}[{e.caller or 'C0':>6}] ")),
    "dmesg-caller": _fmt(_lines(lambda e, i: f"{printk(e.uptime)} [{e.caller or 'C0':>6}] ")),  # util-linux dmesg
    "serial-crlf": _text(lambda t: t.replace("\n", "\r\n"), _dmesg),
    "serial-cr-crlf": _text(lambda t: t.replace("\n", "\r\r\n"), _dmesg),
    "serial-trailing-space": _fmt(_dmesg, _each(lambda line: line + "  " if line else line)),
    # util-linux dmesg options (dmesg.c print_record)
    "dmesg-T": _fmt(_lines(lambda e, i: f"[{ctime(e.wall)}] ")),
    "dmesg-x": _fmt(_lines(lambda e, i: f"kern  :warn  : {printk(e.uptime)} ")),
    "dmesg-x-T": _fmt(_lines(lambda e, i: f"kern  :warn  : [{ctime(e.wall)}] ")),
    "dmesg-iso": _fmt(_lines(lambda e, i: iso(e.wall, 6, "+00:00", comma=True) + " ")),
    "dmesg-delta": _fmt(_dmesg_delta),
    "dmesg-reltime": _fmt(_dmesg_reltime),
    "dmesg-color": _fmt(_dmesg, _each(_colour)),
    # syslog daemons
    "syslog": _fmt(_syslog),
    "kern.log": _fmt(_kern_log),
    "kern.log-nohost": _fmt(_lines(lambda e, i: f"{rfc3164(e.wall)} kernel: {printk(e.uptime)} ")),
    "syslog-rfc3164-wire": _fmt(_host(lambda r, e: f"<4>{rfc3164(e.wall)} {r.host} kernel: ")),
    "syslog-millis": _fmt(_host(lambda r, e: f"{rfc3164(e.wall)}.{e.wall.microsecond // 1000:03d} {r.host} kernel: ")),
    "syslog-rfc3339": _fmt(_host(lambda r, e: f"{iso(e.wall)} {r.host} kernel: ")),  # RSYSLOG_FileFormat
    "syslog-rfc5424": _fmt(_host(lambda r, e: f"<4>1 {iso(e.wall)} {r.host} kernel - - - ")),
    "syslog-rfc5424-sd": _fmt(
        _host(lambda r, e: f'<4>1 {iso(e.wall, 3, "Z")} {r.host} kernel - - [timeQuality tzKnown="1" isSynced="1"] ')
    ),
    # journalctl -o ...
    "journal-short": _fmt(_syslog),
    "journal-short-iso": _fmt(_host(lambda r, e: f"{iso(e.wall, 0, '+0000')} {r.host} kernel: ")),
    "journal-short-iso-colon": _fmt(_host(lambda r, e: f"{iso(e.wall, 0, '+00:00')} {r.host} kernel: ")),
    "journal-short-iso-precise": _fmt(_host(lambda r, e: f"{iso(e.wall, 6, '+00:00')} {r.host} kernel: ")),
    "journal-short-precise": _fmt(_host(lambda r, e: f"{rfc3164(e.wall)}.{_micro(e.wall)} {r.host} kernel: ")),
    "journal-short-monotonic": _fmt(_host(lambda r, e: f"{printk(e.uptime)} {r.host} kernel: ")),
    "journal-short-full": _fmt(_host(lambda r, e: f"{e.wall:%a %Y-%m-%d %H:%M:%S} UTC {r.host} kernel: ")),
    "journal-short-unix": _fmt(_host(lambda r, e: f"{e.wall.timestamp():.6f} {r.host} kernel: ")),
    "journal-short-delta": _fmt(_journal_delta),
    "journal-cat": _fmt(_lines(lambda e, i: "")),
    # containers: `kubectl logs --timestamps --prefix`, `docker logs -t`, compose
    "kubectl-timestamps": _fmt(_lines(lambda e, i: iso(e.wall, 9, "Z") + " " + printk(e.uptime) + " ")),
    "docker-logs-t": _fmt(_lines(lambda e, i: iso(e.wall, 9, "Z") + " ")),
    "kubectl-prefix": _fmt(_lines(lambda e, i: "[pod/kmsg-dump-x7k2q/kmsg] " + printk(e.uptime) + " ")),
    "kubectl-prefix-timestamps": _fmt(
        _lines(lambda e, i: "[pod/kmsg-dump-x7k2q/kmsg] " + iso(e.wall, 9, "Z") + " " + printk(e.uptime) + " ")
    ),
    "docker-compose": _fmt(_lines(lambda e, i: "kmsg-1  | " + printk(e.uptime) + " ")),
    # log platforms
    "loki-jsonl": _fmt(_json_lines(_loki, newest_first=True)),
    "logcli-default": _fmt(_host(lambda r, e: f'{iso(e.wall, 0, "Z")} {{host="{r.host}", job="kmsg"}} ')),
    "kibana-jsonl": _fmt(_json_lines(_kibana, newest_first=False)),
    "journal-json": _fmt(_json_lines(_journal_json, newest_first=False)),
    "journal-json-pretty": _fmt(_journal_json_pretty),
    "cloudwatch-json": _fmt(_cloudwatch),
    "cloudwatch-tail": _fmt(
        _host(lambda r, e: f"{iso(e.wall, 6, '+00:00')} i-0a1b2c3d4e5f {rfc3164(e.wall)} {r.host} kernel: ")
    ),
    "csv-export": _fmt(_csv),
    "csv-raw-first": _fmt(_csv_raw_first),
    # newest first, wall clocks only
    "journal-reverse": _fmt(_newest_first(_host(lambda r, e: f"{iso(e.wall, 0, '+0000')} {r.host} kernel: "))),
    "journal-reverse-short": _fmt(_newest_first(_syslog)),
    "grafana-explore-desc": _fmt(_newest_first(_lines(lambda e, i: f"{e.wall:%Y-%m-%d %H:%M:%S}.{_milli(e.wall)}\t"))),
    "cloudwatch-insights-desc": _fmt(
        _newest_first(
            _host(lambda r, e: f"{e.wall:%Y-%m-%d %H:%M:%S}.{_milli(e.wall)}\t{rfc3164(e.wall)} {r.host} kernel: ")
        )
    ),
    # chat, mail and web
    "markdown-fence": _fmt(_dmesg, _around("```", "```")),
    "markdown-fence-lang": _fmt(_syslog, _around("```text", "```")),
    "slack-fence": _fmt(_dmesg, _slack_fence),
    "slack-quote": _text(lambda t: html.escape(t, quote=False), _lines(lambda e, i: "> " + printk(e.uptime) + " ")),
    "markdown-quote": _fmt(_dmesg, _each(lambda line: "> " + line)),
    "html-escaped": _text(lambda t: html.escape(t, quote=False), _kern_log),
    "slack-html-fence": _text(lambda t: html.escape(t, quote=False), lambda r: _slack_fence(_syslog(r))),
    "mail-quote-twice": _fmt(_kern_log, _each(lambda line: "> > " + line)),
    "mail-quote-tight": _fmt(_kern_log, _each(lambda line: ">> " + line)),
    "mail-quote-wrapped-72": _fmt(_syslog, _word_wrap(70), _each(lambda line: "> " + line)),
    "web-nbsp": _fmt(_dmesg, _each(_nbsp)),
    "utf8-bom-crlf": _text(lambda t: "\ufeff" + t.replace("\n", "\r\n"), _dmesg),  # Windows Notepad
    "crlf": _text(lambda t: t.replace("\n", "\r\n"), _syslog),
    "tab-after-stamp": _fmt(_lines(lambda e, i: printk(e.uptime) + "\t")),
    "tabs-unexpanded": _fmt(_dmesg, _each(_unexpand)),
    # wrapped lines
    "cut-80": _fmt(_kern_log, _cut(80)),
    "cut-100": _fmt(_syslog, _cut(100)),
    "cut-120": _fmt(_dmesg, _cut(120)),
    "cut-80-indent": _fmt(_kern_log, _cut(80, "    ")),
    "cut-100-tab": _fmt(_dmesg, _cut(100, "\t")),
    "word-wrap-80": _fmt(_syslog, _word_wrap(80)),
    "word-wrap-100": _fmt(_dmesg, _word_wrap(100)),
    "word-wrap-120": _fmt(_kern_log, _word_wrap(120)),
    "word-wrap-80-indent": _fmt(_dmesg, _word_wrap(80, "  ")),
    "word-wrap-100-indent": _fmt(_syslog, _word_wrap(100, "        ")),
}


# Formats that hold the kernel's messages only: a person's prose is not part of an export.
EXPORTS = frozenset(
    {"loki-jsonl", "kibana-jsonl", "journal-json", "journal-json-pretty", "cloudwatch-json", "csv-export"}
    | {"journal-reverse", "journal-reverse-short", "grafana-explore-desc", "cloudwatch-insights-desc", "csv-raw-first"}
)
# Formats that list the messages newest first: their events come in the reverse of the case's order.
NEWEST_FIRST = frozenset(
    {"journal-reverse", "journal-reverse-short", "grafana-explore-desc", "cloudwatch-insights-desc"}
)


def kernel_only(recs: Records) -> Records:
    return Records(tuple(entry for entry in recs.entries if isinstance(entry, Kernel)), recs.host)


def render(name: str, recs: Records) -> str:
    return FORMATS[name](recs)


__all__ = ["EXPORTS", "FORMATS", "NEWEST_FIRST", "Kernel", "Prose", "Records", "kernel_only", "records", "render"]

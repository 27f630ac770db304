"""What a log prefix tells: host, wall-clock time, seconds since boot, printk caller id.

The prefixes themselves are defined once, in ``prefixes.lark``; their named groups (``*_host``,
``*_time``, ``*_uptime``, ``printk_caller``) are read here, so nothing above ``grammar/``
parses a prefix again. Seconds since boot stay seconds since boot: only a printed date and
clock become a :class:`~grammar.facts.WallTime`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

from .facts import NO_STAMP, Stamp, WallTime, quick_constructor
from .lexicon import prefix_groups

# strftime's `%b` in the locales people paste from (glibc localedata `abmon`, and `ab_alt_mon`
# where the two differ: ru `мая`/`май`), lower case, without the trailing dot (fr `févr.`).
_LOCALE_MONTHS = (
    "jan feb mar apr may jun jul aug sep oct nov dec",  # C, en
    "jan feb mär apr mai jun jul aug sep okt nov dez",  # de
    "janv févr mars avr mai juin juil août sept oct nov déc",  # fr
    "ene feb mar abr may jun jul ago sep oct nov dic",  # es
    "gen feb mar apr mag giu lug ago set ott nov dic",  # it
    "jan fev mar abr mai jun jul ago set out nov dez",  # pt
    "jan feb mrt apr mei jun jul aug sep okt nov dec",  # nl
    "sty lut mar kwi maj cze lip sie wrz paź lis gru",  # pl
    "янв фев мар апр мая июн июл авг сен окт ноя дек",  # ru
    "янв фев мар апр май июн июл авг сен окт ноя дек",  # ru (nominative)
    "січ лют бер кві тра чер лип сер вер жов лис гру",  # uk  # noqa: RUF001
)
_MONTHS = {name: index for names in _LOCALE_MONTHS for index, name in enumerate(names.split(), start=1)}
_MONTHS |= {"avril": 4, "sept": 9}  # fr before glibc 2.27; en_GB
_MONTHS |= {f"{index}月": index for index in range(1, 13)}  # zh, ja: `%b` is the month number
_SYSLOG_TIME = re.compile(
    r"(?P<mon>[^\W\d_]{3,5}|\d{1,2}月)\.? +(?P<day>\d{1,2}) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)"
    r"(?: (?P<year>\d{4}))?"
)
_ISO_TIME = re.compile(
    r"(?P<year>\d{4})-(?P<mon>\d\d)-(?P<day>\d\d)[T ](?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d(?:[.,]\d+)?)"
    r"(?P<tz>Z|[+\-]\d\d:?\d\d)?"
)
# `dmesg -T`: `Tue Mar 14 02:03:57 2026` (C locale); other locales keep only the printed text
_CTIME = re.compile(
    r"(?:[A-Z][a-z]{2} )?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<h>\d\d):(?P<m>\d\d):(?P<s>\d\d)"
    r" (?P<year>\d{4})$"
)


def _offset(tz: str | None) -> int | None:
    if not tz:
        return None
    if tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


@lru_cache(maxsize=1024)  # a log's lines within one second share the stamp text, not the prefix
def _wall(text: str, pattern: re.Pattern[str], numeric_month: bool) -> WallTime | None:
    match = pattern.match(text.strip())
    if match is None:
        return None
    month = int(match["mon"]) if numeric_month else _MONTHS.get(match["mon"].lower())
    if not month or not 1 <= month <= 12:
        return None
    groups = match.groupdict()
    return WallTime(
        text=text.strip(),
        year=int(groups["year"]) if groups.get("year") else None,
        month=month,
        day=int(match["day"]),
        hour=int(match["h"]),
        minute=int(match["m"]),
        second=float(match["s"].replace(",", ".")),
        utc_offset_s=_offset(groups.get("tz")),
    )


def _from_epoch(text: str) -> WallTime | None:
    """`journalctl -o short-unix`: seconds since 1970, a UTC time."""
    try:
        moment = datetime.fromtimestamp(float(text), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return WallTime(
        text=text,
        year=moment.year,
        month=moment.month,
        day=moment.day,
        hour=moment.hour,
        minute=moment.minute,
        second=moment.second + moment.microsecond / 1e6,
        utc_offset_s=0,
    )


@lru_cache(maxsize=4096)
def read_stamp(prefix: str) -> Stamp:
    """The :class:`Stamp` of one stripped log prefix (``NO_STAMP`` when it tells nothing)."""
    if not prefix:
        return NO_STAMP
    groups = prefix_groups(prefix)
    if not groups:
        return NO_STAMP
    host = None
    for name, value in groups.items():  # (the first host group: a loop, not next() of a generator)
        if name.endswith("_host"):
            host = value
            break
    time = None
    if "syslog_time" in groups:
        time = _wall(groups["syslog_time"], _SYSLOG_TIME, False)
    elif "iso_time" in groups or "vmware_time" in groups or "rfc5424_time" in groups or "full_time" in groups:
        iso_text = groups.get("iso_time") or groups.get("vmware_time") or groups.get("rfc5424_time")
        time = _wall(iso_text or groups["full_time"], _ISO_TIME, True)
    elif "unix_time" in groups:
        time = _from_epoch(groups["unix_time"])
    elif "clock_time" in groups:
        time = _wall(groups["clock_time"], _CTIME, False)
    uptime_text = groups.get("dmesg_uptime") or groups.get("cut_uptime")
    # (a kernel line's prefix is seldom read twice, its printk stamp being its own: made inline)
    return _stamp(host, time, float(uptime_text) if uptime_text else None, groups.get("printk_caller"))


_stamp = quick_constructor(Stamp)  # Stamp(host, time, uptime_s, caller), without its frozen __init__


# The program tag of the kernel's messages in a log prefix: syslog's and the journal's `kernel:`
# (`kernel[123]:`), `[kernel]`, `dmesg -x`'s facility `kern  :`.
_KERNEL_TAG = re.compile(r"(?<![\w.\-])kernel(\[\d+\])?:|\[kernel\]|(?<![\w.\-])kern\s*:")


def is_kernel_prefix(prefix: str) -> bool:
    """Whether a stripped log prefix marks its line as a kernel message: the kernel's program tag,
    or a printk stamp (seconds since boot), which only the kernel's records carry."""
    return bool(prefix) and (_KERNEL_TAG.search(prefix) is not None or read_stamp(prefix).uptime_s is not None)


def epoch(time: WallTime, reference: float) -> float | None:
    """Seconds since 1970 (UTC when the stamp names no zone). A stamp without a year (syslog)
    takes the year that puts it at or before ``reference`` (plus two days of clock skew)."""
    year = time.year or datetime.fromtimestamp(reference, tz=UTC).year
    moment = _moment(time, year)
    if time.year is None and moment is not None and moment > reference + 2 * 86400:
        moment = _moment(time, year - 1)
    return moment


def _moment(time: WallTime, year: int) -> float | None:
    try:
        whole = int(time.second)
        moment = datetime(year, time.month, time.day, time.hour, time.minute, whole, tzinfo=UTC)
    except ValueError:
        return None
    return moment.timestamp() + (time.second - whole) - (time.utc_offset_s or 0)

"""Facts from the text around a dump: command output, container tooling and kernel lines.

People paste `free -m`, `top`, `/proc/meminfo`, `swapon`, `vmstat`, `slabtop`, `kubectl
describe`, `docker inspect`/`stats` or `systemctl status` next to the kernel report. The syntax
of those lines is ``context.lark``; this module matches the normalised paste's lines with it and keeps each
recognised line as a :class:`ContextLine` (kind, fields, the paste line) in a frozen
:class:`ContextFacts`. Sizes are converted to kB here, once, with the unit the tool printed (or
the unit its command line asked for); a size whose unit cannot be told is left out rather than
guessed. ``knowledge`` reads these facts through ``knowledge.context``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from lark import Lark

from . import regexcache
from .derived import derived
from .facts import SourceLine
from .firstchars import beginning_with, first_chars, required
from .lexicon import _without_groups, alternation_text, ordered_terminals, terminal_grammar, terminal_matcher
from .literal import rarest, rarity
from .stamps import read_stamp

# Lines that only make sense after their header (a row of numbers alone could be anything)
_NEEDS_HEADER = {
    "VMSTAT_ROW": "VMSTAT_HEADER",
    "SLABTOP_ROW": "SLABTOP_SUMMARY",
    "TOP_ROW": "TOP_HEADER",
    "SWAP_ROW": "SWAPS_HEADER",
    "K8S_MEMORY": "K8S_SECTION",
}
_HEADER_REACH = 80  # lines after its header a row may appear


# (program, unit, host) of a syslog program tag: the unit systemd logs about, the host its prefix names
ProgramKey = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class ContextLine:
    """One recognised line around (or inside) the report."""

    kind: str  # the context.lark rule, e.g. "free_mem", "meminfo_field", "k8s_memory"
    values: Mapping[str, Any]  # fields; sizes already in kB (keys ending in `_kb`)
    line: SourceLine


@dataclass(frozen=True)
class ContextFacts:
    """Every context line of a paste, in order."""

    lines: tuple[ContextLine, ...] = ()
    # lines of a person's own words (``grammar.parse.prose_lines``): no log prefix, no kernel or
    # command line, the shape of a sentence; knowledge reads program names in them (the weakest
    # evidence of a workload, knowledge.surroundings ``named_programs``)
    prose: tuple[SourceLine, ...] = ()

    def of(self, *kinds: str) -> tuple[ContextLine, ...]:
        return tuple(c for c in self.lines if c.kind in kinds)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def tags_for_hosts(self, hosts: Collection[str]) -> ContextFacts:
        """These facts with the syslog program tags an event on one of ``hosts`` may read: the first
        line of each program (and unit) on each of those hosts, on no host, and on the other hosts
        together (an event reads its own host's tags, a host-less event the first of each program:
        knowledge.analysis ``named_workload``). :func:`read_context` keeps the first of each host,
        before the paste's events, and so their hosts, are known."""
        seen: set[ProgramKey] = set()
        kept = []
        for item in self.lines:
            if item.kind == "program_tag":
                key = local_key((item.values["program"], item.values.get("unit"), tag_host(item.line.prefix)), hosts)
                if key in seen:
                    continue
                seen.add(key)
            kept.append(item)
        return self if len(kept) == len(self.lines) else ContextFacts(tuple(kept), self.prose)


@cache
def context_lexer() -> Lark:
    """The LALR parser of ``context.lark`` (built once per process; only its terminals are used)."""
    return terminal_grammar("context.lark")


# How ``read_context`` tries one terminal (``_token``): its name, its pattern without groups
# (``lexicon._without_groups``; with them if that left one), the characters its matches can
# begin with (``grammar.firstchars``; None: any) and, for one that can begin with most (a
# lookahead for a word anywhere in the line, `(?=[^\n]*Modules linked in:)`), the literals of
# which every match holds one (``grammar.firstchars.required``; None: none known, or one shorter
# than three characters).
_Tried = tuple[str, str, frozenset[str] | None, tuple[str, ...] | None]
_MIN_LITERAL = 3
_MOST = 64  # first characters (of the 128 ASCII ones) from which a terminal is tried by its literals


def _tried(name: str, regexp: str) -> _Tried:
    lean = _without_groups(regexp)
    if regexcache.compile(lean).groups:
        lean = regexp
    first = first_chars(regexp)
    literals = None
    if first is None or len(first) > _MOST:
        found = required(regexp)
        if found and min(map(len, found)) >= _MIN_LITERAL:
            literals = tuple(sorted(found))
    return name, lean, first, literals


def _derive_terminals() -> tuple[str, dict[str, str], tuple[_Tried, ...]]:
    terminals = ordered_terminals(context_lexer())
    patterns = {t.name: t.pattern.to_regexp() for t in terminals}
    tried = tuple(_tried(name, regexp) for name, regexp in patterns.items())
    return alternation_text(terminals), patterns, tried


def _valid_terminals(value: Any) -> bool:
    text, patterns, tried = value
    return (
        isinstance(text, str)
        and all(isinstance(v, str) for v in patterns.values())
        and isinstance(tried, tuple)
        and len(tried) == len(patterns)
        and all(
            isinstance(name, str)
            and isinstance(lean, str)
            and (first is None or (isinstance(first, frozenset) and all(isinstance(c, str) for c in first)))
            and (literals is None or (isinstance(literals, tuple) and all(isinstance(t, str) for t in literals)))
            for name, lean, first, literals in tried
        )
    )


@cache
def _terminals() -> tuple[str, dict[str, str], tuple[_Tried, ...]]:
    """The text of ``_terminal_of_line``, each terminal's own pattern, and how ``_token`` tries
    each (``_Tried``), derived from ``context.lark`` (kept across processes, ``grammar.derived``:
    a start-up that has them does not load the grammar)."""
    return derived(
        "context",
        ("context.lark", "lexicon.py", "context_facts.py", "firstchars.py"),
        _derive_terminals,
        _valid_terminals,
    )


@cache
def _terminal_of_line() -> re.Pattern[str]:
    """The terminals of ``context.lark`` in the order its lexer tries them, as one group-free
    alternation (``lexicon.terminal_alternation``): its ``lastgroup`` is the token the lexer
    gives a line matched alone (every terminal ends at the line's end; the windows' screen asks
    it, ``grammar.screen``)."""
    return regexcache.compile(_terminals()[0])


# The terminals a line beginning with a character may be, in the order the lexer tries them:
# (name, its lean pattern's ``match``, the literals one of which the line must hold for it to be
# tried, or None) each; built when a line first begins with the character (``_token``).
_TOKEN_TRIES: dict[str, tuple[tuple[str, Callable[[str], re.Match[str] | None], tuple[str, ...] | None], ...]] = {}
_LEAN: dict[str, Callable[[str], re.Match[str] | None]] = {}


def _tries(char: str) -> tuple[tuple[str, Callable[[str], re.Match[str] | None], tuple[str, ...] | None], ...]:
    tries = beginning_with(char, _terminals()[2], _LEAN)
    # A last try of OTHER (the catch-all) is left out: reached, it gives OTHER whether it matches
    # or not, as ``_token`` does after the last try (a match call on each candidate line for
    # nothing).
    while tries and tries[-1][0] == "OTHER":
        tries = tries[:-1]
    _TOKEN_TRIES[char] = tries
    return tries


def _token(text: str) -> str:
    """The token the context lexer gives the line ``text`` (what ``_terminal_of_line`` matches
    first): the first terminal, in the lexer's order, that matches at the line's start, of those
    that can begin with its first character; a terminal that can begin with any is tried only
    when the line holds one of its literals. (One alternation of all of them read every candidate
    line once for each terminal opening with a lookahead for a word, and again for each of the
    words: 1.1M instructions for a peer example dump's 17 candidate lines.)"""
    line = text + "\n"
    first = line[0]
    for name, match, literals in _TOKEN_TRIES[first] if first in _TOKEN_TRIES else _tries(first):
        if literals is not None:
            for literal in literals:
                if literal in line:
                    break
            else:
                continue
        if match(line) is not None:
            return name
    return "OTHER"


@cache
def _matcher(terminal: str) -> Callable[[str], re.Match[str] | None]:
    return terminal_matcher(_terminals()[1][terminal])


# ------------------------------------------------------------------------------------ sizes
_BINARY = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KI": 1024,
    "KB": 1024,
    "KIB": 1024,
    "M": 1024**2,
    "MI": 1024**2,
    "MB": 1024**2,
    "MIB": 1024**2,
    "G": 1024**3,
    "GI": 1024**3,
    "GB": 1024**3,
    "GIB": 1024**3,
    "T": 1024**4,
    "TI": 1024**4,
    "TB": 1024**4,
    "TIB": 1024**4,
    "P": 1024**5,
    "PI": 1024**5,
    "E": 1024**6,
    "EI": 1024**6,
}
_SIZE = re.compile(r"^(\d+(?:[.,]\d+)?)([A-Za-z]*)$")


def size_kb(text: str | None, default_unit_bytes: int | None) -> int | None:
    """`15Gi` -> kB; a bare number uses ``default_unit_bytes`` (None: unknown, give up)."""
    if not text:
        return None
    match = _SIZE.match(text.strip())
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    suffix = match.group(2).upper()
    if suffix:
        factor = _BINARY.get(suffix)
        if factor is None:
            return None
    elif default_unit_bytes is None:
        return None
    else:
        factor = default_unit_bytes
    return int(number * factor / 1024)


def kubernetes_quantity_kb(text: str) -> int | None:
    """Kubernetes memory quantity (`512Mi`, `2G`, `1.5Gi`, `536870912`) -> kB."""
    match = re.match(r"^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E|m)?$", text)
    if not match:
        return None
    number = float(match.group(1))
    factor = {
        None: 1,
        "Ki": 1024,
        "Mi": 1024**2,
        "Gi": 1024**3,
        "Ti": 1024**4,
        "Pi": 1024**5,
        "Ei": 1024**6,
        "k": 1000,
        "K": 1000,
        "M": 1000**2,
        "G": 1000**3,
        "T": 1000**4,
        "P": 1000**5,
        "E": 1000**6,
        "m": 0.001,
    }[match.group(2)]
    return int(number * factor / 1024)


_FREE_FLAG_UNIT = {
    "-b": 1,
    "--bytes": 1,
    "-k": 1024,
    "--kilo": 1000,
    "--kibi": 1024,
    "-m": 1024**2,
    "--mega": 1000**2,
    "--mebi": 1024**2,
    "-g": 1024**3,
    "--giga": 1000**3,
    "--gibi": 1024**3,
}


def _free_unit(flags: str | None) -> int | None:
    """The unit `free` prints bare numbers in, from its flags (kB when none)."""
    unit: int | None = 1024
    for flag in (flags or "").split():
        if flag in _FREE_FLAG_UNIT:
            unit = _FREE_FLAG_UNIT[flag]
        elif flag in ("-h", "--human"):
            unit = None  # every figure carries its own suffix
    return unit


# ------------------------------------------------------------------------------------ reading
# A cheap screen before the lexer: a line can only be a context line when it holds one of these
# words, or follows (within _HEADER_REACH lines) a header whose rows hold only numbers. Kernel
# logs of 100,000 lines are mostly task rows and trace lines that never pass it.
_SCREEN_WORDS = (
    "Mem",
    "Swap",
    "total",
    "free",
    "emory",
    "Limits:",
    "Requests:",
    "OOMKilled",
    "oom-kill",
    "OOM killer",
    "vmalloc",
    "vmap",
    "KASAN",
    "kasan_",
    "kmemleak",
    "Modules linked in",
    "OOM request ignored",
    "NETDEV WATCHDOG",
    "annot alloc",
    "nable to allocate",
    "ENOMEM",
    "errno 12",
    "error -12",
    "Allocation of length",
    "Raspberry Pi ",
    "protection fault",
    "BUG: unable to handle",
    "BUG: kernel NULL pointer",
    "Unable to handle kernel",
    "Oops: ",
    "kernel BUG at ",
    "]:",
)
_SCREEN = re.compile("|".join(re.escape(word) for word in _SCREEN_WORDS))
_MEMINFO = re.compile(r"\s*[A-Z][A-Za-z_()0-9]*:\s+\d+(?: kB)?\s*$")
_HEADER_WORDS = ("PID", "swpd", "Active / Total Size", "Filename", "NAME", "CONTAINER ID", "Limits:", "Requests:")
_HEADER_SCREEN = re.compile("|".join(re.escape(word) for word in _HEADER_WORDS))
_HEADERS = re.compile(
    r"PID\s+USER|\bswpd\b|Active / Total Size|^\s*Filename\s+Type|^\s*NAME\s+TYPE|"
    r"CONTAINER ID|^\s*(?:Limits|Requests):\s*$"
)


def _anchors(words: tuple[str, ...]) -> dict[str, int]:
    """The character each of ``words`` is looked for at (its index): the word's rarest character
    in kernel reports (``grammar.literal.rarest``), unless another of its characters is already
    that of another word, so that the screen stops at fewer distinct characters: the rarest of
    those (`nable to allocate` at the `t` of `total` rather than at its own `b`; `protection
    fault` at the `f` of `free`). Repeated until no word moves; only the speed depends on it."""
    at = {word: rarest(word) for word in dict.fromkeys(words)}  # (each word once: `Limits:` is in both lists)
    moved = True
    while moved:
        moved = False
        for word in at:
            others = {other[index] for other, index in at.items() if other != word}
            if word[at[word]] in others:
                continue
            shared = [index for index, char in enumerate(word) if char in others]
            if shared:
                at[word] = max(shared, key=lambda index: (rarity(word[index]), -index))
                moved = True
    return at


def _any_word(words: tuple[str, ...]) -> str:
    """A pattern that ``search`` finds in a text exactly when one of ``words`` occurs in it: each
    word looked for at one of its characters (``_anchors``), the characters before it checked by
    a lookbehind (`y(?<=emory)`), the words grouped by that character (``I(?<=PI)|...``). The
    engine skips to the places that hold one of those characters and tries only their words
    there: by their first characters (`e`, `t`, `f`, `a`, `n`...) it stopped at most characters
    of every line (the screen below runs on every line: 64 -> 54 us for a peer example dump's
    lines); sharing the characters between words halves it again (1.04 -> 0.44 us a line)."""
    rests: dict[str, list[str]] = {}
    for word, at in _anchors(words).items():
        before = word[: at + 1]
        rests.setdefault(word[at], []).append(
            (f"(?<={re.escape(before)})" if len(before) > 1 else "") + re.escape(word[at + 1 :])
        )
    return "|".join(
        re.escape(char) + ("" if "" in ends else "(?:" + "|".join(ends) + ")") for char, ends in rests.items()
    )


# Either screen at once: most lines hold no word of either, and one search tells.
_ANY_SCREEN = re.compile(_any_word((*_HEADER_WORDS, *_SCREEN_WORDS)))


# ``_MEMINFO`` of a line that opens with a letter, as a search of the lines joined after a newline
# each: that letter is the pattern's capital (``\s*`` takes nothing before a letter) and a blank
# other than a newline is what ``\s`` takes in a line, which holds none.
_MEMINFO_LINE = re.compile(r"\n[A-Z][A-Za-z_()0-9]*:[^\S\n]+\d+(?: kB)?[^\S\n]*$", re.MULTILINE)


def _candidates(lines: list[Any]) -> list[Any]:
    """The lines (none holding a newline) the context lexer is asked about, in order: those that
    hold a word of either screen and are a header (``_HEADERS``: the lines up to
    ``_HEADER_REACH`` after it are candidates too) or hold a word of ``_SCREEN``, and those
    ``_MEMINFO`` takes whole when they open with a letter. The screen and ``_MEMINFO`` search the
    lines joined, each after a newline: no word and no match of theirs spans a newline, and a
    search per line spent more in its calls than in reading (most lines hold no word)."""
    if len(lines) < _JOINED_FROM:
        return _candidates_by_line(lines)
    texts = [line.text for line in lines]
    joined = "\n" + "\n".join(texts)  # (line ``index`` after the newline numbered ``index``)
    chosen: set[int] = set()
    headers = []
    search = _ANY_SCREEN.search
    found = search(joined)
    place = 0
    index = -1
    while found is not None:
        start = found.start()
        index += joined.count("\n", place, start)
        text = texts[index]
        if _HEADER_SCREEN.search(text) and _HEADERS.search(text):
            headers.append(index)
            chosen.add(index)
        elif _SCREEN.search(text):
            chosen.add(index)
        place = joined.find("\n", start)  # (the line's other words change nothing)
        if place < 0:
            break
        found = search(joined, place)
    place = 0
    index = -1
    for found in _MEMINFO_LINE.finditer(joined):
        start = found.start()
        index += joined.count("\n", place, start + 1)
        place = start + 1
        chosen.add(index)
    last = len(lines) - 1
    for header in headers:
        chosen.update(range(header + 1, min(header + _HEADER_REACH, last) + 1))
    return [lines[index] for index in sorted(chosen)]


# Lines from which ``_candidates`` searches them joined: below, the join and the sets cost more
# than the calls a line (the same lines either way).
_JOINED_FROM = 40


def _candidates_by_line(lines: list[Any]) -> list[Any]:
    """``_candidates``, one line at a time."""
    out = []
    reach = -1
    for index, line in enumerate(lines):
        text = line.text
        if _ANY_SCREEN.search(text) is None:
            if index <= reach or (text[:1].isalpha() and ":" in text and _MEMINFO.match(text)):
                out.append(line)
            continue
        if _HEADER_SCREEN.search(text) and _HEADERS.search(text):
            reach = index + _HEADER_REACH
            out.append(line)
        elif index <= reach or _SCREEN.search(text) or (text[:1].isalpha() and ":" in text and _MEMINFO.match(text)):
            out.append(line)
    return out


def tag_host(prefix: str) -> str | None:
    """The host a line's log prefix names (``grammar.stamps.read_stamp``, as an event's host is
    read), None when it names none."""
    return read_stamp(prefix.strip()).host if prefix else None


# the host of a program tag on a host no event of the paste is on (see local_key)
OTHER_HOST = ""


def local_key(key: ProgramKey, hosts: Collection[str]) -> ProgramKey:
    """``key`` as the events on ``hosts`` tell it from others: its host when it is one of them or
    none, else OTHER_HOST (no event reads those hosts' tags beyond the first of each program)."""
    host = key[2]
    return key if host is None or host in hosts else (key[0], key[1], OTHER_HOST)


def program_key(text: str, prefix: str = "") -> ProgramKey | None:
    """(program, unit, host) of the syslog program tag ``text`` (a normalised line) starts with,
    when context.lark's PROGRAM_TAG matches it; ``prefix`` is the log prefix stripped from it.
    :func:`read_context` keeps the first line of each key (of each host: in a log of several hosts
    an event reads only its own host's tags, knowledge.analysis ``named_workload``); it reads the
    line as a tag when no other context terminal takes it (``grammar.screen.context_screen_but``)."""
    if "]:" not in text:  # (a word of _SCREEN: such a line is always a candidate)
        return None
    tag = _matcher("PROGRAM_TAG")(text)
    return None if tag is None else (tag["pt_program"], tag["pt_unit"], tag_host(prefix))


def read_context(lines: Iterable[Any]) -> ContextFacts:
    """Context facts of normalised lines (objects with ``number``, ``text``, ``prefix``).

    Never raises: a line the lexer cannot take is skipped.
    """
    lines = _candidates([line for line in lines if line.text and "\n" not in line.text])
    if not lines:
        return ContextFacts()
    tokens = [_token(line.text) for line in lines]
    out: list[ContextLine] = []
    last_header: dict[str, int] = {}
    free_unit: int | None = 1024
    free_unit_known = False
    swaps_human = False
    k8s_section = None
    programs: set[ProgramKey] = set()
    for line, terminal in zip(lines, tokens, strict=False):
        if terminal == "OTHER":
            continue
        header = _NEEDS_HEADER.get(terminal)
        if header is not None and line.number - last_header.get(header, -(10**9)) > _HEADER_REACH:
            continue
        match = _matcher(terminal)(line.text)
        if match is None:
            continue
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        source = SourceLine(line.number, line.text, getattr(line, "prefix", ""))
        values: dict[str, Any] = {}
        kind = terminal.lower()
        if terminal in ("VMSTAT_HEADER", "SLABTOP_SUMMARY", "TOP_HEADER", "SWAPS_HEADER", "K8S_SECTION"):
            last_header[terminal] = line.number
        if terminal == "FREE_COMMAND":
            free_unit, free_unit_known = _free_unit(groups.get("free_flags")), True
            values["flags"] = (groups.get("free_flags") or "").strip()
        elif terminal == "FREE_HEADER":
            if not free_unit_known:
                free_unit = 1024  # `free` with no command shown prints kB unless a suffix says otherwise
        elif terminal in ("FREE_MEM", "FREE_SWAP"):
            prefix = "fm_" if terminal == "FREE_MEM" else "fsw_"
            unit = free_unit if free_unit_known else None
            for name in ("total", "used", "free", "cache", "avail"):
                kb = size_kb(groups.get(prefix + name), unit)
                if kb is not None:
                    values[name + "_kb"] = kb
            if "total_kb" not in values:
                values["raw_total"] = groups.get(prefix + "total")  # unit unknown: knowledge may resolve it
                values["raw_used"] = groups.get(prefix + "used")
                values["raw_free"] = groups.get(prefix + "free")
        elif terminal == "MEMINFO_FIELD":
            values["key"] = groups["mi_key"]
            value = int(groups["mi_value"])
            values["kb" if groups.get("mi_unit") else "value"] = value
        elif terminal == "SWAPS_HEADER":
            swaps_human = groups.get("sw_header", "").startswith("NAME")
        elif terminal == "SWAP_ROW":
            unit = None if swaps_human else 1024  # /proc/swaps prints kB; swapon --show human sizes
            values["name"] = groups["sw_name"]
            values["type"] = groups["sw_type"]
            for name in ("size", "used"):
                kb = size_kb(groups.get("sw_" + name), unit)
                if kb is None and swaps_human:
                    kb = size_kb(groups.get("sw_" + name), 1)  # swapon --bytes
                if kb is not None:
                    values[name + "_kb"] = kb
        elif terminal in ("TOP_MEM", "TOP_SWAP"):
            p = "tm_" if terminal == "TOP_MEM" else "ts_"
            if groups.get(p + "unit"):
                factor = _BINARY[groups[p + "unit"].upper()]
                for name in ("total", "free", "used"):
                    values[name + "_kb"] = int(float(groups[p + name]) * factor / 1024)
            else:
                for name in ("total", "free", "used"):
                    values[name + "_kb"] = int(groups[p + name + "_k"])
        elif terminal == "TOP_ROW":
            values.update(
                pid=int(groups["tr_pid"]),
                user=groups["tr_user"],
                command=groups["tr_command"].strip(),
                mem_percent=float(groups["tr_mem"]),
            )
            res = groups["tr_res"]
            values["res_kb"] = size_kb(res.upper(), 1024) if res[-1:].isalpha() else int(float(res))
        elif terminal == "VMSTAT_ROW":
            values.update(
                swpd_kb=int(groups["vm_swpd"]),
                free_kb=int(groups["vm_free"]),
                si=int(groups["vm_si"]),
                so=int(groups["vm_so"]),
            )
        elif terminal == "SLABTOP_SUMMARY":
            values.update(active_kb=int(float(groups["st_active"])), total_kb=int(float(groups["st_total"])))
        elif terminal == "SLABTOP_ROW":
            values.update(name=groups["sr_name"], objects=int(groups["sr_objs"]), size_kb=int(groups["sr_size"]))
        elif terminal == "K8S_SECTION":
            k8s_section = groups["k8s_section"].lower()
            values["section"] = k8s_section
        elif terminal == "K8S_MEMORY":
            kb = kubernetes_quantity_kb(groups["k8s_memory"])
            if kb is None:
                continue
            values.update(section=k8s_section, kb=kb, quantity=groups["k8s_memory"])
        elif terminal == "K8S_OOMKILLED":
            values["oom_killed"] = True
        elif terminal == "DOCKER_OOMKILLED":
            values["oom_killed"] = groups["do_value"] == "true"
        elif terminal == "DOCKER_MEMORY":
            number = int(groups["dm_value"])
            values.update(key=groups["dm_key"], kb=number // 1024 if number > 0 else number)
        elif terminal == "DOCKER_STATS_ROW":
            values.update(
                name=groups["ds_name"],
                usage_kb=size_kb(groups["ds_usage"], None),
                limit_kb=size_kb(groups["ds_limit"], None),
                percent=float(groups["ds_pct"]),
            )
        elif terminal == "SYSTEMD_MEMORY":
            values["current_kb"] = size_kb(groups["sd_current"], 1)
            for key, value in re.findall(
                r"(high|max|swap max|available|peak|limit|min|low):[ \t]*([\d.]+[BKMGTP]?)", groups.get("sd_limits", "")
            ):
                kb = size_kb(value, 1)
                if kb is not None:
                    values[key.replace(" ", "_") + "_kb"] = kb
        elif terminal == "SYSTEMD_PROPERTY":
            raw = groups["sp_value"]
            values.update(
                key=groups["sp_key"], raw=raw, kb=None if raw in ("infinity", "[not set]") else size_kb(raw, 1)
            )
        elif terminal == "SYSTEMD_OOM":
            values["text"] = groups["so_text"]
            if groups.get("so_unit"):
                values["unit"] = groups["so_unit"]
        elif terminal == "PROGRAM_TAG":
            # the first line of each program (and unit) on each host: a big syslog holds thousands
            # of each, and a log of several hosts the same programs on each of them
            key = (groups["pt_program"], groups.get("pt_unit"), tag_host(source.prefix))
            if key in programs:
                continue
            programs.add(key)
            values.update(program=groups["pt_program"], pid=int(groups["pt_pid"]))
            if groups.get("pt_unit"):
                values["unit"] = groups["pt_unit"]
        elif terminal == "VMALLOC_FAILURE":
            values["text"] = groups["vf_text"].strip()
            size = groups.get("vf_size") or groups.get("vf_bytes") or groups.get("vf_err_size")
            if size:
                values["bytes"] = int(size)
        elif terminal == "KASAN":
            values["text"] = groups["ka_text"].strip()
        elif terminal == "KMEMLEAK":
            values["text"] = groups["km_text"].strip()
        elif terminal == "SYSRQ_IGNORED":
            values["text"] = groups["si_text"].strip()
            values["killer_disabled_wording"] = bool(groups.get("si_disabled"))
        elif terminal == "NETDEV_WATCHDOG":
            text = groups["nw_text"].strip()
            values["text"] = "NETDEV WATCHDOG: " + text
            # the driver: `eth0 (virtio_net): ...` before 6.9, the netdev_crit() prefix's first word after
            named = re.match(r"\S+ \(([\w-]+)\)", text)
            before = (groups.get("nw_before") or "").split()
            driver = named.group(1) if named else (before[-3] if len(before) >= 3 else None)
            if driver:
                values["driver"] = driver.replace("-", "_")
        elif terminal == "ALLOC_GAVE_UP":
            values["text"] = groups["ag_text"].strip()
        elif terminal == "BOARD_MODEL":
            values["model"] = groups["bm_model"]
        elif terminal == "KERNEL_OOPS":
            values["text"] = groups["ko_text"].strip()
        elif terminal == "MODULES":
            # `zfs(PO)`: the name and the taint flags print_modules() shows for an out-of-tree,
            # proprietary or unsigned module
            words = (
                re.match(r"([A-Za-z0-9_-]+)(?:\(([A-Z+-]+)\))?", word) for word in groups.get("mod_list", "").split()
            )
            values["modules"] = tuple(m.group(1) for m in words if m)
            words = (
                re.match(r"([A-Za-z0-9_-]+)(?:\(([A-Z+-]+)\))?", word) for word in groups.get("mod_list", "").split()
            )
            values["flags"] = MappingProxyType({m.group(1): m.group(2) for m in words if m and m.group(2)})
        out.append(ContextLine(kind, MappingProxyType(values), source))
    return ContextFacts(tuple(out))

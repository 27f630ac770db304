"""Whether a normalised line is OTHER to a grammar, decided exactly and, for most lines, cheaply.

A line that no terminal of a grammar matches is the slowest to classify: every terminal is
tried. Most terminals cannot match a line that lacks a certain literal (``invoked oom-killer``,
``Killed process``, ``Modules linked in:``), which one automaton pass finds or rules out. The
literals are read from the compiled terminals of the ``.lark`` files themselves (never written
here): for each terminal, a set of strings of which every match holds one (``required``). The
terminals without such a set are tried one by one with their own patterns; anchored at the
line's start, they fail within a few characters on a line they do not describe. When a literal
is present or such a terminal matches, the grammar's own classification decides. So the answer
is always the grammar's; only the work differs.

``grammar.windows`` asks it for the lines at the end of a window of a big log (issue 12).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from re import _constants as _sre_constants
from re import _parser as _sre_parse
from typing import Any

from ahocorasick_rs import BytesAhoCorasick

from . import regexcache
from .context_facts import _terminal_of_line, context_lexer
from .derived import derived
from .firstchars import required
from .lexicon import OTHER, classify, oom_line_parser, ordered_terminals

# A literal shorter than this (a space, a colon) is in almost every line: a terminal whose
# literals are all that short is tried with its own pattern instead.
MIN_LITERAL = 3

_LITERAL = _sre_constants.LITERAL
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT, _sre_constants.POSSESSIVE_REPEAT)
_ATOMIC = _sre_constants.ATOMIC_GROUP
_IN = _sre_constants.IN
_ANY_CHAR = (_sre_constants.NOT_LITERAL, _sre_constants.ANY, _sre_constants.GROUPREF)
_ZERO_WIDTH = (_sre_constants.AT, _sre_constants.ASSERT, _sre_constants.ASSERT_NOT)
# What \d, \w and \s match among the ASCII characters (in a str pattern; other characters are
# not looked up: a line starting with one is tried with every pattern)
_CATEGORY_ASCII = {
    _sre_constants.CATEGORY_DIGIT: frozenset("0123456789"),
    _sre_constants.CATEGORY_WORD: frozenset(c for c in map(chr, range(128)) if c.isalnum() or c == "_"),
    _sre_constants.CATEGORY_SPACE: frozenset(c for c in map(chr, range(128)) if c.isspace()),
}


def first_characters(regexp: str) -> frozenset[str] | None:
    """The ASCII characters a match of ``regexp`` can start with, or None when it could start
    with any (or match nothing at all)."""
    parsed = _sre_parse.parse(regexp)
    if parsed.state.flags & re.IGNORECASE:
        return None
    found, empty = _first(list(parsed))
    return None if found is None or empty else frozenset(found)


def _first(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """(first characters, whether the sequence can match the empty string)."""
    out: set[str] = set()
    for op, value in items:
        found, empty = _first_item(op, value)
        if found is None:
            return None, True
        out |= found
        if not empty:
            return out, False
    return out, True


def _first_item(op: Any, value: Any) -> tuple[set[str] | None, bool]:
    if op is _LITERAL:
        return {chr(value)}, False
    if op in _ZERO_WIDTH:
        return set(), True  # (a lookahead is skipped: the characters after it are counted instead)
    if op is _IN:
        chars: set[str] = set()
        for kind, item in value:
            if kind is _LITERAL:
                chars.add(chr(item))
            elif kind is _sre_constants.RANGE:
                low, high = item
                chars.update(map(chr, range(low, min(high, 127) + 1)))
            elif kind is _sre_constants.CATEGORY and item in _CATEGORY_ASCII:
                chars |= _CATEGORY_ASCII[item]
            else:  # a negated set, another category
                return None, True
        return chars, False
    if op is _SUBPATTERN:
        _group, add_flags, _del_flags, sub = value
        return (None, True) if add_flags & re.IGNORECASE else _first(list(sub))
    if op is _ATOMIC:
        return _first(list(value))
    if op in _REPEATS:
        low, _high, sub = value
        found, empty = _first(list(sub))
        return found, empty or low == 0
    if op is _BRANCH:
        union: set[str] = set()
        any_empty = False
        for branch in value[1]:
            found, empty = _first(list(branch))
            if found is None:
                return None, True
            union |= found
            any_empty = any_empty or empty
        return union, any_empty
    return None, True  # (op in _ANY_CHAR and whatever else: any character)


# What the screen reads of each terminal of a grammar, in the order given: its pattern, the
# characters a match can start with (``first_characters``; None: any) and the literals of which
# every match holds one (``required``, without the newline the terminals end with; None when
# there are none, or one is shorter than MIN_LITERAL). Marshal data, derived from the grammar
# files alone, so kept across processes (``grammar.derived``): deriving it parses every
# terminal's pattern twice in pure Python, and the context grammar need not be loaded at all
# (about 60 ms of a big log's start-up, issue 12).
Described = tuple[tuple[str, str | None, tuple[str, ...] | None], ...]


def describe(regexps: list[str]) -> Described:
    out = []
    for regexp in regexps:
        first = first_characters(regexp)
        found = required(regexp)
        if found:  # (looked for in the text without the newline the terminals end with)
            found = frozenset(text.removesuffix("\n") for text in found)
        literals = tuple(sorted(found)) if found and min(len(text) for text in found) >= MIN_LITERAL else None
        out.append((regexp, None if first is None else "".join(sorted(first)), literals))
    return tuple(out)


def _valid_described(value: Any) -> bool:
    return isinstance(value, tuple) and all(
        isinstance(item, tuple)
        and len(item) == 3
        and isinstance(item[0], str)
        and (item[1] is None or isinstance(item[1], str))
        and (item[2] is None or (isinstance(item[2], tuple) and all(isinstance(text, str) for text in item[2])))
        for item in value
    )


def _described(name: str, regexps: Callable[[], list[str]]) -> Described:
    return derived(
        f"screen-{name}",
        ("oom.lark", "context.lark", "lexicon.py", "context_facts.py", "screen.py", "firstchars.py"),
        lambda: describe(regexps()),
        _valid_described,
    )


class OtherScreen:
    """``is_other(text)``: every grammar given classifies the normalised line ``text`` as OTHER.

    ``grammars`` are pairs (terminals other than OTHER, the grammar's own test that a text is
    OTHER to it). A terminal is tried with its own pattern only when the text starts with a
    character its matches can start with and holds one of its literals (``required``); the
    grammars' own tests decide when one matches."""

    def __init__(self, grammars: list[tuple[Described, Callable[[str], bool]]]) -> None:
        self.patterns: list[tuple[re.Pattern[str], frozenset[str] | None]] = []
        owners: dict[str, list[int]] = {}
        free: list[int] = []  # the terminals without literals
        for described, _exact in grammars:
            for regexp, first, needed in described:
                index = len(self.patterns)
                self.patterns.append((regexcache.compile(regexp), None if first is None else frozenset(first)))
                if needed:
                    for text in needed:
                        owners.setdefault(text, []).append(index)
                else:
                    free.append(index)
        literals = sorted(owners)
        self.automaton = BytesAhoCorasick([text.encode() for text in literals]) if literals else None
        self.owners = [tuple(owners[text]) for text in literals]
        # the free terminals' matchers that a text starting with each ASCII character may match
        self.free_by_first = {
            chr(code): tuple(self.patterns[i][0].match for i in free if self._may_start(i, chr(code)))
            for code in range(128)
        }
        self.free = tuple(self.patterns[i][0].match for i in free)
        self.exact = tuple(exact for _, exact in grammars)

    def _may_start(self, index: int, character: str) -> bool:
        first = self.patterns[index][1]
        return first is None or character in first or not character.isascii()

    def _owned_match(self, text: str, line: str, raw: bytes | None) -> bool:
        """Some terminal with a literal in the line matches it."""
        if self.automaton is None:
            return False
        haystack = raw if raw is not None else text.encode("utf-8", "surrogatepass")
        hits = self.automaton.find_matches_as_indexes(haystack, overlapping=True)
        if not hits:
            return False
        tried: set[int] = set()
        for literal, _start, _end in hits:
            for index in self.owners[literal]:
                if index not in tried:
                    tried.add(index)
                    if self._may_start(index, text[0]) and self.patterns[index][0].match(line) is not None:
                        return True
        return False

    def is_other(self, text: str, raw: bytes | None = None) -> bool:
        """``raw``: the physical line ``text`` was read from (its UTF-8 bytes, holding ``text``
        whole), when at hand."""
        if text:
            line = text + "\n"  # what the terminals are matched against
            for match in self.free_by_first.get(text[0], self.free):
                if match(line) is not None:
                    break
            else:
                if not self._owned_match(text, line, raw):
                    return True
        return all(exact(text) for exact in self.exact)


def _oom_other(text: str) -> bool:
    return classify(text) == OTHER


def _context_other(text: str) -> bool:
    match = _terminal_of_line().match(text + "\n")  # as read_context tokenizes a line
    return match is None or (match.lastgroup or OTHER) == OTHER


def _oom_regexps() -> list[str]:
    return [t.pattern.to_regexp() for t in ordered_terminals(oom_line_parser()) if t.name != OTHER]


def _context_regexps(but: str = OTHER) -> list[str]:
    return [t.pattern.to_regexp() for t in ordered_terminals(context_lexer()) if t.name not in (OTHER, but)]


@cache
def _oom() -> Described:
    return _described("oom", _oom_regexps)


@cache
def _context() -> Described:
    return _described("context", _context_regexps)


@cache
def oom_screen() -> OtherScreen:
    """OTHER to ``oom.lark`` (``lexicon.classify``)."""
    return OtherScreen([(_oom(), _oom_other)])


@cache
def context_screen() -> OtherScreen:
    """OTHER to ``context.lark`` (the token ``context_facts.read_context`` gives the line)."""
    return OtherScreen([(_context(), _context_other)])


@cache
def _context_but(terminal: str) -> tuple[Described, Callable[[str], bool]]:
    def exact(text: str) -> bool:
        match = _terminal_of_line().match(text + "\n")
        return match is None or (match.lastgroup or OTHER) in (OTHER, terminal)

    return _described(f"context-but-{terminal}", lambda: _context_regexps(terminal)), exact


@cache
def context_screen_but(terminal: str) -> OtherScreen:
    """The token ``context_facts.read_context`` gives the line is OTHER or ``terminal``."""
    return OtherScreen([_context_but(terminal)])


@cache
def oom_and_context_but(terminal: str) -> OtherScreen:
    """``oom_screen`` and ``context_screen_but(terminal)`` in one: one pass of one automaton over
    the line, one loop over the terminals without literals (the end-of-window trim asks both of
    most lines it reads, issue 12)."""
    return OtherScreen([(_oom(), _oom_other), _context_but(terminal)])


@cache
def _both() -> OtherScreen:
    return OtherScreen([(_oom(), _oom_other), (_context(), _context_other)])


def both_screen() -> OtherScreen:
    """``oom_screen`` and ``context_screen`` in one (``is_other``)."""
    return _both()


def is_other(text: str, raw: bytes | None = None) -> bool:
    """OTHER to both grammars: the line opens, continues and explains no report. ``raw``: the
    physical line (bytes) ``text`` was read from, when at hand."""
    return _both().is_other(text, raw)

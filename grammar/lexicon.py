"""Loads the grammar files once per process and exposes what the other modules need from them.

``oom.lark`` is parsed with Lark's LALR parser. Its terminals, joined into one pattern in the
order Lark's basic lexer tries them and compiled once, classify each line exactly once: the
normaliser asks which terminal a line is (to tell a wrapped fragment from a whole line), and
the match it gets also gives the line's named fields. The LALR parser then reads those lines as
its tokens (``_LineLexer``) and the Transformer builds each record from the fields already
taken, so no line is matched again. ``prefixes.lark`` supplies the log prefixes the normaliser
strips.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # type: ignore[import-not-found]  # a parsed pattern's first characters
import re._parser as sre_parser  # type: ignore[import-not-found]
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any, NamedTuple

from lark import Lark, Token, Transformer
from lark.lexer import Lexer, LexerState

OTHER = "OTHER"


def _plugins() -> dict[str, type]:
    # lark-cython: the same LALR tables and lexer in compiled code, for ``oom_parser`` (Lark's own
    # lexer). The line parser (``oom_line_parser``) drives its LALR parser with its own token
    # stream (``_line_plugins``).
    try:
        import lark_cython  # type: ignore[import-untyped]
    except ImportError:
        return {}
    return dict(lark_cython.plugins)


@cache
def _line_plugins() -> dict[str, type]:
    """lark-cython's LALR parser for the line parser, fed the classified lines by
    ``_CythonLineThread`` (lark-cython 0.0.17's own LexerThread reads only text, and its parser
    takes only its own Token class). Measured on OOMAnalyser's example dumps: the parse with
    the Transformer took 0.77 ms per dump against 0.93 with Lark's Python parser. Empty without
    the ``[fast]`` extra: Lark's Python parser then reads the same tokens (``_LineLexer``)."""
    try:
        import lark_cython
    except ImportError:
        return {}

    class CythonLineToken(lark_cython.Token):  # type: ignore[misc]
        """``LineToken`` for lark-cython: a whole line, with the fields its classification matched."""

        __slots__ = ("values",)

    class _CythonLineThread:
        """The token stream lark-cython's parser pulls from (``next_token``, ``EOFError`` at the end)."""

        def __init__(self, lines: Iterable[tuple[str, Classified | None]]) -> None:
            self._tokens = self._lex(lines)

        @staticmethod
        def _lex(lines: Iterable[tuple[str, Classified | None]]) -> Iterator[Any]:
            for text, classified in lines:
                if classified is None:
                    classified = classify_fields(text)
                token = CythonLineToken(classified.kind, text + "\n")
                token.values = classified.values
                yield token

        @classmethod
        def from_custom_input(cls, lexer: Any, lines: Iterable[tuple[str, Classified | None]]) -> _CythonLineThread:
            return cls(lines)

        def next_token(self, *_state: Any) -> Any:
            for token in self._tokens:
                return token
            raise EOFError

    return dict(lark_cython.plugins, LexerThread=_CythonLineThread)


@cache
def oom_parser() -> Lark:
    """The LALR parser for normalised dump text with Lark's own lexer, building a tree (tests and
    a fallback use it; built on first use, cached on disk)."""
    return Lark.open_from_package(
        "grammar", "oom.lark", ("",), parser="lalr", lexer="basic", cache=True, _plugins=_plugins()
    )


@cache
def _prefix_grammar() -> Lark:
    return Lark.open_from_package("grammar", "prefixes.lark", ("",), parser="lalr", lexer="basic", cache=True)


def _ordered_terminals(parser: Lark) -> list[Any]:
    # The order Lark's basic lexer tries terminals in: priority, then the longer pattern.
    terminals = [t for t in parser.terminals if t.pattern.type == "re" or t.pattern.type == "str"]
    terminals.sort(key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name))
    return terminals


class Classified(NamedTuple):
    """What one line is: the terminal it matches and the values of that terminal's named groups
    (in the order of ``group_names(kind)``; ``()`` for OTHER)."""

    kind: str
    values: tuple[str | None, ...]


_OTHER = Classified(OTHER, ())
_GROUP_NAME = re.compile(r"\(\?P<(\w+)>")


# ---- trying only the terminals a line's first character can begin ---------------------------
# Python's regex engine tries the alternatives of a pattern in turn, and enters each named group
# (every terminal is one) before it compares a character: a line pays for every terminal ahead
# of the one it matches. ``_ByFirstChar`` keeps, for a first character seen often, a pattern of
# only the terminals whose match can begin with it, in the same order, so the first that matches
# is the same terminal with the same groups. Measured on OOMAnalyser's example dumps: classifying
# 1.00 -> 0.66 ms per dump, log prefixes 0.51 -> 0.32 ms. Such a pattern costs milliseconds to
# compile (about 5 ms for the classifier's, 1 ms for the prefixes'; a line gains about 2 and
# 1 us), so a character gets its own only once it has begun that many lines in the process
# (``compile_after``); until then, and for a usual paste in a fresh process, the whole pattern
# is used. A long-running bot reaches the compiled patterns for every frequent character.
_TRACKED_CHARACTERS = 4096  # junk input cannot grow the counts without bound
_CATEGORIES = {
    sre_constants.CATEGORY_DIGIT: r"\d",
    sre_constants.CATEGORY_NOT_DIGIT: r"\D",
    sre_constants.CATEGORY_SPACE: r"\s",
    sre_constants.CATEGORY_NOT_SPACE: r"\S",
    sre_constants.CATEGORY_WORD: r"\w",
    sre_constants.CATEGORY_NOT_WORD: r"\W",
}


def _first_of_sequence(items: Any) -> tuple[list[str] | None, bool]:
    """The character classes a match of a parsed sequence can begin with (None: any) and
    whether the sequence can match the empty string."""
    classes: list[str] = []
    for op, argument in items:
        first, nullable = _first_of_item(op, argument)
        if first is None:
            return None, False
        classes += first
        if not nullable:
            return classes, False
    return classes, True


def _first_of_item(op: Any, argument: Any) -> tuple[list[str] | None, bool]:
    c = sre_constants
    if op is c.LITERAL:
        return [re.escape(chr(argument))], False
    if op is c.NOT_LITERAL:
        return ["[^" + re.escape(chr(argument)) + "]"], False
    if op is c.ANY:
        return [r"[^\n]"], False  # no DOTALL: the caller refuses patterns with flags
    if op is c.IN:
        parts, negate = [], False
        for item, value in argument:
            if item is c.NEGATE:
                negate = True
            elif item is c.LITERAL:
                parts.append(re.escape(chr(value)))
            elif item is c.RANGE:
                parts.append(re.escape(chr(value[0])) + "-" + re.escape(chr(value[1])))
            elif item is c.CATEGORY and value in _CATEGORIES:
                parts.append(_CATEGORIES[value])
            else:
                return None, False
        return ["[" + ("^" if negate else "") + "".join(parts) + "]"], False
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, sequence = argument
        return (None, False) if add_flags or del_flags else _first_of_sequence(sequence)
    if op is c.ATOMIC_GROUP:
        return _first_of_sequence(argument)
    if op is c.BRANCH:
        classes: list[str] = []
        any_nullable = False
        for sequence in argument[1]:
            first, nullable = _first_of_sequence(sequence)
            if first is None:
                return None, False
            classes += first
            any_nullable = any_nullable or nullable
        return classes, any_nullable
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _high, sequence = argument
        first, nullable = _first_of_sequence(sequence)
        return (None, False) if first is None else (first, nullable or low == 0)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return [], True  # zero width: the next item begins the match (a superset, never less)
    return None, False


def _first_class(regexp: str) -> re.Pattern[str] | None:
    """A pattern matching every character a match of ``regexp`` can begin with, or None when
    that is not known (any character; also for a pattern that can match the empty string)."""
    try:
        parsed = sre_parser.parse(regexp)
    except (re.error, AttributeError, TypeError):
        return None
    if parsed.state.flags & ~re.UNICODE:
        return None
    first, nullable = _first_of_sequence(list(parsed))
    return None if first is None or nullable else re.compile("|".join(first))


class _ByFirstChar:
    """An ordered alternation of ``parts`` (regex source, matched like one compiled pattern),
    with a pattern of its own for each first character that has begun many lines."""

    def __init__(self, parts: list[str], whole: re.Pattern[str], compile_after: int) -> None:
        self.whole = whole
        self._compile_after = compile_after
        self._parts = [(part, _first_class(part)) for part in parts]
        self._by_char: dict[str, re.Pattern[str] | None] = {}
        self._by_members: dict[tuple[int, ...], re.Pattern[str] | None] = {}
        self._seen: dict[str, int] = {}

    def pattern(self, char: str) -> re.Pattern[str] | None:
        """The pattern to match a text beginning with ``char`` ("" at its end) with; None when
        no part can begin with it."""
        try:
            return self._by_char[char]
        except KeyError:
            pass
        seen = self._seen.get(char, 0) + 1
        if seen < self._compile_after:
            if len(self._seen) < _TRACKED_CHARACTERS or char in self._seen:
                self._seen[char] = seen
            return self.whole
        members = tuple(index for index, (_, first) in enumerate(self._parts) if first is None or first.match(char))
        if members not in self._by_members:
            sources = [self._parts[index][0] for index in members]
            self._by_members[members] = re.compile("|".join(sources)) if sources else None
        found = self._by_char[char] = self._by_members[members]
        return found


@cache
def _classifier() -> tuple[_ByFirstChar, dict[str, tuple[str, ...]]]:
    """Every line terminal but OTHER as one ordered alternation, and each terminal's group names."""
    parser = next(iter(_LINE_PARSERS.values()), None) or oom_line_parser()
    terminals = [t for t in _ordered_terminals(parser) if t.name != OTHER]
    parts = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals]
    names = {t.name: tuple(_GROUP_NAME.findall(t.pattern.to_regexp())) for t in terminals}
    return _ByFirstChar(parts, re.compile("|".join(parts)), compile_after=2000), names


def classify_fields(text: str) -> Classified:
    """The terminal a single normalised line matches, with its named groups, from one match."""
    dispatch, names = _classifier()
    pattern = dispatch.pattern(text[:1] or "\n")
    if pattern is None:
        return _OTHER
    match = pattern.match(text + "\n")
    if match is None or match.end() != len(text) + 1:
        return _OTHER
    kind = match.lastgroup or OTHER
    groups = names.get(kind, ())
    if not groups:
        return Classified(kind, ())
    # one group: match.group returns the value itself, not a tuple
    return Classified(kind, match.group(*groups) if len(groups) > 1 else (match.group(groups[0]),))


def classify(text: str) -> str:
    """Name of the terminal a single normalised line matches (``OTHER`` when none does)."""
    return classify_fields(text).kind


def group_names(kind: str) -> tuple[str, ...]:
    return _classifier()[1].get(kind, ())


class LineToken(Token):
    """A whole line as one token, carrying the fields its classification matched."""

    __slots__ = ("values",)
    values: tuple[str | None, ...]


class _LineLexer(Lexer):
    """Lark's lexer interface over lines classified once (``classify_fields``): the parser's input
    is an iterable of (text, ``Classified`` or None), and each line is one token of its terminal.
    Nothing is compiled here; a line not classified yet is classified as it is read."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        lines: Iterable[tuple[str, Classified | None]] = lexer_state.text  # type: ignore[assignment]
        for text, classified in lines:
            if classified is None:
                classified = classify_fields(text)
            token = LineToken(classified.kind, text + "\n")
            token.values = classified.values
            yield token


# The line parsers built so far, by Transformer class (None: building trees). The classifier
# takes its terminals from any of them, so a process loads the grammar once: ``grammar.parse``
# builds its parser (Transformer in ``grammar.transform``, which imports this module, not the
# other way round) before it normalises anything.
_LINE_PARSERS: dict[type[Transformer[Any, Any]] | None, Lark] = {}


def oom_line_parser(transformer: type[Transformer[Any, Any]] | None = None) -> Lark:
    """``oom.lark`` read by the LALR parser from classified lines (``_LineLexer``), with
    ``transformer`` applied during the parse (no tree is built). Built once per process and
    Transformer; Lark's cache keeps the grammar analysis on disk."""
    parser = _LINE_PARSERS.get(transformer)
    if parser is None:
        parser = _LINE_PARSERS[transformer] = Lark.open_from_package(
            "grammar",
            "oom.lark",
            ("",),
            parser="lalr",
            lexer=_LineLexer,
            cache=True,
            transformer=transformer() if transformer is not None else None,
            _plugins=_line_plugins() if transformer is not None else {},  # a tree keeps str tokens
        )
    return parser


def is_loose(kind: str) -> bool:
    """True for OTHER and the `_CUT` terminals (a line a person shortened): such a line may be the
    first part of a wrapped line, and a join that makes it a whole line is kept."""
    return kind == OTHER or kind.endswith("_CUT")


@cache
def loose_kinds() -> frozenset[str]:
    """Every kind ``is_loose`` is true for."""
    parser = next(iter(_LINE_PARSERS.values()), None) or oom_line_parser()
    return frozenset(t.name for t in parser.terminals if is_loose(t.name)) | {OTHER}


@cache
def field_matcher(terminal: str) -> Callable[[str], re.Match[str] | None]:
    """A matcher returning the named groups of ``terminal`` for one line's text (for a token that
    did not come from ``classify_fields``)."""
    pattern = re.compile(oom_parser().get_terminal(terminal).pattern.to_regexp())
    return lambda text: pattern.match(text + "\n")


@cache
def prefix_pattern() -> re.Pattern[str]:
    """One pattern matching the run of log prefixes at the start of a line."""
    return _prefixes().whole


@cache
def _prefixes() -> _ByFirstChar:
    parts = [f"(?:{t.pattern.to_regexp()})" for t in _ordered_terminals(_prefix_grammar())]
    return _ByFirstChar(parts, re.compile("(?:" + "|".join(parts) + ")+"), compile_after=1000)


def prefix_end(line: str, start: int = 0) -> int | None:
    """Where the run of log prefixes beginning at ``start`` ends (None: no prefix there); the
    end ``prefix_pattern().match(line, start)`` gives. A first prefix found by the pattern of
    the character at ``start`` alone is followed by the whole pattern: the run repeats greedily
    and nothing follows it, so each prefix is the first alternative matching where it begins."""
    prefixes = _prefixes()
    first = prefixes.pattern(line[start : start + 1])
    if first is None:
        return None
    match = first.match(line, start)
    if match is None:
        return None
    if first is prefixes.whole:
        return match.end()
    rest = prefixes.whole.match(line, match.end())
    return rest.end() if rest else match.end()

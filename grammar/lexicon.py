"""Loads the grammar files once per process and exposes what the other modules need from them.

``oom.lark`` is parsed with Lark's LALR parser. Its terminals, tried in the order Lark's basic
lexer tries them (only those that can begin with the line's first character), classify each line
exactly once: the normaliser asks which terminal a line is (to tell a wrapped fragment from a
whole line), and the terminal found reads the line's named fields in the same match. The LALR
parser reads those lines as its tokens (``_ClassifiedLineLexer``, or lark-cython's parser with the
``[fast]`` extra), a run of lines of one terminal as one token (``grammar.parse.classify_lines``),
and the Transformer builds each record from the fields already taken, so no line is classified
again. ``prefixes.lark`` supplies the log prefixes the normaliser strips.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import sys
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from typing import Any, NamedTuple

import lark
from lark import Lark, Token, Transformer
from lark.grammar import Rule
from lark.lexer import Lexer, LexerState
from lark.parsers.lalr_analysis import IntParseTable, Reduce, Shift
from lark.parsers.lalr_parser import LALR_Parser, _Parser

from . import derived, regexcache
from .firstchars import (
    beginning_with,
    can_match_opening,
    first_chars,
    needs_one_of,
    refers_back,
    required,
    syntax_chars,
)

OTHER = "OTHER"


def _fast_table_load(base: type[Any], inner: type[Any]) -> type[Any]:
    """``base`` (Lark's ``LALR_Parser`` or lark-cython's), kept in Lark's cache in a compact
    layout and read back from it quickly.

    Lark's own layout holds each of the ~13,500 actions of ``oom.lark``'s table as a small tuple,
    a reduce action's rule as a dictionary referring into the memo Lark keeps beside the table;
    reading them back and rebuilding the table from them (and freeing them) was about 45M
    instructions, more than half of loading the grammar. The table repeats itself: all but three
    of its 201 states reduce one rule on every one of the same 67 tokens, and the states' tokens
    come in five orders. So here the table is kept as its distinct actions, its distinct rows of
    tokens (each an array of the tokens' indices), and for each state its row and either the
    one action it takes on every token or an array of its actions' indices. Read back, each
    distinct action is made once (a reduce action's rule as an ``_IdentityRule`` twin, which the
    callbacks are keyed by too) and each state's dictionary is made in C from its row: the same
    tokens in the same order, the same actions. The parser is otherwise ``base``'s: same table,
    same ``inner`` parser (``_Parser``; lark-cython's parser reads Lark's ``IntParseTable`` with
    Lark's ``Shift`` and ``Reduce``). Given to Lark as the ``LALR_Parser`` plugin, the hook
    lark-cython uses. A cache written in another layout (by an older version) fails to load
    here, and Lark then builds the grammar afresh and writes it again (its cache load falls back
    on any exception)."""

    class CachedTableParser(base):  # type: ignore[misc]
        def __init__(self, parser_conf: Any, *args: Any, **kwargs: Any) -> None:
            # (a grammar built afresh, not read from the cache: the same callbacks as a cached one)
            parser_conf.callbacks = _flat_repetition(parser_conf.callbacks)
            super().__init__(parser_conf, *args, **kwargs)

        def serialize(self, memo: Any = None) -> dict[str, Any]:
            table = self._parse_table
            tokens: dict[str, int] = {}
            codes: dict[tuple[int, Any], int] = {}  # an action -> its index in ``actions``
            actions: list[tuple[int, Any]] = []  # (0, state) to shift, (1, the rule's memo reference) to reduce
            rows: dict[bytes, int] = {}  # a row of tokens (their indices) -> its index
            states: dict[int, tuple[int, int | bytes]] = {}
            for state, state_actions in table.states.items():
                keys, indices = array(_INDEX), array(_INDEX)
                for token, (action, argument) in state_actions.items():
                    keys.append(tokens.setdefault(token, len(tokens)))
                    reduce = action is Reduce
                    code = codes.setdefault((reduce, id(argument) if reduce else argument), len(actions))
                    if code == len(actions):
                        actions.append((1, argument.serialize(memo)) if reduce else (0, argument))
                    indices.append(code)
                row = rows.setdefault(keys.tobytes(), len(rows))
                states[state] = (row, indices[0] if len(set(indices)) == 1 else indices.tobytes())
            return {
                "layout": _TABLE_LAYOUT,
                "tokens": list(tokens),
                "actions": actions,
                "rows": list(rows),
                "states": states,
                "start_states": table.start_states,
                "end_states": table.end_states,
            }

        @classmethod
        def deserialize(cls, data: dict[str, Any], memo: dict[int, Any], callbacks: Any, debug: bool = False) -> Any:
            if data.get("layout") != _TABLE_LAYOUT:
                raise ValueError("a parse table kept in another layout")  # Lark builds the grammar afresh
            tokens = data["tokens"].__getitem__
            rows = [dict.fromkeys(map(tokens, array(_INDEX, keys))) for keys in data["rows"]]
            twins = {key: _identity_twin(value) for key, value in memo.items() if type(value) is Rule}
            actions = [
                (Reduce, twins[argument["@"]]) if kind == 1 else (Shift, argument) for kind, argument in data["actions"]
            ]
            states = {
                state: dict.fromkeys(rows[row], actions[taken])
                if type(taken) is int
                else dict(zip(rows[row], map(actions.__getitem__, array(_INDEX, taken)), strict=True))
                for state, (row, taken) in data["states"].items()
            }
            table: Any = IntParseTable(states, data["start_states"], data["end_states"])  # type: ignore[no-untyped-call]
            twin_of = {id(memo[key]): twin for key, twin in twins.items()}
            callbacks = _flat_repetition(callbacks)
            parser = cls.__new__(cls)
            parser._parse_table = table
            parser.parser = inner(table, {twin_of.get(id(rule), rule): call for rule, call in callbacks.items()}, debug)
            return parser

    CachedTableParser.__qualname__ = CachedTableParser.__name__ = f"CachedTable{base.__name__}"
    return CachedTableParser


_TABLE_LAYOUT = "shared-rows-1"  # the layout ``CachedTableParser`` keeps a table in
_INDEX = "I"  # the arrays' item type (an unsigned int: 4 bytes)


@cache
def table_cache(grammar: str) -> str:
    """The file Lark keeps ``grammar`` (a grammar file of this package) in when it is read with
    ``LALR_FAST_LOAD`` (Lark's ``cache`` option; each grammar is read so with one set of options).

    Lark's own name for it (``cache=True``) is a digest of the grammar text and the options,
    whatever layout the parser keeps the table in: two versions keeping different layouts on
    one machine would each find the other's file unreadable, build the grammar afresh and write
    it over, at every start. So the name holds the layout, and a digest of the grammar text and
    Lark's version (files apart whenever Lark's key for them differs, as Lark keeps them); Lark
    still checks the file's first line against the grammar and the options, and builds afresh
    when they differ."""
    try:
        user = getpass.getuser()
    except Exception:  # as Lark does: any user name will do
        user = "unknown"
    digest = hashlib.blake2b(lark.__version__.encode(), digest_size=10)
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), grammar), "rb") as handle:
            digest.update(handle.read())
    except OSError:  # (Lark reports it when it reads the grammar)
        pass
    version = f"{sys.version_info[0]}_{sys.version_info[1]}"
    name = f".lark_cache_{user}_oomlens_{grammar}_{_TABLE_LAYOUT}_{digest.hexdigest()}_{version}.tmp"
    return os.path.join(tempfile.gettempdir(), name)


# The rule Lark makes of ``oom.lark``'s ``start: (invoked | ... | other)*``: ``__start_star_0:
# __start_star_0 invoked | invoked | ...``, one reduction per token.
_REPETITION = "__start_star_0"


def _flat_repetition(callbacks: dict[Any, Any]) -> dict[Any, Any]:
    """``callbacks`` with the repetition of ``start`` gathered in one list, when a Transformer's
    ``start`` receives it (the line parser).

    Lark reduces the repetition once per token (once per run of lines of one terminal, see
    ``grammar.parse.classify_lines``): its child filter copies what was gathered so far and
    its default callback wraps it in a new ``Tree('__start_star_0', ...)`` (``Transformer.__default__``,
    four Python calls a token), which the next reduction unwraps again, until ``start``'s filter
    hands the last one's children to the Transformer. Here the first reduction makes a list, each
    next one appends to it, and ``start``'s Transformer method gets that list: the same items in
    the same order, without a tree per token. Any other shape of the callbacks (a tree-building
    parser, placeholders, positions propagated, another grammar) leaves them as they are."""
    from lark.parse_tree_builder import ChildFilterLALR_NoPlaceholders

    starts = [rule for rule in callbacks if rule.origin.name == "start" and _names(rule) == [_REPETITION]]
    if len(starts) != 1:
        return callbacks
    outer = callbacks[starts[0]]
    if (
        type(outer) is not ChildFilterLALR_NoPlaceholders
        or outer.to_include != [(0, True)]
        or not isinstance(getattr(outer.node_builder, "__self__", None), Transformer)
    ):
        return callbacks
    flat = dict(callbacks)
    flat[starts[0]] = partial(_hand_over, outer.node_builder)
    for rule, call in callbacks.items():
        if rule.origin.name != _REPETITION:
            continue
        names = _names(rule)
        if names[-1].startswith("_"):  # (an inlined rule: its children would be spliced in)
            return callbacks
        filtered = type(call) is ChildFilterLALR_NoPlaceholders
        if len(names) == 2 and names[0] == _REPETITION and filtered and call.to_include == [(0, True), (1, False)]:
            flat[rule] = _gather_next
        elif len(names) == 1 and (
            (filtered and call.to_include == [(0, False)])
            # nothing to filter: the Transformer's default, a Tree of the one child
            or (isinstance(call, partial) and call.args == (_REPETITION,) and not call.keywords)
        ):
            flat[rule] = _gather_first
        else:
            return callbacks
    return flat


def _names(rule: Rule) -> list[str]:
    return [symbol.name for symbol in rule.expansion]


def _gather_first(children: list[Any]) -> list[Any]:
    return [children[0]]


def _gather_next(children: list[Any]) -> list[Any]:
    gathered: list[Any] = children[0]
    gathered.append(children[1])
    return gathered


def _hand_over(start: Callable[[list[Any]], Any], children: list[Any]) -> Any:
    return start(children[0])


class _IdentityRule(Rule):
    """A rule of the parse table, equal only to itself. Lark's ``Rule`` compares and hashes in
    Python (``__eq__`` compares origin and expansion symbol by symbol); the parser looks a reduced
    rule up in its callbacks (a hash) and lark-cython's compares it with the end state (an
    ``__eq__`` with an int) at every reduction: C's identity does both for the table's own rules,
    which are the callbacks' keys here."""

    __slots__ = ()
    __eq__ = object.__eq__
    __hash__ = object.__hash__


def _identity_twin(rule: Rule) -> _IdentityRule:
    """``rule``'s fields in an ``_IdentityRule`` (the grammar's own rule objects are left as they are)."""
    twin = object.__new__(_IdentityRule)
    for name in Rule.__slots__:
        object.__setattr__(twin, name, getattr(rule, name))
    return twin


_CachedTableParser = _fast_table_load(LALR_Parser, _Parser)


LALR_FAST_LOAD = {"LALR_Parser": _CachedTableParser}


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
    the ``[fast]`` extra: Lark's Python parser then reads the same tokens (``_ClassifiedLineLexer``)."""
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
            return line_tokens(lines, CythonLineToken)

        @classmethod
        def from_custom_input(cls, lexer: Any, lines: Iterable[tuple[str, Classified | None]]) -> _CythonLineThread:
            return cls(lines)

        def next_token(self, *_state: Any) -> Any:
            for token in self._tokens:
                return token
            raise EOFError

    plugins = dict(lark_cython.plugins, LexerThread=_CythonLineThread)
    plugins["LALR_Parser"] = _fast_table_load(plugins["LALR_Parser"], plugins["_Parser"])
    return plugins


@cache
def oom_parser() -> Lark:
    """The LALR parser for normalised dump text with Lark's own lexer, building a tree (tests and
    a fallback use it; built on first use, cached on disk)."""
    return Lark.open_from_package(
        "grammar", "oom.lark", ("",), parser="lalr", lexer="basic", cache=True, _plugins=_plugins()
    )


def terminal_grammar(grammar: str) -> Lark:
    """The LALR parser of ``grammar`` (a grammar file of this package) with Lark's basic lexer,
    read with ``LALR_FAST_LOAD`` from its ``table_cache`` file: for the grammars whose terminals
    alone are used (``prefixes.lark``, ``context.lark``)."""
    return Lark.open_from_package(
        "grammar",
        grammar,
        ("",),
        parser="lalr",
        lexer="basic",
        cache=table_cache(grammar),
        _plugins=LALR_FAST_LOAD,
    )


@cache
def _prefix_grammar() -> Lark:
    return terminal_grammar("prefixes.lark")


def ordered_terminals(parser: Lark) -> list[Any]:
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


# ---- one alternation without groups -----------------------------------------------------------
# Python's regex engine saves the state of every capturing group it has entered each time a
# repetition inside an enclosing group steps (MARK_PUSH): in one pattern of all terminals, the
# groups of the terminals ahead count too, and a line that matches a late terminal pays for all
# of them at every character (a memory.stat line 23 us, a line of prose 34 us). So the line is
# classified by the terminals without their groups, each followed by an empty group named after
# it (``lastgroup`` tells which matched), and only then are its fields read by that terminal's
# own pattern (a line of prose 13 us, OOMAnalyser's example dumps 4.6 -> 3.0 us a line). Groups
# never change what a pattern matches.
_GROUP_OPENING = re.compile(r"\(\?P<\w+>|\((?!\?)")
_UNNAMED_OPENING = re.compile(r"\((?!\?)")


def _without_groups(regexp: str, keep_named: bool = False) -> str:
    """``regexp`` with every capturing group (named or not; with ``keep_named``, every unnamed
    one) made non-capturing. Escapes and character classes are passed over; what cannot be
    converted keeps its group, and the caller checks ``groups`` of the compiled result."""
    openings = _UNNAMED_OPENING if keep_named else _GROUP_OPENING
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(regexp):
        char = regexp[index]
        if char == "\\":
            out.append(regexp[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
            out.append(char)
            index += 1
            continue
        if char == "[":
            in_class = True
            index += 1
            out.append("[")
            if regexp.startswith("^", index):
                out.append("^")
                index += 1
            if regexp.startswith("]", index):  # a ] first in a class is a character
                out.append("]")
                index += 1
            continue
        opening = openings.match(regexp, index) if char == "(" else None
        if opening is not None:
            out.append("(?:")
            index = opening.end()
            continue
        out.append(char)
        index += 1
    return "".join(out)


def terminal_alternation(terminals: list[Any]) -> re.Pattern[str]:
    """``terminals`` (in the order a lexer tries them) as one alternation whose ``lastgroup`` is
    the name of the first that matches: group-free, with an empty group named after each
    terminal at its end (one grouped pattern if a group escaped the conversion)."""
    return regexcache.compile(alternation_text(terminals))


def alternation_text(terminals: list[Any]) -> str:
    """The text of ``terminal_alternation(terminals)``."""
    lean = "|".join(f"(?:{_without_groups(t.pattern.to_regexp())})(?P<{t.name}>)" for t in terminals)
    if regexcache.compile(lean).groups == len(terminals):
        return lean
    return "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals)


# What the classifier takes from ``oom.lark``: the alternation's text, each line terminal's own
# pattern and group names, every terminal's name, and for each line terminal the characters its
# matches can begin with (``grammar.firstchars``; None: any), the text of its own pattern as the
# classifier matches it (``_own_text``) and the literals one of which each of its matches holds
# (``_screen_literals``; None: it is tried on every line beginning with one of those characters). Derived from the grammar (and this module's code) alone,
# so kept across processes (``grammar.derived``): a start-up that has them neither converts the
# terminals again, parses their patterns for their first characters, nor needs the grammar loaded
# to classify.
_LineTerminals = tuple[
    str,
    dict[str, tuple[str, tuple[str, ...]]],
    tuple[str, ...],
    tuple[frozenset[str] | None, ...],
    tuple[str, ...],
    tuple[tuple[str, ...] | None, ...],
]

# A terminal is tried only on the lines that hold one of its literals when it has a few long
# ones: each test (``in``) costs a tenth of a failed match (the engine's call and set-up alone),
# and most lines fail one terminal or more before the one they are of (a task row the table's
# header, `tgid`; a zone's free-page line the per-cpu and hugepage terminals). A literal that is
# short, or one of many, would be met by most lines or cost more tests than the matches it spares.
_SCREEN_MIN_LITERAL = 3
_SCREEN_MAX_LITERALS = 4


def _screen_literals(regexp: str) -> tuple[str, ...] | None:
    """The literals one of which every match of ``regexp`` holds (``grammar.firstchars.required``),
    when they are few and long enough to screen lines by (see ``_SCREEN_MIN_LITERAL``), else None."""
    found = required(regexp)
    if not found or len(found) > _SCREEN_MAX_LITERALS or min(map(len, found)) < _SCREEN_MIN_LITERAL:
        return None
    return tuple(sorted(found))


def _derive_line_terminals() -> _LineTerminals:
    parser = next(iter(_LINE_PARSERS.values()), None) or oom_line_parser()
    terminals = [t for t in ordered_terminals(parser) if t.name != OTHER]
    fields = {t.name: (t.pattern.to_regexp(), tuple(_GROUP_NAME.findall(t.pattern.to_regexp()))) for t in terminals}
    firsts = tuple(first_chars(regexp) for regexp, _ in fields.values())
    owns = tuple(_own_text(regexp, names) for regexp, names in fields.values())
    screens = tuple(_screen_literals(own) for own in owns)
    return alternation_text(terminals), fields, tuple(t.name for t in parser.terminals), firsts, owns, screens


def _valid_line_terminals(value: Any) -> bool:
    text, fields, names, firsts, owns, screens = value
    return (
        isinstance(text, str)
        and isinstance(fields, dict)
        and all(isinstance(v, tuple) and isinstance(v[0], str) and isinstance(v[1], tuple) for v in fields.values())
        and isinstance(names, tuple)
        and isinstance(firsts, tuple)
        and len(firsts) == len(fields)
        and all(v is None or (isinstance(v, frozenset) and all(isinstance(c, str) for c in v)) for v in firsts)
        and isinstance(owns, tuple)
        and len(owns) == len(fields)
        and all(isinstance(v, str) for v in owns)
        and isinstance(screens, tuple)
        and len(screens) == len(fields)
        and all(v is None or (isinstance(v, tuple) and all(isinstance(t, str) for t in v)) for v in screens)
    )


@cache
def _line_terminals() -> _LineTerminals:
    return derived.derived(
        "oom-lines", ("oom.lark", "lexicon.py", "firstchars.py"), _derive_line_terminals, _valid_line_terminals
    )


@cache
def _classifier() -> tuple[re.Pattern[str], dict[str, tuple[str, tuple[str, ...]]]]:
    """Every line terminal but OTHER as one ordered alternation (``terminal_alternation``), and
    each terminal's own pattern and group names. (``classify_fields`` tries the terminals one at
    a time, ``_candidates``; the alternation is what it must agree with, tests/test_lean_patterns.py.)"""
    text, fields, *_ = _line_terminals()
    return regexcache.compile(text), fields


def _own_text(regexp: str, names: tuple[str, ...]) -> str:
    """The pattern of a line terminal (``regexp``, with the named groups ``names``) as the
    classifier matches it: its unnamed groups made non-capturing (the fields are read by name: a
    zone line's repeated field group saved its state at each of some thirty steps, 5.2 -> 4.5 us),
    unless that leaves other named groups or the pattern refers back to a group."""
    if not refers_back(regexp):
        lean = _without_groups(regexp, keep_named=True)
        compiled = regexcache.compile(lean)
        if compiled.groups == len(compiled.groupindex) and sorted(compiled.groupindex) == sorted(names):
            return lean
    return regexp


# The line terminals a line beginning with a character may be of, in the order the lexer tries
# them: (name, its own pattern's ``match``, its group names, the literals one of which the line
# must hold for it to be tried or None) each; built when a line first begins with the character
# (``_candidates``), each terminal's pattern compiled when a list first holds it.
_Candidate = tuple[str, Callable[[str], re.Match[str] | None], tuple[str, ...], tuple[str, ...] | None]
_CANDIDATES: dict[str, tuple[_Candidate, ...]] = {}
_OWN: dict[str, Callable[[str], re.Match[str] | None]] = {}


def _candidates(char: str) -> tuple[_Candidate, ...]:
    """The line terminals whose matches can begin with ``char`` (``grammar.firstchars``), in
    order; every terminal for a character that is not ASCII (the first characters are known for
    ASCII alone) or one whose first characters are unknown. A terminal split into alternatives
    (``_line_alternatives``) is matched by those of its alternatives that can begin with ``char``."""
    _, fields, _, firsts, owns, screens = _line_terminals()
    split = _line_alternatives()
    terminals = []
    for (name, (_, groups)), chars, own, screen, parts in zip(
        fields.items(), firsts, owns, screens, split, strict=True
    ):
        if parts is None:  # (kept under its name: most terminals)
            terminals.append((name, own, chars, (name, groups, screen)))
            continue
        text = _for_char(own, parts, char)
        key = name if text is own else f"{name}\x00{text}"  # (each choice of alternatives compiled once)
        terminals.append((key, text, chars, (name, groups, parts[2].get(char, screen))))
    found = _CANDIDATES[char] = tuple(
        (name, match, groups, screen) for _, match, (name, groups, screen) in beginning_with(char, terminals, _OWN)
    )
    return found


# A line terminal without groups whose pattern is an alternation (a trace line has sixteen
# alternatives) is tried on a line with only those alternatives that can begin with the line's
# first character (``grammar.firstchars``), in their order: the others cannot match there, so the
# first alternative that matches, and where it ends, is the same as with all of them (no group is
# captured, so nothing else is read from the match). A trace line's pattern, tried first on most
# lines that begin with a letter or digit, failed them through all sixteen (7.6K instructions).
_Split = tuple[tuple[str, ...], tuple[frozenset[str] | None, ...]]
_LineAlternatives = tuple[
    tuple[tuple[str, ...], tuple[frozenset[str] | None, ...], dict[str, tuple[str, ...]]] | None, ...
]


def _split_alternatives(own: str) -> _Split | None:
    """The top-level alternatives of a terminal's own pattern and each one's first characters,
    when it has no group and more than one alternative, each a pattern alone (else None)."""
    if regexcache.compile(own).groups != 0:
        return None
    parts = _alternatives(own)
    if len(parts) < 2 or "|".join(parts) != own:
        return None
    try:
        for part in parts:
            re.compile(part)
    except re.error:
        return None
    return tuple(parts), tuple(first_chars(part) for part in parts)


def _derive_line_alternatives() -> _LineAlternatives:
    out: list[Any] = []
    for own in _line_terminals()[4]:
        split = _split_alternatives(own)
        if split is None:
            out.append(None)
            continue
        # The literals one of which a line must hold for the alternatives a character leaves to
        # match (``_screen_literals`` of their alternation), for each ASCII character that leaves
        # some but not all: for a zone's `N` or a task header's `C`, a trace line's call address
        # `+0x` (its alternatives of hex words cannot begin with those letters).
        screens: dict[str, tuple[str, ...]] = {}
        for code in range(128):
            text = _for_char(own, split, chr(code))
            if text != own:
                screen = _screen_literals(text)
                if screen is not None:
                    screens[chr(code)] = screen
        out.append((*split, screens))
    return tuple(out)


def _valid_line_alternatives(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == len(_line_terminals()[4])
        and all(
            v is None
            or (
                isinstance(v, tuple)
                and len(v) == 3
                and len(v[0]) == len(v[1])
                and isinstance(v[2], dict)
                and all(isinstance(k, str) and isinstance(t, tuple) for k, t in v[2].items())
                and all(isinstance(t, str) for t in v[0])
                and all(c is None or isinstance(c, frozenset) for c in v[1])
            )
            for v in value
        )
    )


@cache
def _line_alternatives() -> _LineAlternatives:
    """``_split_alternatives`` of each line terminal (in ``_line_terminals`` order), derived from
    the grammar alone and kept across processes (``grammar.derived``)."""
    return derived.derived(
        "oom-line-alternatives",
        ("oom.lark", "lexicon.py", "firstchars.py"),
        _derive_line_alternatives,
        _valid_line_alternatives,
    )


def _for_char(own: str, parts: Any, char: str) -> str:
    """The pattern a line beginning with ``char`` is tried with: ``own``, or the alternatives of
    it that can begin with ``char`` (all of them for a character that is not ASCII)."""
    if parts is None or char >= "\x80":
        return own
    chosen = [text for text, chars in zip(parts[0], parts[1], strict=True) if chars is None or char in chars]
    if not chosen or len(chosen) == len(parts[0]):
        return own  # (none: ``beginning_with`` leaves the terminal out by its own first characters)
    return "|".join(chosen)


def candidates_for_prefixes(text: str) -> tuple[_Candidate, ...]:
    """The candidates ``classify_fields`` tries on ``text`` (those that can begin with its first
    character), less those whose screen ``text`` fails: a screen asks for a literal somewhere in the
    line, and a literal without a newline that ``text`` does not hold no text that ``text`` begins
    with holds either. So ``classify_fields(prefix, candidates_for_prefixes(text))`` is
    ``classify_fields(prefix)`` for every non-empty prefix of ``text`` (the normaliser tries every
    end of a wrapped run, each join a prefix of the longest: the screens of most terminals are
    read once, not once per end)."""
    line = text + "\n"
    first = line[0]
    kept = []
    for candidate in _CANDIDATES.get(first) or _candidates(first):
        screen = candidate[3]
        if screen is None or any("\n" in literal or literal in line for literal in screen):
            kept.append(candidate)
    return tuple(kept)


def classify_fields(text: str, candidates: tuple[_Candidate, ...] | None = None) -> Classified:
    """The terminal a single normalised line matches, with its named groups: the first line
    terminal (in the order Lark's lexer tries them) whose own pattern matches the line, of those
    that can begin with its first character; OTHER when none matches or the first that matches
    does not take the whole line, as with one alternation of all of them (``_classifier``). Each
    terminal alone rather than one alternation: the engine rejects a terminal whose shortest match
    is longer than the line before trying it, reads the fields in the same match, and skips the
    terminals that cannot begin with the line's character (OOMAnalyser's example dumps: 2.7M ->
    1.9M instructions a dump), and those whose literals the line does not hold (``_screen_literals``:
    no match of theirs could be without one). ``candidates``: ``candidates_for_prefixes`` of a text
    that ``text`` begins with, in place of all that can begin with its first character."""
    line = text + "\n"
    first = line[0]
    if candidates is None:
        candidates = _CANDIDATES.get(first) or _candidates(first)
    for kind, match, groups, screen in candidates:
        if screen is not None:
            for literal in screen:
                if literal in line:
                    break
            else:
                continue
        found = match(line)
        if found is None:
            continue
        if found.end() != len(line):
            return _OTHER
        if not groups:
            return _BARE.get(kind) or _bare(kind)
        # one group: match.group returns the value itself, not a tuple; (the tuple made without a
        # NamedTuple's Python-level __new__: this runs for most lines of a dump)
        return _new_classified(
            Classified, (kind, found.group(*groups) if len(groups) > 1 else (found.group(groups[0]),))
        )
    return _OTHER


_new_classified = tuple.__new__
_BARE: dict[str, Classified] = {}


def _bare(kind: str) -> Classified:
    """The classification of every line of ``kind``, a terminal without fields (one object: a
    task table's rows are mostly of such a terminal)."""
    bare = _BARE[kind] = Classified(kind, ())
    return bare


def classify(text: str) -> str:
    """Name of the terminal a single normalised line matches (``OTHER`` when none does)."""
    return classify_fields(text).kind


def group_names(kind: str) -> tuple[str, ...]:
    found = _classifier()[1].get(kind)
    return found[1] if found else ()


class LineToken(Token):
    """A whole line as one token, carrying the fields its classification matched."""

    __slots__ = ("values",)
    values: tuple[str | None, ...]


class _ClassifiedLineLexer(Lexer):
    """Lark's lexer interface over lines classified once (``classify_fields``): the parser's input
    is an iterable of (text, ``Classified`` or None), and each line is one token of its terminal.
    Nothing is compiled here; a line not classified yet is classified as it is read."""

    __future_interface__ = 2

    def __init__(self, lexer_conf: Any) -> None:
        # The widths that order the terminals for the classifier (``ordered_terminals``): Lark
        # computes them with the regex parser (12 ms for ``oom.lark``) but only for its own
        # lexers. Computed here, while Lark builds the grammar, they are saved in Lark's cache
        # with the terminals and read back with them. (The class's name is part of Lark's cache
        # key: it was renamed when it began to do this, so no older cache entry without widths
        # is read.)
        for terminal in lexer_conf.terminals:
            if terminal.pattern.type == "re":
                terminal.pattern.max_width  # noqa: B018 - computed and kept on the pattern

    def lex(self, lexer_state: LexerState, parser_state: Any) -> Iterator[Token]:
        lines: Iterable[tuple[str, Classified | None]] = lexer_state.text  # type: ignore[assignment]
        return line_tokens(lines, LineToken)


def line_tokens(lines: Iterable[tuple[str, Classified | None]], token_class: Any) -> Iterator[Any]:
    """One token of ``token_class`` per line (Lark's or lark-cython's): the line's terminal, its
    text and the fields its classification matched (classified here when it was not yet)."""
    for text, classified in lines:
        if classified is None:
            classified = classify_fields(text)
        token = token_class(classified.kind, text + "\n")
        token.values = classified.values
        yield token


# The line parsers built so far, by Transformer class (None: building trees). The classifier
# takes its terminals from any of them, so a process loads the grammar once: ``grammar.parse``
# builds its parser (Transformer in ``grammar.transform``, which imports this module, not the
# other way round) before it normalises anything.
_LINE_PARSERS: dict[type[Transformer[Any, Any]] | None, Lark] = {}


def oom_line_parser(transformer: type[Transformer[Any, Any]] | None = None) -> Lark:
    """``oom.lark`` read by the LALR parser from classified lines (``_ClassifiedLineLexer``), with
    ``transformer`` applied during the parse (no tree is built). Built once per process and
    Transformer; Lark's cache keeps the grammar analysis on disk."""
    parser = _LINE_PARSERS.get(transformer)
    if parser is None:
        parser = _LINE_PARSERS[transformer] = Lark.open_from_package(
            "grammar",
            "oom.lark",
            ("",),
            parser="lalr",
            lexer=_ClassifiedLineLexer,
            cache=table_cache("oom.lark"),
            transformer=transformer() if transformer is not None else None,
            _plugins=(_line_plugins() or LALR_FAST_LOAD)
            if transformer is not None
            else LALR_FAST_LOAD,  # a tree keeps str tokens
        )
    return parser


@cache
def line_rules() -> dict[str, str]:
    """The rule that reads each line terminal (``invoked: INVOKED``): the name of its Transformer
    method."""
    parser = next(iter(_LINE_PARSERS.values()), None) or oom_line_parser()
    return {
        rule.expansion[0].name: rule.origin.name
        for rule in parser.rules
        if len(rule.expansion) == 1 and rule.expansion[0].is_term and not rule.origin.name.startswith("_")
    }


def is_loose(kind: str) -> bool:
    """True for OTHER and the `_CUT` terminals (a line a person shortened): such a line may be the
    first part of a wrapped line, and a join that makes it a whole line is kept."""
    return kind == OTHER or kind.endswith("_CUT")


@cache
def loose_kinds() -> frozenset[str]:
    """Every kind ``is_loose`` is true for."""
    return frozenset(name for name in _line_terminals()[2] if is_loose(name)) | {OTHER}


# Cut lines that begin with a kernel line's own opening: a task header ending at its taint flags
# (`CPU: 0 PID: 455 Comm: apt Not tainted`, the release wrapped onto the next line), a trigger
# line cut after its first fields that starts with its task name (`apt: page allocation failure:
# order:0,`). Such a line starts a wrapped run; it is never the tail of the line before it (prose
# above it, a program's output, would otherwise be joined in as the task name). Each kind maps to
# the group that must be non-empty for the line to open (None: always); a trigger line without
# its task name (`invoked oom-killer: gfp_mask=...`) may still be the tail of `java`.
OPENING_CUTS: dict[str, str | None] = {
    "TASK_HEADER_CUT": None,
    "ALLOC_FAILURE_CUT": "afc_comm",
    "VMALLOC_FAILURE_CUT": "vfc_comm",
    "INVOKED_CUT": "ic_comm",
    # `Killed process 226431 (container-disk) total-vm:115804kB,` cut by a word wrap: the kill
    # line's own opening (oom_kill.c prints it as a line of its own after the score line), never
    # the tail of `... Kill process 226667 (container-disk) score 1001 or sacrifice child`, whose
    # terminal accepts any trailing text.
    "KILLED_CUT": None,
}


def opens_line(classified: Classified) -> bool:
    """Whether a cut line begins with its kernel line's opening (``OPENING_CUTS``)."""
    if classified.kind not in OPENING_CUTS:
        return False
    group = OPENING_CUTS[classified.kind]
    if group is None:
        return True
    value = dict(zip(group_names(classified.kind), classified.values, strict=False)).get(group)
    return bool(value and value.strip())


@cache
def field_matcher(terminal: str) -> Callable[[str], re.Match[str] | None]:
    """A matcher returning the named groups of ``terminal`` for one line's text (for a token that
    did not come from ``classify_fields``)."""
    return terminal_matcher(oom_parser().get_terminal(terminal).pattern.to_regexp())


def terminal_matcher(regexp: str) -> Callable[[str], re.Match[str] | None]:
    """A matcher of one terminal's pattern (``regexp``, from a grammar) alone for one line's text
    (without its newline)."""
    pattern = regexcache.compile(regexp)
    return lambda text: pattern.match(text + "\n")


# A prefix that is a table's column (a tab or a ` | ` ends it) is not tried on a line holding
# neither: its pattern looks for the column's end through the whole line (a lookahead), for
# every line that opens with a digit or a month's name, a syslog line's first characters.
_SEPARATORS = "\t|"

_PrefixTexts = tuple[
    str,
    str,
    tuple[str, ...] | None,
    tuple[str, ...] | None,
    tuple[bool, ...] | None,
    tuple[frozenset[str], ...] | None,
]


def _derive_prefixes() -> _PrefixTexts:
    terminals = ordered_terminals(_prefix_grammar())
    grouped = tuple(f"(?:{t.pattern.to_regexp()})" for t in terminals)
    whole = "(?:" + "|".join(grouped) + ")+"
    parts = tuple(f"(?:{_without_groups(t.pattern.to_regexp())})" for t in terminals)
    lean = "(?:" + "|".join(parts) + ")+"
    if regexcache.compile(lean).groups != 0:
        return whole, whole, None, None, None, None
    # Each terminal's first characters (grammar.firstchars): none may be empty or unknown for the
    # run to be matched one terminal at a time from them (``prefix_end``, ``prefix_groups``).
    firsts = tuple(chars for chars in map(first_chars, parts) if chars is not None)
    if len(firsts) != len(parts):
        return whole, lean, None, None, None, None
    return whole, lean, parts, grouped, tuple(needs_one_of(part, _SEPARATORS) for part in parts), firsts


def _valid_texts(value: object) -> bool:
    return value is None or (isinstance(value, tuple) and all(isinstance(v, str) for v in value))


def _valid_char_texts(value: object) -> bool:
    """The shape of ``_factored_texts``' and ``_prefix_screens``' values read back: str -> str."""
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


@cache
def _prefix_texts() -> _PrefixTexts:
    """The texts of ``prefix_pattern`` and ``_prefix_run``, and each prefix terminal's own text,
    group-free and with its groups, whether it matches only in a line holding a tab or a pipe,
    and the characters it can begin with, when ``prefix_end`` and ``prefix_groups`` may pick
    them by a line's character (None: they may not), derived from ``prefixes.lark`` (kept across
    processes, ``grammar.derived``: a start-up that has them neither loads the grammar nor
    parses the terminals' patterns again for their first characters, 23M instructions)."""
    return derived.derived(
        "prefixes",
        ("prefixes.lark", "lexicon.py", "firstchars.py"),
        _derive_prefixes,
        lambda value: (
            isinstance(value, tuple)
            and len(value) == 6
            and all(isinstance(v, str) for v in value[:2])
            and _valid_texts(value[2])
            and _valid_texts(value[3])
            and (value[4] is None or (isinstance(value[4], tuple) and all(isinstance(v, bool) for v in value[4])))
            and (
                value[5] is None
                or (
                    isinstance(value[5], tuple)
                    and all(isinstance(v, frozenset) and all(isinstance(c, str) for c in v) for v in value[5])
                )
            )
        ),
    )


@cache
def prefix_pattern() -> re.Pattern[str]:
    """One pattern matching the run of log prefixes at the start of a line, with the named
    groups of each prefix (``grammar.stamps``)."""
    return regexcache.compile(_prefix_texts()[0])


@cache
def _prefix_run() -> re.Pattern[str]:
    """``prefix_pattern`` without groups: the same matches, read in two thirds of the time (see
    ``_without_groups``) by the normaliser, which needs only where the prefixes end."""
    return regexcache.compile(_prefix_texts()[1])


# The prefix terminals that can begin with a character (grammar.firstchars), in their order, as
# one alternation; None when none can; built when a line first begins with the character. For a
# line without a tab or a pipe, those that need one are left out (``_SEPARATORS``): they cannot
# match there, so the first of the others that matches is the first of all that matches.
_PREFIX_STARTING: dict[str, re.Pattern[str] | None] = {}
_PREFIX_STARTING_PLAIN: dict[str, re.Pattern[str] | None] = {}


def _chosen(texts: tuple[str, ...], char: str, plain: bool) -> list[str]:
    separated = _prefix_texts()[4] or (False,) * len(texts)
    return [
        text
        for text, chars, needs in zip(texts, _prefix_first_chars(), separated, strict=True)
        if char in chars and not (plain and needs)
    ]


def _starting(texts: tuple[str, ...], char: str, plain: bool, factor: bool = False) -> re.Pattern[str] | None:
    chosen = _chosen(texts, char, plain)
    if not chosen:
        return None
    factored = _factored_texts().get(char + ("p" if plain else "t")) if factor else None
    return regexcache.compile(factored if factored is not None else "|".join(chosen))


def _derive_factored() -> dict[str, str]:
    parts = _prefix_texts()[2]
    out: dict[str, str] = {}
    if parts is None:
        return out
    for char in sorted(set().union(*_prefix_first_chars())):
        for plain in (False, True):
            chosen = _chosen(parts, char, plain)
            factored = _factored(chosen, char) if chosen else None
            if factored is not None:
                if char in (first_chars(_TASK_ROW_OPENING) or ()) and not can_match_opening(
                    factored, _TASK_ROW_OPENING
                ):
                    factored = f"(?!{_TASK_ROW_OPENING}){factored}"
                out[char + ("p" if plain else "t")] = factored
    rows = _derive_row_lines(out)
    if rows:
        out[_ROWS_KEY] = rows  # (kept with the texts it is derived from: one file fewer to read)
    return out


# A task-dump row opens with its pid in brackets, `[  1234] ` (mm/oom_kill.c dump_task(),
# `[%7d]`; 2.6.x `[%5d]`): more than half of a dump's lines. When no prefix that can begin with
# a bracket can match on a line that opens so (``grammar.firstchars.can_match_opening``, a proof
# derived from the prefixes' patterns), their alternation is tried behind a negative lookahead
# for that opening, which changes no match and fails such a line at once: it no longer enters
# each prefix (4.4K instructions a row).
_TASK_ROW_OPENING = r"\[[ \t]*\d+\]"


def _derive_row_lines(texts: dict[str, str]) -> str:
    """``task_row_lines``' text, "" when no such pattern is exact (``texts``: the factored texts)."""
    guard = f"(?!{_TASK_ROW_OPENING})"
    if not all((texts.get("[" + kind) or "").startswith(guard) for kind in "pt"):
        return ""  # a prefix may begin on a row: each row's prefix is matched
    for name, match, groups, screen in _candidates("["):
        own: str = match.__self__.pattern  # type: ignore[attr-defined]
        if name == _TASK_ROW:
            # the whole line after its newline (``[^\n]*`` to the line's end: the line as
            # classify_fields reads it, every row opening with the lookahead's opening)
            opens = own.replace("\t", "\\t").startswith(_TASK_ROW_OPENING)
            if groups or screen is not None or not opens or not own.endswith("[^\n]*\n"):
                return ""
            return "\n(" + own[: -len("\n")] + ")"
        if can_match_opening(own, _TASK_ROW_OPENING):
            return ""  # an earlier terminal may take a row
    return ""


_TASK_ROW = "TASK_ROW"
_ROWS_KEY = "rows"  # ``task_row_lines``' text among the factored texts (whose keys are two characters)


@cache
def task_row_lines() -> re.Pattern[str] | None:
    """A pattern whose ``findall`` in ``text`` gives the lines of ``text`` after its first that are
    task rows in full and have no log prefix, when it can tell them: the prefixes that can begin
    with a bracket are tried behind the lookahead for the row's opening (``_derive_factored``), on
    plain lines and others alike, so ``prefix_end`` fails such a line at its first step; and of the
    line terminals that can begin with a bracket, those before TASK_ROW cannot match on a line
    that opens so (``grammar.firstchars.can_match_opening``, a proof), so ``classify_fields``
    reads a line that TASK_ROW's own pattern matches whole as a row (the bare classification:
    the terminal has no fields). None when either does not hold. Derived from ``oom.lark`` and
    ``prefixes.lark`` with the factored texts and kept with them (``grammar.derived``). The
    normaliser finds a paste's rows in one search of its text, not a prefix match and a
    classification for each (most of a dump's lines)."""
    text = _factored_texts().get(_ROWS_KEY) if _prefix_texts()[2] is not None else None
    return regexcache.compile(text) if text else None


def task_row() -> Classified:
    """The classification of a task row (TASK_ROW has no fields)."""
    return _BARE.get(_TASK_ROW) or _bare(_TASK_ROW)


@cache
def _factored_texts() -> dict[str, str]:
    """``_factored`` of the group-free prefix texts that can begin with each character (keyed by
    the character and ``p`` for a plain line, ``t`` for one with a tab or pipe; and under ``rows``
    ``task_row_lines``' text, which the line terminals of ``oom.lark`` decide too), derived from
    ``prefixes.lark`` and kept across processes (``grammar.derived``): working them out parses
    the patterns for their first characters, more than a dump's whole matching saves."""
    return derived.derived(
        "prefix-factored",
        ("prefixes.lark", "oom.lark", "lexicon.py", "firstchars.py"),
        _derive_factored,
        _valid_char_texts,
    )


# ---- the shared first character taken out of the alternation ----------------------------------
# Each alternative of ``a|b|...`` that begins with the same literal character matches it anew:
# a task row `[  1234]` entered eight `[` prefixes, each failing after its own `\[` (0.84 us a
# row). ``\[(?:a'|b'|...)`` matches the bracket once and tries the rests in the same order, so
# the first that matches is the same and ends at the same place (no group is captured: only the
# group-free texts are factored): 0.48 us a row. Each prefix is split into its top-level
# alternatives (a group with alternatives at its head is spread over what follows it, ``(?:p|q)t``
# = ``pt|qt``, in order); one whose matches cannot begin with the character is left out, and a
# leading run of a class without the character is dropped (there it matches nothing). When an
# alternative does not begin with the character written out, nothing is factored.
def _top_level(text: str) -> list[tuple[int, str]]:
    """The top-level pieces of ``text``: (depth-0 position, kind) of each ``|`` and the end of the
    first item, as offsets; used by ``_alternatives`` and ``_head_group``."""
    out: list[tuple[int, str]] = []
    depth = 0
    for index, char in syntax_chars(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                out.append((index, ")"))
        elif char == "|" and depth == 0:
            out.append((index, "|"))
    return out


def _alternatives(text: str) -> list[str]:
    cuts = [index for index, kind in _top_level(text) if kind == "|"]
    starts = [0, *(cut + 1 for cut in cuts)]
    ends = [*cuts, len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def _spread(alternative: str, char: str) -> list[str] | None:
    """``alternative`` as alternatives each beginning with ``char`` written out (escaped), in
    order, those that cannot begin with it left out; None when it cannot be so written."""
    literal = re.escape(char)
    if first_chars(alternative) is not None and char not in (first_chars(alternative) or ()):
        return []
    if alternative.startswith(literal):
        return [alternative]
    run = re.match(r"\[[^\]\\]*\][*][+]?", alternative)
    if run is not None and not re.fullmatch(run.group()[:-2] if run.group().endswith("+") else run.group()[:-1], char):
        return _spread(alternative[run.end() :], char)
    if alternative.startswith("(?:"):
        closing = next(index for index, kind in _top_level(alternative) if kind == ")")
        inner, tail = alternative[3:closing], alternative[closing + 1 :]
        if tail[:1] in ("*", "+", "?", "{"):
            return None
        out: list[str] = []
        for part in _alternatives(inner):
            spread = _spread(part + tail, char)
            if spread is None:
                return None
            out.extend(spread)
        return out
    return None


def _factored(chosen: list[str], char: str) -> str | None:
    if any("(?P" in text for text in chosen):
        return None
    rests: list[str] = []
    for text in chosen:
        spread = _spread(text, char)
        if spread is None:
            return None
        rests.extend(alternative[len(re.escape(char)) :] for alternative in spread)
    if not rests:
        return None
    return re.escape(char) + "(?:" + "|".join(rests) + ")"


def _prefix_starting(char: str, plain: bool = False) -> re.Pattern[str] | None:
    parts = _prefix_texts()[2]
    screen = None
    if parts is None or len(char) != 1 or char >= "\x80":
        pattern: re.Pattern[str] | None = _prefix_run()  # (not ASCII: all of them, the whole run at once)
    else:
        pattern = _starting(parts, char, plain, factor=True)
        screen = _prefix_screens().get(char + ("p" if plain else "t"))
    (_PREFIX_SCREEN_PLAIN if plain else _PREFIX_SCREEN)[char] = screen
    (_PREFIX_STARTING_PLAIN if plain else _PREFIX_STARTING)[char] = pattern
    return pattern


# The characters one of which a line must hold for a prefix that can begin with a character to
# match there (keyed as ``_factored_texts``): each of those prefixes reads one of them in every
# match (``grammar.firstchars.needs_one_of``; a clock's colon, a shell prompt's `#$%`, ...), so a
# line holding none (a call-trace frame, a stack line) is not matched at all: no prefix could be
# found there. (Most lines that begin with a letter or a blank: each paid a failed match.)
_PREFIX_SCREEN: dict[str, str | None] = {}
_PREFIX_SCREEN_PLAIN: dict[str, str | None] = {}
_SCREEN_CHARS = (":", "|", "<", "=", "@", "[", "]", "#$%", "O")


def _needed(part: str) -> str | None:
    for chars in _SCREEN_CHARS:
        if needs_one_of(part, chars):
            return chars
    for index, first in enumerate(_SCREEN_CHARS):
        for second in _SCREEN_CHARS[index + 1 :]:
            if needs_one_of(part, first + second):
                return first + second
    return None


def _derive_prefix_screens() -> dict[str, str]:
    parts = _prefix_texts()[2]
    out: dict[str, str] = {}
    if parts is None:
        return out
    needed = {part: _needed(part) for part in parts}
    for char in sorted(set().union(*_prefix_first_chars())):
        for plain in (False, True):
            chosen = _chosen(parts, char, plain)
            if chosen and all(needed[part] is not None for part in chosen):
                held = set("".join(needed[part] or "" for part in chosen))
                # (in ``_SCREEN_CHARS``' order: a colon, which most prefixed lines hold, first)
                out[char + ("p" if plain else "t")] = "".join(c for c in "".join(_SCREEN_CHARS) if c in held)
    return out


@cache
def _prefix_screens() -> dict[str, str]:
    """``_PREFIX_SCREEN``'s characters for each first character, derived from ``prefixes.lark``
    and kept across processes (``grammar.derived``)."""
    return derived.derived(
        "prefix-screens",
        ("prefixes.lark", "lexicon.py", "firstchars.py"),
        _derive_prefix_screens,
        _valid_char_texts,
    )


def _prefix_first_chars() -> tuple[frozenset[str], ...]:
    return _prefix_texts()[5] or ()


# The same, each terminal with its named groups (``prefix_groups``).
_PREFIX_GROUPED: dict[str, re.Pattern[str] | None] = {}
_PREFIX_GROUPED_PLAIN: dict[str, re.Pattern[str] | None] = {}


def _prefix_grouped(char: str, plain: bool = False) -> re.Pattern[str] | None:
    grouped = _prefix_texts()[3]
    if grouped is None or len(char) != 1 or char >= "\x80":
        pattern: re.Pattern[str] | None = prefix_pattern()  # (not ASCII: all of them, the whole run at once)
    else:
        pattern = _starting(grouped, char, plain)
    (_PREFIX_GROUPED_PLAIN if plain else _PREFIX_GROUPED)[char] = pattern
    return pattern


def prefix_groups(line: str) -> dict[str, str] | None:
    """The named groups that ``prefix_pattern().match(line)`` captured (those that took part),
    None when it does not match. Read as ``prefix_end`` reads the run: one prefix at a time, each
    against only the terminals that can begin with the character there, so the same terminal is
    chosen at each step as by the whole pattern; a group captured at a later step replaces the
    earlier one's value, and one a later step leaves out keeps it, as in ``re`` repetition.
    (About a third of the whole pattern's time on a syslog prefix, for ``grammar.stamps``.)"""
    if _prefix_texts()[3] is None:
        match = prefix_pattern().match(line)
        return None if match is None else {k: v for k, v in match.groupdict().items() if v is not None}
    groups: dict[str, str] | None = None
    start = 0
    plain = "\t" not in line and "|" not in line
    grouped = _PREFIX_GROUPED_PLAIN if plain else _PREFIX_GROUPED
    while start < len(line):
        char = line[start]
        pattern = grouped[char] if char in grouped else _prefix_grouped(char, plain)
        if pattern is None:
            break
        match = pattern.match(line, start)
        if match is None:
            break
        found = {k: v for k, v in match.groupdict().items() if v is not None}
        if groups is None:
            groups = found
        else:
            groups.update(found)
        start = match.end()
    return groups


def prefix_end(line: str, start: int = 0, plain: bool | None = None) -> int | None:
    """Where the run of log prefixes beginning at ``start`` ends (None: no prefix there).

    The run is matched one prefix at a time, each against only the prefix terminals that can
    begin with the character there (``_prefix_starting``): the first of those that matches is
    the first of all that matches, and none matches empty, so the run ends where
    ``_prefix_run`` ends it (about a fifth less matching for a line that has no prefix).

    ``plain``: whether the line holds neither a tab nor a pipe, when the caller knows (a paste
    that holds neither: each of its lines is looked at for them once, not twice)."""
    end = None
    if plain is None:
        plain = "\t" not in line and "|" not in line  # (see _PREFIX_STARTING)
    starting = _PREFIX_STARTING_PLAIN if plain else _PREFIX_STARTING
    screens = _PREFIX_SCREEN_PLAIN if plain else _PREFIX_SCREEN
    while start < len(line):
        char = line[start]
        pattern = starting[char] if char in starting else _prefix_starting(char, plain)
        if pattern is None:
            break
        screen = screens[char]
        if screen is not None:  # (``_PREFIX_SCREEN``: the line must hold one of its characters)
            for needed in screen:
                if needed in line:
                    break
            else:
                break
        match = pattern.match(line, start)
        if match is None:
            break
        end = start = match.end()
    return end

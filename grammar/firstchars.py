"""Which terminals of an ordered alternation can begin with a given character.

An alternation of terminals (the classifier's line terminals, the log prefixes) is matched at the
start of a line: the regex engine tries each terminal in turn, and most fail on the line's first
few characters. Which characters a terminal can begin with follows from its pattern alone (its
``FIRST`` set), so a line can be matched against only the terminals that can begin with its first
character, in the same order: the first of them that matches is the first of all that matches,
since the others cannot match there. The sets are computed from the patterns' syntax trees
(``re._parser``) for ASCII characters, conservatively: whatever the analysis cannot tell (a flag
that changes matching, a back reference, an unknown node) counts as "any character", and a
terminal that can match the empty string is kept for every character. A line beginning with
another character, or a pattern this interpreter cannot parse, uses the whole alternation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from re import _constants, _parser
from typing import Any, TypeVar

from . import regexcache

ASCII = tuple(chr(code) for code in range(128))
_ALL = frozenset(ASCII)
# Each category escape as the engine matches it for str patterns (Unicode rules), tried on ASCII.
_CATEGORY_TESTS = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


class _Unknown(Exception):
    """The analysis cannot tell: the caller treats the pattern as beginning with anything."""


def _category(name: str) -> frozenset[str]:
    test = _CATEGORY_TESTS.get(name)
    if test is None:
        raise _Unknown(name)
    pattern = re.compile(test)
    return frozenset(char for char in ASCII if pattern.match(char))


def _in_set(items: list[tuple[Any, Any]]) -> frozenset[str]:
    chars: set[str] = set()
    negate = False
    for op, argument in items:
        name = op.name
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            if argument < 128:
                chars.add(chr(argument))
        elif name == "RANGE":
            low, high = argument
            chars.update(chr(code) for code in range(low, min(high, 127) + 1))
        elif name == "CATEGORY":
            chars.update(_category(argument.name))
        else:
            raise _Unknown(name)
    return _ALL - chars if negate else frozenset(chars)


def _first(items: Iterable[tuple[Any, Any]]) -> tuple[frozenset[str], bool]:
    """(characters a match of the sequence can begin with, whether it can match the empty string)."""
    found: set[str] = set()
    for op, argument in items:
        chars, nullable = _first_of(op.name, argument)
        found |= chars
        if not nullable:
            return frozenset(found), False
    return frozenset(found), True


def _first_of(name: str, argument: Any) -> tuple[frozenset[str], bool]:
    if name == "LITERAL":
        return (frozenset((chr(argument),)) if argument < 128 else frozenset()), False
    if name == "NOT_LITERAL":
        return _ALL - {chr(argument)} if argument < 128 else _ALL, False
    if name == "ANY":
        return _ALL, False
    if name == "IN":
        return _in_set(argument), False
    if name == "BRANCH":
        union: set[str] = set()
        nullable = False
        for branch in argument[1]:
            branch_chars, branch_nullable = _first(branch)
            union |= branch_chars
            nullable = nullable or branch_nullable
        return frozenset(union), nullable
    if name == "SUBPATTERN":
        _, add_flags, del_flags, items = argument
        if add_flags or del_flags:  # a scoped flag (ignore case, ...) changes what a literal matches
            raise _Unknown(name)
        return _first(items)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, items = argument
        chars, nullable = _first(items)
        return chars, nullable or low == 0
    if name == "ATOMIC_GROUP":
        return _first(argument)
    if name in ("AT", "ASSERT", "ASSERT_NOT"):  # zero-width: ignoring what it asks keeps a superset
        return frozenset(), True
    raise _Unknown(name)


_Kept = TypeVar("_Kept")
Matcher = Callable[[str], "re.Match[str] | None"]


def beginning_with(
    char: str, terminals: Iterable[tuple[str, str, frozenset[str] | None, _Kept]], compiled: dict[str, Matcher]
) -> tuple[tuple[str, Matcher, _Kept], ...]:
    """Of ``terminals`` (name, pattern, the characters its matches can begin with or None when not
    known, what the caller keeps with it), those a line beginning with ``char`` can match, in their
    order, each with its pattern's ``match``: compiled when a list first holds it and kept in
    ``compiled`` by name. Every terminal for a character that is not ASCII (the first characters
    are known for ASCII alone)."""
    chosen = []
    for name, pattern, chars, kept in terminals:
        if chars is None or char in chars or char >= "\x80":
            match = compiled.get(name)
            if match is None:
                match = compiled[name] = regexcache.compile(pattern).match
            chosen.append((name, match, kept))
    return tuple(chosen)


def first_chars(regexp: str) -> frozenset[str] | None:
    """The ASCII characters a match of ``regexp`` can begin with; None when it may begin with any
    (it can match the empty string, or the analysis cannot tell)."""
    try:
        from re import _parser

        parsed = _parser.parse(regexp, 0)
        if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
            return None  # literals and sets match other characters too: not analysed
        chars, nullable = _first(parsed.data)
    except (_Unknown, ImportError, AttributeError, re.error, TypeError, ValueError, IndexError):
        return None
    return None if nullable else chars


def candidates(regexps: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """For each ASCII character, the positions (in order) of the patterns a match can begin with
    it; a pattern whose ``first_chars`` is None is a candidate for every character."""
    sets = [first_chars(regexp) for regexp in regexps]
    return {char: tuple(index for index, chars in enumerate(sets) if chars is None or char in chars) for char in ASCII}


def _needs(items: Iterable[tuple[Any, Any]], chars: frozenset[str]) -> bool:
    """Every match of the sequence reads one of ``chars`` (in it, or in a lookaround)."""
    return any(_needs_item(op.name, argument, chars) for op, argument in items)


def _needs_item(name: str, argument: Any, chars: frozenset[str]) -> bool:
    if name == "LITERAL":
        return chr(argument) in chars
    if name == "IN":  # a set of literals all among ``chars`` (a negated set, a range, a category: no)
        return bool(argument) and all(op.name == "LITERAL" and chr(value) in chars for op, value in argument)
    if name == "BRANCH":
        return all(_needs(branch, chars) for branch in argument[1])
    if name == "SUBPATTERN":
        _, add_flags, del_flags, items = argument
        return not (add_flags or del_flags) and _needs(items, chars)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, items = argument
        return low >= 1 and _needs(items, chars)
    if name == "ATOMIC_GROUP":
        return _needs(argument, chars)
    if name == "ASSERT":  # a lookahead or lookbehind that must match reads text of the string too
        return _needs(argument[1], chars)
    return False  # (a negative lookaround, any other node: not known to)


def needs_one_of(regexp: str, chars: str) -> bool:
    """Whether ``regexp`` can match (anywhere) only in a string holding one of ``chars``: every
    match, lookarounds included, reads one of them. False when the analysis cannot tell."""
    try:
        from re import _parser

        parsed = _parser.parse(regexp, 0)
        if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
            return False
        return _needs(parsed.data, frozenset(chars))
    except (ImportError, AttributeError, re.error, TypeError, ValueError, IndexError):
        return False


# (the syntax tree's node kinds, compared by identity in ``required``)
_LITERAL = _constants.LITERAL
_SUBPATTERN = _constants.SUBPATTERN
_BRANCH = _constants.BRANCH
_REPEATS = (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT)
_ATOMIC = _constants.ATOMIC_GROUP


def required(regexp: str) -> frozenset[str] | None:
    """Strings of which every match of ``regexp`` contains at least one (the most selective such
    set found), or None when none is found. Case-insensitive parts give none."""
    parsed = _parser.parse(regexp)
    if parsed.state.flags & re.IGNORECASE:
        return None
    return _required(list(parsed))


def _required(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    options: list[frozenset[str]] = []  # each: a set of which every match holds one
    run: list[str] = []  # consecutive literal characters every match holds, in this order

    def close() -> None:
        if run:
            options.append(frozenset({"".join(run)}))
            run.clear()

    for op, value in items:
        if op is _LITERAL:
            run.append(chr(value))
            continue
        close()
        found: frozenset[str] | None = None
        if op is _SUBPATTERN:
            _group, add_flags, _del_flags, sub = value
            if not add_flags & re.IGNORECASE:
                found = _required(list(sub))
        elif op is _ATOMIC:
            found = _required(list(value))
        elif op in _REPEATS:
            low, _high, sub = value
            if low >= 1:
                found = _required(list(sub))
        elif op is _BRANCH:
            _, branches = value
            alternatives = [_required(list(branch)) for branch in branches]
            if all(alternatives):
                found = frozenset().union(*alternatives)  # type: ignore[arg-type]
        if found:
            options.append(found)
    close()
    if not options:
        return None
    return max(options, key=lambda option: (min(len(text) for text in option), -len(option)))


def refers_back(regexp: str) -> bool:
    """Whether ``regexp`` refers back to a group (``\\1``, ``(?P=name)``, ``(?(1)...)``), read
    from its syntax tree (a text search also took the escaped `\\(` of `\\(?(\\? )` for a
    conditional); True when it cannot be parsed."""
    try:
        return _refers_back(_parser.parse(regexp, 0).data)
    except (re.error, TypeError, ValueError, IndexError, AttributeError):
        return True


def _refers_back(node: Any) -> bool:
    """Whether a node of the syntax tree (a sequence of (op, argument) items, or any argument,
    which may hold sequences) holds a reference to a group."""
    if isinstance(node, _parser.SubPattern):
        node = node.data
    if not isinstance(node, (list, tuple)):
        return False
    for item in node:
        if type(item) is tuple and len(item) == 2 and type(item[0]) is _constants._NamedIntConstant:
            op, argument = item
            if op.name.startswith("GROUPREF"):
                return True
            if op.name != "IN" and _refers_back(argument):  # (a set holds characters only)
                return True
        elif _refers_back(item):
            return True
    return False


def syntax_chars(pattern: str) -> Iterator[tuple[int, str]]:
    """The characters of ``pattern``, with their indexes, that are neither escaped nor inside a
    character class (a class stands for itself: ``[a-z)]`` holds no parenthesis)."""
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            position += 2
            continue
        if char == "[":
            position += 1
            if position < len(pattern) and pattern[position] == "^":
                position += 1
            if position < len(pattern) and pattern[position] == "]":  # a first `]` is a member
                position += 1
            while position < len(pattern) and pattern[position] != "]":
                position += 2 if pattern[position] == "\\" else 1
            position += 1
            continue
        yield position, char
        position += 1


# ---- whether a pattern can match a line that begins a given way ------------------------------
# Each pattern is read as a nondeterministic automaton over character sets (ASCII characters and
# ``_OTHER`` for every other one), conservatively: a lookaround or an anchor is taken as always
# holding, a possessive or atomic part as an ordinary one, and a repetition ``{m,n}`` as ``?``/``*``
# (m = 0) or ``+``, so the automaton accepts every string the pattern can match and more. Two such
# automata read together (every pair of states reachable on a common character) show whether a
# match of one can begin some string whose start the other describes.
_OTHER = "\x80"  # any character that is not ASCII
_ANY = _ALL | {_OTHER}


class _Automaton:
    def __init__(self) -> None:
        self.moves: list[list[tuple[frozenset[str] | None, int]]] = []  # None: an empty move

    def state(self) -> int:
        self.moves.append([])
        return len(self.moves) - 1

    def sequence(self, items: Iterable[tuple[Any, Any]], start: int) -> int:
        for op, argument in items:
            start = self.item(op.name, argument, start)
        return start

    def item(self, name: str, argument: Any, start: int) -> int:
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            end = self.state()
            self.moves[start].append((_chars(name, argument), end))
            return end
        if name == "BRANCH":
            end = self.state()
            for branch in argument[1]:
                self.moves[self.sequence(branch, start)].append((None, end))
            return end
        if name == "SUBPATTERN":
            _, add_flags, del_flags, items = argument
            if add_flags or del_flags:
                raise _Unknown(name)
            return self.sequence(items, start)
        if name == "ATOMIC_GROUP":
            return self.sequence(argument, start)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, items = argument
            if high == 0:
                return start
            if low > 0:  # one pass, then as ``*``
                start = self.sequence(items, start)
            if low > 1 or high > 1 or low == 0:
                loop = self.state()
                self.moves[start].append((None, loop))
                self.moves[self.sequence(items, loop)].append((None, loop))
                return loop
            return start
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            return start
        raise _Unknown(name)


def _chars(name: str, argument: Any) -> frozenset[str]:
    if name == "LITERAL":
        return frozenset((chr(argument) if argument < 128 else _OTHER,))
    if name == "NOT_LITERAL":
        return _ANY - {chr(argument)} if argument < 128 else _ANY
    if name == "ANY":
        return _ANY
    chars = _in_set(argument)  # (ASCII alone; raises _Unknown for what it cannot tell)
    if any(_beyond_ascii(op.name, value) for op, value in argument):
        return chars | {_OTHER}
    return chars


def _beyond_ascii(name: str, argument: Any) -> bool:
    """Whether an item of a character set may match a character that is not ASCII."""
    return (
        name in ("NEGATE", "CATEGORY")
        or (name == "RANGE" and argument[1] >= 128)
        or (name == "LITERAL" and argument >= 128)
    )


def _automaton(regexp: str) -> tuple[_Automaton, int, int]:
    parsed = _parser.parse(regexp, 0)
    if parsed.state.flags & (re.IGNORECASE | re.LOCALE):
        raise _Unknown("flags")
    automaton = _Automaton()
    start = automaton.state()
    return automaton, start, automaton.sequence(parsed.data, start)


def _closure(automaton: _Automaton, state: int) -> set[int]:
    found = {state}
    todo = [state]
    while todo:
        for chars, target in automaton.moves[todo.pop()]:
            if chars is None and target not in found:
                found.add(target)
                todo.append(target)
    return found


def can_match_opening(regexp: str, opening: str) -> bool:
    """Whether a match of ``regexp`` at a line's start can be found on some line that begins with
    a match of ``opening`` (followed by anything); True when the analysis cannot tell. False is a
    proof: the automata accept a superset of the patterns' strings, and no pair of their states
    reached together on the same characters has ``regexp``'s accepting state."""
    try:
        pattern, pattern_start, pattern_end = _automaton(regexp)
        line, line_start, line_end = _automaton(opening)
    except (_Unknown, re.error, TypeError, ValueError, IndexError, AttributeError):
        return True
    rest = line.state()  # after the opening: any characters
    line.moves[line_end].append((None, rest))
    line.moves[rest].append((_ANY, rest))
    pairs = {(a, b) for a in _closure(pattern, pattern_start) for b in _closure(line, line_start)}
    todo = list(pairs)
    while todo:
        a, b = todo.pop()
        if a == pattern_end:
            return True
        for chars_a, target_a in pattern.moves[a]:
            if chars_a is None:
                continue
            for chars_b, target_b in line.moves[b]:
                if chars_b is None or not (chars_a & chars_b):
                    continue
                for pair in ((x, y) for x in _closure(pattern, target_a) for y in _closure(line, target_b)):
                    if pair not in pairs:
                        pairs.add(pair)
                        todo.append(pair)
    return False

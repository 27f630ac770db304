"""Loads the grammar files once per process and exposes what the other modules need from them.

``oom.lark`` is parsed with Lark's LALR parser; the same terminal definitions, compiled once,
also classify single lines for the normaliser and give each line's named fields to the
Transformer. ``prefixes.lark`` supplies the log prefixes the normaliser strips.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from lark import Lark

OTHER = "OTHER"


def _plugins() -> dict[str, type]:
    # lark-cython: the same LALR tables and lexer in compiled code. Over the corpus it gives the
    # same facts for every dump and parses in 80 % of the time (7.9 -> 6.3 ms per dump, one run).
    try:
        import lark_cython  # type: ignore[import-untyped]
    except ImportError:
        return {}
    return dict(lark_cython.plugins)


@cache
def oom_parser() -> Lark:
    """The LALR parser for normalised dump text (built once per process, cached on disk)."""
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


@cache
def _line_classifier() -> re.Pattern[str]:
    parts = [f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in _ordered_terminals(oom_parser()) if t.name != OTHER]
    return re.compile("|".join(parts))


def classify(text: str) -> str:
    """Name of the terminal a single normalised line matches (``OTHER`` when none does)."""
    match = _line_classifier().match(text + "\n")
    if match is None or match.end() != len(text) + 1:
        return OTHER
    return match.lastgroup or OTHER


def is_loose(kind: str) -> bool:
    """True for OTHER and the `_CUT` terminals (a line a person shortened): such a line may be the
    first part of a wrapped line, and a join that makes it a whole line is kept."""
    return kind == OTHER or kind.endswith("_CUT")


@cache
def field_matcher(terminal: str) -> Callable[[str], re.Match[str] | None]:
    """A matcher returning the named groups of ``terminal`` for one line's text."""
    pattern = re.compile(oom_parser().get_terminal(terminal).pattern.to_regexp())
    return lambda text: pattern.match(text + "\n")


@cache
def prefix_pattern() -> re.Pattern[str]:
    """One pattern matching the run of log prefixes at the start of a line."""
    parts = [f"(?:{t.pattern.to_regexp()})" for t in _ordered_terminals(_prefix_grammar())]
    return re.compile("(?:" + "|".join(parts) + ")+")

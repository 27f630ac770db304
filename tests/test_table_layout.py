"""The parse table kept in Lark's cache in ``CachedTableParser``'s own layout (grammar.lexicon
``_fast_table_load``) reads back as the table Lark built: the same states, each with the same
tokens in the same order and the same actions (a shift's state, a reduce's rule); a cache written
in Lark's own layout is not read but built afresh; and the file's name keeps the layouts apart."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from lark import Lark
from lark.parsers.lalr_analysis import Reduce

from grammar import lexicon
from grammar.transform import LineTransformer


def _open(grammar: str, cache: Path, plugins: dict[str, Any] = lexicon.LALR_FAST_LOAD, **options: Any) -> Lark:
    return Lark.open_from_package(
        "grammar", grammar, ("",), parser="lalr", cache=str(cache), _plugins=plugins, **options
    )


def _rule(rule: Any) -> tuple[str, tuple[str, ...]]:
    return str(rule.origin.name), tuple(str(symbol.name) for symbol in rule.expansion)


def _table(parser: Lark) -> dict[int, list[tuple[str, str, Any]]]:
    table = parser.parser.parser._parse_table
    return {
        state: [
            (token, action.name, _rule(argument) if action is Reduce else argument)
            for token, (action, argument) in actions.items()
        ]
        for state, actions in table.states.items()
    }


@pytest.mark.parametrize(
    ("grammar", "options"),
    [
        ("oom.lark", {"lexer": lexicon._ClassifiedLineLexer, "transformer": LineTransformer()}),
        ("prefixes.lark", {"lexer": "basic"}),
        ("context.lark", {"lexer": "basic"}),
        # the line parser as oomlens reads it: lark-cython's parser, when the [fast] extra is there
        ("oom.lark", {"lexer": lexicon._ClassifiedLineLexer, "transformer": LineTransformer(), "plugins": "line"}),
    ],
)
def test_the_table_reads_back_as_built(grammar: str, options: dict[str, Any], tmp_path: Path) -> None:
    if options.pop("plugins", None) == "line":
        options["plugins"] = lexicon._line_plugins() or pytest.skip("without lark-cython")
    built = _open(grammar, tmp_path / "cache", **options)
    read = _open(grammar, tmp_path / "cache", **options)
    assert type(read.parser.parser) is type(built.parser.parser)
    assert _table(read) == _table(built) and len(_table(built)) > 10
    table, kept = read.parser.parser._parse_table, built.parser.parser._parse_table
    assert (table.start_states, table.end_states) == (kept.start_states, kept.end_states)


def test_a_cache_in_larks_own_layout_is_built_afresh(tmp_path: Path) -> None:
    """What an older version wrote: Lark's layout, which this one does not read."""
    cache = tmp_path / "cache"
    # (the options in ``_open``'s order: Lark's key for them, the file's first line, is the same)
    plain = Lark.open_from_package("grammar", "prefixes.lark", ("",), parser="lalr", cache=str(cache), lexer="basic")
    first, used = cache.read_bytes().split(b"\n", 1)[0], None
    with cache.open("rb") as handle:
        handle.readline()
        used = pickle.load(handle)
        assert "layout" not in pickle.load(handle)["data"]["parser"]["parser"]
    read = _open("prefixes.lark", cache, lexer="basic")
    line = "Dec  7 05:00:56 host kernel: [ 1234.567890] "
    assert read.parse(line) == plain.parse(line) and len(_table(read)) == len(_table(plain))
    with cache.open("rb") as handle:  # written again, in this layout
        assert handle.readline().rstrip(b"\n") == first and pickle.load(handle) == used
        assert pickle.load(handle)["data"]["parser"]["parser"]["layout"] == lexicon._TABLE_LAYOUT


def test_the_cache_file_names_the_layout_and_the_grammar() -> None:
    name = Path(lexicon.table_cache("oom.lark")).name
    assert lexicon._TABLE_LAYOUT in name and "oom.lark" in name
    assert lexicon.table_cache("prefixes.lark") != lexicon.table_cache("oom.lark")

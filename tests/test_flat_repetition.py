"""The line parser gathers ``start``'s repetition in one list (grammar.lexicon._flat_repetition)
instead of Lark's tree per token: on corpus pastes it must give exactly the items Lark's own
callbacks give, and leave a tree-building parser's callbacks alone."""

from __future__ import annotations

import pytest
from lark import Lark
from oomcases import corpus_cases, is_held_out, load_case

import grammar.parse as parse_module
from grammar import lexicon
from grammar.normalise import decode_bytes, normalise
from grammar.transform import LineTransformer, oom_line_parser

CASES = [case for case in corpus_cases() if not is_held_out(case)][::5]


@pytest.fixture(scope="module")
def lark_callbacks_parser() -> Lark:
    """The same grammar, lexer and Transformer, with Lark's own LALR parser and callbacks."""
    return Lark.open_from_package(
        "grammar",
        "oom.lark",
        ("",),
        parser="lalr",
        lexer=lexicon._ClassifiedLineLexer,
        cache=False,
        transformer=LineTransformer(),
    )


def test_the_line_parser_gathers_the_repetition() -> None:
    parser = oom_line_parser()
    items = parser.parse([("Mem-Info:", None), ("Call Trace:", None), ("a line of prose", None)])
    assert isinstance(items, list) and [item.kind for item in items] == ["meminfo_start", "call_trace_start", "other"]


def test_a_tree_building_parser_keeps_its_trees() -> None:
    tree = lexicon.oom_line_parser().parse([("Mem-Info:", None), ("Call Trace:", None)])
    assert tree.data == "start" and [child.data for child in tree.children] == ["meminfo_start", "call_trace_start"]


@pytest.mark.parametrize("case", CASES)
def test_same_items_as_lark_callbacks(case: str, lark_callbacks_parser: Lark, monkeypatch: pytest.MonkeyPatch) -> None:
    text, _ = decode_bytes(load_case(case)[0])
    lines = normalise(text).lines
    ours = parse_module.classify_lines(lines)
    monkeypatch.setattr(parse_module, "oom_line_parser", lambda: lark_callbacks_parser)
    assert parse_module.classify_lines(lines) == ours

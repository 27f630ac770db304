"""Classifying a line (and finding its log prefix) with only the terminals its first character can
begin gives what the whole ordered alternation gives: the same terminal, end and fields
(grammar/lexicon.py ``_ByFirstChar``). Checked with each character's own pattern compiled at its
first line, on the raw and normalised lines of the corpus (folds 1-4) and on random lines."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oomcases import CORPUS, corpus_cases, is_held_out

from grammar import lexicon
from grammar.normalise import decode_bytes, normalise
from grammar.parse import parse_text


@pytest.fixture(scope="module")
def compiled_at_once() -> tuple[lexicon._ByFirstChar, lexicon._ByFirstChar, dict[str, tuple[str, ...]]]:
    parse_text("x")  # loads the grammar
    classifier, names = lexicon._classifier()
    prefixes = lexicon._prefixes()
    parts = [part for part, _ in classifier._parts]
    prefix_parts = [part for part, _ in prefixes._parts]
    return (
        lexicon._ByFirstChar(parts, classifier.whole, compile_after=1),
        lexicon._ByFirstChar(prefix_parts, prefixes.whole, compile_after=1),
        names,
    )


def _same_reading(line: str, dispatch: lexicon._ByFirstChar, names: dict[str, tuple[str, ...]]) -> None:
    whole = dispatch.whole.match(line + "\n")
    pattern = dispatch.pattern(line[:1] or "\n")
    assert pattern is not dispatch.whole  # compiled for this character
    part = pattern.match(line + "\n") if pattern is not None else None

    def reading(match: re.Match[str] | None) -> object:
        if match is None:
            return None
        return match.lastgroup, match.end(), [match.group(name) for name in names.get(match.lastgroup or "", ())]

    assert reading(part) == reading(whole), line


def _same_prefix(line: str, dispatch: lexicon._ByFirstChar) -> None:
    whole = dispatch.whole.match(line)
    first = dispatch.pattern(line[:1])
    end = None
    if first is not None and (match := first.match(line)) is not None:
        rest = dispatch.whole.match(line, match.end())
        end = rest.end() if rest else match.end()
    assert end == (whole.end() if whole else None), line


def test_corpus_lines_read_alike(compiled_at_once) -> None:  # type: ignore[no-untyped-def]
    classifier, prefixes, names = compiled_at_once
    checked = 0
    for case in corpus_cases():
        if is_held_out(case):
            continue
        text, _ = decode_bytes((CORPUS / case / "input.log").read_bytes())
        raw_lines = text.replace("\r", "\n").split("\n")
        for line in raw_lines:
            _same_prefix(line, prefixes)
            _same_prefix(line.lstrip(" \t"), prefixes)
        for line in raw_lines + [line.text for line in normalise(text).lines]:
            _same_reading(line, classifier, names)
            checked += 1
    assert checked > 10_000
    assert len(classifier._by_members) > 10  # the lines began with many characters


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("[]<>()0123456789 \t.:-_=*#$%|kKmMnNoOsSTtaAbBcCdDeEzZ/\\?,é月"), max_size=60))
def test_random_lines_read_alike(compiled_at_once, line: str) -> None:  # type: ignore[no-untyped-def]
    classifier, prefixes, names = compiled_at_once
    _same_reading(line, classifier, names)
    _same_prefix(line, prefixes)


def test_prefix_end_is_the_whole_patterns_end() -> None:
    for line in (
        "Mar 14 02:03:56 db-7 kernel: [ 5864.708493] Out of memory: Killed process 1 (x)",
        "[ 5864.708493] [ T1234] oom-kill:constraint=CONSTRAINT_NONE",
        "   [  154]     0   154   286356   254893 memhog",
        "no prefix at all",
        "",
    ):
        for start in (0, len(line) - len(line.lstrip(" \t"))):
            whole = lexicon.prefix_pattern().match(line, start)
            assert lexicon.prefix_end(line, start) == (whole.end() if whole else None)

"""The classifier and the prefix finder match with patterns whose groups were made non-capturing
(grammar/lexicon.py ``_without_groups``): the same terminal, end and fields as the terminals'
own grouped patterns joined into one alternation, on the raw and normalised lines of the corpus
(folds 1-4) and on generated lines. The prefix finder and reader (``prefix_end``,
``prefix_groups``), which match one prefix at a time with the terminals a line's character and
separators leave, end and read the run as the whole grouped alternation does."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oomcases import CORPUS, corpus_cases, is_held_out

from grammar import lexicon
from grammar.firstchars import can_match_opening, needs_one_of, refers_back
from grammar.normalise import decode_bytes, normalise
from grammar.parse import parse_text


@pytest.fixture(scope="module")
def grouped() -> re.Pattern[str]:
    """One alternation of every line terminal but OTHER with its own groups (the plain way)."""
    parse_text("x")  # loads the grammar
    parser = lexicon.oom_line_parser()
    terminals = [t for t in lexicon.ordered_terminals(parser) if t.name != lexicon.OTHER]
    return re.compile("|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals))


def _same_reading(line: str, grouped: re.Pattern[str]) -> None:
    match = grouped.match(line + "\n")
    expected = lexicon.OTHER, ()
    if match is not None and match.end() == len(line) + 1:
        kind = match.lastgroup or lexicon.OTHER
        expected = kind, tuple(match.group(name) for name in lexicon.group_names(kind))
    classified = lexicon.classify_fields(line)
    assert (classified.kind, classified.values) == expected, line


def _same_prefix(line: str) -> None:
    for start in (0, len(line) - len(line.lstrip(" \t"))):
        whole = lexicon.prefix_pattern().match(line, start)
        assert lexicon.prefix_end(line, start) == (whole.end() if whole else None), line
    whole = lexicon.prefix_pattern().match(line)
    groups = None if whole is None else {k: v for k, v in whole.groupdict().items() if v is not None}
    assert lexicon.prefix_groups(line) == groups, line


@pytest.mark.parametrize(
    ("regexp", "needs"),
    [
        (r"a\|b", True),
        (r"a|\|", False),
        (r"(?:\t|[ \t]\|[ \t])x", True),
        (r"x(?=[^\t\n|]*+[\t|])", True),  # a lookahead that must find one
        (r"x(?!\|)", False),
        (r"[\t|]", True),
        (r"[^\t|]", False),
        (r"[\t|a]", False),
        (r"\|?x", False),
        (r"\|+x", True),
    ],
)
def test_needs_one_of(regexp: str, needs: bool) -> None:
    assert needs_one_of(regexp, "\t|") is needs


@pytest.mark.parametrize(
    ("regexp", "refers"),
    [
        (r"(a)\1", True),
        (r"(?P<x>a)(?P=x)", True),
        (r"(a)?(?(1)b|c)", True),
        (r"(?!(a)\1)", True),
        (r"\(?(\? )?x", False),  # an escaped parenthesis, then an optional group: no conditional
        (r"a(b|c)*[\1]", False),  # (in a set, an octal escape)
        (r"(?<=a(b))c", False),
    ],
)
def test_refers_back(regexp: str, refers: bool) -> None:
    assert refers_back(regexp) is refers


def test_every_line_terminal_is_matched_without_unnamed_groups() -> None:
    """No line terminal refers back to a group, so the classifier matches each without its unnamed
    groups (a trace line's 17 were each saved at every step of its repetitions)."""
    parse_text("x")
    _, fields, _, _, owns, _ = lexicon._line_terminals()
    for (regexp, names), own in zip(fields.values(), owns, strict=True):
        compiled = re.compile(own)
        assert compiled.groups == len(names), regexp


def test_some_prefix_needs_a_separator() -> None:
    """Table-column prefixes exist (else the plain lines' alternations are the same as the others)."""
    texts = lexicon._prefix_texts()
    assert texts[4] is not None and any(texts[4]) and not all(texts[4])


def test_lean_patterns_have_no_groups_but_the_terminal_names() -> None:
    parse_text("x")
    pattern, fields = lexicon._classifier()
    assert pattern.groups == len(fields) and set(pattern.groupindex) == set(fields)
    assert lexicon._prefix_run().groups == 0


def test_corpus_lines_read_alike(grouped: re.Pattern[str]) -> None:
    checked = set()
    for case in corpus_cases():
        if is_held_out(case):
            continue
        text, _ = decode_bytes((CORPUS / case / "input.log").read_bytes())
        raw_lines = text.replace("\r", "\n").split("\n")
        for line in raw_lines:
            _same_prefix(line)
        for line in raw_lines + [line.text for line in normalise(text).lines]:
            _same_reading(line, grouped)
            checked.add(lexicon.classify(line))
    assert len(checked) > 40  # most terminals were met


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "[",
                "]",
                "<",
                ">",
                "(",
                ")",
                " ",
                "\t",
                ":",
                "=",
                ",",
                "0",
                "12",
                "0x1f",
                "kB",
                "Node 0 ",
                "DMA32 ",
                "free:",
                " invoked oom-killer: ",
                "gfp_mask=0x cc0",
                "order=0",
                "Killed process ",
                "Mar 14 02:03:56 ",
                "host kernel: ",
                "[ 5864.708493] ",
                "[ T12] ",
                "page allocation failure",
                "cpuset=/",
                "mems_allowed=0",
                "Linux version 5.4.0 (",
                "é",
                "月",
                "|",
                " | ",
                "2026-03-14T02:03:56Z\t",
                "web-1 | ",
            ]
        ),
        max_size=12,
    )
)
def test_generated_lines_read_alike(grouped: re.Pattern[str], pieces: list[str]) -> None:
    line = "".join(pieces)
    _same_reading(line, grouped)
    _same_prefix(line)


def test_arch_searches_are_tried_only_where_a_literal_they_require_is() -> None:
    """``grammar.parse._arch`` looks for literals before each search that would try every position
    of a call trace: every match of the pattern holds one of them (each string of which every
    match holds one, as grammar.screen reads the pattern, holds one of the literals)."""
    from grammar.parse import GUARDED_SEARCHES
    from grammar.screen import required

    for pattern, literals in GUARDED_SEARCHES:
        needed = required(pattern)
        assert needed is not None, pattern
        assert all(any(literal in text for literal in literals) for text in needed), pattern


@pytest.mark.parametrize(
    ("regexp", "can"),
    [
        (r"\[\s*+\d++\.\d+\]", False),  # a dmesg stamp needs a point before the bracket closes
        (r"\[\s*+[TC]\d+\]", False),
        (r"[ \t]*+\[\d+:", False),
        (r"\[(?=[^\]:]*+:)[^\]]{0,24}?\d\d:\d\d", False),  # the lookahead is ignored: the clock decides
        (r"\[(?:\s*+\d++\.\d++s\]|pid:)", False),
        (r"\[[ \t]*\d+", True),  # a match inside the opening
        (r"\[\d+\]", True),
        (r"\[[^\]]{0,5}\]", True),
        (r"\[\s*(\d+|\+)\]", True),
        (r"\[ {2,}1", True),
        (r"\[\d+\] x", True),  # after the opening, anything
        (r"\[\d+\]\u00e9", True),  # a character that is not ASCII, after it
        (r"(?i)\[X", True),  # a flag the analysis does not read: it cannot tell
        (r"(a)\1", True),
    ],
)
def test_can_match_opening(regexp: str, can: bool) -> None:
    assert can_match_opening(regexp, r"\[[ \t]*\d+\]") is can


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=" \t", max_size=8),
    st.text(alphabet="0123456789", min_size=1, max_size=8),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n"), max_size=40),
)
def test_no_prefix_begins_a_task_row(blanks: str, digits: str, rest: str) -> None:
    """The proof behind the bracket prefixes' lookahead for a task row's opening
    (``lexicon._TASK_ROW_OPENING``): no prefix matches on a line that opens so."""
    line = f"[{blanks}{digits}]{rest}"
    assert lexicon.prefix_pattern().match(line) is None
    assert lexicon.prefix_end(line) is None


def test_the_bracket_prefixes_fail_a_task_row_at_once() -> None:
    """The derivation proves it for the grammar's prefixes, so the guard is in place."""
    for key in ("[p", "[t"):
        assert lexicon._factored_texts()[key].startswith(f"(?!{lexicon._TASK_ROW_OPENING})")


def test_prefix_screens_are_needed_by_every_prefix_they_screen() -> None:
    """A line is not matched for a prefix beginning with its character when it holds none of the
    screen's characters (``lexicon._PREFIX_SCREEN``): every prefix that can begin with it reads one."""
    screens = lexicon._prefix_screens()
    parts = lexicon._prefix_texts()[2]
    assert parts is not None and screens
    for key, screen in screens.items():
        for part in lexicon._chosen(parts, key[0], key[1] == "p"):
            assert needs_one_of(part, screen), (key, part)
    # a call-trace frame's line holds none of a letter's or a blank's
    assert lexicon.prefix_end(" dump_stack_lvl+0x48/0x60") is None
    assert lexicon.prefix_end("Sep 23 02:04:16 host kernel: x") == len("Sep 23 02:04:16 host kernel: ")

"""grammar.literal finds a literal by its rarest character: every place it reports must be one a
``str.find`` loop reports, in the same order, none left out (on corpus pastes as read and lower
cased, and on generated text where the rare character is frequent or absent)."""

from __future__ import annotations

import random

import pytest
from oomcases import corpus_cases, is_held_out, load_case

from grammar.literal import _CANDIDATES, _anchor, find_all, holds, holds_any, line_indexes

# literals the knowledge base looks for (knowledge.analysis find_lines patterns, the hypervisor
# names of Analysis.environment, a few more), some with a rare character, some without
LITERALS = [
    "sysrq",
    "qemu",
    "kvm",
    "EXT4-fs error ",
    "cpuset=",
    "mems_allowed=",
    "no killable processes",
    "order=-1",
    "entry_SYSCALL_64",
    "[<",
    ">{",
    "x29:",
    "Killed process",
    "kB",
    "Q",
    "",
]
CASES = [case for case in corpus_cases() if not is_held_out(case)][::7]


def _find_loop(text: str, literal: str) -> list[int]:
    out = []
    at = text.find(literal)
    while at >= 0:
        out.append(at)
        at = text.find(literal, at + 1)
    return out


@pytest.mark.parametrize("case", CASES)
def test_same_places_as_str_find_on_corpus_pastes(case: str) -> None:
    text = load_case(case)[0].decode("utf-8", errors="replace")
    lowered = text.lower()
    for literal in LITERALS:
        assert list(find_all(text, literal)) == _find_loop(text, literal)
        assert list(find_all(lowered, literal.lower(), True)) == _find_loop(lowered, literal.lower())
        assert holds(text, literal) is (literal in text)
    assert holds_any(text, ("qemu", "kvm")) is ("qemu" in text or "kvm" in text)


@pytest.mark.parametrize("case", CASES[::4])
def test_line_indexes_are_the_lines_that_hold_the_places(case: str) -> None:
    # the index of the line each place falls in, as the lines' own offsets say (the empty lines
    # and the first and last characters of a line included)
    text = load_case(case)[0].decode("utf-8", errors="replace")
    owner = [index for index, line in enumerate(text.split("\n")) for _ in range(len(line) + 1)]
    places = sorted({*random.Random(case).sample(range(len(text)), min(200, len(text))), 0, len(text) - 1})
    assert list(line_indexes(text, places)) == [owner[at] for at in places]
    assert list(line_indexes(text, [])) == []


def test_same_places_when_the_rare_character_is_frequent_or_absent() -> None:
    generator = random.Random(12)
    for alphabet in ("ab kB=qz:\n", "qQ#|Xa", "Xq x", "sysrq"):
        for _ in range(20000):
            text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 4 * _CANDIDATES)))
            literal = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 4)))
            lowered = generator.random() < 0.5
            assert list(find_all(text, literal, lowered)) == _find_loop(text, literal), (text, literal)


def test_a_literal_is_looked_for_by_a_rare_character_only() -> None:
    assert "sysrq"[_anchor("sysrq", False) or 0] == "q"
    assert _anchor("no killable processes", True) is None  # every character common: str.find

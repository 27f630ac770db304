"""``read_context`` reads each candidate line's token by trying only the terminals that can begin
with its character, those that can begin with most characters only when the line holds one of
their literals (grammar/context_facts.py ``_token``): the same token as one alternation of every
terminal, on the normalised lines of the corpus (folds 1-4) and on generated lines. The screen
that picks the candidates (``_candidates``, a search of each line for the words at their rarest
characters) picks the lines a plain search for each word picks."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from oomcases import CORPUS, corpus_cases, is_held_out

from grammar import context_facts
from grammar.normalise import decode_bytes, normalise


def _alternation_token(text: str) -> str:
    match = context_facts._terminal_of_line().match(text + "\n")
    return (match.lastgroup if match else None) or "OTHER"


def _plain_candidates(lines: list[Any]) -> list[Any]:
    """The screen as a search of each line for each word."""
    out = []
    reach = -1
    for index, line in enumerate(lines):
        text = line.text
        if any(word in text for word in context_facts._HEADER_WORDS) and context_facts._HEADERS.search(text):
            reach = index + context_facts._HEADER_REACH
            out.append(line)
        elif (
            index <= reach
            or any(word in text for word in context_facts._SCREEN_WORDS)
            or (text[:1].isalpha() and ":" in text and context_facts._MEMINFO.match(text))
        ):
            out.append(line)
    return out


def test_corpus_lines_are_screened_and_tokenised_alike() -> None:
    tokens = set()
    for case in corpus_cases():
        if is_held_out(case):
            continue
        text, _ = decode_bytes((CORPUS / case / "input.log").read_bytes())
        lines = [line for line in normalise(text).lines if line.text and "\n" not in line.text]
        assert context_facts._candidates(lines) == _plain_candidates(lines), case
        for line in lines:
            token = context_facts._token(line.text)
            assert token == _alternation_token(line.text), line.text
            tokens.add(token)
    assert len(tokens) > 15  # most terminals were met


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                " ",
                "\t",
                ":",
                "0",
                "12",
                "1.5Gi",
                "kB",
                "Mem:",
                "Swap:",
                "total",
                "free",
                "-m",
                "$ ",
                "Memory",
                '"OOMKilled": true',
                "Modules linked in:",
                "BUG: unable to handle kernel ",
                "Oops: ",
                "kmemleak: ",
                "cannot allocate memory",
                "ENOMEM",
                "sshd[123]:",
                "PID USER",
                "MemTotal:",
                "Limits:",
                "memory:",
                "/dev/sda2",
                "partition",
                "é",
                "月",
            ]
        ),
        max_size=10,
    )
)
def test_generated_lines_are_screened_and_tokenised_alike(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert context_facts._token(text) == _alternation_token(text)
    lines = [SimpleNamespace(text=text), SimpleNamespace(text="x " + text), SimpleNamespace(text=text.strip())]
    lines = [line for line in lines if line.text]
    assert context_facts._candidates(lines) == _plain_candidates(lines)

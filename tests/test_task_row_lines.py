"""The normaliser takes a paste's task rows without a log prefix from one search of its text
(``lexicon.task_row_lines``): such a line gets no prefix and TASK_ROW's classification without a
prefix match and a classification of its own. Two proofs make that exact - the bracket prefixes
are tried behind the task-row lookahead, and no line terminal tried before TASK_ROW on a line
beginning with a bracket can match on a row's opening - and these tests hold the derivation to
them, and the shortcut to the per-line path on the corpus (folds 1-4) and on generated lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from oomcases import CORPUS, corpus_cases, is_held_out

from grammar import lexicon
from grammar import normalise as normalise_module
from grammar.firstchars import can_match_opening
from grammar.normalise import decode_bytes, normalise


def _per_line(text: str) -> normalise_module.Normalised:
    """``normalise(text)`` without the shortcut (every line matched for a prefix and classified)."""
    saved = vars(normalise_module)["task_row_lines"]
    setattr(normalise_module, "task_row_lines", lambda: None)  # noqa: B010
    try:
        return normalise(text)
    finally:
        setattr(normalise_module, "task_row_lines", saved)  # noqa: B010


def test_the_shortcut_is_derived() -> None:
    """The grammar as it is proves both: the search is in place."""
    assert lexicon.task_row_lines() is not None
    for key in ("[p", "[t"):
        assert lexicon._factored_texts()[key].startswith(f"(?!{lexicon._TASK_ROW_OPENING})")
    for name, match, _, _ in lexicon._candidates("["):
        if name == "TASK_ROW":
            break
        own = match.__self__.pattern  # type: ignore[attr-defined]
        assert not can_match_opening(own, lexicon._TASK_ROW_OPENING), name


def _row_lines(text: str) -> list[str]:
    pattern = lexicon.task_row_lines()
    assert pattern is not None
    return pattern.findall("\n" + text)  # (the first line too)


def _check_lines(text: str) -> int:
    """Every line the search gives has no prefix and is classified as a row, line by line."""
    rows = _row_lines(text)
    for line in rows:
        assert line in text.split("\n")
        assert lexicon.prefix_end(line) is None, line
        assert lexicon.prefix_end(line, 0, False) is None  # (as a line with a tab or a pipe is read)
        assert lexicon.classify_fields(line) == lexicon.task_row(), line
    return len(rows)


def test_corpus_rows_read_alike() -> None:
    rows = 0
    for case in corpus_cases():
        if is_held_out(case):
            continue
        text, _ = decode_bytes((CORPUS / case / "input.log").read_bytes())
        rows += _check_lines(text)
        assert normalise(text) == _per_line(text), case
    assert rows > 0  # (most corpus pastes carry a log prefix on each row; the generated lines below hold more)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "[  530]     0   530    13854       28      27       83         -1000 auditd",
                    "[ 1234]  1000  1234  51200  2048   64   0  0 java  ",
                    "[  12]   0  12 ",
                    "[1] 0 1 x",
                    "[\t7]\t-1\t7\tname",
                    "[ 9]  0  9  `code`",
                    "[ 9]  0  9  **bold**",
                    "[ 1234.567890] [  530]     0   530  13854 auditd",
                    "[  530] ",
                    "Call Trace:",
                    "> [  530]     0   530    13854 auditd",
                    "```",
                    "",
                    "   ",
                ]
            ),
            st.builds(
                lambda blanks, pid, rest: f"[{blanks}{pid}]{rest}",
                st.text(alphabet=" \t", max_size=3),
                st.text(alphabet="0123456789", min_size=1, max_size=6),
                st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=30),
            ),
        ),
        max_size=8,
    )
)
def test_generated_rows_read_alike(lines: list[str]) -> None:
    text = "\n".join(lines)
    _check_lines(text)
    assert normalise(text) == _per_line(text)

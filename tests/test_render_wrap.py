"""bot.render.common._wrap's own filling of prose (``_fill_words``) against textwrap.fill, which it
stands in for (issue 12): the same text for every paragraph, width and indent."""

from __future__ import annotations

import random
import textwrap

from bot.render.common import _wrap


def _textwrap(text: str, width: int, indent: str, first: str | None, verbatim: bool) -> str:
    paragraphs = [p.strip() if verbatim else " ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return "\n".join(
        textwrap.fill(
            paragraph,
            width=max(20, width),
            initial_indent=first if (first is not None and index == 0) else indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=True,
        )
        for index, paragraph in enumerate(paragraphs)
    )


PIECES = ["a", "bb", "x-y", "\u00a0", "\u00e9", "\t", "\n", "\n\n", "  ", " ", "\r", "\x0b", "\x1c", "\u2003", "."]
WORDS = ["a", "bb", "word", "paragraph"]


def test_wrap_fills_as_textwrap_does():
    rng = random.Random(12)
    for _ in range(20000):
        text = "".join(
            rng.choice(PIECES) if rng.random() < 0.3 else " " + rng.choice([*WORDS, "x" * rng.randint(1, 30)])
            for _ in range(rng.randint(0, 60))
        )
        width = rng.choice([10, 20, 21, 25, 40, 96, 160])
        indent = rng.choice(["", "  ", "     ", "x" * 19, "x" * 25])
        first = rng.choice([None, "", "  - ", "  1. ", "x" * 30])
        for verbatim in (False, True):
            assert _wrap(text, width, indent, first, verbatim) == _textwrap(text, width, indent, first, verbatim)

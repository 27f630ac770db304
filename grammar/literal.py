"""Where a literal occurs in a long text (a paste, an event's lines joined), found by the literal's
rarest character.

``str.find`` and ``in`` look for a literal of several characters by comparing the text a
character at a time: about half a nanosecond per character, 6-8 us for the text of a 13 kB event,
and the knowledge base asks a dozen literals of each event. A single character is found by
memchr, twenty to forty times faster. So the character of the literal that kernel reports hold
least often is looked for alone, and the literal is compared at each place it is found. Should
that character turn out frequent in this text (more than ``_CANDIDATES`` places), the rest of the
text is left to ``str.find``. The answers are exactly those of ``in`` and of a ``str.find`` loop;
only the work differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

# The printable ASCII characters from the most to the least frequent in kernel OOM reports, as
# printed and lower-cased (counted over examples/seed-rsync-32bit.log and OOMAnalyser's four
# example dumps); any other character is rarer still. Only the choice of the character to look
# for depends on them, never an answer.
_BY_FREQUENCY = " 021e34568:a79skilco[]rntfpdm_Bguhbx-vAD*/.()ywSM,U+=PECNR<>?ITOjKHFGX#LzqV|ZWQ"
_BY_FREQUENCY_LOWERED = " 021e345a68:79sbickdlonrmt[]pf_ughxv-*/.()wy,+=<>?jz#q|"
_RANKS = (
    {char: rank for rank, char in enumerate(_BY_FREQUENCY)},
    {char: rank for rank, char in enumerate(_BY_FREQUENCY_LOWERED)},
)

# Places of the rare character compared one by one (~0.25 us each) before the rest of the text is
# left to str.find (~0.4 ns a character: a 13 kB text in the time of some twenty places)
_CANDIDATES = 12
# A character rarer than the `=` of `gfp_mask=`, `order=` (a dozen to thirty in an event): `Q`, `X`,
# `#`, `|`, `q`, `z`... A literal without one is left to str.find (its commonest characters would
# be compared at more places than str.find takes to read the text).
_RARE = (_BY_FREQUENCY.index("=") + 1, _BY_FREQUENCY_LOWERED.index("=") + 1)


def rarest(literal: str, lowered: bool = False) -> int:
    """The index in ``literal`` of the character reports hold least often (the first of equals)."""
    ranks = _RANKS[lowered]
    rarest = len(ranks)
    of_chars = [ranks.get(char, rarest) for char in literal]
    return of_chars.index(max(of_chars))


def rarity(char: str) -> int:
    """How rare ``char`` is in kernel reports: higher for rarer characters (its place in
    ``_BY_FREQUENCY``; any other character ranks past them all)."""
    return _RANKS[False].get(char, len(_RANKS[False]))


@lru_cache(maxsize=1024)
def _anchor(literal: str, lowered: bool) -> int | None:
    """``rarest(literal)``, None when that character is not rare (``_RARE``)."""
    index = rarest(literal, lowered)
    return index if _RANKS[lowered].get(literal[index], len(_RANKS[lowered])) >= _RARE[lowered] else None


def find_all(text: str, literal: str, lowered: bool = False) -> Iterator[int]:
    """Every place ``literal`` begins in ``text``, in order (overlapping ones too): those of
    ``at = text.find(literal, at + 1)`` from ``at = text.find(literal)``. ``lowered``: the text is
    lower case (the frequencies of lower-cased reports choose the character)."""
    offset = _anchor(literal, lowered) if len(literal) > 1 else None  # (one character: str.find's memchr)
    if offset is None:
        at = text.find(literal)
        while at >= 0:
            yield at
            at = text.find(literal, at + 1)
        return
    char = literal[offset]
    at = text.find(char, offset)
    left = _CANDIDATES
    while at >= 0:
        begin = at - offset
        if text.startswith(literal, begin):
            yield begin
        left -= 1
        if not left:  # a frequent character in this text: str.find for the rest
            at = text.find(literal, begin + 1)
            while at >= 0:
                yield at
                at = text.find(literal, at + 1)
            return
        at = text.find(char, at + 1)


def holds(text: str, literal: str, lowered: bool = False) -> bool:
    """``literal in text``: the first place ``find_all`` finds (``in`` itself for a literal
    without a rare character)."""
    if len(literal) < 2 or _anchor(literal, lowered) is None:
        return literal in text
    return next(find_all(text, literal, lowered), -1) >= 0


def holds_any(text: str, literals: Iterable[str], lowered: bool = False) -> bool:
    """``any(literal in text for literal in literals)``."""
    return any(holds(text, literal, lowered) for literal in literals)


def line_indexes(text: str, offsets: Iterable[int]) -> Iterator[int]:
    """The index of the line of ``text`` (lines joined by "\\n") that holds each of ``offsets``,
    given in ascending order: the line breaks between one offset and the next are counted (in C),
    so nothing is laid out per line of a text where few offsets fall."""
    count = text.count
    index, counted = 0, 0
    for at in offsets:
        index += count("\n", counted, at)
        counted = at
        yield index

"""Test helpers: the corpus of real cases lives in tests/corpus (OOMLENS_CORPUS overrides it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("OOMLENS_CORPUS", REPO / "tests" / "corpus"))


def corpus_cases() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if (p / "meta.json").is_file())


def _wave(name: str) -> set[str]:
    """The case ids listed in tests/corpus/<name>_WAVE.txt (FORMAT.md), empty when it is absent."""
    path = CORPUS / f"{name}_WAVE.txt"
    return set(path.read_text().split()) if path.is_file() else set()


# The waves in the order they were added (tests/corpus/<NAME>_WAVE.txt, FORMAT.md).
WAVES = (
    "SECOND",
    "THIRD",
    "FOURTH",
    "FIFTH",
    "SIXTH",
    "SEVENTH",
    "EIGHTH",
    "NINTH",
    "TENTH",
    "ELEVENTH",
    "TWELFTH",
    "THIRTEENTH",
    "FOURTEENTH",
    "FIFTEENTH",
    "SIXTEENTH",
    "SEVENTEENTH",
    "EIGHTEENTH",
    "NINETEENTH",
    "TWENTIETH",
    "TWENTYFIRST",
    "TWENTYSECOND",
    "TWENTYTHIRD",
    "TWENTYFOURTH",
    "TWENTYFIFTH",
    "TWENTYSIXTH",
    "TWENTYSEVENTH",
    "TWENTYEIGHTH",
    "TWENTYNINTH",
    "THIRTIETH",
    "THIRTYFIRST",
    "THIRTYSECOND",
    "THIRTYTHIRD",
    "THIRTYFOURTH",
    "THIRTYFIFTH",
    "THIRTYSIXTH",
    "THIRTYSEVENTH",
    "THIRTYEIGHTH",
    "THIRTYNINTH",
    "FORTIETH",
    "FORTYFIRST",
    "FORTYSECOND",
    "FORTYTHIRD",
    "FORTYFIFTH",
    "FORTYSIXTH",
    "FORTYSEVENTH",
)


def wave_cases(name: str) -> set[str]:
    """The cases of one wave (e.g. "FOURTH"), as listed in tests/corpus/<NAME>_WAVE.txt."""
    return _wave(name)


def waves_from(first: str) -> set[str]:
    """The cases of wave ``first`` (e.g. "THIRD") and of every wave added after it: the samples
    fixed as the corpus stood before it keep every later wave out without listing each one."""
    return set().union(*(_wave(name) for name in WAVES[WAVES.index(first) :]))


PENDING = REPO / "tests" / "pending"


def load_case(case: str) -> tuple[bytes, dict]:
    """A case's input and meta: from the corpus, else from the wave held back in tests/pending
    (tests of a pending case's rule read it there until it moves, and from the corpus after)."""
    directory = CORPUS / case
    if not (directory / "input.log").is_file() and (PENDING / case / "input.log").is_file():
        directory = PENDING / case
    return (directory / "input.log").read_bytes(), json.loads((directory / "meta.json").read_text())


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"corpus not found at {CORPUS}")
    return CORPUS


def case_fold(case: str, folds: int = 5) -> int:
    """Fold of a case: sha256 of its id without the `--variant` suffix (variants share a fold)."""
    import hashlib

    base = case.split("--", 1)[0]
    return int(hashlib.sha256(base.encode()).hexdigest(), 16) % folds


def is_held_out(case: str) -> bool:
    """Fold 0: the cases no threshold or step was tuned on (tests/corpus/FORMAT.md, fix_patterns)."""
    return case_fold(case) == 0


def kernel_fix_ids(text: str, event: int = 0) -> list[str]:
    """The ids of the knowledge/kernel_fixes.yaml records an event of ``text`` matches."""
    from grammar.parse import parse_text
    from knowledge.diagnose import evaluate
    from knowledge.kernel_fixes import matches

    dump = parse_text(text)
    return [f.id for f in matches(evaluate(dump.events[event], dump).analysis)]


def first_steps(text: str, event: int = 0, n: int = 3) -> list[str]:
    """The first ``n`` remediation steps oomlens gives for an event of ``text``, in order."""
    from bot.pipeline import analyze

    return [s for f in analyze(text).events[event].findings for s in f.remediation][:n]

"""How often oomlens names the expert's cause first, and how honest its confidence is, on cases
the thresholds were not tuned on.

Folds are fixed by a hash of the case id (a `--` re-rendering shares its base case's fold, so the
same kernel output never sits on both sides), so a case's fold never changes when cases are added.
Fold 0 is the held-out fifth: it was set aside before the confidence work of issue 9 and no
threshold is tuned on it. ``--fold all`` reports every fold (5-fold view of the same figures).

Per category (the expert's first category) and overall it prints:
  top-1       the first finding's category is one of the expert's categories
  confident   answers whose first finding is >= 60 % confident, and how many of them are right
  coverage    confident answers / cases

Usage: PYTHONPATH=. python bench/confidence_holdout.py [--fold 0|1|2|3|4|all|train] [-v]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
from oomcases import case_fold  # noqa: E402  (the one definition of the folds, shared with the fix-share test)

FOLDS = 5
HELD_OUT = 0
CONFIDENT = 0.60


def fold_of(case_id: str) -> int:
    return case_fold(case_id, FOLDS)


@dataclass(frozen=True)
class Outcome:
    case_id: str
    expected: tuple[str, ...]
    first: str | None
    confidence: float
    code: str | None

    @property
    def right(self) -> bool:
        return self.first in self.expected

    @property
    def confident(self) -> bool:
        return self.first is not None and self.confidence >= CONFIDENT


def labelled_cases(corpus: Path = CORPUS) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for path in sorted(corpus.iterdir()):
        meta = path / "meta.json"
        if not meta.is_file():
            continue
        data = json.loads(meta.read_text("utf-8"))
        expected = tuple(c for c in ((data.get("expert_diagnosis") or {}).get("categories") or []) if c != "unknown")
        if expected:
            out.append((path.name, expected))
    return out


def outcome(case_id: str, expected: tuple[str, ...], corpus: Path = CORPUS) -> Outcome:
    from bot.pipeline import analyze

    report = analyze((corpus / case_id / "input.log").read_bytes())
    first = next((a.findings[0] for a in report.events if a.findings), None)
    return Outcome(
        case_id,
        expected,
        first.category if first else None,
        first.confidence if first else 0.0,
        first.code if first else None,
    )


def outcomes(folds: set[int], corpus: Path = CORPUS) -> list[Outcome]:
    return [
        outcome(case_id, expected, corpus) for case_id, expected in labelled_cases(corpus) if fold_of(case_id) in folds
    ]


@dataclass(frozen=True)
class Figures:
    cases: int
    top1: int
    confident: int
    confident_right: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.cases if self.cases else 0.0

    @property
    def precision(self) -> float:
        return self.confident_right / self.confident if self.confident else 1.0

    @property
    def coverage(self) -> float:
        return self.confident / self.cases if self.cases else 0.0


def figures(results: list[Outcome]) -> Figures:
    return Figures(
        len(results),
        sum(r.right for r in results),
        sum(r.confident for r in results),
        sum(r.confident and r.right for r in results),
    )


def by_category(results: list[Outcome]) -> dict[str, Figures]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for r in results:
        groups[r.expected[0]].append(r)
    return {category: figures(group) for category, group in sorted(groups.items())}


def table(results: list[Outcome]) -> str:
    rows = ["| category | cases | top-1 | confident (>= 60 %) right | coverage |", "| --- | --- | --- | --- | --- |"]
    for category, f in [*by_category(results).items(), ("**all**", figures(results))]:
        rows.append(
            f"| {category} | {f.cases} | {f.top1}/{f.cases} ({f.top1_rate:.0%}) | "
            f"{f.confident_right}/{f.confident} ({f.precision:.0%}) | {f.coverage:.0%} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="confidence_holdout")
    parser.add_argument("--fold", default=str(HELD_OUT), help="0-4, 'train' (folds 1-4) or 'all'")
    parser.add_argument("-v", action="store_true", help="list every case")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus directory (default: tests/corpus)")
    parser.add_argument(
        "--only", type=Path, help="file listing the case ids to measure (e.g. cases added after a commit)"
    )
    args = parser.parse_args(argv)
    if args.fold == "all":
        folds = set(range(FOLDS))
    elif args.fold == "train":
        folds = set(range(FOLDS)) - {HELD_OUT}
    else:
        folds = {int(args.fold)}
    results = outcomes(folds, args.corpus)
    if args.only is not None:
        keep = set(args.only.read_text("utf-8").split())
        results = [r for r in results if r.case_id in keep]
    if args.v:
        for r in results:
            mark = "ok " if r.right else "BAD"
            print(
                f"{mark} {r.confidence:4.2f} {r.code or '-':7} {r.first or '-':28} expected {','.join(r.expected):40} {r.case_id}"
            )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

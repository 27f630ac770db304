"""Every real kernel line of tests/data/gfp/observed.jsonl (copied from shared/gfp) is reproduced by `oomlens gfp HEX --kernel RELEASE`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import gfp as cli_gfp

REPO_ROOT = Path(__file__).resolve().parents[1]
OBSERVED = REPO_ROOT / "tests" / "data" / "gfp" / "observed.jsonl"


def _lines() -> list[dict[str, Any]]:
    with OBSERVED.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oomlens")
    cli_gfp.add_subparser(parser.add_subparsers(dest="command"))
    return parser


def _run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    args = _parser().parse_args(argv)
    assert cli_gfp.run(args) == 0
    return dict(json.loads(capsys.readouterr().out))


LINES = _lines()


def test_observed_file_is_there_and_not_trivial() -> None:
    assert len(LINES) >= 40
    assert any("-next-" in line["kernel"] for line in LINES)


@pytest.mark.parametrize("line", LINES, ids=[f"{line['kernel'][:40]}:{line['hex']}" for line in LINES])
def test_cli_reproduces_the_kernels_own_text(line: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    result = _run_json(capsys, ["gfp", line["hex"], "--kernel", line["kernel"], "--format", "json"])
    assert result["symbolic"] == line["symbolic"]
    assert result["mask"] == hex(int(line["hex"], 16))
    assert result["symbolic_is_kernel_output"] is True  # all observed kernels print %pGg


@pytest.mark.parametrize("line", LINES, ids=[f"{line['kernel'][:40]}:{line['hex']}" for line in LINES])
def test_printed_text_cross_checks_without_warning(line: dict[str, Any]) -> None:
    from knowledge.gfp import decode

    decoding = decode(line["hex"], line["kernel"], symbolic=line["symbolic"])
    assert decoding.symbolic == line["symbolic"]
    assert not [w for w in decoding.warnings if "misread" in w]


@pytest.mark.parametrize(
    "line",
    [line for line in LINES if line["symbolic"]],
    ids=[f"{line['kernel'][:40]}:{line['hex']}" for line in LINES if line["symbolic"]],
)
def test_unknown_kernel_uses_printed_text_to_pick_an_era(line: dict[str, Any]) -> None:
    from knowledge.gfp import decode

    decoding = decode(line["hex"], None, symbolic=line["symbolic"])
    assert decoding.symbolic == line["symbolic"]
    assert decoding.unknown_bits == 0

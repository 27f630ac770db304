"""Terminal and markdown renderings: every corpus case renders, and golden files pin a few."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.pipeline import analyze
from bot.render.text import render_markdown, render_text

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden"
CASE_IDS = sorted(p.name for p in CORPUS.iterdir() if (p / "meta.json").is_file())
GOLDEN_CASES = ["seed-rsync-32bit", "lab-memcg-shmem-deb612-amd64", "lab-numa-cpuset-deb612-amd64",
                "lab-fragmentation-deb612-amd64", "gh-sonic-buildimage-2988"]
REGEN = os.environ.get("OOMLENS_REGEN_GOLDEN") == "1"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_renders(case_id):
    report = analyze((CORPUS / case_id / "input.log").read_bytes())
    text = render_text(report)
    markdown = render_markdown(report)
    assert text.startswith("oomlens:") and markdown.startswith("# oomlens:")
    for analysed in report.events:
        if analysed.findings:
            assert analysed.findings[0].title in text


def test_text_reads_headline_why_what_details():
    text = render_text(analyze((CORPUS / "seed-rsync-32bit" / "input.log").read_bytes()))
    positions = [text.index(marker) for marker in ("lowmem", "Why (", "What to do:", "--- details")]
    assert positions == sorted(positions)
    lines = text.splitlines()
    headline = lines[next(i for i, line in enumerate(lines) if line.startswith("=== Event 1")) + 1]
    assert "lowmem" in headline and "32-bit" in headline


@pytest.mark.parametrize("case_id", GOLDEN_CASES)
@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_golden(case_id, fmt):
    report = analyze((CORPUS / case_id / "input.log").read_bytes())
    rendered = render_text(report) if fmt == "txt" else render_markdown(report)
    path = GOLDEN / f"{case_id}.{fmt}"
    if REGEN:
        path.write_text(rendered, "utf-8")
    assert path.exists(), f"missing golden {path.name}: run with OOMLENS_REGEN_GOLDEN=1"
    assert rendered == path.read_text("utf-8"), f"{path.name} differs; review and regenerate with OOMLENS_REGEN_GOLDEN=1"

"""The JSON-ready dict's dataclass converters (bot.render.json_out, issue 12): a type's fields are
read by a loop for its first few values and by a function compiled for the type after that; both
must make the same JSON, byte for byte, on real dumps."""

from __future__ import annotations

from pathlib import Path

import pytest
from oomcases import case_fold

from bot.pipeline import analyze
from bot.render import json_out

ROOT = Path(__file__).resolve().parent.parent
PASTES = [
    ROOT / "examples" / "seed-rsync-32bit.log",
    *[p for p in sorted((ROOT / "tests" / "corpus").glob("lab-*/input.log")) if case_fold(p.parent.name) != 0][:6],
]


def _fresh(monkeypatch: pytest.MonkeyPatch, compile_after: int) -> None:
    json_out._fields_converter.cache_clear()
    json_out._CONVERTERS.clear()
    monkeypatch.setattr(json_out, "_COMPILE_AFTER", compile_after)


@pytest.mark.parametrize("path", PASTES, ids=lambda p: p.parent.name)
def test_loop_and_compiled_converters_make_the_same_json(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    report = analyze(path.read_text(encoding="utf-8", errors="replace"))
    assert report.events
    outputs = []
    for compile_after in (10**9, 0, 3):  # loop only, compiled at once, switching midway
        _fresh(monkeypatch, compile_after)
        outputs.append(json_out.dumps(json_out.report_dict(report)))
    _fresh(monkeypatch, json_out._COMPILE_AFTER)
    assert outputs[0] == outputs[1] == outputs[2]
    assert '"events"' in outputs[0]

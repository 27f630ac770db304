"""The start-up cache (knowledge/diskcache.py): off when asked, harmless when unusable, keyed by
content, and bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import diskcache

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    diskcache.cache_dir.cache_clear()
    monkeypatch.setattr(diskcache, "_trimmed", [])
    yield
    diskcache.cache_dir.cache_clear()


def test_empty_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OOMLENS_CACHE_DIR", "")
    assert diskcache.cache_dir() is None
    diskcache.write("x", b"data")  # a no-op, not an error
    assert diskcache.read("x") is None


def test_entries_round_trip_and_keys_follow_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(tmp_path / "c"))
    name = diskcache.key("catalogue", "text one")
    assert name != diskcache.key("catalogue", "text two")
    assert name == diskcache.key("catalogue", "text one")
    diskcache.write(name, b"\x00payload")
    assert diskcache.read(name) == b"\x00payload"
    assert not [p for p in (tmp_path / "c").iterdir() if p.name.startswith(".tmp-")]


def test_an_unwritable_directory_is_no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(blocker / "sub"))
    assert diskcache.cache_dir() is None


def test_trim_removes_the_oldest_entries_beyond_the_bound(tmp_path: Path) -> None:
    for number in range(20):
        path = tmp_path / f"entry-{number:02d}"
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + number, 1_000_000 + number))
    assert diskcache.trim(tmp_path, keep=30) == 0
    assert diskcache.trim(tmp_path, keep=10) == 15  # down to half the bound, oldest first
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"entry-{n:02d}" for n in range(15, 20)]


def test_the_cli_gives_the_same_answer_with_a_cold_warm_or_no_cache(tmp_path: Path) -> None:
    def run(cache: str) -> str:
        env = dict(os.environ, OOMLENS_CACHE_DIR=cache)
        return subprocess.run(
            [sys.executable, "-m", "bot", "analyze", "--format", "json", str(SAMPLE)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        ).stdout

    cold = run(str(tmp_path / "cache"))
    assert any((tmp_path / "cache").iterdir()), "nothing was cached"
    assert run(str(tmp_path / "cache")) == cold
    assert run("") == cold

"""The start-up cache (knowledge/diskcache.py): off when asked, harmless when unusable, keyed by
content, and bounded."""

from __future__ import annotations

import builtins
import marshal
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


def test_the_cli_keeps_what_it_compiles_at_start_up(tmp_path: Path) -> None:
    """The dataclasses' generated methods and the grammar's joined patterns are written once and
    read back: a second run compiles none of them, and its text output is the same."""
    script = (
        "import builtins, sys\n"
        "from re import _compiler\n"
        "calls = {'functions': 0, 'patterns': 0}\n"
        "original_compile, original_code = builtins.compile, _compiler._code\n"
        "def counting_compile(source, *args, **kwargs):\n"
        "    calls['functions'] += isinstance(source, str) and source.startswith('def __create_fn__')\n"
        "    return original_compile(source, *args, **kwargs)\n"
        "def counting_code(*args, **kwargs):\n"
        "    calls['patterns'] += 1\n"
        "    return original_code(*args, **kwargs)\n"
        "builtins.compile, _compiler._code = counting_compile, counting_code\n"
        "from bot.cli import main\n"
        f"status = main(['analyze', {str(SAMPLE)!r}])\n"
        "print(calls['functions'], calls['patterns'], file=sys.stderr)\n"
        "sys.exit(status)\n"
    )

    def run() -> tuple[str, int, int]:
        env = dict(os.environ, OOMLENS_CACHE_DIR=str(tmp_path / "cache"))
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, check=True
        )
        functions, patterns = (int(n) for n in done.stderr.split()[-2:])
        return done.stdout, functions, patterns

    cold, cold_functions, cold_patterns = run()
    assert cold_functions > 100 and cold_patterns > 50  # every frozen dataclass, every module-level pattern
    assert len(list((tmp_path / "cache").glob("startup-*.marshal"))) == 1
    warm, warm_functions, warm_patterns = run()
    assert warm == cold
    assert warm_functions == 0
    # what is left is compiled inside functions (patterns that may be built from the input)
    assert warm_patterns < cold_patterns / 2


def test_startup_compiled_serves_the_same_classes_and_patterns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dataclasses
    import re
    from re import _compiler

    from grammar import regexcache

    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(tmp_path / "c"))
    original_compile = _compiler.compile
    module = (
        "import dataclasses, re\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class Point:\n"
        "    x: int\n"
        "    y: int = 2\n"
        "PATTERN = re.compile(r'(?P<word>start_up_test_\\w+)=(\\d+)')\n"
        "def from_input(text):\n"
        "    return re.compile(text)\n"
    )

    def load() -> dict[str, object]:
        namespace: dict[str, object] = {"__name__": __name__}  # a module dataclasses can find
        exec(compile(module, "<startup probe>", "exec"), namespace)
        return namespace

    compiled: list[str] = []
    monkeypatch.setattr(diskcache, "compile", lambda *a: compiled.append(a[0]) or builtins.compile(*a), raising=False)
    with diskcache.startup_compiled():
        assert "exec" in vars(dataclasses) and _compiler.compile is not original_compile
        first = load()
        first["from_input"]("start_up_input_[0-9]+")  # type: ignore[operator]
        grammar = regexcache.compile(r"(?P<GRAMMAR_TEST>grammar_[a-z]+)\n")
    assert "exec" not in vars(dataclasses) and _compiler.compile is original_compile
    assert compiled, "the dataclass's methods were compiled on the first run"
    (stored,) = (tmp_path / "c").glob("startup-*.marshal")
    functions, patterns = marshal.loads(stored.read_bytes())
    assert any("class" not in text and "__create_fn__" in text for text in functions)
    assert (r"(?P<word>start_up_test_\w+)=(\d+)", 0) in patterns
    assert (r"(?P<GRAMMAR_TEST>grammar_[a-z]+)\n", 0) in patterns
    assert isinstance(patterns[(r"(?P<GRAMMAR_TEST>grammar_[a-z]+)\n", 0)][1], bytes)  # the program, read in one piece
    assert not any(pattern.startswith("start_up_input_") for pattern, _ in patterns)  # built in a function

    compiled.clear()
    re.purge()
    with diskcache.startup_compiled():
        second = load()
        assert regexcache.compile(r"(?P<GRAMMAR_TEST>grammar_[a-z]+)\n") == grammar
    assert not compiled, "the second run compiled a method again"
    point, again = first["Point"](1), second["Point"](1)  # type: ignore[operator]
    assert repr(again) == repr(point) == "Point(x=1, y=2)"
    assert hash(again) == hash(point) and again == second["Point"](1, 2)  # type: ignore[operator]
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.x = 3
    assert second["PATTERN"] == first["PATTERN"]
    assert second["PATTERN"].match("start_up_test_a=12").group("word", 2) == ("start_up_test_a", "12")  # type: ignore[attr-defined]


def test_a_damaged_startup_file_is_compiled_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from grammar import regexcache

    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(tmp_path / "c"))
    with diskcache.startup_compiled():
        regexcache.compile(r"(?P<DAMAGE_TEST>damaged_[0-9]+)")
    (stored,) = (tmp_path / "c").glob("startup-*.marshal")
    functions, patterns = marshal.loads(stored.read_bytes())
    entry = patterns[(r"(?P<DAMAGE_TEST>damaged_[0-9]+)", 0)]
    patterns[(r"(?P<DAMAGE_TEST>damaged_[0-9]+)", 0)] = (entry[0], [99999, 1, 2], *entry[2:])  # not a program
    stored.write_bytes(marshal.dumps((functions, patterns)))
    with diskcache.startup_compiled():
        assert regexcache.compile(r"(?P<DAMAGE_TEST>damaged_[0-9]+)").fullmatch("damaged_42")
    stored.write_bytes(b"\x00 not marshal data")
    with diskcache.startup_compiled():
        assert regexcache.compile(r"(?P<DAMAGE_TEST>damaged_[0-9]+)").fullmatch("damaged_7")
    assert marshal.loads(stored.read_bytes())[1]  # written again


def test_nothing_is_replaced_without_a_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    from re import _compiler

    from grammar import regexcache

    monkeypatch.setenv("OOMLENS_CACHE_DIR", "")
    original = _compiler.compile
    with diskcache.startup_compiled():
        assert "exec" not in vars(dataclasses) and _compiler.compile is original
        assert not regexcache._store


def test_json_data_is_parsed_once_and_read_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import json

    from knowledge.yamlload import load_json

    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(tmp_path / "c"))
    text = (REPO / "knowledge" / "gfp" / "data" / "gfp_tables.json").read_text("utf-8")
    parsed = json.loads(text)
    assert load_json(text) == parsed
    (entry,) = (tmp_path / "c").glob("json-*.marshal")
    parses: list[str] = []
    monkeypatch.setattr(json, "loads", lambda t: parses.append(t) or {})
    assert load_json(text) == parsed and not parses  # read back, not parsed
    assert load_json(text + " ") == {} and parses  # another text is another entry
    entry.write_bytes(b"\x00 damaged")
    assert load_json(text) == {}  # parsed again (by the stand-in) and written again
    assert marshal.loads(entry.read_bytes()) == {}


def test_each_profile_keeps_its_own_startup_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """What one command and format compiles is read back by that profile, not by every other."""
    from grammar import regexcache

    monkeypatch.setenv("OOMLENS_CACHE_DIR", str(tmp_path / "c"))
    with diskcache.startup_compiled("analyze json"):
        regexcache.compile(r"(?P<PROFILE_JSON>json_[0-9]+)")
    with diskcache.startup_compiled("gfp "):
        regexcache.compile(r"(?P<PROFILE_GFP>gfp_[0-9]+)")
    stored = {p.name.split("-")[1]: marshal.loads(p.read_bytes())[1] for p in (tmp_path / "c").glob("startup-*")}
    assert sorted(stored) == ["analyze", "gfp"]
    assert list(stored["analyze"]) == [(r"(?P<PROFILE_JSON>json_[0-9]+)", 0)]
    assert list(stored["gfp"]) == [(r"(?P<PROFILE_GFP>gfp_[0-9]+)", 0)]

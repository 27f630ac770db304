"""Values the lexicon derives from the grammar files, kept across processes (grammar/derived.py):
keyed by the files' content, Lark's version and the interpreter; recomputed when any of them
changes, when an entry is damaged and when there is no store; and the same as derived afresh."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grammar import derived

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"


class _Store:
    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.writes = 0

    def read(self, name: str) -> bytes | None:
        return self.entries.get(name)

    def write(self, name: str, data: bytes) -> None:
        self.writes += 1
        self.entries[name] = data


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Store:
    """An in-memory store over a copy of two grammar/ files, which the tests edit."""
    for name in ("prefixes.lark", "lexicon.py"):
        shutil.copy(REPO / "grammar" / name, tmp_path / name)
    monkeypatch.setattr(derived, "_DIRECTORY", str(tmp_path))
    kept = _Store()
    derived.install(kept.read, kept.write)
    yield kept
    derived.uninstall()


def _counting(value: Any) -> tuple[list[int], Any]:
    calls: list[int] = []

    def compute() -> Any:
        calls.append(1)
        return value

    return calls, compute


FILES = ("prefixes.lark", "lexicon.py")


def test_a_value_is_computed_once_and_read_back(store: _Store) -> None:
    calls, compute = _counting(("a", {"X": ("b", ("g",))}))
    for _ in range(3):
        assert derived.derived("t", FILES, compute, lambda v: isinstance(v, tuple)) == ("a", {"X": ("b", ("g",))})
    assert len(calls) == 1 and store.writes == 1


@pytest.mark.parametrize("edited", FILES)
def test_an_edited_file_is_derived_again(store: _Store, tmp_path: Path, edited: str) -> None:
    calls, compute = _counting("value")
    derived.derived("t", FILES, compute, lambda v: True)
    with open(tmp_path / edited, "a") as handle:
        handle.write("\n")  # one byte more
    derived.derived("t", FILES, compute, lambda v: True)
    assert len(calls) == 2 and len(store.entries) == 2


def test_another_lark_or_interpreter_is_another_key(store: _Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import lark

    key = derived.sources_key(FILES)
    assert key is not None and derived.sources_key(FILES) == key
    monkeypatch.setattr(lark, "__version__", lark.__version__ + ".post1")
    assert derived.sources_key(FILES) != key
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert derived.sources_key(FILES) != key


def test_damaged_or_foreign_entries_are_derived_again(store: _Store) -> None:
    calls, compute = _counting(("text", ("names",)))
    valid = lambda v: isinstance(v, tuple) and isinstance(v[0], str)  # noqa: E731
    derived.derived("t", FILES, compute, valid)
    (name,) = store.entries
    for damage in (
        b"",
        b"\x00 not marshal",
        b"N",
        b"\xe9\x03\x00\x00\x00abc",
    ):  # empty, garbage, None, a 3-tuple cut short
        store.entries[name] = damage
        assert derived.derived("t", FILES, compute, valid) == ("text", ("names",))
    store.entries[name] = __import__("marshal").dumps([1, 2])  # marshal data of another shape
    assert derived.derived("t", FILES, compute, valid) == ("text", ("names",))
    assert len(calls) == 6
    assert __import__("marshal").loads(store.entries[name]) == ("text", ("names",))  # written again


def test_without_a_store_or_a_readable_file_nothing_is_kept(store: _Store, tmp_path: Path) -> None:
    calls, compute = _counting("value")
    os.unlink(tmp_path / "lexicon.py")
    derived.derived("t", FILES, compute, lambda v: True)
    derived.derived("t", FILES, compute, lambda v: True)
    assert len(calls) == 2 and not store.entries
    derived.uninstall()
    shutil.copy(REPO / "grammar" / "lexicon.py", tmp_path / "lexicon.py")
    derived.derived("t", FILES, compute, lambda v: True)
    assert len(calls) == 3 and not store.entries


_PROBE = """
import sys
from bot.cli import main
from grammar import context_facts, lexicon
status = main(["analyze", "--format", "json", sys.argv[1]])
sys.stdout.flush()
fresh = (
    lexicon._derive_line_terminals(),
    lexicon._derive_prefixes(),
    lexicon._derive_factored(),
    context_facts._derive_terminals(),
    lexicon._derive_line_alternatives(),
    lexicon._derive_prefix_screens(),
)
kept = (
    lexicon._line_terminals(),
    lexicon._prefix_texts(),
    lexicon._factored_texts(),
    context_facts._terminals(),
    lexicon._line_alternatives(),
    lexicon._prefix_screens(),
)
print(kept == fresh, file=sys.stderr)
"""


def test_the_cli_reads_the_grammars_derived_values_back(tmp_path: Path) -> None:
    """The first run derives and keeps them, the second reads them back: both equal to what is
    derived afresh from the loaded grammars (by the probe, after the command), and both runs
    answer the same."""

    def run() -> tuple[str, list[str]]:
        env = dict(os.environ, OOMLENS_CACHE_DIR=str(tmp_path / "cache"))
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(SAMPLE)], capture_output=True, text=True, env=env, cwd=REPO, check=True
        )
        return done.stdout, done.stderr.split()[-1:]

    cold, cold_probe = run()
    assert cold_probe == ["True"]
    # the line terminals, the prefix texts, the prefix texts with a shared first character factored
    # out, the context terminals, the line terminals' alternatives, the prefixes' screens
    assert len(list((tmp_path / "cache").glob("grammar-*.marshal"))) == 6
    warm, warm_probe = run()
    assert warm == cold and "clamd" in warm
    assert warm_probe == ["True"]


def test_the_cli_loads_no_terminal_only_grammar_when_the_values_are_kept(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "from grammar import context_facts, lexicon\n"
        "main(['analyze', sys.argv[1]])\n"
        "sys.stdout.flush()\n"
        "print(lexicon._prefix_grammar.cache_info().misses, context_facts.context_lexer.cache_info().misses, file=sys.stderr)\n"
    )
    env = dict(os.environ, OOMLENS_CACHE_DIR=str(tmp_path / "cache"))

    def loads() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", probe, str(SAMPLE)], capture_output=True, text=True, env=env, cwd=REPO, check=True
        )
        return done.stderr.split()[-2:]

    assert loads() == ["1", "1"]  # cold: both grammars loaded to derive their patterns
    assert loads() == ["0", "0"]  # warm: neither


# A big log's window ends in other programs' lines, which `analyze --format jsonl` leaves out
# after grammar.screen's cheap test (grammar.windows ``trimmed``).
_NOISE = (
    "Sep 23 02:04:{second:02d} host-{host} sshd[{pid}]: Accepted publickey for deploy from 10.1.2.{host} port {pid}\n"
    'Sep 23 02:04:{second:02d} host-{host} kubelet[{pid}]: I0923 02:04:16.1 {pid} kubelet.go:1] "Pod status updated"\n'
    "Sep 23 02:04:{second:02d} host-{host} kernel: [1772330.{pid}] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"
)

_SCREEN_PROBE = """
import sys
from bot.cli import main
from grammar import context_facts, screen
main(['analyze', '--format', 'jsonl', '--jobs', '1', sys.argv[1]])
sys.stdout.flush()
loads = context_facts.context_lexer.cache_info().misses  # (deriving afresh below loads it)
but = screen.context_screen_but('PROGRAM_TAG')
kept = (
    screen._oom() == screen.describe(screen._oom_regexps())
    and screen._context() == screen.describe(screen._context_regexps())
    and [pattern.pattern for pattern, _ in but.patterns] == screen._context_regexps('PROGRAM_TAG')
)
print(loads, kept, file=sys.stderr)
"""


def test_a_big_logs_trim_reads_the_screens_derived_values_back(tmp_path: Path) -> None:
    """What grammar.screen reads of each terminal is derived by the first run and read back by the
    second, which then loads no context grammar; both equal what is derived afresh (by the probe,
    after the command), and both runs write the same lines."""
    log = tmp_path / "big.log"
    noise = "".join(_NOISE.format(second=n % 60, host=n % 3, pid=1000 + n) for n in range(40))
    log.write_text(noise + SAMPLE.read_text() + noise)
    env = dict(os.environ, OOMLENS_CACHE_DIR=str(tmp_path / "cache"))

    def run() -> tuple[str, list[str]]:
        done = subprocess.run(
            [sys.executable, "-c", _SCREEN_PROBE, str(log)],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        )
        return done.stdout, done.stderr.split()[-2:]

    cold, cold_probe = run()
    assert cold_probe == ["1", "True"]  # cold: the context grammar loaded to derive them
    assert len(list((tmp_path / "cache").glob("grammar-screen-*.marshal"))) == 3
    warm, warm_probe = run()
    assert warm_probe == ["0", "True"]
    assert warm == cold and '"clamd"' in warm

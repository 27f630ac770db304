"""What `oomlens analyze` imports (issue 12, start-up): nothing the Slack bot, the database or the
charts need, no PyYAML once the start-up cache holds the data files, and no big-log machinery for
one paste. Run in a fresh interpreter, as a user runs it, with every extra installed (the dev
environment), so an import that slipped in would show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"
HEAVY = ("sqlalchemy", "slack_sdk", "slack_bolt", "matplotlib", "numpy", "alembic", "uvicorn", "starlette")

_PROBE = (
    "import json, sys\n"
    "from bot.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    "sys.exit(status)\n"
)


def _modules(args: list[str], cache: Path) -> tuple[set[str], str]:
    env = dict(os.environ, OOMLENS_CACHE_DIR=str(cache))
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1])), done.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_analyze_imports_only_what_one_paste_needs(fmt: str, tmp_path: Path) -> None:
    for heavy in HEAVY:  # the environment has them: their absence below is the code's doing
        assert subprocess.run([sys.executable, "-c", f"import {heavy}"], capture_output=True).returncode == 0
    cold, cold_out = _modules(["analyze", "--format", fmt, str(SAMPLE)], tmp_path / "cache")
    warm, warm_out = _modules(["analyze", "--format", fmt, str(SAMPLE)], tmp_path / "cache")
    assert warm_out == cold_out and "clamd" in warm_out
    for modules in (cold, warm):
        assert not {m.split(".")[0] for m in modules} & set(HEAVY)
        assert "bot.settings" not in modules and "bot.store" not in modules
        assert "grammar.windows" not in modules and "ahocorasick_rs" not in modules  # big logs only
        # the packaged data files are read as files; the transports' decoders only for such a paste;
        # the JSON placeholders' random tag without ``secrets`` (and its hmac and base64)
        assert not {"importlib.resources", "zipfile", "html", "csv", "quopri", "secrets"} & modules
    assert "yaml" in cold  # the data files parsed once...
    assert "yaml" not in warm  # ...and read from the start-up cache afterwards
    assert "lark" in warm


def test_other_commands_still_import_what_they_need(tmp_path: Path) -> None:
    modules, out = _modules(["gfp", "0x201da"], tmp_path / "cache")
    assert "knowledge.gfp.decoder" in modules and "__GFP_" in out
    assert "grammar.parse" not in modules  # decoding a mask parses nothing
    modules, _ = _modules(["analyze", "--format", "jsonl", str(SAMPLE)], tmp_path / "cache")
    assert "grammar.windows" in modules


_EXIT_PROBE = (
    "import gc, sys\n"
    "from bot.cli import main\n"
    "given = sys.argv[1] == 'given'\n"
    "sys.argv = ['oomlens', 'analyze', sys.argv[2]]\n"
    "status = main(sys.argv[1:] if given else None)\n"
    "sys.stdout.flush()\n"
    "print(status, gc.get_freeze_count() > 0, gc.get_threshold()[0], file=sys.stderr)\n"
)


def _probe(code: str, argument: str, tmp_path: Path) -> list[str]:
    """Run ``code`` on the sample in a fresh interpreter with its own cache; the last three words
    it printed on stderr (the sample's analysis must have reached stdout)."""
    env = dict(os.environ, OOMLENS_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-c", code, argument, str(SAMPLE)], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "clamd" in done.stdout
    return done.stderr.split()[-3:]


@pytest.mark.parametrize(("argv", "frozen"), [("from-sys-argv", "True"), ("given", "False")])
def test_the_program_leaves_its_heap_to_reference_counting_at_exit(argv: str, frozen: str, tmp_path: Path) -> None:
    """main() as the program (argv from sys.argv) returns with what is alive frozen, so neither a
    collection after it nor finalising the interpreter walks it; called with argv (inside
    another program) it leaves the collector as it found it."""
    assert _probe(_EXIT_PROBE, argv, tmp_path) == ["0", frozen, "700"]


_HOLD_PROBE = (
    "import gc, sys\n"
    "import bot.cli.analyze as command\n"
    "from bot.cli import main\n"
    "seen = []\n"
    "original = command.run\n"
    "command.run = lambda args, out: seen.append(gc.isenabled()) or original(args, out)\n"
    "status = main(['analyze', '--format', sys.argv[1], sys.argv[2]])\n"
    "sys.stdout.flush()\n"
    "print(status, seen, gc.isenabled(), file=sys.stderr)\n"
)


@pytest.mark.parametrize(("fmt", "enabled"), [("text", "[False]"), ("json", "[False]"), ("jsonl", "[True]")])
def test_one_paste_runs_with_the_collector_held_off(fmt: str, enabled: str, tmp_path: Path) -> None:
    """`analyze` of one paste runs with the cyclic collector off (it would only walk what lives
    until the command ends); a stream of any size keeps it; both leave it on afterwards."""
    assert _probe(_HOLD_PROBE, fmt, tmp_path) == ["0", enabled, "True"]

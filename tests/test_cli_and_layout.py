"""The CLI contract (exit codes, formats), import layering and what the wheel ships."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from oomcases import CORPUS, REPO

CLI = [sys.executable, "-m", "bot.cli"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        CLI + list(args), input=stdin.decode() if stdin else None, capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_analyze_json_contract_on_the_bundled_sample() -> None:
    result = run("analyze", "--format", "json", "examples/seed-rsync-32bit.log")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) >= {"kernel", "arch", "events", "warnings"}
    event = out["events"][0]
    for field in json.loads((CORPUS / "seed-rsync-32bit" / "meta.json").read_text())["events"][0]:
        assert field in event
    assert "findings" in event and isinstance(event["findings"], list)


def test_analyze_reads_stdin_and_every_format() -> None:
    sample = (REPO / "examples" / "seed-rsync-32bit.log").read_bytes()
    for fmt in ("text", "markdown", "json", "jsonl"):
        result = run("analyze", "--format", fmt, "-", stdin=sample)
        assert result.returncode == 0, (fmt, result.stderr)
        assert result.stdout.strip()
    lines = run("analyze", "--format", "jsonl", "-", stdin=sample).stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["killed_comm"] == "clamd"


def test_exit_codes() -> None:
    no_event = run("analyze", "-", stdin=b"Started Session 1 of user root.\n")
    assert no_event.returncode == 1 and len(no_event.stderr.strip().splitlines()) == 1
    missing = run("analyze", "/nonexistent/kern.log")
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr
    usage = run("analyze", "--format", "yaml", "x")
    assert usage.returncode == 2


def test_import_layering_is_enforced() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter not installed")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_contracts_bite(tmp_path: Path) -> None:
    """A renderer importing the Slack front end, and a renderer parsing a paste itself, each break a
    named contract: the contracts are not vacuous."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter not installed")
    for package in ("bot", "grammar", "knowledge"):
        for source in (REPO / package).rglob("*.py"):
            target = tmp_path / source.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    (tmp_path / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
    text = tmp_path / "bot" / "render" / "text.py"
    text.write_text(text.read_text() + "\nimport bot.slack.delivery  # noqa\nimport grammar.parse  # noqa\n")
    result = subprocess.run(
        [str(lint)], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path), "PATH": ""}
    )
    assert result.returncode != 0
    broken = {line.split(" BROKEN")[0] for line in result.stdout.splitlines() if line.endswith("BROKEN")}
    assert broken == {
        "bot: front ends over shared parts, each floor importing only the floors below",
        "only bot.pipeline parses and diagnoses",
        "no import circle inside bot/",
    }, result.stdout


def test_ruff_format_mypy_and_contracts_run_in_ci_and_pre_commit() -> None:
    ci = (REPO / ".ci" / "run").read_text()
    for command in ("ruff check .", "ruff format --check .", "mypy", "lint-imports"):
        assert f".venv/bin/{command}\n" in ci, command
    hooks = (REPO / ".pre-commit-config.yaml").read_text()
    for entry in ("entry: ruff check", "entry: ruff format", "entry: mypy", "entry: lint-imports"):
        assert entry in hooks, entry


def test_wheel_ships_grammar_knowledge_and_templates(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
            capture_output=True,
            text=True,
        )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("oomlens-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grammar/oom.lark" in names and "grammar/prefixes.lark" in names
    assert "knowledge/gfp/data/gfp_tables.json" in names
    top_level = {name.split("/")[0] for name in names if not name.startswith("oomlens-")}
    assert top_level == {"bot", "grammar", "knowledge"}


def test_serve_refuses_malformed_settings_in_one_line() -> None:
    import os

    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", OOMLENS_RETENTION_DAYS="soon")
    result = subprocess.run(CLI + ["serve"], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "oomlens serve: OOMLENS_RETENTION_DAYS is malformed: expected a number"
    ]


def test_a_subcommand_parsed_alone_parses_as_the_whole_parser(capsys: pytest.CaptureFixture[str]) -> None:
    """``bot.cli.parse`` builds only the named subcommand's parser: the same namespace, and the same
    messages and status where the command line is wrong (a word left over, a bad value, a
    missing argument, a subcommand's help)."""
    from bot.cli import build_parser, parse

    for argv in (
        ["analyze", "--format", "json", "x"],
        ["analyze", "--form", "markdown", "--all", "x"],
        ["gfp", "0xcc0", "--kernel", "5.10.0"],
        ["summary", "a", "b", "--since", "2026-01-01"],
        ["serve", "--port", "3000"],
        ["db", "upgrade"],
        ["feedback", "export", "--verdict", "all"],
    ):
        assert vars(parse(argv)) == vars(build_parser().parse_args(argv))
    for argv in (
        ["analyze", "x", "extra"],
        ["analyze", "--format", "bogus", "x"],
        ["analyze", "x", "--version"],
        ["gfp"],
        ["feedback"],
        ["summary", "--help"],
        ["nothing"],
        [],
    ):
        answers = []
        for parser in (parse, build_parser().parse_args):
            with pytest.raises(SystemExit) as exited:
                parser(argv)
            answers.append((exited.value.code, capsys.readouterr()))
        assert answers[0] == answers[1] and answers[0][1].out + answers[0][1].err


def test_every_subcommand_is_dispatched_one_way(tmp_path: Path) -> None:
    from bot.cli import SUBCOMMANDS, build_parser

    names = {module.__name__.rsplit(".", 1)[1] for module in SUBCOMMANDS}
    assert names == {"analyze", "gfp", "summary", "serve", "db", "feedback"}
    parser = build_parser()
    for argv in (
        ["analyze", "x"],
        ["gfp", "0xcc0"],
        ["summary", "x"],
        ["serve"],
        ["db", "upgrade"],
        ["feedback", "export"],
    ):
        args = parser.parse_args(argv)
        assert args.run.__module__ == f"bot.cli.{argv[0]}"
    # A subcommand module that fails to import is an error, never a silently missing subcommand.
    broken = tmp_path / "bot" / "cli"
    broken.mkdir(parents=True)
    for source in (REPO / "bot").rglob("*.py"):
        target = tmp_path / source.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    (broken / "gfp.py").write_text("import a_module_that_is_not_there\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "analyze", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": ""},
        timeout=120,
    )
    assert result.returncode != 0 and "a_module_that_is_not_there" in result.stderr

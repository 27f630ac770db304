"""The built wheel, installed into fresh virtual environments: the bare CLI and the [slack] extra.

One wheel is built per session (module fixture) and installed twice:
- without extras: `oomlens analyze` and `--version` work with lark, jinja2 and pyyaml alone, and a
  command that needs an extra says which one in one line;
- with [slack]: `oomlens serve` starts from the installed wheel against the fake Slack API and
  answers its probes.
The venvs install from the machine's package index (pip's configuration), like a user would.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from oomcases import REPO

SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"
HEAVY = ("slack_bolt", "slack_sdk", "sqlalchemy", "alembic", "matplotlib", "numpy", "psycopg", "uvicorn")


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without PYTHONPATH: the installed wheel's code runs, never the checkout's."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(extra)
    return env


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    kwargs.setdefault("env", _clean_env())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)]
    )
    if result.returncode != 0:  # hatchling not in this venv: let pip fetch the build backend
        result = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)])
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("oomlens-*.whl")
    return built


def _venv(tmp: Path, requirement: str) -> Path:
    result = _run([sys.executable, "-m", "venv", str(tmp)])
    assert result.returncode == 0, result.stderr
    result = _run([str(tmp / "bin" / "pip"), "install", "-q", requirement])
    assert result.returncode == 0, result.stderr[-2000:]
    return tmp / "bin"


def _installed(bin_dir: Path) -> set[str]:
    listing = _run([str(bin_dir / "pip"), "list", "--format", "json"])
    return {row["name"].lower().replace("-", "_") for row in json.loads(listing.stdout)}


def test_wheel_metadata_names_the_licence_and_extras(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = archive.read(meta_name).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in meta
    assert {"slack", "charts", "postgres", "dev"} <= set(re.findall(r"^Provides-Extra: (\S+)$", meta, re.M))
    base = [line for line in re.findall(r"^Requires-Dist: (.+)$", meta, re.M) if "extra ==" not in line]
    assert sorted(re.split(r"[<>=\[ ;]", line)[0] for line in base) == [
        # the CLI alone: the parser and templates, plus the two small wheels the big-log prefilter
        # (Aho-Corasick) and the JSON output (orjson) use (issue 12)
        "ahocorasick-rs",
        "jinja2",
        "lark",
        "orjson",
        "pyyaml",
    ]
    assert "Programming Language :: Python :: 3.13" in meta


def test_cli_without_extras(wheel: Path, tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path / "venv", str(wheel))
    assert not _installed(bin_dir) & set(HEAVY)
    oomlens = str(bin_dir / "oomlens")

    version = _run([oomlens, "--version"])
    assert version.returncode == 0 and re.fullmatch(r"oomlens \d+\.\d+\.\d+\S*\n", version.stdout)
    # the same version as the metadata pip installed
    meta = _run([str(bin_dir / "python"), "-c", "import importlib.metadata as m; print(m.version('oomlens'))"])
    assert version.stdout.split()[1] == meta.stdout.strip()

    where = _run([str(bin_dir / "python"), "-c", "import bot; print(bot.__file__)"], cwd=tmp_path)
    assert where.stdout.startswith(str(bin_dir.parent)), where.stdout  # the wheel's copy, not the checkout
    analysed = _run([oomlens, "analyze", "--format", "json", str(SAMPLE)], cwd=tmp_path)
    assert analysed.returncode == 0, analysed.stderr
    assert json.loads(analysed.stdout)["events"][0]["killed_comm"] == "clamd"
    assert _run([oomlens, "gfp", "0x201da"]).returncode == 0
    summary = _run([oomlens, "summary", str(SAMPLE)], cwd=tmp_path)
    assert summary.returncode == 0, summary.stderr

    # Commands that need an extra: one line naming it, exit 2, no traceback.
    env = _clean_env(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", DATABASE_URL="sqlite:///x.db")
    serve = _run([oomlens, "serve"], env=env, cwd=tmp_path)
    assert serve.returncode == 2 and len(serve.stderr.strip().splitlines()) == 1, serve.stderr
    assert "[slack]" in serve.stderr and "pip install 'oomlens[slack]'" in serve.stderr
    chart = _run([oomlens, "analyze", "--chart", str(tmp_path / "c.png"), str(SAMPLE)], cwd=tmp_path)
    assert chart.returncode == 2 and "[charts]" in chart.stderr and "Traceback" not in chart.stderr
    assert not (tmp_path / "c.png").exists()
    assert _run([str(bin_dir / "python"), "-m", "bot", "--version"]).stdout == version.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_from_the_wheel_with_the_slack_extra(wheel: Path, tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path / "venv", f"oomlens[slack] @ {wheel.as_uri()}")
    installed = _installed(bin_dir)
    assert {"slack_bolt", "sqlalchemy", "uvicorn", "prometheus_client"} <= installed
    assert not installed & {"matplotlib", "psycopg"}
    oomlens = str(bin_dir / "oomlens")
    helped = _run([oomlens, "serve", "--help"])
    assert helped.returncode == 0 and "--socket-mode" in helped.stdout

    sys.path.insert(0, str(REPO / "tests" / "slack"))
    from fake_slack import BOT_TOKEN, FakeSlack

    fake = FakeSlack().start()
    port = _free_port()
    env = _clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        PORT=str(port),
    )
    process = subprocess.Popen(
        [oomlens, "serve", "--host", "127.0.0.1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, process.stdout.read() if process.poll() is not None else "no answer"
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 200
        code, metrics = _get(f"http://127.0.0.1:{port}/metrics")
        assert code == 200 and "oomlens_events_total" in metrics
        # an unsigned request is refused, never served
        request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=b"{}", method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
            refused = False
        except urllib.error.HTTPError as error:
            refused = 400 <= error.code < 500
        assert refused
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
        fake.stop()
    assert "Traceback" not in output, output
    # start-up is quiet: no alembic plugin chatter, no Bolt warning about its own arguments
    assert "alembic.runtime.plugins" not in output and "will be unused" not in output, output
    # charts need the [charts] extra, which this install lacks: said once, not per reply
    assert output.count("[charts] extra is not installed") == 1

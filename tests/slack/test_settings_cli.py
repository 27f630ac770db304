"""Settings from the environment and `oomlens serve` start-up: one clear line, never a traceback."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from fake_slack import BOT_TOKEN
from slack_harness import REPO_ROOT

from bot.cli import serve as cli_serve
from bot.settings import Settings, SettingsError

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    "env, socket_mode, variable",
    [
        ({}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, False, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, False, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, True, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, True, "SLACK_APP_TOKEN"),
        ({**GOOD, "SLACK_API_URL": "ftp://x"}, False, "SLACK_API_URL"),
        ({**GOOD, "DATABASE_URL": "oomlens.db"}, False, "DATABASE_URL"),
        ({**GOOD, "OOMLENS_MAX_FILE_BYTES": "5MB"}, False, "OOMLENS_MAX_FILE_BYTES"),
        ({**GOOD, "OOMLENS_MAX_FILE_BYTES": "0"}, False, "OOMLENS_MAX_FILE_BYTES"),
    ],
)
def test_bad_settings_name_the_variable(env, socket_mode, variable):
    with pytest.raises(SettingsError) as error:
        Settings.from_env(env, socket_mode=socket_mode)
    assert str(error.value).startswith(variable) and "\n" not in str(error.value)


def test_good_settings_and_secrets_stay_out_of_repr():
    settings = Settings.from_env({**GOOD, "SLACK_API_URL": "http://127.0.0.1:9/api", "OOMLENS_MAX_FILE_BYTES": "10"})
    assert settings.api_url == "http://127.0.0.1:9/api/" and settings.max_file_bytes == 10
    assert "127.0.0.1" in settings.allowed_file_hosts and "files.slack.com" in settings.allowed_file_hosts
    assert "xoxb-1" not in repr(settings)
    assert "127.0.0.1" not in Settings.from_env(GOOD).allowed_file_hosts


def parse(argv):
    parser = argparse.ArgumentParser(prog="oomlens")
    cli_serve.add_subparser(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_serve_stops_with_one_line_on_missing_settings(monkeypatch, capsys):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert cli_serve.run(parse(["serve", "--port", "0"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SLACK_BOT_TOKEN" in err and "Traceback" not in err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert cli_serve.run(parse(["serve", "--socket-mode"])) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("PORT", "eighty")
    assert cli_serve.run(parse(["serve"])) == 2
    assert "PORT" in capsys.readouterr().err


def test_serve_reports_a_rejected_token_in_one_line(monkeypatch, capsys, fake_slack, tmp_path):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-wrong")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert cli_serve.run(parse(["serve", "--port", "0"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SLACK_BOT_TOKEN" in err and "invalid_auth" in err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_uvicorn_with_probes_and_stops_on_sigterm(fake_slack, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "s",
        "PORT": str(port),
        "SLACK_API_URL": fake_slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "OOMLENS_SPOOL_DIR": str(tmp_path / "spool"),  # not the checkout it runs from
    }
    code = (
        "import argparse, sys; from bot.cli import serve as cli_serve; p = argparse.ArgumentParser(); "
        "cli_serve.add_subparser(p.add_subparsers()); sys.exit(cli_serve.run(p.parse_args(sys.argv[1:])))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--host", "127.0.0.1"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_healthy(process, port)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
        unsigned = httpx.post(
            f"http://127.0.0.1:{port}/slack/events", content=b"{}", headers={"content-type": "application/json"}
        )
        assert unsigned.status_code == 401
        process.send_signal(signal.SIGTERM)
        _out, stderr_bytes = process.communicate(timeout=15)
    finally:
        if process.poll() is None:  # never leave a server behind when the test fails
            process.kill()
            process.communicate()
    # uvicorn shuts down gracefully, then re-raises the signal (exit status -SIGTERM)
    assert process.returncode in (0, -signal.SIGTERM)
    stderr = stderr_bytes.decode()
    assert BOT_TOKEN not in stderr and "Traceback" not in stderr


def wait_until_healthy(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "serve exited early"
        assert time.monotonic() < deadline, "server did not come up"
        time.sleep(0.1)

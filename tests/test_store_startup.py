"""Start-up against the database: migrations under a lock, bounded waits, accepted URL forms."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy

sys.path.insert(0, str(Path(__file__).parent))

from store_backends import postgres_url

from bot.settings import Settings, SettingsError, database_url_from_env
from bot.store.startup import StartupError, open_store
from bot.store.store import DatabaseLimits, normalise_url

REPO = Path(__file__).resolve().parents[1]
GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:p@db:5432/oomlens",
        "postgresql://u@db/oomlens",
        "postgresql+psycopg://u@db/oomlens",
        "sqlite:///x.db",
    ],
)
def test_database_url_forms_are_accepted(url):
    assert Settings.from_env({**GOOD, "DATABASE_URL": url}).database_url == url
    if "postgres" in url:
        assert normalise_url(url).startswith("postgresql+psycopg://")


@pytest.mark.parametrize("url", ["mysql://u@db/x", "oomlens.db", "postgres:/x"])
def test_other_database_urls_are_refused_with_one_line(url):
    with pytest.raises(SettingsError) as error:
        database_url_from_env({"DATABASE_URL": url})
    assert str(error.value).startswith("DATABASE_URL") and "\n" not in str(error.value)


def _fresh_database() -> str:
    base = postgres_url()
    name = f"oomlens_race_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def _drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sqlalchemy.create_engine(normalise_url(postgres_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_two_replicas_migrating_an_empty_postgresql_at_the_same_instant_both_come_up():
    postgres_url()
    outcomes = []
    for _round in range(10):
        url = _fresh_database()
        try:
            barrier = threading.Barrier(2)
            results: list[object] = []

            def replica(url: str = url, barrier: threading.Barrier = barrier, results: list = results) -> None:
                barrier.wait()
                try:
                    store = open_store(url, migrate=True, timeout_s=60)
                    results.append(store.queue_stats()["pending"])
                    store.close()
                except Exception as error:  # recorded, asserted below
                    results.append(error)

            threads = [threading.Thread(target=replica) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(90)
            outcomes.append(results)
        finally:
            _drop_database(url)
    assert outcomes == [[0, 0]] * 10, outcomes


class SilentServer:
    """A TCP server on 127.0.0.1 that accepts connections and never sends a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_open_store_gives_up_on_a_silent_database_within_its_bound():
    server = SilentServer()
    try:
        started = time.monotonic()
        with pytest.raises(StartupError) as error:
            open_store(
                f"postgresql://u@127.0.0.1:{server.port}/db",
                migrate=True,
                timeout_s=2,
                limits=DatabaseLimits(connect_timeout_s=30),
            )
        assert time.monotonic() - started < 10
        assert "did not answer within 2 s" in str(error.value) and "\n" not in str(error.value)
    finally:
        server.close()


@pytest.mark.parametrize("kind", ["silent", "refusing"])
def test_serve_with_a_silent_or_refusing_database_exits_with_one_line(kind, tmp_path):
    server = SilentServer() if kind == "silent" else None
    port = server.port if server else _free_port()
    env = {
        **os.environ,
        **GOOD,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": f"postgres://u:secret@127.0.0.1:{port}/db",
        "OOMLENS_STARTUP_TIMEOUT": "3",
        "OOMLENS_DB_CONNECT_TIMEOUT": "2",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    finally:
        if server:
            server.close()
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oomlens serve: DATABASE_URL"), done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr
    assert elapsed < 30


def test_serve_reads_settings_from_a_dot_env_file(tmp_path):
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_SIGNING_SECRET=s\nDATABASE_URL=mysql://nope\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OOMLENS_"))}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # the tokens came from .env (no complaint about them); its malformed DATABASE_URL is named
    assert done.returncode == 2 and "DATABASE_URL is malformed" in done.stderr, done.stderr

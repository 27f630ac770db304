"""Database URLs for store tests: SQLite in a temp dir, and the real PostgreSQL server.

PostgreSQL tests skip when no server listens on 127.0.0.1:5432, except under CI
(``OOMLENS_REQUIRE_POSTGRES=1``, set by ``.ci/run``), where a missing server is a failure.
"""

from __future__ import annotations

import os
import socket

import pytest

PG_URL = os.environ.get("OOMLENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_url() -> str:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        reachable = sock.connect_ex(("127.0.0.1", 5432)) == 0
    if not reachable:
        if os.environ.get("OOMLENS_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (OOMLENS_REQUIRE_POSTGRES=1) but 127.0.0.1:5432 does not answer")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    return PG_URL


def backend_url(kind: str, tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'store.sqlite3'}" if kind == "sqlite" else postgres_url()

"""Opening the store at start-up within a bounded time: a database that refuses connections,
or accepts them and never answers, stops start-up with one line instead of a hang or traceback."""

from __future__ import annotations

import threading
from typing import Any

from .store import DatabaseLimits, Store, _redact


class StartupError(RuntimeError):
    """One line naming DATABASE_URL and what went wrong."""


def open_store(url: str, *, migrate: bool, timeout_s: float, limits: DatabaseLimits | None = None) -> Store:
    result: dict[str, Any] = {}

    def attempt() -> None:
        try:
            store = Store.open(url, migrate=migrate, limits=limits)
            if not migrate and not store.ping():
                raise RuntimeError("SELECT 1 failed")
            result["store"] = store
        except BaseException as error:  # reported below as one line
            result["error"] = error

    # A daemon thread: when the database never answers, the process can still exit.
    thread = threading.Thread(target=attempt, name="oomlens-db-open", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise StartupError(f"DATABASE_URL: the database at {_redact(url)} did not answer within {timeout_s:g} s")
    if "error" in result:
        error = result["error"]
        lines = str(error).strip().splitlines()
        first = lines[0][:300] if lines else type(error).__name__
        raise StartupError(f"DATABASE_URL: cannot open the database at {_redact(url)} ({first})")
    return result["store"]  # type: ignore[no-any-return]

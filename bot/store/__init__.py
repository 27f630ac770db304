"""Persistent state of the Slack bot (SQLAlchemy 2.x; SQLite by default, PostgreSQL in production).

The schema is owned by the alembic migrations in ``bot/store/migrations``; ``Store.open`` runs
them to head at start-up, so another feature adds its tables with a new revision file.

The row dataclasses (``EventRecord``, ``Digest``, ``ScanState``) need no database and are imported
at once; ``Store`` and what needs SQLAlchemy load on first use, so `oomlens summary` runs from a
plain `pip install oomlens` (no [slack] extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .records import Digest, EventRecord, ScanState

if TYPE_CHECKING:
    from .store import Analysis, ReplyRecord, Store

__all__ = ["Analysis", "Digest", "EventRecord", "ReplyRecord", "ScanState", "Store"]


def __getattr__(name: str) -> Any:
    if name in ("Analysis", "ReplyRecord", "Store"):
        from bot.extras import require

        require("slack", "sqlalchemy", "alembic")  # one line naming the extra, not a traceback
        from . import store

        return getattr(store, name)
    raise AttributeError(f"module 'bot.store' has no attribute {name!r}")

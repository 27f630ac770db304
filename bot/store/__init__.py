"""Persistent state of the Slack bot (SQLAlchemy 2.x; SQLite by default, PostgreSQL in production).

The schema is owned by the alembic migrations in ``bot/store/migrations``; ``Store.open`` runs
them to head at start-up, so another feature adds its tables with a new revision file.
"""

from .incidents import Digest, EventRecord, ScanState
from .store import Analysis, ReplyRecord, Store

__all__ = ["Analysis", "Digest", "EventRecord", "ReplyRecord", "ScanState", "Store"]

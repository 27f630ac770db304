"""The bot's store: de-duplication keys, analyses, reply mapping, feedback and paste fragments.

Every method opens its own short transaction, so the store can be shared by the listener
threads and by several replicas pointing at the same database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import case, create_engine, delete, event, insert, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from . import schema
from .incidents import IncidentStore
from .queue import CLAIM_HOLDER, JobQueueStore

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class ReplyRecord:
    channel: str
    source_ts: str
    reply_ts: str
    thread_ts: str
    analysis_id: int | None
    text_digest: str | None


@dataclass(frozen=True)
class Analysis:
    id: int
    team_id: str | None
    channel: str | None
    source_ts: str | None
    thread_ts: str | None
    source_kind: str
    headline: str
    top_code: str | None
    top_title: str | None
    event_count: int
    paste: str
    created_at: float


@dataclass(frozen=True)
class Fragment:
    first_ts: str
    last_ts: str
    text: str
    updated_at: float


@dataclass(frozen=True)
class DatabaseLimits:
    """Bounds on every database operation: connect and statement timeouts and a bounded pool."""

    connect_timeout_s: float = 5.0
    statement_timeout_s: float = 10.0
    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout_s: float = 5.0  # waiting for a free connection of the pool

    @classmethod
    def from_settings(cls, settings: Any) -> DatabaseLimits:
        return cls(
            connect_timeout_s=settings.db_connect_timeout_s,
            statement_timeout_s=settings.db_statement_timeout_s,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_pool_size,
            pool_timeout_s=settings.db_connect_timeout_s,
        )


def normalise_url(database_url: str) -> str:
    """``postgres://`` and ``postgresql://`` (Heroku, Render, libpq style) mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def _redact(url: str) -> str:
    """The URL without its password (for messages)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def make_engine(database_url: str, limits: DatabaseLimits | None = None) -> Engine:
    limits = limits or DatabaseLimits()
    if database_url.startswith("sqlite"):
        in_memory = database_url in ("sqlite://", "sqlite:///:memory:")
        busy_ms = int(limits.statement_timeout_s * 1000)
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": limits.statement_timeout_s},
            poolclass=StaticPool if in_memory else None,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        return engine
    database_url = normalise_url(database_url)
    connect_args: dict[str, Any] = {}
    if database_url.startswith("postgresql+psycopg"):
        statement_ms = int(limits.statement_timeout_s * 1000)
        connect_args = {
            "connect_timeout": max(1, round(limits.connect_timeout_s)),
            # Server-side bounds: a statement or a lock wait never runs past the timeout; a
            # session idle inside a transaction (a replica frozen mid-job) is ended by the server.
            "options": f"-c statement_timeout={statement_ms} -c lock_timeout={statement_ms} "
            f"-c idle_in_transaction_session_timeout={max(statement_ms * 3, 30000)}",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
        }
    return create_engine(
        database_url,
        pool_pre_ping=True,
        connect_args=connect_args,
        pool_size=limits.pool_size,
        max_overflow=limits.max_overflow,
        pool_timeout=limits.pool_timeout_s,
    )


# Any fixed 64-bit number names the lock; every replica (and `oomlens db upgrade`) uses this one.
MIGRATION_LOCK_ID = 0x6F6F6D6C656E73  # "oomlens"


def run_migrations(engine: Engine, *, lock_timeout_s: float = 120.0) -> None:
    """Upgrade the schema to the newest alembic revision (idempotent).

    On PostgreSQL the upgrade runs under a transaction-scoped advisory lock, so replicas started
    at the same instant on an empty database migrate one after the other (the second finds the
    schema at head and does nothing)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {int(lock_timeout_s * 1000)}"))
            connection.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_s * 1000)}"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store(IncidentStore, JobQueueStore):
    # Where analysis ids come from when not from the database's sequence (the local spool's store:
    # random negative ids that stay valid once copied into the shared database).
    new_analysis_id: Callable[[], int] | None = None

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, database_url: str, *, migrate: bool = True, limits: DatabaseLimits | None = None) -> Store:
        engine = make_engine(database_url, limits)
        if migrate:
            run_migrations(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception as error:  # readiness probe: any failure means "not ready" (one line, no traceback)
            first = (str(error).strip().splitlines() or [""])[0][:200]
            log.warning("database ping failed: %s: %s", type(error).__name__, first)
            return False

    # -- de-duplication -----------------------------------------------------------------------

    def claim(self, key: str, ttl_s: float = 3600.0, *, now: float | None = None) -> bool:
        """Return True exactly once per ``key`` within ``ttl_s`` (across threads and replicas).

        Inside a queued job (``CLAIM_HOLDER`` set) the key records the job, and the same job
        claims it again: the replica that takes over a job whose replica died goes on where the
        first one stopped instead of dropping the delivery as a repeat."""
        now = time.time() if now is None else now
        key = key[:300]
        holder = CLAIM_HOLDER.get()
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(schema.dedup_keys).values(key=key, expires_at=now + ttl_s, holder=holder))
            return True
        except IntegrityError:
            pass
        # The key exists: it can be taken over only when it has expired or this job holds it
        # (atomic conditional update).
        table = schema.dedup_keys
        takeover = table.c.expires_at < now
        if holder is not None:
            takeover = or_(takeover, table.c.holder == holder)
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table).where(table.c.key == key, takeover).values(expires_at=now + ttl_s, holder=holder)
            )
            return result.rowcount == 1

    # -- pacing -------------------------------------------------------------------------------

    def reserve_slot(self, channel: str, interval_s: float, *, now: float | None = None) -> float:
        """Reserve the next send slot of ``channel`` (epoch seconds), ``interval_s`` after the
        previous one, across threads and replicas: one atomic UPDATE ... RETURNING per post."""
        now = time.time() if now is None else now
        table = schema.channel_slots
        channel = channel[:64]
        later = case((table.c.next_at > now, table.c.next_at), else_=now)
        for _ in range(3):
            with self.engine.begin() as connection:
                row = connection.execute(
                    update(table)
                    .where(table.c.channel == channel)
                    .values(next_at=later + interval_s)
                    .returning(table.c.next_at)
                ).first()
            if row is not None:
                return float(row[0]) - interval_s
            try:  # first post to this channel
                with self.engine.begin() as connection:
                    connection.execute(insert(table).values(channel=channel, next_at=now + interval_s))
                return now
            except IntegrityError:
                continue  # another replica inserted it first: take the next slot after its
        return now

    def push_slot(self, channel: str, next_at: float) -> None:
        """Move ``channel``'s next free slot to at least ``next_at`` (a post later than its slot)."""
        table = schema.channel_slots
        with self.engine.begin() as connection:
            connection.execute(
                update(table).where(table.c.channel == channel[:64], table.c.next_at < next_at).values(next_at=next_at)
            )

    def replica_turn(self, holder: str, ttl_s: float = 15.0, *, now: float | None = None) -> tuple[int, int]:
        """Say this replica is alive (a ``replica:<holder>`` lease for ``ttl_s``) and return its
        rank among the live replicas and their number: how replicas take turns posting to a
        channel while the database is away (``pacing.TurnPacer``)."""
        now = time.time() if now is None else now
        table = schema.leases
        key = f"replica:{holder}"[:300]
        replicas = table.c.key.like("replica:%")
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table).where(table.c.key == key).values(expires_at=now + ttl_s, holder=holder[:64])
            )
            if result.rowcount == 0:
                connection.execute(insert(table).values(key=key, holder=holder[:64], expires_at=now + ttl_s))
            connection.execute(delete(table).where(replicas, table.c.expires_at < now - 3600))
            live = list(
                connection.execute(
                    select(table.c.key).where(replicas, table.c.expires_at >= now).order_by(table.c.key)
                ).scalars()
            )
        return (live.index(key) if key in live else 0), max(1, len(live))

    def purge_expired(self, *, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            result = connection.execute(delete(schema.dedup_keys).where(schema.dedup_keys.c.expires_at < now))
            return result.rowcount or 0

    # -- analyses -----------------------------------------------------------------------------

    def save_analysis(
        self,
        *,
        team_id: str | None,
        channel: str | None,
        source_ts: str | None,
        thread_ts: str | None,
        source_kind: str,
        headline: str,
        top_code: str | None,
        top_title: str | None,
        event_count: int,
        paste: str,
    ) -> int:
        explicit = {"id": self.new_analysis_id()} if self.new_analysis_id is not None else {}
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(schema.analyses).values(
                    **explicit,
                    team_id=team_id,
                    channel=channel,
                    source_ts=source_ts,
                    thread_ts=thread_ts,
                    source_kind=source_kind,
                    headline=headline[:300],
                    top_code=top_code,
                    top_title=(top_title or None) and top_title[:300],
                    event_count=event_count,
                    paste=paste,
                    created_at=time.time(),
                )
            )
            return int(result.inserted_primary_key[0])

    def analysis(self, analysis_id: int) -> Analysis | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(schema.analyses).where(schema.analyses.c.id == analysis_id))
                .mappings()
                .first()
            )
        return Analysis(**row) if row else None

    def latest_analyses(self, team_id: str | None, limit: int = 10) -> list[Analysis]:
        query = select(schema.analyses).order_by(schema.analyses.c.created_at.desc(), schema.analyses.c.id.desc())
        if team_id is not None:
            query = query.where(schema.analyses.c.team_id == team_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query.limit(limit)).mappings().all()
        return [Analysis(**row) for row in rows]

    # -- replies ------------------------------------------------------------------------------

    def reply_for(self, channel: str, source_ts: str) -> ReplyRecord | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(schema.replies).where(
                        schema.replies.c.channel == channel, schema.replies.c.source_ts == source_ts
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return ReplyRecord(**{k: row[k] for k in ReplyRecord.__dataclass_fields__})

    def save_reply(
        self,
        channel: str,
        source_ts: str,
        reply_ts: str,
        thread_ts: str,
        analysis_id: int | None,
        text_digest: str | None,
    ) -> None:
        values = dict(reply_ts=reply_ts, thread_ts=thread_ts, analysis_id=analysis_id, text_digest=text_digest)
        with self.engine.begin() as connection:
            result = connection.execute(
                update(schema.replies)
                .where(schema.replies.c.channel == channel, schema.replies.c.source_ts == source_ts)
                .values(**values)
            )
            if result.rowcount == 0:
                connection.execute(
                    insert(schema.replies).values(
                        channel=channel, source_ts=source_ts, created_at=time.time(), **values
                    )
                )

    # -- feedback -----------------------------------------------------------------------------

    def save_feedback(
        self,
        *,
        analysis_id: int | None,
        team_id: str | None,
        channel: str | None,
        user_id: str | None,
        verdict: str,
        top_code: str | None,
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(schema.feedback).values(
                    analysis_id=analysis_id,
                    team_id=team_id,
                    channel=channel,
                    user_id=user_id,
                    verdict=verdict,
                    top_code=top_code,
                    created_at=time.time(),
                )
            )

    def feedback_for(self, analysis_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = (
                connection.execute(select(schema.feedback).where(schema.feedback.c.analysis_id == analysis_id))
                .mappings()
                .all()
            )
        return [dict(row) for row in rows]

    # -- fragments of a dump pasted over several messages -------------------------------------

    def fragment(self, channel: str, user_id: str, thread_key: str) -> Fragment | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(schema.fragments).where(
                        schema.fragments.c.channel == channel,
                        schema.fragments.c.user_id == user_id,
                        schema.fragments.c.thread_key == thread_key,
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return Fragment(
            first_ts=row["first_ts"], last_ts=row["last_ts"], text=row["text"], updated_at=row["updated_at"]
        )

    def save_fragment(self, channel: str, user_id: str, thread_key: str, fragment: Fragment) -> None:
        where = (
            schema.fragments.c.channel == channel,
            schema.fragments.c.user_id == user_id,
            schema.fragments.c.thread_key == thread_key,
        )
        values = dict(
            first_ts=fragment.first_ts, last_ts=fragment.last_ts, text=fragment.text, updated_at=fragment.updated_at
        )
        with self.engine.begin() as connection:
            result = connection.execute(update(schema.fragments).where(*where).values(**values))
            if result.rowcount == 0:
                connection.execute(
                    insert(schema.fragments).values(channel=channel, user_id=user_id, thread_key=thread_key, **values)
                )

    def drop_fragment(self, channel: str, user_id: str, thread_key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(schema.fragments).where(
                    schema.fragments.c.channel == channel,
                    schema.fragments.c.user_id == user_id,
                    schema.fragments.c.thread_key == thread_key,
                )
            )

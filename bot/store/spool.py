"""The local spool: deliveries acknowledged while the shared database could not record them.

One spool per running replica (``<spool dir>/spool-<n>.sqlite3`` and ``spool-<n>-store.sqlite3``,
held with an exclusive ``flock`` on ``spool-<n>.lock``, so a restarted replica, or another one
sharing the directory, adopts a spool whose process died). Every commit is fsync'd (WAL,
``synchronous=FULL``) before the delivery is acknowledged.

The two files hold:

* ``oomlens_spool``: the deliveries, each ``pending`` (may be answered from here: a first attempt
  the database certainly did not record), ``deferred`` (must wait for the database: a retry, or
  a delivery whose database insert may have gone through) or ``answered`` (answered from here; its
  records wait to be copied). Pending entries are claimed with a lease like the shared queue's
  jobs (``claim_jobs``... the ``JobRunner`` protocol), so answering them reuses the job threads'
  code, with the same listeners, against the local store below.
* the whole oomlens schema (the same alembic migrations), the *local store*: what answering from
  here writes (de-duplication keys, analyses, the reply mapping, the incident memory, paste
  fragments). Analyses get random negative 63-bit ids, so the ids in the buttons of a reply
  posted from here stay valid when the analysis is copied to the shared database.

``replay(target)`` copies everything into the shared database with ``INSERT ... ON CONFLICT DO
NOTHING`` (idempotent: a replica killed between the copy and the local delete copies it again)
and then deletes it here. See docs/slack.md ("While the database is down") for the rules that
keep every dump answered exactly once across replicas.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from . import schema
from .queue import Job, claim_leased, extend_leased, postpone_leased
from .store import DatabaseLimits, Store, make_engine, run_migrations

log = logging.getLogger(__name__)

PENDING, DEFERRED, ANSWERED = "pending", "deferred", "answered"
REPLAY_HOLDER = "spool-replay"
REPLAY_BATCH = 200
REPLAY_BATCH_BYTES = 8 * 1024 * 1024
PASTE_BATCH = 20  # rows that may hold a whole paste (analyses, events) copied per batch
FULL_MARGIN_BYTES = 64 * 1024

_metadata = MetaData()
entries = Table(
    "oomlens_spool",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    # A reply may exist elsewhere (a retry, or a delivery a dead process may have answered): the
    # shared queue must look for it in the thread before posting.
    Column("recheck", Boolean, nullable=False, default=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("holder", String(64), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("error", String(300), nullable=True),
)


class SpoolFull(Exception):
    """The spool holds ``max_bytes`` of deliveries: the caller refuses the delivery (non-2xx)."""


class SpoolBusy(Exception):
    """Every spool file in the directory is held by a running process."""


@dataclass(frozen=True)
class ReplayCounts:
    entries: int = 0
    queued: int = 0  # handed to the shared queue as jobs to run
    already_queued: int = 0  # the shared queue had the delivery (another replica, or our own insert)
    answered: int = 0  # answered here; recorded as done
    records: int = 0
    conflicts: int = 0  # a reply recorded in the shared database differs from ours (answered twice)

    @property
    def empty(self) -> bool:
        return self.entries == 0 and self.records == 0


def _negative_id() -> int:
    # The shared database's sequences only give positive ids; 62 random bits never meet in practice.
    return -(secrets.randbits(62) + 1)


def conflict_free_insert(connection: Connection, table: Table) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect (PostgreSQL or SQLite)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class Spool:
    def __init__(self, directory: str | os.PathLike[str], *, max_bytes: int = 64 * 1024 * 1024):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock_file, self.path = self._take_file()
        # Two files: the deliveries (written on the ack path) and the local store (written while
        # answering), so acks never wait for the answering threads' write lock.
        self.engine = self._durable_engine(self.path)
        self.store_path = self.path.with_name(self.path.stem + "-store.sqlite3")
        self.store_engine = self._durable_engine(self.store_path)
        _metadata.create_all(self.engine)
        run_migrations(self.store_engine)
        self.store = Store(self.store_engine)
        self.store.new_analysis_id = _negative_id
        self._bytes_lock = threading.Lock()
        with self.engine.connect() as connection:
            self._bytes = int(connection.execute(select(func.coalesce(func.sum(entries.c.size), 0))).scalar() or 0)
        left = self.depth()
        if left:
            log.warning(
                "spool %s holds %d deliveries from a process that stopped; they will be replayed", self.path, left
            )

    @staticmethod
    def _durable_engine(path: Path) -> Engine:
        engine = make_engine(f"sqlite:///{path}", DatabaseLimits(statement_timeout_s=10.0))

        @event.listens_for(engine, "connect")
        def _durable(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=FULL")  # fsync every commit: an ack outlives a power cut
            cursor.close()

        return engine

    def _take_file(self) -> tuple[Any, Path]:
        for index in range(64):
            lock = open(self.directory / f"spool-{index}.lock", "a+")  # noqa: SIM115 (held for the process's life)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            return lock, self.directory / f"spool-{index}.sqlite3"
        raise SpoolBusy(f"every spool file in {self.directory} is held by a running process")

    def close(self) -> None:
        self.engine.dispose()
        self.store_engine.dispose()
        self._lock_file.close()

    # -- the ack path ---------------------------------------------------------------------------

    def add(self, key: str, body: str, *, state: str, recheck: bool = False, now: float | None = None) -> bool:
        """Record a delivery durably; False when ``key`` is already spooled (a retry to this replica).
        Raises ``SpoolFull`` when the spool holds ``max_bytes``."""
        now = time.time() if now is None else now
        size = len(body.encode("utf-8", "replace"))
        with self._bytes_lock:
            if self._bytes + size > self.max_bytes:
                raise SpoolFull(f"the spool holds {self._bytes} bytes (OOMLENS_SPOOL_MAX_BYTES {self.max_bytes})")
            self._bytes += size  # reserved now, given back if it was a repeat
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(entries).values(
                        key=key[:300], body=body, size=size, state=state, recheck=recheck, attempts=0, created_at=now
                    )
                )
        except BaseException as error:
            with self._bytes_lock:
                self._bytes -= size
            if isinstance(error, IntegrityError):
                return False
            raise
        return True

    @property
    def full(self) -> bool:
        """No room for a typical delivery (a pasted dump of Slack's longest message is about 40 kB)."""
        return self._bytes + FULL_MARGIN_BYTES > self.max_bytes

    def depth(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(entries)).scalar() or 0)

    def stats(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(entries.c.state, func.count()).group_by(entries.c.state)).all()
        return {str(state): int(count) for state, count in rows}

    # -- answering from here: the JobRunner protocol --------------------------------------------

    def claim_jobs(self, holder: str, lease_s: float, limit: int, *, now: float | None = None) -> list[Job]:
        return claim_leased(self.engine, entries, entries.c.state == PENDING, holder, lease_s, limit, now=now)

    def extend_leases(self, holder: str, job_ids: Iterable[int], lease_s: float, *, now: float | None = None) -> int:
        return extend_leased(self.engine, entries, entries.c.state == PENDING, holder, job_ids, lease_s, now=now)

    def complete_job(self, job_id: int, holder: str, *, error: str | None = None, now: float | None = None) -> bool:
        """Answered here; or, given up (``error``), left for the shared queue (which looks for a post
        this process may have made before it failed)."""
        values: dict[str, Any] = {"state": ANSWERED, "lease_until": None}
        if error is not None:
            values = {"state": DEFERRED, "recheck": True, "lease_until": None, "error": error[:300]}
        with self.engine.begin() as connection:
            result = connection.execute(
                update(entries).where(entries.c.id == job_id, entries.c.holder == holder).values(**values)
            )
            return result.rowcount == 1

    def retry_job_later(
        self, job_id: int, holder: str, delay_s: float, error: str, *, now: float | None = None
    ) -> None:
        postpone_leased(self.engine, entries, job_id, holder, delay_s, error, now=now)

    # -- replay into the shared database --------------------------------------------------------

    def replay(self, target: Store, *, grace_s: float, now: float | None = None) -> ReplayCounts:
        """Copy one batch into ``target`` (the shared database) and delete it here; call until
        ``.empty``. Entries being answered here right now (a live lease) wait for a later batch.
        Raises on a database error (nothing is deleted here then; the next call copies again)."""
        now = time.time() if now is None else now
        taken = self._take_entries(now)
        try:
            counts = self._copy(target, taken, grace_s=grace_s, now=now)
        except BaseException:
            if taken:
                with self.engine.begin() as connection:  # give pending entries back to the job threads
                    connection.execute(
                        update(entries)
                        .where(entries.c.id.in_([row["id"] for row in taken]), entries.c.holder == REPLAY_HOLDER)
                        .values(holder=None, lease_until=None)
                    )
            raise
        return counts

    def _take_entries(self, now: float) -> list[dict[str, Any]]:
        replayable = or_(
            entries.c.state.in_((DEFERRED, ANSWERED)),
            and_(entries.c.state == PENDING, or_(entries.c.lease_until.is_(None), entries.c.lease_until < now)),
        )
        with self.engine.begin() as connection:
            ids: list[int] = []
            size = 0
            for entry_id, entry_size in connection.execute(
                select(entries.c.id, entries.c.size).where(replayable).order_by(entries.c.id).limit(REPLAY_BATCH)
            ):
                if ids and size + entry_size > REPLAY_BATCH_BYTES:
                    break  # bounded memory: a batch holds at most this much of delivery bodies
                ids.append(entry_id)
                size += entry_size
            if not ids:
                return []
            # A lease keeps the job threads off the pending ones while they are copied.
            connection.execute(
                update(entries)
                .where(entries.c.id.in_(ids), replayable)
                .values(holder=REPLAY_HOLDER, lease_until=now + 120)
            )
            return [
                dict(row)
                for row in connection.execute(
                    select(entries).where(entries.c.id.in_(ids), entries.c.holder == REPLAY_HOLDER)
                ).mappings()
            ]

    def _copy(self, target: Store, taken: list[dict[str, Any]], *, grace_s: float, now: float) -> ReplayCounts:
        answered_holders = [f"job:{row['id']}" for row in taken if row["state"] == ANSWERED]
        all_holders = [f"job:{row['id']}" for row in taken]
        with self.store_engine.connect() as connection:
            keys = (
                [
                    dict(row)
                    for row in connection.execute(
                        select(schema.dedup_keys).where(schema.dedup_keys.c.holder.in_(answered_holders))
                    ).mappings()
                ]
                if answered_holders
                else []
            )
            analyses = [dict(r) for r in connection.execute(select(schema.analyses).limit(PASTE_BATCH)).mappings()]
            replies = [dict(r) for r in connection.execute(select(schema.replies).limit(REPLAY_BATCH)).mappings()]
            events = [dict(r) for r in connection.execute(select(schema.oom_events).limit(PASTE_BATCH)).mappings()]
            fragments = [dict(r) for r in connection.execute(select(schema.fragments).limit(REPLAY_BATCH)).mappings()]

        queued = already = answered = conflicts = 0
        jobs = schema.jobs
        # Rows in key order in every table: replicas replaying at once take locks in the same order.
        taken.sort(key=lambda row: row["key"])
        keys.sort(key=lambda row: row["key"])
        analyses.sort(key=lambda row: row["id"])
        replies.sort(key=lambda row: (row["channel"], row["source_ts"]))
        events.sort(key=lambda row: (row["channel"] or "", row["message_ts"] or "", row["event_index"]))
        fragments.sort(key=lambda row: (row["channel"], row["user_id"], row["thread_key"]))
        with target.engine.begin() as connection:
            for row in taken:
                if row["state"] == ANSWERED:
                    values = dict(attempts=max(1, row["attempts"]), holder="spool", done_at=now)
                elif row["state"] == DEFERRED and row["recheck"]:
                    # Another replica may have answered it from its own spool: wait until what it
                    # has in flight is surely posted, then look in the thread before posting.
                    values = dict(attempts=1, holder="spool", lease_until=now + grace_s)
                else:  # pending (attempts > 0: this spool's earlier process may have posted it)
                    values = dict(attempts=1 if row["attempts"] or row["recheck"] else 0)
                statement = (
                    conflict_free_insert(connection, jobs)
                    .values(key=row["key"], body=row["body"], created_at=row["created_at"], **values)
                    .on_conflict_do_nothing(index_elements=[jobs.c.key])
                    .returning(jobs.c.key)  # a row back only when inserted (rowcount is not portable here)
                )
                inserted = connection.execute(statement).first() is not None
                if row["state"] == ANSWERED:
                    answered += 1
                elif inserted:
                    queued += 1
                else:
                    already += 1
            for key in keys:
                connection.execute(
                    conflict_free_insert(connection, schema.dedup_keys)
                    .values(key=key["key"], expires_at=key["expires_at"], holder=None)
                    .on_conflict_do_nothing(index_elements=[schema.dedup_keys.c.key])
                )
            for analysis in analyses:
                connection.execute(
                    conflict_free_insert(connection, schema.analyses)
                    .values(**analysis)
                    .on_conflict_do_nothing(index_elements=[schema.analyses.c.id])
                )
            for reply in replies:
                reply_added = connection.execute(
                    conflict_free_insert(connection, schema.replies)
                    .values(**reply)
                    .on_conflict_do_nothing(index_elements=[schema.replies.c.channel, schema.replies.c.source_ts])
                    .returning(schema.replies.c.channel)
                ).first()
                if not reply_added:
                    existing = connection.execute(
                        select(schema.replies.c.reply_ts).where(
                            schema.replies.c.channel == reply["channel"],
                            schema.replies.c.source_ts == reply["source_ts"],
                        )
                    ).scalar()
                    if existing is not None and existing != reply["reply_ts"]:
                        conflicts += 1
                        log.warning(
                            "spool replay: %s in %s has two replies (%s recorded, %s from the spool)",
                            reply["source_ts"],
                            reply["channel"],
                            existing,
                            reply["reply_ts"],
                        )
            for record in events:
                values = {k: v for k, v in record.items() if k != "id"}
                connection.execute(
                    conflict_free_insert(connection, schema.oom_events).values(**values).on_conflict_do_nothing()
                )
            for fragment in fragments:
                table = schema.fragments
                statement = conflict_free_insert(connection, table).values(**fragment)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[table.c.channel, table.c.user_id, table.c.thread_key],
                        set_={name: statement.excluded[name] for name in ("first_ts", "last_ts", "text", "updated_at")},
                        where=table.c.updated_at < statement.excluded.updated_at,
                    )
                )

        # Copied: delete here exactly what was copied (rows written since then wait for the next batch);
        # the store's rows first: an entry is gone only once nothing of it is left to copy.
        with self.store_engine.begin() as connection:
            if taken:
                connection.execute(delete(schema.dedup_keys).where(schema.dedup_keys.c.holder.in_(all_holders)))
            if analyses:
                connection.execute(delete(schema.analyses).where(schema.analyses.c.id.in_([a["id"] for a in analyses])))
            for reply in replies:
                connection.execute(
                    delete(schema.replies).where(
                        schema.replies.c.channel == reply["channel"],
                        schema.replies.c.source_ts == reply["source_ts"],
                        schema.replies.c.reply_ts == reply["reply_ts"],
                        schema.replies.c.text_digest.is_(None)
                        if reply["text_digest"] is None
                        else schema.replies.c.text_digest == reply["text_digest"],
                    )
                )
            if events:
                connection.execute(
                    delete(schema.oom_events).where(schema.oom_events.c.id.in_([e["id"] for e in events]))
                )
            if fragments:
                connection.execute(
                    delete(schema.fragments).where(
                        tuple_(
                            schema.fragments.c.channel,
                            schema.fragments.c.user_id,
                            schema.fragments.c.thread_key,
                            schema.fragments.c.updated_at,
                        ).in_([(f["channel"], f["user_id"], f["thread_key"], f["updated_at"]) for f in fragments])
                    )
                )
        if taken:
            with self.engine.begin() as connection:
                connection.execute(delete(entries).where(entries.c.id.in_([row["id"] for row in taken])))
        with self._bytes_lock:
            self._bytes = max(0, self._bytes - sum(int(row["size"]) for row in taken))
        return ReplayCounts(
            entries=len(taken),
            queued=queued,
            already_queued=already,
            answered=answered,
            records=len(keys) + len(analyses) + len(replies) + len(events) + len(fragments),
            conflicts=conflicts,
        )

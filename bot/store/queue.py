"""The durable work queue (table ``oomlens_jobs``): the same mechanism on SQLite and PostgreSQL.

A job is claimed by one conditional UPDATE (``done_at IS NULL`` and the lease free or expired):
whichever replica's UPDATE matches the row owns it until ``lease_until``; its heartbeat extends
the lease, and ``complete`` sets ``done_at`` after the reply is posted. A replica that dies stops
its heartbeat, the lease expires, and another replica's claim matches the row again.

Dedup keys taken while a job runs carry the job as holder (``CLAIM_HOLDER``), so the replica that
takes the job over re-enters them instead of dropping the delivery as a repeat.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from . import schema

# The job whose listener is running in this thread (None outside a job): "job:<id>".
CLAIM_HOLDER: contextvars.ContextVar[str | None] = contextvars.ContextVar("oomlens_claim_holder", default=None)
# How many times the running job has been claimed (1 = first attempt); a later attempt may find
# that an earlier one already posted the reply.
JOB_ATTEMPT: contextvars.ContextVar[int] = contextvars.ContextVar("oomlens_job_attempt", default=0)


class NotRecorded(Exception):
    """The database was never reached (no connection): the delivery is certainly not recorded."""


@dataclass(frozen=True)
class Job:
    id: int
    key: str
    body: str
    attempts: int  # including this claim


class JobQueueStore:
    engine: Engine

    def enqueue(
        self, key: str, body: str, *, recheck: bool = False, not_before: float | None = None, now: float | None = None
    ) -> bool:
        """Record a delivery; False when ``key`` is already recorded (a retry).

        ``recheck``: a reply may already exist (posted from another replica's spool): the job runs
        as a later attempt (``JOB_ATTEMPT`` > 1), which looks for that reply in the thread before
        posting. ``not_before``: nobody claims the job before then.

        Raises ``NotRecorded`` when no connection could be had (nothing was sent: the delivery is
        certainly not recorded) and any other database error when the outcome is unknown."""
        now = time.time() if now is None else now
        values: dict[str, Any] = dict(key=key[:300], body=body, attempts=1 if recheck else 0, created_at=now)
        if not_before is not None:
            values.update(holder="not-before", lease_until=not_before)
        try:
            connection = self.engine.connect()
        except Exception as error:
            raise NotRecorded(
                str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
            ) from error
        with connection:
            try:
                with connection.begin():
                    connection.execute(insert(schema.jobs).values(**values))
                return True
            except IntegrityError:
                return False

    def claim_jobs(self, holder: str, lease_s: float, limit: int, *, now: float | None = None) -> list[Job]:
        table = schema.jobs
        return claim_leased(self.engine, table, table.c.done_at.is_(None), holder, lease_s, limit, now=now)

    def extend_leases(self, holder: str, job_ids: Iterable[int], lease_s: float, *, now: float | None = None) -> int:
        table = schema.jobs
        return extend_leased(self.engine, table, table.c.done_at.is_(None), holder, job_ids, lease_s, now=now)

    def complete_job(self, job_id: int, holder: str, *, error: str | None = None, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        table = schema.jobs
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table)
                .where(table.c.id == job_id, table.c.holder == holder)
                .values(done_at=now, lease_until=None, error=error and error[:300])
            )
            return result.rowcount == 1

    def retry_job_later(
        self, job_id: int, holder: str, delay_s: float, error: str, *, now: float | None = None
    ) -> None:
        postpone_leased(self.engine, schema.jobs, job_id, holder, delay_s, error, now=now)

    def queue_stats(self, *, now: float | None = None) -> dict[str, Any]:
        """Pending jobs and the age of the oldest one (for metrics and tests)."""
        now = time.time() if now is None else now
        table = schema.jobs
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(table.c.created_at)).where(table.c.done_at.is_(None))
            ).first()  # type: ignore[misc]
        return {"pending": int(count or 0), "oldest_age_s": (now - oldest) if oldest else 0.0}

    def purge_done_jobs(self, older_than_s: float, *, now: float | None = None) -> int:
        now = time.time() if now is None else now
        table = schema.jobs
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(table).where(table.c.done_at.is_not(None), table.c.done_at < now - older_than_s)
            )
            return result.rowcount or 0


# -- leased claiming, shared by the database's job queue and a replica's local spool (bot/store/
# spool.py): a row is free while ``pending`` holds and its lease is absent or past; claiming sets
# holder, lease and attempts in one conditional UPDATE per row, so two claimers never both win.


def claim_leased(
    engine: Engine,
    table: Table,
    pending: ColumnElement[bool],
    holder: str,
    lease_s: float,
    limit: int,
    *,
    now: float | None = None,
) -> list[Job]:
    now = time.time() if now is None else now
    free = and_(pending, or_(table.c.lease_until.is_(None), table.c.lease_until < now))
    with engine.connect() as connection:
        candidates = (
            connection.execute(select(table.c.id).where(free).order_by(table.c.id).limit(limit * 3)).scalars().all()
        )
    claimed: list[Job] = []
    for job_id in candidates:
        if len(claimed) >= limit:
            break
        with engine.begin() as connection:
            result = connection.execute(
                update(table)
                .where(table.c.id == job_id, free)
                .values(holder=holder, lease_until=now + lease_s, attempts=table.c.attempts + 1)
            )
            if result.rowcount != 1:
                continue  # another replica (or process) took it first
            row = connection.execute(
                select(table.c.key, table.c.body, table.c.attempts).where(table.c.id == job_id)
            ).first()
        if row is not None:
            claimed.append(Job(id=job_id, key=row[0], body=row[1], attempts=int(row[2])))
    return claimed


def extend_leased(
    engine: Engine,
    table: Table,
    pending: ColumnElement[bool],
    holder: str,
    job_ids: Iterable[int],
    lease_s: float,
    *,
    now: float | None = None,
) -> int:
    ids = list(job_ids)
    if not ids:
        return 0
    now = time.time() if now is None else now
    with engine.begin() as connection:
        result = connection.execute(
            update(table)
            .where(table.c.id.in_(ids), table.c.holder == holder, pending)
            .values(lease_until=now + lease_s)
        )
        return result.rowcount or 0


def postpone_leased(
    engine: Engine, table: Table, job_id: int, holder: str, delay_s: float, error: str, *, now: float | None = None
) -> None:
    now = time.time() if now is None else now
    with engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == job_id, table.c.holder == holder)
            .values(lease_until=now + delay_s, error=error[:300])
        )

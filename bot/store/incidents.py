"""Incident memory in the store: analysed events, digest schedules, leases and history scans.

Mixed into ``Store``. Every write is its own short transaction and every "only once" decision is
made by the database (a unique key or a conditional update), never by an in-process lock, so
several replicas sharing one PostgreSQL database agree.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from . import schema
from .records import Digest, EventRecord, ScanState


class IncidentStore:
    engine: Engine

    # -- events -------------------------------------------------------------------------------

    def record_events(self, records: Iterable[EventRecord], *, replace: bool = False) -> int:
        """Store events; returns how many were new. A (channel, message ts, index) already stored
        is skipped (a retry, a second replica, a re-scan), or replaced when ``replace`` (an edit)."""
        records = list(records)
        now = time.time()
        stored = 0
        table = schema.oom_events
        if replace:
            keys = {(r.channel, r.message_ts) for r in records if r.channel and r.message_ts}
            with self.engine.begin() as connection:
                for channel, message_ts in keys:
                    connection.execute(
                        delete(table).where(table.c.channel == channel, table.c.message_ts == message_ts)
                    )
        for record in records:
            row = record.to_row()
            row["created_at"] = now
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(table).values(**row))
                stored += 1
            except IntegrityError:
                continue
        return stored

    def forget_message_events(self, channel: str, message_ts: str) -> int:
        table = schema.oom_events
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(table).where(table.c.channel == channel, table.c.message_ts == message_ts)
            )
            return result.rowcount or 0

    def events(
        self,
        *,
        team_id: str | None,
        channel: str | None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 5000,
    ) -> list[EventRecord]:
        """Events of a channel whose time (log time, else post time) lies in [since, until)."""
        table = schema.oom_events
        query = select(table)
        if team_id is not None:
            query = query.where(table.c.team_id == team_id)
        if channel is not None:
            query = query.where(table.c.channel == channel)
        # An event is posted after it happens (posted_at >= its log time), so post time bounds the
        # query in SQL (a day of slack for clocks and time zones); the event time filters in Python.
        if since is not None:
            query = query.where(table.c.posted_at >= since - 86400)
        query = query.order_by(table.c.posted_at.desc(), table.c.id.desc()).limit(limit)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        records = [EventRecord.from_row(row) for row in rows]
        return sorted(
            (r for r in records if (since is None or r.when >= since) and (until is None or r.when < until)),
            key=lambda r: (r.when, r.id or 0),
        )

    # -- retention ----------------------------------------------------------------------------

    def purge_retention(self, retention_s: float, *, now: float | None = None) -> dict[str, int]:
        """Delete events and analyses (with their pastes) older than ``retention_s``, stale paste
        fragments and old leases. Feedback votes are kept, and so is an analysis voted "Wrong cause"
        (with its paste), for review and `oomlens feedback export`."""
        now = time.time() if now is None else now
        cutoff = now - retention_s
        counts: dict[str, int] = {}
        with self.engine.begin() as connection:
            for name, statement in (
                ("events", delete(schema.oom_events).where(schema.oom_events.c.created_at < cutoff)),
                # An analysis voted "Wrong cause" keeps its paste for `oomlens feedback export`.
                (
                    "analyses",
                    delete(schema.analyses).where(
                        schema.analyses.c.created_at < cutoff,
                        ~exists(
                            select(schema.feedback.c.id).where(
                                schema.feedback.c.analysis_id == schema.analyses.c.id,
                                schema.feedback.c.verdict == "wrong-cause",
                            )
                        ),
                    ),
                ),
                ("fragments", delete(schema.fragments).where(schema.fragments.c.updated_at < now - 86400)),
                ("leases", delete(schema.leases).where(schema.leases.c.expires_at < min(cutoff, now - 7 * 86400))),
            ):
                counts[name] = connection.execute(statement).rowcount or 0
        return counts

    # -- leases -------------------------------------------------------------------------------

    def acquire_lease(self, key: str, holder: str, ttl_s: float, *, now: float | None = None) -> bool:
        """True for exactly one caller per ``key``; an unfinished lease can be taken over once it
        has expired (its holder died), a finished one never."""
        now = time.time() if now is None else now
        table = schema.leases
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(table).values(key=key[:300], holder=holder, expires_at=now + ttl_s))
            return True
        except IntegrityError:
            pass
        with self.engine.begin() as connection:
            result = connection.execute(
                update(table)
                .where(table.c.key == key[:300], table.c.done_at.is_(None), table.c.expires_at < now)
                .values(holder=holder, expires_at=now + ttl_s)
            )
            return result.rowcount == 1

    def finish_lease(self, key: str, holder: str, result: str = "done", *, keep_s: float = 8 * 86400) -> None:
        now = time.time()
        table = schema.leases
        with self.engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.key == key[:300], table.c.holder == holder)
                .values(done_at=now, result=result[:64], expires_at=now + keep_s)
            )

    def release_lease(self, key: str, holder: str) -> None:
        """Give an unfinished lease back (the work failed and may be retried by anyone)."""
        table = schema.leases
        with self.engine.begin() as connection:
            connection.execute(
                delete(table).where(table.c.key == key[:300], table.c.holder == holder, table.c.done_at.is_(None))
            )

    def lease(self, key: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.leases).where(schema.leases.c.key == key[:300])).mappings().first()
        return dict(row) if row else None

    # -- digests ------------------------------------------------------------------------------

    def set_digest(self, digest: Digest) -> None:
        table = schema.digests
        values = dict(
            period=digest.period,
            at_time=digest.at_time,
            timezone=digest.timezone,
            created_by=digest.created_by,
            updated_at=digest.updated_at or time.time(),
        )
        where = and_(table.c.team_id == digest.team_id, table.c.channel == digest.channel)
        with self.engine.begin() as connection:
            if connection.execute(update(table).where(where).values(**values)).rowcount == 0:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(table).values(team_id=digest.team_id, channel=digest.channel, **values)
                        )
                except IntegrityError:  # another replica inserted it meanwhile
                    connection.execute(update(table).where(where).values(**values))

    def drop_digest(self, team_id: str, channel: str) -> bool:
        table = schema.digests
        with self.engine.begin() as connection:
            result = connection.execute(delete(table).where(table.c.team_id == team_id, table.c.channel == channel))
            return bool(result.rowcount)

    def digests(self) -> list[Digest]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.digests)).mappings().all()
        return [Digest(**{f.name: row[f.name] for f in fields(Digest)}) for row in rows]

    # -- history scans ------------------------------------------------------------------------

    def scan_state(self, team_id: str, channel: str) -> ScanState | None:
        table = schema.scans
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(table).where(table.c.team_id == team_id, table.c.channel == channel))
                .mappings()
                .first()
            )
        return ScanState(**{f.name: row[f.name] for f in fields(ScanState)}) if row else None

    def save_scan(self, state: ScanState) -> None:
        table = schema.scans
        values = {f.name: getattr(state, f.name) for f in fields(ScanState) if f.name not in ("team_id", "channel")}
        values["updated_at"] = time.time()
        where = and_(table.c.team_id == state.team_id, table.c.channel == state.channel)
        with self.engine.begin() as connection:
            if connection.execute(update(table).where(where).values(**values)).rowcount == 0:
                connection.execute(insert(table).values(team_id=state.team_id, channel=state.channel, **values))

    def paused_scans(self, *, now: float | None = None) -> list[ScanState]:
        now = time.time() if now is None else now
        table = schema.scans
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    select(table).where(
                        table.c.status == "paused", or_(table.c.resume_at.is_(None), table.c.resume_at <= now)
                    )
                )
                .mappings()
                .all()
            )
        return [ScanState(**{f.name: row[f.name] for f in fields(ScanState)}) for row in rows]

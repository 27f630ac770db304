"""Background jobs of the Slack bot: daily digests, resuming paused history scans, retention purge.

Every replica runs a scheduler. A digest is posted exactly once because each run first claims a
lease row ``digest:<team>:<channel>:<local date>`` in the shared database: the replica whose
claim succeeds posts, the others skip; a claim whose holder died before finishing expires and can
be taken over. The purge is idempotent, so every replica may run it.

The work of a tick runs on the app's listener executor: once the server shuts that down (SIGTERM),
the scheduler stops by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.store import Digest

# Completed jobs of the work queue (each holds a delivery's body, i.e. the paste) are kept a day.
DONE_JOBS_KEPT_S = 86400.0

log = logging.getLogger(__name__)

DIGEST_LEASE_S = 600.0  # a replica that claimed a digest and died is replaced after this
DIGEST_GRACE_S = 6 * 3600.0  # a digest missed by more than this (bot was down) is skipped
PURGE_EVERY_S = 3600.0


def digest_slot(digest: Digest, now: float) -> datetime:
    """The latest scheduled time of ``digest`` at or before ``now`` (aware, in its time zone)."""
    zone = ZoneInfo(digest.timezone)
    local_now = datetime.fromtimestamp(now, tz=zone)
    hour, minute = (int(x) for x in digest.at_time.split(":"))
    slot = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if slot > local_now:
        slot = (slot - timedelta(days=1)).replace(hour=hour, minute=minute)
    return slot


class Scheduler:
    def __init__(
        self,
        incidents: Any,
        client: Any,
        *,
        executor: Executor | None = None,
        interval_s: float | None = None,
        client_for: Callable[[str | None], Any] | None = None,
    ):
        self.incidents = incidents
        self.store = incidents.store
        self.client = client
        # OAuth (several workspaces): each workspace's client, None once it uninstalled the app.
        self.client_for = client_for
        self.executor = executor
        self.interval_s = interval_s or incidents.settings.scheduler_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_purge = 0.0

    # -- jobs ---------------------------------------------------------------------------------

    def run_due_digests(self, now: float | None = None) -> list[str]:
        """Post every digest whose time has come and that no replica has posted; returns the keys
        of the digests this replica posted."""
        now = time.time() if now is None else now
        posted = []
        for digest in self.store.digests():
            try:
                slot = digest_slot(digest, now)
            except Exception:
                log.warning("digest of %s has a bad schedule %s %s", digest.channel, digest.at_time, digest.timezone)
                continue
            slot_ts = slot.timestamp()
            if now - slot_ts > DIGEST_GRACE_S or slot_ts < digest.updated_at:
                continue  # long missed, or scheduled after this slot passed
            key = f"digest:{digest.team_id}:{digest.channel}:{slot.date().isoformat()}"
            if not self.store.acquire_lease(key, self.incidents.holder, DIGEST_LEASE_S, now=now):
                continue
            try:
                client = self.client_for(digest.team_id) if self.client_for is not None else self.client
                if self.client_for is not None and client is None:
                    log.info("digest %s skipped: the workspace is no longer installed", key)
                    self.store.finish_lease(key, self.incidents.holder, result="not-installed")
                    continue
                ts = self.incidents.post_digest(client, digest, now=now)
            except Exception:
                log.exception("digest %s failed; another tick will retry", key)
                self.store.release_lease(key, self.incidents.holder)
                continue
            self.store.finish_lease(key, self.incidents.holder, result=ts or "not-posted")
            posted.append(key)
        return posted

    def purge(self, now: float | None = None) -> dict[str, int]:
        now = time.time() if now is None else now
        counts = self.store.purge_retention(self.incidents.settings.retention_s, now=now)
        counts["dedup_keys"] = self.store.purge_expired(now=now)
        self._last_purge = now
        if any(counts.values()):
            log.info("purged %s", ", ".join(f"{n} {name}" for name, n in counts.items() if n))
        return counts

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        for job in (
            self.run_due_digests,
            lambda n: self.incidents.resume_scans(self.client, now=n, client_for=self.client_for),
        ):
            try:
                job(now)
            except SQLAlchemyError as error:  # the database is away: one line, the next tick tries again
                log.warning("scheduled job skipped: database unavailable (%s)", type(error).__name__)
            except Exception:
                log.exception("scheduled job failed")
        if now - self._last_purge >= PURGE_EVERY_S:
            self._last_purge = now
            try:
                self.purge(now)
                self.store.purge_done_jobs(DONE_JOBS_KEPT_S, now=now)
            except SQLAlchemyError as error:
                log.warning("retention purge skipped: database unavailable (%s)", type(error).__name__)
            except Exception:
                log.exception("retention purge failed")

    # -- thread -------------------------------------------------------------------------------

    def start(self) -> Scheduler:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="oomlens-scheduler", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s if self._last_purge else 1.0):
            try:
                if self.executor is not None:
                    self.executor.submit(self.tick).result()
                else:
                    self.tick()
            except RuntimeError:  # the executor was shut down: the app is stopping
                return
            except Exception:
                log.exception("scheduler tick failed")

"""Run the durable work queue: claim acknowledged deliveries, run their listeners, complete them.

HTTP mode records every Events API delivery as a job before it answers Slack (``server.py``);
``JobRunner`` threads claim jobs with a lease, keep the lease alive with a heartbeat while the
listener runs, and mark a job done only when its listener returned. A failed job is tried again
later (bounded); a job whose replica died is claimed again when its lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from bot.store.queue import CLAIM_HOLDER, JOB_ATTEMPT, Job

log = logging.getLogger("bot.jobs")

MAX_ATTEMPTS = 8


def replica_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


class JobRunner:
    """``workers`` threads taking jobs from ``store``; ``run_job(job)`` returns None when the job is
    done or raises / returns an error line when it must be tried again."""

    def __init__(
        self,
        store: object,
        run_job: Callable[[Job], str | None],
        *,
        workers: int = 4,
        lease_s: float = 30.0,
        poll_s: float = 0.5,
        holder: str | None = None,
    ):
        self.store = store
        self.run_job = run_job
        self.workers = max(1, workers)
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.holder = holder or replica_id()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._held: dict[int, float] = {}
        self._held_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._beat: threading.Thread | None = None
        self._beat_stop = threading.Event()
        self._last_db_warning = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"oomlens-job-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._beat = threading.Thread(target=self._heartbeat, name="oomlens-job-heartbeat", daemon=True)
        self._beat.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming; let jobs already claimed finish (SIGTERM drain)."""
        self._stopping.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._beat_stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)

    @property
    def held(self) -> list[int]:
        with self._held_lock:
            return list(self._held)

    # -- work ---------------------------------------------------------------------------------

    def _db_trouble(self, what: str, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._last_db_warning > 10:  # one line per 10 s while the database is away
            self._last_db_warning = now
            log.warning("job queue: %s failed (%s); retrying", what, _one_line(error))

    def _work(self) -> None:
        backoff = self.poll_s
        while not self._stopping.is_set():
            try:
                jobs = self.store.claim_jobs(self.holder, self.lease_s, 1)  # type: ignore[attr-defined]
                backoff = self.poll_s
            except Exception as error:  # database down or frozen: wait and try again
                self._db_trouble("claiming a job", error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not jobs:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            for job in jobs:
                self._run(job)

    def _run(self, job: Job) -> None:
        if job.attempts > 1:
            log.info(
                "job %s (%s): attempt %d (retried, or taken over from a replica that stopped)",
                job.id,
                job.key,
                job.attempts,
            )
        with self._held_lock:
            self._held[job.id] = time.monotonic()
        holder_token = CLAIM_HOLDER.set(f"job:{job.id}")
        attempt_token = JOB_ATTEMPT.set(job.attempts)
        try:
            try:
                problem = self.run_job(job)
            except Exception as error:
                problem = _one_line(error)
        finally:
            CLAIM_HOLDER.reset(holder_token)
            JOB_ATTEMPT.reset(attempt_token)
        try:
            self._finish(job, problem)
        finally:
            with self._held_lock:
                self._held.pop(job.id, None)

    def _finish(self, job: Job, problem: str | None) -> None:
        if problem is not None and job.attempts < MAX_ATTEMPTS:
            delay = min(2.0**job.attempts, 60.0)
            log.warning(
                "job %s (%s) attempt %d failed (%s); retrying in %.0f s", job.id, job.key, job.attempts, problem, delay
            )

            def action() -> object:
                return self.store.retry_job_later(job.id, self.holder, delay, problem)  # type: ignore[attr-defined]
        else:
            if problem is not None:
                log.error("job %s (%s) given up after %d attempts (%s)", job.id, job.key, job.attempts, problem)

            def action() -> object:
                return self.store.complete_job(job.id, self.holder, error=problem)  # type: ignore[attr-defined]

        # Completing needs the database; while it is away, keep trying for about one lease (the
        # heartbeat keeps the lease). If that fails, the job runs again after its lease and finds
        # its reply already recorded (the reply mapping), so it is not answered twice.
        deadline = time.monotonic() + self.lease_s
        pause = 0.25
        while True:
            try:
                action()
                return
            except Exception as error:
                if time.monotonic() > deadline:
                    self._db_trouble(f"completing job {job.id}", error)
                    return
                self._db_trouble(f"completing job {job.id}", error)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _heartbeat(self) -> None:
        interval = max(0.2, self.lease_s / 3)
        while not self._beat_stop.wait(interval):
            held = self.held
            if held:
                try:
                    self.store.extend_leases(self.holder, held, self.lease_s)  # type: ignore[attr-defined]
                except Exception as error:
                    self._db_trouble("extending leases", error)

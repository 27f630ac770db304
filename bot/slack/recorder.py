"""Record every Events API delivery durably before it is acknowledged (HTTP and Socket Mode).

``Recorder.record()`` puts a delivery in the shared durable queue (``oomlens_jobs``) when the
database records it within ``ACK_DB_TIMEOUT_S``; otherwise in this replica's local spool
(``bot.store.spool``), fsync'd, and the delivery is acknowledged all the same. Only a full (or
broken) spool makes it refuse a delivery, so that Slack sends it again.

Which spooled deliveries may be answered from here, while the database is away, decides that a
dump is answered exactly once across replicas (docs/slack.md, "While the database is down"):

* only a first attempt (``x-slack-retry-num`` 0 / ``retry_attempt`` 0) that the database
  *certainly* did not record (no connection could be had, or the insert was never started) is
  ``pending``: answered from here. Slack sends a first attempt once, so at most one replica
  holds any delivery as pending;
* a retry, or a first attempt whose insert may have gone through (it timed out or failed after
  it was sent), is ``deferred``: it waits for the database, and then runs from the shared queue
  like any job (one row per event id, one answer). A retry is queued ``recheck``: it starts
  ``grace_s`` later and first looks in the thread for a reply posted from another replica's spool.

A monitor thread probes the database every second while the spool is not empty or the database
is away (``queue_stats()``, which also feeds the queue depth and age metrics, every 5 s otherwise),
and replays the spool into the database as soon as it answers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from bot.store.queue import NotRecorded
from bot.store.spool import DEFERRED, PENDING, Spool, SpoolFull

from . import metrics
from .pacing import Turns

log = logging.getLogger("bot.recorder")

ACK_DB_TIMEOUT_S = 1.0  # the shared database must record a delivery within this, else the spool does
RECORD_THREADS = 8  # threads that write to the shared database (each holds at most one pooled connection)
RECORD_BACKLOG = 64  # recordings in flight or waiting; beyond this a delivery goes to the spool at once
PROBE_TIMEOUT_S = 5.0
PROBE_EVERY_S = 1.0  # while the database is away or the spool holds deliveries
STATS_EVERY_S = 5.0  # otherwise: queue depth and age for /metrics
TURNS_AFTER_OUTAGE_S = 30.0  # replicas keep taking turns this long after the database answers again

QUEUED, REPEAT, SPOOLED, DEFERRED_OUT, SPOOL_REPEAT, REFUSED = (
    "queued",
    "repeat",
    "spooled",
    "deferred",
    "spool_repeat",
    "refused",
)
ACKNOWLEDGED = frozenset({QUEUED, REPEAT, SPOOLED, DEFERRED_OUT, SPOOL_REPEAT})


def event_job_key(payload: Any) -> str | None:
    """``event:<event_id>`` for an Events API body, None for anything else."""
    if not isinstance(payload, dict):
        return None
    event = payload.get("event")
    event_id = payload.get("event_id")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return None
    if not isinstance(event_id, str) or not event_id:
        return None
    return f"event:{event_id[:200]}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


class Recorder:
    def __init__(
        self,
        store: Any,
        spool: Spool | None,
        *,
        answer_from_spool: bool = True,
        grace_s: float = 30.0,
        wake_queue: Callable[[], None] = lambda: None,
        wake_spool: Callable[[], None] = lambda: None,
        timeout_s: float = ACK_DB_TIMEOUT_S,
        holder: str = "",
        turns: Turns | None = None,
    ):
        self.store = store
        self.spool = spool
        self.answer_from_spool = answer_from_spool
        self.grace_s = grace_s
        self.wake_queue = wake_queue
        self.wake_spool = wake_spool
        self.timeout_s = timeout_s
        self.holder = holder
        self.turns = turns if turns is not None else Turns()
        self._db = ThreadPoolExecutor(max_workers=RECORD_THREADS, thread_name_prefix="oomlens-record")
        self._disk = ThreadPoolExecutor(max_workers=2, thread_name_prefix="oomlens-spool")
        self._probe = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oomlens-probe")
        self._slots = threading.BoundedSemaphore(RECORD_BACKLOG)
        self._database_ok = True  # False from a failed recording until a probe answers
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None
        self._probe_future: Future[Any] | None = None
        self._probe_started = 0.0
        self._last_stats = 0.0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Recorder:
        if self._thread is None:
            self._thread = threading.Thread(target=self._monitor, name="oomlens-recorder", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(10)
        for executor in (self._db, self._disk, self._probe):
            executor.shutdown(wait=False, cancel_futures=True)

    @property
    def database_ok(self) -> bool:
        return self._database_ok

    # -- recording -------------------------------------------------------------------------------

    def _trip(self, key: str, why: str) -> None:
        self.turns.outage()
        with self._lock:
            was_ok, self._database_ok = self._database_ok, False
        if was_ok:
            where = "the local spool" if self.spool is not None else "nowhere (no spool): refusing them"
            log.warning("database unavailable (%s, recording %s); deliveries go to %s", why, key, where)
        self._kick.set()

    def _submit(self, key: str, body: str, retry_num: int) -> Future[bool] | None:
        if not self._database_ok or not self._slots.acquire(blocking=False):
            return None
        try:
            if retry_num > 0:  # see the module docstring: a reply may exist in another spool
                future = self._db.submit(
                    self.store.enqueue, key, body, recheck=True, not_before=time.time() + self.grace_s
                )
            else:
                future = self._db.submit(self.store.enqueue, key, body)
        except RuntimeError:  # shutting down
            self._slots.release()
            return None
        # The slot is given back when the recording ends or is cancelled before it started.
        future.add_done_callback(lambda _future: self._slots.release())
        return future

    def _after_database(self, key: str, future: Future[bool] | None, error: BaseException | None) -> str | None:
        """The outcome when the database settled it, else None (then ``_classify`` says how to spool)."""
        if future is None:
            return None
        if error is None:
            fresh = future.result()
            if fresh:
                self.wake_queue()
                return QUEUED
            return REPEAT
        return None

    def _spool(self, key: str, body: str, retry_num: int, *, certain: bool) -> str:
        if self.spool is None:
            return REFUSED
        pending = certain and retry_num == 0 and self.answer_from_spool
        state = PENDING if pending else DEFERRED
        try:
            added = self.spool.add(key, body, state=state, recheck=retry_num > 0)
        except SpoolFull as error:
            log.warning("refused %s: %s (Slack will retry)", key, error)
            return REFUSED
        except Exception as error:  # the disk is full or gone
            log.warning("refused %s: the spool could not record it (%s); Slack will retry", key, _first_line(error))
            return REFUSED
        self._kick.set()
        if not added:
            return SPOOL_REPEAT
        if pending:
            self.wake_spool()
            return SPOOLED
        return DEFERRED_OUT

    def _classify(self, key: str, future: Future[bool] | None, error: BaseException | None) -> bool:
        """After the database did not settle it: True when the delivery is certainly not recorded."""
        if future is None:
            return True
        if isinstance(error, NotRecorded):
            self._trip(key, str(error))
            return True
        if isinstance(error, TimeoutError | FutureTimeout):
            self._trip(key, f"no answer within {self.timeout_s:g} s")
            return future.cancel() or future.cancelled()  # never started: certainly not recorded
        self._trip(key, _first_line(error) if error else "unknown")
        return False

    def record(self, key: str, body: str, retry_num: int = 0) -> str:
        """Blocking (Socket Mode's listener threads): the outcome, within about ``timeout_s``."""
        future = self._submit(key, body, retry_num)
        error: BaseException | None = None
        if future is not None:
            try:
                future.result(timeout=self.timeout_s)
            except Exception as caught:
                error = caught
        outcome = self._after_database(key, future, error)
        if outcome is None:
            outcome = self._spool(key, body, retry_num, certain=self._classify(key, future, error))
        metrics.recorded(outcome)
        return outcome

    async def arecord(self, key: str, body: str, retry_num: int = 0) -> str:
        """The same for the HTTP server, holding no thread while it waits."""
        future = self._submit(key, body, retry_num)
        error: BaseException | None = None
        if future is not None:
            waited = asyncio.wrap_future(future)
            # A recording that outlives the wait still ends (maybe in an error): retrieve it, so that
            # asyncio never logs "exception was never retrieved" with a traceback.
            waited.add_done_callback(lambda done: done.cancelled() or done.exception())
            try:
                await asyncio.wait_for(asyncio.shield(waited), self.timeout_s)
            except Exception as caught:  # (a cancelled request is not a database failure: it propagates)
                error = caught
        outcome = self._after_database(key, future, error)
        if outcome is None:
            certain = self._classify(key, future, error)
            loop = asyncio.get_running_loop()
            try:
                outcome = await loop.run_in_executor(
                    self._disk, lambda: self._spool(key, body, retry_num, certain=certain)
                )
            except RuntimeError:  # shutting down
                outcome = REFUSED
        metrics.recorded(outcome)
        return outcome

    # -- the monitor: probe, metrics, replay -----------------------------------------------------

    def _probe_once(self) -> dict[str, Any]:
        stats = dict(self.store.queue_stats())
        if self.holder:  # this replica's turn among the live ones (how spools keep Slack's pace)
            turn = self.store.replica_turn(self.holder, ttl_s=3 * STATS_EVERY_S)
            # While replicas take turns they keep the view they had before the outage: during it
            # nobody could say it was alive, and right after it each one sees only those that
            # already said so again; views that differ would let two replicas share a turn.
            if not self.turns.active():
                self.turns.set(*turn)
        return stats

    def _probe_database(self) -> dict[str, Any] | None:
        """``queue_stats()`` on the probe thread, bounded; None when the database does not answer.
        At most one probe runs at a time (a frozen database holds one thread, not one per second)."""
        now = time.monotonic()
        if self._probe_future is None:
            self._probe_started = now
            try:
                self._probe_future = self._probe.submit(self._probe_once)
            except RuntimeError:
                return None
        future = self._probe_future
        try:
            stats = future.result(timeout=max(0.0, PROBE_TIMEOUT_S - (now - self._probe_started)))
        except FutureTimeout:
            return None
        except Exception:
            self._probe_future = None
            return None
        self._probe_future = None
        return dict(stats)

    def _monitor(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # never let the monitor die; one line, try again
                log.warning("recorder monitor: unexpected error", exc_info=True)
            busy = not self._database_ok or (self.spool is not None and self._spool_depth() > 0)
            self._kick.wait(PROBE_EVERY_S if busy else STATS_EVERY_S)
            self._kick.clear()

    def refresh(self) -> None:
        """One round of the monitor now: probe, metrics, and replay if the database answers."""
        self._last_stats = 0.0
        self._tick()

    def _spool_depth(self) -> int:
        if self.spool is None:
            return 0
        try:
            depth = self.spool.depth()
        except Exception:
            return 0
        metrics.set_spool(depth)
        return depth

    def _tick(self) -> None:
        depth = self._spool_depth()
        if self._database_ok and depth == 0 and time.monotonic() - self._last_stats < STATS_EVERY_S:
            return
        stats = self._probe_database()
        if stats is None:
            # A failed probe alone does not trip the recorder (a failed recording does), but other
            # replicas may be answering from their spools now: take turns in the channels.
            self.turns.outage()
            return
        self.turns.recovered(TURNS_AFTER_OUTAGE_S)
        self._last_stats = time.monotonic()
        metrics.set_queue(int(stats.get("pending", 0)), float(stats.get("oldest_age_s", 0.0)))
        if not self._database_ok:
            with self._lock:
                self._database_ok = True
            log.info("database answers again; deliveries go to the shared queue")
        if depth:
            self.replay()

    def replay(self) -> int:
        """Copy the spool into the shared database (all of it, batch by batch); entries copied."""
        if self.spool is None:
            return 0
        total = queued = answered = already = conflicts = 0
        while not self._stop.is_set():
            try:
                counts = self.spool.replay(self.store, grace_s=self.grace_s)
            except Exception as error:  # the database went away again, a deadlock with another replica...
                log.warning("spool replay stopped: %s; it resumes at the next probe", _first_line(error))
                break
            if counts.empty:
                break
            total += counts.entries
            queued += counts.queued
            answered += counts.answered
            already += counts.already_queued
            conflicts += counts.conflicts
            if counts.queued:
                self.wake_queue()
        if total:
            log.info(
                "spool replayed: %d deliveries (%d answered from the spool, %d queued, %d already queued%s)",
                total,
                answered,
                queued,
                already,
                f", {conflicts} answered twice" if conflicts else "",
            )
        self._spool_depth()
        return total

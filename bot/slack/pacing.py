"""Keeping to Slack's posting pace: ~1 chat.postMessage per second per channel, and a bound on
how often we answer other bots (two bots answering each other must not loop)."""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class ChannelPacer:
    """Reserves send slots per channel at least ``interval_s`` apart (thread-safe, in-process).

    A caller reserves its slot under the lock and sleeps outside it, so concurrent senders to the
    same channel queue up in order while other channels are not delayed.
    """

    def __init__(
        self,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def reserve(self, channel: str, not_before_s: float = 0.0) -> float:
        """Reserve this channel's next slot, at least ``not_before_s`` from now; the seconds to wait."""
        with self._lock:
            now = self._clock()
            slot = max(now + not_before_s, self._next_slot.get(channel, now))
            self._next_slot[channel] = slot + self.interval_s
        return slot - now

    def free_in(self, channel: str) -> float:
        """Seconds until this channel's next free slot (0 when free now); reserves nothing."""
        with self._lock:
            return max(0.0, self._next_slot.get(channel, 0.0) - self._clock()) if channel in self._next_slot else 0.0

    def wait(self, channel: str) -> float:
        """Block until this channel may receive the next message; returns the seconds waited."""
        delay = self.reserve(channel)
        if delay > 0:
            self._sleep(delay)
        return delay


class SharedChannelPacer:
    """The same pace as :class:`ChannelPacer`, kept in the database so that every replica of the
    bot shares it (Slack counts messages per app and channel, not per process). Every slot is also
    reserved in the in-process pacer (``local``): one pace per process.

    While the database is away (``database_ok()`` false, or a reservation fails) and for a while
    after it answers again (``turns.active()``), replicas take turns (:class:`TurnPacer`): a
    replica answering from its spool cannot see the shared slots, so every replica posts only at
    the start of its own turn, and theirs never meet."""

    def __init__(
        self,
        store: Any,
        interval_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        turns: Turns | None = None,
    ):
        self.store = store
        self.interval_s = interval_s
        self._sleep = sleep
        self._local = ChannelPacer(interval_s, sleep=sleep)
        self.turns = turns if turns is not None else Turns()
        self._turn = TurnPacer(self._local, self.turns, interval_s, sleep=sleep)
        self.database_ok: Callable[[], bool] = lambda: True  # set by build_app (the recorder's view)

    @property
    def local(self) -> ChannelPacer:
        """This replica's own pace."""
        return self._local

    def wait(self, channel: str) -> float:
        taking_turns = self.turns.active()
        if not self.database_ok():
            delay = self._turn.slot(channel)
        else:
            try:
                slot = self.store.reserve_slot(channel, self.interval_s)
            except Exception as error:  # database unreachable: take turns rather than not pace at all
                log.warning("shared pacing unavailable (%s); taking turns for %s", type(error).__name__, channel)
                self.turns.outage()
                delay = self._turn.slot(channel)
            else:
                shared = max(0.0, slot - time.time())
                if taking_turns:
                    delay = self._turn.slot(channel, shared)
                    if delay > shared + 0.001:  # posted after its shared slot: the next one comes after it
                        try:
                            self.store.push_slot(channel, time.time() + delay + self.interval_s)
                        except Exception as error:
                            log.warning("shared pacing unavailable (%s) for %s", type(error).__name__, channel)
                else:
                    delay = self._local.reserve(channel, shared)
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


class Turns:
    """This replica's rank among the live replicas and their number, as last seen in the database
    (``Store.replica_turn``, refreshed by the recorder's probe), and whether replicas take turns
    now: from the moment this replica sees the database fail until ``hold_s`` after it answers
    again (another replica may still be answering from its spool then)."""

    def __init__(self) -> None:
        self.rank, self.count = 0, 1
        self.active_until = 0.0
        self.since = 0.0  # when this replica last started taking turns

    def set(self, rank: int, count: int) -> None:
        rank, count = (rank, count) if 0 <= rank < count else (0, 1)
        if (rank, count) != (self.rank, self.count):
            log.info("replica %d of %d (turns per channel while the database is away)", rank + 1, count)
        self.rank, self.count = rank, count

    def outage(self, now: float | None = None) -> None:
        if self.active_until != float("inf"):
            self.since = time.time() if now is None else now
        self.active_until = float("inf")

    def recovered(self, hold_s: float, now: float | None = None) -> None:
        if self.active_until == float("inf"):
            self.active_until = (time.time() if now is None else now) + hold_s

    def active(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.active_until


class TurnPacer:
    """Slack's per-channel pace kept by replicas that cannot reach the shared pace (the database
    is away): they take turns. Replica ``rank`` of ``count`` posts to a channel only at the start
    of its own turn, ``rank * turn`` into each period of ``count * turn`` (wall clock), where a
    turn is ``interval_s`` plus a quarter for the jitter between processes (a post leaves a
    little after its turn starts), so two replicas never post to one channel within ``interval_s``
    of each other (clock skew aside). Every slot is also reserved in this process's ``local``
    pacer, which the shared pacer's posts go through as well."""

    MARGIN = 0.25  # of interval_s, added to each turn
    SETTLE_S = 5.0  # after a replica starts taking turns, its first turn in any channel waits this long

    def __init__(
        self,
        local: ChannelPacer,
        turns: Turns,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.local = local
        self.turns = turns
        self.interval_s = interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def slot(self, channel: str, not_before_s: float = 0.0) -> float:
        """Reserve this replica's next turn in ``channel``, at least ``not_before_s`` from now; the
        seconds to wait for it."""
        rank, count = self.turns.rank, self.turns.count
        if count <= 1:  # alone: this process's own pace
            return self.local.reserve(channel, not_before_s)
        # Another replica may still post in a slot it reserved in the database before the outage:
        # the first turns wait until such slots are past.
        not_before_s = max(not_before_s, self.turns.since + self.SETTLE_S - self._clock())
        length = self.interval_s * (1 + self.MARGIN)
        period = length * count
        now = self._clock()
        earliest = now + max(0.0, not_before_s)
        with self._lock:
            for _ in range(100):
                earliest = max(earliest, now + self.local.free_in(channel))
                turn = (earliest - rank * length) // period * period + rank * length
                if turn < earliest - 1e-6:
                    turn += period
                delay = self.local.reserve(channel, turn - now)
                if delay <= turn - now + 0.05:
                    return delay
                earliest = now + delay  # another thread of this process took the slot meanwhile
        return self.local.reserve(channel)

    def wait(self, channel: str) -> float:
        delay = self.slot(channel)
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


class BotReplyLimiter:
    """At most ``limit`` answers to messages of one bot in one channel per ``window_s``."""

    def __init__(self, limit: int = 5, window_s: float = 600.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sent: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def allow(self, channel: str, bot_id: str) -> bool:
        with self._lock:
            now = self._clock()
            sent = self._sent[(channel, bot_id)]
            while sent and now - sent[0] > self.window_s:
                sent.popleft()
            if len(sent) >= self.limit:
                return False
            sent.append(now)
            return True


class KeyedLocks:
    """One lock per key (e.g. per channel+author) so a split paste is stitched in order."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                if len(self._locks) > 10000:  # bound memory; idle locks are cheap to recreate
                    self._locks = {k: v for k, v in self._locks.items() if v.locked()}
                lock = self._locks[key] = threading.Lock()
            return lock

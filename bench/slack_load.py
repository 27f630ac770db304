"""Load test of the Slack bot in production shape: two `oomlens serve` replicas sharing one
PostgreSQL behind the fake Slack API, with a replica SIGKILLed and the database taken away.

Run by hand (PostgreSQL on 127.0.0.1:5432, everything else on loopback, stops by itself):

    .venv/bin/python bench/slack_load.py [--deliveries 500] [--batch 50] [--pg postgresql://postgres@127.0.0.1:5432/test]

* 500 signed `message` deliveries, each a pasted dump in one of 50 channels, arriving 50 at a time
  (a batch every --every seconds); 10 % are also retried (same event id) to the other replica.
* Slack's behaviour is imitated: an answer other than 2xx, or none within 3 s, is retried (to the
  other replica) after 1 s, 20 s and 45 s (Slack: at once, 1 min, 5 min).
* Faults: replica A is SIGKILLed at --kill-at and restarted 3 s later; the database is made
  unreachable (a proxy refuses and cuts connections) for 20 s, then frozen (connections stay open,
  no byte moves) for 20 s.
* Checks: every dump answered exactly once (one chat.postMessage per source message), no 5xx at
  all (503 included: while the database is away deliveries go to each replica's local spool),
  no ack over 3 s, no traceback in the replicas' logs, every dump's events in the database at the
  end. Prints p50/p99/max ack and throughput, and how many deliveries went through the spool.

The replicas use a database of their own (created and dropped here), reached through the proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

from fake_slack import BOT_TOKEN, TEAM_ID, FakeSlack  # noqa: E402
from slack_harness import CORPUS, SIGNING_SECRET, sign, slack_escape  # noqa: E402

CASES = ("seed-rsync-32bit", "lab-memcg-v2-deb61-arm64")
RETRY_DELAYS_S = (1.0, 20.0, 45.0)
ACK_DEADLINE_S = 3.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DatabaseProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL: ``pass``, ``refuse`` (listener closed,
    open connections cut) or ``freeze`` (connections accepted and kept, no byte forwarded)."""

    def __init__(self, target_port: int = 5432):
        self.target_port = target_port
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.flowing = asyncio.Event()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> DatabaseProxy:
        self.thread.start()
        self._call(self._open())
        self.loop.call_soon_threadsafe(self.flowing.set)
        return self

    def _call(self, coroutine) -> None:  # type: ignore[no-untyped-def]
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    async def _open(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update((writer, up_writer))

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while True:
                    data = await source.read(65536)
                    if not data:
                        break
                    await self.flowing.wait()
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self.writers.discard(writer)
        self.writers.discard(up_writer)

    def refuse(self) -> None:
        self._call(self._close())

    def restore(self) -> None:
        if self.server is None:
            self._call(self._open())
        self.loop.call_soon_threadsafe(self.flowing.set)

    def freeze(self) -> None:
        self.loop.call_soon_threadsafe(self.flowing.clear)

    def stop(self) -> None:
        self._call(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)


class Replica:
    def __init__(self, name: str, database_url: str, api_url: str, workdir: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url,
            "OOMLENS_CHARTS": "false",
            "OOMLENS_JOB_LEASE_S": "10",
            "OOMLENS_STARTUP_TIMEOUT": "60",
        }
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not come up")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Sender:
    """Slack's side: signed deliveries, retries of failed ones, and what every attempt got."""

    def __init__(self, replicas: list[Replica]):
        self.replicas = replicas
        self.attempts: list[dict[str, object]] = []
        self.lock = asyncio.Lock()
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(ACK_DEADLINE_S + 2))
        self.t0 = time.monotonic()

    async def attempt(self, replica: Replica, body: bytes, retry_num: int) -> tuple[bool, float, object]:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "x-slack-request-timestamp": str(timestamp),
            "x-slack-signature": sign(body, timestamp),
        }
        if retry_num:
            headers.update({"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_error"})
        started = time.monotonic()
        at = started - self.t0
        try:
            response = await self.client.post(replica.url + "/slack/events", content=body, headers=headers)
            status: object = response.status_code
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as error:
            status = type(error).__name__
        elapsed = time.monotonic() - started
        self.attempts.append(
            {"status": status, "elapsed": elapsed, "replica": replica.name, "retry": retry_num, "at": at}
        )
        ok = status == 200 and elapsed <= ACK_DEADLINE_S
        return ok, elapsed, status

    async def deliver(self, index: int, body: bytes, extra_retry: bool) -> bool:
        first, other = self.replicas[index % 2], self.replicas[(index + 1) % 2]
        ok, _, _ = await self.attempt(first, body, 0)
        if extra_retry:  # a retry Slack sends although the first attempt succeeded (a slow network)
            await self.attempt(other, body, 1)
        retry = 0
        while not ok and retry < len(RETRY_DELAYS_S):
            await asyncio.sleep(RETRY_DELAYS_S[retry])
            retry += 1
            ok, _, _ = await self.attempt(other if retry % 2 else first, body, retry)
        return ok


def make_database(pg: str) -> tuple[str, str]:
    import sqlalchemy

    from bot.store.store import normalise_url

    name = f"oomlens_bench_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, pg.rsplit("/", 1)[0]


def count_recorded(pg: str, name: str) -> int:
    """Source messages with their events in the incident memory (oomlens_events)."""
    import sqlalchemy

    from bot.store.store import normalise_url

    engine = sqlalchemy.create_engine(normalise_url(pg.rsplit("/", 1)[0] + "/" + name))
    with engine.connect() as connection:
        count = connection.execute(sqlalchemy.text("SELECT count(DISTINCT message_ts) FROM oomlens_events")).scalar()
        retried = connection.execute(sqlalchemy.text("SELECT count(*) FROM oomlens_jobs WHERE attempts > 1")).scalar()
        spooled = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM oomlens_jobs WHERE holder = 'spool'")
        ).scalar()
        negative = connection.execute(sqlalchemy.text("SELECT count(*) FROM oomlens_analyses WHERE id < 0")).scalar()
    engine.dispose()
    print(f"jobs claimed more than once (taken over, retried after a database error, or rechecked): {retried}")
    print(f"deliveries answered from a spool {spooled}; analyses made while the database was away {negative}")
    return int(count or 0)


def drop_database(pg: str, name: str) -> None:
    import sqlalchemy

    from bot.store.store import normalise_url

    admin = sqlalchemy.create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def run(args: argparse.Namespace) -> int:
    fake = FakeSlack().start()
    fake.allowed_users.add("UHUMAN")
    name, server_url = make_database(args.pg)
    proxy = DatabaseProxy().start()
    database_url = f"{server_url.replace('127.0.0.1:5432', f'127.0.0.1:{proxy.port}')}/{name}"
    workdir = Path(tempfile.mkdtemp(prefix="oomlens-load-"))
    replicas = [Replica("a", database_url, fake.api_url, workdir), Replica("b", database_url, fake.api_url, workdir)]
    for replica in replicas:  # the same instant, on an empty database
        replica.start()
    try:
        for replica in replicas:
            replica.wait_ready()
        dumps = [slack_escape((CORPUS / case / "input.log").read_text(errors="replace")) for case in CASES]
        rng = random.Random(11)
        channels = [f"CLOAD{n:04d}" for n in range(args.channels)]
        deliveries = []
        for index in range(args.deliveries):
            ts = fake.new_ts()
            event = {
                "type": "message",
                "channel": channels[index % len(channels)],
                "user": "UHUMAN",
                "ts": ts,
                "text": f"box {index} died\n```{dumps[index % len(dumps)]}```",
                "channel_type": "channel",
            }
            body = json.dumps(
                {
                    "token": "t",
                    "team_id": TEAM_ID,
                    "api_app_id": "A0",
                    "type": "event_callback",
                    "event_id": f"EvLOAD{index:05d}",
                    "event_time": int(time.time()),
                    "event": event,
                }
            ).encode()
            deliveries.append((index, event, body, rng.random() < 0.10))
        sender = Sender(replicas)
        t0 = sender.t0 = time.monotonic()

        async def faults() -> None:
            await asyncio.sleep(args.kill_at)
            print(f"[{time.monotonic() - t0:5.1f}s] SIGKILL replica a", flush=True)
            replicas[0].kill()
            await asyncio.sleep(3)
            replicas[0].start()
            print(f"[{time.monotonic() - t0:5.1f}s] replica a restarted", flush=True)
            await asyncio.sleep(max(0.0, args.outage_at - (time.monotonic() - t0)))
            print(f"[{time.monotonic() - t0:5.1f}s] database unreachable for 20 s", flush=True)
            proxy.refuse()
            await asyncio.sleep(20)
            proxy.restore()
            print(f"[{time.monotonic() - t0:5.1f}s] database back; frozen for 20 s", flush=True)
            proxy.freeze()
            await asyncio.sleep(20)
            proxy.restore()
            print(f"[{time.monotonic() - t0:5.1f}s] database flowing again", flush=True)

        fault_task = asyncio.create_task(faults())
        tasks = []
        for start in range(0, len(deliveries), args.batch):
            batch = deliveries[start : start + args.batch]
            tasks += [asyncio.create_task(sender.deliver(i, body, extra)) for i, _e, body, extra in batch]
            await asyncio.sleep(args.every)
        acked = await asyncio.gather(*tasks)
        await fault_task
        sent_done = time.monotonic() - t0

        # wait (bounded) until every dump has its answer
        expected = {(event["channel"], event["ts"]) for _i, event, _b, _x in deliveries}

        def answered() -> Counter[tuple[str, str]]:
            return Counter(
                (c.params.get("channel"), c.params.get("thread_ts")) for c in fake.calls_to("chat.postMessage")
            )

        deadline = time.monotonic() + args.drain_timeout
        while time.monotonic() < deadline and not expected <= set(answered()):
            await asyncio.sleep(0.5)
        last_answer = time.monotonic() - t0
        await asyncio.sleep(3)  # late duplicates would show now
        counts = answered()
        await sender.client.aclose()
        recorded = count_recorded(args.pg, name)
    finally:
        for replica in replicas:
            replica.stop()
        proxy.stop()
        fake.stop()
        drop_database(args.pg, name)

    missing = [key for key in expected if counts.get(key, 0) == 0]
    doubled = [key for key in expected if counts.get(key, 0) > 1]
    statuses = Counter(str(a["status"]) for a in sender.attempts)
    acks = [float(a["elapsed"]) for a in sender.attempts if a["status"] == 200]
    slow = [a for a in sender.attempts if a["status"] == 200 and float(a["elapsed"]) > ACK_DEADLINE_S]
    timeouts = statuses.get("timeout", 0)
    five_hundred = sum(n for s, n in statuses.items() if s.isdigit() and int(s) >= 500)
    tracebacks = sum(r.log_path.read_text(errors="replace").count("Traceback") for r in replicas)
    updates = len(fake.calls_to("chat.update"))
    print()
    print(f"deliveries {len(deliveries)}, attempts {len(sender.attempts)}, statuses {dict(statuses)}")
    print(
        f"acknowledged {sum(acked)}/{len(deliveries)}; answered {len(expected) - len(missing)}/{len(expected)}; "
        f"answered twice {len(doubled)}; chat.update {updates}; in the incident memory {recorded}"
    )
    print(
        f"ack p50 {statistics.median(acks) * 1000:.0f} ms, p99 {percentile(acks, 99) * 1000:.0f} ms, "
        f"max {max(acks) * 1000:.0f} ms; acks over 3 s {len(slow)}, no answer within 3 s {timeouts}"
    )
    print(
        f"throughput {len(expected) - len(missing)} dumps answered in {last_answer:.1f} s "
        f"({(len(expected) - len(missing)) / last_answer:.1f}/s; sending took {sent_done:.1f} s)"
    )
    print(
        f"5xx answers {five_hundred} (of which 503 {statuses.get('503', 0)}); "
        f"tracebacks in logs {tracebacks}; fake Slack violations {len(fake.violations)}"
    )
    outage_end = args.outage_at + 20
    phases = (
        ("before the outage", 0, args.outage_at),
        ("database unreachable", args.outage_at, outage_end),
        ("database frozen", outage_end, outage_end + 20),
        ("after", outage_end + 20, 1e9),
    )
    for label, start, end in phases:
        times = [float(a["elapsed"]) for a in sender.attempts if a["status"] == 200 and start <= float(a["at"]) < end]
        if times:
            print(
                f"  acks {label}: {len(times)}, p50 {statistics.median(times) * 1000:.0f} ms, "
                f"p99 {percentile(times, 99) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
            )
    for violation in fake.violations[:5]:
        print("  violation:", violation)
    ok = (
        not missing
        and not doubled
        and not slow
        and not timeouts
        and not five_hundred
        and not tracebacks
        and all(acked)
        and not fake.violations
        and recorded == len(expected)
    )
    print("PASS" if ok else "FAIL", f"(logs in {workdir})")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--every", type=float, default=7.0, help="seconds between batches")
    parser.add_argument("--channels", type=int, default=50)
    parser.add_argument("--kill-at", type=float, default=7.15, help="while the second batch arrives")
    parser.add_argument("--outage-at", type=float, default=22.0)
    parser.add_argument("--drain-timeout", type=float, default=240.0)
    parser.add_argument(
        "--pg", default=os.environ.get("OOMLENS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

"""Ack latency and time-to-reply of the Slack bot for N concurrent pasted dumps (HTTP mode).

Run by hand:  .venv/bin/python bench/slack_ack.py [--dumps 50] [--channels 50] [--case seed-rsync-32bit]

Starts the fake Slack Web API of the test-suite and the real bot (build_app + uvicorn) on
127.0.0.1, fires N signed `message` events at once, and reports p50/p99 of the HTTP ack and of
the time until the threaded reply reaches the (fake) Slack API. Everything stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "slack"))

from fake_slack import TEAM_ID, FakeSlack  # noqa: E402
from slack_harness import CORPUS, BotServer, make_settings, sign, slack_escape  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


async def fire(base_url: str, bodies: list[bytes]) -> list[tuple[float, float, int]]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def one(body: bytes) -> tuple[float, float, int]:
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "x-slack-request-timestamp": str(timestamp),
                "x-slack-signature": sign(body, timestamp),
            }
            started = time.monotonic()
            response = await client.post("/slack/events", content=body, headers=headers)
            return started, time.monotonic() - started, response.status_code

        return await asyncio.gather(*(one(body) for body in bodies))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=int, default=50)
    parser.add_argument(
        "--channels", type=int, default=50, help="spread over this many channels (Slack paces 1/s each)"
    )
    parser.add_argument("--case", default="seed-rsync-32bit")
    args = parser.parse_args()

    dump = (CORPUS / args.case / "input.log").read_text(errors="replace")
    fake = FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = BotServer(make_settings(fake, f"sqlite:///{tmp}/bench.sqlite3"))
        try:
            bodies, keys = [], []
            for i in range(args.dumps):
                channel = f"CBENCH{i % args.channels:04d}"
                ts = fake.new_ts()
                keys.append((channel, ts))
                bodies.append(
                    json.dumps(
                        {
                            "type": "event_callback",
                            "team_id": TEAM_ID,
                            "api_app_id": "A0TEST",
                            "event_id": f"EvBench{i}",
                            "event_time": int(time.time()),
                            "event": {
                                "type": "message",
                                "channel": channel,
                                "user": "UHUMAN",
                                "ts": ts,
                                "text": "```" + slack_escape(dump) + "```",
                            },
                        }
                    ).encode()
                )
            results = asyncio.run(fire(bot.base_url, bodies))
            statuses = {status for _s, _l, status in results}
            reply_at: dict[tuple[str, str], float] = {}
            deadline = time.monotonic() + 120
            while len(reply_at) < len(keys) and time.monotonic() < deadline:
                for call in fake.calls_to("chat.postMessage"):
                    reply_at.setdefault((call.params["channel"], call.params["thread_ts"]), call.at)
                time.sleep(0.02)
            acks = [latency * 1000 for _s, latency, _c in results]
            replies = [
                reply_at[key] - started for key, (started, _l, _c) in zip(keys, results, strict=True) if key in reply_at
            ]
        finally:
            bot.stop()
            fake.stop()
    print(f"{args.dumps} concurrent pasted dumps ({args.case}, {len(dump)} chars) over {args.channels} channels")
    print(
        f"HTTP statuses: {sorted(statuses)}; replies delivered: {len(replies)}/{args.dumps}; "
        f"fake-Slack violations: {len(fake.violations)}"
    )
    print(
        f"ack latency ms:    p50 {percentile(acks, 50):7.1f}   p99 {percentile(acks, 99):7.1f}   max {max(acks):7.1f}"
    )
    if replies:
        print(
            f"time to reply s:   p50 {percentile(replies, 50):7.2f}   p99 {percentile(replies, 99):7.2f}"
            f"   max {max(replies):7.2f}   mean {statistics.mean(replies):.2f}"
        )
    return 0 if len(replies) == args.dumps and statuses == {200} else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Parser benchmarks (run by hand; results go in the README, never into unit tests).

    .venv/bin/python bench/parse_bench.py [--corpus tests/corpus] [--big-gb 1]

Measures: median analyse time per dump over the corpus; a complete 13 KB dump; a 20,000-row
task table; and, with --big-gb, a synthetic kern.log with 1,000 events streamed through
`oomlens analyze --format jsonl` (throughput and peak RSS of that process).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.pipeline import analyze  # noqa: E402
from grammar.parse import parse_text  # noqa: E402


def median_ms(function, data, repeat: int = 25) -> float:  # type: ignore[no-untyped-def]
    function(data)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def task_table(rows: int) -> bytes:
    head = (REPO / "examples" / "seed-rsync-32bit.log").read_text().splitlines()
    header_at = next(i for i, line in enumerate(head) if "[ pid ]" in line)
    prefix = "Sep 23 02:04:16 [kernel] [1772321.949656] "
    body = [
        f"{prefix}[{10000 + i:5d}]   113 {10000 + i:5d}    42469    37403   0       0             0 worker-{i}"
        for i in range(rows)
    ]
    return "\n".join(head[: header_at + 1] + body + head[-2:]).encode()


def big_log(path: Path, size_gb: float, events: int, dump: bytes) -> int:
    noise_line = b"Mar 14 02:03:56 db-7 kernel: [12345.678901] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None\n"
    target = int(size_gb * 1024**3)
    gap = max(0, (target - events * len(dump)) // (events + 1))
    block = noise_line * (gap // len(noise_line))
    with open(path, "wb") as out:
        out.write(block)
        for _ in range(events):
            out.write(dump)
            out.write(block)
    return path.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(REPO / "tests" / "corpus"))
    parser.add_argument("--big-gb", type=float, default=0.0)
    args = parser.parse_args()

    corpus = Path(args.corpus)
    per_dump = [
        median_ms(analyze, (d / "input.log").read_bytes(), repeat=7)
        for d in sorted(corpus.iterdir())
        if (d / "input.log").is_file()
    ]
    print(
        f"corpus: {len(per_dump)} dumps, median analyse {statistics.median(per_dump):.2f} ms, "
        f"p90 {sorted(per_dump)[int(len(per_dump) * 0.9)]:.2f} ms"
    )
    complete = (corpus / "code-carstengrohmann-oomanalyser-proxmox" / "input.log").read_bytes()
    print(
        f"complete dump ({len(complete)} bytes): parse {median_ms(parse_text, complete):.2f} ms, "
        f"parse+diagnose {median_ms(analyze, complete):.2f} ms"
    )
    table = task_table(20000)
    start = time.perf_counter()
    report = analyze(table)
    print(
        f"20,000-row task table ({len(table) // 1024} KB): {1000 * (time.perf_counter() - start):.0f} ms, "
        f"{len(report.events[0].event.tasks)} rows"
    )
    sizes = []
    for rows in (5000, 10000, 20000, 40000):
        data = task_table(rows)
        start = time.perf_counter()
        parse_text(data)
        sizes.append((len(data), time.perf_counter() - start))
    print(
        "linearity (parse only): "
        + ", ".join(f"{n // 1024} KB {t * 1000:.0f} ms ({n / t / 1e6:.1f} MB/s)" for n, t in sizes)
    )
    if args.big_gb:
        dump = (corpus / "lab-process-hog-deb612-amd64--dmesg-user" / "input.log").read_bytes()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "kern.log"
            size = big_log(path, args.big_gb, 1000, dump.rstrip(b"\n") + b"\n")
            cli = [sys.executable, "-m", "bot.cli", "analyze", "--format", "jsonl", str(path)]
            start = time.perf_counter()
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cli], capture_output=True, cwd=REPO)
            elapsed = time.perf_counter() - start
            events = proc.stdout.count(b"\n")
            peak_kb = int(proc.stderr.decode().strip().splitlines()[-1])
            print(
                f"jsonl: {size / 1e6:.0f} MB, {events} events in {elapsed:.1f} s = {size / 1e6 / elapsed:.0f} MB/s, "
                f"peak RSS {peak_kb / 1024:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Task-table benchmark (issue 12): peak RSS and time of `oomlens analyze` on one dump whose task
table has 25,000 / 50,000 / 100,000 rows, in every output format, each a whole process. Time per
row stays flat when the work is linear in rows. Run by hand; results go in the README.

    .venv/bin/python bench/task_table.py [--rows 25000,50000,100000] [--oomlens PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from parse_bench import task_table  # noqa: E402


def timed(command: list[str]) -> tuple[float, int, int]:
    """Wall time, peak RSS (MB, from wait4) and exit code of one command."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="25000,50000,100000")
    parser.add_argument("--formats", default="text,json,markdown,jsonl")
    parser.add_argument("--oomlens", default=str(REPO / ".venv" / "bin" / "oomlens"))
    args = parser.parse_args()
    print(f"{'rows':>7} {'format':<9} {'seconds':>8} {'us/row':>7} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(n) for n in args.rows.split(",")):
            path = Path(tmp) / f"table-{rows}.log"
            path.write_bytes(task_table(rows))
            for fmt in args.formats.split(","):
                seconds, rss, code = timed(
                    [args.oomlens, "analyze", "--format", fmt, "--jobs", "1", str(path)]
                    if fmt == "jsonl"
                    else [args.oomlens, "analyze", "--format", fmt, str(path)]
                )
                print(
                    f"{rows:>7} {fmt:<9} {seconds:8.2f} {seconds / rows * 1e6:7.1f} {rss:12d}"
                    f"{'' if code == 0 else f'  exit {code}'}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

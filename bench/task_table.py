"""Task-table benchmark (issue 12): peak RSS and time of `oomlens analyze` on one dump whose task
table has 12,500 / 25,000 / 50,000 / 100,000 rows, in every output format, each a whole process.
Time per row stays flat when the work is linear in rows. Run by hand; results go in the README.

    .venv/bin/python bench/task_table.py [--rows 12500,25000,50000,100000] [--formats ...] [--oomlens PATH]

Formats: the CLI's text, markdown, json and jsonl, and ``blocks``: the Slack reply to the same
paste (``analyze`` then ``render_report``, its Block Kit JSON and the attached full report when
it is oversize, and every detail section), run as ``python -c`` with the same interpreter.
Wall and CPU seconds (user + system of the process, from wait4: other work on the machine
inflates wall time, less so CPU time) and the peak RSS.
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

# The Slack bot's reply to a paste: what bot.slack.delivery renders (Block Kit, the oversize
# file, the detail sections behind the selector), as JSON the way the Web API client sends it.
BLOCKS = """
import json, sys
from bot.pipeline import analyze
from bot.render.blockkit import DETAIL_KINDS, render_details, render_report
with open(sys.argv[1], "rb") as handle:
    report = analyze(handle.read())
reply = render_report(report, analysis_id=1)
out = [json.dumps(reply.blocks), reply.file[1] if reply.file else ""]
for kind in DETAIL_KINDS:
    out.append(json.dumps(render_details(report, 0, kind)[1]))
sys.stdout.write("\\n".join(out))
"""


def timed(command: list[str]) -> tuple[float, float, int, int]:
    """Wall time, CPU time (user + system), peak RSS (MB, from wait4) and exit code of one command."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, cpu, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def command(oomlens: str, fmt: str, path: Path) -> list[str]:
    if fmt == "blocks":
        return [str(Path(oomlens).parent / "python"), "-c", BLOCKS, str(path)]
    if fmt == "jsonl":
        return [oomlens, "analyze", "--format", fmt, "--jobs", "1", str(path)]
    return [oomlens, "analyze", "--format", fmt, str(path)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="12500,25000,50000,100000")
    parser.add_argument("--formats", default="text,markdown,json,jsonl,blocks")
    parser.add_argument("--oomlens", default=str(REPO / ".venv" / "bin" / "oomlens"))
    args = parser.parse_args()
    print(f"{'rows':>7} {'format':<9} {'wall s':>7} {'CPU s':>7} {'CPU us/row':>10} {'peak RSS MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(n) for n in args.rows.split(",")):
            path = Path(tmp) / f"table-{rows}.log"
            path.write_bytes(task_table(rows))
            for fmt in args.formats.split(","):
                seconds, cpu, rss, code = timed(command(args.oomlens, fmt, path))
                print(
                    f"{rows:>7} {fmt:<9} {seconds:7.2f} {cpu:7.2f} {cpu / rows * 1e6:10.1f} {rss:12d}"
                    f"{'' if code == 0 else f'  exit {code}'}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

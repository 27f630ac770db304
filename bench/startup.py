"""Start-up benchmark (issue 12): `oomlens analyze` of the bundled sample as a whole process, text
and JSON output, against `python -c 'import lark, jinja2, yaml'` in the same run (the commands
interleaved, median of N rounds). Wall time and CPU time (user + system of the process, from
wait4: on a machine other work is loading, CPU time moves less than wall time). Run by hand;
results go in the README.

    .venv/bin/python bench/startup.py [--rounds 9] [--oomlens PATH] [--also NAME=DIR ...]

``--also before=/path/to/other/checkout`` adds that checkout's two commands to the same
interleaved run (run with PYTHONPATH=DIR and a start-up cache of its own), so a before/after
ratio comes from one run. This checkout's commands have a fresh start-up cache of their own too.

Run it with bytecode caching on (PYTHONDONTWRITEBYTECODE unset), as an installed package runs:
with it set every module is compiled from source at every start. The first round of each
command is not counted: it writes the bytecode and the start-up cache (knowledge/diskcache.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--oomlens", default=str(REPO / ".venv" / "bin" / "oomlens"))
    parser.add_argument("--also", action="append", default=[], metavar="NAME=DIR")
    args = parser.parse_args()
    # pip compiles an installed package's bytecode at install time, and the reference's modules
    # (site-packages) have theirs; an editable checkout only gets it if Python may write it. This
    # machine's environment sets PYTHONDONTWRITEBYTECODE, which would time our sources compiled
    # afresh on every run against a reference read from bytecode.
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # A start-up cache of its own too: the user's (~/.cache/oomlens) also holds what tests and
    # other checkouts ran under the same profile (one such file had grown to 1.7 MB against the
    # 0.9 MB this tree writes), which the --also trees, each with a fresh one, would not read.
    here = dict(base, OOMLENS_CACHE_DIR=tempfile.mkdtemp(prefix="oomlens-here-"))
    commands: dict[str, tuple[list[str], dict[str, str]]] = {
        "python -c 'import lark, jinja2, yaml'": ([sys.executable, "-c", "import lark, jinja2, yaml"], here),
        "oomlens analyze --format json": ([args.oomlens, "analyze", "--format", "json", str(SAMPLE)], here),
        "oomlens analyze (text)": ([args.oomlens, "analyze", str(SAMPLE)], here),
    }
    for also in args.also:
        name, _, directory = also.partition("=")
        # its own start-up cache: one shared with this checkout would hold both trees' entries
        env = dict(base, PYTHONPATH=directory, OOMLENS_CACHE_DIR=tempfile.mkdtemp(prefix=f"oomlens-{name}-"))
        commands[f"{name}: oomlens analyze --format json"] = (
            [args.oomlens, "analyze", "--format", "json", str(SAMPLE)],
            env,
        )
        commands[f"{name}: oomlens analyze (text)"] = ([args.oomlens, "analyze", str(SAMPLE)], env)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for command, env in commands.values():  # warm the caches (bytecode, Lark's grammar cache, diskcache)
        timed(command, env)
    for _ in range(args.rounds):
        for name, (command, env) in commands.items():
            seconds, cpu_seconds = timed(command, env)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    base_wall = statistics.median(next(iter(wall.values())))
    base_cpu = statistics.median(next(iter(cpu.values())))
    print(f"{'command':<48} {'wall ms':>8} {'ratio':>6} {'CPU ms':>8} {'ratio':>6}")
    for name in commands:
        median_wall, median_cpu = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"{name:<48} {median_wall * 1000:8.0f} {median_wall / base_wall:5.2f}x "
            f"{median_cpu * 1000:8.0f} {median_cpu / base_cpu:5.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up benchmark (issue 12): `oomlens analyze` of the bundled sample as a whole process, text
and JSON output, against `python -c 'import lark, jinja2, yaml'` in the same run (the commands
interleaved, median of N rounds). Run by hand; results go in the README.

    .venv/bin/python bench/startup.py [--rounds 9] [--oomlens PATH]

Run it with bytecode caching on (PYTHONDONTWRITEBYTECODE unset), as an installed package runs:
with it set every module is compiled from source at every start.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "seed-rsync-32bit.log"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--oomlens", default=str(REPO / ".venv" / "bin" / "oomlens"))
    args = parser.parse_args()
    commands = {
        "python -c 'import lark, jinja2, yaml'": [sys.executable, "-c", "import lark, jinja2, yaml"],
        "oomlens analyze --format json": [args.oomlens, "analyze", "--format", "json", str(SAMPLE)],
        "oomlens analyze (text)": [args.oomlens, "analyze", str(SAMPLE)],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the caches (bytecode, Lark's grammar cache)
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for _ in range(args.rounds):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(next(iter(times.values())))
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<40} {median * 1000:7.0f} ms  {median / base:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

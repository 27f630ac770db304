"""Per-dump speed against the peer (issue 12): OOMAnalyser's own analysis of its published example
dumps, run in-process under CPython, beside oomlens's ``analyze`` of the same text, in one run.

    .venv/bin/python bench/peer.py [--peer PATH] [--rounds 200]

PATH is a checkout of https://github.com/CarstenGrohmann/OOMAnalyser (the directory holding
``OOMAnalyser.py``) or its bare git directory; without it the mirror the search tool's ``fetch``
leaves at ``/work/.mirror/CarstenGrohmann+OOMAnalyser/repo`` is read with ``git show``. The
peer's code is never copied into this tree: it is loaded from there at bench time.

OOMAnalyser.py is written for Transcrypt (it runs in the browser), but everything browser-only
sits behind ``# __pragma__ ('skip')`` with CPython stand-ins for ``document``, ``window`` and
``console`` in the same file, so the module imports and runs under CPython as it is; no stub is
needed. Its example dumps are the ``OOMDisplay.example_*`` strings (the ones its web page offers).

What is timed for each dump, interleaved round by round, CPU time (``time.process_time``) and
wall time, the minimum and the median of the rounds:
- peer: ``OOMEntity(text)`` + ``OOMAnalyser(entity).analyse()`` (its whole analysis: the fields
  it extracts and the values it calculates; no rendering);
- oomlens: ``bot.pipeline.analyze(text)`` (normalise, parse, assemble, diagnose, overview; no
  rendering), and ``grammar.parse.parse_text`` alone. A finding's explanation and steps are
  rendered from their templates when a surface first reads them (``knowledge.model.Deferred``),
  so they are not timed here, as the peer's analysis renders no text either.
The ratio is oomlens's time over the peer's, geometric mean over the dumps (issue 12's target:
at most 1.5, aim for 1.0). Run by hand; results go in the README, never into unit tests.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.pipeline import analyze  # noqa: E402
from grammar.parse import parse_text  # noqa: E402

MIRROR = Path("/work/.mirror/CarstenGrohmann+OOMAnalyser/repo")


def peer_source(path: str | None) -> str:
    """The text of the peer's OOMAnalyser.py from a checkout, a bare git directory or the mirror."""
    where = Path(path) if path else MIRROR
    if (where / "OOMAnalyser.py").is_file():
        return (where / "OOMAnalyser.py").read_text("utf-8")
    if (where / "HEAD").is_file() or (where / ".git").exists():
        git_dir = where / ".git" if (where / ".git").exists() else where
        return subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", "HEAD:OOMAnalyser.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    raise SystemExit(
        f"no OOMAnalyser checkout at {where} (pass --peer PATH, or fetch github:CarstenGrohmann/OOMAnalyser)"
    )


def load_peer(source: str, tmp: Path) -> ModuleType:
    path = tmp / "OOMAnalyser.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location("OOMAnalyser", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_analyse(module: Any, text: str) -> Any:
    analyser = module.OOMAnalyser(module.OOMEntity(text))
    if not analyser.analyse():
        raise RuntimeError(f"the peer could not analyse the dump: {analyser.oom_result.error_msg}")
    return analyser.oom_result


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", help="OOMAnalyser checkout (or bare git directory); default: the fetched mirror")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        module = load_peer(peer_source(args.peer), Path(tmp))
    examples = {
        name: getattr(module.OOMDisplay, name)
        for name in sorted(vars(module.OOMDisplay))
        if name.startswith("example_")
    }
    if not examples:
        raise SystemExit("the peer's OOMDisplay has no example_* dumps")

    workers: dict[str, Callable[[str], Any]] = {
        "peer": lambda text: peer_analyse(module, text),
        "oomlens analyze": analyze,
        "oomlens parse": parse_text,
    }
    for name, text in examples.items():  # warm up; and the same dumps must be understood by both
        result = peer_analyse(module, text)
        report = analyze(text)
        if len(report.events) != 1:
            raise SystemExit(f"{name}: oomlens found {len(report.events)} events")
        kill = report.events[0].event.kill
        peer_victim = result.details.get("killed_proc_pid")
        if kill is None or (isinstance(peer_victim, int) and kill.pid != peer_victim):
            raise SystemExit(f"{name}: victims differ (peer {peer_victim}, oomlens {kill and kill.pid})")
        parse_text(text)

    cpu: dict[tuple[str, str], list[float]] = {(w, n): [] for w in workers for n in examples}
    wall: dict[tuple[str, str], list[float]] = {(w, n): [] for w in workers for n in examples}
    gc.collect()
    for _ in range(args.rounds):
        for name, text in examples.items():
            for worker, function in workers.items():
                start_cpu, start_wall = time.process_time(), time.perf_counter()
                function(text)
                cpu[(worker, name)].append(time.process_time() - start_cpu)
                wall[(worker, name)].append(time.perf_counter() - start_wall)

    print(f"{args.rounds} rounds, ms per dump: CPU min / CPU median / wall median")
    header = f"{'dump':<28} {'lines':>5}" + "".join(f" {worker:>24}" for worker in workers)
    print(header)
    summary: dict[str, dict[str, list[float]]] = {w: {"min": [], "median": [], "wall": []} for w in workers}
    for name, text in examples.items():
        row = f"{name.removeprefix('example_'):<28} {text.count(chr(10)):>5}"
        for worker in workers:
            low = min(cpu[(worker, name)]) * 1000
            middle = statistics.median(cpu[(worker, name)]) * 1000
            wall_middle = statistics.median(wall[(worker, name)]) * 1000
            summary[worker]["min"].append(low)
            summary[worker]["median"].append(middle)
            summary[worker]["wall"].append(wall_middle)
            row += f" {low:7.2f} /{middle:7.2f} /{wall_middle:7.2f}"
        print(row)
    row = f"{'geometric mean':<28} {'':>5}"
    for worker in workers:
        row += "".join(
            f" {geomean(summary[worker][key]):7.2f} {'/' if key != 'wall' else ''}" for key in ("min", "median", "wall")
        )
    print(row)
    for worker in list(workers)[1:]:
        ratios = {
            key: geomean(summary[worker][key]) / geomean(summary["peer"][key]) for key in ("min", "median", "wall")
        }
        print(
            f"{worker} / peer, geometric mean: {ratios['min']:.2f}x (CPU min), {ratios['median']:.2f}x (CPU median), "
            f"{ratios['wall']:.2f}x (wall median)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where the time of `oomlens analyze --format jsonl` goes on a big log, per stage (issue 12).

    .venv/bin/python bench/stream_profile.py LOG [--windows N] [--timers]

LOG is e.g. the aggregated syslog that `bench/aggregated_log.py --keep PATH` writes. Prints the
CPU time of cutting the whole log into windows, then the CPU time per window of analysing and
encoding the first N windows, and each stage's share of it as cProfile counts it (the profiler
adds most to pure-Python stages, so shares are indicative). Run by hand; never in unit tests.

With ``--timers``, no profiler: the scan's parts are timed as passes of their own over the file
(reading, the anchor search, the newline count), and every window is analysed with a CPU timer
around each stage (nested stages are counted in their parent too), the end-of-window trim
included, so the figures add up to about the CPU time of `analyze --format jsonl --jobs 1` less
its start-up.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STAGES = [
    ("grammar/parse.py", "parse_text", "parse (all of the below)"),
    ("grammar/normalise.py", "normalise", "  normalise (prefixes, joins)"),
    ("grammar/parse.py", "classify_lines", "  Lark LALR parse + line transformer"),
    ("grammar/parse.py", "assemble", "  assemble events"),
    ("grammar/parse.py", "_stream_keys", "    host/caller of each line (read_stamp)"),
    ("grammar/context_facts.py", "read_context", "  context facts"),
    ("bot/pipeline.py", "analyse_event", "diagnose (all of the below)"),
    ("knowledge/diagnose.py", "decode_gfp", "  gfp decoding"),
    ("knowledge/diagnose.py", "evaluate", "  checks + findings"),
    ("knowledge/diagnose.py", "build_finding", "    finding text (Jinja)"),
    ("knowledge/overview.py", "build_overview", "  overview"),
    ("bot/render/json_out.py", "event_dict", "JSON-ready dict"),
    ("bot/render/json_out.py", "dumps", "JSON encoding (orjson)"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--windows", type=int, default=300)
    parser.add_argument("--timers", action="store_true", help="CPU timers per stage over all windows, no profiler")
    args = parser.parse_args()
    if args.timers:
        return timers(args.log)

    import grammar.windows
    from bot.pipeline import program_names_workload
    from bot.render.jsonl import window_lines
    from grammar.screen import is_other
    from grammar.windows import windows

    start = time.process_time()
    is_other("")  # built once per process: the literals and first characters of both grammars' terminals
    print(f"screen of both grammars built in {time.process_time() - start:.2f} s CPU (once)")
    start = time.process_time()
    with args.log.open("rb") as handle:
        cut = list(windows(handle, may_use=program_names_workload))
    scan = time.process_time() - start
    size = args.log.stat().st_size / 2**20
    print(f"scan: {len(cut)} windows in {size:.0f} MB, {scan:.2f} s CPU ({size / scan:.0f} MB/s)")
    # the same scan without leaving out the unrelated lines at the windows' ends (grammar.windows.trimmed)
    trimmed, grammar.windows.trimmed = grammar.windows.trimmed, lambda data, may_use=None: data
    try:
        start = time.process_time()
        with args.log.open("rb") as handle:
            whole = list(windows(handle))
        untrimmed = time.process_time() - start
    finally:
        grammar.windows.trimmed = trimmed
    lines, kept = sum(w.data.count(b"\n") for w in whole), sum(w.data.count(b"\n") for w in cut)
    print(
        f"  of which leaving out the windows' unrelated last lines: {scan - untrimmed:.2f} s CPU "
        f"({(scan - untrimmed) / len(cut) * 1000:.2f} ms per window); lines analysed {kept} of {lines}"
    )
    sample = cut[: args.windows]
    for window in sample[:10]:  # lazily built lexers, templates, caches
        window_lines(window)
    start = time.process_time()
    for window in sample:
        window_lines(window)
    per_window = (time.process_time() - start) / len(sample)
    print(f"analysis + JSON: {per_window * 1000:.2f} ms CPU per window (first {len(sample)} windows)")
    profile = cProfile.Profile()
    profile.enable()
    for window in sample:
        window_lines(window)
    profile.disable()
    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    for suffix, function, label in STAGES:
        cumulative = next(
            (row[3] for (path, _, name), row in stats.stats.items() if name == function and path.endswith(suffix)),  # type: ignore[attr-defined]
            0.0,
        )
        share = cumulative / total
        print(f"  {label:<42} {share * 100:5.1f} %  ~{share * per_window * 1000:.2f} ms")
    return 0


# (module, function, label) wrapped with a CPU timer by --timers, outermost first
TIMED = [
    ("grammar.windows", "trimmed", "end-of-window trim"),
    ("bot.pipeline", "parse_text", "parse (all of the below)"),
    ("grammar.parse", "normalise", "  normalise (prefixes, classification, joins)"),
    ("grammar.parse", "_oldest_first", "  line order"),
    ("grammar.parse", "read_context", "  context facts"),
    ("grammar.parse", "classify_lines", "  Lark LALR parse + line transformer"),
    ("grammar.parse", "assemble", "  assemble events"),
    ("grammar.parse", "_stream_keys", "    host/caller of each line (stamps)"),
    ("bot.pipeline", "analyse_event", "diagnose"),
    ("bot.render.jsonl", "event_dict", "JSON-ready dict"),
    ("bot.render.jsonl", "dumps_pieces", "JSON encoding"),
]


def timers(log: Path) -> int:
    import importlib

    from bot.pipeline import program_names_workload
    from bot.render.jsonl import window_lines
    from grammar.windows import CHUNK_BYTES, anchor_matches, windows

    size = log.stat().st_size / 2**20
    anchor_matches(b"warm-up")  # the anchor automaton, built once
    with log.open("rb") as handle:  # warm-up: the screens, the grammars, the caches of one window
        for window in windows(handle, may_use=program_names_workload):
            window_lines(window)
            break
    start = time.process_time()
    with log.open("rb") as handle:
        while handle.read(CHUNK_BYTES):
            pass
    reading = time.process_time() - start
    searching = counting = 0.0
    with log.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            start = time.process_time()
            anchor_matches(block)  # (a task row's openings are searched for a row only when reached)
            middle = time.process_time()
            block.count(b"\n")
            searching, counting = searching + middle - start, counting + time.process_time() - middle

    spent: dict[str, float] = dict.fromkeys((label for _, _, label in TIMED), 0.0)

    def timed(function: object, label: str) -> object:
        def run(*args: object, **kwargs: object) -> object:
            begin = time.process_time()
            try:
                return function(*args, **kwargs)  # type: ignore[operator]
            finally:
                spent[label] += time.process_time() - begin

        return run

    for module_name, function, label in TIMED:
        module = importlib.import_module(module_name)
        setattr(module, function, timed(getattr(module, function), label))
    start = time.process_time()
    scanned = 0.0
    count = 0
    with log.open("rb") as handle:
        cut = windows(handle, may_use=program_names_workload)
        while True:
            begin = time.process_time()
            window = next(cut, None)
            scanned += time.process_time() - begin
            if window is None:
                break
            window_lines(window)
            count += 1
    total = time.process_time() - start
    print(f"{size:.0f} MB, {count} windows: {total:.2f} s CPU (start-up left out)")
    print(f"  scan (windows, the trim included) {scanned:5.2f} s")
    print(f"    reading (a pass of its own)     {reading:5.2f} s")
    print(f"    anchor search (ahocorasick-rs)  {searching:5.2f} s")
    print(f"    newline count                   {counting:5.2f} s")
    print(f"    {TIMED[0][2]:<32}{spent[TIMED[0][2]]:5.2f} s")
    print(f"  analysis of the windows           {total - scanned:5.2f} s")
    for _, _, label in TIMED[1:]:
        print(f"    {label:<46}{spent[label]:5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

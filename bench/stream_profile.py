"""Where the time of `oomlens analyze --format jsonl` goes on a big log, per stage (issue 12).

    .venv/bin/python bench/stream_profile.py LOG [--windows N]

LOG is e.g. the aggregated syslog that `bench/aggregated_log.py --keep PATH` writes. Prints the
CPU time of cutting the whole log into windows, then the CPU time per window of analysing and
encoding the first N windows, and each stage's share of it as cProfile counts it (the profiler
adds most to pure-Python stages, so shares are indicative). Run by hand; never in unit tests.
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
    args = parser.parse_args()

    import grammar.windows
    from bot.render.jsonl import window_lines
    from grammar.screen import is_other
    from grammar.windows import windows

    start = time.process_time()
    is_other("")  # built once per process: the literals and first characters of both grammars' terminals
    print(f"screen of both grammars built in {time.process_time() - start:.2f} s CPU (once)")
    start = time.process_time()
    with args.log.open("rb") as handle:
        cut = list(windows(handle))
    scan = time.process_time() - start
    size = args.log.stat().st_size / 2**20
    print(f"scan: {len(cut)} windows in {size:.0f} MB, {scan:.2f} s CPU ({size / scan:.0f} MB/s)")
    # the same scan without leaving out the unrelated lines at the windows' ends (grammar.windows.trimmed)
    trimmed, grammar.windows.trimmed = grammar.windows.trimmed, lambda data: data
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


if __name__ == "__main__":
    sys.exit(main())

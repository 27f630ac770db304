"""Big-log benchmark (issue 12): a central syslog of 8 hosts with user-space noise and real
corpus dumps inside, scanned by `oomlens analyze --format jsonl` and `oomlens summary`, each timed
against `grep -c 'invoked oom-killer'` on the same file in the same run. Run by hand; results go
in the README, never into unit tests.

    .venv/bin/python bench/aggregated_log.py [--size-mb 512] [--events 500] [--keep PATH] [--log PATH] [--rounds N]

Every dump is a real lab case of tests/corpus (plain `[ seconds] message` console captures with
one event each), re-prefixed the way rsyslog forwards kernel lines
(`Mar 14 02:03:56 host kernel: [ seconds] message`) and placed between noise written by sshd,
cron, systemd, nginx, postgres and kubelet and by the kernel itself. The expected event count is
known, so "every event is found" is checked, not assumed.

With `--jobs` in the command's help, each command runs with `--jobs 1` and `--jobs 2`; the run
prints how much faster `--jobs 2` is (wall) and whether its output is byte-identical to
`--jobs 1`'s, whether each command's output is byte-identical to the same command's of
`--before`, and the load average before and after (other programs on the machine lengthen the
wall times, not the CPU times). The summary's `posted_at`, the time of the run, is left out of
those comparisons.

Each oomlens runs as an installed package does, from bytecode (this machine's environment sets
PYTHONDONTWRITEBYTECODE, which would time every module compiled from source at every run, about
0.1 s of CPU), with the bytecode and its start-up cache (knowledge/diskcache.py) kept in the
run's temporary directory, one of each per oomlens, and warmed by one run of each command on a
small log before the timed rounds (as bench/startup.py does). grep is timed as it is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
HOSTS = [f"node-{n:02d}" for n in range(1, 9)]
CONSOLE_LINE = re.compile(r"^\[\s*\d+\.\d+\] ")

NOISE = [
    "sshd[{pid}]: Accepted publickey for deploy from 10.1.{a}.{b} port {port} ssh2: ED25519 SHA256:Qm9vYmFy",
    "sshd[{pid}]: pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
    "CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
    "systemd[1]: Started Session {port} of User deploy.",
    "systemd[1]: logrotate.service: Deactivated successfully.",
    'nginx[{pid}]: 10.2.{a}.{b} - - "GET /api/v1/items?page={port} HTTP/1.1" 200 5123 "-" "curl/8.5.0"',
    "postgres[{pid}]: [{port}-1] LOG:  checkpoint complete: wrote {a} buffers (0.{b}%); 0 WAL file(s) added",
    'kubelet[{pid}]: I1206 02:03:56.{port} {pid} kubelet_getters.go:218] "Pod status updated" pod="default/web-{a}"',
    "kernel: [{sec}.{usec}] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    "kernel: [{sec}.{usec}] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro. Quota mode: none.",
]


def lab_dumps() -> list[tuple[str, list[str]]]:
    """Base lab cases (no re-rendered variants) that are console captures with one event."""
    dumps = []
    for case in sorted(CORPUS.iterdir()):
        if not case.name.startswith("lab-") or "--" in case.name:
            continue
        meta = json.loads((case / "meta.json").read_text())
        if meta.get("format") != "console" or len(meta.get("events") or []) != 1:
            continue
        lines = (case / "input.log").read_text(errors="replace").splitlines()
        if all(CONSOLE_LINE.match(line) for line in lines if line.strip()):
            dumps.append((case.name, [line for line in lines if line.strip()]))
    return dumps


def stamp(second: int) -> str:
    return time.strftime("%b %d %H:%M:%S", time.gmtime(1765000000 + second)).replace(" 0", "  ", 1)


def generate(path: Path, size_mb: int, events: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    dumps = lab_dumps()
    target = size_mb * 1024 * 1024
    per_gap = target // (events + 1)
    written = 0
    second = 0
    with open(path, "w", encoding="utf-8") as out:

        def noise_block(size: int) -> None:
            nonlocal written, second
            lines = []
            block_bytes = 0
            while block_bytes < size:
                second += rng.random() < 0.01
                template = rng.choice(NOISE)
                text = template.format(
                    pid=rng.randrange(300, 99999),
                    a=rng.randrange(256),
                    b=rng.randrange(256),
                    port=rng.randrange(1024, 65535),
                    sec=second + 1000,
                    usec=rng.randrange(10**6),
                )
                line = f"{stamp(second)} {rng.choice(HOSTS)} {text}\n"
                lines.append(line)
                block_bytes += len(line)
            out.write("".join(lines))
            written += block_bytes

        for index in range(events):
            noise_block(per_gap)
            _, lines = dumps[index % len(dumps)]
            host = HOSTS[index % len(HOSTS)]
            block = "".join(f"{stamp(second)} {host} kernel: {line}\n" for line in lines)
            out.write(block)
            written += len(block)
        noise_block(max(0, target - written))
    return path.stat().st_size


def timed(
    command: list[str], stdout_path: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, int, int]:
    """Wall time, peak RSS of the child (MB, from wait4) and exit code of one command; its CPU
    time (user + system, workers included) is left in ``timed.cpu`` (on a shared machine the
    wall time also counts the time other programs held the cores)."""
    start = time.perf_counter()
    with open(stdout_path or os.devnull, "wb") as sink:
        # run from the temporary directory: a `python -m bot` wrapper started inside a checkout
        # would import that checkout (the current directory comes first on sys.path)
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    timed.cpu = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
    return elapsed, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def supports_jobs(oomlens: str) -> bool:
    help_text = subprocess.run([oomlens, "analyze", "--help"], capture_output=True, text=True).stdout
    return "--jobs" in help_text


def events_found(name: str, output: Path) -> str:
    """Events the command reported: JSON lines for jsonl, ``total`` of the summary's JSON."""
    try:
        if name.startswith("jsonl"):
            return str(sum(1 for line in output.open() if line.strip()))
        return str(json.loads(output.read_text())["total"])
    except (OSError, ValueError, KeyError):
        return "?"


def output_digest(output: Path) -> str:
    """The output's sha256, the summary's `posted_at` (the time of the run) left out."""
    return hashlib.sha256(re.sub(rb'"posted_at": [0-9.e+]+', b"", output.read_bytes())).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="write the log here and keep it")
    parser.add_argument("--log", type=Path, help="reuse a log written before with --keep (same --size-mb and --events)")
    parser.add_argument("--oomlens", default=str(REPO / ".venv" / "bin" / "oomlens"))
    parser.add_argument(
        "--before",
        metavar="OOMLENS",
        help="another oomlens (e.g. a wrapper running an older checkout) timed in the same rounds, for before/after",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every command this many times, interleaved (grep, jsonl, summary, ...), keeping the least "
        "CPU and wall time of each: on a shared machine the least is the figure least disturbed by others",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="oomlens-bench-"))
    log = (args.keep or workdir / "aggregated.log").resolve()
    try:
        if args.log:
            log = args.log.resolve()
            size = log.stat().st_size
        else:
            size = generate(log, args.size_mb, args.events)
        print(f"log: {size / 2**20:.0f} MB, {args.events} events from {len(lab_dumps())} lab dumps, 8 hosts")
        # grep's output goes to a file: with stdout on /dev/null GNU grep stops at the first match
        runs = [("grep -c", ["grep", "-c", "invoked oom-killer", str(log)])]
        sides = []
        envs: dict[str, dict[str, str]] = {}  # command name -> its environment (grep: this one)
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        small = workdir / "small.log"  # the warm-up's log: its first dump and the noise around it
        with log.open("rb") as source, small.open("wb") as sink:
            sink.write(b"".join(source.readline() for _ in range(20000)))
        for side, (label, oomlens) in enumerate((("", args.oomlens), ("before: ", args.before))):
            if not oomlens:
                continue
            env = dict(
                base,
                PYTHONPYCACHEPREFIX=str(workdir / f"bytecode-{side}"),
                OOMLENS_CACHE_DIR=str(workdir / f"cache-{side}"),
            )
            jsonl = [oomlens, "analyze", "--format", "jsonl", str(log)]
            summary = [oomlens, "summary", "--format", "json", str(log)]
            if supports_jobs(oomlens):
                sides.append(
                    [
                        (f"{label}jsonl --jobs 1", [*jsonl, "--jobs", "1"]),
                        (f"{label}summary --jobs 1", [*summary, "--jobs", "1"]),
                        (f"{label}jsonl --jobs 2", [*jsonl, "--jobs", "2"]),
                        (f"{label}summary --jobs 2", [*summary, "--jobs", "2"]),
                    ]
                )
            else:
                sides.append([(f"{label}jsonl", jsonl), (f"{label}summary", summary)])
            for name, command in sides[-1]:
                envs[name] = env
                timed([str(small) if part == str(log) else part for part in command], env=env)  # warm-up
        # each command of this checkout is followed by the same one of --before
        runs += [run for pair in zip(*sides, strict=False) for run in pair]
        best: dict[str, list[float]] = {}  # name -> [wall, cpu, rss]
        found: dict[str, str] = {}
        codes: dict[str, int] = {}
        digests: dict[str, set[str]] = {}
        load_before = os.getloadavg()
        for _ in range(max(1, args.rounds)):
            for name, command in runs:
                output = workdir / "out.txt"
                seconds, rss, code = timed(command, output, envs.get(name))
                cpu = timed.cpu  # type: ignore[attr-defined]
                previous = best.get(name, [float("inf"), float("inf"), 0])
                best[name] = [min(previous[0], seconds), min(previous[1], cpu), max(previous[2], rss)]
                codes[name] = code
                if name != "grep -c":
                    found[name] = events_found(name.removeprefix("before: "), output)
                    digests.setdefault(name, set()).add(output_digest(output))
        grep_s, grep_cpu, _ = best["grep -c"]
        print(
            f"{'command':<26} {'wall s':>7} {'x grep':>7} {'MB/s':>6} {'CPU s':>6} {'x grep':>7} "
            f"{'peak RSS MB':>12} {'events':>7}"
        )
        for name, _ in runs:
            seconds, cpu, rss = best[name]
            code = codes[name]
            print(
                f"{name:<26} {seconds:7.2f} {seconds / grep_s:7.1f} {size / 2**20 / seconds:6.0f} {cpu:6.2f} "
                f"{cpu / grep_cpu:7.1f} {rss if name != 'grep -c' else '':>12} "
                f"{found.get(name, ''):>7}{'' if code == 0 else f'  exit {code}'}"
            )
        for label in ("", "before: "):
            for kind in ("jsonl", "summary"):
                one, two = best.get(f"{label}{kind} --jobs 1"), best.get(f"{label}{kind} --jobs 2")
                if one and two:
                    same = digests[f"{label}{kind} --jobs 1"] == digests[f"{label}{kind} --jobs 2"]
                    print(
                        f"{label}{kind}: --jobs 2 is {one[0] / two[0]:.2f}x faster than --jobs 1 (wall), "
                        f"CPU {two[1] / one[1]:.2f}x; output {'byte-identical' if same else 'DIFFERS'}"
                    )
        for name, _ in runs:  # a speed change must not change what is written
            if f"before: {name}" in digests:
                same = digests[name] == digests[f"before: {name}"]
                print(f"{name}: output {'byte-identical to' if same else 'DIFFERS from'} --before's")
        print(f"expected events: {args.events}; CPU = user + system of the command and its workers")
        load_after = os.getloadavg()
        print(
            f"load average (1, 5, 15 min) before: {', '.join(f'{x:.2f}' for x in load_before)}; "
            f"after: {', '.join(f'{x:.2f}' for x in load_after)} (on {os.cpu_count()} cores)"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())

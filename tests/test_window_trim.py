"""A window of a big log is analysed without the unrelated lines at its end (grammar.windows
``trimmed``), and which lines those are is decided with grammar.screen's cheap test that a line is
OTHER to both grammars: the analysis must be exactly that of the whole window, and the screen's
answer exactly the grammars'."""

from __future__ import annotations

import dataclasses
import io
import random
from typing import Any

import pytest
from oomcases import corpus_cases, is_held_out, load_case

import grammar.windows
from bot.pipeline import Window, analyze, program_names_workload
from bot.render.jsonl import window_lines
from grammar.context_facts import _terminal_of_line, local_key, read_context
from grammar.lexicon import OTHER, classify
from grammar.normalise import line_content, normalise
from grammar.parse import parse_text
from grammar.screen import (
    _context_other,
    context_screen,
    context_screen_but,
    first_characters,
    is_other,
    oom_and_context_but,
    oom_screen,
    required,
)

CASES = [case for case in corpus_cases() if not is_held_out(case)]

# Messages of other programs and of the kernel on a busy host of a central syslog
# (bench/aggregated_log.py writes the same kinds).
PROGRAMS = [
    "sshd[{pid}]: Accepted publickey for deploy from 10.1.{a}.{b} port {port} ssh2: ED25519 SHA256:Qm9vYmFy",
    "CRON[{pid}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
    "systemd[1]: logrotate.service: Deactivated successfully.",
    'nginx[{pid}]: 10.2.{a}.{b} - - "GET /api/v1/items?page={port} HTTP/1.1" 200 5123 "-" "curl/8.5.0"',
    "postgres[{pid}]: [{port}-1] LOG:  checkpoint complete: wrote {a} buffers (0.{b}%); 0 WAL file(s) added",
    'kubelet[{pid}]: I1206 02:03:56.{port} {pid} kubelet_getters.go:218] "Pod status updated" pod="default/web-{a}"',
    "kernel: [{a}.{port}] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    "kernel: [{a}.{port}] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro. Quota mode: none.",
]


def noise(count: int, rng: random.Random) -> bytes:
    lines = []
    for _ in range(count):
        text = rng.choice(PROGRAMS).format(
            pid=rng.randrange(300, 99999), a=rng.randrange(256), b=rng.randrange(256), port=rng.randrange(1024, 65535)
        )
        lines.append(f"Mar 14 02:03:{rng.randrange(60):02d} node-{rng.randrange(1, 9):02d} {text}\n")
    return "".join(lines).encode()


def untrimmed_windows(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Window]:
    with monkeypatch.context() as patch:
        patch.setattr(grammar.windows, "trimmed", lambda window, may_use=None: window)
        return list(grammar.windows.windows(io.BytesIO(data)))


def read(dump: Any) -> Any:
    """What of a parse the analysis reads: not line_count (the paste's physical lines, read by no
    surface), nor the program tags that name no workload (read by nothing, see
    bot.pipeline.program_names_workload)."""
    context = dump.context
    lines = tuple(
        line
        for line in context.lines
        if line.kind != "program_tag" or program_names_workload(line.values["program"], line.values.get("unit"))
    )
    return dataclasses.replace(dump, line_count=0, context=dataclasses.replace(context, lines=lines))


def same_analysis(window: Window, data: bytes) -> bool:
    whole = read(parse_text(window.data, first_line=window.first_line))
    cut = read(parse_text(data, first_line=window.first_line))
    return whole == cut and window_lines(window) == window_lines(Window(window.first_line, data))


def test_every_case_between_other_programs_lines_is_analysed_as_in_the_whole_window(monkeypatch) -> None:
    rng = random.Random(12)
    windows = cut_windows = 0
    for case in CASES:
        data = noise(30, rng) + load_case(case)[0].rstrip(b"\n") + b"\n" + noise(80, rng)
        for window in untrimmed_windows(data, monkeypatch):
            windows += 1
            kept = grammar.windows.trimmed(window.data, program_names_workload)
            assert window.data.startswith(kept)
            if kept != window.data:
                cut_windows += 1
                assert same_analysis(window, kept), case
    assert cut_windows > windows * 3 // 4  # the trim is taken, not only safe


def test_the_windows_of_a_log_are_trimmed_and_their_lines_are_those_of_the_whole_windows(monkeypatch) -> None:
    rng = random.Random(5)
    seed = load_case("seed-rsync-32bit")[0]
    data = noise(100, rng) + seed + noise(200, rng) + seed.replace(b"Sep 23", b"Sep 24") + noise(100, rng)
    whole = untrimmed_windows(data, monkeypatch)
    cut = list(grammar.windows.windows(io.BytesIO(data), may_use=program_names_workload))
    assert [w.first_line for w in cut] == [w.first_line for w in whole] and len(cut) == 2
    for window, trimmed in zip(whole, cut, strict=True):
        assert trimmed.data.count(b"\n") < window.data.count(b"\n") - 50  # 56 of the 60 quiet lines go
        assert window_lines(trimmed) == window_lines(window)


@pytest.mark.parametrize(
    "line",
    [
        # read by the context grammar (a unit the OOM killer stopped) or by the dump grammar
        "systemd[1]: mysql.service: Failed with result 'oom-kill'.",
        # the first line of a program that names a workload record (knowledge.analysis named_workload)
        "redis-server[3]: # WARNING overcommit_memory is set to 0! Background save may fail",
        "systemd[1]: mysql.service: Main process exited, code=killed, status=9/KILL",
        "kernel: [ 99.1] Modules linked in: nf_tables i40e",
        "kernel: [ 99.1] Out of memory: Killed process 812 (java) total-vm:1kB, anon-rss:1kB, file-rss:0kB",
        # would change how the whole window is decoded, or is no line of its own
        "nginx[3]: GET /a?x=1&amp;y=2",
        "nginx[3]: said `hello`",
        'app[3]: {"message": "x"}',
        "app[3]: printed  [  12.000000] twice",
    ],
)
def test_lines_that_tell_something_are_kept(line: str) -> None:
    rng = random.Random(1)
    window = load_case("seed-rsync-32bit")[0] + noise(5, rng) + f"Sep 23 10:00:00 h {line}\n".encode() + noise(55, rng)
    kept = grammar.windows.trimmed(window, program_names_workload).splitlines()
    # the line stays, and lines after it go
    assert any(k.endswith(line.encode()) for k in kept) and len(kept) < window.count(b"\n")
    assert grammar.windows.trimmed(
        window + b"Sep 23 10:00:01 h app[1]: \xc3\xa9\n", program_names_workload
    ) == window + (b"Sep 23 10:00:01 h app[1]: \xc3\xa9\n")  # not ASCII: not trimmed at all


def test_a_program_tag_goes_only_when_its_first_line_stays_or_no_workload_reads_it() -> None:
    rng = random.Random(4)
    seed = load_case("seed-rsync-32bit")[0]
    tag = b"Sep 23 10:00:00 h redis-server[3]: Background saving started\n"
    tail = noise(20, rng) + tag + noise(30, rng) + tag + noise(10, rng)
    kept = grammar.windows.trimmed(seed + tail, program_names_workload)
    # cut right after its first line (an inert line's reading needs no neighbours): the later one goes
    assert kept.count(tag) == 1 and kept.endswith(tag)
    # its program named before the end: both of its lines in the tail go with the other noise
    kept = grammar.windows.trimmed(seed + tag + tail, program_names_workload)
    assert kept.count(tag) == 1 and len(kept) < len(seed) + len(tag) + 600
    # without a filter every program may be read: the first line of each program in the tail stays
    # (the report names no host: the other hosts' lines count together, ContextFacts.tags_for_hosts)
    kept = grammar.windows.trimmed(seed + tail)
    firsts: dict[object, bytes] = {}
    for line in tail.splitlines(True):
        key = grammar.windows._inert(line)
        if isinstance(key, tuple):
            firsts.setdefault(local_key(key, ()), line)
    assert len(firsts) >= 4 and all(line in kept for line in firsts.values())
    assert len(kept) < len(seed + tail)  # and what follows the last of them still goes


def corpus_texts() -> list[str]:
    texts = []
    for case in CASES:
        for line in normalise(load_case(case)[0].decode("utf-8", "replace")).lines:
            texts.append(line.text)
    return texts


def test_the_screen_gives_the_grammars_answer_on_every_line() -> None:
    texts = corpus_texts()
    assert len(texts) > 10000
    rng = random.Random(3)
    texts += [line_content(raw)[0].strip() for raw in noise(300, rng).decode().splitlines()]
    texts += ["", "é kB min:", "…", "x" * 5000, "Node 0 DMA free:1kB", "[ 1234]  0  1234 35529 1 0 0 0 w"]
    oom, context, but_tag = oom_screen(), context_screen(), context_screen_but("PROGRAM_TAG")
    fused = oom_and_context_but("PROGRAM_TAG")
    shown = 0
    for text in texts:
        assert oom.is_other(text) == (classify(text) == OTHER), text
        assert context.is_other(text) == _context_other(text), text
        token = _terminal_of_line().match(text + "\n") if text else None
        assert but_tag.is_other(text) == (token is None or token.lastgroup in (OTHER, "PROGRAM_TAG")), text
        facts = read_context([type("L", (), {"number": 1, "text": text, "prefix": ""})()]) if text else None
        if not context.is_other(text):
            shown += 1
        elif facts:
            pytest.fail(f"the screen calls a context line OTHER: {text!r}")
        raw = f"Mar 14 02:03:04 h {text}\n".encode("utf-8", "surrogatepass")
        assert is_other(text, raw) == (oom.is_other(text) and context.is_other(text))
        assert fused.is_other(text, raw) == (oom.is_other(text) and but_tag.is_other(text)), text
    assert shown  # (the context grammar's lines are among them)


def test_literals_and_first_characters_are_those_every_match_has() -> None:
    assert required(r"(?P<a>[^\n]*?) invoked oom-killer:[ \t]*x\n") == {" invoked oom-killer:"}
    assert required(r"(Mem-[Ii]nfo|Show Memory|Mem-info):?\n") == {"Mem-", "Show Memory", "Mem-info"}
    assert required(r"(?:foo)?bar|baz") == {"bar", "baz"}
    assert required(r"[a-z]+ \d+\n") in ({" "}, {"\n"})
    assert required(r"(?i:Killed) x") == {" x"}
    assert first_characters(r"[ \t]*\[<\d+") == frozenset(" \t[")
    assert first_characters(r"(?:ab)?c") == frozenset("ac")
    assert first_characters(r"[^\n]*x") is None
    assert first_characters(r"\d+") == frozenset("0123456789")


def test_analyze_of_a_trimmed_window_still_finds_its_event() -> None:
    rng = random.Random(9)
    data = load_case("seed-rsync-32bit")[0] + noise(60, rng)
    kept = grammar.windows.trimmed(data)
    assert len(kept) < len(data)
    assert [e.event.kill for e in analyze(kept).events] == [e.event.kill for e in analyze(data).events]


def test_a_program_tag_of_another_host_does_not_stand_for_this_hosts_first_line() -> None:
    # an event reads only its own host's tags (knowledge.analysis named_workload): the first line of
    # a program on each host stays
    rng = random.Random(6)
    seed = load_case("seed-rsync-32bit")[0].replace(b" [kernel] ", b" db-1 kernel: ")  # the report of db-1
    other = b"Sep 23 10:00:00 db-2 redis-server[3]: Background saving started\n"
    own = b"Sep 23 10:00:01 db-1 redis-server[4]: Background saving started\n"
    kept = grammar.windows.trimmed(
        seed + noise(5, rng) + other + noise(20, rng) + own + noise(40, rng), program_names_workload
    )
    assert other in kept and kept.endswith(own)
    assert [e.host for e in parse_text(kept).events] == ["db-1"]
    # a third host's line, on which no event is, goes once db-2's first line of the program stays
    third = own.replace(b" db-1 ", b" db-3 ")
    kept = grammar.windows.trimmed(seed + other + noise(20, rng) + third + noise(40, rng), program_names_workload)
    assert third not in kept and other in kept


def test_a_lines_verdict_is_read_once_per_text_and_its_host_from_its_own_prefix() -> None:
    # the same message on two hosts: one judgement of the text (grammar.windows._TEXT_VERDICTS), each
    # line's key with its own host, and a text the grammar knows is not inert whatever its prefix
    first = b"Sep 23 10:00:00 db-1 redis-server[4]: Background saving started\n"
    second = b"Sep 23 10:00:07 db-2 redis-server[4]: Background saving started\n"
    assert grammar.windows._inert(first) == ("redis-server", None, "db-1")
    assert "redis-server[4]: Background saving started" in grammar.windows._TEXT_VERDICTS
    assert grammar.windows._inert(second) == ("redis-server", None, "db-2")
    known = b"Sep 23 10:00:00 db-1 kernel: Out of memory: Killed process 812 (java)\n"
    assert grammar.windows._inert(known) is False
    assert grammar.windows._inert(known.replace(b"db-1", b"db-2")) is False

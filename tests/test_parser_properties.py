"""Property tests: whatever is pasted, the parser answers and never raises."""

from __future__ import annotations

import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oomcases import load_case

from bot.pipeline import analyze
from bot.render.jsonl import stream_events

SEED_TEXT = load_case("seed-rsync-32bit")[0].decode() if True else ""
LAB_TEXT = load_case("lab-memcg-v2-deb61-arm64")[0].decode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    report = analyze(data)
    assert report.events or report.message


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_random_text_never_raises(text: str) -> None:
    report = analyze(text)
    assert report.events or report.message


def test_truncation_at_every_line() -> None:
    for text in (SEED_TEXT, LAB_TEXT):
        lines = text.splitlines()
        for cut in range(len(lines) + 1):
            report = analyze("\n".join(lines[:cut]))
            assert report.events or report.message
            for analysed in report.events:
                assert analysed.event.last_line <= cut


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffled_and_duplicated_lines_never_raise(rng: random.Random) -> None:
    lines = LAB_TEXT.splitlines()
    lines = lines + rng.sample(lines, k=min(len(lines), 40))
    rng.shuffle(lines)
    report = analyze("\n".join(lines))
    assert report.events or report.message


def test_large_noise_stream_yields_nothing_and_stays_bounded() -> None:
    noise = b"Mar 14 02:03:56 db-7 sshd[991]: Accepted publickey for root from 10.0.0.1 port 22\n"
    blob = noise * (100 * 1024 * 1024 // len(noise))  # ~100 MB
    assert list(stream_events(io.BytesIO(blob))) == []


def test_stream_finds_events_between_noise_with_file_line_numbers() -> None:
    noise = b"Mar 14 02:03:56 db-7 CRON[1]: (root) CMD (true)\n"
    dump = LAB_TEXT.encode()
    blob = noise * 5000 + dump + noise * 5000 + dump + noise * 10
    events = list(stream_events(io.BytesIO(blob)))
    direct = analyze(dump).events[0].event
    assert [e["first_line"] for e in events] == [
        5000 + direct.first_line,
        10000 + dump.count(b"\n") + direct.first_line,
    ]
    assert {e["kind"] for e in events} == {"memcg-oom"}


PATHOLOGICAL = {
    "zone line with a bad tail": "Normal free:1kB " + "x:1kB " * 20000 + "!",
    "node line with a bad tail": "Node 0 active_anon:1kB " + "x:1kB " * 20000 + "?",
    "counters with a bad tail": "active_anon:1 " + "free:1 " * 20000 + "!",
    "kill line with a bad tail": "Killed process 1 (a) " + "a:1, " * 20000 + "!",
    "endless task row": "[ 1] " + "1 " * 20000 + "!",
    "long comm before invoked": "a" * 100000
    + " invoked oom-killer: gfp_mask=0x1, order=0"
    + ", oom_score_adj=0" * 5000
    + "!",
    "buddy line with a bad tail": "Normal: " + "1*4kB (U) " * 20000 + "= 1kB!",
    "unclosed brackets": "[" * 100000,
    "prefix after prefix": "Mar 14 02:03:56 h kernel: " * 20000 + "x",
    "wrapped fragments": "\n".join(
        ["Mar 14 02:03:56 h kernel: Normal free:1kB min:1kB isolated(anon)", ":0kB x"] * 2000
    ),
}


def test_pathological_lines_are_read_in_bounded_time() -> None:
    """Malformed long lines must not send the regex engine into backtracking (no hang)."""
    for name, text in PATHOLOGICAL.items():
        report = analyze(text)
        assert report.events or report.message, name

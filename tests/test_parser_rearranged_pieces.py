"""Pieces of one OOM report quoted out of the order the kernel printed them are one event
(grammar/parse.py _join_rearranged_fragments). The real input is the fold-3 Passenger case of the
forty-first wave (held back in tests/pending until the eighth session of 2026-12-07, in the corpus
since): Passenger's
author quotes four syslog lines of one kill as indented code, his sentences between them, the kill
line first and the `invoked oom-killer` header last. Around it, the shapes the rule must leave
alone: two reports each with its own header and kill, pieces further apart than one report's
printing, lines without printk stamps, and a reply copying records of a report it quotes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields

REPO = Path(__file__).resolve().parent.parent
PASSENGER = "gh-phusion-passenger-1433"


def _events(text: str | bytes) -> list[dict[str, Any]]:
    return [contract_fields(analysed.event) for analysed in analyze(text).events]


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(PASSENGER)


def test_the_passenger_quotation_is_one_kill_with_the_labelled_facts() -> None:
    data, meta = load_case(PASSENGER)
    (event,) = _events(data)
    (labelled,) = meta["events"]
    assert {key: event.get(key) for key in labelled} == labelled
    (analysed,) = analyze(data).events
    assert (analysed.event.first_line, analysed.event.last_line) == (1, 15)
    assert analysed.event.trigger is not None and analysed.event.trigger.line == 15  # the header, pasted last


# The same four records as bare dmesg lines, in the order Passenger's author quoted them
KILL_SCORE = "[630250.830734] Out of memory: Kill process 16886 (ruby) score 750 or sacrifice child"
TABLE = "[630250.830637] [ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name"
ROW = "[630250.830727] [16886]  1001 16886  1257320   756433    1669        0             0 ruby"
KILLED = "[630250.830790] Killed process 16886 (ruby) total-vm:5029280kB, anon-rss:3025732kB, file-rss:0kB"
HEADER = "[630250.830457] PassengerAgent invoked oom-killer: gfp_mask=0x2084d0, order=0, oom_score_adj=0"


def _one_kill(events: list[dict[str, Any]]) -> None:
    (event,) = events
    assert (event["trigger_comm"], event["gfp_mask"], event["order"]) == ("PassengerAgent", "0x2084d0", 0)
    assert (event["killed_pid"], event["killed_anon_rss_kb"], event["process_table_rows"]) == (16886, 3025732, 1)


@pytest.mark.parametrize(
    "order",
    [
        (KILL_SCORE, TABLE, ROW, KILLED, HEADER),  # the quotation's order, without its sentences
        (HEADER, TABLE, ROW, KILL_SCORE, KILLED),  # the kernel's
        (KILLED, ROW, HEADER, TABLE, KILL_SCORE),
        (TABLE, ROW, HEADER, KILLED, KILL_SCORE),
    ],
)
def test_records_of_one_report_in_any_order_are_one_event(order: tuple[str, ...]) -> None:
    _one_kill(_events("\n".join(order) + "\n"))
    # and with a person's sentences between them, indented as a Markdown code block
    text = "\n\nSee this line:\n\n".join("    " + line for line in order) + "\n"
    _one_kill(_events(text))


def _report(stamp: float, trigger: str, pid: int, comm: str) -> list[str]:
    """A short report of a global OOM kill printed from ``stamp`` on, in the kernel's order."""
    lines = [
        f"{trigger} invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
        "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name",
        f"[{pid:5d}]  1001 {pid:5d}  1257320   756433    1669        0             0 {comm}",
        f"Out of memory: Kill process {pid} ({comm}) score 750 or sacrifice child",
        f"Killed process {pid} ({comm}) total-vm:5029280kB, anon-rss:3025732kB, file-rss:0kB",
    ]
    return [f"[{stamp + 0.0001 * n:13.6f}] {line}" for n, line in enumerate(lines)]


def test_two_reports_pasted_newest_first_stay_two() -> None:
    first, second = _report(100.5, "java", 111, "java"), _report(100.7, "php-fpm", 222, "php-fpm")
    events = _events("\n".join(second) + "\n\nand before it:\n\n" + "\n".join(first) + "\n")
    assert sorted((e["trigger_comm"], e["killed_pid"]) for e in events) == [("java", 111), ("php-fpm", 222)]


def test_pieces_further_apart_than_a_report_stay_apart() -> None:
    # the kill line quoted first, a report printed three seconds earlier below it: another report's
    kill = "[630253.830790] Killed process 16886 (ruby) total-vm:5029280kB, anon-rss:3025732kB, file-rss:0kB"
    events = _events(f"{kill}\n\nand the report:\n\n{HEADER}\n{TABLE}\n{ROW}\n")
    assert len(events) == 2
    # within a second they are one report
    _one_kill(_events(f"{KILLED}\n\nand the rest:\n\n{HEADER}\n{TABLE}\n{ROW}\n{KILL_SCORE}\n"))


def test_lines_without_printk_stamps_are_not_reordered() -> None:
    # a syslog time to the second cannot order lines printed within it: the paste's order stands
    plain = [line.split("] ", 1)[1] for line in (KILLED, HEADER, TABLE, ROW, KILL_SCORE)]
    syslog = [f"Mar 13 13:18:41 newmth kernel: {line}" for line in plain]
    assert len(_events("\n".join(syslog) + "\n")) == 2


def test_a_reply_copying_records_of_the_report_it_quotes_adds_no_event() -> None:
    report = _report(200.0, "java", 111, "java")
    # the reply copies the kill line and the header back, out of order, below the report
    text = "\n".join(report) + "\n\nThe key lines are\n\n" + report[4] + "\n\nand\n\n" + report[0] + "\n"
    (event,) = _events(text)
    assert (event["trigger_comm"], event["killed_pid"]) == ("java", 111)

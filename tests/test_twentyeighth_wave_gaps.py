"""General gaps the twenty-eighth wave showed (issue 13), on real corpus inputs of folds 1-4:

- the kill line of an OpenVZ/Virtuozzo beancounter ('Out of memory in UB N: OOM killed process ...
  vm:, rss:') is a kill line when the person who pasted it masked the beancounter's number
  (`UB XXXX:`), as people mask a host or a container id: the kernel prints a number there, the rest
  of the line is unchanged.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

BHOST = "code-pelican-bhost-mariadb-ubc-phpfpm-ondemand"
OVERPASS = "code-openstreetmap-help-website-35889-overpass-oom"


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in (BHOST, OVERPASS))


def test_a_beancounter_kill_line_with_a_masked_number_is_read() -> None:
    report = analyze(load_case(BHOST)[0])
    assert len(report.events) == 1
    kill = report.events[0].event.kill
    assert (kill.pid, kill.comm, kill.total_vm_kb) == (601, "mysqld", 1212112)


def test_other_masks_and_the_printed_number_read_alike() -> None:
    line = load_case(BHOST)[0].decode().splitlines()[2]
    assert "Out of memory in UB XXXX: " in line
    for ub in ("XXXX", "***", "1234", "<ctid>"):
        kill = analyze((line.replace("UB XXXX:", f"UB {ub}:") + "\n").encode()).events[0].event.kill
        assert (kill.pid, kill.comm, kill.total_vm_kb) == (601, "mysqld", 1212112)
    # the beancounter line of the twentieth wave, its number printed, reads as before
    kill = analyze(load_case(OVERPASS)[0]).events[0].event.kill
    assert (kill.pid, kill.comm, kill.total_vm_kb) == (21091, "update_database", 4228424)


def test_a_space_is_not_taken_for_a_masked_number() -> None:
    # only one token stands where the kernel prints the number: a sentence is not a kill line's start
    line = "Out of memory in UB of my VPS: OOM killed process 601 (mysqld) score 0 vm:1212112kB, rss:84964kB\n"
    report = analyze(line.encode())
    assert all(e.event.kill is None or e.event.kill.comm == "mysqld" for e in report.events)

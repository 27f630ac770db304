"""General gaps the twenty-eighth wave showed (issue 13), on real corpus inputs of folds 1-4:

- the kill line of an OpenVZ/Virtuozzo beancounter ('Out of memory in UB N: OOM killed process ...
  vm:, rss:') is a kill line when the person who pasted it masked the beancounter's number
  (`UB XXXX:`), as people mask a host or a container id: the kernel prints a number there, the rest
  of the line is unchanged;
- the kill message is one printk with its cause first (`Memory cgroup out of memory: Killed process
  ...`, mm/oom_kill.c __oom_kill_process()): a journal or terminal that wrapped it right after the
  cause's colon leaves the cause alone on a line and the kill on the next without a prefix; joined,
  the kill is read as a memory cgroup's, with its sizes even when those are wrapped in turn.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

BHOST = "code-pelican-bhost-mariadb-ubc-phpfpm-ondemand"
SCANNER = "code-wilbtc-insaautomationcorp-security-scanner-memcg-512m"
FLUSHERS = "lore-x86_64-mglru-memcg-v1-dirty-flushers"
OVERPASS = "code-openstreetmap-help-website-35889-overpass-oom"


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in (BHOST, OVERPASS, SCANNER, FLUSHERS))


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


def test_a_kill_message_wrapped_after_its_cause_is_one_memcg_kill() -> None:
    report = analyze(load_case(SCANNER)[0])
    assert len(report.events) == 1
    event = report.events[0].event
    assert event.kind == "memcg-oom"
    kill = event.kill
    assert (kill.pid, kill.comm, kill.anon_rss_kb, kill.file_rss_kb, kill.total_vm_kb) == (
        3749319,
        "python3",
        2090752,
        12348,
        3595020,
    )
    assert report.events[0].findings[0].code == "OOM401"  # the memory cgroup's limit, not one process's growth


def test_the_cause_joined_and_the_sizes_wrapped_in_turn() -> None:
    # a real memcg report whose kill line a mail reader wrapped before its sizes, wrapped after the cause too
    data = load_case(FLUSHERS)[0].decode()
    assert "Memory cgroup out of memory: Killed process 4404 (dd) total-vm:10512kB,\n" in data
    wrapped = data.replace(
        "Memory cgroup out of memory: Killed process", "Memory cgroup out of memory:\nKilled process"
    )
    before, after = (analyze(text.encode()).events[0].event.kill for text in (data, wrapped))
    assert (after.pid, after.comm, after.anon_rss_kb, after.file_rss_kb, after.shmem_rss_kb) == (
        4404,
        "dd",
        1152,
        1824,
        0,
    )
    assert (after.pid, after.anon_rss_kb, after.total_vm_kb) == (before.pid, before.anon_rss_kb, before.total_vm_kb)


def test_a_cause_on_its_own_line_before_other_text_stays_apart() -> None:
    text = "Memory cgroup out of memory:\nthe pod was restarted\n"
    assert not analyze(text.encode()).events

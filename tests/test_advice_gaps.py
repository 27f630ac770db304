"""General gaps behind folds 1-4 misses of tests/test_fix_share.py (issue 13, 2026-12-07 session five),
each on a real corpus input of folds 1-4 (never a fold-0 case):

- a run of kills whose victims held next to nothing, ending in the kernel's 'Out of memory and no
  killable processes' panic, is one incident: its first kill already gets OOM003 (the oom_score_adj
  -1000 steps), not the lowmem or repeated-kill steps of a lone kill line.
- a global kill's per-mille score above 1000 for a task whose row holds next to nothing, with an
  oom_score_adj of 0 or below, cannot come from oom_badness()'s scale on any machine (it would need
  fewer than 4 MB counted): OOM602's scoring defect, whatever release the paste prints or omits,
  with the kernel fix as the first step (3.5-rc1/rc2: 'mm, oom: fix and cleanup oom score
  calculations'). A memory cgroup's kill is not read so: its limit can be tiny.
- key lines of a report quoted above it with their log prefixes, prose, then the full report pasted
  without prefixes, are one event (the quote is not an event of its own that leads the reply).
- an OOM inside swapoff (the trace through *sys_swapoff or try_to_unuse(), a 'Free swap' below zero,
  or swapoff(8) invoking the OOM killer) is OOM227: swapoff reads the area back into RAM, which could
  not hold it (mm/swapfile.c v4.16); its first step is not to run swapoff while the swapped-out
  memory does not fit, and OOM202's 'no swap' reading (Total swap = 0kB) is dropped.
- a program the web server runs per request (a `*.cgi` task, knowledge/workloads.yaml cgi) that holds
  the most memory gets its own lever: how many requests run at once, or a resident server instead of
  per-request CGI.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

ARM_NO_KILLABLE = "lore-310-arm-a15-oom-no-killable-processes-panic"


def _codes(case: str) -> list[list[str]]:
    assert not is_held_out(case)
    return [[finding.code for finding in event.findings] for event in analyze(load_case(case)[0]).events]


def _first_steps(case: str, count: int = 3) -> list[str]:
    assert not is_held_out(case)
    for event in analyze(load_case(case)[0]).events:
        steps = [step for finding in event.findings for step in finding.remediation]
        if steps:
            return steps[:count]
    return []


def test_kills_of_tiny_tasks_that_end_in_no_killable_processes_are_that_incident() -> None:
    # 3.10.37 ARM: 'Killed process 15479 (server) ... anon-rss:68kB', two more kills of 68 kB and
    # 64 kB, then 'Kernel panic - not syncing: Out of memory and no killable processes...' 14 s later
    codes = _codes(ARM_NO_KILLABLE)
    # four events, as the case is labelled: the panic is a later out_of_memory() call's report, not
    # part of the third kill's (read so since 2026-12-07's sixth session; 3 was the parser's old reading)
    assert len(codes) == 4
    assert all(event[0] == "OOM003" for event in codes), codes
    first = _first_steps(ARM_NO_KILLABLE)
    assert "oom_score_adj" in first[0] and "-1000" in first[0]
    report = analyze(load_case(ARM_NO_KILLABLE)[0])
    evidence = {item.name: item for item in report.events[0].findings[0].evidence}
    assert "no killable processes" in str(evidence["panic_reason"].value)
    assert evidence["small_kills"].value == 3


def test_a_kill_that_freed_memory_breaks_the_run() -> None:
    # the same paste with its first victim holding 600 MB: that kill freed memory, so it is not the
    # unkillable incident's (its own findings stay); the two small kills after it still are
    text = load_case(ARM_NO_KILLABLE)[0]
    assert not is_held_out(ARM_NO_KILLABLE)
    bigger = text.replace(
        b"Killed process 15479 (server) total-vm:9984kB, anon-rss:68kB",
        b"Killed process 15479 (server) total-vm:909984kB, anon-rss:614400kB",
    )
    assert bigger != text
    codes = [[f.code for f in event.findings] for event in analyze(bigger).events]
    assert codes[0][0] != "OOM003"
    assert codes[1][0] == "OOM003" and codes[2][0] == "OOM003"


def test_a_kill_long_before_the_panic_is_not_part_of_its_run() -> None:
    # the first kill moved 1000 s earlier: beyond the run's 300 s, so it keeps its own findings
    text = load_case(ARM_NO_KILLABLE)[0]
    earlier = text.replace(b"[59313.549221] Killed process 15479", b"[58313.549221] Killed process 15479")
    assert earlier != text
    codes = [[f.code for f in event.findings] for event in analyze(earlier).events]
    assert codes[0][0] != "OOM003" and codes[1][0] == "OOM003"


DBUS_SCORE = "lore-35rc-oom-badness-adj-overflow-dbus-daemon"


def test_a_tiny_task_scored_far_above_the_per_mille_scale_is_the_scoring_defect() -> None:
    # '[  500]    81   500     5435        1   4     -13          -900 dbus-daemon' and
    # 'Out of memory: Kill process 500 (dbus-daemon) score 511952 or sacrifice child'; no release printed
    codes = _codes(DBUS_SCORE)
    assert codes[0][0] == "OOM602", codes
    first = _first_steps(DBUS_SCORE)[0]
    assert first.startswith("Run a kernel with the fix for this scoring defect")
    assert "mm, oom: fix and cleanup oom score calculations" in first
    report = analyze(load_case(DBUS_SCORE)[0])
    evidence = {item.name: item for item in report.events[0].findings[0].evidence}
    assert evidence["kill_score"].value == 511952
    assert evidence["victim_rss_pages"].value == 1


def test_the_same_score_in_a_memory_cgroup_kill_or_for_a_large_task_is_not_read_so() -> None:
    text = load_case(DBUS_SCORE)[0]
    assert not is_held_out(DBUS_SCORE)
    memcg = text.replace(b"Out of memory: Kill process 500", b"Memory cgroup out of memory: Kill process 500")
    large = text.replace(b"5435        1   4     -13", b"5435   900000   4     -13")
    for changed in (memcg, large):
        assert changed != text
        codes = [[f.code for f in event.findings] for event in analyze(changed).events]
        assert "OOM602" not in codes[0], codes


SWAPOFF = "lore-416rc4-anaconda-swapoff-free-swap-negative"
SWAPOFF_UTILITY = "gh-util-linux-util-linux-3095"


def test_key_lines_quoted_with_prefixes_above_the_bare_report_are_one_event() -> None:
    # '[ 2201.781891] localhost-live kernel: Free swap  = -245804kB' (and Total swap, pages RAM), prose,
    # then the whole report indented, its 'Free swap  = -245804kB' among the rest
    report = analyze(load_case(SWAPOFF)[0])
    assert not is_held_out(SWAPOFF)
    assert len(report.events) == 1
    event = report.events[0].event
    assert event.trigger is not None and event.trigger.comm == "anaconda"
    assert event.free_swap_kb == -245804


def test_an_oom_inside_swapoff_says_not_to_turn_swap_off_while_it_does_not_fit() -> None:
    codes = _codes(SWAPOFF)
    assert codes == [[*codes[0]]] and codes[0][0] == "OOM227", codes
    assert "OOM202" not in codes[0]  # Total swap = 0kB is the area taken off the count, not a swapless machine
    first = _first_steps(SWAPOFF)[0]
    assert first.startswith("Turn swap off only when what is swapped out fits in RAM")
    assert "anaconda calls swapoff" in first
    report = analyze(load_case(SWAPOFF)[0])
    evidence = {item.name: item for item in report.events[0].findings[0].evidence}
    assert evidence["swapoff_frame"].value in ("try_to_unuse", "SyS_swapoff")
    assert evidence["free_swap_kb"].value == -245804
    # the swapoff utility itself invoking the OOM killer, its trace not pasted
    assert _codes(SWAPOFF_UTILITY)[0][0] == "OOM227"
    assert "find why swapoff runs here" in _first_steps(SWAPOFF_UTILITY)[0]


CGI_BURST = "code-kanpapa-kanpapa-com-conoha-apache2nginx"


def test_many_copies_of_a_cgi_program_get_the_per_request_lever() -> None:
    # 19 rows of mt-search.cgi (uid 48, about 23 MB of RSS and swap each) on a 1 GB VPS with swap full
    from knowledge import workloads

    assert workloads.recognise(["mt-search.cgi"]).id == "cgi"
    assert workloads.recognise(["php-cgi"]).id == "php-fpm"  # the PHP binary is not a CGI script
    steps = _first_steps(CGI_BURST)
    lever = next(step for step in steps if "mt-search.cgi" in step)
    assert "resident server instead of per-request CGI" in lever
    assert "MaxRequestWorkers" in lever

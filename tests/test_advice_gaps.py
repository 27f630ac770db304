"""General gaps behind folds 1-4 misses of tests/test_fix_share.py (issue 13, 2026-12-07 session five),
each on a real corpus input of folds 1-4 (never a fold-0 case):

- a run of kills whose victims held next to nothing, ending in the kernel's 'Out of memory and no
  killable processes' panic, is one incident: its first kill already gets OOM003 (the oom_score_adj
  -1000 steps), not the lowmem or repeated-kill steps of a lone kill line.
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
    assert len(codes) == 3
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

"""A general gap the tenth wave showed (issue 13), on a real corpus input of folds 1-4:

a global OOM with nothing left to kill ends in `Kernel panic - not syncing: System is deadlocked on
memory` (mm/oom_kill.c out_of_memory(), after `Out of memory and no killable processes...`). A
paste that starts at that panic, the warning above it not pasted, is still an OOM event: the panic
names the task whose allocation failed (here systemd, pid 1, during boot).
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

DEADLOCK_PANIC = "blog-msazure-vm-hugepages-boot-oom"


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(DEADLOCK_PANIC)


def test_a_deadlocked_on_memory_panic_alone_is_an_oom_event() -> None:
    events = analyze(load_case(DEADLOCK_PANIC)[0]).events
    assert len(events) == 2
    panic = events[1].event
    assert panic.kind == "oom-kill"
    assert panic.trigger is not None
    assert (panic.trigger.comm, panic.trigger.pid) == ("systemd", 1)

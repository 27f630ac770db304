"""A confident answer needs evidence that tells its cause from the others; these are pastes whose
evidence does not, where the finding stays below CONFIDENT (the reply then says what to paste), each
with a control case of the same finding whose evidence does tell and keeps its confidence.

- OOM003: 'no killable processes' without a task table (and from a trigger not at -1000): the
  kernel passes over init, kernel threads, reaped victims and tasks in vfork() as well as
  oom_score_adj -1000 tasks (mm/oom_kill.c oom_badness()), so the message alone does not show
  protection.
- OOM130: a costly request that asked to be retried (__GFP_RETRY_MAYFAIL / __GFP_REPEAT) was
  reclaimed and compacted for until that made no progress, so without buddy lists its failure does
  not show contiguity; nor does a costly failure in a kdump capture kernel, which runs in the
  crashkernel= reservation alone.
- OOM501: a mask printed with no reclaim bits from start_kernel() itself was stripped by
  GFP_BOOT_MASK (mm/internal.h), so it does not show a caller that chose GFP_NOWAIT and copes.

Every case is in folds 1-4 (tests/oomcases.py)."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.confidence import CONFIDENT
from knowledge.kernel_fixes import SITUATIONS, load
from knowledge.model import Finding

EVDEV = "lore-arm-evdev-open-order3-nowarn-oom-panic-kvzalloc"  # panic message, no task table, trigger at -900
NOMAD = "gh-hashicorp-nomad-6672"  # a task table whose one task runs at -1000
VMEMMAP = "lore-x86_64-vmemmap-hotplug-order9-nowarn"  # order 9, GFP_KERNEL|__GFP_REPEAT, no Mem-Info
QED = "lore-418-el8-arm64-qed-kdump-iov-order6"  # order 6 in a kdump kernel (the mail says so), no Mem-Info
NINEP = "lore-9p-fcall-order7-nofs-kvmalloc"  # order 7, GFP_NOFS, no Mem-Info: costly and not retried
PARISC = "lore-63rc4-parisc-fixmap-pte-order0-boot"  # order 0, mode __GFP_ZERO, from start_kernel()
IDLE = "lore-413-fc27-dma-debug-radix-nowait-order0"  # GFP_NOWAIT in an interrupt over the idle loop


def _findings(text: bytes) -> tuple[Finding, ...]:
    return next(e for e in analyze(text).events if e.findings).findings


def _case(case: str) -> tuple[Finding, ...]:
    assert not is_held_out(case)
    return _findings(load_case(case)[0])


def _code(findings: tuple[Finding, ...], code: str) -> Finding:
    return next(f for f in findings if f.code == code)


def test_no_killable_message_without_a_table_is_not_a_confident_protection() -> None:
    findings = _case(EVDEV)
    unkillable = _code(findings, "OOM003")
    assert unkillable.confidence < CONFIDENT
    assert "no task table to show why" in unkillable.explanation
    # the paste's own evidence (the buddy lists of an order-3 request) comes first
    assert findings[0].category == "fragmentation_high_order"


def test_no_killable_with_the_table_or_a_trigger_at_minus_1000_stays_confident() -> None:
    assert _code(_case(NOMAD), "OOM003").confidence >= 0.9
    # the same evdev paste whose trigger runs at -1000 itself shows protection at work
    text = load_case(EVDEV)[0].replace(b"oom_score_adj=-900", b"oom_score_adj=-1000")
    assert text != load_case(EVDEV)[0]
    assert _findings(text)[0].code == "OOM003"
    assert _findings(text)[0].confidence >= 0.9


def test_costly_request_that_asked_to_be_retried_is_not_confident_fragmentation() -> None:
    fragmentation = _code(_case(VMEMMAP), "OOM130")
    assert fragmentation.confidence < CONFIDENT
    assert "asked to be retried" in fragmentation.explanation
    # a costly request that was not retried keeps the costly reading
    assert _code(_case(NINEP), "OOM130").confidence >= CONFIDENT


def test_costly_failure_in_a_kdump_kernel_is_not_confident_fragmentation() -> None:
    fragmentation = _code(_case(QED), "OOM130")
    assert fragmentation.confidence < CONFIDENT
    assert "kdump capture kernel" in fragmentation.explanation
    # the kernel_fixes record that needs a kdump kernel reads the same named situation
    (record,) = [fix for fix in load() if fix.situation is not None]
    assert record.situation is not None and record.situation.pattern == SITUATIONS["kdump-kernel"]


def test_boot_masked_request_is_not_a_nowait_caller_that_copes() -> None:
    findings = _case(PARISC)
    assert all(f.code != "OOM501" for f in findings)
    assert findings[0].confidence < CONFIDENT
    # a GFP_NOWAIT request made in an interrupt over the boot CPU's idle loop (start_kernel ->
    # rest_init -> cpu_startup_entry) is the caller's own choice
    assert _code(_case(IDLE), "OOM501").confidence >= CONFIDENT

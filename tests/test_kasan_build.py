"""A paste from a KASAN build (its instrumentation or runtime in the call trace): a debugging
kernel, run to find kernel bugs, whose shadow memory and quarantine (up to 1/32 of RAM,
mm/kasan/quarantine.c QUARANTINE_FRACTION) make what fails on it the kernel's own. OOM602 is then a
root cause at 0.5, below 60 %. Real input of folds 1-4: Tempesta FW's TLS page leak (fold 1), an
order-2 atomic failure whose trace carries '? __kasan_check_read'; the same lines without that
frame are the control."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.confidence import CONFIDENT

TEMPESTA = "gh-tempesta-tech-tempesta-2132"


def _top(text: str | bytes):  # type: ignore[no-untyped-def]
    return next(e for e in analyze(text).events if e.findings).findings[0]


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(TEMPESTA)


def test_a_kasan_build_puts_the_kernel_side_first_and_unsure() -> None:
    text = load_case(TEMPESTA)[0].decode()
    top = _top(text)
    assert (top.code, top.category, top.role) == ("OOM602", "kernel_bug", "root-cause")
    assert top.confidence < CONFIDENT
    assert "debugging build" in top.explanation and "1/32 of RAM" in top.explanation
    assert any("without KASAN" in step for step in top.remediation)
    # the same lines without KASAN's frame: no debugging build, the high-order reading leads
    plain = "\n".join(line for line in text.splitlines() if "kasan" not in line)
    assert _top(plain).code != "OOM602"

"""OOM121: order-0 atomic failures point at the min-watermark reserve, with advice for the kernel in the dump."""

from __future__ import annotations

from bot.pipeline import analyze

FAILURE = (
    "swapper/{cpu}: page allocation failure: order:0, mode:0x20\n"
    "CPU: {cpu} PID: 0 Comm: swapper/{cpu} Not tainted {release} #1\n"
    "Call Trace:\n"
    " <IRQ>  [<ffffffffaf179262>] dump_stack+0x19/0x1b\n"
    " [<ffffffffaebc23d0>] warn_alloc_failed+0x110/0x180\n"
)


def _top(text: str):  # type: ignore[no-untyped-def]
    analysed = analyze(text).events[0]
    return analysed.findings[0]


def test_repeated_atomic_failures_on_an_old_kernel() -> None:
    text = "".join(FAILURE.format(cpu=cpu, release="3.10.0-1062.el7.x86_64") for cpu in (1, 2, 3))
    top = _top(text)
    assert top.code == "OOM121" and top.category == "watermark_misconfig"
    assert abs(top.confidence - 0.6) < 1e-9  # repeated three times
    assert any("min_free_kbytes" in step for step in top.remediation)
    assert not any("watermark_scale_factor" in step for step in top.remediation)  # 4.6+ only


def test_single_failure_on_a_new_kernel_gets_the_4_6_knob() -> None:
    top = _top(FAILURE.format(cpu=1, release="6.1.0-57-amd64").replace("mode:0x20", "mode:0x820(GFP_ATOMIC)"))
    assert top.code == "OOM121" and abs(top.confidence - 0.5) < 1e-9
    assert any("watermark_scale_factor" in step for step in top.remediation)


def test_a_sleeping_allocation_is_not_an_atomic_reserve_problem() -> None:
    text = FAILURE.format(cpu=1, release="6.1.0-57-amd64").replace("mode:0x20", "mode:0xcc0(GFP_KERNEL)")
    assert all(f.code != "OOM121" for f in analyze(text).events[0].findings)

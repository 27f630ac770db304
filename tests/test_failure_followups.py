"""A single page allocation failure is harmless unless it repeats or errors follow (OOM130's
verdict, knowledge/checks/base.py ``_warning_only``). The forty-sixth wave's Raspberry Pi 5 report
(folds 1-4: tests/oomcases.py) holds one order-3 GFP_ATOMIC failure of rtw88_usb's transmit path
and, right after it, the device's own `rtw_8822bu 4-1:1.0: failed to get tx report from firmware`:
the driver failed after it, so the warning is no harmless one. Each test fails on the tree before
``device_failed_after``."""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import Analysis
from knowledge.checks.base import DEVICE_ERROR, device_failed_after

PI5 = "code-pi5-rtw88-usb-order3-atomic-min-free-kbytes"
HARMLESS = "Treat this single warning as harmless"
DRIVER_LINE = "rtw_8822bu 4-1:1.0: failed to get tx report from firmware"


def _text() -> str:
    assert not is_held_out(PI5)
    return load_case(PI5)[0].decode()


def _steps(text: str) -> list[str]:
    return [step.text for _code, step in analyze(text).events[0].diagnosis.steps]


def _followups(text: str) -> list[str]:
    dump = parse_text(text)
    return [line.text.strip() for line in device_failed_after(Analysis(dump.events[0], dump))]


def test_a_device_error_after_the_failure_makes_it_no_harmless_warning() -> None:
    text = _text()
    assert [line.startswith(DRIVER_LINE) for line in _followups(text)] == [True]
    steps = _steps(text)
    assert not any(step.startswith(HARMLESS) for step in steps), steps[:2]
    # the driver's own remedy leads: update the module in the trace
    assert steps[0].startswith("Fix the code that makes this high-order request: update the rtw88_usb module")
    assert any("vm.min_free_kbytes moderately" in step for step in steps)
    # never a fixed min_free_kbytes figure: the paste shows no RAM size to relate one to
    assert not any(re.search(r"min_free_kbytes\D{0,30}\d{4,}", step) for step in steps)


def test_without_the_device_error_the_single_warning_is_harmless_unless_the_words_say_it_failed() -> None:
    # the same report with the driver's line cut (its Turkish words alone name no failure)
    cut = "\n".join(line for line in _text().splitlines() if DRIVER_LINE not in line) + "\n"
    assert _followups(cut) == []
    assert _steps(cut)[0].startswith(HARMLESS)
    # the person saying the link died after it is the same evidence
    said = cut + "\nAfter that warning the wifi link dies and only a replug brings it back.\n"
    assert _followups(said) == ["After that warning the wifi link dies and only a replug brings it back."]
    assert not _steps(said)[0].startswith(HARMLESS)


def test_device_error_lines_are_dev_printk_lines_that_say_they_failed() -> None:
    for line in (
        "rtw_8822bu 4-1:1.0: failed to get tx report from firmware",
        "[ 1234.5] r8169 0000:02:00.0 eth0: rtl_rxtx_empty_cond == 0 (loop: 42) timed out",
        "iwlagn 0000:10:00.0: Failed to allocate SKB buffer with GFP_ATOMIC. Only 0 free buffers remaining.",
        "kernel: mmc-bcm2835 fe300000.mmcnr: timeout waiting for hardware interrupt.",
    ):
        assert DEVICE_ERROR.search(line), line
    for line in (
        "kworker/u8:7: page allocation failure: order:3, mode:0x60820(GFP_ATOMIC|__GFP_COMP)",
        "usb 1-1.3: new high-speed USB device number 4 using xhci_hcd",
        "r8169 0000:02:00.0 eth0: Link is Up - 1Gbps/Full - flow control off",
    ):
        assert not DEVICE_ERROR.search(line), line

"""General gaps the thirty-ninth wave showed (issue 13), on real corpus inputs of folds 1-4.

1. Android's logcat prints the writer's UID before the PID when asked to (`logcat -v uid`): in the
   threadtime format its colon becomes a blank, `06-03 13:29:12.999 1010315 31557 31557 W Binder  : `
   (AOSP platform/system/core liblog/logprint.cpp, android_log_formatLogLine, a number or a name of at
   most five letters). grammar/prefixes.lark's LOGCAT took only PID and TID, so the prefix stayed on
   every line: the failure header's task name kept it and no trace line was read.
2. 32-bit ARM's unwinder with CONFIG_KALLSYMS prints `[<%08lx>] (%ps) from [<%08lx>] (%pS)`
   (arch/arm/kernel/traps.c dump_backtrace_entry); pasted with the bracketed addresses removed,
   `(show_stack) from (dump_stack+0x94/0xa8)` matched no trace-line form of grammar/oom.lark, so the
   report had no trace and no architecture.
3. OOM609 (a vmalloc told not to retry gave up) read only the pre-5.13 wording, `vmalloc: allocation
   failure, allocated X of Y bytes`. From 5.13 __vmalloc_area_node() (mm/vmalloc.c) prints `vmalloc error:
   size X, page order N, failed to allocate pages`, the page order dropped in 2023, X being the bytes
   backed before the failure (area->nr_pages * PAGE_SIZE); the request's size is not printed.
"""

from __future__ import annotations

import pytest
from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text

LOGCAT_UID = "lore-selinux-avc-gfp-nowait-android-logcat-nowarn"  # SELinux AVC GFP_NOWAIT, logcat -v uid
ARM_UNWIND = "lore-arm-evdev-open-order3-nowarn-oom-panic-kvzalloc"  # evdev order-3 OOM panic, 32-bit ARM
ZONE_REPORT = "lore-scsi-sd-zbc-report-zones-vmalloc-size0-kvzalloc"  # sd_zbc's __vmalloc(__GFP_NORETRY)


@pytest.mark.parametrize("case", [LOGCAT_UID, ARM_UNWIND, ZONE_REPORT])
def test_the_cases_are_not_held_out(case: str) -> None:
    assert not is_held_out(case)


def _text(case: str) -> str:
    return load_case(case)[0].decode("utf-8")


def test_logcat_lines_with_a_uid_column_lose_their_prefix() -> None:
    event = parse_text(_text(LOGCAT_UID)).events[0]
    assert event.trigger is not None and event.trigger.comm == "31542_2"
    assert event.trigger.gfp_mask == "0x800" and event.trigger.order == 0
    assert event.trigger.pid is None  # the CPU/PID line was cut; 31557 is logcat's column, not the kernel's
    assert "avc_alloc_node" in event.call_trace and "__arm64_sys_ioctl" in event.call_trace
    assert event.arch == "arm64"


def test_a_uid_name_and_no_uid_column_read_the_same() -> None:
    text = _text(LOGCAT_UID)
    # a UID logcat can name in five letters or less (`%5s`), and plain threadtime without the column
    for replaced in (
        text.replace(" 1010315 31557 31557 W ", "  root 31557 31557 W "),
        text.replace(" 1010315 31557 31557 W ", " 31557 31557 W "),
    ):
        event = parse_text(replaced).events[0]
        assert event.trigger is not None and event.trigger.comm == "31542_2"
        assert event.arch == "arm64"


def test_arm_unwinder_lines_without_addresses_are_a_trace() -> None:
    event = parse_text(_text(ARM_UNWIND)).events[0]
    assert event.trigger is not None and event.trigger.comm == "InputReader" and event.trigger.order == 3
    assert "evdev_open" in event.call_trace and "out_of_memory" in event.call_trace
    assert event.arch == "arm"


def test_prose_with_parentheses_and_from_is_no_frame() -> None:
    # the form needs a symbol with offset/length in the second parentheses
    text = _text(ARM_UNWIND).replace(
        "> (evdev_open) from (chrdev_open+0x100/0x204)\n",
        "> (evdev_open) from (chrdev_open+0x100/0x204)\n> (see the patch) from (the list)\n",
    )
    event = parse_text(text).events[0]
    assert "see the patch" not in " ".join(event.call_trace)


def _noretry(text: str) -> list:
    return [f for f in analyze(text).events[0].findings if f.code == "OOM609"]


def test_the_newer_vmalloc_wording_with_noretry_is_the_callers_flags() -> None:
    text = _text(ZONE_REPORT)
    (finding,) = _noretry(text)
    assert finding.category == "kernel_bug"
    evidence = {e.name: e.value for e in finding.evidence}
    assert evidence["backed_kb"] == 0 and "request_kb" not in evidence
    assert evidence["task"] == "kworker/u17:5"
    assert "vmalloc failed after 0" in finding.explanation and "vmalloc of" not in finding.explanation
    # 5.13-6.4 print the page order too
    assert _noretry(text.replace("size 0, failed", "size 8192, page order 0, failed"))
    # without __GFP_NORETRY the request was allowed to reclaim and retry: not this finding
    plain = text.replace(
        "mode:0x10dc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_NORETRY|__GFP_ZERO)",
        "mode:0xdc2(GFP_KERNEL|__GFP_HIGHMEM|__GFP_ZERO)",
    )
    assert not _noretry(plain)
    # the address-range failure is another message (`vm_struct allocation failed`): not a partial backing
    assert not _noretry(text.replace("size 0, failed to allocate pages", "size 16384, vm_struct allocation failed"))

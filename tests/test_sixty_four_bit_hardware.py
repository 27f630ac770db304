"""No 64-bit-kernel step where the paste names a CPU without a 64-bit mode (issue 13).

A 32-bit kernel's lowmem and vmalloc limits go away with a 64-bit kernel only on a CPU that can
run one. The paste names the CPU in its `Hardware name:` line, the kernel release, a Raspberry
Pi's model or the person's words (knowledge/hardware.py, with its sources: arch/arm/include/asm/
cputype.h and arch/arm64/include/asm/cputype.h for the ARM parts, arch/arm/mach-mvebu/Kconfig,
arch/powerpc/kernel/cputable.c, arch/x86/include/asm/required-features.h NEED_LM).
"""

from __future__ import annotations

import pytest
from oomcases import is_held_out, load_case
from test_steps_consistency import SIXTY_FOUR, violations

from bot.pipeline import analyze
from knowledge.diagnose import evaluate
from knowledge.hardware import thirty_two_bit_only_cpu

CASES = (
    "lore-310-arm-a15-oom-no-killable-processes-panic",  # "an ARM-A15 board" in the question
    "lore-515-ppc32-module-alloc-first-try-vmalloc-noise",  # 5.15.5-gentoo-PowerMacG4
    "gh-vel21ripn-ndpi-49",  # Hardware name: Marvell Armada 380/385 (Device Tree)
    "gh-archlinuxarm-pkgbuilds-1308",  # Hardware name: Freescale MXS (Device Tree)
    "lore-260-i686-e1000-tso-order3-flood",  # "AMD Duron 1,3GHz CPU" in the report's words
    "gh-raspberrypi-linux-5297",  # Hardware name: BCM2711 (a Pi 4: 64-bit capable)
    "lore-2014-arm-cma-lowmem-order2",  # 32-bit ARM, no CPU named
)


def _steps(case: str) -> list[str]:
    report = analyze(load_case(case)[0])
    return [s for event in report.events for f in event.findings for s in f.remediation]


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in CASES)


@pytest.mark.parametrize(
    ("case", "cpu"),
    [
        ("lore-310-arm-a15-oom-no-killable-processes-panic", "Cortex-A15"),
        ("lore-515-ppc32-module-alloc-first-try-vmalloc-noise", "PowerPC G4"),
        ("gh-vel21ripn-ndpi-49", "Marvell Armada 380"),
        ("gh-archlinuxarm-pkgbuilds-1308", "Freescale MXS (i.MX23/i.MX28)"),
        ("lore-260-i686-e1000-tso-order3-flood", "Duron"),
    ],
)
def test_a_named_32_bit_only_cpu_gets_no_64_bit_kernel_step(case: str, cpu: str) -> None:
    report = analyze(load_case(case)[0])
    assert evaluate(report.events[0].event, report.dump).analysis.thirty_two_bit_cpu == cpu
    assert not [s for s in _steps(case) if SIXTY_FOUR.search(s)]
    assert violations(load_case(case)[0]) == []


def test_the_lowmem_finding_says_the_split_stays_and_names_the_2g_split() -> None:
    # 3.10.37 on a Cortex-A15 board: the lowmem finding's first step was "boot a 64-bit kernel". (Since the
    # kills that end in 'no killable processes' are read as that incident, OOM003's oom_score_adj step
    # comes first; the first step that speaks of a 64-bit mode is still this one.)
    first = next(s for s in _steps("lore-310-arm-a15-oom-no-killable-processes-panic") if "64-bit" in s)
    assert first.startswith("The paste names a Cortex-A15, a CPU without a 64-bit mode")
    assert "CONFIG_VMSPLIT_2G" in first
    # the ARM-only weaker VMSPLIT step is not said twice
    assert not any(
        s.startswith("Weaker option: On 32-bit ARM with a vmsplit option")
        for s in _steps("lore-310-arm-a15-oom-no-killable-processes-panic")
    )
    duron = [s for s in _steps("lore-260-i686-e1000-tso-order3-flood") if "Duron" in s]
    assert duron and "CONFIG_VMSPLIT_2G" in duron[0]


def test_a_64_bit_capable_board_and_an_unnamed_arm_cpu_keep_the_step_with_how_to_tell() -> None:
    # a Raspberry Pi 4 (BCM2711, Cortex-A72) on a 32-bit kernel: the 64-bit kernel is the fix
    pi4 = [s for s in _steps("gh-raspberrypi-linux-5297") if SIXTY_FOUR.search(s)]
    assert pi4
    # 32-bit ARM without a CPU name: the step says how /proc/cpuinfo tells
    arm = next(s for s in _steps("lore-2014-arm-cma-lowmem-order2") if s.startswith("Install and boot a 64-bit"))
    assert "CPU part of 0xd03 or higher" in arm and "0xc05-0xc0f (Cortex-A5 to A17)" in arm
    # an x86 kernel gets no ARM wording
    x86 = next(s for s in _steps("lab-lowmem-sockleak-deb61-686pae") if s.startswith("Install and boot a 64-bit"))
    assert "CPU part" not in x86


def test_the_same_dump_naming_a_64_bit_capable_core_keeps_the_64_bit_step() -> None:
    text = load_case("lore-310-arm-a15-oom-no-killable-processes-panic")[0].decode()
    text = text.replace("ARM-A15 board", "ARM Cortex-A53 board running a 32-bit kernel")
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    # (OOM003's oom_score_adj steps lead since the kills that end in 'no killable processes' are read as
    # that incident; the lowmem finding's first step is the 64-bit kernel again)
    assert SIXTY_FOUR.search(next(s for s in steps if "64-bit" in s)) and "Cortex-A15" not in " ".join(steps)


@pytest.mark.parametrize(
    ("text", "cpu"),
    [
        ("Intel(R) Core(TM) Duo CPU T2400 @ 1.83GHz", "Core Duo"),
        ("Intel(R) Core(TM)2 Duo CPU T7300 @ 2.00GHz", None),
        ("model name : Intel(R) Atom(TM) CPU N270 @ 1.60GHz", "Atom N270"),
        ("model name : Intel(R) Atom(TM) CPU N450 @ 1.66GHz", None),
        ("Intel(R) Pentium(R) M processor 1.73GHz", "Pentium M"),
        ("Intel(R) Pentium(R) 4 CPU 3.00GHz", None),
        ("model name : ARMv7 Processor rev 4 (v7l)", None),  # an ARMv8 core under a 32-bit kernel says so too
        ("Freescale i.MX6 Quad/DualLite (Device Tree)", "i.MX6"),
        ("NXP i.MX8MQ EVK", None),
        ("Raspberry Pi Model B Plus Rev 1.2", "Raspberry Pi (ARM1176)"),
        ("Raspberry Pi 3 Model B Rev 1.2", None),
        ("BCM2835", None),  # the downstream Pi kernels print it for the 64-bit capable Pi 3 too
        ("Marvell Armada 3700", None),
        ("a Cortex-A9 board, same as the Cortex-A53 one", None),
    ],
)
def test_cpu_names(text: str, cpu: str | None) -> None:
    assert thirty_two_bit_only_cpu([text]) == cpu

"""Whether the machine's CPU can run a 64-bit kernel, from what the paste names.

"Boot a 64-bit kernel" is the fix for a 32-bit kernel's lowmem and vmalloc limits only on a CPU
that has a 64-bit mode. A paste says which CPU it ran on in a few places: the `Hardware name:`
line (dump_stack_print_info(): the DMI system on x86, the machine or device-tree model on ARM and
powerpc), the kernel release a person built for their board (`5.15.5-gentoo-PowerMacG4`), the
model a Raspberry Pi's device tree names, and the person's own words ("an ARM-A15 board").

Only names that settle it are read. A 32-bit-only CPU:

- ARM cores of the 32-bit architectures: ARM9/ARM10/ARM11, XScale, StrongARM, Feroceon and the
  ARMv7-A Cortex-A5/A7/A8/A9/A12/A15/A17 (arch/arm/include/asm/cputype.h v4.4-v6.18: parts
  0xC05-0xC0F; arch/arm64/include/asm/cputype.h v3.7-v6.18 lists only ARMv8 parts from 0xD03,
  Cortex-A53, up), and the ARMv8 Cortex-A32, which has no AArch64 state (ARM Trusted Firmware
  keeps cortex_a5/a7/a9/a12/a15/a17/a32 under include/lib/cpus/aarch32 only, while A53/A57/A72
  are under aarch32 and aarch64). "ARMv7 Processor" alone settles nothing: an ARMv8 core running
  a 32-bit kernel reports itself as one.
- The SoC families whose 32-bit machine descriptions cover only such cores, as `Hardware name:`
  prints them: Marvell Armada 370/XP (PJ4B), 375/380/385/39x (Cortex-A9), Dove (PJ4), Kirkwood
  and Orion (Feroceon) (arch/arm/mach-mvebu/Kconfig v3.17-v6.18, board-v7.c; the Armada
  3700/7K/8K are arm64-only), "Freescale MXS" (i.MX23/i.MX28, ARM926EJ-S: arch/arm/mach-mxs),
  NXP i.MX5x/6/7 (Cortex-A8/A9/A7; arch/arm/mach-imx v6.1; the i.MX8 parts are arm64-only) and
  the Raspberry Pi models with the ARM1176 (Model B, B Plus, Zero, Zero W; the Zero 2, 3, 4 and
  5 have 64-bit Cortex-A53/A72/A76 cores).
- PowerPC G3/G4 (the 750 and 74xx: arch/powerpc/kernel/cputable.c v5.15, the 32-bit book3s
  entries whose PMC type is PPC_PMC_G4; cpu_specs_book3s_32.h since v6.1); the 64-bit PowerMacs
  are the G5 (970, cpu_specs_book3s_64.h).
- x86 CPUs without long mode (a 64-bit kernel requires it: arch/x86/include/asm/required-
  features.h NEED_LM under CONFIG_X86_64, v2.6.x-v6.18): Pentium Pro/II/III/MMX, Pentium M, Core
  Solo/Duo (Yonah), the first Atoms (N270, N280, Z5xx), AMD Geode, VIA C3/C7, Athlon XP/MP,
  Duron, K6, Intel Quark.

A 64-bit-capable name anywhere (Cortex-A35/A53/A55/A57/A72..., a Pi 3/4/5/Zero 2, a G5, aarch64)
makes the answer unknown rather than no: a paste may name several machines. (A Raspberry Pi
kernel release ending -v7l+ is the BCM2711 build of a Pi 4, -v8 the 64-bit one.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

THIRTY_TWO_BIT_ONLY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:ARM[- ]?|Cortex[- ]?)A(5|7|8|9|12|15|17|32)\b(?![.\d])", re.I), "Cortex-A{0}"),
    (re.compile(r"\bARM(9\d\d|10\d\d|11\d\d)\w*", re.I), "ARM{0}"),
    (re.compile(r"\bARM11\b"), "ARM11"),
    (re.compile(r"\b(XScale|StrongARM|Feroceon)\b", re.I), "{0}"),
    (re.compile(r"\bi\.?MX ?(5[0-3]|6|7)(?:[A-Z]{0,4}\d?)?\b", re.I), "i.MX{0}"),
    (re.compile(r"\bRaspberry Pi (?:Model B(?: Plus)?|Zero(?: W)?) Rev\b"), "Raspberry Pi (ARM1176)"),
    (re.compile(r"\bMarvell (Armada (?:370|375|38[05x]|39x|XP)|Dove|Kirkwood|Orion)\b"), "Marvell {0}"),
    (re.compile(r"\bFreescale (MXS)\b"), "Freescale {0} (i.MX23/i.MX28)"),
    (re.compile(r"\b(?:Power ?Mac|PowerBook|iBook|eMac|iMac|Mac ?mini|PowerPC)[ -]?(G[34])\b", re.I), "PowerPC {0}"),
    (re.compile(r"\b(?:MPC|PPC) ?(74[0-5]\d|750)\b"), "PowerPC {0}"),
    (re.compile(r"\bPentium(?:\(R\))? ?(M|III|II|Pro|MMX)\b"), "Pentium {0}"),
    (re.compile(r"\bCore(?:\(TM\))? (Solo|Duo)\b"), "Core {0}"),
    (re.compile(r"\bAtom(?:\(TM\))?(?: CPU)? (N2[78]0|Z5\d\d)\b"), "Atom {0}"),
    (re.compile(r"\b(Geode)\b"), "AMD {0}"),
    (re.compile(r"\bVIA (C3|C7|Esther|Nehemiah|Samuel|Ezra)\b"), "VIA {0}"),
    (re.compile(r"\bAthlon(?:\(tm\))? (XP|MP)\b", re.I), "Athlon {0}"),
    (re.compile(r"\b(Duron|AMD-K6)\b"), "{0}"),
    (re.compile(r"\bIntel(?:\(R\))? (Quark)\b"), "Intel {0}"),
)
SIXTY_FOUR_BIT_CAPABLE = re.compile(
    r"\b(?:ARM[- ]?|Cortex[- ]?)(?:A3[45]|A5[3579]|A6[05]|A7[2-8]|A[5-7]\d\d|X\d)\b"
    r"|\bRaspberry Pi (?:[345]|400|500|Zero 2)\b|\bBCM27(?:10|11|12)\b|\bBCM2837\b"
    r"|\b(?:aarch64|arm64|x86[_-]64|amd64|AMD64|EM64T|Intel 64|ppc64|PPC970|PowerPC 970|G5)\b"
    r"|\bi\.?MX ?[89]|-v7l\+|-v8\+?$",
    re.I,
)


def cpu_mode(texts: Iterable[str]) -> tuple[bool | None, str | None]:
    """(False, name) when the texts name a 32-bit-only CPU and no 64-bit-capable one, (True, name)
    when they name a 64-bit-capable CPU, else (None, None)."""
    return combined_mode(scan(texts))


def scan(texts: Iterable[str]) -> tuple[str | None, str | None]:
    """(the first 64-bit-capable CPU name of the texts, the first 32-bit-only one named before it):
    what ``cpu_mode`` reads of them, so that texts shared by several calls (a paste's own words,
    read for each of its events) are read once and their scan joined to the others'."""
    found = None
    for text in texts:
        if not text:
            continue
        capable = SIXTY_FOUR_BIT_CAPABLE.search(text)
        if capable:
            return capable.group(0), found
        if found is None:
            for pattern, label in THIRTY_TWO_BIT_ONLY:
                match = pattern.search(text)
                if match:
                    found = label.format(*(match.groups() or ("",)))
                    break
    return None, found


def combined_mode(*scans: tuple[str | None, str | None]) -> tuple[bool | None, str | None]:
    """``cpu_mode`` of texts in order, from the ``scan`` of each run of them."""
    found = None
    for capable, named in scans:
        if capable is not None:
            return True, capable
        if found is None:
            found = named
    return (False, found) if found else (None, None)


def thirty_two_bit_only_cpu(texts: Iterable[str]) -> str | None:
    """The 32-bit-only CPU the texts name, when they name one and no 64-bit-capable CPU."""
    mode, name = cpu_mode(texts)
    return name if mode is False else None

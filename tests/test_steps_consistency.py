"""No step among the first three contradicts the paste's evidence, over the whole corpus (issue 13).

Rules: 64-bit-kernel advice only on 32-bit kernels of a port that has a 64-bit sibling (not m68k,
SuperH, xtensa), and in no step at all where the paste names a CPU without a 64-bit mode
(knowledge/hardware.py: Cortex-A5 to A17, a PowerPC G4, a Pentium M, ...); raising watermarks (min_free_kbytes,
watermark_scale_factor) only when they are not already inflated and never for a GFP_NOWAIT
failure (allowed to fail; no reserve access since 4.4, mm/page_alloc.c gfp_to_alloc_flags());
capping only a process that is not the kill's intended survivor (a hypervisor's guest VM: no
"Cap it" for it, and no limit-setting step of any finding among the first three when it is the
hog or the task killed);
the multi-gen LRU's min_ttl_ms only on kernels shown to be 6.1 or later (CONFIG_LRU_GEN merged in
6.1); lowering vm.min_free_kbytes only when the watermarks show it inflated; the refused-SysRq
('OOM request ignored') step only when the paste has that line.
"""

from __future__ import annotations

import re

import pytest
from oomcases import corpus_cases, load_case
from test_advice_safety import LIMIT_STEP

from bot.pipeline import analyze
from knowledge.analysis import HYPERVISOR_PROCESS
from knowledge.diagnose import evaluate

SIXTY_FOUR = re.compile(
    r"(install|boot|run|use|move to|switch to)[^.]*\b64-bit (\(|x86_64|amd64|arm64|kernel|os)", re.I
)
RAISE_WATERMARK = re.compile(
    r"^(Weaker option: )?Raise vm\.(min_free_kbytes|watermark_scale_factor)"
    r"|raise vm\.watermark_scale_factor|^Raise vm\.min_free_kbytes",
    re.I,
)
NO_64BIT_SIBLING = re.compile(r"^(m68k|sh\d*|xtensa|microblaze|nios2|openrisc|arc|csky)", re.I)
CAP = re.compile(r"^(Weaker option: )?Cap it\b", re.I)
MGLRU = re.compile(r"lru_gen/min_ttl_ms")
LOWER_MIN_FREE = re.compile(r"^(Weaker option: )?Lower vm\.min_free_kbytes", re.I)
SYSRQ_REFUSED = re.compile(r"OOM request ignored")
# a sentence of a step that raises a watermark setting wherever in the step it stands ("..., or
# raise vm.min_free_kbytes modestly", "Keep more free memory in larger blocks: raise ..."), not
# one that says not to ("Do not raise vm.min_free_kbytes")
_SENTENCE = re.compile(r"(?<=[.;:])\s+(?=[A-Z(])|;\s+")
_RAISES = re.compile(
    r"\b(?:raise|raising|increase|increasing)\b(?:(?!\b(?:not|never)\b)[^;])*?\bvm\.(?:min_free_kbytes|watermark_scale_factor)",
    re.I,
)
_NEGATED = re.compile(r"\b(?:do not|don't|never|not)\b[^;]*$", re.I)


def raises_watermarks(step: str) -> bool:
    if RAISE_WATERMARK.search(step):
        return True
    for sentence in _SENTENCE.split(step):
        match = _RAISES.search(sentence)
        if match and not _NEGATED.search(sentence[: match.start()]):
            return True
    return False


def _nowait(gfp) -> bool:  # type: ignore[no-untyped-def]
    if gfp is None or gfp.may_reclaim is not False:
        return False
    names = set(gfp.flag_names)
    return not names & {"__GFP_HIGH", "__GFP_ATOMIC", "__GFP_MEMALLOC"}


def violations(text: bytes | str) -> list[str]:
    report = analyze(text)
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    out = []
    for event in report.events:
        analysis = evaluate(event.event, report.dump).analysis
        every = [s for f in event.findings for s in f.remediation]
        steps = every[:3]
        # any step, not only the first three: no 64-bit kernel for a CPU that has no 64-bit mode
        cpu32 = analysis.thirty_two_bit_cpu if analysis.is_32bit else None
        if cpu32 and any(SIXTY_FOUR.search(step) for step in every):
            out.append(f"64-bit advice on a 32-bit-only CPU ({cpu32})")
        # nor a raise of watermarks already far above the kernel's own value, in any step
        if analysis.min_free_kbytes_inflated and any(raises_watermarks(step) for step in every):
            out.append("raises inflated watermarks in a later step")
        # the guest VM a hypervisor host runs for (the hog, or the task killed) gets no limit
        # among the first three, whichever finding's step sets it
        hog = next((f for f in event.findings if f.code == "OOM201"), None)
        hog_name = next((e.value for e in hog.evidence if e.name == "hog"), None) if hog else None
        guests = [n for n in (hog_name, analysis.victim_name) if n and HYPERVISOR_PROCESS.match(str(n))]
        if guests and analysis.environment.hypervisor_host:
            out += [f"sets a limit on the host of guest VM {guests[0]}: {s[:80]}" for s in steps if LIMIT_STEP.match(s)]
        for step in steps:
            if SIXTY_FOUR.search(step) and analysis.is_32bit is not True:
                out.append(f"64-bit advice on a kernel not shown to be 32-bit: {step[:80]}")
            if SIXTY_FOUR.search(step) and analysis.arch and NO_64BIT_SIBLING.match(analysis.arch):
                out.append(f"64-bit advice on a port without a 64-bit kernel ({analysis.arch}): {step[:80]}")
            if raises_watermarks(step):
                if analysis.min_free_kbytes_inflated:
                    out.append(f"raises inflated watermarks: {step[:80]}")
                if event.event.kind == "page-allocation-failure" and _nowait(event.gfp):
                    out.append(f"watermark tuning for a GFP_NOWAIT failure: {step[:80]}")
            if MGLRU.search(step) and (analysis.version is None or analysis.version[:2] < (6, 1)):
                out.append(f"multi-gen LRU advice on a kernel not shown to be 6.1+: {step[:80]}")
            if LOWER_MIN_FREE.search(step) and not analysis.min_free_kbytes_inflated:
                out.append(f"lowers min_free_kbytes that is not shown inflated: {step[:80]}")
            if SYSRQ_REFUSED.search(step) and "OOM request ignored" not in raw:
                out.append(f"refused-SysRq advice without the line: {step[:80]}")
            if CAP.search(step):
                hog = next((f for f in event.findings if f.code == "OOM201"), None)
                name = next((e.value for e in hog.evidence if e.name == "hog"), None) if hog else None
                if name and HYPERVISOR_PROCESS.match(str(name)) and analysis.environment.hypervisor_host:
                    out.append(f"caps the guest VM {name}: {step[:80]}")
    return out


@pytest.mark.parametrize("case", corpus_cases())
def test_first_three_steps_never_contradict_the_paste(case: str) -> None:
    assert violations(load_case(case)[0]) == []


ATOMIC = (
    "kworker/u8:2: page allocation failure: order:0, mode:{mode}, nodemask=(null)\n"
    "CPU: 1 PID: 311 Comm: kworker/u8:2 Not tainted 6.1.0-57-amd64 #1\n"
    "Call Trace:\n dump_stack_lvl+0x44/0x5c\n warn_alloc+0x137/0x160\n"
)


def test_a_gfp_nowait_warning_gets_no_watermark_tuning() -> None:
    # 6.1: GFP_NOWAIT = __GFP_KSWAPD_RECLAIM (0x800); no __GFP_HIGH, so no reserve below min
    findings = analyze(ATOMIC.format(mode="0x800(GFP_NOWAIT)")).events[0].findings
    oom121 = next(f for f in findings if f.code == "OOM121")
    assert oom121.role == "context"
    assert oom121.remediation[0].startswith("Treat this single warning as harmless")
    assert "without __GFP_HIGH" in oom121.remediation[0]
    assert not any(RAISE_WATERMARK.search(s) for f in findings for s in f.remediation)
    assert violations(ATOMIC.format(mode="0x800(GFP_NOWAIT)")) == []
    # GFP_ATOMIC (__GFP_HIGH) does dip into the reserve: raising it stays on offer
    atomic = analyze(ATOMIC.format(mode="0x820(GFP_ATOMIC)")).events[0].findings
    assert any(RAISE_WATERMARK.search(s) for f in atomic for s in f.remediation)


def test_the_guest_vm_a_hypervisor_exists_for_is_not_capped() -> None:
    # the process-hog dump with its hog renamed to a QEMU guest: the host is a hypervisor
    text = load_case("lab-process-hog-deb612-amd64")[0].decode().replace("memhog", "qemu-system-x86")
    findings = analyze(text).events[0].findings
    oom201 = next(f for f in findings if f.code == "OOM201")
    assert not any(CAP.search(s) for s in oom201.remediation)
    assert any(s.startswith("Leave qemu-system-x86 uncapped") for s in oom201.remediation)
    assert violations(text) == []


def test_a_single_allocation_failure_warning_is_called_harmless_and_a_recurring_one_is_not() -> None:
    once = analyze(ATOMIC.format(mode="0xa20(GFP_ATOMIC)")).events[0].findings
    oom121 = next(f for f in once if f.code == "OOM121")
    assert oom121.remediation[0].startswith("Treat this single warning as harmless")
    assert "nothing was killed" in oom121.remediation[0]
    thrice = analyze(ATOMIC.format(mode="0xa20(GFP_ATOMIC)") * 3).events[0].findings
    assert not any("harmless" in s for f in thrice for s in f.remediation)
    # a costly-order warning (fragmentation finding) gets the same first step
    costly = analyze(ATOMIC.format(mode="0xcc0(GFP_KERNEL)").replace("order:0", "order:5")).events[0].findings
    oom130 = next(f for f in costly if f.code == "OOM130")
    assert oom130.remediation[0].startswith("Treat this single warning as harmless")


def test_a_tiny_32_bit_machine_without_a_64_bit_port_gets_no_lowmem_or_64_bit_advice() -> None:
    # m68k Amiga with 10 MB of RAM (`free`): no HighMem, no 64-bit kernel; one GFP_ATOMIC warning
    text = load_case("lore-267-m68k-amiga-atomic-harmless")[0].decode()
    findings = analyze(text).events[0].findings
    assert "OOM101" not in [f.code for f in findings]
    steps = [s for f in findings for s in f.remediation][:3]
    assert steps[0].startswith("Treat this single warning as harmless")
    assert violations(text) == []
    # the same machine with 2 GB of RAM on a 32-bit x86 kernel keeps the lowmem finding
    big = text.replace("10260", "2097152") + "\nCPU: 0 PID: 1 Comm: cp Not tainted 4.9.0-8-686-pae #1\n"
    codes = [f.code for f in analyze(big).events[0].findings]
    assert "OOM101" in codes


def test_the_invoking_tasks_cpuset_does_not_name_the_killed_process_workload() -> None:
    # containerd (cpuset=containerd.service) invoked the OOM killer and nwg-displays, in a user
    # session scope, was killed: `cpuset=` is the invoking task's cgroup (mm/oom_kill.c
    # dump_oom_summary(), kernel/cgroup/cpuset.c cpuset_print_current_mems_allowed(), v4.19-v6.18),
    # so nwg-displays is not told it is the kubelet or a container runtime
    steps = [
        s for f in analyze(load_case("gh-nwg-piotr-nwg-displays-122")[0]).events[0].findings for s in f.remediation
    ]
    assert not any("kubelet" in s for s in steps)
    assert steps[0].startswith("Find out why nwg-displays grows")


def test_a_raise_of_the_watermarks_is_found_wherever_the_step_says_it() -> None:
    # the wordings of OOM101's, OOM131's and OOM132's raises, which the anchored pattern missed
    for step in (
        "Protect lowmem by LOWERING the Normal entry of vm.lowmem_reserve_ratio (default 32), or raise "
        "vm.min_free_kbytes modestly from about 3784 kB to at most 5682.",
        "Weaker option: If packets keep dropping, raise vm.min_free_kbytes moderately: more blocks stay free.",
        "Keep more free memory in larger blocks: raise vm.min_free_kbytes (from about 2672 kB now to 5237).",
    ):
        assert not RAISE_WATERMARK.search(step) and raises_watermarks(step), step
    for step in (
        "Do not raise vm.min_free_kbytes: at about 262136 kB it is already far above the 67584 kB the kernel "
        "would set; lower it back to that with sysctl -w vm.min_free_kbytes=67584.",
        "Do not tune the system for this warning (min_free_kbytes, swap, overcommit).",
        "Lower vm.min_free_kbytes to the kernel's own value for this machine, about 22837 kB.",
    ):
        assert not raises_watermarks(step), step

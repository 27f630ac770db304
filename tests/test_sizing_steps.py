"""Sizing from the dump (issue 13): when the workload does not fit, the more-RAM step says how much
could not be reclaimed at the kill against RAM (+ swap), how much is missing, what machine size
(the next power of two VMs, instances and DIMM sets come in) or swap would hold it, and that the
figure is a floor (one moment, without page cache or later growth); never a size for a memory
cgroup's limit, nor more RAM for a 32-bit kernel whose lowmem it would crowd (OOM102).
"""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import COMMON_RAM_SIZES_KB
from knowledge.diagnose import evaluate


def _analysis(case: str):  # type: ignore[no-untyped-def]
    dump = parse_text(load_case(case)[0])
    return evaluate(dump.events[0], dump).analysis


def _steps(case: str) -> list[str]:
    return [s for f in analyze(load_case(case)[0]).events[0].findings for s in f.remediation]


def test_a_512_mb_vm_is_told_how_much_is_missing_and_which_size_holds_it() -> None:
    # memhog on a 512 MB VM without swap: 424 MiB could not be reclaimed; with 25 % headroom
    # 768 MiB, 257 MiB more than the 511 MiB it had: a 1 GiB machine, or 1 GiB of swap
    sizing = _analysis("lab-process-hog-deb612-amd64").sizing
    assert sizing["missing_kb"] > 0 and sizing["size_kb"] == 1024 * 1024 and sizing["swap_kb"] == 1024 * 1024
    step = next(s for s in _steps("lab-process-hog-deb612-amd64")[:3] if "more than it had" in s)
    assert "257 MiB more than it had" in step and "a 1 GiB machine, the next common VM or instance size" in step
    assert "a floor" in step


def test_the_size_counts_the_swap_the_machine_already_has() -> None:
    # 730 MiB of RAM + swap, all used: the target (1 GiB) less the 219 MiB of swap is held by 1 GiB of RAM
    analysis = _analysis("lab-swap-zram-deb61-amd64")
    sizing = analysis.sizing
    assert sizing["scope"] == "RAM + swap" and sizing["swap_kb"] is None
    need = sizing["target_kb"] - analysis.swap_total_kb
    assert sizing["size_kb"] == min(kb for kb in COMMON_RAM_SIZES_KB if kb >= need)
    assert any("a 1 GiB machine" in s for s in _steps("lab-swap-zram-deb61-amd64"))


def test_no_machine_size_for_a_memory_cgroups_limit() -> None:
    sizing = _analysis("lab-memcg-v1-deb61-amd64").sizing
    assert sizing["scope"] == "limit" and sizing["missing_kb"] > 0
    assert sizing["size_kb"] is None
    assert not any("next common VM" in s for s in _steps("lab-memcg-v1-deb61-amd64"))


def test_no_larger_machine_for_a_32_bit_kernel() -> None:
    # 8 GB under a PAE kernel: the shortfall is said, but not a 16 GB machine (struct pages for
    # more RAM come out of the 880 MB of lowmem)
    analysis = _analysis("lab-highmem-hog-deb61-686pae")
    assert analysis.is_32bit and analysis.sizing["missing_kb"] > 0
    assert analysis.sizing["size_kb"] is None
    steps = _steps("lab-highmem-hog-deb61-686pae")
    assert any("more than it had" in s for s in steps)
    assert not any("GiB machine" in s for s in steps)


def test_a_kill_line_on_a_2_gb_vm_gets_the_next_size_up_as_a_first_guess() -> None:
    # minikube's 2 GB VM: only the kill line and the memory totals were pasted, no counters to
    # size the workload; the more-memory step names what it has and the next size, as a guess
    steps = _steps("gh-kubernetes-minikube-4075")
    step = next(s for s in steps if s.startswith("Give the machine more memory"))
    assert "it has 2.0 GiB of RAM, so the next common size up is 4 GiB - a first guess" in step


def test_no_guess_below_1_gb_where_the_boot_itself_may_need_more_than_one_step() -> None:
    # a 127 MiB VM that ran out before any process existed: OOM223 sizes the kernel's own need
    # (1024 MB); no 'next size up' guess of 512 MB contradicts it
    steps = _steps("gh-o8vm-krabs-8")
    assert any("at least 1024 MB" in s for s in steps)
    assert not any("next common size up" in s for s in steps)

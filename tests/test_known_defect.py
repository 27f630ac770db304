"""OOM606: a cited record of knowledge/kernel_fixes.yaml that fits the event makes the kernel defect
the diagnosis, with the fix as the first step; a lone warning whose caller copes is called
harmless before its fragmentation (OOM501 over OOM130)."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze


def _findings(case: str):
    report = analyze(load_case(case)[0])
    return next(e for e in report.events if e.findings).findings


def test_trace_function_of_a_known_defect_ranks_the_fix_first() -> None:
    # parisc order-5 failure from nfsd_reply_cache_init (the nfsd reply-cache record)
    findings = _findings("lore-2020-parisc-nfsd-cache-order5")
    top = findings[0]
    assert top.code == "OOM606" and top.category == "kernel_bug" and top.confidence >= 0.6
    assert top.remediation[0].startswith("Upgrade to a kernel with the fix")
    assert "8c38b705b4f4" in top.remediation[0]
    assert any(e.name == "function" and e.value == "nfsd_reply_cache_init" for e in top.evidence)


def test_affected_2_6_series_is_matched_on_three_numbers() -> None:
    # 2.6.32-rc3: inside the 2.6.31-2.6.32 high-order GFP_ATOMIC regression
    top = _findings("lore-2632rc3-iwlagn-order2-qp")[0]
    assert top.code == "OOM606"
    assert "kswapd" in top.remediation[0] and "ALLOC_HARDER" in top.remediation[0]
    # 2.6.29-rc3 is outside it, although "2.6" is the same two numbers
    assert all(f.code != "OOM606" for f in _findings("lore-2629rc3-i686-rtorrent-order1-benign"))


def test_series_gate_compares_the_depth_it_was_given() -> None:
    from knowledge.kernel_fixes import _series

    assert _series("2.6.31") == (2, 6, 31)
    assert _series("4.7") == (4, 7)
    assert _series("5.14.21") == (5, 14)


def test_lone_coping_warning_is_harmless_first_and_fragmentation_contributes() -> None:
    findings = _findings("lore-2629rc3-i686-rtorrent-order1-benign")
    assert findings[0].code == "OOM501"
    fragmentation = next(f for f in findings if f.code == "OOM130")
    assert fragmentation.role == "contributing"


def test_fragmentation_stays_the_cause_when_the_caller_has_no_fallback() -> None:
    findings = _findings("lab-fragmentation-deb612-amd64")
    assert findings[0].code in ("OOM130", "OOM132") and findings[0].role == "root-cause"


def test_old_kernels_single_slab_figure_is_counted_not_unaccounted() -> None:
    # 2.6.28 prints `slab:875833` (reclaimable + unreclaimable together): it is slab, not memory
    # no counter explains
    findings = _findings("lore-2628-s390-order2-dentry-inode-leak")
    assert findings[0].code == "OOM212"
    assert all(f.code != "OOM215" for f in findings)
    assert "one figure" in findings[0].explanation


def test_no_contradiction_without_buddy_lines_for_a_high_order_kill() -> None:
    # an order-2 kill with free memory above high but no buddy lists: no block is shown to exist
    assert all(f.code != "OOM601" for f in _findings("lore-2628-s390-order2-dentry-inode-leak"))


def test_lowmem_reserve_that_refuses_free_blocks_is_named_with_the_right_direction() -> None:
    # 3.x Xen guest: DMA has order-2 blocks and 972 kB countable free > min 36 kB, but its
    # lowmem_reserve of 3014 pages (12056 kB) against DMA32/Normal requests refuses them
    top = _findings("lore-30-xen-iostat-order2-dma32-fragmented")[0]
    assert top.code == "OOM130"
    step = next(s for s in top.remediation if "lowmem_reserve_ratio" in s)
    assert top.remediation.index(step) < 3  # among the first three, after fixing the caller and compaction
    assert "12056 kB lowmem_reserve" in step and step.startswith("Raise the DMA entry of vm.lowmem_reserve_ratio")
    assert "a larger ratio is a smaller reserve" in step


def test_ram_without_swap_sizes_the_machine_and_names_the_vm_knob() -> None:
    diagnosis = analyze(load_case("lab-process-hog-deb612-amd64")[0]).events[0].diagnosis
    step = diagnosis.record_steps("OOM202")[0]
    assert "could not be reclaimed" in step and "with 25% headroom" in step
    assert "qemu -m" in step and "--memory" in step
    # OOM201 ranks first and says it too: the event says it once, among its first three steps,
    # with the VM knob
    said = [s.text for _code, s in diagnosis.steps if "with 25% headroom" in s.text]
    assert len(said) == 1 and said[0] in [s.text for _code, s in diagnosis.steps[:3]]
    assert "qemu -m" in said[0] and "--memory" in said[0]


def test_workload_that_does_not_fit_is_sized_from_the_dump() -> None:
    from pathlib import Path

    report = analyze((Path(__file__).parent / "cases" / "workload-many-processes.log").read_bytes())
    finding = next(f for f in report.events[0].findings if f.code == "OOM222")
    # postgres's own lever comes first (knowledge/workloads.yaml), then RAM sized from the dump, then swap
    assert "postgres is PostgreSQL" in finding.remediation[0]
    first, swap = finding.remediation[1], finding.remediation[2]
    assert "with 25% headroom it needs about 768 MiB" in first and "qemu -m" in first
    assert "fallocate -l 1G" in swap and "4G" not in swap  # sized from the shortfall, not a fixed 4 GB


def test_pages_ram_above_the_zones_present_is_not_unaccounted_memory() -> None:
    # 2.6.26 x86_64: `1572864 pages of RAM` (6 GB) while DMA+DMA32+Normal are ~4 GB present
    findings = _findings("lore-2626mm2-oom-init-zero-anon-split-lru")
    assert all(f.code != "OOM215" for f in findings)


def test_a_ram_share_never_answers_an_allocation_failure_confidently() -> None:
    from knowledge.confidence import CONFIDENT, RAM_SHARE_CHECKS, calibrate

    class Warning:
        kind, kill, missing, stall_ms = "page-allocation-failure", None, (), None

    class Kill:
        kind, kill, missing, stall_ms = "oom-kill", object(), (), None

    for check in RAM_SHARE_CHECKS:
        assert calibrate(0.9, check, Warning) < CONFIDENT
        assert calibrate(0.9, check, Kill) == 0.9

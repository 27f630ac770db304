"""What known kernel defects produce, read from the figures of real pastes (OOM610), and the cited
kernel_fixes records matched from what pastes show (issue 13: the kernel path among the first
three steps, worded for the dump's release, when the paste names no defect, module or tree)."""

from __future__ import annotations

import re

from oomcases import REPO, is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate
from knowledge.kernel_fixes import matches


def _event(case: str, text: str | None = None, index: int = 0):  # type: ignore[no-untyped-def]
    assert not is_held_out(case)
    return analyze(text if text is not None else load_case(case)[0]).events[index]


def _signs(event) -> list[str]:  # type: ignore[no-untyped-def]
    found = [f for f in event.findings if f.code == "OOM610"]
    return found


def _steps(event) -> list[str]:  # type: ignore[no-untyped-def]
    return [s for f in event.findings for s in f.remediation]


def test_a_high_order_kill_with_free_memory_on_an_unmaintained_kernel_names_the_kernel_path() -> None:
    # s390 2.6.28 (long out of maintenance): an order-2 kill while DMA held ~457 MiB free
    event = _event("lore-2628-s390-order2-dentry-inode-leak")
    (found,) = _signs(event)
    assert found.category == "kernel_bug" and found.role == "contributing"
    evidence = {e.name: e.value for e in found.evidence}
    assert evidence["order"] == 2 and evidence["zone"] == "DMA" and evidence["kernel"] == "2.6.28"
    assert evidence["zone_free_kb"] > 2 * evidence["zone_floor_kb"]
    step = next(s for s in event.diagnosis.record_steps("OOM610") if s.startswith("Update the kernel"))
    # worded for the release: the 2.6.28 series ended, so a maintained series or the distribution's
    assert "the 2.6.28 series is long out of kernel.org maintenance" in step
    assert "high-order allocation failures" in step
    # a known defect of the same shape names its own fix instead (SUSE 3.0's seq_file buffer)
    assert not _signs(_event("lore-30-xen-iostat-order2-dma32-fragmented"))


def test_a_maintained_series_or_a_lone_warning_is_no_sign() -> None:
    # Debian 6.12 (kernel.org maintains 6.12): the same shape of figures is no sign of a defect
    assert not _signs(_event("lab-fragmentation-deb612-amd64"))
    # one order-2 warning on an ended 4.1 kernel, nothing killed: harmless unless it repeats
    assert not _signs(_event("lore-41-android-hi3650-order2-fork"))
    # an ordinary process hog
    assert not _signs(_event("lab-process-hog-deb612-amd64"))


def test_a_manual_kill_of_a_stalled_machine_brings_the_kernel_path_among_the_first_three() -> None:
    # SysRq-f on Debian's 2.6.26 while both zones sat at their floor; OOM001 is the top finding
    event = _event("lore-2626-amd64-sysrq-order0-swap-weirdness")
    assert event.findings[0].code == "OOM001"
    (found,) = _signs(event)
    assert {e.name for e in found.evidence} >= {"zone", "zone_free_kb", "zone_floor_kb", "kernel"}
    first = _steps(event)[:3]
    kernel = [s for s in first if s.startswith("Update the kernel")]
    assert kernel, first
    assert "Debian" in kernel[0] and "apt" in kernel[0] and "min_ttl_ms" in kernel[0]


def test_memory_no_counter_explains_names_a_kernel_leak_and_what_to_paste() -> None:
    # tests/cases/unaccounted-balloon.log: a real 6.12 report with 400 MB taken out of every
    # counter (README.md there). In its QEMU guest the balloon is the first suspect: no sign
    text = (REPO / "tests" / "cases" / "unaccounted-balloon.log").read_text()
    event = analyze(text).events[0]
    assert event.diagnosis.analysis.environment.vm and not _signs(event)
    # the same figures on bare metal: the kernel or a driver keeps memory outside every counter
    metal = re.sub(r"Hardware name: .*", "Hardware name: Dell Inc. PowerEdge R640/0W23H8, BIOS 2.10.2 02/24/2021", text)
    event = analyze(metal).events[0]
    (found,) = _signs(event)
    assert {e.name for e in found.evidence} >= {"unaccounted_kb", "ram_kb", "kernel"}
    steps = _steps(event)
    # the kernel path is said once (OOM215's own step), and what to paste next is OOM610's
    assert sum("update the kernel" in s.lower() for s in steps) == 1
    assert any("kmemleak" in s and "page_owner" in s and "vmallocinfo" in s for s in steps)
    # the leak the -mm tree's report seems to show is the pfn span's holes (pages RAM above the
    # zones' present pages): no sign, as OOM215 discounts them
    case = "lore-2626mm2-oom-init-zero-anon-split-lru"
    released = load_case(case)[0].decode().replace("2.6.26-rc5-mm2", "2.6.26")
    assert not _signs(_event(case, released))


def test_no_release_printed_says_to_check_uname() -> None:
    case = "lore-2626-amd64-sysrq-order0-swap-weirdness"
    text = load_case(case)[0].decode()
    stripped = text.replace("2.6.26-2-amd64", "")
    event = _event(case, stripped)
    assert event.diagnosis.analysis.kernel is None
    step = next(s for s in _steps(event) if s.startswith("Update the kernel"))
    assert "uname -r" in step and "prints no kernel release" in step


def test_a_dirty_cgroup_v1_memcg_matches_the_4_11_flusher_regression_only_on_its_series() -> None:
    # kubedirector's memcg OOM: 503316 kB of 524288 kB dirty, nothing under writeback (cgroup v1)
    case = "gh-bluek8s-kubedirector-356"
    assert not is_held_out(case)
    dump = parse_text(load_case(case)[0].decode())
    analysis = evaluate(dump.events[0], dump).analysis
    assert analysis.version is None
    assert "memcg-v1-dirty-flushers-4.11" not in [f.id for f in matches(analysis)]  # no release: no claim
    ids = [f.id for f in matches(analysis, unversioned=True)]
    assert "memcg-v1-dirty-flushers-4.11" in ids  # kept as a possible match when the caller asks
    analysis.version = (4, 14, 0)
    assert "memcg-v1-dirty-flushers-4.11" in [f.id for f in matches(analysis)]
    analysis.version = (4, 16, 0)  # 1c610d5f93c7 is in 4.16
    assert "memcg-v1-dirty-flushers-4.11" not in [f.id for f in matches(analysis)]
    # a memcg OOM of a 4.11-4.15 kernel without dirty pages is not this defect
    other = parse_text(load_case("gh-aws-amazon-ecs-agent-4508")[0].decode())
    plain = evaluate(other.events[0], other).analysis
    plain.version = (4, 14, 0)
    assert "memcg-v1-dirty-flushers-4.11" not in [f.id for f in matches(plain)]


def test_overlayfs_copy_up_record_needs_its_function_and_series() -> None:
    # a real order-4 failure of a 4.3 kernel, its allocating caller renamed to overlayfs' copy-up
    case = "lore-43-i686-atl1c-resume-order4-atomic"
    text = load_case(case)[0].decode()
    assert "atl1c_open" in text
    dump = parse_text(text.replace("atl1c_open", "ovl_copy_xattr"))
    assert "overlayfs-copy-xattr-order4" in [f.id for f in matches(evaluate(dump.events[0], dump).analysis)]
    dump = parse_text(text)
    assert "overlayfs-copy-xattr-order4" not in [f.id for f in matches(evaluate(dump.events[0], dump).analysis)]
    dump = parse_text(text.replace("atl1c_open", "ovl_copy_xattr").replace("4.3.0", "4.9.0"))
    assert "overlayfs-copy-xattr-order4" not in [f.id for f in matches(evaluate(dump.events[0], dump).analysis)]


def test_the_rhel7_kmem_record_reads_a_per_container_slab_cache_on_3_10_only() -> None:
    # SLUB's message naming a container's slab cache, inside the event of a 3.10 kernel
    case = "lore-2632-amd64-r8169-rx-order0-atomic-no-swap"
    text = load_case(case)[0].decode()
    dump = parse_text(text)
    lines = [ln.text for ln in dump.events[0].lines if "cache:" in ln.text]
    assert lines and "(" not in lines[0].split("cache:")[1].split(",")[0]  # a global cache: no container
    analysis = evaluate(dump.events[0], dump).analysis
    assert "rhel7-kmem-accounting-memcg-slab" not in [f.id for f in matches(analysis)]
    name = lines[0].split("cache:")[1].split(",")[0].strip()
    container = text.replace(f"cache: {name},", f"cache: {name}(632851:3a166877f91031145f6dc491df3c915c),")
    dump = parse_text(container)
    analysis = evaluate(dump.events[0], dump).analysis
    analysis.version = (3, 10, 0)
    assert "rhel7-kmem-accounting-memcg-slab" in [f.id for f in matches(analysis)]
    analysis.version = (5, 4, 0)  # later kernels reclaim per-memcg caches: not this defect
    assert "rhel7-kmem-accounting-memcg-slab" not in [f.id for f in matches(analysis)]


def test_a_development_trees_path_outranks_a_weaker_option_beside_a_sure_cause() -> None:
    # 2.6.24-rc5-mm1 on i686: lowmem exhausted (OOM101, sure) on an -mm tree (OOM602); the third
    # step was OOM101's "Weaker option" - the tree's own path (its next build) takes its place
    event = _event("lore-224rc5mm1-i686-quicklist-pgd-lowmem")
    assert event.findings[0].code == "OOM101" and event.findings[0].confidence >= 0.8
    first = _steps(event)[:3]
    assert first[2].startswith("Update the kernel: the next build of this development tree"), first
    assert not any(s.startswith("Weaker option: ") for s in first)


def test_the_built_in_callers_newer_kernel_is_worded_for_an_unmaintained_release() -> None:
    # OOM130's "fix the code" step names the kernel path of the ended 2.6.28 series
    event = _event("lore-2628-s390-order2-dentry-inode-leak")
    step = next(s for s in _steps(event)[:3] if s.startswith("Fix the code that makes this high-order request"))
    assert "built-in kernel code" in step
    assert "(for this kernel: a maintained longterm series" in step and "2.6.28 series" in step
    # a maintained series (Debian 6.12) keeps the plain wording
    plain = _steps(_event("lab-fragmentation-deb612-amd64"))
    assert not any("for this kernel:" in s for s in plain)


def test_a_seq_file_buffer_failure_before_3_16_names_its_fix_and_keeps_the_reserve_fix() -> None:
    # SUSE 3.0: iostat's order-2 kmalloc from seq_read (reading /proc) killed a process; the expert
    # (the author of the later seq_file fix) pointed at the DMA zone's lowmem_reserve
    case = "lore-30-xen-iostat-order2-dma32-fragmented"
    dump = parse_text(load_case(case)[0].decode())
    analysis = evaluate(dump.events[0], dump).analysis
    assert "seq-file-buffer-kmalloc-before-3.16" in [f.id for f in matches(analysis)]
    analysis.version = (3, 19, 0)
    assert "seq-file-buffer-kmalloc-before-3.16" not in [f.id for f in matches(analysis)]
    event = _event(case)
    assert "OOM606" in [f.code for f in event.findings]
    first = _steps(event)[:3]
    assert "058504edd026" in first[0]
    # the zone-specific fix (OOM130's lowmem_reserve step) stays among the first three, before the
    # generic compaction advice
    assert any("lowmem_reserve_ratio" in s for s in first), first

"""Kernel- and architecture-side advice (issue 13): the lowmem/HighMem finding needs evidence of a
split, ppc64 ELFv1 trace symbols name their functions, a request that may not do I/O cannot
compact, and the cited kernel_fixes records of the NFS swap-out path and the ppc64 4k-page pgd."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze


def _event(case: str):
    report = analyze(load_case(case)[0])
    return next(e for e in report.events if e.findings)


def _steps(event) -> list[str]:
    return [step for finding in event.findings for step in finding.remediation]


def test_no_lowmem_finding_without_highmem_on_a_small_32bit_board() -> None:
    # armv7, 64 MiB, one Normal zone and '0 pages HighMem/MovableOnly': all of RAM is lowmem, so
    # there is no split for a 64-bit kernel to remove
    event = _event("lore-518rc3-armv7-swap-over-nfs-writehdr-alloc")
    assert all(f.code != "OOM101" for f in event.findings)
    assert not any("64-bit" in step for step in _steps(event)[:3])


def test_lowmem_split_is_read_from_the_page_totals() -> None:
    from grammar.parse import parse_text
    from knowledge.analysis import Analysis
    from knowledge.checks.lowmem import _lowmem_split_possible
    from knowledge.diagnose import decode_gfp

    def split(text: str) -> bool:
        dump = parse_text(text)
        event = dump.events[0]
        return _lowmem_split_possible(Analysis(event, dump, decode_gfp(event, dump)))

    head = (
        "apt: page allocation failure: order:0, mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null)\n"
        "CPU: 0 PID: 455 Comm: apt Not tainted 5.18.0 #1\n"
        "Hardware name: Generic DT based system\n"
        "Mem-Info:\n"
        "active_anon:1772 inactive_anon:7471 isolated_anon:64\n"
        " free:0 free_pcp:6 free_cma:0\n"
        "Normal free:0kB boost:0kB min:5044kB low:5280kB high:5516kB present:{present}kB managed:{present}kB\n"
        "lowmem_reserve[]: 0 0\n"
        "{ram} pages RAM\n"
    )
    small = head.format(present=65536, ram=16384)
    assert not split(small + "0 pages HighMem/MovableOnly\n")
    assert not split(small)  # 64 MiB: lowmem on every common port
    big = head.format(present=778240, ram=262144 * 3)  # 3 GiB, Normal printed alone (6.1+)
    assert split(big)  # HighMem not printed proves nothing
    assert not split(big + "0 pages HighMem/MovableOnly\n")
    assert split(big + "524288 pages HighMem/MovableOnly\n")


def test_nfs_swap_out_header_allocation_names_the_nfs_change() -> None:
    event = _event("lore-518rc3-armv7-swap-over-nfs-writehdr-alloc")
    top = event.findings[0]
    assert top.code == "OOM606"
    assert "0bae835b63c5" in top.remediation[0] and "nfs_writehdr_alloc" in top.remediation[0]


def test_ppc64_elfv1_dot_symbols_name_their_function() -> None:
    from knowledge.kernel_fixes import _function

    assert _function(".mm_init.isra.65+0x128/0x1c0") == "mm_init"
    assert _function(".kmem_cache_alloc+0x140/0x288") == "kmem_cache_alloc"
    assert _function("? .__slab_alloc.isra.61.constprop.63+0x54/0x70") == "__slab_alloc"


def test_ppc64_4k_pgd_failure_is_the_known_arch_defect_not_a_driver() -> None:
    event = _event("lore-412rc2-ppc64-4k-pgd-order4-slub")
    top = event.findings[0]
    assert top.code == "OOM606"
    assert "64TB" in top.remediation[0] and "f6eedbba7a26" in top.remediation[0]
    assert not any("driver/module" in step for step in _steps(event))


def test_noio_high_order_request_without_a_block_is_fragmentation() -> None:
    # order 7, GFP_NOIO|GFP_DMA32: DMA32 passes the order-0 part of its watermark (9796 kB free,
    # min 8264 kB) but has no block of 512 kB; the kernel never compacts for a request without
    # __GFP_IO, so only the missing block failed it
    event = _event("lore-611-steamdeck-mhi-order7-noio-dma32")
    codes = [f.code for f in event.findings]
    assert "OOM130" in codes
    frag = next(f for f in event.findings if f.code == "OOM130")
    assert "GFP_NOIO" in str(frag.explanation)
    assert any("mhi" in step and "order-0" in step for step in _steps(event)[:3])


def test_compaction_refusal_is_per_era() -> None:
    from types import SimpleNamespace

    from knowledge.checks.zones import _compaction_refused

    def refused(version, io, fs):
        gfp = SimpleNamespace(may_reclaim=True, may_do_io=io, may_call_fs=fs)
        return _compaction_refused(SimpleNamespace(gfp=gfp, version=version))

    assert refused((6, 11, 0), False, False) == "GFP_NOIO"
    assert refused((3, 10, 0), False, False) == "GFP_NOIO"
    assert refused((4, 9, 0), True, False) == "GFP_NOFS, before 4.10"
    assert refused((4, 10, 0), True, False) is None  # 73e64c51afc5: GFP_NOFS compacts since 4.10
    assert refused(None, True, False) is None
    assert refused((6, 1, 0), True, True) is None
    atomic = SimpleNamespace(gfp=SimpleNamespace(may_reclaim=False, may_do_io=False, may_call_fs=False), version=None)
    assert _compaction_refused(atomic) is None  # OOM130's atomic case


def test_kill_line_alone_names_the_victim_and_its_levers() -> None:
    # a 2.6-era pair of lines, nothing else: the victim is the one process the paste names
    event = _event("lore-git-2006-git-repack-rev-list")
    top = event.findings[0]
    assert top.code == "OOM225" and top.confidence <= 0.3
    assert any(e.name == "victim" and e.value == "git-rev-list" for e in top.evidence)
    assert "git-repack" in str(top.explanation)  # the selected parent of the killed child
    steps = _steps(event)[:3]
    assert any("pack.windowMemory" in step and "update git" in step for step in steps)


def test_kill_line_alone_yields_to_any_other_root_cause() -> None:
    # a kill line with 'or sacrifice child' and nothing else, where the process-hog reading of the
    # selected task's score fires: the presumption (a fallback) stays silent
    report = analyze(load_case("gh-dotnet-coreclr-16503")[0])
    codes = [f.code for e in report.events for f in e.findings]
    assert codes and "OOM225" not in codes


def test_kill_line_with_the_victims_memory_is_not_a_presumption() -> None:
    text = (
        "Out of memory: Killed process 4242 (git) total-vm:2000000kB, anon-rss:1500000kB, file-rss:0kB, shmem-rss:0kB\n"
    )
    report = analyze(text)
    codes = [f.code for e in report.events for f in e.findings]
    assert "OOM225" not in codes  # the kill line measured the victim: not a presumption

"""Steps that could make things worse are derived from the paste, and gated on what it shows.

Sources: mm/page-writeback.c v6.1 (dirty_ratio 20 / dirty_background_ratio 10 of dirtyable
memory); mm/page_alloc.c v6.1 setup_per_zone_lowmem_reserve() (a lower lowmem_reserve_ratio is a
larger reserve); mm/memcontrol.c v4.5-v6.18 memory_max_write() (a memory.max below usage
reclaims, then OOM-kills at once) and mem_cgroup_print_oom_meminfo() v4.19-v6.18 (v1 prints
memory+swap/kmem, v2 swap and bytes); mm/slub.c v5.14 (alloc_calls moved to debugfs alloc_traces).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from oomcases import corpus_cases, load_case

from bot.pipeline import analyze
from knowledge.diagnose import evaluate

CASES = Path(__file__).resolve().parent / "cases"
LIMIT_STEP = re.compile(
    r"^(Weaker option: )?(Cap |Set or lower |.*add a memory limit|.*bound it with|Bound it |Set memory limits per)",
    re.I,
)
WARNING = "above what the group uses now"
# a sentence anywhere in a step that sets or lowers a memory cgroup limit, not only at its start
# ("...: size its memory limit from the memory of the NUMA nodes it may use")
LIMIT_SENTENCE = re.compile(
    r"(?:^|[.;:]\s+|, or |, and )(?:Weaker option: )?(?:Cap |Set or lower |Bound it |bound it with |"
    r"size its memory limit |add a memory limit|Set memory limits per)",
)
# what makes such a sentence a memory cgroup limit (not, say, the ZFS ARC's zfs_arc_max)
CGROUP_LIMIT = re.compile(
    r"MemoryMax=|MemoryLimit=|MemorySwapMax=|memory\.(?:max|swap\.max|limit_in_bytes)\b|--memory\b|"
    r"limits\.memory|memory cgroup|cgroup (?:v1 )?memory limit|container(?:'s)? (?:memory )?limit|memory limit",
)


def _findings(text: str):  # type: ignore[no-untyped-def]
    return analyze(text).events[0].findings


def _step(findings, code: str, needle: str) -> str:  # type: ignore[no-untyped-def]
    finding = next(f for f in findings if f.code == code)
    return next(s for s in finding.remediation if needle in s)


def test_dirty_limit_examples_never_raise_the_limits_of_a_small_host() -> None:
    report = analyze((CASES / "dirty-writeback.log").read_text())
    event = report.events[0]
    ram_kb = evaluate(event.event, report.dump).analysis.ram_kb
    assert ram_kb is not None and ram_kb < 5 * 1024 * 1024
    step = _step(event.findings, "OOM216", "dirty")
    sizes = [int(v) for v in re.findall(r"dirty(?:_background)?_bytes=(\d+)", step)]
    assert len(sizes) == 2
    # the kernel default is 20 % (10 % background) of dirtyable memory <= RAM: stay well below
    assert all(size <= ram_kb * 1024 // 10 for size in sizes)
    assert "1073741824" not in step and "268435456" not in step


def test_lowmem_step_lowers_the_reserve_ratio_and_names_no_fixed_min_free_kbytes() -> None:
    findings = _findings(load_case("seed-rsync-32bit")[0].decode())
    step = _step(findings, "OOM101", "lowmem_reserve_ratio")
    assert "LOWERING" in step
    assert "min_free_kbytes=65536" not in step
    assert not re.search(r"min_free_kbytes=\d", step)


@pytest.mark.parametrize("case", corpus_cases())
def test_every_limit_setting_step_warns_that_a_limit_below_usage_kills(case: str) -> None:
    report = analyze(load_case(case)[0])
    for event in report.events:
        for finding in event.findings:
            for step in finding.remediation:
                if LIMIT_STEP.match(step) or (LIMIT_SENTENCE.search(step) and CGROUP_LIMIT.search(step)):
                    assert WARNING in step, (finding.code, step)


def test_every_catalogue_step_that_sets_a_memory_limit_carries_the_warning() -> None:
    # the record's own wording, whether or not a corpus case renders it
    from knowledge import catalogue

    for record in catalogue.load():
        for step in record.remediation:
            text = " ".join(str(step["do"]).split())
            if (LIMIT_STEP.match(text) or LIMIT_SENTENCE.search(text)) and CGROUP_LIMIT.search(text):
                assert step.get("caps"), (record.code, text[:100])


def test_cgroup_hierarchy_comes_from_the_paste_not_the_kernel_version() -> None:
    def hierarchy(case: str):  # type: ignore[no-untyped-def]
        report = analyze(load_case(case)[0])
        return evaluate(report.events[0].event, report.dump).analysis.environment.cgroup_v2

    assert hierarchy("lab-memcg-v1-deb61-amd64") is False  # 6.1 kernel booted with cgroup v1
    assert hierarchy("lab-memcg-v2-deb61-arm64") is True
    # a global OOM prints oom_memcg=/ on either hierarchy: it does not tell
    assert hierarchy("lab-process-hog-deb612-amd64") is None
    findings = _findings(load_case("lab-memcg-v1-deb61-amd64")[0].decode())
    steps = " ".join(next(f for f in findings if f.code == "OOM401").remediation)
    assert "memory.limit_in_bytes" in steps and not re.search(r"memory\.max\b(?!_)", steps)


def test_slub_alloc_tracing_path_follows_the_5_14_move_to_debugfs() -> None:
    text = load_case("lab-slab-sockleak-deb61-arm64")[0].decode()
    step = _step(_findings(text), "OOM212", "slub_debug")
    assert "/sys/kernel/debug/slab/<cache>/alloc_traces" in step and "/sys/kernel/slab/" not in step
    old = re.sub(r"6\.1\.0-\S+", "5.10.0-28-arm64", text)
    step = _step(_findings(old), "OOM212", "slub_debug")
    assert "/sys/kernel/slab/<cache>/alloc_calls" in step


def test_a_premature_high_order_kill_sizes_min_free_kbytes_from_the_machine_and_never_raises_an_inflated_one() -> None:
    # lab fragmentation (Debian 12, 512 MB): OOM132's raise is derived from the zones' own watermarks
    report = analyze(load_case("lab-fragmentation-deb612-amd64")[0])
    analysis = evaluate(report.events[0].event, report.dump).analysis
    step = _step(report.events[0].findings, "OOM132", "min_free_kbytes")
    target = int(re.search(r"vm\.min_free_kbytes=(\d+)", step).group(1))  # type: ignore[union-attr]
    assert "131072" not in step and f"from about {analysis.min_free_kbytes_estimate} kB" in step
    assert analysis.min_free_kbytes_estimate < target <= analysis.ram_kb // 100  # type: ignore[operator]
    # with the watermarks already far above the kernel's own value the step says lower, not raise
    from knowledge import catalogue

    record = next(r for r in catalogue.load() if r.code == "OOM132")
    context = {
        "ctx": {
            "min_free_inflated": True,
            "min_free_now": 262144,
            "min_free_own": 11585,
            "min_free_target": None,
            "known_bug": False,
        },
        "version": (6, 1, 0),
        "ev": {},
        "env": {},
    }
    steps = catalogue.render_remediation(record, context)
    assert not any(re.search(r"(?<!not )raise vm\.min_free_kbytes", s, re.I) for s in steps)
    lower = next(s for s in steps if "min_free_kbytes" in s)
    assert lower.startswith("Do not raise vm.min_free_kbytes") and "vm.min_free_kbytes=11585" in lower


def test_a_harmless_block_layer_failure_under_a_writeback_backlog_lowers_the_dirty_limits() -> None:
    # 4.9-rc5, 24 GB, 9 TB copy onto bcache + dm-crypt: GFP_NOWAIT failures in cfq_get_queue()
    # (under get_request/submit_bio) with 1.5-2.1 GB under writeback
    text = load_case("lore-49rc5-nowait-failures-writeback-bcache-dmcrypt")[0].decode()
    for event in analyze(text).events:
        steps = [s for f in event.findings for s in f.remediation]
        step = next(s for s in steps[:3] if "dirty limits" in s)
        assert "__GFP_NOWARN" in step and "harmless" in step and "under writeback" in step
        sizes = [int(v) for v in re.findall(r"dirty(?:_background)?_bytes=(\d+)", step)]
        assert sizes == [256 << 20, 1 << 30]  # 2.5 % and 5 % of 24 GB, capped: below the defaults
    # a small writeback count, or a failure outside the block layer, keeps the plain harmless steps
    small = re.sub(r"\bwriteback:(\d+)", lambda m: f"writeback:{int(m.group(1)) // 100}", text)
    assert not any("dirty limits" in s for f in analyze(small).events[0].findings for s in f.remediation)
    elsewhere = re.sub(r"\b(submit_bio|generic_make_request|blk_queue_bio|get_request)\+", "other_caller+", text)
    assert not any("dirty limits" in s for f in analyze(elsewhere).events[0].findings for s in f.remediation)


def test_high_order_packet_buffers_point_at_the_mtu_and_the_min_free_raise_is_sized_from_the_machine() -> None:
    # 2.6.9 i686: 24 order-3 GFP_ATOMIC failures; the traced ones allocate in alloc_skb()
    net = _step(_findings(load_case("lore-269ac11-rsync-atomic-order3")[0].decode()), "OOM131", "network packet path")
    assert "32 kB buffers there mean frames above a page" in net and "lower the MTU to 1500" in net
    # an order-1 request of the packet path that is a socket's own structure (tcp_create_openreq_child),
    # not a packet buffer: no MTU advice
    virtio = _findings(load_case("lore-42-bz107111-virtio-order1-dma-reserve")[0].decode())
    assert "MTU" not in _step(virtio, "OOM131", "network packet path")
    # the weaker raise of min_free_kbytes is sized from the zones' own watermarks (2.6.32 iwlagn, 1 GB)
    iwlagn = _step(_findings(load_case("lore-2632rc3-iwlagn-order2-qp")[0].decode()), "OOM131", "min_free_kbytes")
    assert re.search(r"raise vm\.min_free_kbytes moderately \(from about \d+ kB to at most \d+\)", iwlagn)
    from knowledge import catalogue

    record = next(r for r in catalogue.load() if r.code == "OOM131")
    inflated = {
        "min_free_inflated": True,
        "min_free_now": 262144,
        "min_free_own": 11585,
        "min_free_target": None,
        "warning_only": False,
        "net_path": None,
        "kernel_fixes": [],
        "module": None,
        "stalled": None,  # the network did not stop (checks.defects._network_stalled)
    }
    steps = catalogue.render_remediation(record, {"ctx": inflated, "version": None, "ev": {}, "env": {}})
    assert not any(re.search(r"(?<!not )raise vm\.min_free_kbytes", s) for s in steps)
    assert any("sysctl -w vm.min_free_kbytes=11585" in s for s in steps)


def test_a_device_error_after_a_packet_path_failure_is_not_called_harmless() -> None:
    # 2.6.32-rc3 iwlagn: the driver's own 'Failed to allocate SKB buffer' line follows the order-2
    # GFP_ATOMIC failure (checks.base.device_failed_after): OOM131 does not say the packet path
    # recovers by itself; the driver's update comes first
    findings = _findings(load_case("lore-2632rc3-iwlagn-order2-qp")[0].decode())
    steps = next(f for f in findings if f.code == "OOM131").remediation
    assert not any("harmless in themselves" in s for s in steps)
    assert steps[0].startswith("Update the iwlcore module")

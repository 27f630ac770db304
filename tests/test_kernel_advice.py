"""Kernel, module and topology advice (issue 13): each test fails on the code before this change.

The cases are real corpus pastes of folds 1-4 (tests/oomcases.py is_held_out() is False for each:
the held-out fold is not tuned on).
"""

from __future__ import annotations

import pytest
from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import Analysis, page_kb_from_tasks
from knowledge.diagnose import decode_gfp
from knowledge.kernel_fixes import matches

LOWMEM_CACHE = "lore-49-i386-x61s-lowmem-oom-three-reports-memcg-aging"
MM_TREE = "lore-2626mm2-oom-init-zero-anon-split-lru"
NET_ATOMIC = "lore-269mm1-i686-netfilter-atomic-order2-expected"
SLAB_LEAK_32 = "lore-2635-32bit-kmalloc-slab-leak-ftp"
HIGHMEM_TOTALS = "gh-usrbinnc-netcat-cpi-kernel-module-10"
NODE1_ZONE = "gh-clickhouse-clickhouse-66978"
TASKS_64K = "gh-scylladb-scylladb-14721"
TASKS_4K = "gh-bcgov-platform-services-280"
AMD64 = "lab-process-hog-deb612-amd64"

CASES = (LOWMEM_CACHE, MM_TREE, NET_ATOMIC, SLAB_LEAK_32, HIGHMEM_TOTALS, NODE1_ZONE, TASKS_64K, TASKS_4K, AMD64)


def _analysis(case: str, index: int = 0) -> Analysis:
    dump = parse_text(load_case(case)[0].decode("utf-8", "replace"))
    event = dump.events[index]
    return Analysis(event, dump, decode_gfp(event, dump))


def _steps(case: str, code: str | None = None) -> list[str]:
    event = analyze(load_case(case)[0]).events[0]
    return [s for f in event.findings if code is None or f.code == code for s in f.remediation]


def test_the_cases_are_not_held_out() -> None:
    assert not [case for case in CASES if is_held_out(case)]


def test_gfp_dma32_is_zone_normal_on_a_kernel_without_zone_dma32() -> None:
    # 32-bit x86 has no ZONE_DMA32: include/linux/gfp.h OPT_ZONE_DMA32 is ZONE_NORMAL there
    a = _analysis(LOWMEM_CACHE)
    assert "GFP_DMA32" in (a.event.trigger.gfp_mask or "") + str(a.gfp.symbolic)
    assert a.highest_zone == "Normal"
    assert a.zone_usable("Normal") is True
    # a 64-bit kernel keeps the zone
    assert "DMA32" in _analysis(AMD64).zone_types


def test_lowmem_full_of_page_cache_names_the_reclaim_defect_and_its_fixed_releases() -> None:
    a = _analysis(LOWMEM_CACHE)
    assert a.version is None
    assert not [f for f in matches(a) if f.id.startswith("memcg-lowmem")]  # no release: no firm match
    possible = [f.id for f in matches(a, unversioned=True)]
    assert "memcg-lowmem-active-list-aging-4.8" in possible
    steps = _steps(LOWMEM_CACHE, "OOM101")
    defect = [s for s in steps if "reclaim defect" in s]
    assert defect and steps.index(defect[0]) <= 1, steps
    assert "if it is 4.8-4.10" in defect[0] and "cgroup_disable=memory" in defect[0] and "4.9.14" in defect[0]
    assert "stable release" in defect[0]
    # the "find what fills lowmem" step is not offered when page cache fills it
    assert not any(s.startswith("Find what fills lowmem") for s in steps)


def test_a_slab_leak_without_an_owner_names_the_kernel_upgrade() -> None:
    steps = _steps(SLAB_LEAK_32, "OOM212")
    assert any("upgrade to a newer kernel" in s for s in steps[:3]), steps


def test_a_development_kernel_gets_the_next_build_of_its_tree() -> None:
    steps = _steps(MM_TREE, "OOM607")
    assert "development kernel" in steps[0] and "-mm tree" in steps[0] and "kernel update" in steps[0]
    assert not any("latest stable release of that series" in s for s in steps)


def test_network_path_atomic_failures_are_said_to_be_harmless_first() -> None:
    steps = _steps(NET_ATOMIC, "OOM131")
    assert "harmless" in steps[0] and "network packet path" in steps[0]
    # the first warning was quoted without its trace: the other failures' trace is named as such
    assert "pasted without its trace" in steps[0]
    # the traced order-2 warning, seen three times: its own trace names the network path
    lines = load_case(NET_ATOMIC)[0].decode("utf-8", "replace").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("swapper: page allocation failure"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ["))
    block = "\n".join(lines[start:end]) + "\n"
    event = analyze((block * 3).encode()).events[0]
    assert event.findings and _analysis_of(block * 3).event.call_trace
    first = next(s for f in event.findings if f.code == "OOM131" for s in f.remediation)
    assert "pskb_expand_head() in the trace)" in first and "harmless" in first


def _analysis_of(text: str) -> Analysis:
    dump = parse_text(text)
    return Analysis(dump.events[0], dump, decode_gfp(dump.events[0], dump))


def test_highmem_page_count_marks_a_32bit_kernel() -> None:
    a = _analysis(HIGHMEM_TOTALS)
    assert a.arch is None and not a.zone_names
    assert a.event.page_totals.get("HighMem/MovableOnly")
    assert a.is_32bit is True and a.has_highmem is True
    assert _analysis(AMD64).is_32bit is False


def test_a_totals_only_paste_of_a_highmem_kernel_points_at_vmalloc() -> None:
    # the possible causes OOM103 (lowmem) and OOM702 (the vmalloc area) lead; the first step asks
    # for the lines that tell them apart, the second gives the vmalloc= step
    steps = _steps(HIGHMEM_TOTALS)
    assert len(steps) >= 2 and steps[0].startswith("Paste the zone lines of the report")
    assert "lines just before it" in steps[0] and "vmap allocation" in steps[0]
    assert "vmalloc=" in steps[1] and "32-bit kernel with HighMem" in steps[1]


def test_a_zone_line_of_node_1_points_at_node_bound_limits() -> None:
    steps = _steps(NODE1_ZONE)
    assert any("NUMA node 1" in s and "memory limit from the memory of the NUMA nodes" in s for s in steps[:3]), steps


@pytest.mark.parametrize(("case", "size"), [(TASKS_64K, 64), (TASKS_4K, None)])
def test_page_size_from_the_task_dump(case: str, size: int | None) -> None:
    a = _analysis(case)
    assert page_kb_from_tasks(a.event) == size


def test_a_task_dump_of_a_64k_page_kernel_points_at_thp_min_free_kbytes() -> None:
    steps = _steps(TASKS_64K)
    assert any("64 KiB pages" in s and "min_free_kbytes" in s for s in steps[:3]), steps
    assert not any("64 KiB pages" in s for s in _steps(TASKS_4K))


def test_a_node_bound_kill_sizes_the_workload_from_the_allowed_nodes() -> None:
    case = "lab-numa-cpuset-deb612-amd64"
    assert not is_held_out(case)
    a = _analysis(case)
    allowed = a.allowed_nodes
    assert allowed
    node_kb = sum(z.managed_kb or 0 for z in a.zones if z.node in allowed)
    step = _steps(case, "OOM301")[0]
    assert "memory of the NUMA nodes it may use" in step
    assert f"{round(node_kb / 1024)} MiB here" in step


SLAB_LEAK = "lab-slab-sockleak-deb61-arm64"
SLAB_NO_LIST = "gh-openwrt-openwrt-3507"


def test_slab_leak_tracing_path_follows_the_5_14_move_to_debugfs() -> None:
    # mm/slub.c 64dd68497be7 (5.14) moved alloc_calls from /sys/kernel/slab to debugfs alloc_traces;
    # OOM603 still sent every kernel to the sysfs file (OOM212 had been fixed alone)
    assert not is_held_out(SLAB_LEAK)
    text = load_case(SLAB_LEAK)[0].decode()

    def oom603(release: str) -> str:
        event = analyze(text.replace("6.1.0-50-arm64", release).encode()).events[0]
        steps = [s for f in event.findings if f.code == "OOM603" for s in f.remediation]
        return next(s for s in steps if "slub_debug=U,kmalloc-N" in s)

    assert "/sys/kernel/debug/slab/kmalloc-N/alloc_traces" in oom603("6.1.0-50-arm64")
    assert "/sys/kernel/debug/slab/kmalloc-N/alloc_traces" in oom603("5.14.0-50-arm64")
    old = oom603("5.13.0-50-arm64")
    assert "/sys/kernel/slab/kmalloc-N/alloc_calls" in old and "debug/slab" not in old


def test_the_unreclaimable_slab_list_is_promised_from_4_15_and_only_where_printed() -> None:
    # dump_unreclaimable_slab() came with 4.15 ('mm: oom: show unreclaimable slab info when
    # unreclaimable slabs > user memory'), printed in a global OOM when unreclaimable slab exceeds
    # the LRU pages, with CONFIG_SLAB or CONFIG_SLUB_DEBUG; the steps said "on 5.x+ the report lists it"
    assert not is_held_out(SLAB_NO_LIST)
    text = load_case(SLAB_NO_LIST)[0].decode()  # 5.4.69 OpenWrt, no list in the paste

    def first(release: str) -> str:
        event = analyze(text.replace("5.4.69 #0", release).encode()).events[0]
        return next(s for f in event.findings if f.code == "OOM219" for s in f.remediation)

    step = first("5.4.69 #0")
    assert "5.x" not in step and "this paste shows no 'Unreclaimable slab info' list" in step
    assert "from 4.15" in step and "exceeds the LRU pages" in step
    assert "before 4.15) prints no 'Unreclaimable slab info'" in first("4.14.0 #0")
    assert "this paste shows no" in first("4.15.0 #0")
    # where the report carries the list, the step points at it
    listed = _steps(SLAB_LEAK, "OOM603")[0]
    assert "the 'Unreclaimable slab info' in the report lists the biggest" in listed


def test_a_memory_cgroup_bounds_page_tables_only_where_they_are_charged_to_it() -> None:
    # page-table pages are charged to the memory cgroup since 4.8 (3e79ec7ddc33, x86 first): on
    # older kernels a cgroup does not bound them, so the step must not offer it there
    case = "lab-pagetables-deb61-arm64"
    assert not is_held_out(case)
    text = load_case(case)[0].decode()

    def step(release: str) -> str:
        event = analyze(text.replace("6.1.0-50-arm64", release).encode()).events[0]
        return next(s for f in event.findings if f.code == "OOM213" for s in f.remediation if "ulimit -v" in s)

    assert "memory cgroup, where page tables are charged" in step("6.1.0-50-arm64")
    assert "memory cgroup, where page tables are charged" in step("4.8.0-1-arm64")
    assert "memory cgroup" not in step("4.7.0-1-arm64").split("(applies")[0]

"""General gaps behind the folds 1-4 misses of tests/test_fix_share.py (issue 13), each on a real
corpus input of folds 1-4 (never a fold-0 case):

- a static HugeTLB pool (OOM211): the step says how large the pool is and how much of it was in
  use, read from the Mem-Info `hugepages_total=... hugepages_free=...` lines (mm/hugetlb.c
  hugetlb_show_meminfo(), v3.10; hugetlb_show_meminfo_node(), v6.1), names the setting to lower
  (vm.nr_hugepages) and the other way out (a machine with more RAM).
"""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

HUGEPAGES_AT_BOOT = "blog-msazure-vm-hugepages-boot-oom"
HUGETLB_LAB = "lab-hugetlb-deb612-amd64"


def _steps(case: str, code: str) -> list[str]:
    assert not is_held_out(case)
    for analysed in analyze(load_case(case)[0]).events:
        for finding in analysed.findings:
            if finding.code == code:
                return list(finding.remediation)
    raise AssertionError(f"{code} did not fire on {case}")


def test_the_hugetlb_step_sizes_the_pool_from_the_hugepages_lines() -> None:
    first = _steps(HUGEPAGES_AT_BOOT, "OOM211")[0]
    # Node 0 hugepages_total=3833 hugepages_free=3833 hugepages_surp=0 hugepages_size=2048kB
    assert first.startswith("Lower vm.nr_hugepages")
    assert "3833 pages of 2048 kB" in first
    assert "none of them was in use" in first
    assert "HugePages_Rsvd" in first
    assert re.search(r"more RAM \(a larger VM or instance size\)", first)


def test_a_pool_partly_in_use_says_how_much() -> None:
    first = _steps(HUGETLB_LAB, "OOM211")[0]
    text, _ = load_case(HUGETLB_LAB)
    pools = re.findall(rb"hugepages_total=(\d+) hugepages_free=(\d+) hugepages_surp=\d+ hugepages_size=(\d+)kB", text)
    total = sum(int(t) for t, _, _ in pools if int(t))
    used = total - sum(int(f) for t, f, _ in pools if int(t))
    assert f"{total} pages of" in first
    assert ("none of them was in use" in first) if used == 0 else (f"{used} of them were in use" in first)


STK1160 = "lore-37-i686-stk1160-order6-keep-buffers"


def test_a_driver_buffer_option_is_offered_for_its_own_high_order_buffer() -> None:
    # stk1160_alloc_isoc+0x.../0x... [stk1160] in the trace of an order-6 failure: the driver's
    # keep_buffers option (drivers/media/usb/stk1160/stk1160-v4l.c, v3.7) is the way around it,
    # and it comes before the generic "update the module" step
    steps = _steps(STK1160, "OOM130")
    option = next(i for i, s in enumerate(steps) if "keep_buffers=1" in s)
    update = next(i for i, s in enumerate(steps) if s.startswith("Fix the code that makes this high-order request"))
    assert option < update
    assert "options stk1160 keep_buffers=1" in steps[option]
    assert "stk1160-v4l.c" in steps[option]


def test_driver_parameter_records_cite_a_driver_source_and_match_only_their_module() -> None:
    from knowledge import driver_params

    records = driver_params.load()
    assert len(records) >= 2
    for record in records:
        assert re.search(r"drivers/\S+\.c \(v\d", record.source), record.id
    assert driver_params.matching("stk1160", ["stk1160_alloc_isoc"]).id == "stk1160-keep-buffers"
    # the right module with another function (not the buffer's allocation), or another module
    assert driver_params.matching("stk1160", ["stk1160_read_reg"]) is None
    assert driver_params.matching("em28xx", ["stk1160_alloc_isoc"]) is None
    assert driver_params.matching("iwlwifi", [".iwl_pcie_rxq_alloc_rbs"]).id == "iwlwifi-amsdu-size-4k"


CMA_IN_LOWMEM = "lore-2014-arm-cma-lowmem-order2"
RPI_LOWMEM = "gh-raspberrypi-linux-3488"


def test_a_paste_that_names_cma_gets_the_placement_step_for_an_unmovable_lowmem_request() -> None:
    # 3.16 ARM, an order-2 GFP_KERNEL page directory (pgd_alloc) killed in lowmem; the words around
    # the report name the CMA area. CMA pageblocks never serve this request: the step places the
    # area in HighMem (95b0e655f914, 3.18, for the default area; cma=...@start-end) or shrinks it
    steps = _steps(CMA_IN_LOWMEM, "OOM101")
    cma = next(i for i, s in enumerate(steps) if s.startswith("The paste names CMA"))
    assert cma < 3
    assert "Place the CMA area in HighMem" in steps[cma]
    assert "cma=<size>@<start>-<end>" in steps[cma]
    assert "3.18" in steps[cma]


def test_no_cma_step_where_the_paste_does_not_name_cma() -> None:
    from knowledge.checks.lowmem import CMA_WORD

    # show_mem() prints `0 pages cma reserved` in reports of kernels with CMA: not a CMA area
    assert CMA_WORD.search("0 pages cma reserved") is None
    assert CMA_WORD.search("Normal free:1234kB ... free_cma:0kB") is None
    assert CMA_WORD.search("cma: Reserved 256 MiB at 0x2c000000")
    steps = _steps(RPI_LOWMEM, "OOM101")
    assert not any(s.startswith("The paste names CMA") for s in steps)


MOVABLE_ONLY_IN_WORDS = "lore-58-cpuset-movable-only-node-runc"
MOVABLE_ONLY_IN_ZONES = "lore-58-cpuset-movable-node"


def test_words_that_bind_a_task_to_a_movable_only_node_confine_an_unmovable_request() -> None:
    # runc:[2:INIT]'s GFP_HIGHUSER|__GFP_ACCOUNT page (no __GFP_MOVABLE) with only the header and
    # trace pasted; the cover letter says the container was bound to "a memory node which only has
    # movable zones". ZONE_MOVABLE never serves such a request (include/linux/gfp.h GFP_ZONE_TABLE)
    events = analyze(load_case(MOVABLE_ONLY_IN_WORDS)[0]).events
    assert events[0].findings[0].code == "OOM301"
    first = events[0].findings[0].remediation[0]
    assert first.startswith("Bind the task's memory to nodes that include a Normal zone")
    assert "cpuset.mems" in first and "ZONE_MOVABLE" in first
    # the same step, once, where the zone lines show the allowed node is movable-only
    steps = _steps(MOVABLE_ONLY_IN_ZONES, "OOM301")
    assert steps[0].startswith("Bind the task's memory to nodes that include a Normal zone")
    assert sum("movable-only" in s for s in steps) == 1


def test_movable_words_need_a_binding_and_a_movable_only_node() -> None:
    from knowledge.checks.numa import MOVABLE_ONLY_WORDS

    assert MOVABLE_ONLY_WORDS.search("bind it to a memory node which only has movable zones")
    assert MOVABLE_ONLY_WORDS.search("the node is movable-only")
    assert MOVABLE_ONLY_WORDS.search("ZONE_MOVABLE holds 4 GB") is None
    assert MOVABLE_ONLY_WORDS.search("GFP_HIGHUSER_MOVABLE") is None


RKT_PODS = "gh-coreos-bugs-1612"


def test_a_runtime_named_in_the_words_gives_its_own_lever_for_stopped_pods() -> None:
    # a header and trace of a 4.7 CoreOS OOM; the reporter's words: "a memory leak in rkt and
    # systemd" while a failing kubelet.service restarts forever. rkt keeps stopped pods until
    # rkt gc or rkt rm removes them (rkt Documentation/subcommands/gc.md, rm.md)
    steps = _steps(RKT_PODS, "OOM204")[:3]
    lever = next(s for s in steps if "rkt (CoreOS's container runtime" in s)
    assert "rkt rm --uuid-file" in lever and "rkt gc" in lever
    assert "named in the words around the log" in lever

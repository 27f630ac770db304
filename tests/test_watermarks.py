"""Watermarks both ways: an inflated vm.min_free_kbytes is found against the kernel's own value for
that machine and never raised further; raising advice is sized from the machine, not a fixed number.

Sources: mm/page_alloc.c calculate_min_free_kbytes() (int_sqrt(lowmem_kB * 16), clamp 65536
before 5.7, 262144 since); mm/khugepaged.c v6.1 set_recommended_min_free_kbytes() (11 pageblocks
per lowmem zone, at most 5 % of lowmem); include/linux/mmzone.h v5.0 (printed min includes boost).
"""

from __future__ import annotations

import re

from oomcases import load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate

ATOMIC = (
    "swapper/1: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)\n"
    "CPU: 1 PID: 0 Comm: swapper/1 Not tainted 6.1.0-57-amd64 #1\n"
    "Call Trace:\n <IRQ>\n dump_stack_lvl+0x44/0x5c\n warn_alloc+0x137/0x160\n"
)


def _analysis(text: str):  # type: ignore[no-untyped-def]
    dump = parse_text(text)
    return evaluate(dump.events[0], dump).analysis


def _as_atomic_failure(case: str) -> str:
    # the same real dump, as an order-0 GFP_ATOMIC allocation failure
    return re.sub(
        r"\S+ invoked oom-killer: gfp_mask=\S+, order=0, oom_score_adj=\S+",
        "memhog: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)",
        load_case(case)[0].decode(),
        count=1,
    )


def test_the_printed_min_includes_boost_which_is_not_min_free_kbytes() -> None:
    analysis = _analysis(load_case("gh-coliniancking-stress-ng-177")[0].decode())
    zones = [z for z in analysis.zones if z.name in ("DMA", "DMA32", "Normal") and z.min_kb is not None]
    boost = sum(z.values.get("boost", 0) for z in zones)
    assert boost > 0
    assert analysis.min_free_kbytes_estimate == sum(z.min_kb or 0 for z in zones) - boost


def test_thp_recommendation_is_the_kernels_own_value() -> None:
    analysis = _analysis(load_case("lab-min-free-kbytes-deb612-amd64")[0].decode())
    lowmem = analysis.lowmem_kb
    assert lowmem is not None
    # DMA + DMA32 with 4 kB pages: 11 * 2 MB * 2 = 45056 kB, capped at 5 % of lowmem
    assert analysis.thp_min_free_kbytes == min(45056, lowmem // 20)
    assert analysis.kernel_min_free_kbytes == max(analysis.thp_min_free_kbytes, analysis.default_min_free_kbytes)
    assert analysis.min_free_kbytes_inflated is True


def test_inflated_watermarks_are_never_raised_further() -> None:
    findings = analyze(_as_atomic_failure("lab-min-free-kbytes-deb612-amd64")).events[0].findings
    codes = [f.code for f in findings]
    assert "OOM120" in codes and "OOM121" in codes
    steps = [s for f in findings for s in f.remediation]
    assert not any(re.match(r"(Weaker option: )?Raise vm\.(min_free_kbytes|watermark_scale_factor)", s) for s in steps)
    oom121 = next(f for f in findings if f.code == "OOM121")
    assert any(s.startswith("Do not raise vm.min_free_kbytes") for s in oom121.remediation)


def test_raising_advice_names_no_fixed_number_unrelated_to_the_machine() -> None:
    findings = analyze(ATOMIC).events[0].findings
    oom121 = next(f for f in findings if f.code == "OOM121")
    step = next(s for s in oom121.remediation if "min_free_kbytes" in s)
    assert "262144" not in step and "32 GB" not in step
    assert not re.search(r"min_free_kbytes=\d", step)  # no RAM in the paste: no number at all


def test_raising_target_is_derived_from_this_machine() -> None:
    # the process-hog dump as an atomic failure: watermarks at the kernel default
    text = _as_atomic_failure("lab-process-hog-deb612-amd64")
    analysis = _analysis(text)
    assert analysis.min_free_kbytes_inflated is False
    oom121 = next(f for f in analyze(text).events[0].findings if f.code == "OOM121")
    step = next(s for s in oom121.remediation if "min_free_kbytes=" in s)
    target = int(re.search(r"min_free_kbytes=(\d+)", step).group(1))  # type: ignore[union-attr]
    assert analysis.ram_kb is not None and target <= analysis.ram_kb // 100
    assert target > (analysis.min_free_kbytes_estimate or 0)


PAGES_64K = """swapper/1: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)
CPU: 1 PID: 0 Comm: swapper/1 Not tainted 4.18.0-305.el8.{arch} #1
Mem-Info:
active_anon:1000 inactive_anon:1000 isolated_anon:0
 active_file:1000 inactive_file:1000 isolated_file:0
 unevictable:0 dirty:0 writeback:0
 slab_reclaimable:100 slab_unreclaimable:100
 mapped:100 shmem:10 pagetables:10 bounce:0
 free:2000 free_pcp:0 free_cma:0
Node 0 Normal free:128000kB min:90000kB low:112000kB high:134000kB active_anon:64000kB \
inactive_anon:64000kB active_file:64000kB inactive_file:64000kB unevictable:0kB writepending:0kB \
present:16777216kB managed:16000000kB mlocked:0kB kernel_stack:1000kB pagetables:640kB bounce:0kB \
free_pcp:0kB local_pcp:0kB free_cma:0kB
lowmem_reserve[]: 0 0 0
Node 0 Normal: 2000*64kB (UME) = 128000kB
262144 pages RAM
"""


def test_thp_pageblock_with_64k_pages_is_arm64s_pmd_and_ppc64s_huge_page() -> None:
    # arm64: pageblock = PMD = 512 MB with 64 KiB pages, so the 5 % cap applies; ppc64: the default
    # huge page size, at most 16 MB (arch/powerpc HUGETLB_PAGE_ORDER; set_pageblock_order())
    arm = _analysis(PAGES_64K.format(arch="aarch64"))
    ppc = _analysis(PAGES_64K.format(arch="ppc64le"))
    assert arm.page_kb == ppc.page_kb == 64
    assert arm.thp_min_free_kbytes == 16000000 // 20
    assert ppc.thp_min_free_kbytes == 11 * 16 * 1024

"""vm.min_free_kbytes read from the zone lines the way the kernel sets them, on real pastes (issue 13,
"Watermarks both ways"), and the step that lowers a raised value to this machine's own.

Sources: mm/page_alloc.c __setup_per_zone_wmarks() (min split by managed pages; low = min + gap,
high = low + gap, gap = min / 4 before 4.6, max(min / 4, managed * watermark_scale_factor / 10000)
since 795ae7a0de6b, v4.6); include/linux/mmzone.h min_wmark_pages() includes watermark_boost since
1c30844d2dfe (v5.0), which the zone line prints as `boost:` only since a6ea8b5b9f1c (v5.16);
boost_watermark() caps it at max(pageblock, 1.5 x high); since 974f4367dd31 (v6.1) only the zones
up to the request's highest are printed; mm/khugepaged.c set_recommended_min_free_kbytes()
(11 pageblocks per lowmem zone, at most 5 % of lowmem); arch/sparc HPAGE_SHIFT 23 (8 MB pageblocks
with 8 KiB pages).
"""

from __future__ import annotations

import re

from oomcases import load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate

OBSIDIAN = "code-lolbraa-obsidian-notater-unraid-sysrq-oom"  # 6.1.106, 32 GB, default watermarks
STEAMDECK = "lore-611-steamdeck-mhi-order7-noio-dma32"  # 6.11, GFP_DMA32 request: Normal not printed
ZONE = re.compile(r"(Node \d+ (DMA|DMA32|Normal) free:\d+kB)( boost:\d+kB)? min:(\d+)kB low:(\d+)kB high:(\d+)kB")


def _analysis(text: str):  # type: ignore[no-untyped-def]
    dump = parse_text(text)
    return evaluate(dump.events[0], dump).analysis


def _codes(text: str) -> list[str]:
    return [f.code for f in analyze(text).events[0].findings]


def _managed(line_rest: str) -> int:
    return int(re.search(r"managed:(\d+)kB", line_rest).group(1))  # type: ignore[union-attr]


def _rewrite_zones(text: str, setting_factor: float = 1.0, boost_normal: bool = False, keep_boost: bool = True) -> str:
    """The same paste with each lowmem zone's watermarks as __setup_per_zone_wmarks() would set them
    for ``setting_factor`` x the printed min, and (``boost_normal``) the Normal zone boosted to its
    cap, 1.5 x high (boost_watermark()); ``keep_boost=False`` drops the `boost:` field, as
    5.0-5.15 kernels print the line."""

    def one(line: str) -> str:
        match = ZONE.search(line)
        if not match:
            return line
        managed = _managed(line)
        w = int(int(match.group(4)) * setting_factor)
        gap = max(w // 4, managed * 10 // 10000)
        low, high = w + gap, w + 2 * gap
        boost = int(1.5 * high) if boost_normal and match.group(2) == "Normal" else 0
        field = f" boost:{boost}kB" if keep_boost else ""
        wm = f"{match.group(1)}{field} min:{w + boost}kB low:{low + boost}kB high:{high + boost}kB"
        return line[: match.start()] + wm + line[match.end() :]

    return "\n".join(one(line) for line in text.split("\n"))


def test_sparc64_8k_pages_min_free_kbytes_is_khugepageds_own_value() -> None:
    # stress-ng#177: one Normal zone of 16 GB, 8 KiB pages; min 106496 kB with a printed boost of
    # 16384 kB leaves 90112 kB = 11 pageblocks of 8 MB, exactly what khugepaged sets: not raised
    text = load_case("gh-coliniancking-stress-ng-177")[0].decode()
    analysis = _analysis(text)
    assert analysis.page_kb == 8 and analysis.pageblock_kb == 8 * 1024
    assert analysis.min_free_kbytes_estimate == 90112 == analysis.thp_min_free_kbytes
    assert analysis.min_free_kbytes_inflated is False
    assert "OOM120" not in _codes(text)


def test_a_611_report_without_its_normal_zone_reads_the_setting_from_the_printed_share() -> None:
    # GFP_DMA32 request on 6.11: the report prints DMA and DMA32 only, whose min watermarks hold
    # an eighth of the setting; their min per managed page over the lowmem of the page totals
    # gives khugepaged's value for this 16 GB machine (67584 kB: 3 zones x 11 x 2 MB)
    text = load_case(STEAMDECK)[0].decode()
    analysis = _analysis(text)
    reading = analysis.min_free_reading
    assert reading is not None and reading.extrapolated and reading.not_printed == ("Normal",)
    assert abs(analysis.min_free_kbytes_estimate - 67584) <= 0.02 * 67584
    assert analysis.thp_min_free_kbytes == 67584
    assert "OOM120" not in _codes(text)


def test_a_raised_setting_is_found_from_the_printed_share_and_said_so() -> None:
    text = _rewrite_zones(load_case(STEAMDECK)[0].decode(), setting_factor=8)
    analysis = _analysis(text)
    assert abs(analysis.min_free_kbytes_estimate - 8 * 67584) <= 0.03 * 8 * 67584
    finding = next(f for f in analyze(text).events[0].findings if f.code == "OOM120")
    assert "prints only Node 0 DMA, Node 0 DMA32" in finding.explanation
    assert "Normal" in finding.explanation.split("prints only", 1)[1]


def test_an_unprinted_boost_on_a_5_10_kernel_is_not_a_raised_setting() -> None:
    # the same 32 GB machine's report as 5.10 prints it (no `boost:` field) while kswapd has the
    # Normal zone boosted to its cap: the printed min sums to 3.8x khugepaged's value, but the
    # boost may be all of that (the low-min gap is the scale factor's 0.1 %, which hides it)
    text = load_case(OBSIDIAN)[0].decode().replace("6.1.106-Unraid", "5.10.28-Unraid")
    text = _rewrite_zones(text, boost_normal=True, keep_boost=False)
    analysis = _analysis(text)
    printed = sum(z.min_kb or 0 for z in analysis.zones)
    assert printed > 3 * analysis.kernel_min_free_kbytes
    assert analysis.min_free_reading.low_kb < 3 * analysis.kernel_min_free_kbytes
    assert "OOM120" not in _codes(text)


def test_a_raised_setting_is_still_found_under_an_unprinted_boost() -> None:
    # 8x the setting, boosted and printed the 5.10 way: min / 4 is then the gap, so 4 x (low - min)
    # is the unboosted min and the boost comes out exactly
    text = load_case(OBSIDIAN)[0].decode().replace("6.1.106-Unraid", "5.10.28-Unraid")
    text = _rewrite_zones(text, setting_factor=8, boost_normal=True, keep_boost=False)
    analysis = _analysis(text)
    assert abs(analysis.min_free_kbytes_estimate - 8 * 67576) <= 0.01 * 8 * 67576
    assert analysis.min_free_reading.boost_inferred
    assert "OOM120" in _codes(text)


def test_the_lowering_step_names_this_machines_own_value() -> None:
    # 512 MB VM with THP: the kernel itself sets khugepaged's 5 % of lowmem (22837 kB), not the
    # sqrt default (2703 kB): lowering to the latter would be undone at the next khugepaged start
    text = load_case("lab-min-free-kbytes-deb612-amd64")[0].decode()
    analysis = _analysis(text)
    finding = analyze(text).events[0].findings[0]
    assert finding.code == "OOM120"
    step = finding.remediation[0]
    own = analysis.kernel_min_free_kbytes
    assert own == analysis.thp_min_free_kbytes == analysis.min_free_lowmem_kb // 20
    assert f"sysctl -w vm.min_free_kbytes={own}" in step
    assert f"{analysis.default_min_free_kbytes} kB with THP off" in step
    assert "TuneD" in step and "/usr/lib/tuned" in step


def test_the_reserve_is_the_cause_when_a_zone_would_have_served_the_kill() -> None:
    text = load_case("lab-min-free-kbytes-deb612-amd64")[0].decode()
    finding = analyze(text).events[0].findings[0]
    assert finding.code == "OOM120" and finding.role == "root-cause"
    assert "With the kernel's own value Node 0 DMA32 would have served this request" in finding.explanation


def test_an_atomic_failure_is_not_read_as_served_by_the_own_value() -> None:
    # the same dump as an order-0 GFP_ATOMIC failure: opportunistic, so no zone is said to have
    # been able to serve it (the reserve is still the cause by its size: 35 % of lowmem)
    text = re.sub(
        r"\S+ invoked oom-killer: gfp_mask=\S+, order=0, oom_score_adj=\S+",
        "memhog: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)",
        load_case("lab-min-free-kbytes-deb612-amd64")[0].decode(),
        count=1,
    )
    finding = next(f for f in analyze(text).events[0].findings if f.code == "OOM120")
    assert "would have served" not in finding.explanation
    assert finding.role == "root-cause"


def test_the_lowering_step_is_among_the_first_three_when_the_reserve_is_a_cause_ranked_second() -> None:
    # the lab dump with a smaller raise (0.45 x the printed setting, still 3x the kernel's own) and
    # DMA32 just below its min: the runaway memhog ranks first with three steps of its own, and
    # the setting (with the kernel's own value DMA32 would have served the kill) is a cause too:
    # its lowering step is brought to third place (order_steps rule 2b), never left fourth
    text = _rewrite_zones(load_case("lab-min-free-kbytes-deb612-amd64")[0].decode(), setting_factor=0.45)
    match = re.search(r"Node 0 DMA32 free:(\d+)kB boost:0kB min:(\d+)kB", text)
    assert match is not None
    text = text.replace(f"DMA32 free:{match.group(1)}kB", f"DMA32 free:{int(match.group(2)) - 500}kB", 1)
    event = analyze(text).events[0]
    codes = [f.code for f in event.findings]
    assert codes.index("OOM120") > 0 and event.findings[codes.index("OOM120")].role == "root-cause"
    steps = [s for f in event.findings for s in f.remediation]
    assert any(s.startswith("Lower vm.min_free_kbytes") for s in steps[:3])


def test_a_cpuset_reports_zones_of_its_own_node_only_and_the_setting_is_read_from_their_share() -> None:
    # two-node VM, the task's cpuset allows node 0: show_mem skips node 1 (SHOW_MEM_FILTER_NODES),
    # so node 0's min watermarks hold about half the setting; read over the lowmem of the page
    # totals it is the kernel's sqrt default for the whole machine
    analysis = _analysis(load_case("lab-numa-cpuset-deb612-amd64")[0].decode())
    reading = analysis.min_free_reading
    assert reading is not None and reading.extrapolated and not reading.not_printed
    assert {label.split()[1] for label in reading.zones} == {"0"}
    assert (
        abs(analysis.min_free_kbytes_estimate - analysis.default_min_free_kbytes)
        <= 0.05 * analysis.default_min_free_kbytes
    )


# A RHEL 8 aarch64 64 KiB-page report with THP: khugepaged's value is 5 % of lowmem (11 pageblocks
# of 512 MB exceed it), about 800 MB on 16 GB, the figure scylladb/seastar PR #1747 reports for
# such a system; built on tests/test_watermarks.py's PAGES_64K lines with that min in the zone
PAGES_64K_THP = """{trigger}
CPU: 1 PID: 4242 Comm: scylla Not tainted 4.18.0-305.el8.aarch64 #1
Mem-Info:
active_anon:200000 inactive_anon:1000 isolated_anon:0
 active_file:1000 inactive_file:1000 isolated_file:0
 unevictable:0 dirty:0 writeback:0
 slab_reclaimable:100 slab_unreclaimable:100
 mapped:100 shmem:10 pagetables:10 bounce:0
 free:12500 free_pcp:0 free_cma:0
Node 0 Normal free:800000kB min:800000kB low:1000000kB high:1200000kB active_anon:12800000kB \
inactive_anon:64000kB active_file:64000kB inactive_file:64000kB unevictable:0kB writepending:0kB \
present:16777216kB managed:16000000kB mlocked:0kB kernel_stack:1000kB pagetables:640kB bounce:0kB \
free_pcp:0kB local_pcp:0kB free_cma:0kB
lowmem_reserve[]: 0 0 0
Node 0 Normal: 12500*64kB (UME) = 800000kB
262144 pages RAM
"""
KILL = "scylla invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0"
ATOMIC_64K = "swapper/1: page allocation failure: order:0, mode:0x820(GFP_ATOMIC), nodemask=(null)"


def test_khugepageds_own_value_with_64k_pages_is_lowered_to_the_default_without_thp() -> None:
    text = PAGES_64K_THP.format(trigger=KILL)
    analysis = _analysis(text)
    assert analysis.page_kb == 64 and analysis.min_free_kbytes_estimate == analysis.thp_min_free_kbytes == 800000
    assert analysis.min_free_kbytes_inflated is True  # so no step raises it further
    finding = next(f for f in analyze(text).events[0].findings if f.code == "OOM120")
    default = analysis.default_min_free_kbytes
    assert default == 16000  # int_sqrt(16000000 * 16)
    assert finding.role == "root-cause"  # with 16000 kB the Normal zone would have served the kill
    step = finding.remediation[0]
    assert f"sysctl -w vm.min_free_kbytes={default}" in step and "/etc/sysctl.d" in step
    assert "transparent_hugepage=never" in step
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert any(s.startswith("Lower vm.min_free_kbytes") for s in steps[:3])


def test_khugepageds_value_with_4k_pages_stays_the_kernels_own() -> None:
    # the same figures with 4 KiB pages (2 MB pageblocks): 11 x 2 MB is khugepaged's value, and a
    # setting of 800 MB is then 36x it: the ordinary raised-setting reading, not the THP one
    text = PAGES_64K_THP.format(trigger=KILL).replace("aarch64", "x86_64").replace("*64kB", "*4kB")
    text = text.replace("12500*4kB", "200000*4kB").replace("262144 pages RAM", "4194304 pages RAM")
    analysis = _analysis(text)
    assert analysis.page_kb == 4 and analysis.thp_min_free_kbytes == 22528
    finding = next(f for f in analyze(text).events[0].findings if f.code == "OOM120")
    assert "khugepaged sets with transparent huge pages on a kernel with" not in finding.explanation


def test_an_atomic_failure_under_khugepageds_64k_value_leaves_it_a_contributing_factor() -> None:
    text = PAGES_64K_THP.format(trigger=ATOMIC_64K)
    finding = next(f for f in analyze(text).events[0].findings if f.code == "OOM120")
    assert finding.role == "contributing"
    assert "khugepaged sets with transparent huge pages on a kernel with 64 KiB pages" in finding.explanation

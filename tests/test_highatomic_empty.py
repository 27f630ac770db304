"""An empty highatomic reserve counted whole by the watermark check (4.4-6.11): the zone reads as
at its min watermark while its free pages are of other types, and an order-0 request OOM-kills
with that memory free. c928807f6f6b ('mm/page_alloc: keep track of free highatomic', 6.12) makes
the check take off only the reserve's free pages (Fixes: 0aaa29a56e4f, 4.4; not proposed for older
stable series: Vlastimil Babka on linux-mm, 29 October 2024).

The real input is the patch's own report, quoted in a reply (forty-sixth wave, fold 4); the rest
are its lines with one fact changed each."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import Analysis
from knowledge.diagnose import decode_gfp

CASE = "lore-612rc-highatomic-reserve-overestimate-oom"
HEADER = "[ 1.000000] a.out invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n"
CPU = "[ 1.000001] CPU: 3 PID: 4242 Comm: a.out Not tainted {release} #1\n"
ZONE = (
    "[ 1.000002] Node 0 Normal free:1482936kB boost:0kB min:410416kB low:739404kB high:1068392kB "
    "reserved_highatomic:{reserved}KB active_anon:0kB inactive_anon:0kB\n"
)
BUDDY = (
    "[ 1.000003] Node 0 Normal: 1292*4kB (ME) 1920*8kB (E) 383*16kB (UE) 220*32kB (ME) 340*64kB (E) "
    "2155*128kB (UE) 3243*256kB (UE) 615*512kB ({last}) 1*1024kB (M) 0*2048kB 0*4096kB = 1477408kB\n"
)


def _dump(release: str = "6.6.30", reserved: int = 1073152, last: str = "U") -> str:
    return HEADER + CPU.format(release=release) + ZONE.format(reserved=reserved) + BUDDY.format(last=last)


def _codes(text: str | bytes) -> list[str]:
    event = next(e for e in analyze(text).events if e.findings)
    return [f.code for f in event.findings]


def _defect_ids(text: str) -> list[str]:
    from knowledge import kernel_fixes

    dump = parse_text(text)
    event = dump.events[0]
    analysis = Analysis(event, dump, decode_gfp(event, dump))
    return [f.id for f in kernel_fixes.matches(analysis)]


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(CASE)


def test_the_patchs_own_report_is_the_known_defect() -> None:
    event = next(e for e in analyze(load_case(CASE)[0]).events if e.findings)
    top = event.findings[0]
    assert top.code == "OOM606" and top.category == "kernel_bug"
    assert "c928807f6f6b" in top.remediation[0] and "6.12" in top.remediation[0]
    assert "reserved_highatomic:1073152kB" in top.explanation
    assert "OOM601" not in [f.code for f in event.findings[:1]]


def test_an_affected_release_matches_and_a_fixed_one_does_not() -> None:
    assert "highatomic-reserve-counted-while-empty" in _defect_ids(_dump("6.6.30"))
    assert "highatomic-reserve-counted-while-empty" in _defect_ids(_dump("5.15.0-105-generic"))
    assert "highatomic-reserve-counted-while-empty" not in _defect_ids(_dump("6.12.1"))


def test_a_reserve_with_free_pages_or_a_zone_below_min_without_it_is_not_the_defect() -> None:
    # free pages in a highatomic block: the reserve was not empty, the check was right to keep it
    assert "highatomic-reserve-counted-while-empty" not in _defect_ids(_dump(last="UH"))
    # a reserve too small to matter: the zone is above its floor either way
    assert "highatomic-reserve-counted-while-empty" not in _defect_ids(_dump(reserved=4096))


def test_6_12_takes_off_only_the_reserves_free_pages() -> None:
    # the zone model: 6.6 counts the whole reserve as unusable, 6.12 only its free pages ('H' blocks)
    for release, below in (("6.6.30", True), ("6.12.1", False)):
        dump = parse_text(_dump(release))
        event = dump.events[0]
        (zone,) = Analysis(event, dump, decode_gfp(event, dump)).usable_zones
        assert zone.below_min is below, release


# The order-0 fast check that left the highatomic reserve out (4.7-5.8; f27ce0e14088 in 5.9): the
# thread's own Android reports (4.14 and a 4.19-based kernel, fold 3), every free page of Normal in
# '(H)' blocks when an atomic and a kswapd order-0 request failed.
FAST = "lore-419-arm64-highatomic-watermark-fast-atomic-order0"
ATOMIC = (
    "[ 5.000000] Binder:9343_3: page allocation failure: order:0, mode:0x480020(GFP_ATOMIC), nodemask=(null)\n"
    "[ 5.000001] CPU: 4 PID: 1221 Comm: Binder:9343_3 Not tainted {release} #1\n"
    "[ 5.000002] Normal free:14040kB min:7440kB low:94500kB high:98136kB reserved_highatomic:32768KB "
    "active_anon:447336kB inactive_anon:261668kB\n"
    "[ 5.000003] Normal: 860*4kB ({t}) 453*8kB ({t}) 180*16kB ({t}) 26*32kB ({t}) 34*64kB ({t}) 6*128kB ({t}) "
    "2*256kB ({t}) 0*512kB 0*1024kB 0*2048kB 0*4096kB = 14232kB\n"
)


def test_the_fast_checks_missing_reserve_is_named_on_its_own_reports() -> None:
    assert not is_held_out(FAST)
    event = next(e for e in analyze(load_case(FAST)[0]).events if e.findings)
    top = event.findings[0]
    assert top.code == "OOM606" and "f27ce0e14088" in top.remediation[0]


def test_the_fast_check_record_needs_its_releases_and_free_pages_in_highatomic_blocks() -> None:
    ids = "highatomic-not-in-watermark-fast"
    assert ids in _defect_ids(ATOMIC.format(release="4.19.81", t="H"))
    assert ids not in _defect_ids(ATOMIC.format(release="5.10.4", t="H"))  # fixed in 5.9
    assert ids not in _defect_ids(ATOMIC.format(release="4.19.81", t="UM"))  # free pages of other types

"""How classes of pastes are ranked when the first reading was the symptom, not the cause (the
top-1 misses of folds 1-4 on 2026-12-07, docs/diagnosis.md "Ranking"), each on real corpus inputs:

- a kernel defect the kernel's own numbers show - a kill score the 2.6.36-5.0 per-mille scale
  cannot give the task its table shows, a `pages shared` total below zero - is the root cause
  (OOM602, 0.8) and leads, whatever the confidence of the ordinary reading of the same figures
  (the largest task, a fragmented zone, the memory cgroup's limit);
- on a memory cgroup's OOM a known kernel defect matched to the event (OOM606) leads over the
  limit (OOM401), which holds by definition for every memcg OOM; on a global event a known defect
  keeps its place by confidence;
- a paste that holds the OOM header alone, invoked by kswapd, leads with that kernel-side clue
  (OOM602, root cause below 60 %) over the presumed user-space growth (OOM204);
- a kill line pasted alone whose victim - the largest task the OOM killer could pick - held 64 MB
  to 1 GB, with no RAM figure, reads as a machine too small for what it runs (OOM226, a prior
  below 60 % that says what to paste next), not as nothing at all or as the victim's growth alone.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.confidence import CONFIDENT

OVERFLOW = "lore-31-oom-badness-int-overflow-score1"
BYPASS = "lore-313rc1-x86_64-memcg-oom-bypass-score1010"
REFCOUNT = "lore-319-stm32-nommu-alloc-pages-exact-leak"
MEMCG_SOFT_LOCKUP = "lore-56rc5-x86_64-memcg-oom-up-soft-lockup"
GLOBAL_KNOWN_DEFECT = "lore-30-xen-iostat-order2-dma32-fragmented"
KSWAPD_HEADER = "gh-openzfs-zfs-16566"
PLAIN_HEADER = "gh-stress-ng-243"
SMALL_VICTIM = "code-theandrew168-sbs-website-bloggulus-outage-postmortem"
MID_VICTIM = "code-aleguy02-my-blog-bug-hunt-oom"
LARGE_VICTIM = "gh-nixos-nixpkgs-101732"
SCORED_SMALL = "gh-diffux-diffux-128"  # ruby, 303 MiB, score 620
SCORED_THIRD = "gh-mailcow-mailcow-dockerized-3049"  # rspamd, 527 MiB, score 310
SCORED_LARGE = "gh-dotnet-coreclr-16503"  # corerun, score 897, no RSS printed
CASES = (OVERFLOW, BYPASS, REFCOUNT, MEMCG_SOFT_LOCKUP, GLOBAL_KNOWN_DEFECT, KSWAPD_HEADER, PLAIN_HEADER)
CASES += (SMALL_VICTIM, MID_VICTIM, LARGE_VICTIM, SCORED_SMALL, SCORED_THIRD, SCORED_LARGE)


def _event(case: str):
    report = analyze(load_case(case)[0])
    return next(e for e in report.events if e.findings)


def _ranked(case: str) -> list[tuple[str, str]]:
    return [(f.code, f.role) for f in _event(case).findings]


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in CASES if is_held_out(c)]


def test_an_impossible_kill_score_leads_over_the_largest_task() -> None:
    # score 1 for a task holding 24303939 pages: oom_badness()'s int overflow, not a small task
    event = _event(OVERFLOW)
    top = event.findings[0]
    assert (top.code, top.role, top.category) == ("OOM602", "root-cause", "kernel_bug")
    # the kernel printed the score: not compressed for the missing Mem-Info
    assert top.confidence >= CONFIDENT
    assert ("OOM201", "root-cause") in _ranked(OVERFLOW)
    assert "oom: fix integer overflow of points in oom_badness" in event.findings[0].remediation[0]


def test_a_score_above_the_scale_leads_over_the_memcg_limit() -> None:
    # 3.13-rc1, score 1010 in a memcg at its limit: the charge bypass, the limit its symptom
    assert [code for code, _role in _ranked(BYPASS)][:2] == ["OOM602", "OOM401"]
    assert "1f14c1ac19aa" in _event(BYPASS).findings[0].remediation[0]


def test_a_negative_page_total_leads_over_the_fragmented_zone() -> None:
    # -46 pages shared on a no-MMU 3.19 board: pages put more often than taken (a leak), and the
    # order-6 failure on the fragmented zone (OOM130, 0.95) the symptom
    ranked = _ranked(REFCOUNT)
    assert ranked[0] == ("OOM602", "root-cause")
    assert ("OOM130", "root-cause") in ranked[1:]


def test_a_known_defect_of_a_memcg_oom_leads_over_the_limit() -> None:
    # the memcg reclaim soft lockup (e3336cab2579) told by the watchdog with a memcg kill
    ranked = [code for code, _role in _ranked(MEMCG_SOFT_LOCKUP)]
    assert ranked.index("OOM606") < ranked.index("OOM401")
    assert _event(MEMCG_SOFT_LOCKUP).findings[0].category == "kernel_bug"


def test_a_known_defect_of_a_global_event_keeps_its_place_by_confidence() -> None:
    # SLES 3.0 Xen guest: the fragmented DMA32 zone (OOM130, 0.95) stays first, the defect after
    ranked = [code for code, _role in _ranked(GLOBAL_KNOWN_DEFECT)]
    assert ranked[0] == "OOM130" and "OOM606" in ranked


def test_kswapd_in_a_header_only_paste_leads_below_confident() -> None:
    event = _event(KSWAPD_HEADER)
    top = event.findings[0]
    assert (top.code, top.role) == ("OOM602", "root-cause") and top.confidence < CONFIDENT
    assert ("OOM204", "root-cause") in _ranked(KSWAPD_HEADER)
    # the reply says it is not certain and what to paste next
    assert event.overview.missing
    # the program the person names (OpenZFS) keeps its lever among the first three steps
    assert any("OpenZFS" in step.text for _code, step in event.diagnosis.steps[:3])


def test_a_header_only_paste_from_another_task_keeps_the_presumed_growth() -> None:
    assert _ranked(PLAIN_HEADER)[0] == ("OOM204", "root-cause")


def test_a_lone_kill_line_with_a_small_victim_reads_as_a_small_machine() -> None:
    # localedef at 133 MiB, the largest task of a machine that ran out: nothing was said before
    event = _event(SMALL_VICTIM)
    top = event.findings[0]
    assert (top.code, top.category) == ("OOM226", "ram_exhausted_no_swap") and top.confidence < CONFIDENT
    steps = [step.text for _code, step in event.diagnosis.steps[:3]]
    assert steps[0].startswith("Check the machine's RAM and swap") and "swapon" in steps[1]
    # yum at 537 MiB: both readings, the small machine first
    assert [code for code, _role in _ranked(MID_VICTIM)][:2] == ["OOM226", "OOM225"]


def test_a_lone_kill_line_on_a_kernel_before_2_6_36_is_not_read_as_the_largest_task() -> None:
    # badness() before 2.6.36 scored total_vm, CPU time, age and children (mm/oom_kill.c v2.6.35):
    # its victim need not have held the most memory, so nothing follows from its size
    data, _meta = load_case(SMALL_VICTIM)
    boot = b"Linux version 2.6.35-32-generic (buildd@allspice) (gcc version 4.4.5) #67-Ubuntu SMP\n"
    report = analyze(boot + data)
    assert report.kernel == "2.6.35-32-generic"
    assert "OOM226" not in [f.code for e in report.events for f in e.findings]


def test_a_lone_kill_line_with_a_victim_of_a_gigabyte_or_more_stays_the_victims_growth() -> None:
    ranked = [code for code, _role in _ranked(LARGE_VICTIM)]
    assert "OOM226" not in ranked and ranked[0] == "OOM201"


def test_a_scored_kill_of_a_small_victim_that_held_most_of_memory_reads_as_a_small_machine() -> None:
    # 'Kill process ... (ruby) score 620' and 'Killed process ... anon-rss:310612kB': a victim under
    # 1 GB that held 62 % of RAM + swap - a machine of about 490 MB in all, too small for its build
    event = _event(SCORED_SMALL)
    codes = [f.code for f in event.findings]
    assert codes[0] == "OOM226" and "OOM201" not in codes
    top = event.findings[0]
    assert top.category == "ram_exhausted_no_swap" and top.confidence < CONFIDENT
    assert "489 MiB of RAM and swap" in top.explanation
    assert any("more memory" in step.text for _code, step in event.diagnosis.steps[:3])
    # without the score the same kill line is OOM226's too (the 1 GB bar of a lone kill line)
    data = load_case(SCORED_SMALL)[0].decode()
    unscored = "\n".join(line for line in data.splitlines() if " score " not in line)
    assert [f.code for f in analyze(unscored).events[0].findings][:1] == ["OOM226"]


def test_a_scored_kill_keeps_the_victim_first_below_half_of_memory_or_from_a_gigabyte() -> None:
    # rspamd at 31 %: the rest of memory was elsewhere, the victim stays the first candidate
    assert _ranked(SCORED_THIRD)[0][0] == "OOM201"
    # the same paste at 62 % is a small machine (the score is the only figure that changed)
    data = load_case(SCORED_THIRD)[0].decode()
    assert " score 310 " in data
    assert (
        _ranked_text(data.replace(" score 310 ", " score 620 ").replace("rspamd updated yesterday", "x"))[0][0]
        == "OOM226"
    )
    # a score-only kill line is never confident: a share does not tell growth from a small machine
    top = _event(SCORED_LARGE).findings[0]
    assert top.code == "OOM201" and top.confidence < CONFIDENT


def _ranked_text(text: str) -> list[tuple[str, str]]:
    event = next(e for e in analyze(text).events if e.findings)
    return [(f.code, f.role) for f in event.findings]


def test_the_step_to_reproduce_without_a_module_needs_a_module_or_debugger() -> None:
    # the numbers' defects (no module in the trace, not tainted) and a header-only kswapd kill
    # tainted P OE (an out-of-tree module loaded, ZFS): the step only where a module is in view
    def without(case: str) -> bool:
        found = next(f for f in _event(case).findings if f.code == "OOM602")
        return any(s.startswith("Weaker option: Reproduce without") for s in found.remediation)

    assert not without(REFCOUNT) and not without(OVERFLOW)
    assert without(KSWAPD_HEADER)


def test_the_scored_small_victim_uses_oom226s_bars() -> None:
    # OOM201 stands aside for OOM226 by OOM226's own bars for a small victim: one number in two records
    from knowledge.catalogue import load

    params = {record.code: record.params for record in load()}
    assert params["OOM201"]["min_victim_kb"] == params["OOM226"]["min_victim_kb"]
    assert params["OOM201"]["small_victim_kb"] == params["OOM226"]["max_victim_kb"]

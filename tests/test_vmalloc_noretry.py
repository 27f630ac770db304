"""OOM609: a vmalloc told not to retry that gave up part-way (kernel bugzilla 200651, fold 1: a
lone `vmalloc: allocation failure, allocated X of Y bytes, mode:...(GFP_KERNEL|__GFP_NORETRY)` line
drew no finding at all)."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze

CASE = "lore-414-bz200651-xt-table-vmalloc-noretry"


def _codes(text: bytes) -> list[str]:
    return [f.code for e in analyze(text).events for f in e.findings]


def test_partial_noretry_vmalloc_names_the_callers_flags() -> None:
    # the known x_tables defect (kernel_fixes xt-alloc-table-info-vmalloc-noretry, tied by this
    # line) comes first with its fix; OOM609 reads the flags and the partial allocation after it
    event = analyze(load_case(CASE)[0]).events[0]
    assert event.findings[0].code == "OOM606"
    assert "do not fail xt_alloc_table_info too easilly" in event.findings[0].remediation[0]
    finding = next(f for f in event.findings if f.code == "OOM609")
    assert "__GFP_NORETRY" in finding.explanation and "2.9 MiB" in finding.explanation
    assert finding.remediation[0].startswith("Update the kernel")


def test_without_noretry_the_flags_are_not_blamed() -> None:
    text = load_case(CASE)[0].replace(b"mode:0x14010c0(GFP_KERNEL|__GFP_NORETRY)", b"mode:0x14000c0(GFP_KERNEL)")
    assert "OOM609" not in _codes(text)


def test_a_whole_area_failure_is_not_a_partial_one() -> None:
    # `vmalloc: allocation failure: N bytes`: the address range itself, before any page was backed
    assert "OOM609" not in _codes(load_case("code-google-syzkaller-report199")[0])

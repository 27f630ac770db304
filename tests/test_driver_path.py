"""OOM608: a loadable module is implicated (in the call trace, out of tree on a tainted kernel) and
the numbers are not an ordinary shortage (unreclaimable slab or memory no counter explains holds
much of RAM, the processes little): the steps give the module's path - its fixed release where
kernel_fixes.yaml knows one, else update, a known-good kernel, a report upstream with the data to
attach, and what to paste to confirm. A single tie to the module is said to be unsure.

Real inputs: folds 1-4 corpus cases; the positive fixture is tests/cases/slab-leak-out-of-tree-module.log
(lab-slab-sockleak-deb61-arm64 with the socket frames made an out-of-tree module's, README there).
"""

from __future__ import annotations

from pathlib import Path

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.clues import TRACE_MODULE

FIXTURE = Path(__file__).resolve().parent / "cases" / "slab-leak-out-of-tree-module.log"
SLAB_LEAK = "lab-slab-sockleak-deb61-arm64"
I40E = "lore-419-i40e-ringparam-order5-patch"
LKRG = "gh-lkrg-106"


def _findings(text: str):
    return analyze(text.encode()).events[0].findings


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (SLAB_LEAK, I40E, LKRG) if is_held_out(c)]


def test_an_out_of_tree_module_in_the_trace_of_a_slab_leak_gets_the_module_path_first() -> None:
    findings = _findings(FIXTURE.read_text())
    top = findings[0]
    assert top.code == "OOM608" and top.category == "kernel_bug" and top.role == "root-cause"
    assert any(e.name == "module" and e.value == "demo_oot" for e in top.evidence)
    assert "not an ordinary shortage" in top.explanation and "unsure" not in top.explanation
    step, confirm = top.remediation[:2]
    assert step.startswith("Update demo_oot to its latest release")
    assert "previous known-good kernel" in step and "modinfo demo_oot" in step and "/proc/slabinfo" in step
    assert "demo_oot project or vendor" in step
    assert "kmemleak" in confirm and "rmmod demo_oot" in confirm
    # the generic slab finding still explains the mechanism, below the module path
    assert "OOM212" in [f.code for f in findings]


def test_one_tie_to_the_module_is_said_to_be_unsure() -> None:
    text = FIXTURE.read_text()
    # no module list and no taint: the module is in the trace, nothing says it is out of tree
    lines = [ln for ln in text.splitlines() if "Modules linked in:" not in ln]
    traced_only = "\n".join(lines).replace("Tainted: G           OE     6.1", "Not tainted 6.1")
    findings = _findings(traced_only)
    top = next(f for f in findings if f.code == "OOM608")
    assert "That tie is unsure" in top.explanation and top.role == "contributing"
    # a suspicion ranks after the slab finding that names the mechanism
    assert [f.code for f in findings].index("OOM212") < [f.code for f in findings].index("OOM608")
    assert top.remediation[0].startswith("Update demo_oot (if it is the holder - unsure")
    assert "demo_oot maintainers (MAINTAINERS" in top.remediation[0]  # not known to be out of tree
    assert top.confidence < next(f for f in _findings(text) if f.code == "OOM608").confidence


def test_no_module_or_ordinary_numbers_keep_it_silent() -> None:
    # the same slab leak without any module: the slab findings speak, not a driver path
    assert all(f.code != "OOM608" for f in _findings(load_case(SLAB_LEAK)[0].decode()))
    # a module in the trace of a high-order failure with ordinary figures (i40e), and an
    # out-of-tree module in the trace (p_lkrg) without kernel-side memory dominating
    for case in (I40E, LKRG):
        assert all(f.code != "OOM608" for e in analyze(load_case(case)[0]).events for f in e.findings), case


def test_the_slab_share_boundary() -> None:
    # 30 % of RAM is the floor: the fixture's 96000 slab pages are 73 % of 131072; at 39000 pages
    # (29.8 %) the finding is silent, at 39400 (30.1 %) it fires (the pages taken from slab are
    # counted free, so no memory goes unaccounted instead)
    text = FIXTURE.read_text()

    def slab(pages: int) -> str:
        free = 17177 + 96000 - pages
        return text.replace("slab_unreclaimable:96000", f"slab_unreclaimable:{pages}").replace(
            "free:17177 ", f"free:{free} "
        )

    below, above = slab(39000), slab(39400)
    assert all(f.code != "OOM608" for f in _findings(below))
    assert any(f.code == "OOM608" for f in _findings(above))


def test_a_frame_with_the_modules_build_id_names_the_module() -> None:
    # kernels built with CONFIG_STACKTRACE_BUILD_ID (5.14+) print `func+0x1/0x2 [mod <build id>]`
    line = "  mhi_prepare_channel+0x1c3/0x400 [mhi a96cb91daba500cc77f86bad60c1f332dc3babdf]"
    assert TRACE_MODULE.findall(line) == ["mhi"]
    event = analyze(load_case("lore-68rc3-x86-ath11k-mhi-order4-noio-resume")[0]).events[0]
    steps = [step for finding in event.findings for step in finding.remediation]
    assert any("update the mhi module" in step for step in steps)

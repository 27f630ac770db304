"""Callers that try a high order first and fall back to a smaller one (knowledge/kernel_fixes.yaml
records marked harmless, OOM502): x86-64's vmemmap PMD block (base pages since 3.10, silenced in
4.15) and TTM's page pool (smaller orders; silenced in 5.11-rc7). Each is matched on a real paste
of folds 1-4 - the vmemmap fix's own changelog in the corpus, and the radeon report of the
forty-third wave (fold 3, in the corpus since the eighth session) - and each condition that ties it fails it when changed: the order of
the attempt (an order-0 failure is the fallback itself failing), the kernel series, the kernel's
own print of the mask that dates a paste without a release, the caller giving up after the
warning, and the same warning failing again in a paste that holds an OOM kill."""

from __future__ import annotations

import re
from pathlib import Path

from oomcases import CORPUS, REPO, first_steps, is_held_out, kernel_fix_ids

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.kernel_fixes import printed_within

VMEMMAP = "lore-x86_64-vmemmap-hotplug-order9-nowarn"  # lore linux-mm 20171106092228.31098-1-mhocko
RADEON = "lore-511rc6-i386-radeon-ttm-pool-order8-nowarn"  # lore dri-devel, kernel bugzilla 211587
ION = "lore-arm64-ion-system-heap-order4-nowarn"  # an order-walking caller OOM501 reads (no record)
FRAGMENTED = "lab-fragmentation-deb612-amd64"  # a lab order-3 failure on fragmented memory
KILL = "lab-process-hog-deb612-amd64"  # a lab global OOM kill
VMEMMAP_ID = "x86-vmemmap-pmd-block-falls-back-to-base-pages"
TTM_ID = "ttm-pool-high-order-attempt-warns-5.11"


def _text(case: str) -> str:
    """A case's input: the corpus, else the held-back wave in tests/pending (not yet moved)."""
    for root in (CORPUS, REPO / "tests" / "pending"):
        path = Path(root) / case / "input.log"
        if path.is_file():
            return path.read_bytes().decode()
    raise AssertionError(f"{case} not found")


def _top(text: str, event: int = 0) -> tuple[str, float]:
    finding = analyze(text).events[event].findings[0]
    return finding.code, finding.confidence


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (VMEMMAP, RADEON, ION, FRAGMENTED, KILL) if is_held_out(c)]


def test_the_vmemmap_pmd_block_attempt_is_known_noise() -> None:
    # the changelog quotes one 'page allocation failure: order:9, mode:0x24084c0(GFP_KERNEL|
    # __GFP_REPEAT|__GFP_ZERO)' through vmemmap_alloc_block <- vmemmap_populate, no release: the
    # printed mask dates it to 4.6-4.9, inside the record's 3.10-4.14
    text = _text(VMEMMAP)
    assert kernel_fix_ids(text) == [VMEMMAP_ID]
    assert _top(text) == ("OOM502", 0.9)
    assert any("fcdaf842bd8f" in step for step in first_steps(text))


def test_the_vmemmap_record_needs_the_pmd_sized_attempt_and_a_dated_kernel() -> None:
    text = _text(VMEMMAP)
    # order 0 is the base-page fallback failing, which fails the hotplug
    assert kernel_fix_ids(text.replace("order:9,", "order:0,")) == []
    # without the kernel's own symbolic print nothing dates the paste (3.6 returned -ENOMEM)
    assert kernel_fix_ids(text.replace("(GFP_KERNEL|__GFP_REPEAT|__GFP_ZERO)", "")) == []
    # a release before the fallback, or one that carries the fix
    for release in ("3.6.0", "4.15.0"):
        named = text.replace(
            "[...]", f"[146792.281380] CPU: 12 PID: 8 Comm: kworker/u3072:1 Not tainted {release} #1", 1
        )
        assert kernel_fix_ids(named) == [], release
    named = text.replace(
        "[...]", "[146792.281380] CPU: 12 PID: 8 Comm: kworker/u3072:1 Not tainted 4.4.21-69-default #1", 1
    )
    assert kernel_fix_ids(named) == [VMEMMAP_ID]


def test_a_caller_that_gave_up_or_a_recurring_failure_with_a_kill_is_not_noise() -> None:
    text = _text(VMEMMAP)
    report = text[text.index("[146792.281354]") : text.index("and we do see many")]
    # the hotplug said it failed right after the warning
    gave_up = report + "[146792.290000] acpi PNP0C80:05: add_memory failed: -ENOMEM\n"
    assert kernel_fix_ids(gave_up) == [VMEMMAP_ID]  # the record fits; the finding declines it
    assert _top(gave_up)[0] != "OOM502"
    # an OOM kill of the same machine (a lab kill report, its release set to the series the
    # printed mask dates the warning to) after the warning once: still the known record, at half
    # its confidence (something in the paste did run out)
    kill = re.sub(r"Not tainted \S+", "Not tainted 4.4.21-69-default", _text(KILL))
    once = analyze(report + kill).events[0].findings
    assert ("OOM502", 0.45) in [(f.code, f.confidence) for f in once]
    # the same warning again (a second section, 3 s later), then the kill: not noise
    twice = analyze(report + report.replace("[146792.", "[146795.") + kill)
    assert all(f.code != "OOM502" for e in twice.events[:2] for f in e.findings)


def test_the_ttm_pool_order_walk_is_known_noise() -> None:
    # bugzilla 211587 forwarded to dri-devel: 5.11.0-rc6, an order-8 GFP_HIGHUSER|__GFP_NORETRY
    # failure in ttm_pool_alloc [ttm] under radeon_gem_create_ioctl (the last event: the dmesg;
    # bugzilla's Summary field restating the header is a quote of it, no event, while its order is
    # the dmesg's - the edited copies below change the dmesg's alone)
    text = _text(RADEON)
    assert len(parse_text(text).events) == 1
    assert kernel_fix_ids(text, event=-1) == [TTM_ID]
    assert _top(text, event=-1) == ("OOM502", 0.9)
    assert any("2b1b3e544f65" in step for step in first_steps(text, event=-1))
    # order 0 fails the buffer (-ENOMEM); 5.12 carries the fix
    assert kernel_fix_ids(text.replace("order:8,\nmode", "order:0,\nmode"), event=-1) == []
    assert (
        kernel_fix_ids(text.replace("Not tainted 5.11.0-rc6-Pentium4", "Not tainted 5.12.0-Pentium4"), event=-1) == []
    )


def test_the_controls_keep_their_reading() -> None:
    # an order-walking caller no record names keeps OOM501; a fragmented lab failure keeps OOM130
    assert kernel_fix_ids(_text(ION)) == []
    assert _top(_text(ION))[0] == "OOM501"
    assert _top(_text(FRAGMENTED))[0] == "OOM130"


def test_printed_within() -> None:
    window = ((3, 10), (4, 14))
    assert printed_within(((4, 6), (4, 10)), window) is True
    assert printed_within(((4, 15), None), window) is False
    assert printed_within(((2, 6, 18), (3, 2)), window) is False
    assert printed_within(((4, 9), None), window) is None  # partly inside: undated
    assert printed_within(None, window) is None
    # 2.x bounds compare at their own depth
    assert printed_within(((4, 6), (4, 10)), ((2, 6, 31), (4, 14))) is True


CONCOURSE = "gh-concourse-concourse-3127"  # xt_alloc_table_info printed stale and reliable


def _clues(text: str, event: int = 0) -> dict[str, str]:
    from grammar.parse import parse_text
    from knowledge.clues import clues
    from knowledge.diagnose import evaluate

    dump = parse_text(text)
    return {name: clue.detail for name, clue in clues(evaluate(dump.events[event], dump).analysis).items()}


def test_a_stale_frame_is_no_caller_with_a_fallback() -> None:
    # the radeon trace prints '? kvmalloc_node+0x43/0x6b' between the allocator and ttm_pool_alloc:
    # a leftover on the stack (kvmalloc_node() asks kmalloc with __GFP_NOWARN above a page since it
    # was added in 4.12, so it cannot have printed an order-8 warning), not the caller
    assert "vmalloc_fallback" not in _clues(_text(RADEON), event=-1)
    # a frame printed both stale and reliably is the caller (xt_alloc_table_info's vmalloc)
    assert not is_held_out(CONCOURSE)
    assert _clues(_text(CONCOURSE)).get("vmalloc_fallback") == "xt_alloc_table_info"

"""Below 60 % an answer says it is unsure and what to paste next - also when the paste already
holds the whole report, where the next thing to paste is output from the machine that tells the
candidate causes apart (knowledge/confirm.yaml), not "the whole report" again."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.catalogue import CATEGORIES
from knowledge.confidence import CONFIDENT, WHOLE_REPORT, _confirm, confirming

CASE = "lore-2629rc3-i686-rtorrent-order1-benign"  # fold 1-4: a lone order-1 refill warning, full report


def test_every_root_cause_category_says_what_confirms_it() -> None:
    assert set(_confirm()) == set(CATEGORIES) - {"unknown"}
    assert confirming("slab_unreclaimable_leak").startswith("for slab unreclaimable leak, /proc/slabinfo")
    assert confirming("unknown") == ""


def test_unsure_answer_on_a_whole_report_names_the_output_that_tells() -> None:
    assert not is_held_out(CASE)
    event = next(e for e in analyze(load_case(CASE)[0]).events if e.findings)
    overview = event.overview
    assert not overview.missing and overview.cause is not None and overview.cause.confidence < CONFIDENT
    doubt = overview.doubt
    assert doubt is not None
    assert "report alone does not confirm it" in doubt and "lacks" not in doubt
    assert WHOLE_REPORT not in doubt
    assert "grep -c 'page allocation failure'" in doubt


def test_unsure_answer_on_a_partial_paste_still_lists_the_missing_parts() -> None:
    event = next(e for e in analyze(load_case("gh-scylladb-scylladb-14721")[0]).events if e.findings)
    assert event.overview.missing
    assert "paste the parts listed under" in (event.overview.doubt or "")

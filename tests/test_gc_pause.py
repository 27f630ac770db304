"""bot.pipeline.analyze holds the cyclic garbage collector off while it works (issue 12): that is
safe only while analysis makes no reference cycles, which nothing else would free until later."""

from __future__ import annotations

import gc

import pytest
from oomcases import corpus_cases, is_held_out, load_case

import bot.pipeline
from bot.pipeline import analyze

CASES = [case for case in corpus_cases() if not is_held_out(case)][::3]


@pytest.fixture
def collector_state():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


@pytest.mark.parametrize("case", CASES)
def test_analysis_leaves_no_cyclic_garbage(case, collector_state):
    data = load_case(case)[0]
    gc.collect()
    gc.disable()
    report = analyze(data)
    for analysed in report.events:  # what the surfaces read afterwards, the findings' text too
        for finding in analysed.findings:
            assert finding.explanation is not None and finding.remediation is not None
    assert gc.collect() == 0


@pytest.mark.parametrize("case", CASES[:12])
def test_an_unread_report_leaves_no_cyclic_garbage(case, collector_state):
    # a report dropped before any finding's text is read (a summary, a count, a bench round): a
    # finding's deferred remediation holds its event's steps, which must not hold the finding back
    data = load_case(case)[0]
    gc.collect()
    gc.disable()
    report = analyze(data)
    assert any(analysed.findings for analysed in report.events)
    del report
    assert gc.collect() == 0


def test_the_collector_is_off_while_analysing_and_as_it_was_after(monkeypatch, collector_state):
    seen = []
    parse = bot.pipeline.parse_text

    def parse_text(*args, **kwargs):
        seen.append(gc.isenabled())
        return parse(*args, **kwargs)

    monkeypatch.setattr(bot.pipeline, "parse_text", parse_text)
    data = load_case(CASES[0])[0]
    gc.enable()
    analyze(data)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    analyze(data)
    assert seen == [False, False] and not gc.isenabled()  # left as someone else set it

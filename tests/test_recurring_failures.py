"""A failure the paste holds once but shows recurring, and a jumbo-frame receive buffer that keeps
failing (knowledge/checks/base.py ``recurrence``, ``report_tail_before``; OOM131's receive-ring step;
OOM900's tail of an earlier report).

On the real folds 1-4 paste of the 2006 e1000 thread (lore 44D1FEB7.2050703@arndnet.de: 2.6.17.6,
MTU 9000, order-3 GFP_ATOMIC failures from e1000_alloc_rx_buffers; the expert: raise
vm.min_free_kbytes or a 2G/2G split): the mail opens with the Mem-Info tail of an earlier report (every
kernel prints the memory report after the header and the trace), then one complete failure, and the
author's words say "page allocation failures occur". The tail names no cause and asks for nothing, the failure is not told
to be a harmless one-off, and the first step is the MTU or a larger min_free_kbytes, as Intel's driver
documentation gives for jumbo-frame receive buffers on fragmented memory. Each piece of evidence,
taken away, takes its reading with it."""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

E1000 = "lore-lkml-2006-e1000-jumbo-order3-min-free"
SAID = "page allocation failures occur"


def _text() -> str:
    return load_case(E1000)[0].decode()


def _first_steps(text: str) -> list[str]:
    # as tests/test_fix_share.py reads them: the first event of the paste that has steps
    for event in analyze(text).events:
        steps = [s for f in event.findings for s in f.remediation]
        if steps:
            return steps[:3]
    return []


def _without_tail(text: str) -> str:
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("> e:0 free:"))
    end = next(i for i, line in enumerate(lines) if "kswapd0: page allocation failure" in line)
    return "".join(lines[:start] + lines[end:])


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(E1000)


def test_recurring_jumbo_receive_failures_lead_with_the_mtu_or_min_free_kbytes() -> None:
    text = _text()
    assert SAID in text
    events = analyze(text).events
    tail, failure = events[0], events[1]
    # the earlier report's tail names no cause and asks for nothing: the complete report below is read
    assert tail.event.kind is None and not tail.findings
    top = failure.findings[0]
    assert top.code == "OOM131" and top.role == "root-cause"
    first = top.remediation[0]
    assert "e1000_alloc_rx_buffers()" in first and "32 kB buffers" in first
    assert "Lower the MTU to 1500" in first and "raise vm.min_free_kbytes" in first
    assert "harmless" not in first
    # OOM501 does not call it a lone harmless refill failure
    assert not any("Treat this single warning as harmless" in s for f in failure.findings for s in f.remediation)
    patterns = [re.compile(p, re.I) for p in load_case(E1000)[1]["fix_patterns"]]
    assert any(all(p.search(s) for p in patterns) for s in _first_steps(text)[:1])


def test_the_persons_words_make_it_recurring() -> None:
    text = _text().replace(SAID, "a page allocation failure occurs")
    failure = analyze(text).events[1]
    # the earlier report's tail alone shows it is not a one-off, but not three identical failures
    assert failure.findings[0].code != "OOM131"
    assert not any("Treat this single warning as harmless" in s for f in failure.findings for s in f.remediation)


def test_a_lone_failure_stays_a_one_off() -> None:
    text = _without_tail(_text()).replace(SAID, "a page allocation failure occurs")
    events = analyze(text).events
    assert len(events) == 1
    top = events[0].findings[0]
    assert top.code == "OOM501" and "harmless" in top.remediation[0]


def test_a_tail_with_nothing_after_it_still_asks_for_the_report() -> None:
    text = _text()
    cut = text[: text.index("> kswapd0: page allocation failure")]
    events = analyze(cut).events
    assert len(events) == 1
    assert any("Paste the complete kernel report" in s for f in events[0].findings for s in f.remediation)

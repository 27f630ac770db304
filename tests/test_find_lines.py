"""Analysis.find_lines searches the event's whole text once before looking line by line: it must
find exactly the lines a search of each line finds, whatever the pattern's anchors."""

from __future__ import annotations

import dataclasses
import re

import pytest
from oomcases import corpus_cases, is_held_out, load_case

from grammar.facts import SourceLine
from grammar.parse import parse_text
from knowledge.analysis import Analysis, required_literals

PATTERNS = [
    r"no killable processes|System is deadlocked on memory",
    r"^\S+\s+\d+KB\s+\d+KB$",  # a slab line: anchored at both ends of a line
    r"^\s*\[",
    r"kB$",
    r"\bpagefault_out_of_memory\b",
    r"mems_allowed=([\d,\-]+)",
    r"cpuset=\S+",
    r"oom(?!_)",  # lookarounds and string anchors: searched line by line
    r"(?<=\s)Node",
    r"\AMem-Info",
    r"\d\Z",
    r"free:\d+\s+\S",  # \s may cross a line end in the whole text: the line search decides
    r"sysrq|order=-1|Manual OOM execution",
]
CASES = [case for case in corpus_cases() if not is_held_out(case)][::9]


@pytest.mark.parametrize("case", CASES)
def test_find_lines_finds_what_each_line_shows(case):
    dump = parse_text(load_case(case)[0])
    for event in dump.events:
        analysis = Analysis(event, dump)
        for pattern in PATTERNS:
            regex = re.compile(pattern, re.I)
            expected = tuple(line for line in event.lines if regex.search(line.text))
            assert analysis.find_lines(pattern) == expected, (case, pattern)


def test_a_match_across_a_line_end_is_not_a_line():
    dump = parse_text(load_case(CASES[0])[0])
    event = dump.events[0]
    analysis = Analysis(event, dump)
    last, following = event.lines[0].text, event.lines[1].text
    # the end of one line and the start of the next match only in the joined text
    pattern = re.escape(last[-3:]) + r"\s+" + re.escape(following[:3])
    expected = tuple(line for line in event.lines if re.search(pattern, line.text, re.I))
    assert analysis.find_lines(pattern) == expected


def _with_line(text: str):
    dump = parse_text(load_case(CASES[0])[0])
    event = dump.events[0]
    number = event.lines[-1].number + 1
    return Analysis(dataclasses.replace(event, lines=(*event.lines, SourceLine(number, text))), dump), number


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        # the Kelvin sign and the long s fold to k and s under IGNORECASE: no ASCII shortcut then
        ("no killable processes|System is deadlocked on memory", "Out of memory and no \u212aillable processes"),
        ("Unreclaimable slab info", "Unreclaimable \u017flab info:"),
        ("cpuset=\\S+", "CPUSET=/ mems_allowed=0"),
        ("OOM kill occurred on an? \\S+ NUMA system", "oom KILL occurred on a 2-node NUMA system"),
        ("sysrq|order=-1|Manual OOM execution", "Manual OOM EXECUTION"),
    ],
)
def test_a_line_that_matches_ignoring_case_is_found(pattern, text):
    analysis, number = _with_line(text)
    assert re.search(pattern, text, re.I)
    assert [line.number for line in analysis.find_lines(pattern)][-1:] == [number]


def test_required_literals():
    assert required_literals("no killable processes|System is deadlocked", re.I) == (
        "no killable processes",
        "system is deadlocked",
    )
    assert required_literals("cpuset=\\S+", re.I) == ("cpuset=",)
    assert required_literals("occurred on an? \\S+", 0) == ("occurred on a",)  # n is optional
    assert required_literals("^\\S+\\s+\\d+KB$", re.I) is None
    assert required_literals("a(b|c)d|e", 0) is None  # the | is inside a group
    assert required_literals("no killable processes", re.I | re.X) is None
    # the text after a leading group is in every match, whatever the group matched
    assert required_literals("(^|: )Killed process 1 \\(", 0) == ("Killed process 1 ",)
    assert required_literals("(?:^|\\] )Out of memory: Kill", re.I) == ("out of memory: kill",)
    assert required_literals("(?<=\\s)oom-kill:constraint=\\S+", 0) == ("oom-kill:constraint=",)
    assert required_literals("([a-z)]+ )?page allocation failure", 0) == ("page allocation failure",)
    assert required_literals("(x)?abc|def", 0) is None  # the | makes the rest one alternative
    assert required_literals("(?i)killed process", 0) is None  # an inline flag changes the case
    assert required_literals("(a)\\d+ kB", 0) is None  # no plain text right after the group


def test_kernel_fix_messages_are_screened_by_a_literal():
    """Every kernel_fixes.yaml `log` pattern is looked for by a literal it needs before any regex
    runs (Analysis.matching_lines): one without was searched line by line in every event, which
    cost about 8 % of a dump's work for `(^|: )Killed process 1 \\(` before the text after a leading
    group counted. The one exception's literal is in its middle."""
    from knowledge.kernel_fixes import load

    unscreened = {f.id for f in load() if f.log is not None and required_literals(f.log.pattern, f.log.flags) is None}
    assert unscreened <= {"xt-alloc-table-info-vmalloc-noretry"}, unscreened

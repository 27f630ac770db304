"""Analysis.find_lines searches the event's whole text once before looking line by line: it must
find exactly the lines a search of each line finds, whatever the pattern's anchors."""

from __future__ import annotations

import re

import pytest
from oomcases import corpus_cases, is_held_out, load_case

from grammar.parse import parse_text
from knowledge.analysis import Analysis

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

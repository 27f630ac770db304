"""A general gap the seventh wave showed (issue 13), on a real corpus input of folds 1-4:

- the last rows of a task dump pasted above the kill line are a cut of the table, not the table:
  when the kill line's victim has no row among them and held more than any of them, the victim is
  the process that held the memory (the OOM killer lists every eligible task and kills the one it
  scored highest), so the hog reading comes from the kill line, not from the largest pasted row.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

MATRIXONE = "gh-matrixorigin-matrixone-6527"
HEADER = "[1942275.993640] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name\n"


def _event(data: bytes):
    return next(e for e in analyze(data).events if e.findings)


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(MATRIXONE)


def test_a_cut_task_table_does_not_hide_the_victim_that_held_the_memory() -> None:
    event = _event(load_case(MATRIXONE)[0])
    top = event.findings[0]
    assert top.category == "process_hog"
    assert "mo-service" in top.remediation[0]


def test_a_table_whose_column_header_was_pasted_is_read_as_before() -> None:
    # the same rows under the dump's column header: the table starts in the paste, so its rows are
    # what the kernel listed and the kill line's victim is not put above them
    text = load_case(MATRIXONE)[0].decode()
    first_row = "[1942275.993647] [3486277]"
    with_header = text.replace(first_row, HEADER + first_row, 1).encode()
    event = _event(with_header)
    assert event.findings[0].category != "process_hog"


def test_a_victim_smaller_than_a_pasted_row_leaves_the_rows_in_charge() -> None:
    # a row above the kill line that held more than the victim: the rows still say who was largest
    text = load_case(MATRIXONE)[0].decode()
    row = "[1942275.993647] [3486277]  1028 3486277    22573      245   151552        0             0 mysql"
    big = "[1942275.993646] [3486200]  1028 3486200 99999999 30000000 99999999        0             0 bigjob\n"
    event = _event(text.replace(row, big + row, 1).encode())
    hog = event.findings[0]
    assert not (hog.category == "process_hog" and "mo-service" in hog.remediation[0])

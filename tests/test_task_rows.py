"""Task rows read in one loop (grammar.parse._task_rows, with a row maker written for each header)
give the rows the general one-row reader gives (_task_row), for every kernel era's header, a
header with a column TaskRow does not know, and rows whose columns are not all numbers."""

from __future__ import annotations

import pytest

from grammar.parse import _task_row, _task_rows, parse_text
from grammar.transform import Item

# Headers as mm/oom_kill.c dump_tasks() prints them (the numeric columns, without pid and name).
HEADERS = {
    "6.x": "uid tgid total_vm rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj",
    "4.15": "uid tgid total_vm rss pgtables_bytes swapents oom_score_adj",
    "4.x": "uid tgid total_vm rss nr_ptes nr_pmds swapents oom_score_adj",
    "3.x": "uid tgid total_vm rss nr_ptes swapents oom_score_adj",
    "2.6": "uid tgid total_vm rss cpu oom_adj oom_score_adj",
    "unknown column": "uid tgid total_vm rss mystery swapents oom_score_adj",
    "repeated column": "uid tgid total_vm rss rss swapents oom_score_adj",
}


def _rows(width: int) -> list[str]:
    numbers = " ".join(str(100 + column) for column in range(width))
    return [f"[  {1000 + index}]  {numbers.replace('100', str(index), 1)} worker-{index}" for index in range(3)] + [
        f"[  2000]  {numbers} kworker/u16:3 two words",  # a name with spaces
        f"[  2001]  {numbers} -1000",  # a name that is a number
        "[  2002]  0 2002 " + " ".join(["x"] * (width - 2)) + " odd",  # columns that are not numbers
        f"[  2003]  {numbers}",  # no name after the numbers: the general reader decides
        f"[\t2004]\t{numbers}\tsshd",  # tabs
    ]


@pytest.mark.parametrize("era", sorted(HEADERS))
def test_rows_read_in_one_loop_are_the_general_readers(era: str) -> None:
    names = tuple(HEADERS[era].split())
    texts = _rows(len(names))
    first, *others = [Item("task_row", text, number=number) for number, text in enumerate(texts, 1)]
    first.run = tuple(others)  # a run of rows is one item, its first row's (parse.classify_lines)
    expected = []
    for number, text in enumerate(texts, 1):
        pid, _, rest = text.partition("]")
        expected.append(_task_row(int(pid.lstrip("[ \t")), rest + "\n", number, names, "6.1.0"))
    assert _task_rows([first], names, "6.1.0") == expected
    assert sum(row is not None for row in expected) >= 5  # the rows are read, not all refused


def test_a_peer_style_table_keeps_every_column() -> None:
    dump = parse_text(
        "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents"
        " oom_score_adj name\n"
        "[    274]     0   274     8511        0        1        2         3    98304      638         -1000"
        " systemd-udevd\n"
        "[    558]     0   558    58147        4        5        6         7    86016      300             0"
        " light dm\n"
    )
    (event,) = dump.events  # a task table alone is read as an event's table
    rows = event.tasks
    assert [(r.pid, r.rss_anon_pages, r.rss_shmem_pages, r.oom_score_adj, r.name) for r in rows] == [
        (274, 1, 3, -1000, "systemd-udevd"),
        (558, 5, 7, 0, "light dm"),
    ]
    assert [r.pgtables_bytes for r in rows] == [98304, 86016]
    assert all(r.nr_ptes is None and r.cpu is None and r.line for r in rows)

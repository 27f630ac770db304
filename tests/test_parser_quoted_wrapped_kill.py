"""Kill lines as people paste them in prose: a whole kernel line set in double quotes, and the
score and kill lines of a memcg kill word-wrapped at 72 columns without any log prefix (a commit
message). The lines are those of two fifth-wave corpus cases (gh-home-assistant-core-127499,
gh-kubevirt-kubevirt-2687; folds 1 and 4), and a kill line wrapped and cut short with an ellipsis by its
writer."""

from __future__ import annotations

import pytest

from bot.pipeline import analyze
from bot.render.json_out import contract_fields

KILL = (
    "Out of memory: Killed process 3931 (python3) total-vm:7641156kB, anon-rss:1416676kB, file-rss:0kB, "
    "shmem-rss:0kB, UID:0 pgtables:12132kB oom_score_adj:-300"
)


def _events(text: str) -> list[dict]:
    return [contract_fields(analysed.event) for analysed in analyze(text).events]


@pytest.mark.parametrize(("opening", "closing"), [('"', '"'), ("\u201c", "\u201d"), ('"', '".')])
def test_a_kill_line_in_double_quotes_is_read(opening: str, closing: str) -> None:
    text = f"Hello,\nI've a issue since the last upgrade.\n\n{opening}{KILL}{closing}\n\nRegards,\n"
    (event,) = _events(text)
    assert event["kind"] == "oom-kill"
    assert (event["killed_pid"], event["killed_comm"]) == (3931, "python3")
    assert (event["killed_anon_rss_kb"], event["killed_total_vm_kb"]) == (1416676, 7641156)


def test_a_quoted_sentence_is_not_a_kernel_line() -> None:
    assert _events('"Out of memory again, I said."\n') == []


WRAPPED = """killed:

Memory cgroup out of memory: Kill process 226667 (container-disk)
score 1001 or sacrifice child
Killed process 226431 (container-disk) total-vm:115804kB,
anon-rss:0kB, file-rss:3760kB, shmem-rss:0kB

With slight increase of memory allocated to the container, I no longer
"""


def test_a_word_wrapped_kill_line_is_not_swallowed_by_the_score_line() -> None:
    (event,) = _events(WRAPPED)
    assert event["kind"] == "memcg-oom"
    assert (event["killed_pid"], event["killed_comm"]) == (226431, "container-disk")
    assert (event["killed_total_vm_kb"], event["killed_anon_rss_kb"], event["killed_file_rss_kb"]) == (115804, 0, 3760)
    assert event["killed_shmem_rss_kb"] == 0


@pytest.mark.parametrize("elision", [", ...", " ...", ", \u2026", "..."])
def test_a_wrapped_kill_line_cut_short_by_its_writer_keeps_its_fields(elision: str) -> None:
    # the home-assistant kill line wrapped after total-vm in a fenced block, its writer eliding the
    # rest after anon-rss: what stands before the ellipsis is read
    text = (
        "the process was killed:\n```\nOut of memory: Killed process 3931 (python3) total-vm:7641156kB,\n"
        f"anon-rss:1416676kB{elision}\n```\n"
    )
    (event,) = _events(text)
    assert (event["killed_pid"], event["killed_comm"]) == (3931, "python3")
    assert (event["killed_total_vm_kb"], event["killed_anon_rss_kb"]) == (7641156, 1416676)
    assert event["killed_file_rss_kb"] is None  # cut by its writer: unknown, not zero

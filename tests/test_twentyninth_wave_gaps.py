"""General gaps the twenty-ninth wave showed (issue 13), on real corpus inputs of folds 1-4.

1. A `Kill process` line cut right after its pid (`Out of memory: Kill process 8`, where the
   excerpt ends): mm/oom_kill.c oom_kill_process() prints ` (comm)` right after the pid
   (`%s: Kill process %d (%s) score %u or sacrifice child`, 2.6.36-5.0, e.g. v4.15), so digits
   with nothing after them may be the start of a longer pid. As for a cut `Killed process` line
   (grammar/transform.py killed_cut), the number counts only when something after it shows that it
   ended.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.render.json_out import contract_fields
from grammar.parse import parse_text

PAI = "gh-microsoft-pai-1687"  # OpenPAI node; the description ends at `Out of memory: Kill process 8`


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(PAI)


def _text() -> str:
    return load_case(PAI)[0].decode("utf-8")


def test_a_kill_line_cut_after_the_pid_names_no_victim() -> None:
    events = [contract_fields(e) for e in parse_text(_text()).events]
    assert [e["killed_pid"] for e in events] == [8603, None]
    assert events[1]["trigger_comm"] == "kube-apiserver" and events[1]["oom_score_adj"] == 982


def test_a_pid_followed_by_its_name_or_a_space_still_counts() -> None:
    # the same line cut later: the pid ended where its ` (comm` follows it
    for tail, pid in (
        ("8596 (pyth", 8596),
        ("8596 (python) score 9", 8596),
    ):
        text = _text().replace("Out of memory: Kill process 8\n", f"Out of memory: Kill process {tail}\n")
        assert contract_fields(parse_text(text).events[1])["killed_pid"] == pid, tail

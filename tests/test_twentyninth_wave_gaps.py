"""General gaps the twenty-ninth wave showed (issue 13), on real corpus inputs of folds 1-4.

1. A `Kill process` line cut right after its pid (`Out of memory: Kill process 8`, where the
   excerpt ends): mm/oom_kill.c oom_kill_process() prints ` (comm)` right after the pid
   (`%s: Kill process %d (%s) score %u or sacrifice child`, 2.6.36-5.0, e.g. v4.15), so digits
   with nothing after them may be the start of a longer pid. As for a cut `Killed process` line
   (grammar/transform.py killed_cut), the number counts only when something after it shows that it
   ended.
2. A `Kill process N (x) score S or sacrifice child` line alone (2.6.36-5.0) was read as the
   victim holding S per mille of RAM + swap. oom_badness() adds oom_score_adj x totalpages / 1000
   to what a task holds and select_bad_process() scales the points by 1000 / totalpages
   (mm/oom_kill.c v4.15), and this line does not print the victim's oom_score_adj: where the
   paste shows another task of the same machine at a raised value (here kube-apiserver's header at
   oom_score_adj=982, a Kubernetes node), S may be mostly the victim's own setting. OOM201 then
   treats the score as it treats 1000 (confidence at most 0.5) and its first step is to check the
   victim's oom_score_adj (knowledge/checks/processes.py machine_raised_adj).
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
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


def _first(text: str):  # type: ignore[no-untyped-def]
    return analyze(text).events[0].findings[0]


def test_a_score_beside_a_raised_oom_score_adj_is_not_read_as_a_share() -> None:
    top = _first(_text())
    assert top.code == "OOM201"
    assert top.confidence <= 0.5
    assert "oom_score_adj" in top.remediation[0] and "kube-apiserver at 982" in top.remediation[0]
    assert "may be mostly that setting" in top.explanation


def test_without_a_raised_value_on_the_machine_the_score_is_a_share_again() -> None:
    # the same kill lines with the other event's header at oom_score_adj 0
    plain = _first(_text().replace("order=0, oom_score_adj=982", "order=0, oom_score_adj=0"))
    assert plain.code == "OOM201" and plain.confidence > 0.5
    assert "oom_score_adj" not in plain.remediation[0]
    # and with the kill lines alone
    alone = "\n".join(line for line in _text().splitlines() if "kube-apiserver" not in line)
    assert "oom_score_adj" not in _first(alone).remediation[0]


def test_another_machine_in_the_same_log_does_not_count() -> None:
    other = _text().replace("paigcr-a-infra-1001 kernel: kube-apiserver", "paigcr-a-worker-2002 kernel: kube-apiserver")
    assert "oom_score_adj" not in _first(other).remediation[0]

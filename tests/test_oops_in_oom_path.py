"""OOM611: the kernel crashed in its own OOM code after a kill (knowledge/findings/OOM611.yaml).

Kernel bugzilla #80881 (tests/corpus/lore-316rc5-bz80881-memcg-oom-notify-uaf, fold 2): each memcg
OOM kill is followed by a general protection fault in mem_cgroup_oom_synchronize() - a use-after-free
of the OOM notification list fixed by 2bcf2e92c391. The crash, not the limit, is the finding to lead
with; an allocation failure with no crash after it stays silent."""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text

CASE = "lore-316rc5-bz80881-memcg-oom-notify-uaf"


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(CASE)


def test_crash_lines_are_read_as_kernel_oops() -> None:
    dump = parse_text(load_case(CASE)[0])
    texts = [row.values["text"] for row in dump.context.lines if row.kind == "kernel_oops"]
    assert "general protection fault: 0000 [#1] SMP" in texts
    assert any(text.startswith("BUG: unable to handle kernel paging request") for text in texts)
    assert any(text.startswith("Oops: 0011 [#2]") for text in texts)


def test_oops_in_the_memcg_oom_path_leads_for_each_kill() -> None:
    report = analyze(load_case(CASE)[0])
    killed = [event for event in report.events if event.findings and any(f.code == "OOM611" for f in event.findings)]
    assert len(killed) == 2  # the 3.16-rc5 and the 3.12.24 kill
    for event in killed:
        top = event.findings[0]
        assert top.code == "OOM611" and top.category == "kernel_bug"
        function = dict((e.name, e.value) for e in top.evidence)["function"]
        assert function == "mem_cgroup_oom_synchronize"
        assert "mem_cgroup_oom_synchronize" in top.remediation[0]


def test_no_crash_no_finding() -> None:
    report = analyze(load_case("lore-2621mm2-bz8464-slub-order2-atomic")[0])
    assert not any(f.code == "OOM611" for event in report.events for f in event.findings)

"""Facts from the text around a dump (grammar/context.lark), clues in the trace and modules
(knowledge/clues.py), and the findings of issue 9 that use them, on real pastes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bot.pipeline import analyze
from grammar.context_facts import kubernetes_quantity_kb, size_kb
from grammar.parse import parse_text
from knowledge import surroundings
from knowledge.analysis import Analysis
from knowledge.clues import clues
from knowledge.confidence import CONFIDENT, doubt

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
CASES = ROOT / "tests" / "cases"


@cache
def report(path: Path):
    return analyze(path.read_bytes())


def corpus(case_id: str):
    return report(CORPUS / case_id / "input.log")


def first_with_findings(rep):
    return next(a for a in rep.events if a.findings)


# ----------------------------------------------------------------------------- context facts
def test_top_output_in_the_seed_post_gives_ram_and_swap_with_its_lines():
    dump = parse_text((CORPUS / "seed-whole-post" / "input.log").read_bytes())
    ram = surroundings.ram(dump)
    swap = surroundings.swap_total(dump)
    assert ram is not None and ram.kb == 33204440 and ram.source == "top"
    assert ram.lines[0].text.startswith("Mem: 33204440k total")
    assert swap is not None and swap.kb == 1959892
    used = surroundings.swap_used(dump)
    assert used is not None and used.kb == 0


def test_a_raspberry_pi_sold_with_one_ram_size_gives_the_ram_a_kill_line_fragment_lacks():
    # picam #175: two syslog kill lines and `Raspberry Pi 3 Model B Plus Rev 1.3` (cat
    # /proc/device-tree/model); a Pi 3 B+ has 1 GB, so the victim's 604 MiB is weighed (OOM201)
    dump = parse_text((CORPUS / "gh-iizukanao-picam-175" / "input.log").read_bytes())
    ram = surroundings.ram(dump)
    assert ram is not None and ram.kb == 1024 * 1024 and ram.source == "board"
    assert ram.lines[0].text == "Raspberry Pi 3 Model B Plus Rev 1.3"
    assert first_with_findings(corpus("gh-iizukanao-picam-175")).findings[0].code == "OOM201"
    # a Pi 5 comes with 2, 4, 8 or 16 GB: its `Hardware name: Raspberry Pi 5 Model B Rev 1.0 (DT)` says nothing
    pi5 = parse_text((CORPUS / "gh-raspberrypi-linux-7085" / "input.log").read_bytes())
    assert not surroundings.of(pi5, "board_model")
    assert surroundings.board_ram_mb("Raspberry Pi Zero 2 W Rev 1.0") == 512
    assert surroundings.board_ram_mb("Raspberry Pi 4 Model B Rev 1.4") is None


def test_vmalloc_lines_before_the_report_are_read_with_their_size():
    dump = parse_text((CORPUS / "gh-vel21ripn-ndpi-49" / "input.log").read_bytes())
    rows = surroundings.kernel_lines(dump, "vmalloc_failure")
    assert [r.line.number for r in rows][:2] == [1, 2]
    assert rows[0].values["bytes"] == 430080
    assert "vmap allocation for size 430080 failed" in rows[0].values["text"]


def test_kasan_report_line_is_a_clue():
    rep = corpus("code-google-syzkaller-report199")
    found = clues(Analysis(rep.events[0].event, rep.dump, rep.events[0].gfp))
    assert "kasan" in found and "KASAN" in found["kasan"].detail


def test_kubectl_describe_gives_the_limit_and_oomkilled():
    dump = parse_text((CASES / "kubectl-oomkilled-kill-line.log").read_bytes())
    limit = surroundings.memory_limit(dump)
    assert limit is not None and limit.kb == 6 * 1024 * 1024 and limit.source == "kubectl"
    assert limit.lines[0].text.strip() == "memory:  6Gi"  # the Limits entry, not the Requests one
    killed = surroundings.container_oom_killed(dump)
    assert killed and "OOMKilled" in killed[0].text


def test_a_dump_without_surrounding_output_has_no_context_figures():
    dump = parse_text((CORPUS / "lab-process-hog-deb612-amd64" / "input.log").read_bytes())
    assert surroundings.summary(dump) == {}


@pytest.mark.parametrize(
    "text, unit, kb",
    [
        ("15Gi", None, 15 * 1024 * 1024),
        ("15898", 1024**2, 15898 * 1024),
        ("16315324", 1024, 16315324),
        ("1,5G", None, int(1.5 * 1024 * 1024)),
        ("12", None, None),
        ("12X", 1024, None),
    ],
)
def test_sizes_take_the_unit_printed_or_the_command_flag(text, unit, kb):
    assert size_kb(text, unit) == kb


def test_kubernetes_quantities_are_decimal_or_binary():
    assert kubernetes_quantity_kb("512Mi") == 524288
    assert kubernetes_quantity_kb("1G") == 1000**3 // 1024
    assert kubernetes_quantity_kb("lots") is None


def test_bad_input_never_breaks_context_reading():
    for data in (b"", b"\x00\xff" * 100, b"Mem: x y z\nSwap:\n" * 50, ("free -m\n" + "Mem: 1 2 3\n").encode()):
        parse_text(data)  # must not raise


# ----------------------------------------------------------------------------- findings
def test_runaway_process_is_told_from_a_workload_that_does_not_fit():
    runaway = first_with_findings(corpus("lab-highmem-hog-deb61-686pae"))
    codes = [f.code for f in runaway.findings]
    assert runaway.findings[0].code == "OOM221" and "OOM222" not in codes
    assert "running away" in runaway.findings[0].explanation

    workload = first_with_findings(report(CASES / "workload-many-processes.log"))
    codes = [f.code for f in workload.findings]
    assert workload.findings[0].code == "OOM222" and "OOM221" not in codes
    top = workload.findings[0]
    assert "does not fit" in top.explanation and "no swap" in top.explanation
    assert any("more RAM" in step for step in top.remediation)
    assert not any("Bound it" in step for step in top.remediation)


def test_harmless_failure_says_so_and_does_not_tune():
    analysed = first_with_findings(corpus("gh-burzumishi-linux-baytrail-flexx10-12"))
    top = analysed.findings[0]
    assert top.code == "OOM501" and top.category == "benign_nowarn_failure"
    assert "not an out-of-memory condition" in top.explanation and "__GFP_NOWARN" in top.explanation
    # the verdict in the words experts use (harmless, no action), and no tuning (issue 13)
    assert top.remediation[0].startswith("Treat the warning as harmless - no action is needed")
    assert "Do not tune the system for it" in top.remediation[0]


def test_kill_with_free_memory_names_the_contradiction():
    analysed = first_with_findings(report(CASES / "kill-with-free-memory.log"))
    top = analysed.findings[0]
    assert top.code == "OOM601" and top.category == "kernel_bug"
    quoted = {e.name: e for e in top.evidence}
    assert quoted["zone"].value == "Node 0 DMA32"
    assert quoted["zone_free_kb"].value == 182032 and quoted["zone_high_kb"].value == 3872
    assert "contradicts the kill" in top.explanation
    assert any("free:182032kB" in line.text for line in quoted["zone_free_kb"].lines)


def test_numa_node_shortage_is_not_called_a_kernel_defect():
    analysed = first_with_findings(corpus("lore-30-sles-mempolicy-node0"))
    assert "OOM601" not in [f.code for f in analysed.findings]


def test_vmalloc_space_on_32bit_arm_leads_and_64bit_failure_does_not_fire():
    analysed = first_with_findings(corpus("gh-vel21ripn-ndpi-49"))
    top = analysed.findings[0]
    assert top.code == "OOM701" and top.confidence >= 0.85
    assert "vmalloc=" in top.remediation[0]
    for analysed in corpus("gh-docker-for-linux-1001").events:
        assert "OOM701" not in [f.code for f in analysed.findings]


def test_balloon_module_names_the_unaccounted_memory():
    analysed = first_with_findings(report(CASES / "unaccounted-vmw-balloon.log"))
    named = [f for f in analysed.findings if f.code == "OOM218"]
    assert named and named[0].role == "root-cause"
    assert {e.name: e.value for e in named[0].evidence}["driver"] == "vmw_balloon"
    assert "balloon" in named[0].explanation
    plain = first_with_findings(report(CASES / "unaccounted-balloon.log"))
    assert "OOM218" not in [f.code for f in plain.findings]


def test_container_tooling_says_memcg_limit_with_the_limit():
    analysed = first_with_findings(report(CASES / "kubectl-oomkilled-kill-line.log"))
    top = analysed.findings[0]
    assert top.code == "OOM403" and top.category == "memcg_limit"
    from knowledge.units import size

    assert size(6 * 1024 * 1024) in top.explanation


def test_premature_small_order_oom_is_fragmentation():
    analysed = first_with_findings(corpus("lore-47-btrfs-send-order2-kstack"))
    top = analysed.findings[0]
    assert top.code == "OOM132" and top.category == "fragmentation_high_order"
    assert "4.7 series" in top.explanation  # 4.7.0 kernel: the known premature-OOM defect
    six = first_with_findings(corpus("lab-fragmentation-deb612-amd64"))
    for finding in six.findings:
        if finding.code == "OOM132":
            assert "4.7" not in finding.explanation and not any("4.7 kernels" in s for s in finding.remediation)


# ----------------------------------------------------------------------------- honest confidence
def test_below_sixty_percent_the_reply_says_what_to_paste():
    analysed = first_with_findings(corpus("gh-openwrt-openwrt-3507"))
    assert analysed.findings[0].confidence < CONFIDENT
    text = doubt(analysed.findings, analysed.event.missing)
    assert text is not None and text.startswith("Not certain")
    assert "task table" in text  # the event's missing parts
    rendered = analyze((CORPUS / "gh-openwrt-openwrt-3507" / "input.log").read_bytes())
    from bot.render.text import render_text

    assert "To tell, paste" in render_text(rendered)


def test_a_confident_answer_has_no_doubt():
    analysed = first_with_findings(corpus("seed-rsync-32bit"))
    assert analysed.findings[0].confidence >= CONFIDENT
    assert doubt(analysed.findings, analysed.event.missing) is None


def test_inferred_findings_without_the_memory_report_stay_below_sixty_percent():
    # a large victim without the RAM size is an inference: below 60 %, ranking kept
    for case_id in ("gh-clickhouse-backup-279", "gh-tickrs-61"):
        analysed = first_with_findings(corpus(case_id))
        assert "mem-info" in analysed.event.missing
        assert analysed.findings[0].code == "OOM201"
        assert analysed.findings[0].confidence < CONFIDENT, case_id
    # the kill line's per-mille score measures the victim's share, not whether it grew or the machine
    # was too small for it: read from a score alone, OOM201 is an inference like the others. (Until
    # 2026-12-07 this test held it confident; in folds 1-4 those confident answers were right 5 times
    # in 7, both misses a VM too small for its work - the expectation was wrong, not the rule.)
    analysed = first_with_findings(corpus("gh-dotnet-coreclr-16503"))
    assert "mem-info" in analysed.event.missing
    assert analysed.findings[0].code == "OOM201" and analysed.findings[0].confidence < CONFIDENT


def test_nofs_clue_from_a_real_xfs_trace_and_its_finding():
    rep = corpus("lore-2610-nfsd-xfs-order4-recoverable")
    found = clues(Analysis(rep.events[0].event, rep.dump, rep.events[0].gfp))
    assert found["nofs_noio"].detail == "kmem_alloc"
    assert any("[xfs]" in line.text for line in found["nofs_noio"].lines)
    analysed = first_with_findings(report(CASES / "nofs-xfs-writeback.log"))
    nofs = [f for f in analysed.findings if f.code == "OOM604"]
    assert nofs and nofs[0].role == "contributing" and "xfs_buf_alloc_pages" in nofs[0].explanation


def test_an_in_tree_driver_is_not_called_out_of_tree_because_the_kernel_is_tainted():
    rep = corpus("gh-burzumishi-linux-baytrail-flexx10-12")  # Tainted: G W C O, trace through [i915]
    found = clues(Analysis(rep.events[0].event, rep.dump, rep.events[0].gfp))
    assert "gpu" in found and found["gpu"].detail == "i915"
    assert "out_of_tree" not in found


def test_ram_and_swap_from_top_output_fill_a_kill_line_fragment():
    # the seed post's real `top` summary lines, pasted above a real kill line (gh-tickrs-61 style)
    seed = (CORPUS / "seed-whole-post" / "input.log").read_text().splitlines()
    top = [line for line in seed if line.startswith(("Mem: ", "Swap: "))]
    kill = "Out of memory: Killed process 4242 (java) total-vm:30000000kB, anon-rss:29000000kB, file-rss:0kB, shmem-rss:0kB"
    rep = analyze("\n".join(top + [kill]) + "\n")
    (analysed,) = rep.events
    analysis = Analysis(analysed.event, rep.dump, analysed.gfp)
    assert analysis.ram_kb == 33204440 and analysis.swap_total_kb == 1959892
    assert analysis.ram_lines[0].text.startswith("Mem: 33204440k total")
    hog = analysed.findings[0]
    assert hog.category == "process_hog"
    quoted = {e.name: e for e in hog.evidence}
    assert quoted["hog_share"].value == round(100 * 29000000 / (33204440 + 1959892))


def test_slack_reply_states_the_doubt_escaped():
    import json

    from bot.render.blockkit import render_report

    rep = analyze((CORPUS / "gh-openwrt-openwrt-3507" / "input.log").read_bytes())
    reply = render_report(rep, analysis_id=1)
    texts = [b["text"]["text"] for b in reply.blocks if b.get("type") == "section" and "text" in b]
    doubt_text = next(t for t in texts if t.startswith("Not certain"))
    assert "To tell, paste" in doubt_text and "<" not in doubt_text
    assert json.dumps(reply.blocks)  # plain data


def test_vmalloc_larger_than_ram_is_the_callers_defect():
    rep = corpus("code-google-syzkaller-report199")
    analysed = next(a for a in rep.events if any(f.code == "OOM605" for f in a.findings))
    finding = next(f for f in analysed.findings if f.code == "OOM605")
    quoted = {e.name: e.value for e in finding.evidence}
    assert quoted["request_kb"] == 17178820608 // 1024 and quoted["request_kb"] > quoted["ram_kb"]
    assert "can never succeed" in finding.explanation
    ndpi = first_with_findings(corpus("gh-vel21ripn-ndpi-49"))
    assert "OOM605" not in [f.code for f in ndpi.findings]  # 416 KiB: the area, not the size, was short


def test_program_tags_and_the_units_systemd_names_are_read_from_the_lines_around_a_report():
    text = (
        "Sep 27 13:44:47 varnish-16 kernel: Out of memory: Kill process 1358 (netdata) score 1000 or sacrifice child\n"
        "Sep 27 13:46:19 varnish-16 varnishd[121910]: Manager got SIGTERM\n"
        "Sep 27 13:46:19 varnish-16 varnishd[121910]: Stopping Child\n"
        "Sep 27 13:46:20 varnish-16 systemd[1]: mysql.service: A process of this unit has been killed by the OOM killer.\n"
        "Sep 27 13:46:21 varnish-16 systemd[1]: nginx.service: Deactivated successfully.\n"
    )
    lines = parse_text(text).context.lines
    # one line per program (and unit): a big syslog repeats them thousands of times
    assert [(c.kind, dict(c.values)) for c in lines] == [
        ("program_tag", {"program": "varnishd", "pid": 121910}),
        ("systemd_oom", {"text": "killed by the OOM killer", "unit": "mysql.service"}),
        ("program_tag", {"program": "systemd", "pid": 1, "unit": "nginx.service"}),
    ]

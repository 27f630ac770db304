"""Workload knowledge (knowledge/workloads.yaml) names the setting to change; sizing comes from the dump."""

from __future__ import annotations

import re

import yaml
from oomcases import load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate
from knowledge.workloads import PATH, load, recognise


def test_every_record_has_levers_and_sources_and_valid_patterns() -> None:
    raw = yaml.safe_load(PATH.read_text("utf-8"))
    assert len(raw) == len(load()) >= 14
    for record in raw:
        assert record["levers"].strip() and record["sources"], record["id"]
        assert record.get("process") or record.get("cgroup"), record["id"]


def test_recognition_copes_with_the_15_character_comm_and_units() -> None:
    # the kernel prints comm truncated to 15 characters (TASK_COMM_LEN 16)
    assert recognise(["clickhouse-backup"[:15]]).id == "clickhouse-backup"  # type: ignore[union-attr]
    assert recognise(["java"], ["/system.slice/elasticsearch.service"]).id == "elasticsearch"  # type: ignore[union-attr]
    assert recognise(["java"]).id == "jvm"  # type: ignore[union-attr]
    assert recognise(["cc1plus"]).id == "build"  # type: ignore[union-attr]
    assert recognise(["bash"], ["/user.slice"]) is None

    # the 15-character comm of well-known daemons and their systemd units
    assert recognise(["php-fpm8.2"]).id == "php-fpm"  # type: ignore[union-attr]
    assert recognise(["apache2"]).id == "apache-httpd"  # type: ignore[union-attr]
    assert recognise(["clamd"]).id == "clamd"  # type: ignore[union-attr]
    assert recognise(["beam.smp"]).id == "rabbitmq"  # type: ignore[union-attr]
    assert recognise(["sh"], ["/system.slice/varnish.service"]).id == "varnish"  # type: ignore[union-attr]


def test_a_memcg_kill_of_a_jvm_names_the_heap_setting() -> None:
    findings = analyze(load_case("code-fluid-project-jira-to-11ty-infra-161")[0]).events[0].findings
    steps = [s for f in findings for s in f.remediation][:3]
    assert any("-Xmx" in s for s in steps)


def test_a_hog_step_names_the_programs_own_lever() -> None:
    findings = analyze(load_case("gh-clickhouse-backup-279")[0]).events[0].findings
    oom201 = next(f for f in findings if f.code == "OOM201")
    assert "upload_concurrency" in oom201.remediation[0]


def test_sizing_says_how_much_was_missing() -> None:
    text = load_case("lab-process-hog-deb612-amd64")[0].decode()
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    sizing = analysis.sizing
    assert sizing is not None and sizing["scope"] == "RAM" and sizing["capacity_kb"] == analysis.ram_kb
    assert sizing["target_kb"] >= sizing["demand_kb"] * 1.25 and sizing["target_kb"] % (256 * 1024) == 0
    assert sizing["missing_kb"] == max(0, sizing["target_kb"] - sizing["capacity_kb"])
    findings = analyze(text).events[0].findings
    step = next(s for f in findings if f.code == "OOM201" for s in f.remediation if s.startswith("Size RAM"))
    assert re.search(r"needs about [\d.]+ [MG]i?B, [\d.]+ [MG]i?B more than it had", step)


HEADER_ONLY = (
    "[1234.000000] {comm} invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n"
    "[1234.000050] CPU: 3 PID: 77 Comm: {comm} Not tainted 5.15.0-91-generic #101-Ubuntu\n"
)


def test_a_header_only_paste_names_the_invoking_workloads_lever_as_a_condition() -> None:
    findings = analyze(HEADER_ONLY.format(comm="redis-server")).events[0].findings
    oom204 = next(f for f in findings if f.code == "OOM204")
    steps = [s for f in findings for s in f.remediation][:3]
    assert any("maxmemory" in s and "If it is redis-server" in s and "bystander" in s for s in steps)
    # the lever does not make the guess any surer: same confidence as an unknown program
    other = analyze(HEADER_ONLY.format(comm="someprogram")).events[0].findings
    plain = next(f for f in other if f.code == "OOM204")
    assert oom204.confidence == plain.confidence
    assert not any("maxmemory" in s for f in other for s in f.remediation)


def test_the_task_charging_a_memcg_names_its_workload_when_no_victim_is_pasted() -> None:
    # memcg OOM header only (CoreOS 4.14): celery invoked it inside its own group
    findings = analyze(load_case("gh-coreos-bugs-2586")[0]).events[0].findings
    oom401 = next(f for f in findings if f.code == "OOM401")
    assert any("celery --concurrency" in s for s in oom401.remediation)

"""Summaries: host/time from log prefixes, workloads from cgroup paths, grouping, recurring
patterns, ranked actions, and `oomlens summary` on a multi-event log built from corpus cases."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from datetime import UTC

from summary_fixtures import DB_TIMES, HOG_CASE, K8S, MEMCG_CASE, corpus_text, db_dump, incident_log, utc

from bot.cli import main
from bot.incidents.build import build_summary, cause_label, duration_text
from bot.incidents.records import origin_of, parse_cgroup, records_from_report
from bot.render.summary import render_markdown, render_text, summary_dict
from bot.store import EventRecord
from grammar.stamps import read_stamp
from knowledge.units import size as size_text

REFERENCE = utc("12:00:00")  # "posted" on 2026-03-14


def parse_prefix(prefix: str, reference: float):
    """Host and time of one log prefix as a record takes them: the parser's stamp
    (grammar/stamps.py), dated against when it was posted."""
    return origin_of((read_stamp(prefix.strip()),), reference)


@pytest.mark.parametrize(
    "prefix, host, clock",
    [
        ("Mar 14 02:03:57 ip-10-0-3-17 kernel:", "ip-10-0-3-17", "02:03:57"),
        ("Mar 14 02:04:00 db-7 kernel: [    5.319060]", "db-7", "02:04:00"),
        ("Mar 14 02:04:00.378162 db-7 kernel:", "db-7", "02:04:00"),
        ("2026-03-14T02:04:17+0000 k8s-node-12 kernel:", "k8s-node-12", "02:04:17"),
        ("2026-03-14T04:04:17+02:00 k8s-node-12 kernel:", "k8s-node-12", "02:04:17"),
        ("Mar 14 02:04:06 kernel:", None, "02:04:06"),
        ("[Sat Mar 14 02:03:57 2026]", None, "02:03:57"),
        ("[    6.298745] myhost kernel:", "myhost", None),
        ("[ 5864.708440]", None, None),
        ("<4>", None, None),
    ],
)
def test_host_and_time_from_log_prefixes(prefix, host, clock):
    origin = parse_prefix(prefix, REFERENCE)
    assert origin.host == host
    assert origin.time == (utc(clock) if clock else None)


def test_syslog_without_a_year_takes_the_year_that_is_not_in_the_future():
    from datetime import datetime

    posted = datetime(2026, 1, 2, 12, 0, tzinfo=UTC).timestamp()
    origin = parse_prefix("Dec 31 23:59:00 db-3 kernel:", posted)
    assert origin.time == datetime(2025, 12, 31, 23, 59, tzinfo=UTC).timestamp()
    origin = parse_prefix("Jan  2 11:00:00 db-3 kernel:", posted)
    assert origin.time == datetime(2026, 1, 2, 11, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "path, label, pod, container, runtime, unit",
    [
        (
            "/kubepods/burstable/podfe3f7a38-b3f7-48aa-8997-a697ae3d0741/"
            "c7ebf4d756b284f6226cce820771afcf706a4e37afb77f052c61ece86d3b61f0",
            "pod fe3f7a38 / container c7ebf4d756b2",
            "fe3f7a38-b3f7-48aa-8997-a697ae3d0741",
            "c7ebf4d756b284f6226cce820771afcf706a4e37afb77f052c61ece86d3b61f0",
            None,
            None,
        ),
        (
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podfe3f7a38_b3f7_48aa_8997_a697ae3d0741.slice/"
            "cri-containerd-c7ebf4d756b284f6226cce820771afcf706a4e37afb77f052c61ece86d3b61f0.scope",
            "pod fe3f7a38 / containerd c7ebf4d756b2",
            "fe3f7a38-b3f7-48aa-8997-a697ae3d0741",
            "c7ebf4d756b284f6226cce820771afcf706a4e37afb77f052c61ece86d3b61f0",
            "containerd",
            None,
        ),
        (
            "/system.slice/docker-a59e4e7d3090c04c6ce5a4b7a8bc85228eb9b96ac00b1284643a8c7c11dda661.scope",
            "docker a59e4e7d3090",
            None,
            "a59e4e7d3090c04c6ce5a4b7a8bc85228eb9b96ac00b1284643a8c7c11dda661",
            "docker",
            None,
        ),
        (
            "/kubepods.slice/kubepods-pod0a1b2c3d_0000_1111_2222_333344445555.slice/crio-"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
            "pod 0a1b2c3d / cri-o 0123456789ab",
            "0a1b2c3d-0000-1111-2222-333344445555",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "cri-o",
            None,
        ),
        ("/system.slice/postgresql.service", "postgresql.service", None, None, None, "postgresql.service"),
        ("/lab-app", None, None, None, None, None),
        ("/", None, None, None, None, None),
    ],
)
def test_workload_from_cgroup_path(path, label, pod, container, runtime, unit):
    workload = parse_cgroup(path)
    assert (workload.label, workload.pod_uid, workload.container_id, workload.runtime, workload.unit) == (
        label,
        pod,
        container,
        runtime,
        unit,
    )


def test_a_pasted_dump_becomes_records_with_host_time_cause_and_figures():
    from bot.pipeline import analyze

    text = db_dump("02:30:10")
    report = analyze(text)
    (record,) = records_from_report(report, text, posted_at=REFERENCE, channel="C1", message_ts="1.2")
    assert (record.host, record.event_time, record.kind, record.victim_comm) == (
        "db-3",
        utc("02:30:10"),
        "memcg-oom",
        "postgres",
    )
    assert record.oom_memcg == "/lab-app" and record.channel == "C1" and record.paste is None
    assert record.figures["memcg_limit_kb"] == 65536 and record.figures["memcg_usage_kb"] == 65536
    top = report.events[0].findings[0] if report.events[0].findings else None
    assert record.top_code == (top.code if top else None) and record.category == (top.category if top else None)
    if top is not None:
        assert set(top.remediation[:1]) <= set(record.remediation)


def _rec(
    when: float,
    victim: str,
    host: str | None,
    *,
    category: str = "memcg_limit",
    limit: int | None = 4194304,
    steps: tuple[str, ...] = ("Raise the limit.",),
    ts: str | None = None,
) -> EventRecord:
    figures = {"memcg_limit_kb": limit} if limit else {}
    return EventRecord(
        event_index=0,
        posted_at=when + 5,
        event_time=when,
        victim_comm=victim,
        host=host,
        category=category,
        top_code="OOM401" if category == "memcg_limit" else "OOM201",
        kind="memcg-oom",
        figures=figures,
        remediation=steps,
        channel="C1",
        message_ts=ts,
    )


def test_patterns_are_named_plainly_and_actions_ranked_by_coverage():
    start = utc("01:00:00")
    records = [
        _rec(
            start + i * 1800, "postgres", "db-3", ts=f"{start + i:.6f}", steps=("Raise the limit.", "Count page cache.")
        )
        for i in range(5)
    ]
    records += [
        _rec(
            start + 600 + i * 60,
            "java",
            h,
            category="process_hog",
            limit=None,
            steps=("Cap the heap.", "Raise the limit."),
        )
        for i, h in enumerate(["n1", "n2", "n3"])
    ]
    records.append(_rec(start + 700, "sshd", "n1", category="process_hog", limit=None, steps=("Cap the heap.",)))
    summary = build_summary(records, title="t")
    assert [p.text for p in summary.patterns] == [
        "postgres killed 5 times on db-3 in 2 h, about every 30 min, memcg limit 4 GiB each time, "
        "cause: memory cgroup limit",
        "java killed 3 times on 3 hosts (n1, n2, n3) in 2 min, about every 1 min, cause: one process used most memory",
    ]
    assert [(a.text, a.covers) for a in summary.actions] == [
        ("Raise the limit.", 8),
        ("Count page cache.", 5),
        ("Cap the heap.", 4),
    ]
    assert [(c.label, c.count) for c in summary.by_cause] == [
        ("memory cgroup limit", 5),
        ("one process used most memory", 4),
    ]
    assert [(c.label, c.count) for c in summary.by_host][:2] == [("db-3", 5), ("n1", 2)]
    assert [t.message_ts for t in summary.threads] == [f"{start + i:.6f}" for i in range(4, -1, -1)]
    assert sum(b.total for b in summary.timeline) == 9 and summary.bucket_s == 3600


def test_units_and_durations_read_like_a_person_wrote_them():
    assert [size_text(kb) for kb in (4194304, 65536, 1536, 880, 1572864)] == [
        "4 GiB",
        "64 MiB",
        "1.5 MiB",
        "880 KiB",
        "1.5 GiB",
    ]
    assert [duration_text(s) for s in (30, 1800, 7200, 3 * 86400)] == ["under a minute", "30 min", "2 h", "3 days"]
    assert cause_label(None) == "undetermined" and cause_label("memcg_limit") == "memory cgroup limit"


def test_cli_summary_of_a_multi_event_log(tmp_path, capsys):
    from bot.pipeline import analyze

    log = tmp_path / "kern.log"
    log.write_text(incident_log())
    chart = tmp_path / "timeline.png"
    assert main(["summary", str(log), "--format", "json", "--chart", str(chart)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == len(DB_TIMES) + len(K8S) == 8
    assert [(c["label"], c["count"]) for c in data["by_host"]] == [
        ("db-3", 5),
        ("k8s-node-3", 1),
        ("k8s-node-2", 1),
        ("k8s-node-1", 1),
    ]
    assert [(c["label"], c["count"]) for c in data["by_victim"]] == [("postgres", 5), ("java", 3)]
    assert [e["when"] for e in data["events"]] == [utc(t) for t in DB_TIMES] + [utc(t) for _h, t in K8S]
    # causes are whatever the diagnosis says for each corpus case on its own
    memcg_top = analyze(corpus_text(MEMCG_CASE)).events[0].findings
    hog_top = analyze(corpus_text(HOG_CASE)).events[0].findings
    expected = {cause_label(memcg_top[0].category if memcg_top else None): 5}
    hog_label = cause_label(hog_top[0].category if hog_top else None)
    expected[hog_label] = expected.get(hog_label, 0) + 3
    assert {c["label"]: c["count"] for c in data["by_cause"]} == expected
    patterns = [p["text"] for p in data["patterns"]]
    assert patterns[0].startswith(
        "postgres killed 5 times on db-3 in 2 h, about every 30 min, /lab-app, memcg limit 64 MiB each time"
    )
    assert patterns[1].startswith("java killed 3 times on 3 hosts (k8s-node-1, k8s-node-2, k8s-node-3) in 10 min")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["summary", str(log)]) == 0
    text = capsys.readouterr().out
    assert "Recurring" in text and "What would prevent most of them" in text and "db-3" in text
    assert main(["summary", str(log), "--format", "markdown", "--since", "2026-03-14T05:00"]) == 0
    markdown = capsys.readouterr().out
    assert "3 events" in markdown and "postgres" not in markdown


def test_cli_summary_without_events_or_with_bad_input(tmp_path, capsys):
    empty = tmp_path / "empty.log"
    empty.write_text("nothing to see\n")
    assert main(["summary", str(empty)]) == 1
    assert main(["summary", str(tmp_path / "missing.log")]) == 2
    assert main(["summary", str(empty), "--since", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert "cannot read" in err and "not a date" in err and "Traceback" not in err


def test_gzip_logs_are_read(tmp_path, capsys):
    import gzip

    log = tmp_path / "kern.log.gz"
    log.write_bytes(gzip.compress(incident_log().encode()))
    assert main(["summary", str(log), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 8


def test_renderers_escape_untrusted_names():
    record = _rec(utc("01:00:00"), "x|<b>*_`", "h&<", ts="1.1")
    summary = build_summary([record, record], title="t")
    markdown = render_markdown(summary)
    assert "<b>" not in markdown and "x\\|&lt;b&gt;\\*\\_\\`" in markdown
    assert "x|<b>*_`" in render_text(summary)
    assert summary_dict(summary)["events"][0]["victim"] == "x|<b>*_`"


def test_cli_summary_reads_standard_input_once_and_keeps_hosts_and_times(monkeypatch, capsys):
    # A pipe cannot be read twice: hosts and times come from the single pass that finds the events.
    import io

    stream = io.TextIOWrapper(io.BytesIO(incident_log().encode()))
    monkeypatch.setattr(sys, "stdin", stream)
    assert main(["summary", "-", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["undated"] == 0
    assert [e["host"] for e in data["events"]] == ["db-3"] * len(DB_TIMES) + [h for h, _t in K8S]
    assert [e["when"] for e in data["events"]] == [utc(t) for t in DB_TIMES] + [utc(t) for _h, t in K8S]


def test_a_log_with_only_seconds_since_boot_is_not_dated_now(tmp_path, capsys):
    text = corpus_text("lab-panic-on-oom-deb612-amd64--dmesg-user")
    assert text.startswith("[ ")  # `dmesg` without -T: every stamp is seconds since boot
    log = tmp_path / "dmesg.log"
    # the same OOM on a second boot: printk stamps that differ by microseconds (the very same
    # records pasted twice, stamps and all, are one event - grammar.parse._same_records)
    again = re.sub(r"\[\s*(\d+\.\d{6})\]", lambda m: f"[{float(m.group(1)) + 0.000003:12.6f}]", text)
    log.write_text(text + again)
    assert main(["summary", str(log), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == data["undated"] == 2
    assert data["first"] is None and data["last"] is None and data["timeline"]["buckets"] == []
    assert [e["when"] for e in data["events"]] == [None, None]
    assert main(["summary", str(log)]) == 0
    out = capsys.readouterr().out
    assert "cannot be placed in time" in out and "time unknown" in out and "UTC" not in out


def test_records_use_the_dumps_own_page_size(tmp_path):
    from bot.cli.summary import records_from_file
    from bot.pipeline import analyze

    case = "gh-coliniancking-stress-ng-177"  # a kernel with 8 kB pages
    text = corpus_text(case)
    report = analyze(text)
    assert report.dump.page_size_kb == 8
    log = tmp_path / "kern.log"
    log.write_text(text)
    records = list(records_from_file(str(log), reference=REFERENCE))
    assert records[0].figures["ram_kb"] == report.events[0].event.ram_pages * 8

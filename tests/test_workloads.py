"""Workload knowledge (knowledge/workloads.yaml) names the setting to change; sizing comes from the dump."""

from __future__ import annotations

import re

import yaml
from oomcases import REPO, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate
from knowledge.units import size
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
    assert recognise(["prometheus"]).id == "prometheus"  # type: ignore[union-attr]
    assert recognise(["memcached"]).id == "memcached"  # type: ignore[union-attr]


def test_a_memcg_kill_of_a_jvm_names_the_heap_setting() -> None:
    findings = analyze(load_case("code-fluid-project-jira-to-11ty-infra-161")[0]).events[0].findings
    steps = [s for f in findings for s in f.remediation][:3]
    assert any("-Xmx" in s for s in steps)
    # and the JDKs that miss a cgroup v2 limit on kernels without v1 cpusets (6.12+)
    assert any("CONFIG_CPUSETS_V1" in s and "JDK-8349988" in s for s in steps)


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


def _steps(case: str) -> list[str]:
    return [s for f in analyze(load_case(case)[0]).events[0].findings for s in f.remediation]


def test_a_parallel_build_that_does_not_fit_is_told_to_run_fewer_jobs_before_buying_ram() -> None:
    # only `Kill process N (cc1plus) score 81 or sacrifice child`: many compilers, none large
    steps = _steps("gh-copperspice-copperspice-168")
    assert "cc1plus is a parallel build" in steps[0] and "number of parallel jobs" in steps[0]
    assert "ninja -jN" in steps[0] and "CPUs + 2" in steps[0]
    assert steps[1].startswith("Give the machine more RAM")


def test_a_workload_that_does_not_fit_names_the_lever_of_its_biggest_known_program() -> None:
    findings = analyze((REPO / "tests" / "cases" / "workload-many-processes.log").read_bytes()).events[0].findings
    oom222 = next(f for f in findings if f.code == "OOM222")
    assert oom222.remediation[0].startswith("Shrink the biggest program first")
    assert "postgres is PostgreSQL" in oom222.remediation[0] and "shared_buffers" in oom222.remediation[0]
    # a program no record knows keeps the generic steps only
    line = "[67664.932863] Out of memory: Kill process 19463 ({comm}) score 81 or sacrifice child\n"
    unknown = analyze(line.format(comm="someprogram")).events[0].findings
    assert next(f for f in unknown if f.code == "OOM222").remediation[0].startswith("Give the machine more RAM")
    assert not any("knowledge/workloads.yaml" in s for f in unknown for s in f.remediation)
    known = analyze(line.format(comm="cc1plus")).events[0].findings
    assert next(f for f in known if f.code == "OOM222").remediation[0].startswith("Shrink the biggest program first")


def test_a_score_of_1000_first_asks_for_the_oom_score_adj_of_the_selected_task() -> None:
    # `Kill process 1358 (netdata) score 1000 or sacrifice child`: size or oom_score_adj 1000
    steps = _steps("gh-netdata-netdata-9996")
    assert steps[0].startswith("Check netdata's oom_score_adj before blaming its size")
    assert "OOMScoreAdjust=" in steps[0] and "should survive, lower it" in steps[0]
    # below the cap the score is the task's size: no such step
    assert not any("before blaming its size" in s for s in _steps("gh-clickhouse-clickhouse-6260"))


def test_the_child_killed_in_the_selected_parents_place_names_the_workload() -> None:
    # `Kill process 16959 (AsyncBlockInput) score 947 ...` then `Killed process 19079 (clickhouse-serv)`
    steps = _steps("gh-clickhouse-clickhouse-6260")
    assert steps[0].startswith("Bound clickhouse-serv with its own memory settings: it is ClickHouse")
    assert "mark_cache_size" in steps[0] and "compile_expressions" in steps[0]


def test_a_memcg_kill_of_a_known_workload_names_its_lever_before_raising_the_limit() -> None:
    findings = analyze(load_case("code-fluid-project-jira-to-11ty-infra-161")[0]).events[0].findings
    oom401 = next(f for f in findings if f.code == "OOM401")
    assert (
        oom401.remediation[0].startswith("Size a Java virtual machine inside the limit")
        and "-Xmx" in oom401.remediation[0]
    )


def test_a_fragment_names_the_killed_workloads_lever_after_the_one_paste_step() -> None:
    # kill line and a few task rows of a MySQL host: too little for a cause
    event = analyze(load_case("gh-bitnami-vms-927")[0]).events[0]
    todo = event.overview.todo
    assert event.overview.is_fragment and todo[0].startswith("Paste from 'invoked oom-killer'")
    assert len(todo) == 2 and "if mysqld is what grew" in todo[1] and "innodb_buffer_pool_size" in todo[1]


def _renamed(case: str, comm: str) -> dict[str, tuple[str, ...]]:
    """The lab case's memory hog (memhog) renamed to a known program: steps per finding code."""
    text = re.sub(r"\bmemhog\b", comm, load_case(case)[0].decode())
    return {f.code: f.remediation for f in analyze(text).events[0].findings}


def _records(case: str, comm: str) -> dict[str, tuple[str, ...]]:
    """As ``_renamed``, but what each finding's record says before the event's steps are ordered
    (a step a higher-ranked finding already says is left out of the lower one's remediation)."""
    text = re.sub(r"\bmemhog\b", comm, load_case(case)[0].decode())
    diagnosis = analyze(text).events[0].diagnosis
    return {f.code: diagnosis.record_steps(f.code) for f in diagnosis.findings}


def _said_once(case: str, comm: str, pattern: str) -> None:
    """The event's first three steps say what ``pattern`` finds once (a finding all of whose steps
    a higher one already says keeps one of them, further down)."""
    text = re.sub(r"\bmemhog\b", comm, load_case(case)[0].decode())
    steps = [step.text for _code, step in analyze(text).events[0].diagnosis.steps][:3]
    assert sum(bool(re.search(pattern, step)) for step in steps) == 1, [s[:80] for s in steps]


def test_a_runaway_known_program_and_ram_without_swap_name_its_own_lever() -> None:
    steps = _records("lab-process-hog-deb612-amd64", "mysqld")
    assert steps["OOM221"][0].startswith("Find why mysqld grows and size it with its own settings: it is MySQL")
    assert "innodb_buffer_pool_size" in steps["OOM221"][0]
    assert steps["OOM202"][0].startswith("Give the machine more memory")
    assert "mysqld is MySQL / MariaDB" in steps["OOM202"][1] and "innodb_buffer_pool_size" in steps["OOM202"][1]
    # an unknown program keeps the generic wording
    plain = _records("lab-process-hog-deb612-amd64", "memhog")
    assert plain["OOM221"][0].startswith("Find why memhog grows: check its own memory settings")
    assert not any("knowledge/workloads.yaml" in s for s in plain["OOM202"])
    # the event says the lever once (OOM201 ranks first and names it), and more memory once
    _said_once("lab-process-hog-deb612-amd64", "mysqld", "innodb_buffer_pool_size")
    _said_once("lab-process-hog-deb612-amd64", "mysqld", r"^(Size RAM|Give the machine more memory|If what it holds)")


def test_full_swap_names_the_largest_known_programs_lever_as_a_condition() -> None:
    steps = _records("lab-swap-zram-deb61-amd64", "redis-server")
    lever = next(s for s in steps["OOM203"] if "knowledge/workloads.yaml" in s)
    assert "The largest program here, redis-server, is Redis / Valkey: if it is the one that grew" in lever
    assert "maxmemory" in lever and steps["OOM203"].index(lever) == 1


def test_threads_of_a_jvm_and_of_qemu_are_recognised_by_their_thread_names() -> None:
    # HotSpot's GC and compiler threads and QEMU's vCPU threads allocate under their own comm
    assert recognise(["GC Thread#9"]).id == "jvm"  # type: ignore[union-attr]
    assert recognise(["C2 CompilerThread0"[:15]]).id == "jvm"  # type: ignore[union-attr]
    assert recognise(["CPU 0/KVM"]).id == "vm"  # type: ignore[union-attr]
    assert recognise(["GC Thread"]) is None and recognise(["CPU 0/TCG"]) is None
    findings = analyze(load_case("gh-quaquel-pynetlogo-53")[0]).events[0].findings
    steps = [s for f in findings for s in f.remediation][:3]
    assert any("If it is GC Thread#9 (or the process it is a thread of)" in s and "-Xmx" in s for s in steps)


def test_a_protected_known_program_is_told_its_own_lever() -> None:
    # the lab's -1000 hog renamed to PostgreSQL, which is often shielded with oom_score_adj
    steps = _records("lab-oom-score-adj-deb61-amd64", "postgres")
    assert steps["OOM205"][2].startswith("Fix the protected process's memory use with its own settings: postgres is")
    assert "shared_buffers" in steps["OOM205"][2]
    _said_once("lab-oom-score-adj-deb61-amd64", "postgres", "shared_buffers")
    assert _records("lab-oom-score-adj-deb61-amd64", "memhog")["OOM205"][2].startswith(
        "Fix the protected process's memory use. "
    )


def test_a_program_the_log_names_around_a_score_of_1000_is_offered_as_the_candidate() -> None:
    # netdata selected at score 1000 (its packaging sets OOMScoreAdjust=1000); the only other
    # lines of the paste are varnishd's own (syslog program tag varnishd[121910])
    steps = _steps("gh-netdata-netdata-9996")
    assert "the paste shows varnishd (a syslog program tag), Varnish Cache" in steps[0]
    assert "-s malloc" in steps[0] and "OOMScoreAdjust=" in steps[0]


SYSLOG_HEADER_ONLY = (
    "Mar  3 10:00:00 {host} kernel: cron invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0\n"
    "Mar  3 10:00:00 {host} kernel: CPU: 7 PID: 1401 Comm: cron Not tainted 5.15.0-91-generic #101-Ubuntu\n"
    "Mar  3 10:00:05 {other} {tag}: {message}\n"
)


def _header_only(**fields: str) -> list[str]:
    values = {"host": "db-1", "other": "db-1", "tag": "mysqld[812]", "message": "ready for connections"} | fields
    return [s for f in analyze(SYSLOG_HEADER_ONLY.format(**values)).events[0].findings for s in f.remediation]


def test_a_header_only_report_names_the_workload_of_a_program_tag_on_the_same_host() -> None:
    steps = _header_only()
    assert any(
        "show mysqld (a syslog program tag), MySQL / MariaDB" in s and "innodb_buffer_pool_size" in s for s in steps[:3]
    )
    # the unit systemd logs about is matched by the records' cgroup patterns
    unit = _header_only(tag="systemd[1]", message="redis-server.service: Main process exited, code=killed")
    assert any("redis-server.service (a unit systemd logs about), Redis" in s and "maxmemory" in s for s in unit[:3])
    # another host's program, a program no record knows, and the kubelet (it logs on every node) are not candidates
    for fields in ({"other": "web-2"}, {"tag": "sshd[99]"}, {"tag": "kubelet[77]"}):
        assert not any("knowledge/workloads.yaml" in s for s in _header_only(**fields)), fields


def test_more_workloads_and_the_thread_names_their_allocations_carry_are_recognised() -> None:
    # programs whose own settings bound their memory
    for comm, record in (
        ("scylla", "scylla"),
        ("envoy", "envoy"),
        ("squid", "squid"),
        ("puma", "ruby-app"),
        ("sidekiq", "ruby-app"),
        ("etcd", "etcd"),
        ("influxd", "influxdb"),
        ("fluent-bit", "fluent-bit"),
        # threads: PyTorch's main thread, vLLM's engine, Chromium's renderer, ClickHouse's pipelines
        ("pt_main_thread", "pytorch"),
        ("VLLM::EngineCore"[:15], "gpu-inference"),
        ("CrRendererMain", "browser"),
        ("ThreadPoolForegroundWorker"[:15], "browser"),
        ("QueryPipelineEx", "clickhouse"),
        ("BgSchPool", "clickhouse"),
    ):
        assert recognise([comm]).id == record, comm  # type: ignore[union-attr]
    assert recognise(["rubyish"]) is None and recognise(["envoyd"]) is None


def test_a_step_names_the_program_rather_than_the_thread_it_was_recognised_by() -> None:
    # `Kill process 16959 (AsyncBlockInput) ...` (a ClickHouse thread name) and the killed
    # clickhouse-serv: the step names the program
    steps = _steps("gh-clickhouse-clickhouse-6260")
    assert steps[0].startswith("Bound clickhouse-serv with its own memory settings: it is ClickHouse")
    # a memcg OOM of an Envoy sidecar names the overload manager's heap limit first
    envoy = _steps("gh-cloudfoundry-garden-runc-release-193")
    assert envoy[0].startswith("Size Envoy proxy") and "max_heap_size_bytes" in envoy[0]


def test_a_known_hogs_lever_comes_with_the_room_the_dump_shows_it_has() -> None:
    # the lab hog renamed to MySQL: what it held, what the rest held, and the room left beside it
    text = re.sub(r"\bmemhog\b", "mysqld", load_case("lab-process-hog-deb612-amd64")[0].decode())
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    sizing, held = analysis.sizing, analysis.tasks[0].badness_kb
    assert sizing is not None and analysis.tasks[0].name == "mysqld"
    others = sizing["demand_kb"] - held
    expected = (
        f"At the kill it held {size(held)}, and everything else that could not be reclaimed took "
        f"{size(others)} of the {size(sizing['capacity_kb'])} of RAM: set these so that it stays well "
        f"below {size(sizing['capacity_kb'] - others)}"
    )
    steps = {f.code: f.remediation for f in analyze(text).events[0].findings}
    for code in ("OOM201", "OOM221"):
        assert expected in steps[code][0] and "innodb_buffer_pool_size" in steps[code][0], steps[code][0]
    # a score-only kill line gives a share, not the rest's figures: no room is claimed
    assert not any("stays well below" in s for s in _steps("gh-netdata-netdata-9996"))


def test_a_known_hogs_first_step_holds_its_lever_and_a_fixed_release_so_more_ram_stays_in_the_first_three() -> None:
    steps = _renamed("lab-process-hog-deb612-amd64", "mysqld")["OOM201"]
    assert "innodb_buffer_pool_size" in steps[0] and "memory leak fixed in a newer release" in steps[0]
    assert not any(s.startswith("Find out why mysqld grows") for s in steps)
    assert any(s.startswith("Size RAM (or add swap)") for s in steps[:3])
    # an unknown program keeps its own "find out why it grows" step first
    assert _renamed("lab-process-hog-deb612-amd64", "memhog")["OOM201"][0].startswith("Find out why memhog grows")


def test_a_runaway_that_may_be_legitimate_is_also_told_how_much_more_memory_would_hold_it() -> None:
    # the lab hog alone on a 512 MB Debian 12 VM without swap
    text = load_case("lab-process-hog-deb612-amd64")[0].decode()
    dump = parse_text(text)
    sizing = evaluate(dump.events[0], dump).analysis.sizing
    assert sizing is not None and sizing["missing_kb"] > 0
    diagnosis = analyze(text).events[0].diagnosis
    steps = diagnosis.record_steps("OOM221")
    ram = steps[2]
    assert ram.startswith("If what it holds is what its work legitimately needs, the machine is too small")
    assert f"about {size(sizing['target_kb'])}, {size(sizing['missing_kb'])} more than it had" in ram


def test_full_swap_sizes_the_ram_it_asks_for() -> None:
    text = load_case("lab-swap-zram-deb61-amd64")[0].decode()
    dump = parse_text(text)
    sizing = evaluate(dump.events[0], dump).analysis.sizing
    assert sizing is not None and sizing["scope"] == "RAM + swap"
    step = next(
        s for f in analyze(text).events[0].findings if f.code == "OOM203" for s in f.remediation if "add RAM" in s
    )
    assert f"against {size(sizing['capacity_kb'])} of RAM + swap" in step and size(sizing["target_kb"]) in step


def test_the_largest_top_row_beside_a_header_only_report_is_the_candidate_before_any_log_tag() -> None:
    text = SYSLOG_HEADER_ONLY.format(host="db-1", other="db-1", tag="redis-server[77]", message="Ready to accept") + (
        "top - 10:00:07 up 3 days,  1 user,  load average: 1.00, 1.00, 1.00\n"
        "  PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n"
        " 4242 mysql     20   0   12.3g  11.8g  10240 S   2.0  75.3  12:34.56 mysqld\n"
        " 4243 root      20   0    1.2g   0.2g  10240 S   2.0   1.3   2:34.56 cc1plus\n"
    )
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert any("show mysqld (the largest top row), MySQL / MariaDB" in s for s in steps[:3])
    assert not any("Redis" in s or "parallel build" in s for s in steps)


def test_copies_of_a_worker_program_are_counted_against_the_room_the_dump_shows() -> None:
    # four same-size PHP-FPM children on a 512 MB VM without swap (the lab case's programs renamed)
    text = re.sub(
        r"\b(postgres|java|node|redis-server)\b",
        "php-fpm",
        (REPO / "tests" / "cases" / "workload-many-processes.log").read_text(),
    )
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    group = analysis.task_groups[0]
    sizing = analysis.sizing
    assert group.name == "php-fpm" and len(group.pids) == 4 and sizing is not None
    room = sizing["capacity_kb"] - (sizing["demand_kb"] - group.badness_kb)
    each = group.badness_kb // 4
    fits = int(room / 1.25 // each)
    step = next(f for f in analyze(text).events[0].findings if f.code == "OOM201").remediation[0]
    assert f"The dump shows 4 of its processes at about {size(each)} each" in step
    assert f"about {fits} fit: set pm.max_children to at most that" in step and fits < 4
    # one process of a program that runs as one process (MySQL): no count
    assert not any(
        "of its processes at about" in s for s in _renamed("lab-process-hog-deb612-amd64", "mysqld")["OOM201"]
    )


TWO_REPORTS = (
    "[1234.000000] cron invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n"
    "[1234.000050] CPU: 3 PID: 77 Comm: cron Not tainted 5.15.0-91-generic #101-Ubuntu\n"
    "[1300.000000] bash invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n"
    "[1300.000050] CPU: 1 PID: 99 Comm: bash Not tainted 5.15.0-91-generic #101-Ubuntu\n"
    "[1300.100000] {kill}: Killed process 4242 (redis-server) total-vm:9000000kB, anon-rss:8000000kB, "
    "file-rss:0kB, shmem-rss:0kB, UID:999 pgtables:16000kB oom_score_adj:0\n"
)


def test_a_header_only_report_names_what_another_report_of_the_paste_killed() -> None:
    events = analyze(TWO_REPORTS.format(kill="Out of memory")).events
    assert len(events) == 2
    first = [s for f in events[0].findings for s in f.remediation]
    assert any("show redis-server (killed by another report in this paste), Redis" in s for s in first[:3])
    # a memcg kill in a group the first report does not share says nothing about it
    memcg = analyze(TWO_REPORTS.format(kill="Memory cgroup out of memory")).events
    assert not any("killed by another report" in s for f in memcg[0].findings for s in f.remediation)


# A central syslog of two database hosts (tests/corpus/FORMAT.md, logs from several hosts): web-2's
# mysqld logs before db-1's does, and each host has a report cut to its header
TWO_HOSTS = (
    "Mar  3 09:59:58 web-2 mysqld[40]: InnoDB: Buffer pool(s) load completed at 250303  9:59:58\n"
    "Mar  3 10:00:00 db-1 kernel: cron invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0\n"
    "Mar  3 10:00:00 db-1 kernel: CPU: 7 PID: 1401 Comm: cron Not tainted 5.15.0-91-generic #101-Ubuntu\n"
    "Mar  3 10:00:01 web-2 kernel: bash invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0\n"
    "Mar  3 10:00:01 web-2 kernel: CPU: 1 PID: 99 Comm: bash Not tainted 5.15.0-91-generic #101-Ubuntu\n"
    "Mar  3 10:00:05 db-1 mysqld[812]: 2025-03-03T10:00:05Z 0 [System] [MY-010931] ready for connections\n"
)


def test_each_host_of_a_multi_host_log_names_the_workload_of_its_own_program_tags() -> None:
    # the first line of each program is kept per host: web-2's line does not hide db-1's
    dump = parse_text(TWO_HOSTS)
    assert [e.host for e in dump.events] == ["db-1", "web-2"]
    for event, line in zip(dump.events, (6, 1), strict=True):
        named = evaluate(event, dump).analysis.named_workload
        assert named is not None and named[0].id == "mysql" and named[1].line.number == line, event.host
    # without db-1's own line, web-2's tag still says nothing about db-1
    dump = parse_text(TWO_HOSTS.rsplit("Mar  3 10:00:05", 1)[0])
    assert evaluate(dump.events[0], dump).analysis.named_workload is None


def test_jvm_servers_data_engines_sql_server_and_go_services_have_records_of_their_own() -> None:
    # JVM servers whose own launchers size the heap (by unit, cgroup or launcher name), before any JVM
    for names, paths, record in (
        (["java"], ["/system.slice/kafka.service"], "kafka"),
        (["kafka-server-st"], [], "kafka"),  # kafka-server-start.sh, the syslog identifier of its unit
        (["java"], ["/system.slice/cassandra.service"], "cassandra"),
        (["java"], ["/system.slice/logstash.service"], "logstash"),
        (["java"], ["/system.slice/neo4j.service"], "neo4j"),
        (["java"], ["/hadoop-yarn/container_e01_1700000000000_0001_01_000002"], "spark"),
        (["java"], ["/system.slice/flink-taskmanager.service"], "flink"),
        (["sqlservr"], [], "sqlserver"),
        (["grafana"], [], "go-service"),
        (["victoria-metrics-prod"[:15]], [], "go-service"),
        (["sh"], ["/system.slice/traefik.service"], "go-service"),
        (["bio_lazy_free"], [], "redis"),  # Redis's background and I/O threads
        (["io_thd_3"], [], "redis"),
    ):
        assert recognise(names, paths).id == record, (names, paths)  # type: ignore[union-attr]
    # records of their own stay first (Prometheus, etcd, the kubelet and runtimes), and a bare JVM is a JVM
    assert [recognise([n]).id for n in ("prometheus", "etcd", "containerd", "java")] == [  # type: ignore[union-attr]
        "prometheus",
        "etcd",
        "kubelet",
        "jvm",
    ]


def test_a_memcg_kill_in_a_kafka_unit_and_the_programs_a_log_names_get_their_own_levers() -> None:
    # the lab's memcg kill moved into a Kafka unit, the broker being `java` to the kernel
    text = load_case("lab-memcg-v2-deb61-arm64")[0].decode().replace("/lab-app", "/system.slice/kafka.service")
    steps = [s for f in analyze(text.replace("memhog", "java")).events[0].findings for s in f.remediation]
    assert "Size Apache Kafka (JVM) inside the limit" in steps[0] and "KAFKA_HEAP_OPTS" in steps[0]
    # programs the log names beside a report cut to its header
    for tag, message, name, lever in (
        ("kafka-server-start.sh[812]", "[KafkaServer id=1] started", "Apache Kafka (JVM)", "KAFKA_HEAP_OPTS"),
        ("sqlservr[812]", "Recovery is complete.", "Microsoft SQL Server on Linux", "memory.memorylimitmb"),
        ("grafana[812]", 'logger=server msg="HTTP Server Listen"', "a Go service", "GOMEMLIMIT"),
        ("cassandra[812]", "Startup complete", "Apache Cassandra (JVM)", "MAX_HEAP_SIZE"),
    ):
        seen = f"show {tag.split('[')[0]} (a syslog program tag), {name}"
        assert any(seen in s and lever in s for s in _header_only(tag=tag, message=message)[:3]), tag


# A person's own words above a paste (what Slack pastes look like)
PROSE = "{words}\n```\n"


def _with_prose(words: str, **fields: str) -> list[str]:
    values = {"host": "db-1", "other": "db-1", "tag": "sshd[812]", "message": "Accepted publickey"} | fields
    text = PROSE.format(words=words) + SYSLOG_HEADER_ONLY.format(**values) + "```\nany idea?\n"
    return [s for f in analyze(text).events[0].findings for s in f.remediation]


def test_a_product_the_person_names_in_their_own_words_is_the_weakest_candidate() -> None:
    # no known program in the report or the log: the name in the prose, said as such, with its levers
    steps = _with_prose("our Elasticsearch pod keeps getting killed on this node, any idea what to tune?")
    assert any(
        "show Elasticsearch (named in the words around the log, not by the kernel), Elasticsearch / OpenSearch" in s
        and "jvm.options" in s
        for s in steps[:3]
    ), steps[:3]
    ollama = _with_prose("Running ollama with a 70B model on a 64 GB box, it dies after a few prompts.")
    assert any("ollama (named in the words" in s and "a GPU inference server" in s for s in ollama[:3])
    # a syslog program tag names a known program: it wins over the words
    tagged = _with_prose("our elasticsearch pod keeps getting killed", tag="mysqld[812]", message="ready")
    assert any("mysqld (a syslog program tag), MySQL / MariaDB" in s for s in tagged[:3])
    assert not any("Elasticsearch" in s for s in tagged)


def test_common_words_and_log_lines_never_name_a_workload() -> None:
    # `node`, `make`, `go`, `git`, `spark`, `cargo` are English words (or too general) to read in prose
    for words in (
        "The node keeps dying when I run make in the go tree after a git pull",
        "Any spark of an idea? the cargo build used to work",
        "make sure swap is on",
    ):
        assert not any("knowledge/workloads.yaml" in s for s in _with_prose(words)), words
    # a name inside a log or command line is not the person's words: a tag's message is the tag's
    # program (sshd here, no record), and a prefixed kernel line is the kernel's
    assert not any("knowledge/workloads.yaml" in s for s in _with_prose("fine", message="user redis from 10.0.0.1"))
    # word boundaries: a longer word holding a name is not the name
    assert not any("knowledge/workloads.yaml" in s for s in _with_prose("the javascript bundle and postgresqlish"))


def test_the_kernels_own_name_wins_over_the_words_around_it() -> None:
    text = "our elasticsearch cluster is fine, but this box keeps dying\n" + re.sub(
        r"\bmemhog\b", "mysqld", load_case("lab-process-hog-deb612-amd64")[0].decode()
    )
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert any("innodb_buffer_pool_size" in s for s in steps[:3])
    assert not any("Elasticsearch" in s or "jvm.options" in s for s in steps)


def test_prose_names_are_distinct_and_no_common_words() -> None:
    from knowledge.workloads import mentions

    names = [w.lower() for r in load() for w in r.prose]
    assert len(names) == len(set(names))
    assert not {"node", "make", "go", "git", "spark", "cargo", "java script", "python", "apache"} & set(names)
    # kubelet and container runtimes log on every node: their names say nothing
    assert all(not r.prose for r in load() if not r.named_in_logs)
    assert mentions("Postgres and redis-2.6.13, node.js and llama.cpp") == ["Postgres", "redis", "node.js", "llama.cpp"]
    # joined to another word by a hyphen it is another program: a load generator, an exporter
    assert mentions("we run cassandra-stress against it, and the redis-exporter and kube-mysql") == []


def test_only_a_persons_sentences_are_read_as_prose() -> None:
    banner = (
        "Linux version 5.15.0-91-generic (buildd@lcy02-amd64-086) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) "
        "11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023\n"
    )
    text = (
        "our postgres box keeps dying at night\n"
        + banner
        + "Mar  3 10:00:05 db-1 systemd[1]: Started the nightly redis dump of our cluster\n"
        + SYSLOG_HEADER_ONLY.format(host="db-1", other="db-1", tag="sshd[1]", message="Accepted publickey")
        + "ok?\n"
    )
    assert [line.number for line in parse_text(text).context.prose] == [1]


# Real public pastes naming programs the table learnt from them (tests/data/workloads/, each the
# text as its thread shows it, cut where the thread's excerpt is cut)
WORKLOAD_PASTES = REPO / "tests" / "data" / "workloads"


def _paste_steps(name: str) -> list[list[str]]:
    """The first three steps of every event of a paste under tests/data/workloads/."""
    events = analyze((WORKLOAD_PASTES / name).read_bytes()).events
    return [[s for f in event.findings for s in f.remediation][:3] for event in events]


def test_a_language_server_that_outgrew_a_desktop_is_told_its_editor_settings() -> None:
    # github.com/rust-lang/rust-analyzer/issues/16908: gjs invoked the OOM killer, two
    # rust-analyzer processes in the table, one killed at 18 GB anon-rss (the report, cut with
    # "[...]", reads as two events)
    events = _paste_steps("rust-analyzer-16908.log")
    assert len(events) == 2
    for steps in events:
        assert any("rust-analyzer.lru.capacity" in s and "cachePriming" in s for s in steps), steps
    assert events[1][0].startswith("Bound rust-analyzer with its own memory settings")
    # the 15-character comm of the binary older editor extensions downloaded
    assert recognise(["rust-analyzer-x86_64-unknown-linux-gnu"[:15]]).id == "rust-analyzer"  # type: ignore[union-attr]


def test_a_bitcoin_node_is_told_its_database_cache_and_mempool() -> None:
    # github.com/cculianu/Fulcrum/issues/160: bitcoind killed at 1.5 GB anon-rss (the maintainer:
    # a smaller -dbcache)
    steps = _paste_steps("bitcoind-fulcrum-160.log")[0]
    assert steps[0].startswith("Bound bitcoind with its own memory settings")
    assert "-dbcache" in steps[0] and "-maxmempool" in steps[0]
    # github.com/bitcoin/bitcoin/issues/31561 "b-msghand invoked oom-killer": Bitcoin Core's threads
    assert recognise(["b-msghand"]).id == "bitcoind"  # type: ignore[union-attr]
    assert recognise(["b-httpworker.3"]).id == "bitcoind"  # type: ignore[union-attr]
    # github.com/dogecoin/dogecoin/issues/3866: a fork with the same -dbcache
    assert recognise(["dogecoind"]).id == "bitcoind"  # type: ignore[union-attr]
    # github.com/bitcoin/bitcoin/issues/31041: the unit systemd logs about
    assert recognise([], ["bitcoind.service"]).id == "bitcoind"  # type: ignore[union-attr]
    assert recognise(["b-foo"]) is None and recognise(["bitcoin"]) is None


def test_an_ethereum_node_is_told_its_cache_flag() -> None:
    # github.com/ethereum/go-ethereum/issues/27378: the kill line alone, geth at 8 GB anon-rss
    steps = _paste_steps("geth-27378.log")[0]
    assert steps[0].startswith("Bound geth with its own memory settings") and "--cache" in steps[0]
    # its unit, and no other unit whose name merely contains the letters
    assert recognise([], ["/system.slice/geth.service"]).id == "geth"  # type: ignore[union-attr]
    assert recognise([], ["/system.slice/together.service"]) is None


def test_home_assistant_is_told_to_find_the_integration_that_grows() -> None:
    # github.com/home-assistant/core/issues/101822: hass invoked the OOM killer holding 23 GB
    steps = _paste_steps("hass-101822.log")[0]
    assert steps[0].startswith("Bound hass with its own memory settings: it is Home Assistant Core")
    assert "profiler.start_log_objects" in steps[0] and "custom integrations" in steps[0]


def test_the_kubernetes_api_server_and_celerys_process_title_are_recognised() -> None:
    # github.com/kubernetes/minikube/issues/4075 (corpus case gh-kubernetes-minikube-4075):
    # `Killed process 20877 (kube-apiserver)`; the paste has no task table, and its first step
    # already says what the thread did (minikube start --memory)
    text = load_case("gh-kubernetes-minikube-4075")[0]
    assert b"Killed process 20877 (kube-apiserver)" in text
    assert recognise(["kube-apiserver"]).id == "kube-apiserver"  # type: ignore[union-attr]
    assert "minikube start --memory" in _steps("gh-kubernetes-minikube-4075")[0]
    assert recognise(["kube-apiserverx"]) is None and recognise(["kube-proxy"]) is None
    # github.com/home-assistant/core/issues/137573: a Celery worker's process title is its comm
    table = (WORKLOAD_PASTES / "celery-ha-137573.log").read_text()
    comm = re.search(r" (\[celeryd: celer)$", table, re.M)
    assert comm is not None and recognise([comm.group(1)]).id == "python-worker"  # type: ignore[union-attr]


def test_a_python3_the_author_calls_home_assistant_is_told_home_assistants_levers() -> None:
    # github.com/home-assistant/core/issues/127499 (corpus case): `Killed process 3931 (python3)`
    # on Home Assistant OS, where Core runs as python3 in its container; the author's words name it
    steps = _steps("gh-home-assistant-core-127499")
    assert steps[0].startswith("Bound python3 with its own memory settings: it is Home Assistant Core")
    assert "custom integrations" in steps[0] and "gunicorn" not in steps[0]
    # without the author's words the same kill line is any Python program's
    text = load_case("gh-home-assistant-core-127499")[0].decode()
    kill = next(line for line in text.splitlines() if "Killed process" in line)
    plain = [s for f in analyze(kill.strip('"') + "\n").events[0].findings for s in f.remediation]
    assert "it is a Python program" in plain[0] and "Home Assistant" not in plain[0]
    # nor does the name make every program Home Assistant: only the runtime it runs as
    assert recognise(["python3"]).id == "python"  # type: ignore[union-attr]


def test_a_doris_backend_at_its_containers_limit_is_told_its_mem_limit() -> None:
    # github.com/apache/doris/issues/3525 (corpus case): palo_be killed at a docker-compose
    # mem_limit, 43 GB anon-rss
    steps = _steps("gh-apache-doris-3525")
    assert steps[0].startswith("Size an Apache Doris or StarRocks backend (BE) inside the limit")
    assert "mem_limit in be.conf" in steps[0] and "exec_mem_limit" in steps[0]
    assert recognise(["doris_be"]).id == "doris-be" and recognise(["starrocks_be"]).id == "doris-be"  # type: ignore[union-attr]


def test_an_ipfs_daemon_is_told_its_low_memory_guides_layers() -> None:
    # github.com/ipfs/kubo/issues/7400: `Killed process 21251 (ipfs)` at 335 MB anon-rss
    steps = _paste_steps("ipfs-kubo-7400.log")[0]
    assert steps[0].startswith("Bound ipfs with its own memory settings: it is Kubo (go-ipfs)")
    assert "GOMEMLIMIT" in steps[0] and "Provide.DHT.MaxWorkers" in steps[0]
    # IPFS Cluster's daemon is another program
    assert recognise(["ipfs-cluster-service"[:15]]) is None


def test_a_build_command_with_its_job_option_in_the_persons_words_names_a_parallel_build() -> None:
    # `make` alone is a word (above); `make -j16` can only be a parallel build at work. The
    # sentence was in the test above until 2026-12-07: a person who says they ran `make -j16` when
    # the node died names the workload, and its lever is the job count (FedTree #47's expert fix).
    for words, command in (
        ("The node keeps dying when I run make -j16 in the go tree after a git pull", "make -j16"),
        ("After I run the` make -j` command my PC freezes", "make -j"),
        ("with MAKEFLAGS=-j8 set in the CI image it gets killed", "MAKEFLAGS=-j8"),
        ("ninja -j 32 on this 16 GB box", "ninja -j 32"),
    ):
        steps = _with_prose(words)
        assert any(
            f"show {command} (named in the words around the log, not by the kernel), a parallel build" in s
            and "make -jN" in s
            for s in steps[:3]
        ), (words, steps[:3])
    # the option is what tells: a word holding the command, or the command without its job
    # option, names nothing
    for words in ("cmake -j4 failed", "remake -j2", "I ran make install", "ninja -v"):
        assert not any("a parallel build" in s for s in _with_prose(words)), words


def test_a_containers_cgroup_is_its_applications_not_the_runtimes() -> None:
    """A runtime names every container's cgroup after itself (cri-containerd-<id>.scope in the
    pod's slice, crio-<id>.scope, docker-<id>.scope, /containerd/... with cgroupfs): a kill at that
    container's limit is the application's, whose own record answers; only the daemons' units
    (containerd.service, kubelet.service, ...) are the kubelet and runtime record's."""
    pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0057cc81.slice"
    for path in (
        f"{pod}/cri-containerd-e7364a949ee841f1.scope",
        f"{pod}/crio-28b9d205e931ff34.scope",
        f"{pod}/docker-39a63070dceb191a.scope",
        "/containerd/io.containerd.runtime.v1.linux/k8s.io/39a63070dceb191a",
    ):
        assert recognise(["ruby"], [path]).id == "ruby", path  # type: ignore[union-attr]
        assert recognise(["sh"], [path]) is None, path
    for path in ("/system.slice/containerd.service", "/podruntime.slice/kubelet.service", "/system.slice/crio.service"):
        assert recognise(["sh"], [path]).id == "kubelet", path  # type: ignore[union-attr]
    # a real pod (the sixteenth wave's Rails app): its memcg kills name Puma's workers and threads,
    # not the kubelet's eviction settings
    steps = [
        s
        for f in analyze(load_case("code-josegomezr-github-io-debugging-oom-in-k8s")[0]).events[0].findings
        for s in f.remediation
    ][:3]
    assert "Puma workers and threads" in steps[0]
    assert not any("system-reserved" in s for s in steps)


def test_page_tables_of_a_task_table_before_4_15_are_counted_from_nr_ptes_and_nr_pmds() -> None:
    """Before 4.15 the task dump prints counts of page-table pages (nr_ptes, and nr_pmds since
    4.0), which oom_badness() adds as pages; since 4.15 it prints pgtables_bytes. A 4.4 dump (the
    sixteenth wave's EC2 R job: nr_ptes 6851 and nr_pmds 17 for the killed master) weighs them too."""
    text = load_case("code-polodev-datawookie-ec2-jobs-getting-killed")[0].decode()
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    master = next(t for t in analysis.tasks if any(r.pid == 3026 for r in t.rows))
    assert master.pgtables_kb == (6851 + 17) * 4
    assert master.badness_kb == (2148000 + 1028165) * 4 + master.pgtables_kb
    workers = [t for t in analysis.tasks if t.name == "R" and not any(r.pid == 3026 for r in t.rows)]
    assert all(t.pgtables_kb > 0 for t in workers)

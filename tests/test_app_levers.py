"""The first steps for a container's or service's memory limit (OOM401, OOM004) and for a process
that grew (OOM201, OOM204, OOM225): the experts' usual levers first when the paste supports them
(issue 13). Each test reads a real paste of the corpus (folds 1-4 only: tests/oomcases.py) or the
lines of one that a person pastes on their own (the header and the kill line)."""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import AnalysedEvent, analyze


def _event(case: str, keep: str | None = None) -> AnalysedEvent:
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    if keep is not None:
        text = "\n".join(line for line in text.splitlines() if re.search(keep, line))
    return analyze(text).events[0]


def _steps(event: AnalysedEvent, count: int = 3) -> list[tuple[str, str]]:
    return [(code, step.text) for code, step in event.diagnosis.steps[:count]]


# -------------------------------------------------------------- a kill line pasted without the rest


def test_the_header_and_a_kill_line_with_figures_name_the_victim_as_the_first_candidate() -> None:
    # memhog held 411 MiB when killed; with no RAM figure OOM201 (1 GB bar) cannot weigh it, and
    # before, a header plus a kill line gave no finding and no step at all. Under 1 GB the machine
    # too small for what it runs (OOM226: this lab VM has 512 MB and no swap) is read first, and the
    # victim stays the candidate for what grew, its size step among the first three
    event = _event("lab-process-hog-deb612-amd64", keep=r"invoked oom-killer|Killed process")
    assert event.event.trigger is not None and event.event.kill is not None
    assert [f.code for f in event.findings] == ["OOM226", "OOM225"]
    steps = _steps(event)
    assert steps[0][1].startswith("Check the machine's RAM and swap") and "paste the complete report" in steps[0][1]
    assert re.search(r"Size memhog with its own memory settings .*- it held 41\d MiB when killed -", steps[2][1])
    assert "update memhog to it" in steps[2][1]
    assert "the OOM header and the kill line" in event.findings[1].explanation


def test_a_kill_line_of_a_known_workload_names_its_lever_and_size() -> None:
    # the same kill line, of a Node.js process: the record's lever (V8 heap) with what it held
    text = load_case("lab-process-hog-deb612-amd64")[0].decode()
    kill = next(line for line in text.splitlines() if "Killed process" in line)
    event = analyze(kill.replace("(memhog)", "(node)")).events[0]
    assert [f.code for f in event.findings] == ["OOM226", "OOM225"]
    lever = [text for _code, text in _steps(event) if "--max-old-space-size" in text]
    assert lever and re.search(r"it held 41\d MiB", lever[0])


def test_a_small_victim_among_the_kills_keeps_the_presumption_silent() -> None:
    # Raspberry Pi: kodi.bin (145 MiB anonymous) and then munin-cgi-graph (no anonymous memory)
    # were killed: the victim holds the most of any killable task, so nothing in user space was big
    event = _event("gh-raspberrypi-linux-5551")
    assert event.event.kill is not None and event.event.kill.anon_rss_kb is not None
    assert "OOM225" not in [f.code for f in event.findings]
    # a 1 MiB victim before the header (a boot-time firmware menu): no growth to blame either
    assert "OOM225" not in [f.code for f in _event("gh-linuxboot-heads-1626").findings]


# ------------------------------------------------------------------------ a memory cgroup's limit


def test_the_limit_steps_give_the_size_from_the_groups_usage() -> None:
    event = _event("lab-memcg-v1-deb61-amd64")
    first = _steps(event)[0][1]
    assert first.startswith("Raise the cgroup's memory.limit_in_bytes (systemd MemoryLimit=) to about 80 MiB")
    assert "the group held 64 MiB at the kill against a limit of 64 MiB" in first
    assert event.diagnosis.steps[0][1].kind == "fix"
    # Kubernetes pod, usage 512 MiB of 512 MiB: the pod's limit, sized (its charge is dirty page
    # cache, so OOM404's writeback steps lead and the limit step follows them: tests/test_memcg_dirty.py)
    limit = [
        text for _, text in _steps(_event("gh-bluek8s-kubedirector-356"), 20) if text.startswith("Raise the pod's")
    ]
    assert limit and re.match(
        r"Raise the pod's memory limit \(resources\.limits\.memory.*\) to about 640 MiB", limit[0]
    )


def test_without_usage_lines_the_victim_bounds_the_limit_from_below() -> None:
    # Doris BE killed in its cgroup holding 43 GiB; the report prints no usage line (its own
    # mem_limit step, knowledge/workloads.yaml doris-be, comes first)
    steps = _steps(_event("gh-apache-doris-3525"))
    raise_limit = [text for _code, text in steps if text.startswith("Raise the cgroup's limit")]
    assert raise_limit and "to at least 54 GiB (the killed palo_be alone held 43 GiB" in raise_limit[0]
    # ... and a victim under 64 MiB bounds nothing worth naming (a python3 worker of 8 MiB)
    first = _steps(_event("gh-docker-for-linux-1001"), 4)
    assert not any("to at least" in text for _code, text in first)


def test_an_unset_limit_is_given_no_size() -> None:
    # the group's limit prints as 8 EiB (PAGE_COUNTER_MAX): no "about N" from it
    steps = _steps(_event("gh-kubernetes-kubernetes-12905"), 5)
    assert not any(re.search(r"to about \d", text) for _code, text in steps)


def test_the_program_that_held_the_group_is_named_with_its_update_path() -> None:
    # a program no workload record knows (dcgm-exporter) is named with the update path
    steps = _steps(_event("gh-nvidia-dcgm-exporter-702"))
    assert steps[1][1].startswith("If dcgm-exporter keeps growing until the limit kills it")
    assert "memory leak fixed in a newer release, and update dcgm-exporter to it" in steps[1][1]
    # a known one (palo_be, Apache Doris's backend) gets it in its own settings' step
    doris = _steps(_event("gh-apache-doris-3525"))
    assert doris[0][1].startswith("Size an Apache Doris or StarRocks backend (BE) inside the limit")
    assert "memory leak fixed in a newer release, and update palo_be to it" in doris[0][1]
    # a known workload's lever carries the same update path
    first = _steps(_event("code-fluid-project-jira-to-11ty-infra-161"))[0][1]
    assert "-Xmx" in first and "update the application to it" in first


def test_a_container_runtime_killed_while_starting_the_container_is_not_a_program_to_bound() -> None:
    # Kyma: runc:[2:INIT] killed again and again by the container's limit
    event = _event("gh-kyma-project-test-infra-3290")
    texts = [step.text for _code, step in event.diagnosis.steps]
    assert not any("If runc" in t or "bound runc" in t for t in texts)
    assert "the container was killed while it started" in event.findings[0].explanation
    oom004 = next(f for f in event.findings if f.code == "OOM004")
    assert oom004.remediation[0].startswith(
        "Raise the container's memory limit: runc:[2:INIT] is the container runtime"
    )
    # the limit is there already: OOM004 no longer says to add one
    assert not any("add a memory limit" in step for step in oom004.remediation)


def test_repeated_memcg_kills_say_the_limit_is_reached_again_not_that_one_is_missing() -> None:
    event = _event("gh-docker-for-linux-1001-killstorm")
    oom004 = next((f for f in event.findings if f.code == "OOM004"), None)
    assert oom004 is not None
    # in the words experts use for it (issue 13): its memory limit, and the settings that hold it
    assert oom004.remediation[0].startswith("Raise its memory limit (memory.max or memory.limit_in_bytes")
    assert "to what python3 uses at its peak" in oom004.remediation[0]
    assert "python3 was killed" not in oom004.remediation[0]
    assert "it was killed by its memory cgroup's limit each time" in oom004.remediation[0]
    assert "it is a Python program, whose memory is set by" in oom004.remediation[0]
    assert not any("add a memory limit" in step for step in oom004.remediation)


# ----------------------------------------------------------- a header-only paste from a container


def test_a_header_from_a_container_points_at_the_containers_own_limit() -> None:
    # cpuset named by a 64-hex-digit container ID (jetstack: an 8 MiB init container): the
    # container's limit is read first (OOM405), and its steps say why and how to raise it
    steps = _steps(_event("gh-jetstack-navigator-297"))
    assert steps[0] == ("OOM405", steps[0][1])
    assert steps[0][1].startswith(
        "Confirm that the container's own memory limit killed it: cp runs in a container"
        " (its cpuset is named by a container ID)"
    )
    assert "resources.limits.memory" in steps[1][1]
    # OOM204 does not ask the same question again
    every = _steps(_event("gh-jetstack-navigator-297"), 10)
    assert sum("container's own memory limit killed it" in text for _code, text in every) == 1
    # the kubelet's oom_score_adj of a Burstable pod's container
    steps = _steps(_event("gh-2i2c-org-infrastructure-2359"))
    assert "oom_score_adj 991 is in the range the kubelet gives the containers of a Burstable pod" in steps[0][1]
    # a desktop's oom_score_adj 200 (systemd user session) is no such hint
    steps = _steps(_event("gh-anomalyco-opencode-34288"), 5)
    assert not any("may run in a container" in text for _code, text in steps)


# ------------------------------------------------------------------------------- a process hog


def test_more_memory_sized_from_the_dump_comes_before_the_cap() -> None:
    event = _event("lab-process-hog-deb612-amd64")
    own = event.diagnosis.record_steps("OOM201")
    ram = next(i for i, s in enumerate(own) if s.startswith("Size RAM (or add swap)"))
    cap = next(i for i, s in enumerate(own) if s.startswith("Cap it with a memory cgroup"))
    assert ram < cap
    assert re.search(r"needs about 768 MiB, 257 MiB more than it had", own[ram])


def test_a_group_filled_by_tmpfs_names_no_program_to_blame_and_gets_the_files_step() -> None:
    # 128 MiB limit, shmem (files in a tmpfs charged to the group) most of it
    steps = _steps(_event("lab-memcg-shmem-deb612-amd64"))
    assert steps[0][1].startswith("Raise the cgroup's limit") and "to about 160 MiB" in steps[0][1]
    assert not any("keeps growing until the limit kills it" in text for _code, text in steps)
    assert steps[2] == ("OOM402", steps[2][1]) and "tmpfs" in steps[2][1]


def test_a_known_runtime_heap_is_sized_against_the_printed_limit() -> None:
    # a JVM in a unit limited to 5 GiB (the expert capped it with -Xmx2048m): the record's 50-75 %
    first = _steps(_event("code-fluid-project-jira-to-11ty-infra-161"))[0][1]
    assert "Against the 5 GiB limit that is -Xmx at about 2.5 GiB to 3.8 GiB." in first
    # no printed limit (usage lines cut): no heap size is made up
    first = _steps(_event("gh-elastic-cloud-on-k8s-1821"))[0][1]
    assert "-Xmx" in first and "Against the" not in first


def test_a_mysqld_hog_names_the_open_files_limit_it_sizes_its_tables_from() -> None:
    # minikube's v1.5 VM: mysqld killed at 4.4 GB while checking its configuration; its maintainer
    # traced it to an open-files limit of 1073741816 (fs.nr_open raised by the ISO, LimitNOFILE=
    # infinity). The MySQL record's levers name that limit with the buffer settings
    # (knowledge/workloads.yaml, MySQL bug #96525).
    event = _event("gh-kubernetes-minikube-5751")
    assert event.findings[0].code == "OOM201"
    first = _steps(event)[0][1]
    assert "innodb_buffer_pool_size" in first
    assert re.search(r"open-files limit .*LimitNOFILE=1048576", first)


def test_the_update_path_names_the_program_to_update_not_a_runtime() -> None:
    # "update to it" left the reader to work out what to update; the step names the program whose
    # newer release to take (ganesha.nfsd grew to 50 GB: its maintainers' fix was an update of
    # NFS-Ganesha and Gluster) ...
    first = _steps(_event("gh-nfs-ganesha-nfs-ganesha-377"))[0][1]
    assert first.startswith("Find out why ganesha.nfsd grows without bound")
    assert "memory leak fixed in a newer release, and update ganesha.nfsd to it" in first
    # ... but never a language runtime: a leak of a java process is its application's
    jvm = _steps(_event("code-fluid-project-jira-to-11ty-infra-161"))[0][1]
    assert "update the application to it" in jvm and "update java" not in jvm

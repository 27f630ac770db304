"""Issue 13: a memory cgroup killed while most of its charge was dirty page cache (OOM404).

The group's own memory.stat (v1 `dirty`/`writeback`, v2 `file_dirty`/`file_writeback`) against its
usage, not the machine's Dirty against RAM (OOM216): reclaim cannot free a dirty page before it is
written, and cgroup v1 has no per-group dirty limit. The steps come in the experts' order: the
kernel fix where a known defect fits the release (knowledge/kernel_fixes.yaml), writeback started
by the writer (sync_file_range, fdatasync, O_DIRECT), global dirty limits sized from the group's
limit and only ever lowered, cgroup v2 for a v1 group, and the limit last with its warning.

Inputs are corpus cases of folds 1-4; one test changes a field of one (said where).
"""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze

V1_417 = "lore-417-x86_64-memcg-v1-dirty-pages-no-writeback"  # 4.17, v1, dirty 8580 of 10240 kB
MGLRU = "lore-x86_64-mglru-memcg-v1-dirty-flushers"  # header-less file_dirty excerpt, wrapped oom-kill line
KUBE = "gh-bluek8s-kubedirector-356"  # v1 pod, no release printed, dirty 503316 of 524288 kB


def _event(case: str, *changes: tuple[str, str]):  # type: ignore[no-untyped-def]
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return analyze(text).events[0]


def _steps(event, count: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    return [step for finding in event.findings for step in finding.remediation][:count]


def test_v1_group_full_of_dirty_pages_gets_writeback_steps_first() -> None:
    event = _event(V1_417)
    assert event.findings[0].code == "OOM404"
    steps = _steps(event)
    # 4.17 carries 1c610d5f93c7 (4.16): no kernel-defect step; the writer's lever leads
    assert "sync_file_range" in steps[0] and "O_DIRECT" in steps[0]
    assert not any("1c610d5f93c7" in s for s in steps)
    # sized from the 10 MiB limit (an eighth and a quarter), never a fixed machine-wide figure
    assert "vm.dirty_background_bytes=1048576 vm.dirty_bytes=2097152" in steps[1]
    assert "never raise" in steps[1]
    assert "cgroup v2" in steps[2]  # the paste prints memory+swap/kmem: a v1 group
    own = next(f for f in event.findings if f.code == "OOM404").remediation
    assert "at once" in own[-1] and "limit" in own[-1]


def test_known_v1_defect_release_gets_the_kernel_path_first() -> None:
    # the same report from a 4.14 kernel: memcg-v1-dirty-flushers-4.11 (4.11-4.15) fits
    event = _event(V1_417, ("4.17.2-1-ARCH", "4.14.2-1-ARCH"))
    steps = _steps(event)
    assert "1c610d5f93c7" in steps[0] and "4.16" in steps[0]
    assert any("sync_file_range" in s for s in steps)


def test_mglru_excerpt_reads_the_cut_stats_and_the_wrapped_summary() -> None:
    event = _event(MGLRU)
    # the oom-kill line wrapped after 'cpuset=test,' is joined with its continuation
    summary = event.event.oom_summary
    assert summary is not None and summary.oom_memcg == "/test" and summary.pid == 4404
    assert event.findings[0].code == "OOM404"
    steps = _steps(event)
    assert re.search(r"if it is 6\.1-.*wake up flushers conditionally", steps[0])
    assert "lru_gen/enabled" in steps[0]
    assert "sync_file_range" in steps[1]
    # the report prints `swap:` (a v2 layout): no move-to-v2 step
    assert not any("Move the group to cgroup v2" in s for s in _steps(event, 10))


def test_unversioned_v1_pod_names_the_possible_defects_and_sizes_from_its_limit() -> None:
    event = _event(KUBE)
    assert event.findings[0].code == "OOM404"
    steps = _steps(event)
    assert "if it is 4.11-4.15" in steps[0] and "1c610d5f93c7" in steps[0]
    assert "vm.dirty_background_bytes=67108864 vm.dirty_bytes=134217728" in steps[2]


def test_silent_when_little_of_the_group_is_dirty() -> None:
    event = _event(V1_417, ("dirty:8580KB", "dirty:580KB"))
    assert "OOM404" not in [f.code for f in event.findings]
    assert "OOM404" not in [f.code for f in _event("lab-memcg-shmem-deb612-amd64").findings]

"""A global OOM kill entered from the page-fault path (pagefault_out_of_memory, gfp_mask=0x0) on
3.12-5.15 names the fault handler, not a memory shortage (OOM602); memcg kills and 5.16+ do not."""

from __future__ import annotations

from bot.pipeline import analyze

HEADER = "[ 5120.118842] gnome-shell invoked oom-killer: gfp_mask=0x0(), order=0, oom_score_adj=0\n"
CPU = "[ 5120.118850] CPU: 3 PID: 1822 Comm: gnome-shell Tainted: G           O      {release} #1\n"
TRACE = (
    "[ 5120.118860] Call Trace:\n"
    "[ 5120.118870]  dump_stack+0x66/0x90\n"
    "[ 5120.118880]  dump_header+0x4f/0x1e0\n"
    "[ 5120.118890]  out_of_memory+0x2c3/0x4f0\n"
    "[ 5120.118900]  pagefault_out_of_memory+0x61/0x80\n"
    "[ 5120.118910]  mm_fault_error+0x66/0x150\n"
)


def _codes(text: str) -> list[tuple[str, str]]:
    (event,) = analyze(text).events
    return [(f.code, f.role) for f in event.findings]


def test_a_global_kill_from_the_fault_path_leads_with_the_fault_handler() -> None:
    text = HEADER + CPU.format(release="5.10.0-21-amd64") + TRACE
    assert _codes(text)[0] == ("OOM602", "root-cause")
    # the header alone (gfp_mask=0x0, order=0) says the same
    assert _codes(HEADER)[0] == ("OOM602", "root-cause")


def test_no_fault_path_clue_where_the_kernel_no_longer_kills_from_it_or_for_a_memcg() -> None:
    newer = HEADER + CPU.format(release="6.1.0-13-amd64") + TRACE
    assert "OOM602" not in [code for code, _ in _codes(newer)]
    memcg = (
        HEADER
        + CPU.format(release="4.19.0-6-amd64")
        + TRACE
        + "[ 5120.119000] memory: usage 524288kB, limit 524288kB, failcnt 6253\n"
        + "[ 5120.119010] Memory cgroup out of memory: Killed process 1822 (gnome-shell) total-vm:900000kB, "
        "anon-rss:500000kB, file-rss:0kB, shmem-rss:0kB\n"
    )
    assert "OOM602" not in [code for code, _ in _codes(memcg)]


def test_stable_releases_with_the_backport_no_longer_kill_from_the_fault_path() -> None:
    # 60e2793d440a ('mm, oom: do not trigger out_of_memory from the #PF', 5.16) went to the stable
    # series in November 2021: the 4.14.256-rc3 and 5.4.160-rc2 reviews list it. On a real
    # fault-path kill (linux-next 5.7 Xorg, folds 1-4) the release decides at those boundaries.
    from oomcases import is_held_out, load_case

    case = "lore-57next-xorg-vm-fault-oom-no-shortage"
    assert not is_held_out(case)
    text = load_case(case)[0].decode()
    assert "OOM602" in [code for code, _ in _codes(text)]

    def fires(release: str) -> bool:
        return "OOM602" in [code for code, _ in _codes(text.replace("5.7.0-rc5-next-20200515+", release))]

    assert fires("5.4.159") and not fires("5.4.160")
    assert fires("4.14.255") and not fires("4.14.256")
    assert fires("5.10.0-21-amd64")  # a distribution's x.y.0 does not show its stable level


def test_the_fault_path_reading_names_the_kmem_limit_the_fix_was_written_for() -> None:
    # 60e2793d440a's changelog (mm-commits, 2021-10-27): any allocation failure in the #PF path
    # returns VM_FAULT_OOM, and '#PF allocation can hit into limit of cgroup v1 kmem controller
    # ... causes unnecessary global OOM kills' (broken since 3.8). The finding blamed only a
    # driver's fault handler. Real pastes: a Docker host on Ubuntu 5.4.0-29 with a slab
    # allocation failing inside a memory cgroup, and the linux-next Xorg kill.
    from oomcases import is_held_out, load_case

    for case in ("gh-docker-for-linux-1001-op", "lore-57next-xorg-vm-fault-oom-no-shortage"):
        assert not is_held_out(case)
        (event,) = [e for e in analyze(load_case(case)[0]).events if e.findings][:1]
        finding = next(f for f in event.findings if f.code == "OOM602")
        assert "kmem limit" in finding.explanation and "machine-wide" in finding.explanation
        first = finding.remediation[0]
        assert first.startswith("Run a kernel with 60e2793d440a") and "memory.kmem.limit_in_bytes" in first
        assert any("fault handler that returns VM_FAULT_OOM" in s for s in finding.remediation)

"""A general gap the fifteenth wave showed (issue 13), on real corpus inputs of folds 1-4:

a memory-cgroup OOM raised by a write to the group's cgroup v2 memory.max was read as a group that
grew to its limit. mm/memcontrol.c memory_max_write() (v4.19) sets the new limit, drains and
reclaims towards it, then calls mem_cgroup_out_of_memory(memcg, GFP_KERNEL, 0) from the writer's
own context while usage stays above it: the task that "invoked the OOM killer" is the one that
lowered the limit, and nothing in the group had to grow. OpenRC's openrc-run.sh setting a service's
memory.max to 0 (gh-openrc-openrc-407) is the wave's case; systemd MemoryMax= changes, container
resizes and scripts take the same path. The steps asked whether openrc-run.sh leaks; they now name
the write, the value to read back and the tool that wrote it, and the trace says the hierarchy is
v2 (memory_max_write is a v2 interface file's handler) where the paste prints no memcg line.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.analysis import Analysis

WRITE = "gh-openrc-openrc-407"  # openrc-run.sh's write to memory.max: memory_max_write in the trace
CHARGE = "gh-nestybox-sysbox-30"  # a memcg OOM from a charge (try_charge), cut before the memcg lines


def _event(case: str):  # type: ignore[no-untyped-def]
    return analyze(load_case(case)[0]).events[0]


def test_the_cases_are_not_held_out() -> None:
    assert not is_held_out(WRITE)
    assert not is_held_out(CHARGE)


def test_a_limit_write_leads_with_the_write_and_not_with_a_leak() -> None:
    event = _event(WRITE)
    top = event.findings[0]
    assert top.code == "OOM401", [f.code for f in event.findings]
    steps = list(top.remediation)
    assert steps[0].startswith(
        "Fix what wrote the cgroup's memory.max: openrc-run.sh (PID 14070) set it below what the group held"
    ), steps[0]
    assert "cat memory.max" in steps[0] and "memory.current" in steps[0]
    # the writer is not a program the group grew with: no step asks whether it leaks
    assert not any("keeps growing until the limit kills it" in s for s in steps), steps
    evidence = {e.name: e.value for e in top.evidence}
    assert evidence["limit_writer"] == "openrc-run.sh"
    assert "memory_max_write in the call trace" in top.explanation


def _analysis(case: str) -> Analysis:
    report = analyze(load_case(case)[0])
    return Analysis(report.events[0].event, report.dump, report.events[0].gfp)


def test_the_trace_tells_the_hierarchy() -> None:
    assert _analysis(WRITE).cgroup_v2 is True
    # a charge's trace says nothing about the hierarchy, and neither does the rest of that paste
    assert _analysis(CHARGE).cgroup_v2 is None
    steps = list(_event(WRITE).findings[0].remediation)
    assert not any("The paste does not show the hierarchy" in s for s in steps), steps


def test_a_charge_keeps_its_steps() -> None:
    event = _event(CHARGE)
    top = event.findings[0]
    assert top.code == "OOM401"
    steps = list(top.remediation)
    assert not any("memory_max_write" in s for s in steps), steps
    assert any("keeps growing until the limit kills it" in s for s in steps[:3]), steps[:3]
    assert "limit_writer" not in {e.name for e in top.evidence}


RHEV = "gh-prometheus-prometheus-3470"  # 'Hardware name: Red Hat RHEV Hypervisor, BIOS 1.9.1-5.el7_3.3'
PHYSICAL = "gh-d2iq-archive-marathon-1295"  # a Supermicro board: a physical machine


def test_a_rhev_guest_is_a_virtual_machine() -> None:
    # RHEV/oVirt guests carry the manager's SMBIOS product name, not QEMU's or KVM's: the
    # hardware line named no known hypervisor and the guest was read as a physical machine
    assert not is_held_out(RHEV) and not is_held_out(PHYSICAL)
    guest = _analysis(RHEV).environment
    assert guest.kind == "vm" and guest.label == "RHEV (KVM) virtual machine", guest
    assert _analysis(PHYSICAL).environment.label == "physical machine"

"""A DMA32 request from a task whose cpuset leaves out node 0 (kernel bugzilla 209079, fold 3):
the zone lies on node 0, so the cpuset made the request impossible, while 27 GiB were free. The
hypervisor-overcommit finding (OOM217) used to lead, claiming the host ran out of memory."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze

CASE = "lore-58-bz209079-kvm-dma32-cpuset-node1"


def _first(text: bytes):
    return next(e for e in analyze(text).events if e.findings)


def test_cpuset_without_the_zone_leads_and_says_what_to_widen() -> None:
    event = _first(load_case(CASE)[0])
    top = event.findings[0]
    assert top.code == "OOM301"
    assert "DMA32" in top.explanation and "node(s) 1" in top.explanation
    assert "cpuset" in top.remediation[0] and "node 0" in top.remediation[0]


def test_a_host_with_most_memory_free_did_not_run_out() -> None:
    event = _first(load_case(CASE)[0])
    assert all(f.code != "OOM217" for f in event.findings)


def test_node_zero_allowed_is_no_low_zone_confinement() -> None:
    # the same report with node 0 among the allowed nodes: DMA32 is reachable, nothing confined it
    text = load_case(CASE)[0].replace(b"mems_allowed=1", b"mems_allowed=0-1")
    event = _first(text)
    assert all(f.code != "OOM301" for f in event.findings)

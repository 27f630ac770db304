"""A failed GFP_DMA request is confined to ZONE_DMA (OOM110), and the known defects of the boot-time
DMA atomic pool (knowledge/kernel_fixes.yaml) are offered as fixes: as certain when the call trace
shows the pool, as possible (with what to paste) when the paste has no trace."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze


def _first(case: str):
    report = analyze(load_case(case)[0])
    event = next(e for e in report.events if e.findings)
    return event.findings


def test_gfp_dma_failure_without_zone_lines_is_dma_confinement_first() -> None:
    # a three-line paste: the order-10 GFP_KERNEL|GFP_DMA failure, no trace, no Mem-Info
    findings = _first("lore-61-efistub-kernel-in-zone-dma-order10")
    top = findings[0]
    assert top.code == "OOM110" and top.category == "dma_zone_exhaustion"
    assert top.confidence >= 0.6  # the gfp mask states GFP_DMA: declared, not inferred
    steps = " ".join(top.remediation)
    assert "paste the call trace" in steps.lower()
    # every pool defect whose trace and zone fit is offered, with its workaround
    assert "3cb4a4827596" in steps and "nokaslr" in steps and "coherent_pool=" in steps


def test_traced_dma_pool_failure_names_the_fix_as_certain() -> None:
    findings = _first("lore-513-kdump-dma-atomic-pool-order5")
    top = findings[0]
    assert top.code == "OOM110"
    assert top.remediation[0].startswith("Upgrade to a kernel with the fix")
    assert "a674e48c5443" in top.remediation[0]


def test_gfp_kernel_failure_is_not_dma_confined() -> None:
    # an order-3 GFP_KERNEL failure with zone lines: the DMA zone is not its only zone
    for case in ("lab-fragmentation-deb612-amd64",):
        assert all(f.code != "OOM110" for f in _first(case))


def test_zone_empty_gate_drops_the_kdump_record_when_dma_is_populated() -> None:
    from knowledge.kernel_fixes import load

    record = next(f for f in load() if f.id == "dma-atomic-pool-without-dma-zone")
    assert record.zone_empty == "DMA" and record.gfp_zone == "DMA"

    class Zone:
        name, managed_kb = "DMA", 15360

    class Event:
        kind, call_trace = "page-allocation-failure", ("dma_atomic_pool_init+0xad/0x13f",)

    class A:
        event, order, version, highest_zone, zones = Event, 10, (5, 14, 21), "DMA", (Zone,)

    from knowledge.kernel_fixes import matches

    ids = {f.id for f in matches(A)}
    assert "dma-atomic-pool-without-dma-zone" not in ids
    assert "dma-atomic-pool-sized-past-dma-zone" in ids
    Zone.managed_kb = 0
    assert "dma-atomic-pool-without-dma-zone" in {f.id for f in matches(A)}

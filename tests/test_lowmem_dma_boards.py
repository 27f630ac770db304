"""OOM101 on 32-bit boards without ZONE_NORMAL: a DMA zone far larger than the 16 MB ISA zone is
the lowmem zone; free CMA pages that lift a zone above low leave it to OOM140."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze


def _findings(case: str):
    report = analyze(load_case(case)[0])
    return next(e for e in report.events if e.findings).findings


def test_arm32_lowmem_in_a_large_dma_zone() -> None:
    # 4.14 ARM, only `DMA free:17960kB min:16384kB low:25664kB ... managed:422896kB` printed
    top = _findings("lore-414-arm32-fork-order1-lowmem-vmalloc480m")[0]
    assert top.code == "OOM101"
    assert any(e.name == "normal_free_kb" and e.value == 17960 for e in top.evidence)


def test_cma_lifting_the_zone_above_low_is_not_lowmem_exhaustion() -> None:
    findings = _findings("lore-310-imx6-fec-atomic-cma")
    assert findings[0].code == "OOM140"
    assert all(f.code != "OOM101" for f in findings)


def test_x86_isa_dma_zone_is_not_taken_for_lowmem() -> None:
    from knowledge import catalogue

    record = next(r for r in catalogue.load() if r.code == "OOM101")
    assert record.params["dma_as_lowmem_min_kb"] > 16 * 1024  # the ISA zone is 16 MB


def test_page_tables_filling_x86_32_lowmem_name_highpte() -> None:
    # 2.6.18 PAE: pagetables:152485 pages (~596 MB); the mail-wrapped zone lines give DMA and Normal
    # present:16384kB + present:901120kB, 896 MB of lowmem, so the share is known: 66 %
    top = _findings("lore-2618-pae-postgres-pagetables-lowmem-highpte")[0]
    assert top.code == "OOM101"
    assert "CONFIG_HIGHPTE=y" in top.remediation[0]
    assert "page tables hold 596 MiB here, 66% of lowmem;" in top.remediation[0]


def test_no_highpte_advice_when_page_tables_are_small() -> None:
    for case in ("lab-lowmem-sockleak-deb61-686pae",):
        # the leaked socket slab fills over half of lowmem, so it leads (OOM212) and the split follows
        first, second = _findings(case)[:2]
        assert (first.code, second.code) == ("OOM212", "OOM101")
        assert "HIGHPTE" not in second.remediation[0]

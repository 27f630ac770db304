"""A vmalloc the kernel refuses for its size alone (OOM612): zero bytes, or more pages than all of
RAM (mm/vmalloc.c __vmalloc_node_range(): v4.14-v5.12 `if (!size || (size >> PAGE_SHIFT) >
totalram_pages) goto fail;` with 'vmalloc: allocation failure: %lu bytes'; v6.1 'vmalloc error:
size %lu, exceeds total pages'). Real inputs of folds 1-4: a Raspberry Pi's modprobe asking for
0 bytes (corpus, fold 1) and, from the forty-fourth wave held back in tests/pending (folds 2 and
3), siw's zero-sized queue on ppc64le, GHES's overflowed pool size on an EPYC and ipset's 1 GiB
hash on a machine with less RAM."""

from __future__ import annotations

from pathlib import Path

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from knowledge.checks.lowmem import impossible_vmalloc_size
from knowledge.confidence import CONFIDENT

REPO = Path(__file__).resolve().parent.parent
RPI = "gh-raspberrypi-linux-95"  # 'vmalloc: allocation failure: 0 bytes' from modprobe, 3.2-era ARM
SIW = "lore-510rc7-ppc64le-siw-zero-ird-vzalloc-0-bytes"
GHES = "lore-519rc6-amd-epyc-ghes-pool-vmalloc-overflow"
IPSET = "lore-netdev-ipset-hash-netiface-vmalloc-1g-limit"
NORETRY = "lore-414-bz200651-xt-table-vmalloc-noretry"  # 'allocated X of Y bytes': a real shortage path
ZBC = "lore-scsi-sd-zbc-report-zones-vmalloc-size0-kvzalloc"  # 5.13+ 'size 0, failed to allocate pages'


def _first(case: str):  # type: ignore[no-untyped-def]
    return next(e for e in analyze(load_case(case)[0]).events if e.findings).findings[0]


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (RPI, SIW, GHES, IPSET, NORETRY, ZBC) if is_held_out(c)]


def test_a_zero_byte_vmalloc_is_the_callers_size() -> None:
    for case, caller in ((RPI, None), (SIW, "siw_qp_modify")):
        top = _first(case)
        assert (top.code, top.category) == ("OOM612", "kernel_bug"), case
        assert top.confidence >= CONFIDENT
        assert "0 bytes" in top.explanation and "size of zero" in top.explanation
        assert "no memory setting" in top.remediation[0]
        if caller:
            assert caller in top.remediation[0]


def test_a_size_beyond_all_of_ram_is_the_callers_size() -> None:
    ghes = _first(GHES)
    assert ghes.code == "OOM612" and "negative size read as unsigned" in ghes.explanation
    assert "ghes_estatus_pool_init" in ghes.remediation[0]
    # ipset's line was cut before its mode: the event's header all the same (oom.lark VMALLOC_FAILURE_CUT)
    ipset = _first(IPSET)
    assert ipset.code == "OOM612" and "more than all of the machine's" in ipset.explanation


def test_only_the_sizes_the_kernel_refuses_outright() -> None:
    assert impossible_vmalloc_size("vmalloc: allocation failure: 0 bytes", None) == (0, "zero")
    assert impossible_vmalloc_size("vmalloc error: size 1073741848, exceeds total pages", None) == (
        1073741848,
        "exceeds",
    )
    # an ordinary size is an area or page shortage (OOM701, OOM609), beyond RAM only when RAM says so
    assert impossible_vmalloc_size("vmalloc: allocation failure: 8392704 bytes", None) is None
    assert impossible_vmalloc_size("vmalloc: allocation failure: 8392704 bytes", 4096) == (8392704, "exceeds")
    assert impossible_vmalloc_size("vmalloc: allocation failure, allocated 20480 of 65536 bytes", 4096) is None
    assert impossible_vmalloc_size("vmalloc error: size 0, failed to allocate pages", None) is None
    for case, code in ((NORETRY, "OOM609"), (ZBC, "OOM609")):
        codes = [f.code for e in analyze(load_case(case)[0]).events for f in e.findings]
        assert code in codes and "OOM612" not in codes, case

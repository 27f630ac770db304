"""Known kernel defects (knowledge/kernel_fixes.yaml) are matched by function, kind, order and series."""

from __future__ import annotations

from pathlib import Path

import yaml
from oomcases import corpus_cases, is_held_out, load_case

import knowledge.kernel_fixes
from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.diagnose import evaluate
from knowledge.kernel_fixes import PATH, load, matches, of_kind


def _ids(text: str) -> list[str]:
    dump = parse_text(text)
    return [f.id for f in matches(evaluate(dump.events[0], dump).analysis)]


def test_every_record_is_tied_to_a_function_or_a_kernel_series_and_cited() -> None:
    # a function (trace, or a whole path: trace_all), a kernel series or a distribution release;
    # a record tied only by its kernel message must name the event kinds that print it
    raw = yaml.safe_load(PATH.read_text("utf-8"))
    assert len(raw) == len(load())
    for record in raw:
        tied = record.get("trace") or record.get("trace_all") or record.get("kernels") or record.get("release")
        assert tied or (record.get("log") and record.get("kinds")), record["id"]
        assert record["fix"] and record["source"].startswith("http"), record["id"]
        for series, point in (record.get("stable") or {}).items():
            assert isinstance(series, str) and int(point) > 0, record["id"]  # "x.y": first fixed point


def test_a_trace_function_implicates_its_fix_and_the_step_says_so() -> None:
    text = load_case("lore-2020-parisc-nfsd-cache-order5")[0].decode()
    assert _ids(text) == ["nfsd-reply-cache-order5"]
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert any("8c38b705b4f4" in s for s in steps[:3])


def test_a_series_record_matches_only_its_series_kind_and_orders() -> None:
    text = load_case("lore-47-btrfs-send-order2-kstack")[0].decode()
    assert _ids(text) == ["premature-oom-high-order-4.7"]
    assert _ids(text.replace("4.7.0-06816", "4.9.0-06816")) == []
    assert _ids(load_case("lab-process-hog-deb612-amd64")[0].decode()) == []


def test_a_module_in_the_trace_is_named_in_the_step() -> None:
    findings = analyze(load_case("gh-lkrg-106")[0]).events[0].findings  # `... [p_lkrg]` frame
    steps = [s for f in findings for s in f.remediation]
    assert any("update the p_lkrg module, whose p_dump_task_f() is in the trace" in s for s in steps)
    plain = analyze(load_case("lab-fragmentation-deb612-amd64")[0]).events[0].findings
    oom130 = next(f for f in plain if f.code == "OOM130")
    assert not any("module, whose" in s for s in oom130.remediation)


def test_a_kernel_message_of_the_defect_ties_its_record_without_a_trace() -> None:
    # the ext4 error printed inside the OOM header, no call trace pasted (CoreOS 4.7)
    text = load_case("gh-coreos-bugs-1811")[0].decode()
    assert _ids(text) == ["ext4-mb-load-buddy-enomem"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and top.confidence == 0.7
    assert any(e.name == "message" and "Error loading buddy information" in str(e.value) for e in top.evidence)
    assert _ids(text.replace("Error loading buddy information", "Error reading block bitmap")) == []


def test_an_architecture_bound_record_needs_that_architecture() -> None:
    # block I/O bounced into ZONE_DMA through bio_copy_user: an x86_64 defect of 2.6 kernels
    text = load_case("lore-2615-x86_64-sg-io-bounce-gfp-dma-0xd1")[0].decode()
    assert _ids(text) == ["x86-64-block-bounce-into-zone-dma"]
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation][:3]
    assert any("bounce" in s and "Upgrade to a kernel with the fix" in s for s in steps)
    dump = parse_text(text)
    analysis = evaluate(dump.events[0], dump).analysis
    analysis.arch = "ppc"  # the same trace printed by another architecture
    assert [f.id for f in matches(analysis)] == []


def test_a_highmem_record_needs_the_paste_to_show_highmem() -> None:
    # memcg-lowmem-active-list-aging-4.8 concerns lowmem requests on HighMem kernels of 4.8-4.9:
    # GFP_KERNEL OOMs of 64-bit 4.8/4.9 kernels (every zone is lowmem) must not be offered it
    from oomcases import corpus_cases

    seen = 0
    for case in corpus_cases():
        dump = parse_text(load_case(case)[0])
        for event in dump.events:
            analysis = evaluate(event, dump).analysis
            if analysis.version is None or analysis.version[:2] not in ((4, 8), (4, 9)):
                continue
            if analysis.highest_zone != "Normal" or event.kind != "oom-kill":
                continue
            seen += 1
            ids = [f.id for f in matches(analysis)]
            assert ("memcg-lowmem-active-list-aging-4.8" in ids) == (analysis.has_highmem is True), case
    assert seen, "no 4.8/4.9 lowmem OOM in the corpus"


def test_proc_sysctl_buffer_record_needs_5_8_to_5_11() -> None:
    # 5.10.2 order-5/6 failures from proc_sys_call_handler (lore linux-fsdevel, 2021-02-20): the
    # read buffer was kzalloc'ed at the read count since 32927393dc1c (5.8) until 4508943794ef (5.12)
    text = load_case("lore-510-rk3399-procfs-order5-kmalloc")[0].decode()
    assert _ids(text) == ["proc-sysctl-read-buffer-kmalloc"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "4508943794ef" in top.remediation[0]
    assert _ids(text.replace("5.10.2 #80", "5.12.0 #80")) == []  # the first release with the fix
    assert _ids(text.replace("5.10.2 #80", "5.7.0 #80")) == []  # before the kzalloc'ed buffer


def test_a_driver_record_needs_its_module_and_says_when_no_fix_exists() -> None:
    # i40e's rx_bi/tx_bi bookkeeping arrays: a 4096-descriptor ring asks for an order-5 kzalloc
    # (lore netdev 2020, 4.19); the kvzalloc patch was not merged and later mainline still has the
    # kzalloc/kcalloc, so the step must not promise an upgrade
    text = load_case("lore-419-i40e-ringparam-order5-patch")[0].decode()
    assert _ids(text) == ["i40e-ring-bookkeeping-kzalloc"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606"
    assert top.remediation[0].startswith("No kernel upgrade fixes this known defect")
    assert "kvzalloc" in top.remediation[0] and "compact_memory" in top.remediation[0]
    assert "modinfo i40e" in top.remediation[1]
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation]
    assert not any(s.startswith("Upgrade to a kernel with the fix") for s in steps)
    # the same frames in another driver's module, or a request below order 3, are not this defect
    assert _ids(text.replace("[i40e]", "[ixgbe]")) == []
    assert _ids(text.replace("page allocation failure: order:5", "page allocation failure: order:2")) == []
    assert _ids(text.replace("page allocation failure: order:5", "page allocation failure: order:3")) == [
        "i40e-ring-bookkeeping-kzalloc"
    ]


def test_every_unfixed_record_gives_a_workaround_and_no_fixed_release() -> None:
    for record in yaml.safe_load(PATH.read_text("utf-8")):
        if record.get("unfixed"):
            assert record.get("workaround") and not record.get("fixed_in"), record["id"]


CASES = Path(__file__).resolve().parent / "cases"


def _case_text(name: str) -> str:
    return (CASES / name).read_text("utf-8")


def test_mmc_bounce_buffer_record_needs_mmc_init_request_and_a_high_order() -> None:
    # 4.14-rc2: mmc_init_request() kmalloc'ed a 64 KiB bounce buffer per request (mandatory since
    # 304419d8a7e9, 4.13) until de3ee99b097d deleted the bounce buffers (linux-mm, October 2017)
    text = _case_text("lore-414rc2-mmc-init-request-order4.log")
    assert _ids(text) == ["mmc-bounce-buffer-per-request-order4"]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM606" and "de3ee99b097d" in top.remediation[0]
    assert _ids(text.replace("order:4,", "order:2,")) == []  # not the 64 KiB buffer
    assert _ids(text.replace("order:4,", "order:3,")) == ["mmc-bounce-buffer-per-request-order4"]
    assert _ids(text.replace("mmc_init_request", "mmc_init_queue_x")) == []


def test_check_partition_record_needs_check_partition_and_a_high_order() -> None:
    # 3.8-rc4+: check_partition() kzalloc'ed its 64 KiB struct parsed_partitions (size-65536 cache,
    # order 4); Ming Lei's patch made it kzalloc + vzalloc (linux-mm, January 2013)
    text = _case_text("lore-38rc4-check-partition-order4.log")
    assert _ids(text) == ["check-partition-state-64k-kmalloc"]
    steps = [s for f in analyze(text).events[0].findings for s in f.remediation][:3]
    assert any("optimize memory allocation in check_partition" in s and "blockdev --rereadpt" in s for s in steps)
    assert _ids(text.replace("order:4,", "order:2,")) == []
    assert _ids(text.replace("check_partition+", "rescan_partitionz+")) == []


def test_records_picked_by_kind_match_as_the_whole_catalogue_does(monkeypatch) -> None:
    # matches() walks only of_kind(event.kind) (issue 12): over the corpus's events, in every mode,
    # it finds what walking every record of the catalogue finds
    analyses = []
    for case in corpus_cases():
        if not is_held_out(case):
            dump = parse_text(load_case(case)[0])
            analyses += [evaluate(event, dump).analysis for event in dump.events]
    modes = [(untraced, unversioned) for untraced in (False, True) for unversioned in (False, True)]
    picked = [[matches(a, untraced=u, unversioned=v) for u, v in modes] for a in analyses]
    monkeypatch.setattr(knowledge.kernel_fixes, "of_kind", lambda kind: load())
    assert picked == [[matches(a, untraced=u, unversioned=v) for u, v in modes] for a in analyses]
    assert sum(bool(found) for row in picked for found in row) > 50  # the corpus holds fits to compare
    kinds = {a.event.kind for a in analyses}
    assert all(len(of_kind(kind)) < len(load()) for kind in kinds)

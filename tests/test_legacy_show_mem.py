"""Reports of 2.6-era kernels read as the kernel printed them: unpopulated zones (`present:0kB`,
`Node 1 DMA: empty`), the one `Active:N inactive:N` LRU pair before the split LRU (2.6.28), the
capitalised `Active_anon:` of 2.6.28-2.6.31, and x86_64 module frames `:module:symbol+off/len`.
Each fact once misled a finding: an empty zone made a node look exhausted (OOM302), the unread
LRU counters made gigabytes look unaccounted (OOM215), and unread frames hid the caller."""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze
from knowledge.analysis import Analysis

E1000 = "lore-2618-x86_64-e1000-jumbo-order3-atomic"  # 2.6.18, four nodes, three of them without DMA zones
S390 = "lore-2628-s390-order2-dentry-inode-leak"  # 2.6.28: `Active_anon:372 active_file:45 inactive_anon:154`


def _analysis(case: str, index: int = 0) -> tuple[object, Analysis]:
    report = analyze(load_case(case)[0])
    event = report.events[index]
    return event, Analysis(event.event, report.dump)


def test_empty_zones_are_understood_and_never_usable() -> None:
    event, a = _analysis(E1000)
    empty = [z for z in a.zones if z.present_kb == 0]
    assert len(empty) >= 8
    assert all(z.usable is False for z in empty)
    # node 0 keeps 95 MB free in DMA32: it is not an exhausted node, and no node is
    assert all(f.code != "OOM302" for f in event.findings)


def test_empty_lines_are_not_listed_as_unparsed() -> None:
    from grammar.parse import parse_text

    dump = parse_text(load_case(E1000)[0])
    texts = [line.text for e in dump.events for line in e.unparsed]
    # `Node 0 Normal per-cpu: empty` and `Node 1 DMA: empty`: 22 lines of this report
    assert texts == [], texts


def test_pre_split_lru_counts_as_memory() -> None:
    event, a = _analysis(E1000)
    lru = a.figure("lru")
    assert lru is not None and lru.kb == (1351719 + 440448) * 4
    # 6.8 GiB sit on the LRU: nothing near 86 % of RAM is unaccounted
    assert all(f.code != "OOM215" for f in event.findings)


def test_capitalised_active_anon_is_read() -> None:
    event, _ = _analysis(S390)
    meminfo = event.event.meminfo
    assert (meminfo.get("active_anon"), meminfo.get("active_file"), meminfo.get("inactive_anon")) == (372, 45, 154)


def test_module_frames_and_the_caller_past_the_allocator() -> None:
    event, _ = _analysis(E1000)
    assert "ipt_do_table" in event.event.call_trace
    caller = next(f for f in event.findings if f.code == "OOM131")
    # the stale `:ip_tables:ipt_do_table` word between __alloc_pages and cache_grow is stepped over,
    # and so are the slab and socket-buffer wrappers: the driver's refill is the caller
    assert "from e1000_alloc_rx_buffers" in caller.explanation


def test_two_six_two_x_kill_score_line_is_read() -> None:
    # 2.6.24-2.6.35 oom_kill_process(): `Out of memory: kill process 3837 (slpd) score 897 or a child`
    from grammar.parse import parse_text

    dump = parse_text(load_case("lore-224rc5mm1-i686-quicklist-pgd-lowmem")[0])
    first = dump.events[0]
    assert first.unparsed == ()
    assert first.kill is not None and (first.kill.pid, first.kill.score) == (3837, 897)


def test_two_six_fifteen_per_cpu_lines_are_read() -> None:
    # 2.6.15: `cpu 0 hot: low 0, high 0, batch 1 used:0` (a low mark before the high one)
    from grammar.parse import parse_text

    dump = parse_text(load_case("lore-2615-x86_64-sg-io-bounce-gfp-dma-0xd1")[0])
    assert [u.text for e in dump.events for u in e.unparsed] == []

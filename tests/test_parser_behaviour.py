"""Parser behaviour on real inputs pushed around: formats, quotations, repeated events, junk."""

from __future__ import annotations

import gzip
import json

from oomcases import load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields
from grammar.parse import MAX_INPUT_BYTES, parse_text

SEED = "seed-rsync-32bit"


def _facts(data: bytes | str) -> list[dict]:
    return [contract_fields(e.event) for e in analyze(data).events]


def test_seed_is_read_completely() -> None:
    data, _meta = load_case(SEED)
    report = analyze(data)
    assert report.kernel == "3.2.59" and report.arch == "i686"
    (event,) = report.events
    normal = next(z for z in event.event.zones if z.name == "Normal")
    assert (normal.free_kb, normal.min_kb, normal.all_unreclaimable) == (8056, 8048, True)
    assert normal.lowmem_reserve == (0, 0, 252949, 252949)
    assert event.event.page_totals["HighMem"] == 8422402
    assert [t.name for t in event.event.tasks] == ["rsync", "rsync", "clamd"]


def test_slack_escaped_fenced_and_quoted_paste_reads_like_the_original() -> None:
    data, _ = load_case(SEED)
    text = data.decode()
    slack = "here you go\n```\n" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "\n```"
    mail = "On Mon, someone wrote:\n" + "\n".join("> " + line for line in text.splitlines())
    assert _facts(slack) == _facts(data) == _facts(mail)


def test_gzip_input_is_read() -> None:
    data, _ = load_case(SEED)
    assert _facts(gzip.compress(data)) == _facts(data)


def test_crlf_and_rsyslog_escapes() -> None:
    data, _ = load_case(SEED)
    text = data.decode()
    assert _facts(text.replace("\n", "\r\n")) == _facts(text)
    assert _facts(text.replace("\n", "#012")) == _facts(text)


def test_cloud_logging_json_export() -> None:
    data, _ = load_case("lab-process-hog-deb612-amd64")
    lines = data.decode().splitlines()
    export = json.dumps(
        [
            {"textPayload": line + "\r\n", "timestamp": f"2024-01-01T00:00:{i // 100:02d}.{i % 100:06d}Z"}
            for i, line in enumerate(lines)
        ][::-1]
    )  # exports list the newest entry first
    assert _facts(export) == _facts(data)


def test_quoting_an_event_again_does_not_invent_a_second_one() -> None:
    data, _ = load_case(SEED)
    text = data.decode()
    quoted = (
        text + "\nThe important lines are these:\n" + "\n".join(text.splitlines()[60:66]) + "\nso lowmem is gone.\n"
    )
    assert len(analyze(quoted).events) == 1


def test_the_same_paste_twice_is_one_event_but_a_repeated_kernel_warning_is_two() -> None:
    data, _ = load_case(SEED)
    text = data.decode()
    assert len(analyze(text + "\nand again:\n" + text).events) == 1
    warning = "rsync: page allocation failure. order:3, mode:0x20\nStack pointer is garbage, not printing trace\n"
    assert len(analyze(warning * 3).events) == 3


def test_every_event_in_a_multi_event_paste_is_read_in_order() -> None:
    first, _ = load_case("lab-memcg-v1-deb61-amd64")
    second, _ = load_case(SEED)
    third, _ = load_case("lab-hugetlb-deb612-amd64")
    kinds = [f["kind"] for f in _facts(first + b"\n" + second + b"\n" + third)]
    assert kinds == ["memcg-oom", "oom-kill", "oom-kill"]


def test_partial_pastes_give_what_is_there() -> None:
    data, _ = load_case(SEED)
    lines = data.decode().splitlines()
    kill_only = "\n".join(line for line in lines if "Killed process" in line)
    (facts,) = _facts(kill_only)
    assert facts["killed_pid"] == 21832 and facts["kind"] == "oom-kill" and facts["zones"] is None
    meminfo_only = "\n".join(lines[16:64])
    (facts,) = _facts(meminfo_only)
    assert facts["kind"] is None and facts["killed_pid"] is None and facts["zones"]


def test_lines_the_grammar_does_not_know_are_kept_as_unparsed() -> None:
    data, _ = load_case(SEED)
    lines = data.decode().splitlines()
    lines.insert(70, "Sep 23 02:04:16 [kernel] [1772321.850811] some_new_counter_line: 42 units")
    (event,) = analyze("\n".join(lines)).events
    assert any("some_new_counter_line" in u.text for u in event.event.unparsed)


def test_non_oom_log_and_junk_get_a_clear_message() -> None:
    for data in (b"", b"\x00\x01\x02\xff" * 500, "Started Session 1 of user root.\n" * 50):
        report = analyze(data)
        assert not report.events
        assert report.message and "\n" not in report.message


def test_oversized_input_is_refused_with_a_message() -> None:
    dump = parse_text(b"x" * (MAX_INPUT_BYTES + 1))
    assert not dump.events and "limit" in dump.warnings[0]


def test_prefix_formats_agree() -> None:
    """The same kernel output rendered by different tools yields the same facts."""
    base, _ = load_case("lab-panic-on-oom-deb612-amd64")
    for variant in ("crlf-syslog", "dmesg-user"):
        data, _ = load_case(f"lab-panic-on-oom-deb612-amd64--{variant}")
        assert _facts(data) == _facts(base)


def test_partial_pastes_say_what_is_missing() -> None:
    data, _ = load_case(SEED)
    lines = data.decode().splitlines()
    (kill_only,) = analyze("\n".join(line for line in lines if "Killed process" in line)).events
    assert set(kill_only.event.missing) == {"trigger", "mem-info", "task-dump"}
    (complete,) = analyze(data).events
    assert complete.event.missing == ()
    memcg, _ = load_case("lab-memcg-v2-deb61-arm64")
    (event,) = analyze(memcg).events
    assert event.event.missing == ()


LEGACY_2_6_18 = """oom-killer: gfp_mask=0x201d2, order=0
Mem-info:
DMA per-cpu:
cpu 0 hot: high 0, batch 1 used:0
cpu 0 cold: high 0, batch 1 used:0
Free pages:       42204kB (1440kB HighMem)
Active:220593 inactive:20350 dirty:0 writeback:0 unstable:0 free:10551 slab:4187 mapped:217740 pagetables:1131
DMA free:3588kB min:68kB low:84kB high:100kB active:0kB inactive:0kB present:16384kB pages_scanned:0 all_unreclaimable? yes
lowmem_reserve[]: 0 0 880 1007
DMA: 3*4kB 3*8kB 2*16kB 2*32kB 2*64kB 2*128kB 2*256kB 1*512kB 0*1024kB 1*2048kB 0*4096kB = 3588kB
Swap cache: add 0, delete 0, find 0/0, race 0+0
Free swap  = 0kB
Total swap = 0kB
262128 pages of RAM
32752 pages of HIGHMEM
5213 reserved pages
116364 pages shared
0 pages swap cached
Out of Memory: Kill process 4242 (java) score 912345 and children.
Out of memory: Killed process 4242 (java).
"""


def test_2_6_18_report_is_read_whole() -> None:
    """2.6.9-2.6.18 formats (mm/oom_kill.c, mm/page_alloc.c, arch/i386/mm/pgtable.c show_mem)."""
    (analysed,) = analyze(LEGACY_2_6_18).events
    event = analysed.event
    assert event.kind == "oom-kill" and not event.unparsed
    assert event.trigger is not None and (event.trigger.gfp_mask, event.trigger.order) == ("0x201d2", 0)
    assert event.page_totals["RAM"] == 262128 and event.page_totals["HighMem"] == 32752
    assert event.page_totals["reserved"] == 5213
    assert event.kill is not None and (event.kill.pid, event.kill.score, event.kill.score_per_mille) == (
        4242,
        912345,
        False,
    )
    assert [z.name for z in event.zones] == ["DMA"] and event.zones[0].lowmem_reserve == (0, 0, 880, 1007)


def test_kubernetes_event_quoting_a_kernel_line() -> None:
    (facts,) = _facts(
        "  Warning  OOMKilling  3m  kernel-monitor, gke-pool-1  Memory cgroup out of memory: "
        "Kill process 4481 (stress) score 1994 or sacrifice child"
    )
    assert (facts["kind"], facts["killed_pid"], facts["killed_comm"]) == ("memcg-oom", 4481, "stress")


def test_kubernetes_event_aggregated_by_the_event_correlator() -> None:
    # client-go's correlator prefixes a repeated event's message and widens the age column
    (facts,) = _facts(
        "  Warning  OOMKilling  4m55s (x7 over 35m)  kernel-monitor, shoot--prow--worker-z1-59cbb-8gkfl  "
        "(combined from similar events): Memory cgroup out of memory: Killed process 147451 "
        "(runc:[2:INIT]) total-vm:407840kB, anon-rss:6628kB, file-rss:6352kB, shmem-rss:0kB"
    )
    assert (facts["kind"], facts["killed_pid"], facts["killed_comm"]) == ("memcg-oom", 147451, "runc:[2:INIT]")


def test_stamp_cut_at_the_start_and_paths_wrapped_mid_token() -> None:
    path = "/kubepods/pod951f6bc5-c5a5-11ea-8707-80e455f266a2/024952d653ef"
    text = (
        f"5193605.506728] Task in {path} killed as a result of limit of {path[:8]}\n{path[8:]}\n"
        "[5193605.506735] memory: usage 524288kB, limit 524288kB, failcnt 0\n"
        f"[5193605.506739] Memory cgroup stats for {path}: cache:507172KB rss:44\n8KB rss_huge:0KB\n"
        "[5193605.506956] Memory cgroup out of memory: Kill process 62685 (bash) score 0 or sacrifice child\n"
    )
    (analysed,) = analyze(text).events
    event = analysed.event
    assert event.kind == "memcg-oom" and not event.unparsed
    assert event.memcg is not None and event.memcg.path == path and event.memcg.stats["rss"] == 448


def test_irq_marked_frames_and_raw_stack_words_are_trace_lines() -> None:
    text = (
        "swapper/21: page allocation failure: order:0, mode:0x20\n"
        "CPU: 21 PID: 0 Comm: swapper/21 Not tainted 3.10.0-1062.el7.x86_64 #1\n"
        " ffff8f7a177c3bb0 ffffffffab31c193 ffffffffab7c19e0 0000000000000000\n"
        "Call Trace:\n"
        " <IRQ>  [<ffffffffaf179262>] dump_stack+0x19/0x1b\n"
        " [<ffffffffaebc23d0>] warn_alloc_failed+0x110/0x180\n"
    )
    (analysed,) = analyze(text).events
    assert not analysed.event.unparsed
    assert analysed.event.call_trace[:2] == ("dump_stack", "warn_alloc_failed")


def test_ram_is_not_guessed_from_a_zone_report_cut_short() -> None:
    """Only the DMA zone survived: its 16 MB is not the machine's RAM (shares above 100 % followed)."""
    text = (
        "Mem-Info:\n"
        "active_anon:656114 inactive_anon:679646 isolated_anon:0\n"
        " free:114480 free_pcp:1688 free_cma:0\n"
        "Node 0 DMA free:13312kB min:64kB low:80kB high:96kB active_anon:0kB present:15992kB managed:15360kB\n"
    )
    (analysed,) = analyze(text).events
    assert all(f.category not in ("shmem_tmpfs", "pagetables_kernel_overhead") for f in analysed.findings)


def test_arm_unwinder_lines_of_5x_kernels() -> None:
    text = (
        "[  503.276706]  show_stack from dump_stack_lvl+0x90/0xac\n"
        "[  503.280254]  oom_kill_process from out_of_memory+0x218/0x34c\n"
        "[  503.288021] Exception stack(0xf0f09fa8 to 0xf0f09ff0)\n"
        "[  503.289097] 9fa0:                   02327c68 000005e8 00000009 0237d3c8\n"
        "[  503.292407] Mem-Info:\n"
        "[  503.293880] active_anon:239 inactive_anon:6955 isolated_anon:0\n"
    )
    (analysed,) = analyze(text).events
    assert analysed.event.kind == "oom-kill" and not analysed.event.unparsed
    assert "out_of_memory" in analysed.event.call_trace


def test_prefix_alone_then_zone_line_wrapped_over_indented_lines() -> None:
    """A syslog prefix with its message on the next line, wrapped over six indented lines."""
    data, _ = load_case("lore-2636rc8-i686-highmem-reformatted")
    (analysed,) = analyze(data).events
    dma = next(z for z in analysed.event.zones if z.name == "DMA")
    assert dma.values["present"] == 15788 and dma.values["pages_scanned"] == 421 and dma.all_unreclaimable
    assert dma.lowmem_reserve == (0, 865, 1980, 1980)
    assert [u.text for u in analysed.event.unparsed] == ["Zone's stat is."]


def test_arm_frames_with_module_names_and_cut_lines() -> None:
    text = (
        "[  969.610000] [<c051aa84>] (__netdev_alloc_skb) from [<bf17c574>] (_rtl_rx_completed+0xac/0x1bc [rtl_usb])\n"
        "[  969.610000] [<bf17c574>] (_rtl_rx_completed [rtl_usb]) from [<c03f08c8>] (__usb_hcd_giveback_urb+0x70/0x108)\n"
        "[  969.610000] [<8010c174>] (show_stack) from [<80788fa4>] (dump_sta\n"
        "[  969.610000] systemd-cgroups: page allocation failure: order:0, mode:0x20\n"
    )
    (analysed,) = analyze(text).events
    assert not analysed.event.unparsed


def test_a_report_printed_in_one_second_with_older_lines_below_is_not_read_newest_first() -> None:
    # syslog stamps have one-second resolution, so a whole report often stands still; two lines of
    # another host pasted below it, stamped earlier, are no newest-first listing while the report's
    # own sections (trigger line first, Call Trace: above its frames) run forwards
    data, _ = load_case("gh-coreos-bugs-2586")
    tail = (
        b"Mar 14 02:03:45 node-08 systemd[1]: logrotate.service: Deactivated successfully.\n"
        b"Mar 14 02:03:29 node-08 sshd[4242]: Accepted publickey for deploy from 10.1.2.3 port 2997 ssh2\n"
    )
    alone = parse_text(data)
    below = parse_text(data.rstrip(b"\n") + b"\n" + tail)
    assert [(e.kind, e.first_line, e.last_line, e.trigger) for e in below.events] == [
        (e.kind, e.first_line, e.last_line, e.trigger) for e in alone.events
    ]
    assert below.events and below.events[0].kind == "memcg-oom"


def test_blog_code_block_markers_are_not_kernel_text() -> None:
    """A dump published in a Hugo blog post sits between `{{< highlight text >}}` and
    `{{< /highlight >}}` lines: the closing marker after the task table's last row is not a wrapped
    continuation of that row's command name (real post: the R worker 3095 was read as
    "R {{< /highlight >}}")."""
    report = analyze(load_case("code-polodev-datawookie-ec2-jobs-getting-killed")[0])
    (event,) = report.events
    names = {t.pid: t.name for t in event.event.tasks}
    assert len(names) == 35
    assert names[3095] == "R" and names[3026] == "R"
    assert not any("{" in name or "highlight" in name for name in names.values())


def test_hugo_and_jekyll_highlight_blocks_read_like_the_original() -> None:
    data, _ = load_case(SEED)
    text = data.decode()
    hugo = "The dmesg output:\n\n{{< highlight text >}}\n" + text + "\n{{< /highlight >}}\n"
    jekyll = "The dmesg output:\n\n{% highlight console %}\n" + text + "\n{% endhighlight %}\n"
    assert _facts(hugo) == _facts(data) == _facts(jekyll)
    names = [t.name for t in analyze(hugo).events[0].event.tasks]
    assert names == ["rsync", "rsync", "clamd"]


def test_memory_oom_group_kill_is_one_event() -> None:
    """With memory.oom.group set, one oom_kill_process() call kills the victim, prints 'Tasks in /test1 are
    going to be killed due to memory.oom.group set' and kills every other task of the group, one kill line
    each (mm/oom_kill.c oom_kill_memcg_member(), mm/memcontrol.c mem_cgroup_print_oom_group(), 4.19-6.x):
    one event, whose victim is the first kill's. The changelog below the log quotes four of its lines
    (the oom.group line, the kill of pid 1, its reaper line and the 'Attempted to kill init!' panic, whose
    own stack dump from pid 1 is no memory report): a quotation, not a second event. Real paste: Tetsuo
    Handa's reproducer quoted in Michal Hocko's reply (linux-mm, 1 Feb 2019), a corpus case in folds 1-4."""
    case = "lore-50rc4-memcg-oom-group-kills-init-panic"
    from oomcases import is_held_out

    assert not is_held_out(case)
    facts = _facts(load_case(case)[0])
    assert len(facts) == 1
    assert facts[0]["kind"] == "memcg-oom"
    assert (facts[0]["killed_pid"], facts[0]["killed_comm"], facts[0]["memcg"]) == (9188, "a.out", "/test1")


def test_2_6_8_oom_header_without_order_is_the_trigger() -> None:
    """2.6.8 mm/oom_kill.c out_of_memory() prints `oom-killer: gfp_mask=0x%x` with no order: the
    mask is read, the order stays unknown (lore 200408181455.42279.as@cohaesio.com, 2.6.8.1)."""
    data, _meta = load_case("lore-lkml-2004-oom-killer-2681-nfs-xfs-slab")
    (analysed,) = analyze(data).events
    event = analysed.event
    assert event.kind == "oom-kill"
    assert event.trigger is not None and (event.trigger.gfp_mask, event.trigger.order) == ("0xd0", None)
    assert event.kill is not None and (event.kill.pid, event.kill.comm) == (1049, "rpc.statd")


def test_2_6_i386_multi_column_trace_is_a_trace() -> None:
    """2.6.16+ i386 with CONFIG_STACK_BACKTRACE_COLS=2 prints `<c01369e2> __alloc_pages+0x1f2/0x2d0`
    two frames a line (arch/i386/kernel/traps.c print_addr_and_symbol()): trace lines of a
    32-bit x86 kernel (lore 44D1FEB7.2050703@arndnet.de, 2.6.17.6, quoted with '> ')."""
    data, _meta = load_case("lore-lkml-2006-e1000-jumbo-order3-min-free")
    report = analyze(data)
    assert report.arch == "i686"
    failure = report.events[-1].event
    assert failure.kind == "page-allocation-failure"
    assert not any("__alloc_pages+0x1f2" in line.text for line in failure.unparsed)

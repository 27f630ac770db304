"""What people really paste: lines they shortened, reports known only from their call trace,
log prefixes and export formats of other tools. Inputs are corpus cases with the change applied."""

from __future__ import annotations

import json
import re

import pytest
from oomcases import load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields
from grammar.lexicon import classify_fields
from grammar.normalise import line_content, normalise
from grammar.parse import parse_text
from grammar.stamps import read_stamp
from grammar.transform import read_line

HOG = "lab-process-hog-deb612-amd64"  # global OOM, 6.12, dmesg stamps
MEMCG = "lab-memcg-v1-deb61-amd64"  # memcg OOM, 6.1
ALLOC = "gh-burzumishi-linux-baytrail-flexx10-12"  # page allocation failure, 4.12, every frame `?`
V1_TASK_IN = "code-google-cadvisor-containeroom"  # 3.x memcg v1, `Task in ... killed as a result of limit of`


def _text(case: str) -> str:
    return load_case(case)[0].decode()


def _facts(text: str) -> list[dict]:
    return [contract_fields(e.event) for e in analyze(text).events]


def _one(text: str) -> dict:
    (event,) = _facts(text)
    return event


def _replace_line(text: str, needle: str, new: str) -> str:
    lines = text.split("\n")
    (index,) = [i for i, line in enumerate(lines) if needle in line]
    stamp = re.match(r"\[[^\]]*\] ?", lines[index])
    lines[index] = (stamp.group(0) if stamp else "") + new
    return "\n".join(lines)


# ---- 1. lines a person shortened ------------------------------------------------------------


def test_symbolic_gfp_print_shortened_to_dots_keeps_the_mask() -> None:
    text = _text(HOG).replace("(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO)", "(...)")
    event = _one(text)
    assert (event["gfp_mask"], event["gfp_symbolic"], event["order"], event["oom_score_adj"]) == (
        "0x140dca",
        None,
        0,
        0,
    )
    assert event["killed_pid"] == 149


def test_hidden_mask_digits_are_not_read_as_a_mask_but_the_rest_is() -> None:
    text = _text(HOG).replace("gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO)", "gfp_mask=0x140d****")
    event = _one(text)
    assert (event["trigger_comm"], event["gfp_mask"], event["order"], event["oom_score_adj"]) == ("memhog", None, 0, 0)


def test_summary_list_cut_with_dots() -> None:
    text = _replace_line(_text(HOG), "oom-kill:constraint=", "oom-kill:constraint=CONSTRAINT_NONE,...")
    assert _one(text)["constraint"] == "CONSTRAINT_NONE"


def test_kill_line_cut_in_the_middle_reads_every_whole_field() -> None:
    text = _replace_line(
        _text(HOG), "Killed process 149", "Out of memory: Killed process 149 (memhog) total-vm:427064kB, anon-rss:4208"
    )
    event = _one(text)
    full = _one(_text(HOG))
    assert (event["killed_pid"], event["killed_comm"], event["killed_total_vm_kb"]) == (149, "memhog", 427064)
    assert event["killed_anon_rss_kb"] is None  # `4208` may be the start of 420864: not read
    assert {k: v for k, v in event.items() if not k.startswith("killed_")} == {
        k: v for k, v in full.items() if not k.startswith("killed_")
    }


def test_kill_line_ending_in_an_ellipsis() -> None:
    text = _replace_line(
        _text(HOG),
        "Killed process 149",
        "Out of memory: Killed process 149 (memhog) total-vm:427064kB, anon-rss:420864kB, ...",
    )
    event = _one(text)
    assert (event["killed_total_vm_kb"], event["killed_anon_rss_kb"], event["killed_file_rss_kb"]) == (
        427064,
        420864,
        None,
    )


def test_trigger_line_cut_in_the_middle() -> None:
    line = "memhog invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_sc"
    event = _one(_replace_line(_text(HOG), "invoked oom-killer", line))
    assert (
        event["trigger_comm"],
        event["gfp_mask"],
        event["gfp_symbolic"],
        event["order"],
        event["oom_score_adj"],
    ) == ("memhog", "0x140dca", "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO", 0, None)
    cut_in_mask = _one(_replace_line(_text(HOG), "invoked oom-killer", "memhog invoked oom-killer: gfp_mask=0x140d"))
    assert (cut_in_mask["kind"], cut_in_mask["trigger_comm"], cut_in_mask["gfp_mask"]) == ("oom-kill", "memhog", None)


def test_allocation_failure_cut_after_the_mask() -> None:
    text = _text(ALLOC).replace(
        "mode:0x14210d2(GFP_HIGHUSER|__GFP_NORETRY|__GFP_RECLAIMABLE),\nnodemask=(null)",
        "mode:0x14210d2(GFP_HIGHUSER|__GFP_NOR",
    )
    event = _one(text)
    assert (event["kind"], event["trigger_comm"], event["order"], event["gfp_mask"], event["gfp_symbolic"]) == (
        "page-allocation-failure",
        "RenderThread",
        0,
        "0x14210d2",
        None,
    )


def test_prose_mentioning_the_phrase_is_no_event() -> None:
    prose = (
        "#define __GFP_NOWARN 0x200u /* Suppress page allocation failure warning */\n"
        "Why would the kernel say that some task invoked oom-killer: I have 64 GB of RAM\n"
    )
    assert parse_text(prose).events == ()


def test_kill_line_inside_inline_backticks() -> None:
    line = next(x for x in _text(HOG).splitlines() if "Killed process" in x)
    prose = f"After the restart I found `{line}` in dmesg, and `free -m` shows plenty. Why?"
    event = _one(prose)
    full = _one(_text(HOG))
    assert {k: event[k] for k in event if k.startswith("killed_")} == {
        k: full[k] for k in full if k.startswith("killed_")
    }
    assert event["kind"] == "oom-kill"


@pytest.mark.parametrize(
    "mark",
    ["...", "[...]", "<snip>", "[snip]", "(...)", "\u2026", "--- snip ---", "[... 40 lines omitted ...]", "-- 8< --"],
)
@pytest.mark.parametrize("stamps", [True, False])
def test_ellipsis_where_a_person_cut_the_report(mark: str, stamps: bool) -> None:
    lines = _text(HOG).split("\n")
    if not stamps:
        lines = [re.sub(r"^\[[^\]]*\] ?", "", line) for line in lines]
    start = next(i for i, x in enumerate(lines) if "Call Trace:" in x)
    end = next(i for i, x in enumerate(lines) if "Mem-Info:" in x)
    cut = "\n".join(lines[: start + 3] + [mark] + lines[end - 1 :])
    dump = parse_text(cut)
    (event,) = dump.events
    assert event.unparsed == ()
    assert not any(mark in line.text for line in event.lines)  # not glued to a kernel line
    assert _facts(cut) == _facts("\n".join(lines))


def test_ellipsis_is_not_glued_to_the_line_before() -> None:
    # In a prefixed paste a line without prefix is tried as the continuation of the one before;
    # `...` would otherwise become part of the last task name.
    lines = _text(HOG).split("\n")
    last_row = max(i for i, x in enumerate(lines) if re.match(r"\[[^\]]*\]\s+\[\s*\d+\]", x))
    cut = "\n".join(lines[: last_row + 1] + ["..."] + lines[last_row + 1 :])
    names = [t.name for t in parse_text(cut).events[0].tasks]
    assert names == [t.name for t in parse_text(_text(HOG)).events[0].tasks]


# ---- 2. events known only from their call trace ---------------------------------------------


def _trace_only(case: str) -> str:
    lines = _text(case).split("\n")
    start = next(i for i, x in enumerate(lines) if "Call Trace:" in x)
    end = next(
        i
        for i in range(start + 1, len(lines))
        if "</TASK>" in lines[i] or "Mem-Info" in lines[i] or "---[ end trace" in lines[i] or i == len(lines) - 1
    )
    return "\n".join(lines[start : end + 1])


@pytest.mark.parametrize(
    ("case", "kind"), [(HOG, "oom-kill"), (MEMCG, "memcg-oom"), (ALLOC, "page-allocation-failure")]
)
def test_call_trace_alone_tells_the_kind(case: str, kind: str) -> None:
    (event,) = _facts(_trace_only(case))
    assert event["kind"] == kind


def test_task_blocked_in_reclaim_is_no_event() -> None:
    # A hung-task report: the allocation path is below the frames where the task waits.
    trace = _trace_only(HOG).split("\n")
    out_of_memory = next(i for i, x in enumerate(trace) if "out_of_memory+" in x)
    blocked = [
        "INFO: task memhog:149 blocked for more than 120 seconds.",
        trace[0],
        trace[1],
        "[    2.421480]  __schedule+0x2e6/0x8f0",
        "[    2.421480]  schedule+0x5a/0x110",
        "[    2.421480]  schedule_timeout+0x9d/0x160",
        "[    2.421480]  io_schedule_timeout+0x51/0x80",
    ] + trace[out_of_memory + 1 :]
    assert parse_text("\n".join(blocked)).events == ()


def test_sysrq_manual_oom_known_from_its_trace() -> None:
    # The stack of SysRq-f's worker (drivers/tty/sysrq.c moom_callback), 5.x.
    trace = (
        "Call Trace:\n dump_stack+0x6d/0x8b\n dump_header+0x4f/0x200\n oom_kill_process.cold+0xb/0x10\n"
        " out_of_memory+0x1ab/0x4a0\n moom_callback+0x78/0xb0\n process_one_work+0x1eb/0x3b0\n"
        " worker_thread+0x4d/0x400\n kthread+0x104/0x140\n ret_from_fork+0x35/0x40\n"
    )
    (event,) = _facts(trace)
    assert event["kind"] == "sysrq-manual"


def test_memcg_line_whose_start_was_cut_off() -> None:
    text = _text(V1_TASK_IN)
    line = next(x for x in text.splitlines() if "killed as a result of limit of" in x)
    cut = "...killed as a result of limit of " + line.rsplit(" ", 1)[1]
    (event,) = _facts(cut)
    assert (event["kind"], event["memcg"]) == ("memcg-oom", line.rsplit(" ", 1)[1])


# ---- 3. prefixes and wrappers of other tools ---------------------------------------------------


def _each_line(case: str, render) -> str:
    return "\n".join(render(i, line) for i, line in enumerate(_text(case).rstrip("\n").split("\n")))


@pytest.mark.parametrize(
    "render",
    [
        # OpenWrt / BusyBox logread
        lambda i, line: f"Sat Jan 27 00:{i // 60:02d}:{i % 60:02d} 2024 kern.warn kernel: {line}",
        # a terminal copy with the prompt in front of every line
        lambda i, line: f"root@OpenWrt:~# {line}",
        lambda i, line: f"$ {line}",
        lambda i, line: f"# {line}",
        # tab-separated exports: time, host, (source), message
        lambda i, line: f"2024-01-27T00:14:{i % 60:02d}.{i:03d}Z\tnode-1\t{line}",
        lambda i, line: f"Jan 27, 2024 @ 00:14:{i % 60:02d}.{i:03d}\tnode-1\tkern.log\tkernel: {line}",
        # Android logcat -b kernel (threadtime, time) and the console level of Android dmesg
        lambda i, line: f"01-27 00:14:{i % 60:02d}.{i:03d}     0     0 I kernel  : {line}",
        lambda i, line: f"01-27 00:14:{i % 60:02d}.{i:03d} W/kernel  (    0): {line}",
        lambda i, line: f"<6>{line}",
    ],
    ids=[
        "logread",
        "prompt-user-host",
        "prompt-dollar",
        "prompt-hash",
        "tsv-iso",
        "tsv-kibana",
        "logcat-threadtime",
        "logcat-time",
        "android-level",
    ],
)
def test_prefix_of_another_tool_reads_like_the_original(render) -> None:
    assert _facts(_each_line(HOG, render)) == _facts(_text(HOG))


def test_tab_export_with_a_header_row() -> None:
    body = _each_line(HOG, lambda i, line: f"2024-01-27 00:14:{i % 60:02d}.{i:03d}\tnode-1\t{line}")
    assert _facts("time\thost\tmessage\n" + body) == _facts(_text(HOG))


def test_android_vendor_task_tags() -> None:
    samsung = _each_line(HOG, lambda i, line: re.sub(r"^(\[[^\]]*\])", r"<6>\1  [0:      memhog:  149]", line))
    mediatek = _each_line(HOG, lambda i, line: re.sub(r"^(\[[^\]]*\]) ?", r"\1 (0)[149:memhog]", line))
    assert _facts(samsung) == _facts(mediatek) == _facts(_text(HOG))


@pytest.mark.parametrize("shape", ["flat", "loki", "elastic", "journald"])
def test_json_lines_export_newest_first(shape: str) -> None:
    records = []
    for i, line in enumerate(_text(MEMCG).rstrip("\n").split("\n")):
        stamp = f"2024-01-27T00:14:{i // 1000:02d}.{i % 1000:03d}Z"
        records.append(
            {
                "flat": {"timestamp": stamp, "host": "node-1", "message": line},
                "loki": {"labels": {"host": "node-1", "job": "kmsg"}, "line": line, "timestamp": stamp},
                "elastic": {
                    "_index": "logs",
                    "_source": {"@timestamp": stamp, "message": line, "host": {"name": "node-1"}},
                },
                "journald": {"__REALTIME_TIMESTAMP": str(1706314472000000 + i), "_HOSTNAME": "node-1", "MESSAGE": line},
            }[shape]
        )
    export = "\n".join(json.dumps(record) for record in reversed(records))
    assert _facts(export) == _facts(_text(MEMCG))


# ---- 4. arch only from what the paste shows ---------------------------------------------------

# A MIPS router (OpenWrt, 4.14; github.com/Nossiac/mtk-openwrt-feeds issue 67), trace cut mid-frame.
MIPS_TRACE = """\
<4>[ 3117.572001] procd invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=(null),  order=0, oom_score_adj=0
<4>[ 3117.572037] CPU: 0 PID: 1 Comm: procd Tainted: P                4.14.43 #0
<4>[ 3117.572043] Stack : 00000000 00000000 00000000 00000000 805c7ad2 0000003e 00000000 00000000
<4>[ 3117.572072]         87c50394 805588a7 804e76bc 00000000 00000001 00000001 87c4da60 532616ca
<4>[ 3117.572184]         ...
<4>[ 3117.572193] Call Trace:
<4>[ 3117.572228] [<80010498>] show_stack+0x58/0x100
<4>[ 3117.572262] [<8042f07c>] dump_stack+0x9c/0xe0
<4>[ 3117.572276] [<800c4644>] dump_header.isra.6+0xa4/0x200
<4>[ 3117.572285] [<800c37cc>] oom_kill_process+0xf0/0x544
<4>[ 3117.572293] [<800c44c8>] out_of_memory+0x3cc/
"""
HIGHMEM_ZONE = (
    "<4>[ 3117.572300] HighMem free:1024kB min:128kB low:160kB high:192kB present:131072kB managed:131072kB\n"
)


def test_mips_router_is_read_as_mips() -> None:
    dump = parse_text(MIPS_TRACE)
    (event,) = dump.events
    assert dump.arch == "mips"
    assert event.unparsed == ()  # the stack words, the `...` and the frame cut mid-offset are all known
    assert event.call_trace[-1] == "out_of_memory"


def test_highmem_zone_and_32_bit_addresses_are_no_evidence_of_i686() -> None:
    without_stack_words = "\n".join(x for x in MIPS_TRACE.splitlines() if "Stack :" not in x and "87c50394" not in x)
    dump = parse_text(without_stack_words + "\n" + HIGHMEM_ZONE)
    assert [z.name for z in dump.events[0].zones] == ["HighMem"]
    assert dump.arch is None  # kernel text at 0x8...: not x86-32; nothing else names the arch


# ---- 5. shapes found in real pastes outside the corpus -------------------------------------------


def test_markdown_code_block_indented_inside_a_quote() -> None:
    # github.com/Project-OSRM/osrm-backend issue 2058: a quoted, four-space indented syslog excerpt
    text = (
        ">     Mar 5 07:43:21 www kernel: Mem-Info:\n"
        ">     Mar 5 07:43:21 www kernel: Node 0 DMA per-cpu:\n"
        ">     Mar 5 07:43:21 www kernel: CPU 0: hi: 0, btch: 1 usd: 0\n"
        ">     Mar 5 07:43:21 www kernel: Node 0 DMA32 per-cpu:\n"
        ">     Mar 5 07:43:21 www kernel: CPU 2: hi: 186, btch: 31 usd: 30\n"
    )
    (event,) = parse_text(text).events
    assert event.kind is None and event.unparsed == ()
    assert all(line.prefix.startswith("Mar 5 07:43:21 www kernel:") for line in event.lines)


def test_first_line_lost_its_first_column() -> None:
    # github.com/openzfs/zfs issue 14686: the paste starts inside the first stamp, after a space
    text = (
        " 1257.892709] sudo invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n"
        "[ 1257.892712] CPU: 0 PID: 16473 Comm: sudo Kdump: loaded Tainted: P           OE     "
        "5.4.0-1097-dx2023032205-8e2e150ee-aws #105\n"
    )
    event = _one(text)
    assert (event["trigger_comm"], event["trigger_pid"], event["gfp_mask"]) == ("sudo", 16473, "0x100cca")


def test_dmesg_lines_run_together_by_a_web_page() -> None:
    # github.com/openzfs/zfs issue 10255: the page joined the lines with their column padding
    lines = [
        "[34718.499312] Call Trace:",
        "[34718.499313]  <TASK>",
        "[34718.499316]  dump_stack_lvl+0x5f/0x90",
        "[34718.499322]  dump_header+0x46/0x190",
        "[34718.499323]  oom_kill_process.cold+0x8/0x93",
        "[34718.499325]  out_of_memory+0x21c/0x4c0",
        "[34718.499328]  balance_pgdat+0x749/0x960",
        "[34718.499332]  kswapd+0x1ed/0x380",
    ]
    one_line = "".join(line.ljust(56) for line in lines)
    (event,) = parse_text(one_line).events
    assert event.kind == "oom-kill"
    assert event.call_trace == parse_text("\n".join(lines)).events[0].call_trace


def test_per_cpu_headers_with_node_and_a_zone_line_cut_short() -> None:
    # github.com/emqx/emqx issue 356 (2.6.32-era Mem-Info, cut inside the DMA32 zone line)
    text = (
        "Mem-Info:\nNode 0 DMA per-cpu:\nCPU    0: hi:    0, btch:   1 usd:   0\nNode 0 DMA32 per-cpu:\n"
        "CPU    0: hi:  186, btch:  31 usd:   0\n"
        "Node 0 DMA free:15708kB min:120kB low:148kB high:180kB present:15304kB all_unreclaimable? yes\n"
        "lowmem_reserve[]: 0 3512 8057 8057\n"
        "Node 0 DMA32 free:46668kB min:28512kB low:35640kB high:42768kB active_anon:1932080kB active_file:20k\n"
    )
    (event,) = parse_text(text).events
    assert event.unparsed == ()
    dma32 = event.zones[1]
    assert (dma32.name, dma32.free_kb, dma32.high_kb, dma32.values["active_anon"]) == ("DMA32", 46668, 42768, 1932080)
    assert "active_file" not in dma32.values  # `20k` was cut: not read as 20


def test_kibana_table_copy() -> None:
    text = _each_line(HOG, lambda i, line: f"  | Jun 25, 2021 @ 12:42:{i % 60:02d}.{i:03d} | kernel | {line}")
    assert _facts(text) == _facts(_text(HOG))


def test_csv_export_of_a_log_platform() -> None:
    def row(i: int, line: str) -> str:
        message = line.replace('"', '""')
        return f'"Jan 27, 2024 @ 00:14:{i % 60:02d}.{i:03d}","node-1","{message}"'

    text = '"@timestamp","host.name","message"\n' + _each_line(HOG, row)
    assert _facts(text) == _facts(_text(HOG))


def test_summary_cut_in_its_last_value() -> None:
    line = next(x for x in _text(MEMCG).splitlines() if "oom-kill:constraint=" in x)
    cut = line[: line.index("oom_memcg=/lab") + len("oom_memcg=/la")]
    (event,) = parse_text(_text(MEMCG).replace(line, cut)).events
    assert event.oom_summary.constraint == "CONSTRAINT_MEMCG"
    assert event.oom_summary.oom_memcg is None  # `/la` is what is left of `/lab-app`: not read
    assert event.memcg.path == "/lab-app"  # from the memcg lines that are whole


@pytest.mark.parametrize(
    ("release", "arch"),
    [("6.12.47+rpt-rpi-2712", "arm64"), ("6.1.21-v8+", "arm64"), ("6.1.21-v7l+", "arm"), ("6.6.31+rpt-rpi-v7", "arm")],
)
def test_raspberry_pi_release_suffixes(release: str, arch: str) -> None:
    text = _text(HOG).replace("6.12.117+deb12-amd64", release)
    assert parse_text(text).arch == arch


def test_arm_unwinder_without_addresses() -> None:
    # 32-bit ARM 5.x+ prints `callee from caller+off/len` (arch/arm/kernel/traps.c), arm64 does not
    text = (
        "[   18.040679] CPU: 0 PID: 155 Comm: systemd-udevd Tainted: G         C         6.1.1-1-rpi-ARCH #1\n"
        "[   18.053045]  unwind_backtrace from show_stack+0x18/0x1c\n"
        "[   18.058360]  show_stack from dump_stack_lvl+0x90/0xac\n"
        "[   18.063564]  dump_stack_lvl from dump_header+0x54/0x1fc\n"
        "[   18.068832]  dump_header from oom_kill_process+0x23c/0x248\n"
    )
    dump = parse_text(text)
    assert (dump.arch, dump.events[0].kind) == ("arm", "oom-kill")


def test_key_line_quoted_above_the_log_it_comes_from() -> None:
    # github.com/ntop/PF_RING issue 990: the same line, in bold, above and inside the log
    line = "[2685596.666280] insmod: page allocation failure: order:8, mode:0xc0d0"
    text = (
        f"seconds before the crash something like this\n\n**{line}**\n\n"
        "[2685596.567891] NET: Registered protocol family 27\n"
        f"**{line}**\n"
        "[2685596.666284] CPU: 0 PID: 13189 Comm: insmod Kdump: loaded Tainted: G        W  OE  ------------ T "
        "3.10.0-1160.62.1.el7.x86_64 #1\n[2685596.666286] Call Trace:\n"
    )
    event = _one(text)
    assert (event["trigger_comm"], event["trigger_pid"], event["order"]) == ("insmod", 13189, 8)


def test_bold_span_inside_a_kill_line() -> None:
    # github.com/mailcow/mailcow-dockerized issue 3049: the field a person pointed at, set in bold
    # inside a `> `-quoted syslog kill line (`(rspamd) **total-vm:6541776kB**, anon-rss:...`)
    event = _one(_text("gh-mailcow-mailcow-dockerized-3049"))
    assert (event["killed_pid"], event["killed_total_vm_kb"], event["killed_anon_rss_kb"]) == (23150, 6541776, 539704)
    # a banner of asterisks around spaced words keeps its asterisks (no flanking non-space)
    assert line_content("x **   NOTICE   ** **y**")[0] == "x **   NOTICE   ** y"


def test_same_line_repeated_by_the_kernel_is_not_a_quotation() -> None:
    line = "Nov 26 06:03:33 backup-in kernel: pdflush: page allocation failure. order:3, mode:0x20\n"
    assert len(parse_text(line * 3).events) == 3


def test_other_output_written_over_the_start_of_a_kernel_line() -> None:
    # a serial console shared with a media player's status line (LKML, i.MX6, 3.10)
    text = (
        "[Playing  (List Repeated)][Vol=01][00:02:54/00:04:07]swapper/0: page allocation failure: order:0, mode:0x20\n"
        "CPU: 0 PID: 0 Comm: swapper/0 Not tainted 3.10.17-16827-g4b8c5b6 #6\n"
    )
    event = _one(text)
    assert (event["trigger_comm"], event["trigger_pid"]) == ("swapper/0", 0)


def test_openvz_and_rhel5_kill_lines() -> None:
    ub = (
        "Nov 24 12:17:04 hwnode kernel: [758955.653313] Out of memory in UB 1234: OOM \n"
        "killed process 21738 (php-cgi) score 0 vm:281988kB, rss:17004kB, swap:0kB\n"
    )
    event = _one(ub)
    assert (
        event["kind"],
        event["killed_pid"],
        event["killed_comm"],
        event["killed_total_vm_kb"],
        event["killed_anon_rss_kb"],
    ) == ("oom-kill", 21738, "php-cgi", 281988, None)
    assert (
        _one("OOM killed process 659 (java) vm:4973220kB, rss:2066504kB, swap:0kB\n")["killed_total_vm_kb"] == 4973220
    )


@pytest.mark.parametrize(
    "render",
    [
        lambda i, line: f"172.16.1.110: kern: warning: [2024-07-16T19:11:36.{i:08d}Z]: {line}",  # talosctl dmesg
        lambda i, line: f"sep 14 16:42:{i % 60:02d} venus kernel: {line}",  # journalctl, lower-case month
        lambda i, line: f": {line}",  # a mail reader quoting with `: `
        lambda i, line: f"percona # {line}",  # a root prompt with the host name before each dmesg line
    ],
    ids=["talos", "journal-lowercase-month", "colon-quote", "host-prompt"],
)
def test_more_prefixes(render) -> None:
    assert _facts(_each_line(HOG, render)) == _facts(_text(HOG))


def test_kill_line_continued_on_an_indented_line() -> None:
    # github.com/vm0-ai/vm0 issue 6631: a bare paste whose long lines were wrapped with an indent
    text = (
        "oom-kill:constraint=CONSTRAINT_MEMCG,cpuset=vm0-runner-v0.45.6.service,\n"
        "  task=firecracker,pid=586629,uid=1000\n"
        "Memory cgroup out of memory: Killed process 586629 (firecracker)\n"
        "  total-vm:2107264kB, anon-rss:605932kB, file-rss:254676kB\n"
    )
    event = _one(text)
    assert (event["kind"], event["killed_pid"], event["killed_anon_rss_kb"], event["killed_total_vm_kb"]) == (
        "memcg-oom",
        586629,
        605932,
        2107264,
    )


def test_each_manual_oom_is_an_event() -> None:
    text = "".join(
        f"[19291.{i}02062] sysrq: SysRq : Manual OOM execution\n"
        f"[19291.{i}08335] Purging GPU memory, 74399744 bytes freed, 8728576 bytes still pinned.\n"
        for i in range(3)
    )
    assert [e["kind"] for e in _facts(text)] == ["sysrq-manual"] * 3


def test_panic_with_no_killable_process_and_its_trace() -> None:
    text = (
        "[    2.867237] Kernel panic - not syncing: Out of memory and no killable processes...\n"
        "[    2.871227] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 4.1.16 #50\n"
        "[    2.871227] Call Trace:\n"
        "[    2.871227]  [<ffffffff81782a79>] dump_stack+0x45/0x57\n"
        "[    2.871227]  [<ffffffff81780835>] panic+0xc1/0x1f5\n"
        "[    2.871227]  [<ffffffff81172697>] __out_of_memory+0x547/0x550\n"
    )
    assert _one(text)["kind"] == "oom-kill"


# ---- which kernel and arch, when the report's own header does not say ---------------------


def test_a_header_cut_before_its_build_number_keeps_the_release() -> None:
    text = (  # gh-openxiangshan-xiangshan-doc-9: a console line cut inside `-dirty #N`
        "[   10.840000] Kernel panic - not syncing: Out of memory and no killable processes...\n"
        "[   10.840000] CPU: 0 PID: 1 Comm: swapper Not tainted 4.18.0-14485-g036ca364c6b2-dir\n"
    )
    assert analyze(text).kernel == "4.18.0-14485-g036ca364c6b2-dir"
    # A header whose flags run to the end of the line has no release to read.
    assert analyze(text.replace("Not tainted 4.18.0-14485-g036ca364c6b2-dir", "Tainted: G        W")).kernel is None


def test_uname_output_in_the_paste_gives_kernel_and_machine() -> None:
    kill = "Out of memory: Killed process 1234 (java) total-vm:10412kB, anon-rss:4208kB, file-rss:0kB, shmem-rss:0kB\n"
    text = (
        "$ uname -a\nLinux raspberrypi.local 6.1.21-v7l+ #1642 SMP Mon Apr  3 17:22:30 BST 2023 armv7l GNU/Linux\n"
        "$ dmesg\n" + kill
    )
    report = analyze(text)
    assert (report.kernel, report.arch) == ("6.1.21-v7l+", "arm")
    ppc = "Linux attila 2.6.3 #1 Fri Feb 20 02:12:34 CET 2004 ppc GNU/Linux\n\n" + kill  # lore-263
    assert (analyze(ppc).kernel, analyze(ppc).arch) == ("2.6.3", "ppc")
    # Two machines' uname lines that disagree name neither.
    two = ppc + "Linux other 5.4.0 #1 SMP Tue Mar 26 02:53:14 UTC 2019 x86_64 GNU/Linux\n"
    assert analyze(two).kernel is None


def test_the_boot_banner_quoted_in_a_sentence_gives_the_release() -> None:
    text = (  # gh-redis-redis-2174: the kill line quoted inside the same sentence, closing quote and all
        'I am running redis on  "Linux version 2.6.32-220.1.alios6.x86_64 (mockbuild@oob123066.cm10) '
        '(gcc version 4.4.6 20110731 (Red Hat 4.4.6-3) (GCC) )"  my computer has 16GB memory.\n'
        '"Nov 29 01:00:04 localhost kernel: Out of memory: Kill process 21578 (redis-server) score 555 or sacrifice child\n'
        "Nov 29 01:00:04 localhost kernel: Killed process 21578, UID 503, (redis-server) total-vm:9100804kB, "
        "anon-rss:9066596kB, file-rss:64kB\" , I don't understand why it was killed\n"
    )
    report = analyze(text)
    assert (report.kernel, report.arch) == ("2.6.32-220.1.alios6.x86_64", "x86_64")
    assert _one(text)["killed_file_rss_kb"] == 64  # the quote closes the value: it is whole


def test_old_s390_header_and_process_line() -> None:
    text = "".join(
        f"Mar 16 21:40:40 t6360003 kernel: {line}\n"
        for line in (
            "basename invoked oom-killer: gfp_mask=0xd0, order=2, oomkilladj=0",
            "CPU: 0 Not tainted 2.6.28 #1",
            "Process basename (pid: 30555, task: 000000007baa6838, ksp: 0000000063867968)",
            "Call Trace:",
            " [<000000000019235e>] oom_kill_process+0x9e/0x220",
            " [<0000000000192c30>] out_of_memory+0x17c/0x264",
        )
    )
    report = analyze(text)
    assert (report.kernel, report.arch) == ("2.6.28", "s390x")
    assert (_one(text)["trigger_comm"], _one(text)["trigger_pid"]) == ("basename", 30555)


def test_frame_shapes_that_tell_the_arch() -> None:
    trigger = (
        "S99watchdogd-ap invoked oom-killer: gfp_mask=0x14000c0(GFP_KERNEL), nodemask=0, order=1, oom_score_adj=0\n"
    )
    ppc32 = trigger + (  # lore-49-ppc8xx: 8-digit stack slots and addresses
        "Call Trace:\n"
        "[c1ca5d50] [c0079d88] oom_kill_process+0xc4/0x414\n"
        "[c1ca5d90] [c007a5c8] out_of_memory+0x35c/0x37c\n"
    )
    assert analyze(ppc32).arch == "ppc"
    ppc64 = ppc32.replace("[c1ca5d", "[c000000001ca5d").replace("] [c00", "] [c000000000")
    assert analyze(ppc64).arch == "ppc64"
    old_ppc64 = (  # lore-2005-ppc64: 2.6.1x ppc64 printed the return address alone, under `Trace:`
        "modprobe: page allocation failure. order:5, mode:0xd0\n"
        "Trace:\n"
        "[c0000000000ba0f8] alloc_pages_current+0xc0/0xe4\n"
        "[c0000000000941fc] __get_free_pages+0x54/0x1e0\n"
        "[d00000000046f7d8] nfsd_cache_init+0x54/0x1a4 [nfsd]\n"
    )
    assert analyze(old_ppc64).arch == "ppc64"
    uml = trigger + (  # lore-32rc-uml: arch/um prints the stack slot first
        "Call Trace: \n"
        "6ff5b8b8:  [<6005af77>] oom_kill_process.clone.0+0x45/0x236\n"
        "6ff5b928:  [<6005b506>] out_of_memory+0x25c/0x305\n"
    )
    assert analyze(uml).arch == "um"


def test_syscall_wrappers_and_return_thunks_tell_the_arch() -> None:
    failure = "qcrosvm: page allocation failure: order:5, mode:0x40cc0\n"
    arm64 = failure + (  # lore-arm64-gunyah-dma-remap-order5-kmalloc: a Clang CFI kernel, no registers
        "Call trace:\ndump_backtrace.cfi_jt+0x0/0x8\ndump_stack_lvl+0x80/0xb8\nwarn_alloc+0x164/0x200\n"
    )
    assert analyze(arm64).arch == "arm64"
    syscall = failure + "Call Trace:\n dump_stack_lvl+0x80/0xb8\n warn_alloc+0x164/0x200\n"
    assert analyze(syscall).arch is None
    assert analyze(syscall + " __arm64_sys_ioctl+0x184/0x210\n").arch == "arm64"
    assert analyze(syscall + " __x64_sys_ioctl+0x8d/0xd0\n").arch == "x86_64"
    # `<TASK>` alone is x86 of either width; the SRSO return thunk exists on x86-64 only
    # (lore-68rc3-x86-ath11k-mhi-order4-noio-resume).
    task = failure + "Call Trace:\n <TASK>\n dump_stack_lvl+0x5d/0x80\n warn_alloc+0x163/0x190\n"
    assert analyze(task + " </TASK>\n").arch is None
    assert analyze(task + " ? srso_alias_return_thunk+0x5/0xfbef5\n </TASK>\n").arch == "x86_64"


def test_cpu_line_wrapped_before_its_release() -> None:
    text = (  # lore-518rc3-armv7-swap-over-nfs-writehdr-alloc: a mail reader wrapped both lines
        "> Fetched 1,147 kB in 12s (89.5 kB/s)\n"
        "> apt: page allocation failure: order:0,\n"
        "> mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null)\n"
        "> CPU: 0 PID: 455 Comm: apt Not tainted\n"
        "> 5.18.0-rc3-rza2mevb-00734-g98e2a6b7a591 #186\n"
        "> Hardware name: Generic R7S9210 (Flattened Device Tree)\n"
        ">  unwind_backtrace from show_stack+0x10/0x14\n"
        ">  show_stack from warn_alloc+0xa0/0x150\n"
    )
    report = analyze(text)
    assert (report.kernel, report.arch) == ("5.18.0-rc3-rza2mevb-00734-g98e2a6b7a591", "arm")
    event = _one(text)
    assert (event["trigger_comm"], event["trigger_pid"], event["gfp_mask"]) == ("apt", 455, "0x40cc0")
    # The cut header opens its line: the apt output above it is not joined in as a task name.
    assert report.events[0].event.lines[0].text.startswith("apt: page allocation failure: order:0, mode:0x40cc0")
    # A trigger line wrapped before its task name's end is still one line: only a cut line that
    # starts with the task name opens a run of its own.
    wrapped = "Mar 14 01:00:01 host kernel: java\ninvoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0\n"
    assert (_one(wrapped)["trigger_comm"], _one(wrapped)["gfp_mask"]) == ("java", "0x201da")
    # Cut there and never continued, the line still names the task; taint flags are no release.
    for header in ("CPU: 0 PID: 455 Comm: apt Not tainted\n", "Pid: 455, comm: apt Tainted: G        W  \n"):
        cut = "apt: page allocation failure: order:0, mode:0x40cc0(GFP_KERNEL|__GFP_COMP)\n" + header
        assert (_one(cut)["trigger_pid"], analyze(cut).kernel) == (455, None)


def test_old_x86_64_trace_printed_before_its_oom_killer_line_is_one_event() -> None:
    text = (  # lore-2615-x86_64-sg-io-bounce-gfp-dma-0xd1 (2.6.15: dump_stack() ahead of the report)
        "[35948.126969] Call Trace:<ffffffff8015efcb>{out_of_memory+23}\n"
        "<ffffffff80161177>{__alloc_pages+572}\n"
        "[35948.127018]        <ffffffff8017fc25>{bio_copy_user+219}\n"
        "<ffffffff88077e35>{:sd_mod:sd_ioctl+371}\n"
        "[35948.127453] oom-killer: gfp_mask=0xd1, order=0\n"
        "[35948.127456] Mem-info:\n"
        "[35948.127651] Free swap  = 3517904kB\n"
        "[35948.127654] Total swap = 3518152kB\n"
        "[35948.127656] Free swap:       3517904kB\n"
        "[35948.146970] 1245184 pages of RAM\n"
    )
    report = analyze(text)
    (event,) = _facts(text)
    assert (event["kind"], event["gfp_mask"], event["free_swap_kb"], event["ram_pages"]) == (
        "oom-kill",
        "0xd1",
        3517904,
        1245184,
    )
    assert report.arch == "x86_64"
    # The trace alone is still known as an OOM kill from its frames.
    assert _one(text.split("[35948.127453]")[0])["kind"] == "oom-kill"


# ---- prefixes, fragments and SysRq ----------------------------------------------------------


def test_log_platform_prefix_with_padded_host_and_level() -> None:
    text = (
        "2025-07-08T10:52:57.622+00:00 longevity-db-node-a0049803-0-1      !ERR | kernel: Out of memory: "
        "Killed process 8438 (grep) total-vm:17498976kB, anon-rss:8129856kB, file-rss:148kB, shmem-rss:0kB, "
        "UID:0 pgtables:31048kB oom_score_adj:0\n"
    )
    (event,) = analyze(text).events
    assert (contract_fields(event.event)["killed_comm"], event.event.host) == ("grep", "longevity-db-node-a0049803-0-1")


def test_hugepages_lines_alone_are_a_mem_info_fragment() -> None:
    text = (  # lore-hugetlb-pool-exceeds-ram-after-dimm-loss: quoted and wrapped by the mail client
        "> Can you please show me where it's clear?  Are you referring to these\n> messages?\n> \n"
        "> Node 0 hugepages_total=15999 hugepages_free=15999 hugepages_surp=0\n> hugepages_size=8192kB\n"
        "> Node 1 hugepages_total=16157 hugepages_free=16157 hugepages_surp=0\n> hugepages_size=8192kB\n"
    )
    (event,) = analyze(text).events
    assert event.event.kind is None
    assert [(h.node, h.total, h.size_kb) for h in event.event.hugepages] == [(0, 15999, 8192), (1, 16157, 8192)]


def test_a_refused_sysrq_request_is_no_event() -> None:
    text = (  # lore-411-sysrq-oom-no-eligible-misleading
        "[  713.805315] sysrq: SysRq : Manual OOM execution\n"
        "[  713.814913] Killed process 4468 ((agetty)) total-vm:43704kB, anon-rss:1760kB, file-rss:0kB, shmem-rss:0kB\n"
        "[  714.189310] sysrq: SysRq : Manual OOM execution\n"
        "[  714.193425] sysrq: OOM request ignored because killer is disabled\n"
        "[  714.381313] sysrq: SysRq : Manual OOM execution\n"
        "[  714.385158] sysrq: OOM request ignored because killer is disabled\n"
    )
    assert [(e["kind"], e["killed_comm"]) for e in _facts(text)] == [("sysrq-manual", "(agetty)")]


def test_sysrq_show_memory_is_no_event_and_keeps_no_later_kill() -> None:
    kill = (
        "Jan 17 13:30:31 nas kernel: Out of memory: Killed process 6009 (node) total-vm:264249252kB, "
        "anon-rss:12123208kB, file-rss:0kB, shmem-rss:51828kB, UID:0 pgtables:24544kB oom_score_adj:0\n"
    )
    text = (
        kill + "Jan 17 13:32:02 nas kernel: sysrq: Show Memory\n"
        "Jan 17 13:32:02 nas kernel: Mem-Info:\n"
        "Jan 17 13:32:02 nas kernel: active_anon:1350107 inactive_anon:2279917 isolated_anon:0\n"
    )
    assert [e["killed_pid"] for e in _facts(text)] == [6009]
    assert _facts(text.replace(kill, "")) == []


def test_a_sysrq_request_does_not_claim_a_report_minutes_later() -> None:
    text = (  # lore-2626-amd64-sysrq-order0-swap-weirdness
        "[  283.864479] SysRq : Manual OOM execution\n"
        "[  575.537309] hald invoked oom-killer: gfp_mask=0x1201d2, order=0, oomkilladj=0\n"
        "[  575.551439] Killed process 3956 (a.out)\n"
    )
    assert [(e["kind"], e["trigger_comm"]) for e in _facts(text)] == [("sysrq-manual", None), ("oom-kill", "hald")]
    quick = text.replace("[  575.537309]", "[  283.864590]").replace("[  575.551439]", "[  283.870000]")
    assert [(e["kind"], e["trigger_comm"]) for e in _facts(quick)] == [("sysrq-manual", "hald")]


# ---- wrapped-line decisions are local: a window of a big log reads a dump as the whole file does

SYSLOG_NOISE = "".join(f"Mar 14 01:00:{i:02d} host systemd[1]: Started Session {i} of user root.\n" for i in range(40))


def test_a_kernel_line_in_prose_takes_no_prose_even_beside_a_syslog() -> None:
    text = (  # gh-1000001101000-debian-on-buffalo-35: the line, then the poster's sentence
        "ksoftirqd/0: page allocation failure: order:0, mode:0x480020(GFP_ATOMIC)\n"
        "Seems similar to: https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=901420\n\n"
    )
    for paste in (text, SYSLOG_NOISE + "\n" + text + SYSLOG_NOISE):
        (event,) = analyze(paste).events
        assert event.event.lines[0].text.endswith("(GFP_ATOMIC)")
    # Among syslog lines, a line without a prefix is still a wrapped part of the line before.
    wrapped = (
        SYSLOG_NOISE
        + (
            "Mar 14 01:01:00 host kernel: Out of memory: Killed process 4468 (agetty) total-vm:43704kB,\n"
            "anon-rss:1760kB, file-rss:0kB, shmem-rss:0kB\n"
        )
        + SYSLOG_NOISE
    )
    assert _one(wrapped)["killed_shmem_rss_kb"] == 0


def test_the_wrap_width_is_read_near_the_line() -> None:
    report = (  # lore-22623-oom-idle-machine-free-output: a mail client's word wrap
        "> Feb 4 16:15:16 kernel: df_inode invoked oom-killer: gfp_mask=0x40d0,\n"
        "order=1, oomkilladj=0\n"
        "> Feb 4 16:15:16 kernel: [<c01408cb>] out_of_memory+0x69/0x18e\n"
    )
    # Far above, lines that a web page cut at one width (70 characters) must not decide this join.
    cut = "".join(
        f"> Mar 14 01:00:{i:02d} host systemd[1]: Started Session {i:02d} of user root now\nx\n" for i in range(20)
    )
    assert len(cut.split("\n")[0]) == 70
    for paste in (report, cut + "\n" * 30 + report):
        (event,) = analyze(paste).events
        assert event.event.lines[0].text.endswith("gfp_mask=0x40d0, order=1, oomkilladj=0")


def test_key_lines_quoted_above_their_report_are_not_an_event() -> None:
    text = (  # lore-310-arm-8812au-atomic-cma-pool: the poster quotes starts of lines, then the report
        "the free memory size of Normal is\n"
        "[ 8606.703590] Normal free:60684kB\n"
        "\n"
        "Here is the whole log:\n"
        "[ 8606.703400] kworker/0:1: page allocation failure: order:0, mode:0x20\n"
        "[ 8606.703526] Mem-info:\n"
        "[ 8606.703590] Normal free:60684kB min:2000kB low:2500kB high:3000kB active_anon:0kB inactive_anon:0kB "
        "active_file:0kB inactive_file:0kB unevictable:0kB present:786432kB managed:600000kB mlocked:0kB\n"
    )
    assert [e["kind"] for e in _facts(text)] == ["page-allocation-failure"]
    # A line without the stamp is the poster's own mention (lore-42-bz107111): an event of its own.
    mention = text.replace(
        "[ 8606.703590] Normal free:60684kB\n", "kworker/0:1: page allocation failure: order:0, mode:0x20\n", 1
    )
    assert [e["kind"] for e in _facts(mention)] == ["page-allocation-failure"] * 2


def test_task_markers_tell_x86_and_only_a_zone_report_tells_which() -> None:
    trace = (  # gh-kata-containers-kata-containers-10018: x86 `<TASK>` frames, no Mem-Info in the paste
        "vcpu5 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=-500\n"
        "Call Trace:\n <TASK>\n dump_stack_lvl+0x47/0x60\n dump_header+0x4e/0x260\n oom_kill_process+0xf1/0x180\n"
    )
    assert analyze(trace).arch is None
    dma32 = trace + "Node 0 DMA32: 400*4kB (MEH) 282*8kB (UMEH) 99*16kB (UMEH) 0*32kB = 5664kB\n"
    assert analyze(dma32).arch == "x86_64"
    highmem = trace + "Node 0 HighMem: 4*4kB (U) 0*8kB 1*16kB = 32kB\n"
    assert analyze(highmem).arch == "i686"


def test_frames_only_x86_defines_with_the_zones_tell_x86_64_or_i686() -> None:
    # lore-506-btrfs-lvmcache-kasan-gfp-nowait-failures: a KVM guest's kvmclock/pvclock frames
    # (arch/x86/kernel/kvmclock.c, pvclock.c) in a trace without addresses, and a DMA32 zone
    trace = (
        "kworker/u8:3: page allocation failure: order:0, mode:0x2800(GFP_NOWAIT|__GFP_NOWARN)\n"
        "Call Trace:\n dump_stack+0x9c/0xf5\n warn_alloc+0x19a/0x240\n"
        " ? pvclock_clocksource_read+0xd8/0x180\n ? kvm_sched_clock_read+0x18/0x30\n"
        " __alloc_pages_nodemask+0x1857/0x1980\n kmem_cache_alloc+0x229/0x290\n"
    )
    assert analyze(trace).arch is None  # x86, but which one the frames do not say
    dma32 = trace + "Node 0 DMA32: 605*4kB (UME) 438*8kB (UME) 378*16kB (UME) 0*32kB = 12336kB\n"
    assert analyze(dma32).arch == "x86_64"
    highmem = trace + "Node 0 HighMem: 4*4kB (U) 0*8kB 1*16kB = 32kB\n"
    assert analyze(highmem).arch == "i686"
    # a DMA32 zone alone is no x86: arm64, riscv64 and mips64 have one too
    other = trace.replace("pvclock_clocksource_read", "arch_counter_read").replace(
        "kvm_sched_clock_read", "sched_clock"
    )
    assert analyze(other + "Node 0 DMA32: 605*4kB (UME) 438*8kB (UME) = 5924kB\n").arch is None


# ---- journal lines in other locales, masked hosts, a header cut at its first value ------------


def test_trigger_line_cut_right_after_its_first_key_is_an_event() -> None:
    # the kernel's own `gfp_mask=` shows the header, though no digit of the mask was kept
    text = (
        "Mar  2 08:15:11 nas kernel: i915 shrinker purged nothing\n"
        "Mar  2 08:15:12 nas kernel: smbd[10.0.0.4] invoked oom-killer: gfp_mask=0x\n"
    )
    event = _one(text)
    assert (event["kind"], event["trigger_comm"], event["gfp_mask"], event["order"]) == (
        "oom-kill",
        "smbd[10.0.0.4]",
        None,
        None,
    )
    # prose after the phrase still names no event
    assert _facts("Mar  2 08:15:12 nas kernel: smbd invoked oom-killer: see below\n") == []


@pytest.mark.parametrize(
    "prefix",
    [
        "2024-05-02T10:00:00+02:00 web-**.example.org kernel: ",  # short-iso, masked host
        "May  2 10:00:00 db-***** kernel: ",  # syslog, host masked to the end
        "May  2 10:00:00 ***.int.example kernel: ",
    ],
)
def test_host_masked_with_asterisks_stays_out_of_the_task_name(prefix: str) -> None:
    text = (
        f"{prefix}java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
        f"{prefix}Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:4000000kB, "
        "file-rss:100kB, shmem-rss:0kB, UID:1000 pgtables:9000kB oom_score_adj:0\n"
    )
    (event,) = analyze(text).events
    facts = contract_fields(event.event)
    assert (facts["trigger_comm"], facts["killed_pid"]) == ("java", 4242)
    assert "*" in (event.event.host or "")


@pytest.mark.parametrize(
    ("month", "number"),
    [
        ("Okt", 10),  # de_DE
        ("Mär", 3),  # de_DE
        ("févr.", 2),  # fr_FR
        ("juil.", 7),  # fr_FR
        ("dic", 12),  # es_ES
        ("ene", 1),  # es_ES
        ("мая", 5),  # ru_RU
        ("дек", 12),  # ru_RU
        ("10月", 10),  # zh_CN, ja_JP
    ],
)
def test_journal_lines_with_a_localised_month_are_kernel_lines(month: str, number: int) -> None:
    prefix = f"{month} 05 23:41:07 build-7 kernel: "
    text = (
        "journalctl -k output:\n"
        f"{prefix}cc1plus invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, "
        "oom_score_adj=0\n"
        f"{prefix}oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,"
        "task_memcg=/user.slice,task=cc1plus,pid=9150,uid=1000\n"
        f"{prefix}Out of memory: Killed process 9150 (cc1plus) total-vm:2951164kB, anon-rss:2801312kB, "
        "file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:5600kB oom_score_adj:0\n"
    )
    (event,) = analyze(text).events
    facts = contract_fields(event.event)
    assert (facts["trigger_comm"], facts["killed_pid"], facts["constraint"]) == ("cc1plus", 9150, "CONSTRAINT_NONE")
    assert event.event.host == "build-7"
    assert read_stamp(prefix.rstrip()).time.month == number


def test_arm_backtrace_without_kallsyms_tells_arm() -> None:
    # arch/arm/kernel/traps.c dump_backtrace_entry() without CONFIG_KALLSYMS: addresses only
    text = (
        "[ 1290.220154] dropbear invoked oom-killer: gfp_mask=0x201da, order=0, oom_adj=0, oom_score_adj=0\n"
        "[ 1290.227661] Backtrace: \n"
        "[ 1290.230224] Function entered at [<c0033a5c>] from [<c02d3b88>]\n"
        "[ 1290.236206]  r7:00000000 r6:000201da r5:00000000 r4:c7a31c00\n"
        "[ 1290.241943] Function entered at [<c02d3b70>] from [<c0074c10>]\n"
        "[ 1290.247955] Function entered at [<c0074b98>] from [<c0075180>]\n"
    )
    report = analyze(text)
    assert (report.arch, _one(text)["kind"], _one(text)["trigger_comm"]) == ("arm", "oom-kill", "dropbear")


def test_uname_with_processor_and_platform_fields_gives_the_machine() -> None:
    """`uname -a` adds processor and hardware platform before the OS name when they are known
    (lore-260-i686-e1000-tso-order3-flood): the machine is the field after the version, not
    the word before `GNU/Linux`."""
    fail = "swapper: page allocation failure. order:3, mode:0x20\n"
    line = "Linux hamsu.org 2.6.0 #1 Mon Dec 29 21:07:28 EET 2003 i686 AMD Duron(tm) processor AuthenticAMD GNU/Linux\n"
    report = analyze(fail + "\n" + line)
    assert (report.kernel, report.arch) == ("2.6.0", "i686")
    rhel = "Linux db1 2.6.18-194.el5 #1 SMP Tue Mar 16 21:52:39 EDT 2010 x86_64 x86_64 x86_64 GNU/Linux\n"
    assert analyze(fail + "\n" + rhel).arch == "x86_64"


# ---- dump_stack()'s `Workqueue:` line (kernel/workqueue.c print_worker_info, 3.10+) ------------


def _workqueues(case: str) -> list[dict]:
    """The fields read from each `Workqueue:` line of a case, as the parser reads its lines."""
    found = []
    for line in normalise(_text(case)).lines:
        kind, values = classify_fields(line.text)
        if kind == "WORKQUEUE":
            found.append(dict(read_line(kind, line.text, values).fields))
    return found


@pytest.mark.parametrize(
    "case, expected",
    [
        ("gh-openzfs-zfs-5578", [{"name": "events", "function": "moom_callback", "module": None}]),
        (
            "lore-49rc5-nowait-failures-writeback-bcache-dmcrypt",
            [{"name": "bcache", "function": "cache_lookup", "module": "bcache"}] * 2,
        ),
        (
            "lore-310-el7-nvme-order1-128g",
            [
                {"name": "kblockd", "function": "blk_mq_run_work_fn", "module": None},
                {"name": "writeback", "function": "bdi_writeback_workfn", "module": None},
            ],
        ),
    ],
)
def test_workqueue_line_is_read_not_left_unparsed(case: str, expected: list[dict]) -> None:
    dump = parse_text(_text(case))
    assert not [u.text for e in dump.events for u in e.unparsed if "Workqueue:" in u.text]
    assert _workqueues(case) == expected


def test_workqueue_line_is_not_glued_to_the_hardware_line() -> None:
    # An indented paste: the `Workqueue:` line under `Hardware name:` was read as its wrapped tail.
    (event,) = analyze(_text("lore-6178-fc43-nouveau-fwsec-sb-order5-runtime-pm")).events
    assert event.event.header.hardware == "SLIMBOOK Executive/Executive, BIOS N.1.10GRU06 02/02/2024"


def test_sysrq_manual_oom_known_from_the_workqueue_line() -> None:
    # SysRq-f's work runs on the system workqueue (drivers/tty/sysrq.c moom_work): with the
    # moom_callback frame cut out of the trace, the `Workqueue: events moom_callback` header still
    # tells the kill was asked for.
    text = _text("gh-openzfs-zfs-5578")
    kept = [line for line in text.splitlines() if "moom_callback+" not in line]
    assert len(kept) == len(text.splitlines()) - 1
    (event,) = _facts("\n".join(kept))
    assert event["kind"] == "sysrq-manual"


# ---- zone and node lines a mail reader wrapped (mm/page_alloc.c show_free_areas) -------------


def test_zone_lines_wrapped_by_a_mail_reader_are_read_whole() -> None:
    # 2.6.29: each zone line broken over two or three lines of `name:value` fields.
    (event,) = parse_text(_text("lore-2629rc3-i686-rtorrent-order1-benign")).events
    assert not event.unparsed
    zones = {z.name: z for z in event.zones}
    assert zones["DMA"].values["present"] == 15860
    assert zones["Normal"].values["inactive_file"] == 575176
    assert zones["HighMem"].values["present"] == 658312
    assert [z.all_unreclaimable for z in event.zones] == [False, False, False]


def test_node_line_wrapped_by_a_mail_reader_is_read_whole() -> None:
    # 5.18: `Node 0 active_anon:...` and the `Normal free:...` line, each wrapped after a field.
    event = parse_text(_text("lore-518rc3-armv7-swap-over-nfs-writehdr-alloc")).events[1]
    assert not event.unparsed
    (node,) = event.nodes
    assert node.values["writeback"] == 15124 and node.all_unreclaimable is True
    (zone,) = event.zones
    assert zone.values["writepending"] == 13284 and zone.values["managed"] == 57428


def test_wrapped_node_line_that_lost_text_at_the_cut_is_not_joined() -> None:
    # `... dirty:367` then `1785580kB shmem:0kB ...`: glued, the two would read a wrong dirty figure.
    event = parse_text(_text("lore-49rc5-nowait-failures-writeback-bcache-dmcrypt")).events[0]
    assert [u.text[:10] for u in event.unparsed] == ["1785580kB "]
    assert all(node.values.get("dirty") != 3671785580 for node in event.nodes)


def test_prose_after_a_quoted_zone_line_is_not_joined_to_it() -> None:
    # 2.6.18 in a mail: `pages_scanned is 0` under the quoted zone is the writer's, not the kernel's.
    (event,) = parse_text(_text("lore-2618-pae-postgres-pagetables-lowmem-highpte")).events
    assert [u.text for u in event.unparsed] == [
        "pages_scanned is 0",
        "pages_scanned is 0",
        "pages_scanned is 593 and all_unreclaimable is yes",
    ]
    assert [z.values.get("present") for z in event.zones] == [16384, 0, 901120, 16908288]


# ---- trace headings and header lines of other architectures and editors ----------------------


@pytest.mark.parametrize(
    "case, line",
    [
        ("code-lolbraa-obsidian-notater-unraid-sysrq-oom", "\\<TASK\\>"),  # Markdown-escaped marker
        ("code-lolbraa-obsidian-notater-unraid-sysrq-oom", "\\</TASK\\>"),
        ("gh-weimarnetz-weimarnetz-249", "Call Trace:[<80071400>] 0x80071400"),  # MIPS, no kallsyms
        ("lore-267-m68k-amiga-atomic-harmless", "Call Trace: [<000290a8>] __alloc_pages+0x230/0x250"),
        ("gh-linuxboot-heads-1626", "COMPACTION is disabled!!!"),  # mm/oom_kill.c dump_header
        ("lore-2005-ppc64-nfsd-reply-cache-order5-modprobe", "Trace:"),
    ],
)
def test_kernel_line_is_read_not_left_unparsed(case: str, line: str) -> None:
    text = _text(case)
    assert any(raw.endswith(line) for raw in text.splitlines())
    dump = parse_text(text)
    assert dump.events
    assert line not in [u.text for e in dump.events for u in e.unparsed]


def test_first_frame_on_the_call_trace_line_is_a_frame() -> None:
    # 2.6.7 m68k: `Call Trace: [<000290a8>] __alloc_pages+0x230/0x250`, the rest one frame a line.
    (event,) = parse_text(_text("lore-267-m68k-amiga-atomic-harmless")).events
    assert event.call_trace[:3] == ("__alloc_pages", "sine_data", "update_wall_time")


def test_negative_free_swap_during_swapoff_is_read() -> None:
    """show_swap_cache_info() prints the free swap as a signed long: while swapoff runs it is negative
    (linux-mm 'Free swap negative?', 2018: 'Free swap  = -245804kB' with 'Total swap = 0kB')."""
    text = _text(HOG)
    swapped = _replace_line(text, "Free swap  =", "Free swap  = -245804kB")
    assert _one(text)["free_swap_kb"] >= 0
    assert _one(swapped)["free_swap_kb"] == -245804


def test_a_host_replaced_by_a_placeholder_in_angle_brackets_is_a_host() -> None:
    # people redact the host before pasting ('Oct 27 02:20:14 <hostname> kernel: ...', a real
    # adoptium-support paste): the placeholder stands where the host stands in each prefix format
    kill = (
        "Memory cgroup out of memory: Killed process 1235475 (java) total-vm:15036484kB, anon-rss:10207028kB, "
        "file-rss:39704kB, shmem-rss:0kB, UID:1337 pgtables:22964kB oom_score_adj:0"
    )
    for prefix in (
        "Oct 27 02:20:14 <hostname> kernel: [12313888.555474] ",
        "2024-10-27T02:20:14.123456+00:00 <redacted> kernel: [12313888.555474] ",
        "[12313888.555474] <host-1> kernel: ",
    ):
        events = parse_text(prefix + kill + "\n").events
        assert len(events) == 1, prefix
        assert events[0].kill is not None and events[0].kill.comm == "java", prefix
        assert events[0].kill.anon_rss_kb == 10207028, prefix


def test_a_host_replaced_by_an_ellipsis_is_a_host() -> None:
    # a root-cause report whose author replaced every journal line's host with '…' (U+2026)
    lines = (
        "Sep 22 12:45:23 … kernel: python invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
        "Sep 22 12:45:23 … kernel: Memory cgroup out of memory: Killed process 4242 (python) total-vm:3000000kB, "
        "anon-rss:2000000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4000kB oom_score_adj:0\n"
    )
    (event,) = parse_text(lines).events
    assert event.trigger is not None and event.trigger.comm == "python"
    assert event.kill is not None and event.kill.comm == "python" and event.kill.anon_rss_kb == 2000000

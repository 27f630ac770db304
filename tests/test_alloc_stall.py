"""4.9-4.14's allocation stall warning (mm/page_alloc.c __alloc_pages_slowpath(): warn_alloc() with
'page allocation stalls for %ums, order:%u' each further 10 s a request that may reclaim spends in
the slow path; 63f53dea0c98 in 4.9-rc1, removed by 400e22499dd9 in 4.15-rc1): the header read in each
release's format (4.9-rc's mode on a line of its own, 4.9-4.10 without the nodemask, 4.11-4.14 with
it), the report told as a stall, not a failure, and explained by what the request is - OOM503 for a
request that may fail (noise), OOM504 beside the memory findings for an ordinary request stalled in
reclaim. The real input is Mikulas Patocka's khugepaged report of the forty-fourth wave (fold 2),
read from tests/pending until it moves into the corpus; the other inputs are synthetic variants of
tests/cases/stall-*.log (tests/cases/README.md)."""

from __future__ import annotations

import io
from pathlib import Path

from oomcases import is_held_out, load_case

from bot.pipeline import analyze, analyze_stream
from bot.render.json_out import event_dict, report_dict
from bot.render.text import render_text
from grammar.parse import parse_text
from knowledge.confidence import CONFIDENT

REPO = Path(__file__).resolve().parent.parent
KHUGEPAGED = "lore-4123-i686-khugepaged-stall-warning-order10-nowarn"
THRASH = REPO / "tests" / "cases" / "stall-order0-thrash-49.log"
THP = REPO / "tests" / "cases" / "stall-thp-khugepaged-412.log"


def _body() -> list[str]:
    """The 4.9 report below its header line (task header, trace, Mem-Info)."""
    return THRASH.read_text().splitlines()[1:]


def _with_header(header: str, release: str = "4.9.30", body: list[str] | None = None) -> str:
    lines = [line.replace("4.9.30", release) for line in (body if body is not None else _body())]
    return "\n".join([header, *lines]) + "\n"


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(KHUGEPAGED)


def test_the_khugepaged_report_is_read() -> None:
    dump = parse_text(load_case(KHUGEPAGED)[0])
    assert len(dump.events) == 1
    event = dump.events[0]
    meta = load_case(KHUGEPAGED)[1]["events"][0]
    trigger = event.trigger
    assert trigger is not None
    assert event.kind == meta["kind"] == "page-allocation-failure"  # warn_alloc()'s report (FORMAT.md)
    assert (trigger.comm, trigger.pid, trigger.gfp_mask, trigger.gfp_symbolic, trigger.order) == (
        meta["trigger_comm"],
        meta["trigger_pid"],
        meta["gfp_mask"],
        meta["gfp_symbolic"],
        meta["order"],
    )
    assert event.stall_ms == 10273 and trigger.nodemask == "(null)"
    assert event.kernel == "4.12.3" and not event.unparsed


def test_the_khugepaged_stall_is_harmless_noise() -> None:
    report = analyze(load_case(KHUGEPAGED)[0])
    top = report.events[0].findings[0]
    assert (top.code, top.category) == ("OOM503", "benign_nowarn_failure")
    # no Mem-Info: the answer says it cannot settle everything and what to paste
    assert top.confidence < CONFIDENT
    assert "khugepaged" in top.explanation and "822519634142" in top.explanation
    assert "harmless" in top.remediation[0] and "400e22499dd9" in top.remediation[1]
    assert "khugepaged/defrag" in top.remediation[2]
    assert not any(f.code in ("OOM130", "OOM501") for f in report.events[0].findings)  # nothing failed
    text = render_text(report, width=100)
    assert "stalled (not failed)" in text and "page allocation stall" in text
    assert "page allocation stalls' to the end of the Mem-Info block" in text
    assert report_dict(report)["events"][0]["stall_ms"] == 10273


def test_a_thp_stall_with_free_memory_is_confident_noise() -> None:
    report = analyze(THP.read_bytes())
    top = report.events[0].findings[0]
    assert top.code == "OOM503" and top.confidence >= CONFIDENT
    event = report.events[0].event
    assert event.trigger is not None and event.trigger.nodemask == "(null)" and event.stall_ms == 10032


def test_an_ordinary_stall_is_driven_by_the_memory_figures() -> None:
    report = analyze(THRASH.read_bytes())
    findings = report.events[0].findings
    assert findings[0].code == "OOM203"  # swap full: the memory analysis names the cause
    stall = next(f for f in findings if f.code == "OOM504")
    assert stall.role == "context" and stall.confidence >= 0.6
    assert "thrashing" in stall.explanation and "swap was" in stall.explanation
    assert not any(f.code == "OOM503" for f in findings)


def test_an_ordinary_stall_without_mem_info_says_what_to_paste() -> None:
    header = "[ 8113.420011] Xorg: page allocation stalls for 10204ms, order:0, mode:0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)"
    report = analyze(_with_header(header, body=_body()[:16]))
    findings = report.events[0].findings
    stall = next(f for f in findings if f.code == "OOM504")
    assert stall.confidence < CONFIDENT
    assert "ps -eo" in stall.remediation[0]
    assert "does not show the Mem-Info block" in stall.explanation


def test_each_release_format() -> None:
    cases = {
        # 4.9-4.10: no nodemask
        "4.10.17": (
            "Xorg: page allocation stalls for 10204ms, order:0, mode:0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)",
            ("0x24201ca", "GFP_HIGHUSER_MOVABLE|__GFP_COLD", 0, None),
        ),
        # 4.11-4.14: `, nodemask=` after the mode
        "4.14.20": (
            "modprobe: page allocation stalls for 12001ms, order:4, mode:0x14040c0(GFP_KERNEL|__GFP_COMP), nodemask=0-1",
            ("0x14040c0", "GFP_KERNEL|__GFP_COMP", 4, "0-1"),
        ),
    }
    for release, (header, (mask, symbolic, order, nodemask)) in cases.items():
        dump = parse_text(_with_header(header, release))
        assert len(dump.events) == 1, release
        event = dump.events[0]
        assert event.trigger is not None and event.stall_ms is not None
        assert (event.trigger.gfp_mask, event.trigger.gfp_symbolic, event.trigger.order) == (mask, symbolic, order)
        assert event.trigger.nodemask == nodemask and event.kernel == release and not event.unparsed


def test_the_49_rc_header_with_its_mode_on_the_next_line() -> None:
    # 4.9-rc before 'mm: remove extra newline from allocation stall warning' (the spelling too)
    text = (
        "[  722.876655] kworker/0:1: page alloction stalls for 160001ms, order:0\n"
        "[  722.876656] , mode:0x2400000(GFP_NOIO)\n"
        + _with_header("[  722.876657] CPU: 0 PID: 6966 Comm: kworker/0:1 Not tainted 4.9.0-rc2+ #69", body=_body()[1:])
    )
    text = text.replace("[ 8113.4", "[  722.9")
    dump = parse_text(text)
    assert len(dump.events) == 1
    event = dump.events[0]
    assert event.stall_ms == 160001 and not event.unparsed
    assert event.trigger is not None and (event.trigger.gfp_mask, event.trigger.gfp_symbolic) == (
        "0x2400000",
        "GFP_NOIO",
    )


def test_repeated_stalls_are_grouped() -> None:
    body = _body()
    parts = []
    for i, ms in enumerate((10204, 20412, 30588)):
        stamp = f"[ {8113 + 10 * i}."
        header = f"{stamp}420011] Xorg: page allocation stalls for {ms}ms, order:0, mode:0x14201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD), nodemask=(null)"
        parts.append(_with_header(header, "4.11.3", [line.replace("[ 8113.", stamp) for line in body]))
    report = analyze("".join(parts))
    assert len(report.events) == 3
    assert [len(group) for group in report.groups()] == [3]
    stall = next(f for f in report.events[0].findings if f.code == "OOM504")
    assert "3 times" in stall.explanation
    text = render_text(report, width=100)
    assert "3 events, same cause" in text
    assert text.count("What to do:") == 1


def test_a_stall_line_in_prose_is_not_an_event() -> None:
    prose = "Since 4.9 I keep seeing that the kernel prints page allocation stalls for a few seconds.\n"
    assert not parse_text(prose).events


def test_failures_are_untouched() -> None:
    failure = _with_header(
        "[ 8113.420011] Xorg: page allocation failure: order:0, mode:0x24201ca(GFP_HIGHUSER_MOVABLE|__GFP_COLD)"
    )
    event = parse_text(failure).events[0]
    assert event.stall_ms is None and event.kind == "page-allocation-failure"
    assert "stall" not in render_text(analyze(failure), width=100).split("\n")[2]


def test_the_big_log_path_reads_the_same_events() -> None:
    # jsonl reads a log in windows (grammar/windows.py): a stall report read there equals the whole read
    data = ("noise line\n" * 50).encode() + THP.read_bytes() + ("more noise\n" * 50).encode()
    whole = [event_dict(e) for e in analyze(data).events]
    streamed = [event_dict(e) for report in analyze_stream(io.BytesIO(data)) for e in report.events]
    assert streamed == whole and whole[0]["stall_ms"] == 10032


def test_a_header_wrapped_by_a_mail_is_rejoined() -> None:
    source = load_case(KHUGEPAGED)[0].decode()
    header = next(line for line in source.splitlines() if "page allocation stalls" in line)
    for cut in (
        header.replace("order:10, ", "order:10,\n").replace("), nodemask", "),\nnodemask"),  # at spaces
        header.replace("__GFP_COMP", "__GFP_CO\nMP"),  # at a fixed width, inside the mode
    ):
        event = parse_text(source.replace(header, cut)).events[0]
        assert event.trigger is not None and event.stall_ms == 10273 and not event.unparsed
        assert (event.trigger.gfp_mask, event.trigger.order, event.trigger.nodemask) == ("0x4340ca", 10, "(null)")


def test_where_ram_went_names_the_cause_of_an_ordinary_stall_only() -> None:
    # tmpfs holding most of RAM stalls an ordinary request (OOM210 is the cause); beside a huge page
    # request's stall it says why memory was low, not what happened to the request (contributing)
    shmem = THRASH.read_text().replace(" shmem:10841 ", " shmem:380000 ").replace("shmem:43364kB", "shmem:1520000kB")
    shmem = shmem.replace("Free swap  = 0kB", "Free swap  = 612000kB")
    ordinary = analyze(shmem).events[0].findings
    assert (ordinary[0].code, ordinary[0].role) == ("OOM210", "root-cause")
    # a THP stall is printed from 4.12 on (before, __GFP_NOWARN silenced it), its mask without the flag
    header = shmem.splitlines()[0]
    thp = THP.read_text().splitlines()[0].replace("[52210.334512]", header.split("]")[0] + "]")
    huge = shmem.replace(header, thp).replace("Comm: Xorg", "Comm: khugepaged").replace("4.9.30", "4.12.14")
    findings = analyze(huge).events[0].findings
    assert findings[0].code == "OOM503"
    assert [f.role for f in findings if f.code == "OOM210"] == ["contributing"]

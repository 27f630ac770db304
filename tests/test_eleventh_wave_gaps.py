"""A general gap the eleventh wave showed (issue 13), on a real corpus input of folds 1-4:

- the same report pasted twice in two renderings - the /var/log/messages lines and then the
  `dmesg` output of the same warning - is one event: the prefixes differ (syslog's date, host and
  tag, or none), but printk gives every record one stamp, printed to the microsecond, so lines
  that repeat another event's stamps, starting with its first line, are those records again.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import Analysis
from knowledge.checks.base import gave_up_after

STK1160 = "lore-37-i686-stk1160-order6-keep-buffers"
DMESG_START = "dmesg log:\n"


def _text() -> str:
    return load_case(STK1160)[0].decode()


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(STK1160)


def test_a_warning_pasted_as_syslog_and_again_as_dmesg_is_one_event() -> None:
    events = parse_text(_text()).events
    assert len(events) == 1
    event = events[0]
    assert event.trigger is not None
    assert (event.trigger.comm, event.trigger.order, event.host) == ("gst-launch-0.10", 6, "localhost")


def test_each_rendering_alone_is_the_same_event() -> None:
    text = _text()
    syslog, dmesg = text.split(DMESG_START, 1)
    for part in (syslog, dmesg):
        (event,) = parse_text(part).events
        assert event.trigger is not None
        assert (event.trigger.comm, event.trigger.order) == ("gst-launch-0.10", 6)


def test_a_shorter_first_rendering_gives_way_to_the_full_one() -> None:
    # the syslog copy cut after its Mem-Info counters: the dmesg copy that follows prints all of
    # those records and the rest of the report, so it is the one event
    syslog, dmesg = _text().split(DMESG_START, 1)
    cut = syslog.split("[675741.713246] DMA free:", 1)[0].rsplit("\n", 1)[0] + "\n"
    events = parse_text(cut + DMESG_START + dmesg).events
    assert len(events) == 1
    assert events[0].first_line > cut.count("\n")  # the dmesg rendering's event
    assert events[0].zones and [z.name for z in events[0].zones] == ["DMA", "Normal", "HighMem"]


def test_the_same_warning_printed_again_later_is_another_event() -> None:
    # the kernel printing the same warning a second later: other stamps, another event
    _, dmesg = _text().split(DMESG_START, 1)
    later = dmesg.replace("[675741.7", "[675742.7")
    assert len(parse_text(dmesg + later).events) == 2


def test_another_machine_with_the_same_stamps_is_another_event() -> None:
    # two hosts of a central syslog are never one machine's records, stamps or not
    syslog, _ = _text().split(DMESG_START, 1)
    other = syslog.replace(" localhost kernel:", " otherhost kernel:")
    assert len(parse_text(syslog + other).events) == 2


def test_the_analysis_reads_one_event() -> None:
    assert len(analyze(load_case(STK1160)[0]).events) == 1


# - a page allocation failure whose caller then says it gave up (`stk1160: cannot alloc 196608
#   bytes for tx[2] buffer`; nommu's `Allocation of length ... failed` and `Unable to allocate RAM
#   for process text/data, errno 12`) is no harmless warning: the "treat it as harmless unless
#   errors follow" verdict is not given when the paste shows those errors.

NOMMU = "lore-319-stm32-nommu-alloc-pages-exact-leak"
AOE = "lore-2638rc6-aoe-jumbo-order1"
HARMLESS = "Treat this single warning as harmless"


def _steps(data: bytes) -> list[str]:
    event = analyze(data).events[0]
    return [step for finding in event.findings for step in finding.remediation]


def _gave_up(data: bytes) -> list[str]:
    dump = parse_text(data)
    return [line.text for line in gave_up_after(Analysis(dump.events[0], dump))]


def test_a_driver_that_gave_up_after_the_warning_is_no_harmless_warning() -> None:
    data = load_case(STK1160)[0]
    assert _gave_up(data) == ["stk1160: cannot alloc 196608 bytes for tx[2] buffer"]
    steps = _steps(data)
    assert not any(step.startswith(HARMLESS) for step in steps)
    assert "stk1160" in steps[0]


def test_a_program_that_could_not_be_loaded_is_no_harmless_warning() -> None:
    assert not is_held_out(NOMMU)
    data = load_case(NOMMU)[0]
    assert [text.split(": ", 1)[0] for text in _gave_up(data)] == [
        "nommu",
        "Unable to allocate RAM for process text/data, errno 12",
    ]
    assert not any(step.startswith(HARMLESS) for step in _steps(data))


def test_the_same_warning_without_the_drivers_message_is_still_harmless_on_its_own() -> None:
    # the dmesg rendering alone, its driver lines cut after the report: nothing says what failed
    _, dmesg = _text().split(DMESG_START, 1)
    report = dmesg.split("[675741.725416] stk1160: cannot alloc", 1)[0]
    data = report.encode()
    assert _gave_up(data) == []
    assert _steps(data)[0].startswith(HARMLESS)


def test_slubs_own_unable_to_allocate_line_is_part_of_the_report_not_its_outcome() -> None:
    # mm/slub.c slab_out_of_memory(): `SLUB: Unable to allocate memory on node -1 (gfp=0x20)`
    assert not is_held_out(AOE)
    data = load_case(AOE)[0]
    assert b"SLUB: Unable to allocate memory on node -1" in data
    assert _gave_up(data) == []


# - a page total below zero in the report (`-46 pages shared`): the arch show_mem() of 2.6-3.x
#   kernels adds page_count(page) - 1 over the pages in use, so the sum is negative only when
#   reference counts are - a kernel defect, read by OOM602 (kernel_bug) from the numbers.


def test_a_negative_page_total_is_read() -> None:
    event = parse_text(load_case(NOMMU)[0]).events[0]
    assert event.page_totals["shared"] == -46


def test_a_negative_pages_shared_total_is_a_kernel_defect() -> None:
    event = analyze(load_case(NOMMU)[0]).events[0]
    found = next(f for f in event.findings if f.code == "OOM602")
    assert found.category == "kernel_bug"
    assert any(e.name == "pages_shared" and e.value == -46 for e in found.evidence)
    assert "kernel_bug" in [f.category for f in event.findings[:3]]


def test_a_positive_pages_shared_total_is_no_sign() -> None:
    data = load_case(NOMMU)[0].replace(b"] -46 pages shared", b"] 46 pages shared")
    event = analyze(data).events[0]
    assert not any(f.code == "OOM602" for f in event.findings)

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

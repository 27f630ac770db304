"""Trigger lines and buddy lines as people quote and shorten them, read from real pastes (fold 1-4
corpus cases, never fold 0).

- A task name is at most 15 characters (TASK_COMM_LEN 16 with its NUL, include/linux/sched.h): a
  `page allocation failure` line whose name is longer, while the paste shows the kernel's line
  with that comm (the end of the long name, same order and mode), quotes it in a person's text (an
  article's title, a bug form's `Summary:` field); so does one whose name opens with a field's
  label ('Summary: make'), of any length, the quote wrapped before its mode or not; a task header
  after it naming that comm makes it the kernel's line with another writer's text spliced before it.
- Kernel lines pasted without their prefix right above the log's first prefixed line take its host.
- A buddy line shortened with `...` and cut before its total is read: its zone and the orders it
  shows; the blocks it leaves out are unknown, not zero.
- `kvm invoked oom-killer`, cut before its colon, is the header under the kernel's log prefix and
  a person's words without it.
- An OOM panic (`Out of memory and no killable processes...`, panic_on_oom) after a kill line is a
  later out_of_memory() call's report: the call that printed `Killed process` had a victim.
- show_free_areas() prints each zone once: a second `Normal free:` line is a second report whose
  header was not printed (nommu's failure line is no report line).
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text
from knowledge.analysis import Analysis

OES11 = "blog-microfocus-oes11-novfsd-order4"  # the article's title quotes the warning
BZ8464 = "lore-2621mm2-bz8464-slub-order2-atomic"  # the bug form's Summary quotes it, then the log
IMX6 = "lore-310-imx6-fec-atomic-cma"  # a music player's status line before the kernel's line
CIFS = "lore-x86_64-cifs-fallocate-order8-kvzalloc"  # `Node 0 Normal: 3375*4kB ... 0*4096kB`
HOMEIAC = "code-homeiac-home-maas-oom-incident-2025-07-29"  # `pve kernel: kvm invoked oom-killer`
A15 = "lore-310-arm-a15-oom-no-killable-processes-panic"  # three kill pairs, then the panic
NOMMU = "lore-319-stm32-nommu-alloc-pages-exact-leak"  # warn_alloc's report, then nommu's own show_free_areas()


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in (OES11, BZ8464, IMX6, CIFS, HOMEIAC, A15, NOMMU))


def test_a_title_quoting_the_warning_is_no_event() -> None:
    dump = parse_text(load_case(OES11)[0])
    first = load_case(OES11)[0].decode().splitlines()[0]
    assert first.startswith("OES11 SP1: novfsd: page allocation failure")
    assert len(dump.events) == 15
    assert 1 not in {line.number for event in dump.events for line in event.lines}
    assert {event.trigger.comm for event in dump.events if event.trigger} == {"novfsd"}


def test_a_bug_forms_summary_is_no_event_and_the_unprefixed_warning_joins_its_log() -> None:
    dump = parse_text(load_case(BZ8464)[0])
    assert len(dump.events) == 1
    event = dump.events[0]
    assert event.trigger is not None and event.trigger.comm == "autoreconf"
    assert event.trigger.order == 2
    assert event.host == "rousalka"  # the prefixed call trace below it is the same report's
    assert dump.arch == "x86_64"


def test_a_bug_forms_summary_quoting_a_short_name_is_no_event() -> None:
    # the same bug form with the task's name short enough for a comm ('Summary: make' is 13
    # characters, a comm may be 15): the field's label, and the kernel's own line with the same
    # order below it, make it a quote; the quote was wrapped before its mode
    text = load_case(BZ8464)[0].decode().replace("autoreconf", "make")
    assert "Summary: make: page allocation failure. order:2,\n" in text
    dump = parse_text(text)
    assert [event.trigger.comm for event in dump.events if event.trigger] == ["make"]
    # a label-like name without the kernel's own line elsewhere stays the task's name
    alone = "\n".join(
        line for line in text.splitlines() if "make: page allocation failure" not in line or "Summary" in line
    )
    assert [event.trigger.comm for event in parse_text(alone).events if event.trigger] == ["Summary: make"]


def test_text_spliced_before_the_kernels_line_keeps_the_header_comm() -> None:
    dump = parse_text(load_case(IMX6)[0])
    assert [event.trigger.comm for event in dump.events if event.trigger] == ["swapper/0"]


def test_an_elided_buddy_line_gives_its_zone_and_leaves_out_what_it_does_not_show() -> None:
    report = analyze(load_case(CIFS)[0])
    (analysed,) = report.events
    (buddy,) = analysed.event.buddy
    assert (buddy.node, buddy.zone, buddy.total_kb) == (0, "Normal", None)
    assert [(o.size_kb, o.count) for o in buddy.orders] == [
        (4, 3375),
        (128, 7),
        (256, 0),
        (512, 0),
        (1024, 0),
        (2048, 0),
        (4096, 0),
    ]
    assert not buddy.complete
    (zone,) = Analysis(analysed.event, report.dump, analysed.gfp).zones
    assert zone.name == "Normal"
    assert zone.blocks_at_order is None and zone.order_ok is None  # 8..64 kB blocks are not shown


def test_a_whole_buddy_line_is_complete() -> None:
    event = parse_text(load_case("lab-process-hog-deb612-amd64")[0]).events[0]
    assert event.buddy and all(buddy.complete for buddy in event.buddy)


def test_a_header_cut_before_its_colon_is_read_under_the_kernels_prefix() -> None:
    text = load_case(HOMEIAC)[0].decode()
    assert "Jul 29 16:19:25 pve kernel: kvm invoked oom-killer\n" in text
    (event,) = parse_text(text).events
    assert event.trigger is not None and (event.trigger.comm, event.trigger.line) == ("kvm", 8)
    assert event.kill is not None and event.kill.pid == 1705


def test_the_same_words_without_the_prefix_are_prose() -> None:
    text = load_case(HOMEIAC)[0].decode().replace("Jul 29 16:19:25 pve kernel: kvm", "kvm")
    (event,) = parse_text(text).events
    assert event.trigger is None or event.trigger.line != 8


def test_a_panic_with_nothing_left_to_kill_after_a_kill_is_its_own_event() -> None:
    dump = parse_text(load_case(A15)[0])
    assert [event.kill.pid if event.kill else None for event in dump.events] == [15479, 15485, 1339, None]
    last = dump.events[-1]
    assert last.panic is not None and "no killable processes" in last.panic.reason
    assert last.trigger is not None and (last.trigger.comm, last.trigger.pid) == ("rmap-test", 28026)
    assert dump.events[2].panic is None and dump.events[2].last_line == 15


def test_a_zone_printed_again_is_a_second_report() -> None:
    text = load_case(NOMMU)[0].decode()
    lines = text.splitlines()
    assert lines[86].endswith("nommu: Allocation of length 221184 from process 67 (free) failed")
    assert lines[95].endswith("Normal free:6060kB min:352kB low:440kB high:528kB")
    first, second = parse_text(text).events
    assert first.kind == "page-allocation-failure" and first.trigger is not None and first.trigger.comm == "free"
    assert [zone.line for zone in first.zones] == [73]
    assert second.kind is None and second.trigger is None and second.first_line == 96
    assert [zone.line for zone in second.zones] == [96] and [buddy.line for buddy in second.buddy] == [100]

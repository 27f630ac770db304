"""General gaps the thirty-eighth wave showed (issue 13), on real corpus inputs of folds 1-4.

1. grep's file-name prefix. grep prints the file's name and a colon before each matching line when it
searches more than one file, or with -H, and the line's number and a colon after it with -n (GNU grep
manual, "General Output Control": `-H --with-filename` "Print the file name for each match. This is
the default when there is more than one file to search."; `-n --line-number`). A person who greps the
rotated logs for the kill (`grep -i kill /var/log/messages*`) pastes lines such as
`messages-20150510:May  9 23:40:38 localhost kernel: Out of memory: ...`; no prefix of
grammar/prefixes.lark took the file name, so the syslog stamp behind it was never reached and no event
was found. GREP_FILE takes a name and a colon (and a line number and a colon) only where a log stamp
follows, which kernel text never puts right after a word and a colon.
2. A summary whose prefix was cut off. Events are assembled per printer (host and printk caller id, as the
log prefix names them); a line without a prefix belongs to the printer of the line before it. A comment that
starts inside a wrapped record (the `oom-kill:constraint=...` summary, whose `May 24 07:45:12 developer
kernel: [...]` prefix was on the line above the excerpt, then the kill line with its prefix) put the
summary in a stream of no host and the kill line in host `developer`'s: two events of one kill.
mm/oom_kill.c prints the two one right after the other for one victim (4.19+: dump_header() ends with
dump_oom_summary(), then __oom_kill_process() prints `Killed process`), so an unprefixed summary on the line
just before a prefixed kill line of the same pid now takes that line's printer, whatever comes before it
(a window of a big log starting at the summary reads it as the whole log does).
"""

from __future__ import annotations

import pytest
from oomcases import is_held_out, load_case

from bot.render.json_out import contract_fields
from grammar.normalise import line_content
from grammar.parse import parse_text

SOLTRA = "gh-soltra-plugin-crits-1"  # two kill lines grepped from rotated /var/log/messages files
WORKBENCH = "gh-mjordan-islandora-workbench-608"  # a mailed comment's continuation: summary, wrapped kill line


def test_the_cases_are_not_held_out() -> None:
    assert not is_held_out(SOLTRA)
    assert not is_held_out(WORKBENCH)


def _text() -> str:
    return load_case(SOLTRA)[0].decode("utf-8")


def test_the_grepped_kill_lines_are_one_event() -> None:
    events = parse_text(_text()).events
    assert len(events) == 1
    event = contract_fields(events[0])
    assert event["kind"] == "oom-kill"
    assert (event["killed_pid"], event["killed_comm"]) == (29591, "python2.7")
    assert (event["killed_anon_rss_kb"], event["killed_file_rss_kb"], event["killed_total_vm_kb"]) == (
        2751508,
        20,
        3446192,
    )
    assert events[0].host == "localhost"  # the syslog host behind the file name


@pytest.mark.parametrize(
    "prefix",
    [
        "messages-20150510:",  # the case's own: several files searched
        "/var/log/messages:",  # -H on one file, with its path
        "/var/log/kern.log.1:4711:",  # -n as well
        "syslog.2.gz:",  # zgrep over a compressed rotation
    ],
)
def test_a_file_name_before_a_syslog_stamp_is_a_prefix(prefix: str) -> None:
    line = (
        "May  9 23:40:38 localhost kernel: Out of memory: Kill process 29591 (python2.7) score 658 or sacrifice child"
    )
    text, stripped = line_content(prefix + line)
    assert text == "Out of memory: Kill process 29591 (python2.7) score 658 or sacrifice child"
    assert stripped == prefix + "May  9 23:40:38 localhost kernel: "


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (
            "kern.log:[ 5951404.967216] Out of memory: Killed process 842651 (python3)",
            "Out of memory: Killed process 842651 (python3)",
        ),
        ("dmesg.txt:12:<4>[   12.345678] Mem-Info:", "Mem-Info:"),
        ("messages:2023-05-24T07:45:12.123456+00:00 developer kernel: Mem-Info:", "Mem-Info:"),
    ],
)
def test_other_stamps_after_the_file_name(line: str, text: str) -> None:
    assert line_content(line)[0] == text


@pytest.mark.parametrize(
    "line",
    [
        # kernel lines that start with a word and a colon: nothing that follows is a log stamp
        "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task=python3,pid=842651,uid=1000",
        "active_anon:241 inactive_anon:7513 isolated_anon:0",
        "Mem-Info:",
        'audit: type=1400 audit(1690000000.123:42): apparmor="DENIED"',
        "lowmem_reserve[]: 0 0 0 0 0",
        "Node 0 DMA32: 25*4kB (U) 29*8kB (UME) = 58956kB",
    ],
)
def test_kernel_text_is_never_taken_for_a_file_name(line: str) -> None:
    assert line_content(line) == (line, "")


def _workbench() -> str:
    return load_case(WORKBENCH)[0].decode("utf-8")


def test_a_summary_above_the_first_prefix_joins_the_kill_line_it_runs_into() -> None:
    events = parse_text(_workbench()).events
    assert len(events) == 1
    event = contract_fields(events[0])
    assert event["kind"] == "oom-kill" and event["constraint"] == "CONSTRAINT_NONE" and event["memcg"] is None
    assert (event["killed_pid"], event["killed_comm"], event["killed_anon_rss_kb"]) == (842651, "python3", 25773872)
    assert events[0].host == "developer"


def test_the_pair_decides_whatever_is_above_it() -> None:
    # another host's lines before the summary (a central syslog, or a window of one starting there)
    noise = "May 24 07:45:11 other-host kernel: [ 812.000001] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"
    events = parse_text(noise + _workbench()).events
    assert [(contract_fields(e)["killed_pid"], e.host) for e in events] == [(842651, "developer")]
    assert contract_fields(events[0])["constraint"] == "CONSTRAINT_NONE"


def test_a_summary_of_another_pid_is_not_joined() -> None:
    text = _workbench().replace("task=python3,pid=842651", "task=python3,pid=842650", 1)
    events = [contract_fields(e) for e in parse_text(text).events]
    assert len(events) == 2 and events[1]["killed_pid"] == 842651 and events[1]["constraint"] is None

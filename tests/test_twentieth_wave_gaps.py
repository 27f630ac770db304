"""General gaps the twentieth wave showed (issue 13), on real corpus inputs of folds 1-4:

- a web page's HTML source around a dump (a Q&A site's stored question, a blog post's Markdown with
  <pre><code> blocks): inline code closed on its line is read as a backtick span, the tags of text
  layout go; the kernel's own angle brackets (`<IRQ>`, `</TASK>`, `<4>`) are none of those names;
- where a person left lines out of a table - `[...]`, or the vertical ellipsis of Japanese and
  Chinese writing, a line holding only `:` - is an elision mark, never the rest of the row above it,
  even when the table's equal row lengths look like a fixed-width cut;
- the kill line of RHEL 5 and of OpenVZ/Virtuozzo beancounters ('Out of memory in UB N: OOM killed
  process ... vm:, rss:') is a kill line, so OOM225 reads its victim when nothing else is pasted;
- a virtual machine's process killed by its host's OOM killer: the guests' configured memory adds
  up on the host, so the VM's lever step names a smaller guest or more host RAM.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.normalise import normalise

OVERPASS = "code-openstreetmap-help-website-35889-overpass-oom"
CONOHA = "code-kanpapa-kanpapa-com-conoha-apache2nginx"
PROXMOX = "code-homeiac-home-maas-oom-incident-2025-07-29"


def test_the_cases_are_not_held_out() -> None:
    assert not any(is_held_out(case) for case in (OVERPASS, CONOHA, PROXMOX))


def test_a_kill_line_in_inline_html_code_is_read() -> None:
    report = analyze(load_case(OVERPASS)[0])
    assert len(report.events) == 1
    kill = report.events[0].event.kill
    assert (kill.pid, kill.comm, kill.total_vm_kb) == (21091, "update_database", 4228424)


def test_pre_code_blocks_lose_their_tags_and_the_kernel_brackets_stay() -> None:
    kill = load_case(CONOHA)[0].decode().splitlines()
    kill_lines = [line.split("kernel: ", 1)[1] for line in kill if "Kill process" in line or "Killed process" in line]
    html = "<p>dmesg:</p>\n<pre><code>" + kill_lines[0] + "\n" + kill_lines[1] + "</code></pre>\n"
    report = analyze(html.encode())
    assert report.events[0].event.kill.pid == 6892
    # `<IRQ>` and `</TASK>` are the kernel's: not layout tags
    lines = normalise("<pre><code> <IRQ>\n </IRQ>\n <TASK>\n </TASK>\n</code></pre>\n").lines
    assert [line.text for line in lines] == ["<IRQ>", "</IRQ>", "<TASK>", "</TASK>"]


def test_a_vertical_ellipsis_is_not_glued_to_the_row_above() -> None:
    event = analyze(load_case(CONOHA)[0]).events[0].event
    assert len(event.tasks) == 35
    assert all(not row.name.endswith(":") for row in event.tasks)
    assert {row.name for row in event.tasks} == {"systemd-journal", "httpd", "mt-search.cgi", "mackerel-plugin"}


def test_a_bracketed_ellipsis_between_equal_rows_is_not_glued_either() -> None:
    text = load_case(CONOHA)[0].decode().replace("\n     :\n", "\n[...]\n")
    event = analyze(text.encode()).events[0].event
    assert len(event.tasks) == 35
    assert all("[...]" not in row.name for row in event.tasks)


def test_the_beancounter_kill_line_names_its_victim_as_the_first_candidate() -> None:
    event = analyze(load_case(OVERPASS)[0]).events[0]
    top = event.findings[0]
    assert (top.code, top.category) == ("OOM225", "process_hog")
    assert any("update_database" in step for step in top.remediation)


def test_a_guest_killed_by_its_host_gets_the_host_side_sizing() -> None:
    event = analyze(load_case(PROXMOX)[0]).events[0]
    steps = [step for finding in event.findings for step in finding.remediation][:3]
    assert any("lower that guest's memory" in step and "add RAM to the host" in step for step in steps)

"""A general gap the twelfth wave showed (issue 13), on real corpus inputs of folds 1-4: the kernel
lines a person broke by hand when quoting them.

- mm/oom_kill.c dump_oom_summary() (v4.19-v6.18) separates the `oom-kill:` summary's fields with
  commas only, so a space before one of its own field names (`constraint=CONSTRAINT_MEMCG` /
  `task=java,pid=90057,uid=0`, joined with a space) is where the line was broken, not part of the
  constraint;
- __oom_kill_process() prints the kill line with its sizes as one printk, so a line of nothing but
  `total-vm:...kB, anon-rss:...kB` after a kill line that shows none continues it, with or without a
  log prefix on the kill line.
"""

from __future__ import annotations

import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields

BLOG = "blog-212clab-k8s-java-memcg-512mi"  # kern.log grep quoted wrapped by hand in a blog post
HOG = "lab-process-hog-deb612-amd64"  # global OOM, 6.12, dmesg stamps on every line


def _facts(text: str | bytes) -> list[dict]:
    return [contract_fields(e.event) for e in analyze(text).events]


def _hog_with(summary: str, kill: str) -> str:
    """The lab dump with its summary and kill lines replaced by ``summary`` and ``kill`` (each
    may span lines; the first keeps the dmesg stamp, continuations have none, as in a paste)."""
    lines = load_case(HOG)[0].decode().split("\n")
    for needle, new in (("oom-kill:constraint=", summary), ("Killed process 149", kill)):
        (index,) = [i for i, line in enumerate(lines) if needle in line]
        stamp = re.match(r"\[[^\]]*\] ?", lines[index])
        lines[index] = (stamp.group(0) if stamp else "") + new
    return "\n".join(lines)


def test_the_blog_reads_the_broken_summary_and_the_kill_sizes_on_their_own_line() -> None:
    assert not is_held_out(BLOG)
    (event,) = _facts(load_case(BLOG)[0])
    assert event["kind"] == "memcg-oom"
    assert event["constraint"] == "CONSTRAINT_MEMCG"
    assert (event["killed_pid"], event["killed_comm"]) == (90057, "java")
    assert (event["killed_total_vm_kb"], event["killed_anon_rss_kb"]) == (2007864, 518828)


def test_a_summary_broken_before_a_field_name_keeps_each_field() -> None:
    summary = "oom-kill:constraint=CONSTRAINT_NONE\nnodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=memhog,pid=149,uid=0"
    (event,) = _facts(
        _hog_with(summary, "Out of memory: Killed process 149 (memhog) total-vm:427064kB, anon-rss:420864kB")
    )
    assert event["constraint"] == "CONSTRAINT_NONE"
    assert event["memcg"] is None and event["kind"] == "oom-kill"


def test_a_task_name_with_spaces_in_the_summary_is_not_split() -> None:
    # a comm holds spaces (Firefox's `Isolated Web Co`): only a space before a field name splits
    summary = "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=Isolated Web Co,pid=149,uid=0"
    report = analyze(
        _hog_with(summary, "Out of memory: Killed process 149 (memhog) total-vm:427064kB, anon-rss:420864kB")
    )
    oom_summary = report.events[0].event.oom_summary
    assert oom_summary is not None and oom_summary.task == "Isolated Web Co" and oom_summary.pid == 149


def test_kill_sizes_on_the_next_line_are_read_after_an_unstamped_kill_line() -> None:
    text = _hog_with(
        "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=memhog,pid=149,uid=0",
        "Out of memory: Killed process 149 (memhog)\ntotal-vm:427064kB, anon-rss:420864kB, file-rss:0kB, shmem-rss:576kB\nUID:0 pgtables:860kB oom_score_adj:0",
    )
    # the dump as the blog quotes it: without the stamps
    text = re.sub(r"^\[[^\]]*\] ?", "", text, flags=re.M)
    (event,) = _facts(text)
    assert (event["killed_pid"], event["killed_comm"]) == (149, "memhog")
    assert (event["killed_total_vm_kb"], event["killed_anon_rss_kb"]) == (427064, 420864)
    assert (event["killed_file_rss_kb"], event["killed_shmem_rss_kb"]) == (0, 576)

"""Watchdog reports printed with an OOM (soft lockup, RCU CPU stall, hung task): typed facts of the
event (``Event.watchdogs``), kept apart from the memory report's own lines and trace, carried in the
JSON, and read by knowledge (kernel_fixes.yaml's memcg reclaim soft lockup, OOM606 and OOM610 quoting
the watchdog's line).

Real inputs: the folds 1-4 case lore-56rc5-x86_64-memcg-oom-up-soft-lockup (a soft lockup after a
memcg kill), and real reports quoted from public threads set into real corpus dumps: the soft
lockup of commit e3336cab2579's message (5.9-rc2), a 4.15 hung-task report (dotmesh-io/dotmesh#540),
a 5.x RCU stall (cilium/tetragon#328) and a 2.6.32 hung-task report (moby/moby#9862).
"""

from __future__ import annotations

import json
import re

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from bot.render.json_out import report_dict
from grammar.parse import parse_text
from knowledge.kernel_fixes import matches

SOFT_LOCKUP = "lore-56rc5-x86_64-memcg-oom-up-soft-lockup"
HOG = "lab-process-hog-deb612-amd64"
MANUAL = "lore-2626-amd64-sysrq-order0-swap-weirdness"
FIX_ID = "memcg-reclaim-soft-lockup-no-cond-resched"

# commit e3336cab2579's message ('mm: memcg: fix memcg reclaim soft lockup', 5.9-rc2 reproduction)
COMMIT_LOCKUP = [
    "watchdog: BUG: soft lockup - CPU#0 stuck for 111s! [memcg_test:2204]",
    "CPU: 0 PID: 2204 Comm: memcg_test Not tainted 5.9.0-rc2+ #12",
    "Call Trace:",
    " shrink_lruvec+0x49f/0x640",
    " shrink_node+0x2a6/0x6f0",
    " do_try_to_free_pages+0xe9/0x3e0",
    " try_to_free_mem_cgroup_pages+0xef/0x1f0",
    " try_charge+0x2c1/0x750",
    " mem_cgroup_charge+0xd7/0x240",
    " __add_to_page_cache_locked+0x2fd/0x370",
    " add_to_page_cache_lru+0x4a/0xc0",
    " pagecache_get_page+0x10b/0x2f0",
    " filemap_fault+0x661/0xad0",
    " ext4_filemap_fault+0x2c/0x40",
    " __do_fault+0x4d/0xf9",
    " handle_mm_fault+0x1080/0x1790",
]
# dotmesh-io/dotmesh#540 (4.15.0-29-generic), the report's opening and trace
HUNG_TASK = [
    "INFO: task systemd:1 blocked for more than 120 seconds.",
    "      Tainted: P           O     4.15.0-29-generic #31-Ubuntu",
    '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    "systemd         D    0     1      0 0x00000000",
    "Call Trace:",
    " __schedule+0x291/0x8a0",
    " schedule+0x2c/0x80",
    " schedule_preempt_disabled+0xe/0x10",
    " __mutex_lock.isra.2+0x18c/0x4d0",
    " __mutex_lock_slowpath+0x13/0x20",
    " ? __mutex_lock_slowpath+0x13/0x20",
    " mutex_lock+0x2f/0x40",
    " proc_cgroup_show+0x4c/0x2a0",
    " proc_single_show+0x56/0x80",
    " seq_read+0xe5/0x430",
]
# cilium/tetragon#328 (5.x): an RCU stall detected by another CPU, and the grace-period kthread's stack
RCU_STALL = [
    "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:",
    "rcu: \t1-...!: (0 ticks this GP) idle=cf8/0/0x0 softirq=20/20 fqs=0 ",
    "\t(detected by 0, t=38227 jiffies, g=-1127, q=10)",
    "Sending NMI from CPU 0 to CPUs 1:",
    "NMI backtrace for cpu 1 skipped: idling at default_idle+0x1e/0x130",
    "rcu: rcu_sched kthread starved for 38227 jiffies! g-1127 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=1",
    "rcu: RCU grace-period kthread stack dump:",
    "rcu_sched       I15016    11      2 0x80004000",
    "Call Trace:",
    " __schedule+0x288/0x600",
    " schedule+0x34/0xa0",
    " schedule_timeout+0x84/0x140",
    " rcu_gp_kthread+0x4f6/0xd40",
    " kthread+0x107/0x120",
    " ret_from_fork+0x35/0x40",
]
# moby/moby#9862 (2.6.32-431.el6.x86_64), with its 2.6-era frames
OLD_HUNG_TASK = [
    "INFO: task docker:3834 blocked for more than 120 seconds.",
    "     Tainted: G          I---------------    2.6.32-431.el6.x86_64 #1",
    '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    "docker        D 0000000000000002     0  3834      1 0x00000080",
    "Call Trace:",
    "[<ffffffff8111f3e0>] ? find_get_pages_tag+0x40/0x130",
    "[<ffffffffa01ce5a5>] jbd2_log_wait_commit+0xc5/0x140 [jbd2]",
    "[<ffffffff8109b2a0>] ? autoremove_wake_function+0x0/0x40",
]


def _text(case: str) -> str:
    assert not is_held_out(case)
    return load_case(case)[0].decode()


def _stamped(lines: list[str], stamp: str) -> list[str]:
    return [f"{stamp} {line}" for line in lines]


def _facts(event):  # type: ignore[no-untyped-def]
    """What the memory report gives, line numbers left out (an insertion shifts them)."""
    return (
        event.kind,
        event.kernel,
        event.call_trace,
        None if event.trigger is None else (event.trigger.comm, event.trigger.gfp_mask, event.trigger.order),
        None if event.kill is None else (event.kill.pid, event.kill.comm, event.kill.anon_rss_kb),
        tuple((z.name, z.free_kb, z.min_kb) for z in event.zones),
        len(event.tasks),
        dict(event.meminfo),
        event.unparsed and tuple(u.text for u in event.unparsed),
    )


def test_the_soft_lockup_after_a_memcg_kill_is_a_fact_of_that_event() -> None:
    (event,) = parse_text(_text(SOFT_LOCKUP)).events
    (watchdog,) = event.watchdogs
    assert (watchdog.kind, watchdog.cpu, watchdog.seconds, watchdog.comm, watchdog.pid) == (
        "soft-lockup",
        0,
        23,
        "repro",
        806,
    )
    assert watchdog.line.number == 8 and watchdog.line.text.startswith("watchdog: BUG: soft lockup")
    assert watchdog.call_trace[:3] == ("shrink_node", "do_try_to_free_pages", "try_to_free_mem_cgroup_pages")
    assert watchdog.call_trace[-1] == "page_fault"
    # the memory report itself is the kill line alone, as before: its trace is not the watchdog's
    assert (event.kind, event.first_line, event.last_line, event.call_trace) == ("memcg-oom", 7, 7, ())


def test_the_json_carries_watchdogs_only_where_the_paste_shows_one() -> None:
    (out,) = report_dict(analyze(_text(SOFT_LOCKUP)))["events"]
    (watchdog,) = out["watchdogs"]
    assert {k: watchdog[k] for k in ("kind", "cpu", "seconds", "comm", "pid", "line")} == {
        "kind": "soft-lockup",
        "cpu": 0,
        "seconds": 23,
        "comm": "repro",
        "pid": 806,
        "line": 8,
    }
    assert "try_to_free_mem_cgroup_pages" in watchdog["call_trace"] and watchdog["lines"][0] == 8
    json.dumps(out)
    # an event without one: no key added, nothing in the details
    (plain,) = report_dict(analyze(_text(HOG)))["events"]
    assert "watchdogs" not in plain and "watchdogs" not in plain["details"]


def test_e3336cab2579_is_named_for_a_soft_lockup_in_memcg_reclaim_before_its_releases() -> None:
    report = analyze(_text(SOFT_LOCKUP))
    (event,) = report.events
    assert FIX_ID in {f.id for f in matches(event.diagnosis.analysis)}
    found = next(f for f in event.findings if f.code == "OOM606")
    evidence = {e.name: e for e in found.evidence}
    assert evidence["watchdog"].value == "watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [repro:806]"
    assert [line.number for line in evidence["watchdog"].lines] == [8]
    assert evidence["function"].value == "shrink_node"
    assert "watchdog reported" in found.explanation
    first = [step for f in event.findings for step in f.remediation][:3]  # (tests/test_fix_share.py)
    assert any("e3336cab2579" in step and "4.19.148" in step for step in first), first


def test_the_record_follows_the_stable_releases_and_the_watchdog_trace() -> None:
    text = _text(SOFT_LOCKUP)

    def named(release: str, body: str | None = None) -> bool:
        changed = (body or text).replace("5.6.0-rc5+ #136", f"{release} #1")
        (event,) = analyze(changed).events
        return FIX_ID in {f.id for f in matches(event.diagnosis.analysis)}

    assert named("5.4.67") and named("5.8.10") and named("4.19.147") and named("5.7.19")
    # the stable releases that carry the fix (announcements of September 2020), and 5.9 itself
    assert not named("5.4.68") and not named("5.8.11") and not named("4.19.148") and not named("5.9.0")
    # a soft lockup elsewhere (no memcg reclaim in its trace) is not this defect
    elsewhere = re.sub(r"try_to_free_mem_cgroup_pages\+\S+", "ext4_writepages+0x16d/0x230", text)
    assert not named("5.4.67", elsewhere)
    # the same frames without a watchdog report are not the record's either (the kill alone)
    alone = "\n".join(line for line in text.splitlines() if "soft lockup" not in line)
    assert not named("5.4.67", alone)


def test_a_soft_lockup_inside_an_oom_report_leaves_the_report_whole() -> None:
    text = _text(HOG)
    lines = text.splitlines()
    (before,) = parse_text(text).events
    at = next(i for i, line in enumerate(lines) if "Tasks state" in line)  # between Mem-Info and the task dump
    stamp = lines[at - 1].split("]")[0] + "]"
    inserted = lines[:at] + _stamped(COMMIT_LOCKUP, stamp) + lines[at:]
    (after,) = parse_text("\n".join(inserted)).events
    assert _facts(after) == _facts(before)
    assert after.first_line == before.first_line and after.last_line == before.last_line + len(COMMIT_LOCKUP)
    (watchdog,) = after.watchdogs
    assert (watchdog.kind, watchdog.cpu, watchdog.seconds, watchdog.comm, watchdog.pid) == (
        "soft-lockup",
        0,
        111,
        "memcg_test",
        2204,
    )
    assert watchdog.call_trace[0] == "shrink_lruvec" and "try_to_free_mem_cgroup_pages" in watchdog.call_trace
    # a global OOM: the memcg record does not apply (its kind is a memory cgroup's OOM)
    assert FIX_ID not in {f.id for f in matches(analyze("\n".join(inserted)).events[0].diagnosis.analysis)}


def test_hung_task_and_rcu_stall_after_the_kill_are_read() -> None:
    text = _text(HOG)
    lines = text.splitlines()
    (before,) = parse_text(text).events
    stamp = lines[-1].split("]")[0] + "]"
    (after,) = parse_text("\n".join(lines + _stamped(HUNG_TASK + RCU_STALL, stamp))).events
    assert _facts(after) == _facts(before) and after.last_line == before.last_line
    hung, rcu = after.watchdogs
    assert (hung.kind, hung.comm, hung.pid, hung.seconds, hung.cpu) == ("hung-task", "systemd", 1, 120, None)
    assert "proc_cgroup_show" in hung.call_trace and hung.call_trace[0] == "__schedule"
    assert rcu.kind == "rcu-stall" and rcu.line.text.startswith("rcu: INFO: rcu_sched detected stalls")
    assert rcu.call_trace[-1] == "ret_from_fork"


def test_a_watchdog_far_from_any_event_or_alone_is_no_fact() -> None:
    text = _text(HOG)
    far = text + "\n" + "\n".join(f"unrelated line {n}" for n in range(100)) + "\n" + "\n".join(HUNG_TASK)
    (event,) = parse_text(far).events
    assert event.watchdogs == ()
    assert parse_text("\n".join(HUNG_TASK + RCU_STALL + COMMIT_LOCKUP)).events == ()


def test_a_manual_kill_of_a_stalled_machine_quotes_the_watchdog() -> None:
    # SysRq-f on Debian's 2.6.26 (OOM610's manual_stall) and a hung-task report of that era after it
    text = _text(MANUAL)
    first = parse_text(text).events[0]
    lines = text.splitlines()
    prefix = re.match(r"[> ]*", lines[first.last_line - 1]).group(0)  # type: ignore[union-attr]
    body = lines[: first.last_line] + [prefix + line for line in OLD_HUNG_TASK] + lines[first.last_line :]
    event = analyze("\n".join(body)).events[0]
    (watchdog,) = event.event.watchdogs
    assert (watchdog.kind, watchdog.comm, watchdog.pid) == ("hung-task", "docker", 3834)
    assert watchdog.call_trace == ("find_get_pages_tag", "jbd2_log_wait_commit", "autoremove_wake_function")
    signs = next(f for f in event.findings if f.code == "OOM610")
    evidence = {e.name: e for e in signs.evidence}
    assert evidence["watchdog"].value == "INFO: task docker:3834 blocked for more than 120 seconds."
    assert "its watchdog reported" in signs.explanation

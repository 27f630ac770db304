"""A central syslog interleaving several machines' real dumps: each host's events come out whole,
with no extra events, each with its own kernel, arch and diagnosis.

The logs are built from real corpus dumps: each case's kernel lines (those with a dmesg stamp)
are re-prefixed as a central syslog prints them (`Dec  6 02:04:16.123456 <host> kernel: [uptime]`)
and interleaved line by line by time, with the three reports aligned to start together so their
lines alternate as tightly as possible.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from oomcases import load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields, report_dict
from grammar.normalise import normalise
from grammar.stamps import read_stamp

HOSTS = {
    "web-32": "seed-rsync-32bit",  # i686, 3.2.59, lowmem exhaustion
    "db-7.example.net": "lab-mlock-deb61-amd64",  # x86_64, 6.1.0-57-amd64
    "edge-arm": "lab-memcg-v2-deb61-arm64",  # arm64, 6.1.0-50-arm64
}
BASE = datetime(2026, 12, 6, 2, 4, 16)


def _records(case: str) -> list[tuple[float, str]]:
    """(seconds since boot, kernel message) of each stamped message of a case (lines the paste
    wrapped are rejoined first: a log server receives whole messages)."""
    out = []
    for line in normalise(load_case(case)[0].decode()).lines:
        uptime = read_stamp(line.prefix).uptime_s
        if uptime is not None and line.text.strip():
            out.append((uptime, line.text.strip()))
    return out


def _central_syslog(hosts: dict[str, str], caller: dict[str, str] | None = None) -> str:
    entries = []
    for order, (host, case) in enumerate(hosts.items()):
        records = _records(case)
        start = next(uptime for uptime, text in records if "invoked oom-killer" in text)
        for index, (uptime, text) in enumerate(records):
            moment = BASE + timedelta(seconds=uptime - start)
            tag = f"[{caller[host]:>6}] " if caller else ""
            line = f"{moment:%b %e %H:%M:%S.%f} {host} kernel: [{uptime:12.6f}] {tag}{text}"
            entries.append((moment, order, index, line))
    entries.sort()
    return "\n".join(line for *_, line in entries) + "\n"


def _alone(case: str):
    return analyze(load_case(case)[0])


def test_central_syslog_gives_each_host_its_own_events_kernel_and_diagnosis() -> None:
    log = _central_syslog(HOSTS)
    hosts_in_order = [line.split()[3] for line in log.splitlines()[:400]]
    assert len({tuple(hosts_in_order[i : i + 2]) for i in range(len(hosts_in_order) - 1)}) > 3, (
        "the hosts' lines must really be interleaved"
    )
    report = analyze(log)
    expected_count = sum(len(load_case(case)[1]["events"]) for case in HOSTS.values())
    assert len(report.events) == expected_count  # no extra events, none lost
    by_host: dict[str | None, list] = {}
    for analysed in report.events:
        by_host.setdefault(analysed.event.host, []).append(analysed)
    assert set(by_host) == set(HOSTS)
    for host, case in HOSTS.items():
        meta = load_case(case)[1]
        alone = _alone(case)
        mine = by_host[host]
        # whole and unmixed: the same facts as the host's dump analysed on its own
        assert [contract_fields(a.event) for a in mine] == [contract_fields(a.event) for a in alone.events]
        for analysed, single in zip(mine, alone.events, strict=False):
            assert analysed.event.kernel == meta["kernel"]
            assert analysed.event.arch == meta["arch"]
            assert analysed.event.page_size_kb == single.event.page_size_kb
            # every line of the event was printed by this host
            assert {line.host for line in analysed.event.lines} == {host}
            # diagnosed with its own machine: the same findings as when pasted alone
            assert [(f.code, f.confidence) for f in analysed.findings] == [
                (f.code, f.confidence) for f in single.findings
            ]
            assert [(e.name, e.value) for e in analysed.findings[0].evidence] == [
                (e.name, e.value) for e in single.findings[0].evidence
            ]
            assert (
                analysed.findings[0].category == meta["expert_diagnosis"]["categories"][0]
                or analysed.findings[0].category in meta["expert_diagnosis"]["categories"]
            )
    # the 32-bit host leads with lowmem exhaustion although x86-64 and arm64 dumps surround it
    assert by_host["web-32"][0].findings[0].category == "lowmem_exhaustion"
    # several kernels: no single kernel or arch at the top level, each event has its own
    out = report_dict(report)
    assert out["kernel"] is None and out["arch"] is None
    assert {(e["host"], e["kernel"], e["arch"]) for e in out["events"]} == {
        (host, load_case(case)[1]["kernel"], load_case(case)[1]["arch"]) for host, case in HOSTS.items()
    }


def test_one_host_keeps_its_kernel_at_the_top_level_and_a_null_host_without_prefix() -> None:
    report = report_dict(analyze(load_case("seed-rsync-32bit")[0]))
    assert (report["kernel"], report["arch"]) == ("3.2.59", "i686")
    assert report["events"][0]["host"] is None and report["events"][0]["kernel"] == "3.2.59"


def test_two_reports_of_one_host_printed_at_once_by_two_callers() -> None:
    """Two tasks of one arm64 machine printing two reports at the same moment: the printk caller
    ids (`[T812]`, `[T1207]`) keep them apart."""
    cases = {"node-a": "lab-memcg-v2-deb61-arm64", "node-b": "lab-slab-sockleak-deb61-arm64"}
    callers = {"node-a": "T812", "node-b": "T1207"}
    log = _central_syslog(cases, caller=callers)
    log = log.replace(" node-a kernel:", " arm-1 kernel:").replace(" node-b kernel:", " arm-1 kernel:")
    report = analyze(log)
    assert len(report.events) == 2
    case_of_caller = {callers[node]: case for node, case in cases.items()}
    for analysed in report.events:
        assert analysed.event.host == "arm-1"
        printers = {line.stamp.caller for line in analysed.event.lines}
        assert len(printers) == 1
        alone = _alone(case_of_caller[printers.pop()])
        assert contract_fields(analysed.event) == contract_fields(alone.events[0].event)


def test_a_program_tag_is_not_a_host_and_a_hostless_kern_log_stays_one_machine() -> None:
    """`Sep 23 02:04:16 CRON[2211]: ...` names a program, not a machine: other programs' lines in
    the middle of a kern.log without host names must not split the report."""
    lines = load_case("seed-rsync-32bit")[0].decode().splitlines()
    middle = len(lines) // 2
    mixed = (
        lines[:middle]
        + [
            "Sep 23 02:04:16 CRON[2211]: (root) CMD (run-parts /etc/cron.hourly)",
            "Sep 23 02:04:16 sshd: Accepted publickey for ops",
        ]
        + lines[middle:]
    )
    report = analyze("\n".join(mixed))
    alone = _alone("seed-rsync-32bit")
    assert [contract_fields(a.event) for a in report.events] == [contract_fields(a.event) for a in alone.events]
    assert report.events[0].event.host is None

"""From an analysed paste to ``EventRecord`` rows: who, where, when, which workload, which cause.

Works on the JSON contract of one event (``bot.render.json_out.event_dict``), so a paste analysed
for Slack and an event streamed out of a multi-GB kern.log (``bot.render.jsonl``) give the same record.
The host and the event's own time come from the log prefixes the parser stripped (syslog,
ISO/RFC 3339, journalctl, ``dmesg -T``); the pod or container from the cgroup path.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from bot.pipeline import AnalysedEvent, Report
from bot.store import EventRecord
from grammar.facts import Event
from knowledge.model import Finding

MONTHS = {name: index for index, name in enumerate(calendar.month_abbr) if name}

_SYSLOG = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d)(?P<frac>\.\d+)?"
                     r"(?: (?P<year>\d{4})(?= ))?(?: (?P<host>(?!kernel\b)[A-Za-z0-9][\w.\-]*)(?:\[\d+\])?:?(?=\s|$))?")
_VMWARE = re.compile(r"^(?P<date>\d{4}-\d\d-\d\d)T(?P<clock>\d\d:\d\d:\d\d)(?P<frac>\.\d+)?Z [A-Z][a-z]\(\d+\) ")
_ISO = re.compile(r"^(?P<date>\d{4}-\d\d-\d\d)[T ](?P<clock>\d\d:\d\d:\d\d)(?P<frac>[.,]\d+)?(?P<tz>Z|[+\-]\d\d:?\d\d)?"
                  r"(?: (?P<host>(?!kernel\b)[A-Za-z0-9][\w.\-]*)(?=\s|$))?")
_DMESG_T = re.compile(r"\[(?:[A-Z][a-z]{2} )?(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<clock>\d\d:\d\d:\d\d) "
                      r"(?P<year>\d{4})\]")
_JOURNAL_TAG = re.compile(r"\]\s+(?P<host>(?!kernel\b)[A-Za-z0-9][\w.\-]*) kernel:")

# cgroup path shapes (v1 cgroupfs and systemd drivers, v2):
#   /kubepods/burstable/pod<uid>/<64 hex>
#   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
#   /docker/<id>, /system.slice/docker-<id>.scope, crio-<id>.scope, /lxc/<name>, /system.slice/<unit>.service
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})", re.IGNORECASE)
_QOS = re.compile(r"kubepods[-/.](besteffort|burstable|guaranteed)", re.IGNORECASE)
_RUNTIME_SCOPE = re.compile(r"(?:^|/)(docker|cri-containerd|crio|containerd|libpod|cri-dockerd)-([0-9a-f]{12,64})\.scope",
                            re.IGNORECASE)
_BARE_ID = re.compile(r"(?:^|/)(docker/)?([0-9a-f]{64})(?:/|$)")
_UNIT = re.compile(r"(?:^|/)([\w@.\-\\]+\.(?:service|scope))(?:/|$)")
_LXC = re.compile(r"(?:^|/)lxc(?:\.payload)?[./]([\w.\-]+)")
_RUNTIME_NAMES = {"docker": "docker", "cri-dockerd": "docker", "cri-containerd": "containerd",
                  "containerd": "containerd", "crio": "cri-o", "libpod": "podman"}


@dataclass(frozen=True)
class Origin:
    host: str | None
    time: float | None  # epoch seconds (UTC when the log gives no zone)


@dataclass(frozen=True)
class Workload:
    pod_uid: str | None = None
    container_id: str | None = None
    runtime: str | None = None
    unit: str | None = None
    qos: str | None = None
    lxc: str | None = None

    @property
    def label(self) -> str | None:
        """Short, human name: ``pod 1a2b3c4d/ctr 0123456789ab``, ``docker 0123456789ab``, ``postgresql.service``."""
        parts = []
        if self.pod_uid:
            parts.append(f"pod {self.pod_uid[:8]}")
        if self.container_id:
            parts.append(f"{self.runtime or 'container'} {self.container_id[:12]}")
        elif self.lxc:
            parts.append(f"lxc {self.lxc}")
        if not parts and self.unit:
            parts.append(self.unit)
        return " / ".join(parts) or None


def parse_cgroup(path: str | None) -> Workload:
    """The Kubernetes pod, container or systemd unit a cgroup path names (empty when none)."""
    if not path or path == "/":
        return Workload()
    pod = _POD.search(path)
    qos = _QOS.search(path)
    runtime = container = None
    scope = _RUNTIME_SCOPE.search(path)
    if scope:
        runtime, container = _RUNTIME_NAMES.get(scope.group(1).lower(), scope.group(1).lower()), scope.group(2).lower()
    else:
        bare = _BARE_ID.search(path)
        if bare:
            container = bare.group(2).lower()
            runtime = "docker" if bare.group(1) else None
    unit = None
    if not container:
        units = _UNIT.findall(path)
        unit = units[-1] if units else None
    lxc = _LXC.search(path)
    return Workload(pod_uid=pod.group(1).replace("_", "-").lower() if pod else None, container_id=container,
                    runtime=runtime, unit=unit, qos=qos.group(1).lower() if qos else None,
                    lxc=lxc.group(1) if lxc else None)


def _epoch(year: int, month: int, day: int, clock: str, offset_s: int = 0) -> float | None:
    try:
        hour, minute, second = (int(x) for x in clock.split(":"))
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() - offset_s


def _year_for(month: int, day: int, clock: str, reference: float) -> int:
    """Syslog omits the year: the one that puts the stamp at or before ``reference`` (+2 days)."""
    year = datetime.fromtimestamp(reference, tz=timezone.utc).year
    moment = _epoch(year, month, day, clock)
    if moment is not None and moment > reference + 2 * 86400:
        return year - 1
    return year


def parse_prefix(prefix: str, reference: float) -> Origin:
    """Host and time from the log prefix of one line; ``reference`` (when it was posted) picks
    the year of a syslog stamp."""
    prefix = prefix.strip()
    if not prefix:
        return Origin(None, None)
    host: str | None = None
    moment: float | None = None
    match = _VMWARE.match(prefix)
    if match:
        year, month, day = (int(x) for x in match.group("date").split("-"))
        return Origin(None, _epoch(year, month, day, match.group("clock")))
    match = _ISO.match(prefix)
    if match:
        year, month, day = (int(x) for x in match.group("date").split("-"))
        offset = 0
        tz = match.group("tz")
        if tz and tz != "Z":
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
        moment = _epoch(year, month, day, match.group("clock"), offset)
        host = match.group("host")
    else:
        match = _SYSLOG.match(prefix)
        if match and match.group("mon") in MONTHS:
            month, day, clock = MONTHS[match.group("mon")], int(match.group("day")), match.group("clock")
            year = int(match.group("year")) if match.group("year") else _year_for(month, day, clock, reference)
            moment = _epoch(year, month, day, clock)
            host = match.group("host")
    if moment is None:
        stamped = _DMESG_T.search(prefix)
        if stamped and stamped.group("mon") in MONTHS:
            moment = _epoch(int(stamped.group("year")), MONTHS[stamped.group("mon")], int(stamped.group("day")),
                            stamped.group("clock"))
    if host is None:
        tagged = _JOURNAL_TAG.search(prefix)
        if tagged:
            host = tagged.group("host")
    if host is not None and host.lower() in ("kernel", "localhost"):
        host = None if host.lower() == "kernel" else host
    return Origin(host, moment)


def origin_of(prefixes: Mapping[int, str], first_line: int, last_line: int, reference: float) -> Origin:
    """The first host and the first time found on the event's lines."""
    host: str | None = None
    moment: float | None = None
    for number in range(first_line, last_line + 1):
        prefix = prefixes.get(number)
        if not prefix:
            continue
        found = parse_prefix(prefix, reference)
        host = host or found.host
        moment = moment if moment is not None else found.time
        if host and moment is not None:
            break
    return Origin(host, moment)


def _memcg_counter(event: Event) -> tuple[int | None, int | None]:
    for counter in event.memcg.counters if event.memcg is not None else ():
        if counter.resource == "memory":
            return counter.usage_kb, counter.limit_kb
    return None, None


def _short_zone(event: Event) -> dict[str, Any] | None:
    """The zone deepest below its watermarks (free / min smallest)."""
    worst = None
    for zone in event.zones:
        free, low = zone.free_kb, zone.low_kb
        if free is None or not zone.min_kb:
            continue
        ratio = free / zone.min_kb
        if free < (low or 0) and (worst is None or ratio < worst[0]):
            worst = (ratio, {"zone": zone.name, "node": zone.node, "free_kb": free,
                             "min_kb": zone.min_kb, "low_kb": low})
    return worst[1] if worst else None


def figures_of(event: Event, page_kb: int | None) -> dict[str, Any]:
    """The key figures of one event (kB unless named otherwise); absent ones are left out.
    ``page_kb`` is the dump's page size (4 kB when the dump does not show it)."""
    usage, limit = _memcg_counter(event)
    kill, trigger = event.kill, event.trigger
    rss = [kill.anon_rss_kb, kill.file_rss_kb, kill.shmem_rss_kb] if kill is not None else []
    figures = {
        "victim_rss_kb": sum(x for x in rss if x) if any(x is not None for x in rss) else None,
        "victim_anon_rss_kb": kill.anon_rss_kb if kill is not None else None,
        "victim_total_vm_kb": kill.total_vm_kb if kill is not None else None,
        "memcg_usage_kb": usage,
        "memcg_limit_kb": limit,
        "ram_kb": event.ram_pages * (page_kb or 4) if event.ram_pages else None,
        "free_swap_kb": event.free_swap_kb,
        "total_swap_kb": event.total_swap_kb,
        "order": trigger.order if trigger is not None else None,
        "gfp_mask": trigger.gfp_mask if trigger is not None else None,
        "short_zone": _short_zone(event),
    }
    return {k: v for k, v in figures.items() if v is not None}


def remediation_of(findings: Iterable[Finding], limit: int = 2) -> tuple[str, ...]:
    """Steps of the root-cause findings (the top one even when it is only contributing)."""
    findings = list(findings)
    chosen = [f for f in findings if f.role == "root-cause"][:limit] or findings[:1]
    steps: list[str] = []
    for finding in chosen:
        for step in finding.remediation:
            if step not in steps:
                steps.append(step)
    return tuple(steps[:4])


def origin_of_event(event: Event, reference: float) -> Origin:
    """Host and time from the log prefixes the parser kept on the event's own lines."""
    prefixes = {line.number: line.prefix for line in event.lines if line.prefix}
    return origin_of(prefixes, event.first_line, event.last_line, reference) if prefixes else Origin(None, None)


def record_from_event(analysed: AnalysedEvent, *, index: int, kernel: str | None, page_kb: int | None,
                      origin: Origin, posted_at: float, team_id: str | None = None, channel: str | None = None,
                      thread_ts: str | None = None, message_ts: str | None = None, user_id: str | None = None,
                      source_kind: str = "message", paste: str | None = None) -> EventRecord:
    """The store row of one analysed event (typed facts and findings, not a rendering of them)."""
    event = analysed.event
    summary, memcg, kill = event.oom_summary, event.memcg, event.kill
    task_cgroup = (summary.task_memcg if summary else None) or (memcg.task_path if memcg else None)
    oom_memcg = (summary.oom_memcg if summary else None) or _charged_memcg(event)
    workload = parse_cgroup(task_cgroup or oom_memcg)
    findings = analysed.findings
    top = findings[0] if findings else None
    return EventRecord(
        event_index=index, posted_at=posted_at, source_kind=source_kind, team_id=team_id, channel=channel,
        thread_ts=thread_ts, message_ts=message_ts, user_id=user_id, event_time=origin.time, host=origin.host,
        kernel=(event.header.kernel if event.header else None) or kernel, kind=event.kind,
        trigger_comm=event.trigger.comm if event.trigger else None,
        victim_comm=(kill.comm if kill else None) or (summary.task if summary else None),
        victim_pid=kill.pid if kill else None,
        cgroup=task_cgroup, oom_memcg=oom_memcg, pod_uid=workload.pod_uid, container_id=workload.container_id,
        container_runtime=workload.runtime or (workload.lxc and "lxc"), systemd_unit=workload.unit,
        top_code=top.code if top else None, top_title=top.title if top else None,
        category=top.category if top else None, confidence=round(float(top.confidence), 2) if top else None,
        figures=figures_of(event, page_kb), remediation=remediation_of(findings), paste=paste,
    )


def _charged_memcg(event: Event) -> str | None:
    """The memcg a memcg OOM charged (the FORMAT.md ``memcg`` field)."""
    if event.kind == "memcg-oom" and event.memcg is not None:
        return event.memcg.path or event.memcg.stats_path
    return None


def records_from_report(report: Report, text: str | bytes | None, *, posted_at: float, store_paste: bool = False,
                        source_kind: str = "message", **where: Any) -> list[EventRecord]:
    """One record per event of an analysed paste or log window (``bot.pipeline.Report``); ``posted_at``
    also picks the year of syslog stamps, which print none."""
    paste = None
    if store_paste and text is not None:
        paste = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return [record_from_event(analysed, index=index, kernel=report.kernel, page_kb=report.dump.page_size_kb,
                              origin=origin_of_event(analysed.event, posted_at), posted_at=posted_at,
                              source_kind=source_kind, paste=paste, **where)
            for index, analysed in enumerate(report.events)]


def ts_to_epoch(ts: str | None, default: float) -> float:
    try:
        return float(ts) if ts else default
    except ValueError:
        return default

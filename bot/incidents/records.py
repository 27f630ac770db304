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

from bot.store import EventRecord

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


def paste_prefixes(text: str | bytes) -> dict[int, str]:
    """Line number -> stripped log prefix, numbered exactly as the parser numbers lines."""
    from grammar.normalise import decode_bytes, normalise

    decoded, _warnings = decode_bytes(text)
    return {line.number: line.prefix for line in normalise(decoded).lines if line.prefix}


def _memcg_counter(details: Mapping[str, Any]) -> tuple[int | None, int | None]:
    memcg = details.get("memcg") or {}
    for counter in memcg.get("counters") or ():
        if counter.get("resource") == "memory":
            return counter.get("usage_kb"), counter.get("limit_kb")
    return None, None


def _short_zone(details: Mapping[str, Any]) -> dict[str, Any] | None:
    """The zone deepest below its watermarks (free / min smallest)."""
    worst = None
    for zone in details.get("zones") or ():
        free, low = zone.get("free_kb"), zone.get("low_kb")
        if free is None or not zone.get("min_kb"):
            continue
        ratio = free / zone["min_kb"]
        if free < (low or 0) and (worst is None or ratio < worst[0]):
            worst = (ratio, {"zone": zone.get("name"), "node": zone.get("node"), "free_kb": free,
                             "min_kb": zone.get("min_kb"), "low_kb": low})
    return worst[1] if worst else None


def figures_of(event: Mapping[str, Any], page_kb: int | None) -> dict[str, Any]:
    """The key figures of one event (kB unless named otherwise); absent ones are left out."""
    details = event.get("details") or {}
    usage, limit = _memcg_counter(details)
    rss = [event.get(k) for k in ("killed_anon_rss_kb", "killed_file_rss_kb", "killed_shmem_rss_kb")]
    ram_pages = event.get("ram_pages")
    figures = {
        "victim_rss_kb": sum(x for x in rss if x) if any(x is not None for x in rss) else None,
        "victim_anon_rss_kb": event.get("killed_anon_rss_kb"),
        "victim_total_vm_kb": event.get("killed_total_vm_kb"),
        "memcg_usage_kb": usage,
        "memcg_limit_kb": limit,
        "ram_kb": ram_pages * (page_kb or 4) if ram_pages else None,
        "free_swap_kb": event.get("free_swap_kb"),
        "total_swap_kb": event.get("total_swap_kb"),
        "order": event.get("order"),
        "gfp_mask": event.get("gfp_mask"),
        "short_zone": _short_zone(details),
    }
    return {k: v for k, v in figures.items() if v is not None}


def remediation_of(findings: Iterable[Mapping[str, Any]], limit: int = 2) -> tuple[str, ...]:
    """Steps of the root-cause findings (the top one even when it is only contributing)."""
    findings = list(findings)
    chosen = [f for f in findings if f.get("role") == "root-cause"][:limit] or findings[:1]
    steps: list[str] = []
    for finding in chosen:
        for step in finding.get("remediation") or ():
            if step not in steps:
                steps.append(step)
    return tuple(steps[:4])


def record_from_event(event: Mapping[str, Any], *, index: int, kernel: str | None, page_kb: int | None,
                      origin: Origin, posted_at: float, team_id: str | None = None, channel: str | None = None,
                      thread_ts: str | None = None, message_ts: str | None = None, user_id: str | None = None,
                      source_kind: str = "message", paste: str | None = None) -> EventRecord:
    details = event.get("details") or {}
    summary = details.get("oom_summary") or {}
    memcg = details.get("memcg") or {}
    kill = details.get("kill") or {}
    task_cgroup = summary.get("task_memcg") or memcg.get("task_path")
    oom_memcg = summary.get("oom_memcg") or event.get("memcg")
    workload = parse_cgroup(task_cgroup or oom_memcg)
    findings = event.get("findings") or []
    top = findings[0] if findings else {}
    header = details.get("header") or {}
    return EventRecord(
        event_index=index, posted_at=posted_at, source_kind=source_kind, team_id=team_id, channel=channel,
        thread_ts=thread_ts, message_ts=message_ts, user_id=user_id, event_time=origin.time, host=origin.host,
        kernel=header.get("kernel") or kernel, kind=event.get("kind"), trigger_comm=event.get("trigger_comm"),
        victim_comm=event.get("killed_comm") or summary.get("task"), victim_pid=event.get("killed_pid") or kill.get("pid"),
        cgroup=task_cgroup, oom_memcg=oom_memcg, pod_uid=workload.pod_uid, container_id=workload.container_id,
        container_runtime=workload.runtime or (workload.lxc and "lxc"), systemd_unit=workload.unit,
        top_code=top.get("code"), top_title=top.get("title"), category=top.get("category"),
        confidence=top.get("confidence"), figures=figures_of(event, page_kb), remediation=remediation_of(findings),
        paste=paste,
    )


def records_from_report(report: Any, text: str | bytes, *, posted_at: float, store_paste: bool = False,
                        **where: Any) -> list[EventRecord]:
    """One record per event of an analysed paste (``bot.pipeline.Report``)."""
    from bot.render.json_out import event_dict

    if not report.events:
        return []
    paste = (text if isinstance(text, str) else text.decode("utf-8", "replace")) if store_paste else None
    records = []
    for index, analysed in enumerate(report.events):
        event = event_dict(analysed)
        prefixes = {line.number: line.prefix for line in analysed.event.lines if line.prefix}
        origin = origin_of(prefixes, event["first_line"], event["last_line"], posted_at)
        records.append(record_from_event(event, index=index, kernel=report.kernel, page_kb=report.dump.page_size_kb,
                                         origin=origin, posted_at=posted_at, paste=paste, **where))
    return records


def ts_to_epoch(ts: str | None, default: float) -> float:
    try:
        return float(ts) if ts else default
    except ValueError:
        return default

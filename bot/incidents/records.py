"""From an analysed paste to ``EventRecord`` rows: who, where, when, which workload, which cause.

Works on the JSON contract of one event (``bot.render.json_out.event_dict``), so a paste analysed
for Slack and an event streamed out of a multi-GB kern.log (``bot.render.jsonl``) give the same record.
The host and the event's own time come from the stamps the parser read off the log prefixes
(``grammar/stamps.py``; nothing here parses a prefix); the pod or container from the cgroup path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.store import EventRecord
from grammar.facts import Event, Stamp
from grammar.stamps import epoch, read_stamp

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


def _origin(stamps: Iterable[Stamp], reference: float) -> Origin:
    """The first host and the first wall-clock time among the stamps (the parser read them from
    the log prefixes: ``grammar/stamps.py``). Seconds since boot are not a time of day."""
    host: str | None = None
    moment: float | None = None
    for stamp in stamps:
        host = host or stamp.host
        if moment is None and stamp.time is not None:
            found = epoch(stamp.time, reference)
            moment = float(math.floor(found)) if found is not None else None
        if host and moment is not None:
            break
    return Origin(host, moment)


def parse_prefix(prefix: str, reference: float) -> Origin:
    """Host and time of one stripped log prefix; ``reference`` (when it was posted) picks the year
    of a syslog stamp."""
    return _origin((read_stamp(prefix.strip()),), reference)


def origin_of(prefixes: Mapping[int, str], first_line: int, last_line: int, reference: float) -> Origin:
    """The first host and the first time found on the event's lines (a streamed event, known by
    its line numbers and the prefixes of those lines)."""
    return _origin((read_stamp(prefixes[n].strip()) for n in range(first_line, last_line + 1) if prefixes.get(n)),
                   reference)


def event_origin(event: Event, reference: float) -> Origin:
    """Host and time of a parsed event, from the stamps on its lines."""
    return _origin((line.stamp for line in event.lines), reference)


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
        origin = event_origin(analysed.event, posted_at)
        records.append(record_from_event(event, index=index, kernel=analysed.event.kernel or report.kernel,
                                         page_kb=analysed.event.page_size_kb or report.dump.page_size_kb,
                                         origin=origin, posted_at=posted_at, paste=paste, **where))
    return records


def ts_to_epoch(ts: str | None, default: float) -> float:
    try:
        return float(ts) if ts else default
    except ValueError:
        return default

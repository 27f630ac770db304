"""From an analysed paste to ``EventRecord`` rows: who, where, when, which workload, which cause.

Works on the typed facts and findings of each analysed event (``bot.pipeline.AnalysedEvent``), so a
paste analysed for Slack and an event streamed out of a multi-GB kern.log give the same record.
The host and the event's own time come from the stamps the parser read off the log prefixes
(``grammar/stamps.py``; nothing here parses a prefix); the pod or container from the cgroup path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.pipeline import AnalysedEvent, Report
from bot.store import EventRecord
from grammar.facts import Event, Stamp
from grammar.stamps import epoch, read_stamp
from knowledge.model import Finding

# cgroup path shapes (v1 cgroupfs and systemd drivers, v2):
#   /kubepods/burstable/pod<uid>/<64 hex>
#   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
#   /docker/<id>, /system.slice/docker-<id>.scope, crio-<id>.scope, /lxc/<name>, /system.slice/<unit>.service
_POD = re.compile(r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})", re.IGNORECASE)
_QOS = re.compile(r"kubepods[-/.](besteffort|burstable|guaranteed)", re.IGNORECASE)
_RUNTIME_SCOPE = re.compile(
    r"(?:^|/)(docker|cri-containerd|crio|containerd|libpod|cri-dockerd)-([0-9a-f]{12,64})\.scope", re.IGNORECASE
)
_BARE_ID = re.compile(r"(?:^|/)(docker/)?([0-9a-f]{64})(?:/|$)")
_UNIT = re.compile(r"(?:^|/)([\w@.\-\\]+\.(?:service|scope))(?:/|$)")
_LXC = re.compile(r"(?:^|/)lxc(?:\.payload)?[./]([\w.\-]+)")
_RUNTIME_NAMES = {
    "docker": "docker",
    "cri-dockerd": "docker",
    "cri-containerd": "containerd",
    "containerd": "containerd",
    "crio": "cri-o",
    "libpod": "podman",
}


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
    return Workload(
        pod_uid=pod.group(1).replace("_", "-").lower() if pod else None,
        container_id=container,
        runtime=runtime,
        unit=unit,
        qos=qos.group(1).lower() if qos else None,
        lxc=lxc.group(1) if lxc else None,
    )


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
    return _origin(
        (read_stamp(prefixes[n].strip()) for n in range(first_line, last_line + 1) if prefixes.get(n)), reference
    )


def event_origin(event: Event, reference: float) -> Origin:
    """Host and time of a parsed event, from the stamps on its lines."""
    return _origin((line.stamp for line in event.lines), reference)


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
            worst = (
                ratio,
                {"zone": zone.name, "node": zone.node, "free_kb": free, "min_kb": zone.min_kb, "low_kb": low},
            )
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


def record_from_event(
    analysed: AnalysedEvent,
    *,
    index: int,
    kernel: str | None,
    page_kb: int | None,
    origin: Origin,
    posted_at: float,
    team_id: str | None = None,
    channel: str | None = None,
    thread_ts: str | None = None,
    message_ts: str | None = None,
    user_id: str | None = None,
    source_kind: str = "message",
    paste: str | None = None,
) -> EventRecord:
    """The store row of one analysed event (typed facts and findings, not a rendering of them)."""
    event = analysed.event
    summary, memcg, kill = event.oom_summary, event.memcg, event.kill
    task_cgroup = (summary.task_memcg if summary else None) or (memcg.task_path if memcg else None)
    oom_memcg = (summary.oom_memcg if summary else None) or _charged_memcg(event)
    workload = parse_cgroup(task_cgroup or oom_memcg)
    findings = analysed.findings
    top = findings[0] if findings else None
    return EventRecord(
        event_index=index,
        posted_at=posted_at,
        source_kind=source_kind,
        team_id=team_id,
        channel=channel,
        thread_ts=thread_ts,
        message_ts=message_ts,
        user_id=user_id,
        event_time=origin.time,
        host=origin.host,
        kernel=(event.header.kernel if event.header else None) or kernel,
        kind=event.kind,
        trigger_comm=event.trigger.comm if event.trigger else None,
        victim_comm=(kill.comm if kill else None) or (summary.task if summary else None),
        victim_pid=kill.pid if kill else None,
        cgroup=task_cgroup,
        oom_memcg=oom_memcg,
        pod_uid=workload.pod_uid,
        container_id=workload.container_id,
        container_runtime=workload.runtime or (workload.lxc and "lxc"),
        systemd_unit=workload.unit,
        top_code=top.code if top else None,
        top_title=top.title if top else None,
        category=top.category if top else None,
        confidence=round(float(top.confidence), 2) if top else None,
        figures=figures_of(event, page_kb),
        remediation=remediation_of(findings),
        paste=paste,
    )


def _charged_memcg(event: Event) -> str | None:
    """The memcg a memcg OOM charged (the FORMAT.md ``memcg`` field)."""
    if event.kind == "memcg-oom" and event.memcg is not None:
        return event.memcg.path or event.memcg.stats_path
    return None


def records_from_report(
    report: Report,
    text: str | bytes | None,
    *,
    posted_at: float,
    store_paste: bool = False,
    source_kind: str = "message",
    **where: Any,
) -> list[EventRecord]:
    """One record per event of an analysed paste or log window (``bot.pipeline.Report``); ``posted_at``
    also picks the year of syslog stamps, which print none."""
    paste = None
    if store_paste and text is not None:
        paste = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return [
        record_from_event(
            analysed,
            index=index,
            kernel=analysed.event.kernel or report.kernel,
            page_kb=analysed.event.page_size_kb or report.dump.page_size_kb,
            origin=event_origin(analysed.event, posted_at),
            posted_at=posted_at,
            source_kind=source_kind,
            paste=paste,
            **where,
        )
        for index, analysed in enumerate(report.events)
    ]


def ts_to_epoch(ts: str | None, default: float) -> float:
    try:
        return float(ts) if ts else default
    except ValueError:
        return default

"""From an analysed paste to ``EventRecord`` rows: who, where, when, which workload, which cause.

Works on the typed facts and findings of each analysed event (``bot.pipeline.AnalysedEvent``), so a
paste analysed for Slack and an event streamed out of a multi-GB kern.log give the same record.
The host and the event's own time come from the stamps the parser read off the log prefixes
(``grammar/stamps.py``; nothing here parses a prefix); the pod or container from the cgroup path;
the figures and the zone short of pages from the event's overview (``knowledge/overview.py``), so a
record states what every surface states.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.pipeline import AnalysedEvent, Report
from bot.store import EventRecord
from grammar.facts import Event, Stamp
from grammar.stamps import epoch
from knowledge.model import Finding
from knowledge.overview import Overview

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


def origin_of(stamps: Iterable[Stamp], reference: float) -> Origin:
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


def event_origin(event: Event, reference: float) -> Origin:
    """Host and time of a parsed event, from the stamps on its lines."""
    return origin_of((line.stamp for line in event.lines), reference)


def _memcg_counter(event: Event) -> tuple[int | None, int | None]:
    for counter in event.memcg.counters if event.memcg is not None else ():
        if counter.resource == "memory":
            return counter.usage_kb, counter.limit_kb
    return None, None


_SHORT = ("below min", "below low")  # the overview's zone states that mean "short of pages"


def short_zone(overview: Overview) -> dict[str, Any] | None:
    """The zone the overview finds deepest below its watermarks: a zone "below min" before one
    "below low" (the overview's one state rule, lowmem_reserve included), then the least free
    against its min watermark. The record keeps the overview's state, never a second verdict."""
    short = [z for z in overview.zones if z.state in _SHORT]
    if not short:
        return None
    zone = min(
        short,
        key=lambda z: (_SHORT.index(z.state), (z.free_kb or 0) / z.min_kb if z.min_kb else math.inf),
    )
    return {
        "zone": zone.label,
        "state": zone.state,
        "free_kb": zone.free_kb,
        "min_kb": zone.min_kb,
        "low_kb": zone.low_kb,
        "reserve_kb": zone.reserve_kb,
    }


def figures_of(analysed: AnalysedEvent) -> dict[str, Any]:
    """The key figures of one event (kB unless named otherwise), read off its overview (the figures
    every surface shows, in the dump's own page size); absent ones are left out."""
    overview = analysed.overview
    victim, request = overview.victim, overview.request
    usage, limit = _memcg_counter(analysed.event)
    figures = {
        "victim_rss_kb": victim.held_kb if victim is not None else None,
        "victim_anon_rss_kb": victim.anon_rss_kb if victim is not None else None,
        "victim_total_vm_kb": victim.total_vm_kb if victim is not None else None,
        "memcg_usage_kb": usage,
        "memcg_limit_kb": limit,
        "ram_kb": overview.ram_kb,
        "free_swap_kb": overview.swap_free_kb,
        "total_swap_kb": overview.swap_total_kb,
        "order": request.order if request is not None else None,
        "gfp_mask": request.mask if request is not None else None,
        "short_zone": short_zone(overview),
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
        figures=figures_of(analysed),
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
            origin=event_origin(analysed.event, posted_at),
            posted_at=posted_at,
            source_kind=source_kind,
            paste=paste,
            **where,
        )
        for index, analysed in enumerate(report.events)
    ]

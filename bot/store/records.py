"""The rows of the incident memory as plain dataclasses (no SQLAlchemy here).

``oomlens summary`` builds ``EventRecord``s from log files without a database, so this module
imports nothing beyond the standard library: the CLI works without the [slack] extra.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class EventRecord:
    """One analysed kernel memory event as the summaries need it (one row of ``oomlens_events``)."""

    event_index: int
    posted_at: float
    source_kind: str = "message"
    team_id: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None
    user_id: str | None = None
    event_time: float | None = None
    host: str | None = None
    kernel: str | None = None
    kind: str | None = None
    trigger_comm: str | None = None
    victim_comm: str | None = None
    victim_pid: int | None = None
    cgroup: str | None = None
    oom_memcg: str | None = None
    pod_uid: str | None = None
    container_id: str | None = None
    container_runtime: str | None = None
    systemd_unit: str | None = None
    top_code: str | None = None
    top_title: str | None = None
    category: str | None = None
    confidence: float | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    remediation: tuple[str, ...] = ()
    paste: str | None = None
    id: int | None = None
    created_at: float | None = None

    @property
    def when(self) -> float:
        """When it happened: the log's own time when it shows one, else when it was posted."""
        return self.event_time if self.event_time is not None else self.posted_at

    def to_row(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("id")
        row["figures"] = json.dumps(self.figures, sort_keys=True)
        row["remediation"] = json.dumps(list(self.remediation))
        for name, limit in _LIMITS.items():
            if isinstance(row.get(name), str):
                row[name] = row[name][:limit]
        return row

    @classmethod
    def from_row(cls, row: Any) -> EventRecord:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["figures"] = json.loads(row["figures"] or "{}")
        values["remediation"] = tuple(json.loads(row["remediation"] or "[]"))
        return cls(**values)


_LIMITS = {
    "host": 255,
    "kernel": 128,
    "kind": 32,
    "trigger_comm": 64,
    "victim_comm": 64,
    "cgroup": 500,
    "oom_memcg": 500,
    "pod_uid": 64,
    "container_id": 80,
    "container_runtime": 32,
    "systemd_unit": 255,
    "top_code": 32,
    "top_title": 300,
    "category": 64,
    "source_kind": 32,
}


@dataclass(frozen=True)
class Digest:
    team_id: str
    channel: str
    period: str
    at_time: str
    timezone: str
    created_by: str | None
    updated_at: float = 0.0


@dataclass(frozen=True)
class ScanState:
    team_id: str
    channel: str
    oldest: str
    cursor: str | None
    status: str
    pages: int
    messages: int
    events: int
    resume_at: float | None

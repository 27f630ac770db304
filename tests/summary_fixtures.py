"""A multi-event kern.log built from corpus cases: the same memcg OOM five times on one host
every 30 minutes (renamed postgres), and one OOM kill on three Kubernetes nodes (renamed java)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
MEMCG_CASE = "lab-memcg-v1-deb61-amd64--journal-short"  # `Mar 14 02:03:57 ip-10-0-3-17 kernel: ...`
HOG_CASE = "lab-highmem-hog-deb61-686pae--journal-iso"  # `2026-03-14T02:04:17+0000 k8s-node-12 kernel: ...`
DB_TIMES = ["02:00:10", "02:30:10", "03:00:10", "03:30:10", "04:00:10"]
K8S = [("k8s-node-1", "05:10:00"), ("k8s-node-2", "05:15:00"), ("k8s-node-3", "05:20:00")]


def corpus_text(case: str) -> str:
    path = CORPUS / case / "input.log"
    return path.read_text(encoding="utf-8", errors="replace")


def db_dump(clock: str, host: str = "db-3") -> str:
    return re.sub(
        r"^Mar 14 \d\d:\d\d:\d\d ip-10-0-3-17", f"Mar 14 {clock} {host}", corpus_text(MEMCG_CASE), flags=re.M
    ).replace("memhog", "postgres")


def k8s_dump(host: str, clock: str) -> str:
    return re.sub(
        r"^2026-03-14T\d\d:\d\d:\d\d\+0000 k8s-node-12",
        f"2026-03-14T{clock}+0000 {host}",
        corpus_text(HOG_CASE),
        flags=re.M,
    ).replace("memhog", "java")


def incident_log() -> str:
    return "\n".join([db_dump(t) for t in DB_TIMES] + [k8s_dump(h, t) for h, t in K8S]) + "\n"


def utc(clock: str, year: int = 2026) -> float:
    hour, minute, second = (int(x) for x in clock.split(":"))
    return datetime(year, 3, 14, hour, minute, second, tzinfo=UTC).timestamp()

"""Settings of the incident memory, read from the environment (one line per problem, like bot.settings)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from bot.settings import SettingsError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class IncidentSettings:
    retention_days: float = 30.0  # events and stored analyses (with their pastes) older than this are purged
    store_pastes: bool = False  # keep each event's raw paste in oomlens_events
    charts: bool = True  # attach PNG charts to analyses and summaries
    scheduler_interval_s: float = 30.0  # how often digests, paused scans and the purge are checked
    history_page_limit: int = 100  # conversations.history `limit` (15 for new non-Marketplace apps)
    scan_max_pages: int = 50  # pages one `/oom summary scan` reads before it pauses
    scan_max_wait_s: float = 30.0  # a Retry-After up to this is waited for in place; longer ones pause

    @property
    def retention_s(self) -> float:
        return self.retention_days * 86400

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "IncidentSettings":
        env = os.environ if env is None else env

        def number(name: str, default: float, *, minimum: float) -> float:
            raw = (env.get(name) or "").strip()
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name} is malformed: expected a number") from None
            if value < minimum:
                raise SettingsError(f"{name} is malformed: it must be at least {minimum:g}")
            return value

        def flag(name: str, default: bool) -> bool:
            raw = (env.get(name) or "").strip().lower()
            if not raw:
                return default
            if raw in _TRUE:
                return True
            if raw in _FALSE:
                return False
            raise SettingsError(f"{name} is malformed: expected true or false")

        return cls(
            retention_days=number("OOMLENS_RETENTION_DAYS", cls.retention_days, minimum=0.01),
            store_pastes=flag("OOMLENS_STORE_PASTES", cls.store_pastes),
            charts=flag("OOMLENS_CHARTS", cls.charts),
            scheduler_interval_s=number("OOMLENS_SCHEDULER_INTERVAL", cls.scheduler_interval_s, minimum=1),
            history_page_limit=int(number("OOMLENS_HISTORY_PAGE_LIMIT", cls.history_page_limit, minimum=1)),
        )

"""What every listener needs, built once per app: settings, store, analyser, pacing, incident memory."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.settings import Settings
from bot.store import Store

from .pacing import BotReplyLimiter, ChannelPacer, KeyedLocks, SharedChannelPacer, TurnPacer


class IncidentMemory(Protocol):
    """What the listeners use of ``bot.slack.incidents.Incidents`` (built after the services)."""

    def after_delivery(
        self,
        client: Any,
        outcome: Any,
        *,
        paste: str,
        team_id: str | None,
        channel: str,
        source_ts: str,
        thread_ts: str,
        user_id: str | None,
        source_kind: str,
    ) -> None: ...

    def record(
        self,
        report: Any,
        paste: str,
        *,
        team_id: str | None,
        channel: str | None,
        message_ts: str | None,
        thread_ts: str | None,
        user_id: str | None,
        source_kind: str,
        replace: bool = False,
        posted_at: float | None = None,
    ) -> int: ...

    def handle_command(self, command: dict[str, Any], respond: Any, client: Any, context: Any) -> None: ...


Analyzer = Callable[[str], Any]  # text -> bot.pipeline.Report


def default_analyzer(text: str) -> Any:
    from bot.pipeline import analyze  # imported late: the parser is heavy and optional at import time

    return analyze(text)


@dataclass
class Services:
    settings: Settings
    store: Store
    analyze: Analyzer = default_analyzer
    pacer: ChannelPacer | SharedChannelPacer | TurnPacer = field(default_factory=ChannelPacer)
    bot_limiter: BotReplyLimiter = field(default_factory=BotReplyLimiter)
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    incidents: IncidentMemory | None = None  # set by build_app once the incident memory exists
    _reports: OrderedDict[int, Any] = field(default_factory=OrderedDict)
    _reports_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def plain_http_hosts(self) -> frozenset[str]:
        # Plain http is only acceptable for a configured non-Slack API host (tests, local proxy).
        if self.settings.api_url.startswith("http://"):
            return frozenset({self.settings.api_host})
        return frozenset()

    def report_for_analysis(self, analysis_id: int) -> tuple[Any, Any] | None:
        """(stored analysis, re-analysed Report) for a button click; small LRU cache."""
        with self._reports_lock:
            cached = self._reports.get(analysis_id)
            if cached is not None:
                self._reports.move_to_end(analysis_id)
                return cached
        stored = self.store.analysis(analysis_id)
        if stored is None:
            return None
        result = (stored, self.analyze(stored.paste))
        with self._reports_lock:
            self._reports[analysis_id] = result
            while len(self._reports) > 64:
                self._reports.popitem(last=False)
        return result

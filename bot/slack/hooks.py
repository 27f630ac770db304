"""The one call the listeners make after posting an analysis (kept apart so they stay thin)."""

from __future__ import annotations

from typing import Any


def after_delivery(context: Any, client: Any, outcome: Any, **where: Any) -> None:
    """Record the analysed events and attach the chart (``Incidents.after_delivery``), if enabled."""
    incidents = context.get("oomlens_incidents") if context is not None else None
    if incidents is not None and channel_ok(where):
        incidents.after_delivery(client, outcome, **where)


def channel_ok(where: dict[str, Any]) -> bool:
    return bool(where.get("channel")) and bool(where.get("source_ts"))

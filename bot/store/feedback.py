"""The feedback votes ("Helpful" / "Wrong cause") joined with the analyses they judge, for export.

A "wrong-cause" vote is the best lead for improving the knowledge base, so the retention purge
keeps the analysis (and its paste) such a vote refers to (``incidents.purge_retention``); this
module reads them back out for `oomlens feedback export`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from . import schema

VERDICTS = ("wrong-cause", "helpful")


def export_feedback(
    engine: Engine, *, verdicts: tuple[str, ...] = ("wrong-cause",), since: float | None = None, with_paste: bool = True
) -> Iterator[dict[str, Any]]:
    """One dict per vote, oldest first, with the analysis it refers to (``None`` when purged)."""
    fb, an = schema.feedback, schema.analyses
    columns = [
        fb.c.id,
        fb.c.created_at,
        fb.c.verdict,
        fb.c.team_id,
        fb.c.channel,
        fb.c.user_id,
        fb.c.analysis_id,
        fb.c.top_code.label("voted_top_code"),
        an.c.id.label("found"),
        an.c.source_ts,
        an.c.source_kind,
        an.c.headline,
        an.c.top_code,
        an.c.top_title,
        an.c.event_count,
        an.c.created_at.label("analysed_at"),
    ]
    if with_paste:
        columns.append(an.c.paste)
    query = (
        select(*columns)
        .select_from(fb.outerjoin(an, an.c.id == fb.c.analysis_id))
        .where(fb.c.verdict.in_(verdicts))
        .order_by(fb.c.created_at, fb.c.id)
    )
    if since is not None:
        query = query.where(fb.c.created_at >= since)
    with engine.connect() as connection:
        for row in connection.execute(query).mappings():
            analysis = None
            if row["found"] is not None:
                analysis = {
                    "id": row["analysis_id"],
                    "source_ts": row["source_ts"],
                    "source_kind": row["source_kind"],
                    "headline": row["headline"],
                    "top_code": row["top_code"],
                    "top_title": row["top_title"],
                    "event_count": row["event_count"],
                    "analysed_at": row["analysed_at"],
                }
                if with_paste:
                    analysis["paste"] = row["paste"]
            yield {
                "feedback_id": row["id"],
                "voted_at": row["created_at"],
                "verdict": row["verdict"],
                "team_id": row["team_id"],
                "channel": row["channel"],
                "user_id": row["user_id"],
                "top_code": row["voted_top_code"],
                "analysis": analysis,
            }

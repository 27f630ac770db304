"""Incident memory: every analysed event is recorded; channels get summaries, digests and charts.

``records`` turns an analysed paste into store rows, ``build`` aggregates rows into a
``Summary``; nothing here knows Slack. ``bot.render.summary`` prints a summary (text, Markdown,
JSON, Block Kit) and ``bot.slack.incidents`` wires it into the bot (`/oom summary`, `/oom digest`,
history back-fill, charts in analysis threads).
"""

from .build import Summary, build_summary

__all__ = ["Summary", "build_summary"]

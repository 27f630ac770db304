"""Incident memory: every analysed event is recorded; channels get summaries, digests and charts.

``records`` turns an analysed paste into store rows, ``build`` aggregates rows into a
``Summary``, ``render`` prints it (text, Markdown, JSON, Slack), ``slack`` wires it into the bot
(`/oom summary`, `/oom digest`, history back-fill, charts in analysis threads).
"""

from .build import Summary, build_summary

__all__ = ["Summary", "build_summary"]

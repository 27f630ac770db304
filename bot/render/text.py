"""Terminal text (the default of ``oomlens analyze``) and markdown (for tickets) renderings.

Both read the same view model (``bot.render.common.report_view``): a one-line headline naming the
cause, why (explanation with the numbers and the quoted lines), what to do, then details that
can be skipped (gfp decoding, zone table, top processes, memory breakdown).
"""

from __future__ import annotations

from bot.pipeline import Report
from bot.render.common import jinja_env, report_view


def render_text(report: Report) -> str:
    return jinja_env("text").get_template("report.txt.j2").render(**report_view(report)).rstrip() + "\n"


def render_markdown(report: Report) -> str:
    return jinja_env("markdown").get_template("report.md.j2").render(**report_view(report)).rstrip() + "\n"

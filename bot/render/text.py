"""Terminal text (the default of ``oomlens analyze``) and markdown (for tickets) renderings.

Both read the overview of each event (``bot.render.common.report_view``): the headline naming the
cause, what to do, why, the evidence with each paste line quoted once, then details that can be
skipped. Repeats of one story are grouped unless ``all_events`` asks for every event in full.
"""

from __future__ import annotations

import os
import shutil
from typing import IO

from bot.pipeline import Report
from bot.render.common import DEFAULT_WIDTH, jinja_env, report_view

BOLD, RESET = "\x1b[1m", "\x1b[0m"


def terminal_style(stream: IO[str]) -> tuple[int, bool]:
    """(width, emphasis) for ``stream``: a TTY's own width and a little bold unless NO_COLOR is set
    (https://no-color.org: any non-empty value); a pipe or file gets the fixed default width."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        return DEFAULT_WIDTH, False
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
    return max(40, min(width, 160)), not os.environ.get("NO_COLOR")


def render_text(report: Report, *, all_events: bool = False, width: int = DEFAULT_WIDTH, emphasis: bool = False) -> str:
    view = report_view(report, all_events=all_events, width=width, emphasis=emphasis)
    bold, reset = (BOLD, RESET) if emphasis else ("", "")
    return jinja_env("text").get_template("report.txt.j2").render(**view, bold=bold, reset=reset).rstrip() + "\n"


def render_markdown(report: Report, *, all_events: bool = False) -> str:
    view = report_view(report, all_events=all_events)
    return jinja_env("markdown").get_template("report.md.j2").render(**view).rstrip() + "\n"

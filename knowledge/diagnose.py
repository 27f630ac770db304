"""Runs the finding catalogue over one parsed event and ranks what fires.

Placeholder until the diagnosis issue lands: returns no findings.
"""

from __future__ import annotations

from grammar.facts import Dump, Event

from .model import Finding


def diagnose(event: Event, dump: Dump) -> tuple[Finding, ...]:
    """Return the findings for ``event``, most likely root cause first."""
    return ()

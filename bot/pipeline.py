"""The one place that joins the parser (grammar) and the knowledge base.

``analyze(text)`` is the in-process equivalent of ``oomlens analyze``: it never raises on bad
input; what it could not read is said in ``Report.warnings`` and ``Report.message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grammar.facts import Dump, Event
from grammar.parse import parse_text
from knowledge.diagnose import diagnose
from knowledge.model import Finding


@dataclass(frozen=True)
class AnalysedEvent:
    """A parsed event with its ranked findings and, when it has a gfp mask, the decoding."""

    event: Event
    findings: tuple[Finding, ...]
    gfp: Any | None  # knowledge.gfp decoding object (has .to_dict()), or None


@dataclass(frozen=True)
class Report:
    """The result of analysing one paste."""

    dump: Dump
    events: tuple[AnalysedEvent, ...]

    @property
    def kernel(self) -> str | None:
        return self.dump.kernel

    @property
    def arch(self) -> str | None:
        return self.dump.arch

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.dump.warnings

    @property
    def message(self) -> str | None:
        """One line for the user when the paste holds no kernel memory event."""
        if self.events:
            return None
        if self.dump.warnings:
            return self.dump.warnings[0]
        return "no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input"


def _decode_gfp(event: Event, dump: Dump) -> Any | None:
    mask = event.trigger.gfp_mask if event.trigger else None
    if mask is None and event.alloc_failure_mode is not None:
        mask = event.alloc_failure_mode
    if mask is None:
        return None
    try:
        from knowledge import gfp
    except ImportError:  # gfp decoding not installed yet
        return None
    decode = getattr(gfp, "decode_event_mask", None)
    if decode is None:
        return None
    return decode(event, dump)


def analyze(text: str | bytes) -> Report:
    """Parse ``text`` (a paste, a log file's content) and diagnose every event in it."""
    dump = parse_text(text)
    analysed = tuple(
        AnalysedEvent(event=ev, findings=diagnose(ev, dump), gfp=_decode_gfp(ev, dump))
        for ev in dump.events
    )
    return Report(dump=dump, events=analysed)

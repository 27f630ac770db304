"""The one place that joins the parser (grammar) and the knowledge base.

``analyze(text)`` is the in-process equivalent of ``oomlens analyze``: it never raises on bad
input; what it could not read is said in ``Report.warnings`` and ``Report.message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any, Iterator

from grammar.facts import Dump, Event
from grammar.parse import parse_text
from grammar.windows import windows
from knowledge.diagnose import NotEvaluated, decode_gfp, evaluate
from knowledge.model import Finding


@dataclass(frozen=True)
class AnalysedEvent:
    """A parsed event with its ranked findings and, when it has a gfp mask, the decoding."""

    event: Event
    findings: tuple[Finding, ...]
    gfp: Any | None  # knowledge.gfp decoding object (has .to_dict()), or None
    not_evaluated: tuple[NotEvaluated, ...] = ()  # findings whose facts the paste does not show


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


def analyze(text: str | bytes, *, first_line: int = 1) -> Report:
    """Parse ``text`` (a paste, a log file's content) and diagnose every event in it.

    ``first_line`` numbers the text's first line (a window of a bigger file passes its place).
    """
    dump = parse_text(text, first_line=first_line)
    analysed = []
    for event in dump.events:
        gfp = decode_gfp(event, dump)  # decoded once: the checks and the renderers share it
        diagnosis = evaluate(event, dump, gfp)
        analysed.append(AnalysedEvent(event, diagnosis.findings, gfp, diagnosis.not_evaluated))
    return Report(dump=dump, events=tuple(analysed))


def analyze_stream(handle: IO[bytes]) -> Iterator[Report]:
    """A log of any size in constant memory: one ``Report`` per window that holds events, in file
    order, every line number that of the whole file (``grammar.windows``)."""
    for window in windows(handle):
        report = analyze(window.data, first_line=window.first_line)
        if report.events:
            yield report

"""The one place that joins the parser (grammar) and the knowledge base.

``analyze(text)`` is the in-process equivalent of ``oomlens analyze``: it never raises on bad
input; what it could not read is said in ``Report.warnings`` and ``Report.message``. Each
analysed event keeps its ``Diagnosis`` (analysis, ranked findings, what was not evaluated) and
its ``Overview`` (``knowledge.overview``), the one view every renderer reads.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from grammar.facts import Dump, Event
from grammar.parse import parse_text
from grammar.windows import Window, windows
from knowledge.diagnose import Diagnosis, NotEvaluated, decode_gfp, evaluate
from knowledge.model import Finding
from knowledge.overview import Overview, build_overview, group_overviews


@dataclass(frozen=True)
class AnalysedEvent:
    """A parsed event with its diagnosis and the overview every surface renders."""

    event: Event
    diagnosis: Diagnosis
    overview: Overview
    gfp: Any | None  # knowledge.gfp decoding object (has .to_dict()), or None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.diagnosis.findings

    @property
    def not_evaluated(self) -> tuple[NotEvaluated, ...]:
        return self.diagnosis.not_evaluated


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
    def overviews(self) -> tuple[Overview, ...]:
        return tuple(e.overview for e in self.events)

    def groups(self) -> list[list[Overview]]:
        """Events grouped by cause and victim (repeats of one story), in order of first appearance."""
        return group_overviews(self.overviews)

    @property
    def message(self) -> str | None:
        """One line for the user when the paste holds no kernel memory event."""
        if self.events:
            return None
        if self.dump.warnings:
            return self.dump.warnings[0]
        return "no kernel memory event (OOM kill, memcg OOM, page allocation failure) found in the input"


def analyse_event(event: Event, dump: Dump) -> AnalysedEvent:
    gfp = decode_gfp(event, dump)  # decoded once: the checks and the renderers share it
    diagnosis = evaluate(event, dump, gfp)
    return AnalysedEvent(event, diagnosis, build_overview(diagnosis, dump), gfp)


def analyze(text: str | bytes, *, first_line: int = 1) -> Report:
    """Parse ``text`` (a paste, a log file's content) and diagnose every event in it.

    ``first_line`` numbers the text's first line (a window of a bigger file passes its place).

    The cyclic garbage collector is held off meanwhile (issue 12, "tune the GC"): parsing and
    diagnosing allocate objects by the hundred thousand that live until the report is made (one
    per row of a task table), and make no reference cycles (tests/test_gc_pause.py checks the
    corpus), so each collection their allocations set off walked a growing heap for nothing:
    16 % of the time of a 100,000-row table, 1-2 % of a corpus paste. Reference counting frees
    everything as before. A collector someone else disabled is left disabled.
    """
    import gc

    pause = gc.isenabled()
    if pause:
        gc.disable()
    try:
        dump = parse_text(text, first_line=first_line)
        return Report(dump=dump, events=tuple(analyse_event(event, dump) for event in dump.events))
    finally:
        if pause:
            gc.enable()


def analyze_stream(handle: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Report]:
    """A log of any size in constant memory: one ``Report`` per window that holds events, in file
    order, every line number that of the whole file (``grammar.windows``)."""
    for window in windows(handle, progress):
        report = analyze_window(window)
        if report.events:
            yield report


def analyze_window(window: Window) -> Report:
    return analyze(window.data, first_line=window.first_line)


__all__ = [
    "AnalysedEvent",
    "Report",
    "Window",
    "analyse_event",
    "analyze",
    "analyze_stream",
    "analyze_window",
    "available_cores",
    "map_stream",
]

T = TypeVar("T")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def map_stream(
    handle: IO[bytes], work: Callable[[Window], T], *, jobs: int = 1, progress: Callable[[int], None] | None = None
) -> Iterator[T]:
    """``work(window)`` for every window of a log (``grammar.windows``), results in file order.

    With ``jobs`` > 1 the windows are analysed by that many worker processes while this one
    scans the file; at most ``2 * jobs`` windows are in flight, so memory stays bounded whatever
    the size of the log. ``work`` must be a module-level function (it is sent to the workers by
    name) and its result picklable; a window's analysis never depends on another's, so the
    output is the same for every ``jobs``.
    """
    cut = windows(handle, progress)
    if jobs <= 1:
        for window in cut:
            yield work(window)
        return
    first = next(cut, None)
    if first is None:
        return
    # The first window is analysed here, before the workers are forked: the grammar, the lexers'
    # regexes, the catalogue and its templates are then loaded once and shared, rather than
    # built again in every worker. The collector leaves them alone from then on (gc.freeze:
    # no worker copies their pages by walking them).
    yield work(first)
    import gc
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pending: deque[Future[T]] = deque()
    gc.freeze()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for window in cut:
            pending.append(pool.submit(work, window))
            while len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

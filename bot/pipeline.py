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
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any, TypeVar

from grammar.facts import Dump, Event
from grammar.parse import parse_text
from knowledge.diagnose import Diagnosis, NotEvaluated, decode_gfp, evaluate
from knowledge.model import Finding
from knowledge.overview import Overview, build_overview, group_overviews

if TYPE_CHECKING:  # multiprocessing is imported only when workers are started
    from concurrent.futures import Future, ProcessPoolExecutor

    from grammar.windows import Window


def __getattr__(name: str) -> Any:
    # grammar.windows (and its prefilter's compiled automaton) only for the streaming commands:
    # one paste never needs it. ``from bot.pipeline import Window`` still works.
    if name == "Window":
        from grammar.windows import Window

        return Window
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


@lru_cache(maxsize=4096)  # a log's programs repeat in every window (a fixed table's answer)
def program_names_workload(program: str, unit: str | None) -> bool:
    """Whether a syslog program tag (program, unit) can stand for a workload record: the one use of
    such tags (knowledge.analysis ``named_workload``), so a big log's window may drop the others
    at its end (grammar.windows ``trimmed``)."""
    from knowledge.workloads import recognise_named

    return recognise_named(program, "process") is not None or (
        unit is not None and recognise_named(unit, "unit") is not None
    )


def analyze_stream(handle: IO[bytes], progress: Callable[[int], None] | None = None) -> Iterator[Report]:
    """A log of any size in constant memory: one ``Report`` per window that holds events, in file
    order, every line number that of the whole file (``grammar.windows``)."""
    from grammar.windows import windows

    for window in windows(handle, progress, may_use=program_names_workload):
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
    handle: IO[bytes],
    work: Callable[[Window], T],
    *,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    range_bytes: int | None = None,
) -> Iterator[T]:
    """``work(window)`` for every window of a log (``grammar.windows``), results in file order.

    With ``jobs`` > 1 the work is shared by that many worker processes. A regular file is split
    into byte ranges (``range_bytes`` each, by default about sixteen per worker) that the workers
    scan and analyse on their own (``grammar.windows.part_windows``), each learning the line its
    part starts at from the workers of the parts before it. A stream that
    cannot be split (standard input, a pipe, a compressed file) is scanned here and its windows
    are shipped to the workers. At most ``2 * jobs`` ranges or windows are in flight, so memory
    stays bounded whatever the size of the log. ``work`` must be a module-level function (it is
    sent to the workers by name) and its result picklable; a window's analysis never depends on
    another's, and the ranges give the windows of one scan of the whole file, so the output is
    the same for every ``jobs``.
    """
    from grammar.windows import windows

    if jobs > 1:
        source = _splittable(handle)
        if source is not None:
            path, size = source
            if range_bytes is None:
                range_bytes = min(_MAX_RANGE_BYTES, max(_MIN_RANGE_BYTES, -(-size // (16 * jobs))))
            if size > range_bytes:
                yield from _map_ranges(handle, path, size, work, jobs, progress, range_bytes)
                return
    cut = windows(handle, progress, may_use=program_names_workload)
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
    pending: deque[Future[T]] = deque()
    with _pool(jobs) as pool:
        for window in cut:
            pending.append(pool.submit(work, window))
            while len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# A range's fixed cost (finding its join, a task's round trip) is a few milliseconds; a range's
# analysis a few hundred on a busy log. Sixteen ranges per worker keep the workers' last ranges
# short, so neither waits long for the other at the end.
_MIN_RANGE_BYTES = 1024 * 1024
_MAX_RANGE_BYTES = 64 * 1024 * 1024


def _splittable(handle: IO[bytes]) -> tuple[str, int] | None:
    """The path and size of ``handle`` when it is a regular file read from its start (not a
    pipe, standard input, or a decompressing reader), which workers can open and read in parts."""
    import io
    import stat

    if not isinstance(handle, io.BufferedReader | io.FileIO) or not hasattr(os, "pread"):
        return None
    path = getattr(handle, "name", None)
    try:
        if not isinstance(path, str) or handle.tell() != 0:
            return None
        opened, named = os.fstat(handle.fileno()), os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino):
        return None
    return path, opened.st_size


def _pool(
    jobs: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    import gc
    from concurrent.futures import ProcessPoolExecutor

    gc.freeze()  # what is loaded now is shared with forked workers; the collector leaves it alone
    return ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=initializer, initargs=initargs)


def _context() -> Any:
    import multiprocessing

    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


# In a worker: the board on which each range's task posts the number of lines in the part of the
# file it owns (slot 2 * task) and that it has (slot 2 * task + 1: 1 posted, -1 failed), so that
# each task learns the line number its part starts at from the tasks before it, not from a count
# of the whole file by the parent.
_board: Any = None


def _set_board(board: Any) -> None:
    global _board
    _board = board


def _post(task: int, lines: int, state: int) -> None:
    with _board.get_lock():
        _board[2 * task] = lines
        _board[2 * task + 1] = state


def _lines_before(task: int) -> int:
    """The lines of the parts the tasks before ``task`` own, once they have all posted them."""
    import time

    total, earlier = 0, 0
    while earlier < task:
        with _board.get_lock():
            lines, state = _board[2 * earlier], _board[2 * earlier + 1]
        if state == 0:
            time.sleep(0.001)  # (it is cutting its windows; analysing them comes after posting)
            continue
        if state < 0:
            raise RuntimeError("the worker of an earlier part of the file failed")
        total += lines
        earlier += 1
    return total


def _range_results(
    work: Callable[[Window], T], path: str, size: int, range_bytes: int, task: int, index: int, start: int
) -> list[T]:
    """In a worker: ``work`` of every window that range ``index`` owns, in file order."""
    from grammar.windows import Window, part_windows

    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            found, lines = part_windows(fd, size, range_bytes, index, start, program_names_workload)
        finally:
            os.close(fd)
    except BaseException:
        _post(task, 0, -1)
        raise
    _post(task, lines, 1)
    if not found:
        return []
    before = _lines_before(task)
    return [work(Window(first_line=window.first_line + before, data=window.data)) for window in found]


def _map_ranges(
    handle: IO[bytes],
    path: str,
    size: int,
    work: Callable[[Window], T],
    jobs: int,
    progress: Callable[[int], None] | None,
    range_bytes: int,
) -> Iterator[T]:
    # The first window of the first range is analysed here, before the workers are forked (and
    # its result dropped): the grammar, the catalogue and its templates are then loaded once and
    # shared, rather than built again in every worker (about 0.2 s of CPU each).
    from grammar.windows import Part, ranges, windows

    first = next(windows(Part(handle.fileno(), 0, range_bytes), may_use=program_names_workload), None)
    if first is not None:
        work(first)
    count = -(-size // range_bytes)
    board = _context().Array("q", 2 * count)
    pending: deque[tuple[int, Future[list[T]]]] = deque()
    with _pool(min(jobs, count), _set_board, (board,)) as pool:
        for task, (index, start) in enumerate(ranges(handle.fileno(), size, range_bytes)):
            end = min(size, (index + 1) * range_bytes)  # (for the progress line)
            pending.append((end, pool.submit(_range_results, work, path, size, range_bytes, task, index, start)))
            while len(pending) >= 2 * jobs:
                yield from _done(pending, progress)
        while pending:
            yield from _done(pending, progress)


def _done(pending: deque[tuple[int, Future[list[T]]]], progress: Callable[[int], None] | None) -> Iterator[T]:
    end, task = pending.popleft()
    yield from task.result()
    if progress is not None:
        progress(end)

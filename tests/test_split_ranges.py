"""`--jobs N` on a regular file: the file is split into byte ranges that worker processes scan and
analyse on their own (grammar.windows.ranges, owned_windows; bot.pipeline.map_stream). The windows
the ranges own, taken in order, must be exactly those of one scan of the whole file, wherever the
splits fall: inside a dump, between a call trace and the line that names it, inside one long line,
in a file smaller than a range. Every log here is built from real corpus dumps (never the held-out
fold) and the noise a busy host writes around them."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest
from oomcases import (
    corpus_cases,
    is_held_out,
    load_case,
    waves_from,
)

import bot.pipeline
import grammar.windows
from bot.pipeline import map_stream
from bot.render.jsonl import window_lines
from grammar.windows import LEAD_LINES, SYNC_LINES, part_windows, ranges, windows

# A user-space program's line (never classified) and a kernel line the grammar does not know
# (classified; up to LEAD_LINES of them are kept before an anchor).
PROGRAM = b"Mar 14 01:00:%02d host systemd[1]: Started Session %d of user root.\n"
KERNEL = b"Mar 14 01:00:%02d host kernel: [ %d.250000] e1000e: eth0 NIC Link is Up 1000 Mbps Full Duplex\n"


def lines_of(template: bytes, count: int) -> bytes:
    return b"".join(template % (i % 60, i) for i in range(count))


def dumps(count: int) -> list[bytes]:
    """``count`` real dumps of the tuned folds, spread over the corpus (every format and kind) as
    it stood before the third wave (every later wave is kept out too): the fleet, and so which ranges hold a join, stays what the
    assertions below were written against when cases are added."""
    later = waves_from("THIRD")
    cases = [case for case in corpus_cases() if not is_held_out(case) and "--" not in case and case not in later]
    step = max(1, len(cases) // count)
    chosen = []
    for case in cases[::step][:count]:
        data, _ = load_case(case)
        chosen.append(data if data.endswith(b"\n") else data + b"\n")
    return chosen


def scanned(path: Path) -> list[tuple[int, bytes]]:
    with path.open("rb") as handle:
        return [(window.first_line, window.data) for window in windows(handle)]


def split(path: Path, range_bytes: int) -> tuple[list[tuple[int, bytes]], list[int]]:
    """The windows every range owns, in order, each range's numbers shifted by the lines of the
    parts before it (as bot.pipeline's workers do it, here in this process), and the ranges that
    own some."""
    size = path.stat().st_size
    found: list[tuple[int, bytes]] = []
    owners = []
    before = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        for index, start in ranges(fd, size, range_bytes):
            owned, lines = part_windows(fd, size, range_bytes, index, start)
            if owned:
                owners.append(index)
            found.extend((window.first_line + before, window.data) for window in owned)
            before += lines
    finally:
        os.close(fd)
    assert before == path.read_bytes().count(b"\n")  # the parts cover the file, once
    return found, owners


def line_offsets(data: bytes) -> list[int]:
    """Where each line of ``data`` starts."""
    offsets = [0]
    for line in data.splitlines(keepends=True)[:-1]:
        offsets.append(offsets[-1] + len(line))
    return offsets


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """Eighteen real dumps: some back to back (fewer lines between them than close a window, so
    several ranges hold no join), some between programs' or kernel lines, one line of 150,000
    bytes (ranges inside it hold no newline), and no newline at the end of the file."""
    parts = []
    gaps = [0, 5, SYNC_LINES - 1, SYNC_LINES, SYNC_LINES + 1, 300]
    for index, dump in enumerate(dumps(18)):
        noise = PROGRAM if index % 2 else KERNEL
        parts.append(lines_of(noise, gaps[index % len(gaps)]))
        parts.append(dump)
        if index == 9:
            parts.append(b"Mar 14 01:00:00 host kernel: [ 9.5] " + b"x" * 150_000 + b"\n")
    parts.append(lines_of(PROGRAM, 100) + b"Mar 14 01:00:59 host kernel: [ 99.5] last line, no newline")
    path = tmp_path_factory.mktemp("split") / "fleet.log"
    path.write_bytes(b"".join(parts))
    return path


@pytest.mark.parametrize("range_bytes", [127, 997, 4096, 30_011, 65_536, 250_000])
def test_the_ranges_own_the_windows_of_one_scan(fleet: Path, range_bytes: int) -> None:
    expected = scanned(fleet)
    found, owners = split(fleet, range_bytes)
    assert len(expected) >= 10
    assert found == expected
    if range_bytes < fleet.stat().st_size // 4:
        assert len(owners) >= 3  # the work is really shared, not all done by the first range


def test_a_range_whose_join_lies_beyond_the_search_is_left_to_the_worker_before(fleet: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expected = scanned(fleet)
    _, owners = split(fleet, 4096)
    monkeypatch.setattr(grammar.windows, "JOIN_SEARCH_LINES", SYNC_LINES + 2)
    found, fewer = split(fleet, 4096)
    assert found == expected
    assert 2 <= len(fewer) < len(owners)


def test_ranges_inside_one_long_line_own_nothing(fleet: Path) -> None:
    size = fleet.stat().st_size
    fd = os.open(fleet, os.O_RDONLY)
    try:
        taken = list(ranges(fd, size, 4096))
    finally:
        os.close(fd)
    assert len(taken) < -(-size // 4096) - 30  # the 150,000-byte line holds some 36 splits
    data = fleet.read_bytes()
    starts = [start for _, start in taken]
    assert starts == sorted(set(starts))
    assert all(start == 0 or data[start - 1 : start] == b"\n" for start in starts)


@pytest.mark.parametrize("noise", [PROGRAM, KERNEL], ids=["programs", "kernel"])
def test_a_split_at_any_line_of_a_dump_or_the_lines_before_it(tmp_path: Path, noise: bytes) -> None:
    """One split at every line from SYNC_LINES + 10 lines before a dump to its end: the dump is
    cut by the split, or the lines its window reaches back to (lead lines, a call trace printed
    before the line that names the report) lie in the range before the one its anchor is in."""
    path = tmp_path / "one.log"
    for dump in dumps(40)[::10]:
        data = lines_of(noise, 200) + dump + lines_of(noise, 200)
        path.write_bytes(data)
        expected = scanned(path)
        assert expected
        offsets = line_offsets(data)
        # every line near the dump's start, then every fifth
        cuts = offsets[200 - SYNC_LINES - 10 : 210] + offsets[210 : 200 + dump.count(b"\n") + 1 : 5]
        for cut in cuts:
            assert split(path, cut)[0] == expected, cut


def test_an_anchor_just_after_a_join_keeps_its_lead_lines(tmp_path: Path) -> None:
    """A range's join is LEAD_LINES lines before the end of the first run of resetting lines in
    it: the kernel lines just before a trigger line are read by the worker that owns it."""
    dump = next(d for d in dumps(40) if b" invoked oom-killer: " in d)
    dump = dump[dump.rfind(b"\n", 0, dump.index(b" invoked oom-killer: ")) + 1 :]  # from the trigger line on
    programs, kernel = lines_of(PROGRAM, 100), lines_of(KERNEL, SYNC_LINES)
    path = tmp_path / "lead.log"
    path.write_bytes(programs + kernel + dump + lines_of(PROGRAM, 100))
    ((first_line, window),) = scanned(path)
    assert window.startswith(b"".join(kernel.splitlines(keepends=True)[-LEAD_LINES:]) + dump)
    assert first_line == 100 + SYNC_LINES - LEAD_LINES + 1
    found, owners = split(path, len(programs))  # the second range starts at the kernel lines
    assert found == [(first_line, window)]
    assert owners == [1]


def test_a_join_is_found_only_after_a_full_run(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    data = lines_of(KERNEL, SYNC_LINES - 1) + b"Mar 14 01:00:00 host kernel: [ 1.0] Mem-Info:\n" + lines_of(PROGRAM, 70)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert grammar.windows.join_point(fd, 0, len(data), len(data)) == (
            line_offsets(data)[2 * SYNC_LINES - LEAD_LINES],
            2 * SYNC_LINES - LEAD_LINES,
        )
        # a run must start in the range: from the second line on, the range [.., 100) holds none
        assert grammar.windows.join_point(fd, line_offsets(data)[1], 100, len(data)) is None
    finally:
        os.close(fd)


@pytest.mark.parametrize("content", [b"", b"\n", b"one line without newline", b"\n\n\n", None], ids=repr)
@pytest.mark.parametrize("range_bytes", [1, 7, 100])
def test_tiny_files(tmp_path: Path, content: bytes | None, range_bytes: int) -> None:
    data = content if content is not None else dumps(1)[0].rstrip(b"\n")  # a dump without final newline
    path = tmp_path / "tiny.log"
    path.write_bytes(data)
    expected = scanned(path)
    assert split(path, range_bytes)[0] == expected
    if content is None:
        assert expected
        with path.open("rb") as handle:
            assert list(map_stream(handle, window_lines, jobs=2, range_bytes=range_bytes)) == [
                window_lines(window) for window in windows(io.BytesIO(data))
            ]


def _jsonl(path: Path, jobs: int, range_bytes: int | None = None) -> bytes:
    with path.open("rb") as handle:
        return "".join(
            line for lines in map_stream(handle, window_lines, jobs=jobs, range_bytes=range_bytes) for line in lines
        ).encode()


@pytest.mark.parametrize("range_bytes", [613, 8192, 100_000])
def test_workers_give_byte_identical_jsonl(fleet: Path, range_bytes: int) -> None:
    serial = _jsonl(fleet, 1)
    assert serial.count(b"\n") >= 10
    assert _jsonl(fleet, 2, range_bytes) == serial
    if range_bytes == 8192:
        assert _jsonl(fleet, 3, range_bytes) == serial


def test_the_range_path_is_taken_only_for_a_regular_file_read_from_its_start(fleet: Path, tmp_path: Path) -> None:
    with fleet.open("rb") as handle:
        assert bot.pipeline._splittable(handle) == (str(fleet), fleet.stat().st_size)
        handle.read(10)
        assert bot.pipeline._splittable(handle) is None
    assert bot.pipeline._splittable(io.BytesIO(fleet.read_bytes())) is None
    packed = tmp_path / "fleet.log.gz"
    packed.write_bytes(gzip.compress(fleet.read_bytes()))
    with gzip.open(packed, "rb") as handle:
        assert bot.pipeline._splittable(handle) is None  # type: ignore[arg-type]
    read, write = os.pipe()
    with os.fdopen(read, "rb") as handle:
        os.close(write)
        assert bot.pipeline._splittable(handle) is None


def test_a_stream_falls_back_to_the_scan_here_with_the_same_output(fleet: Path) -> None:
    serial = _jsonl(fleet, 1)
    streamed = map_stream(io.BytesIO(fleet.read_bytes()), window_lines, jobs=2, range_bytes=4096)
    assert "".join(line for lines in streamed for line in lines).encode() == serial


def test_progress_counts_the_bytes_of_the_ranges_done(fleet: Path) -> None:
    seen: list[int] = []
    with fleet.open("rb") as handle:
        for _ in map_stream(handle, window_lines, jobs=2, progress=seen.append, range_bytes=16_384):
            pass
    assert len(seen) > 10
    assert seen == sorted(seen) and seen[-1] == fleet.stat().st_size


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_drawn_on_a_terminal_with_workers(fleet: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot.render.jsonl import stream_jsonl

    monkeypatch.setattr(bot.pipeline, "_MIN_RANGE_BYTES", 8192)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    out = io.StringIO()
    assert stream_jsonl(str(fleet), out, jobs=2) == 0
    assert out.getvalue().encode() == _jsonl(fleet, 1)
    drawn = terminal.getvalue()
    assert f"\r\x1b[2Koomlens: {fleet.name}: " in drawn and " MB read (" in drawn and " events" in drawn
    assert drawn.endswith("\r\x1b[2K")  # the line is cleared when done


def test_the_default_range_size(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """About sixteen ranges per worker, none smaller than _MIN_RANGE_BYTES: a file smaller than
    one range is scanned in this process."""
    taken: list[int] = []
    monkeypatch.setattr(bot.pipeline, "_map_ranges", lambda *args: taken.append(args[-1]) or iter(()))
    size = 600 * 1024 * 1024
    monkeypatch.setattr(bot.pipeline, "_splittable", lambda handle: ("big.log", size))
    list(map_stream(io.BytesIO(b""), window_lines, jobs=2))
    assert taken == [-(-size // 32)]
    monkeypatch.setattr(bot.pipeline, "_splittable", lambda handle: ("small.log", 900_000))
    assert list(map_stream(io.BytesIO(b""), window_lines, jobs=2)) == []
    assert len(taken) == 1


def test_a_failing_part_fails_the_run_and_leaves_no_worker_waiting(fleet: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The tasks after a failed one wait for its line count: it posts its failure, so they stop
    and the error (here an I/O error, as a vanished file gives) reaches the caller."""
    real = grammar.windows.part_windows

    def failing(fd, size, range_bytes, index, start, may_use=None):  # type: ignore[no-untyped-def]
        if index == 3:
            raise OSError(5, "Input/output error")
        return real(fd, size, range_bytes, index, start, may_use)

    monkeypatch.setattr(grammar.windows, "part_windows", failing)  # the workers import it when they run
    with fleet.open("rb") as handle, pytest.raises(OSError, match="Input/output error"):
        for _ in map_stream(handle, window_lines, jobs=2, range_bytes=8192):
            pass

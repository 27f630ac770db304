"""`oomlens analyze --format json` writes each task table row by row (bot.render.json_out.Rows):
the bytes must be exactly those of the whole report converted and dumped at once."""

from __future__ import annotations

import io

import pytest
from oomcases import corpus_cases, load_case

from bot.pipeline import analyze
from bot.render.json_out import dumps, report_dict, write_json


class _Stdout(io.StringIO):
    """A text stream with a binary buffer beneath, as sys.stdout has."""

    def __init__(self) -> None:
        super().__init__()
        self.buffer = io.BytesIO()


def _streamed(data: bytes) -> tuple[bytes, bytes]:
    report = analyze(data)
    out = _Stdout()
    write_json(report_dict(report, stream_rows=True), out)
    return out.buffer.getvalue() + out.getvalue().encode(), (dumps(report_dict(report), indent=True) + "\n").encode()


@pytest.mark.parametrize("case", corpus_cases()[::7])
def test_streamed_rows_give_the_same_bytes(case: str) -> None:
    got, expected = _streamed(load_case(case)[0])
    assert got == expected


def test_several_events_with_tables_and_a_paste_that_spells_a_placeholder() -> None:
    seed = load_case("seed-rsync-32bit")[0]
    # two copies of a report (two task tables), and prose quoting what a placeholder looks like
    data = seed + b"\nnote: \x00rows0\x00 and \\u0000rows1\\u0000\n" + seed.replace(b"Sep 23", b"Sep 24")
    got, expected = _streamed(data)
    assert got == expected
    assert got.count(b'"pid"') >= 6  # the rows were written, not the placeholders


def _jsonl_lines(data: bytes) -> tuple[list[str], list[str]]:
    """`--format jsonl` lines of ``data`` as one window: as written (rows in chunks, after the
    report is freed) and each event's dict, rows converted, dumped whole."""
    from bot.render.jsonl import _report_events, window_lines
    from grammar.windows import Window

    window = Window(first_line=1, data=data)
    expected = [dumps(event) + "\n" for event in _report_events(analyze(data))]
    return window_lines(window), expected


@pytest.mark.parametrize("case", corpus_cases()[::7])
def test_jsonl_rows_in_chunks_give_the_same_lines(case: str) -> None:
    got, expected = _jsonl_lines(load_case(case)[0])
    assert got == expected


def test_jsonl_table_longer_than_a_chunk_and_a_row_orjson_refuses() -> None:
    from bot.render.json_out import _ROW_CHUNK

    seed = load_case("seed-rsync-32bit")[0].decode()
    lines = seed.splitlines()
    header = next(i for i, line in enumerate(lines) if "[ pid ]" in line)
    prefix = lines[header].partition("[ pid ]")[0]  # the header's log prefix
    rows = [  # three chunks, the last one short
        f"{prefix}[{20000 + i:5d}]     0 {20000 + i:5d}     1234      567   0       0             0 w{i}"
        for i in range(_ROW_CHUNK * 2 + 5)
    ]
    text = "\n".join(lines[: header + 1] + rows + lines[header + 1 :])
    got, expected = _jsonl_lines(text.encode())
    assert got == expected
    assert got[0].count('"name":"w') >= len(rows)  # every row (and the top processes)
    # a lone surrogate (a str pasted in process): orjson refuses it, the whole line is the standard library's
    report = analyze(text.replace("w1030", "w\udc80"))
    from bot.render.json_out import dumps_pieces, event_dict

    (analysed,) = report.events
    assert "".join(dumps_pieces(event_dict(analysed, stream_rows=True))) == dumps(event_dict(analysed))

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

"""What a log prefix tells, read from the named groups of grammar/prefixes.lark."""

from __future__ import annotations

from datetime import UTC

import pytest
from oomcases import load_case

from grammar.parse import parse_text
from grammar.stamps import epoch, read_stamp


@pytest.mark.parametrize(
    "prefix, host, wall, uptime, caller",
    [
        ("Sep 23 02:04:16 [kernel] [1772321.850644]", None, (None, 9, 23, 2, 4, 16.0), 1772321.850644, None),
        (
            "Mar 14 02:03:56.989702 db-7 kernel: [   12.500000] [ T1234]",
            "db-7",
            (None, 3, 14, 2, 3, 56.989702),
            12.5,
            "T1234",
        ),
        ("2026-03-14T04:04:17+02:00 k8s-node-12 kernel:", "k8s-node-12", (2026, 3, 14, 4, 4, 17.0), None, None),
        ("[    6.298745] myhost kernel:", "myhost", None, 6.298745, None),
        ("[Tue Mar 14 02:03:57 2026]", None, (2026, 3, 14, 2, 3, 57.0), None, None),
        ("<4>[  C3]", None, None, None, "C3"),
        ("5193605.506728]", None, None, 5193605.506728, None),
    ],
)
def test_prefix_fields(prefix, host, wall, uptime, caller) -> None:
    stamp = read_stamp(prefix)
    assert stamp.host == host
    assert stamp.uptime_s == uptime
    assert stamp.caller == caller
    if wall is None:
        assert stamp.time is None  # seconds since boot never become a date
    else:
        time = stamp.time
        assert (time.year, time.month, time.day, time.hour, time.minute, time.second) == wall


def test_zone_offset_and_missing_year() -> None:
    from datetime import datetime

    iso = read_stamp("2026-03-14T04:04:17+02:00 k8s-node-12 kernel:").time
    assert epoch(iso, 0) == datetime(2026, 3, 14, 2, 4, 17, tzinfo=UTC).timestamp()
    posted = datetime(2026, 1, 2, 12, 0, tzinfo=UTC).timestamp()
    december = read_stamp("Dec 31 23:59:00 db-3 kernel:").time
    assert epoch(december, posted) == datetime(2025, 12, 31, 23, 59, tzinfo=UTC).timestamp()


def test_events_and_lines_carry_the_stamps_of_a_real_log() -> None:
    event = parse_text(load_case("seed-rsync-32bit")[0]).events[0]
    assert event.host is None  # `[kernel]` names no machine
    assert (event.time.month, event.time.day, event.time.hour) == (9, 23, 2)
    assert event.uptime_s == pytest.approx(1772321.850644)
    assert all(line.stamp.uptime_s is not None for line in event.lines if line.prefix)

"""Charts: the figures they plot (checked against the parsed facts), PNGs that decode at the
promised size, compact terminal bars, and the `--chart` options of the CLI."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from summary_fixtures import corpus_text, incident_log  # noqa: E402

from bot.render.charts import event_chart, memory_breakdown, summary_chart, text_bars, timeline_series, zone_levels  # noqa: E402
from bot.cli import main  # noqa: E402
from bot.pipeline import analyze  # noqa: E402


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every pixel: a truncated PNG fails here
        return image.size


def test_machine_breakdown_and_zones_are_the_dump_figures():
    report = analyze(corpus_text("seed-rsync-32bit"))
    event = report.events[0]
    meminfo, page_kb = event.event.meminfo, report.dump.page_size_kb
    assert page_kb == 4
    chart = event_chart(event, page_kb=page_kb)
    parts = dict(chart.data["memory"]["parts"])
    assert parts["anon"] == (meminfo["active_anon"] + meminfo["inactive_anon"] - meminfo["shmem"]) * 4
    assert parts["page cache"] == (meminfo["active_file"] + meminfo["inactive_file"]) * 4 == 31563948
    assert parts["slab (unreclaimable)"] == meminfo["slab_unreclaimable"] * 4
    assert parts["free"] == meminfo["free"] * 4
    assert chart.data["memory"]["total_kb"] == event.event.page_totals["RAM"] * 4
    assert sum(parts.values()) == chart.data["memory"]["total_kb"]  # the rest is "other / unaccounted"
    zones = {z["name"]: z for z in chart.data["zones"]}
    assert (zones["Normal"]["free_kb"], zones["Normal"]["min_kb"], zones["Normal"]["low_kb"],
            zones["Normal"]["high_kb"], zones["Normal"]["below"]) == (8056, 8048, 10060, 12072, "low")
    assert zones["DMA"]["below"] is None
    assert (chart.width, chart.height) == (900, 500) and _png_size(chart.png) == (900, 500)


def test_memcg_oom_shows_the_cgroup_charges_against_its_limit():
    report = analyze(corpus_text("lab-memcg-v2-deb61-arm64"))
    breakdown = memory_breakdown(report.events[0], report.dump.page_size_kb)
    stats = report.events[0].event.memcg.stats
    assert breakdown.scope == "memcg /lab-app" and breakdown.total_kb == 65536
    assert dict(breakdown.parts) == {"anon": stats["anon"] // 1024, "kernel": stats["kernel"] // 1024}
    assert zone_levels(report.events[0]) == []
    chart = event_chart(report.events[0])
    assert _png_size(chart.png) == (chart.width, chart.height) == (900, 280)


def test_event_dicts_and_events_give_the_same_chart_data():
    from bot.render.json_out import event_dict

    report = analyze(corpus_text("lab-hugetlb-deb612-amd64"))
    as_dict = memory_breakdown(event_dict(report.events[0]), 4)
    assert as_dict == memory_breakdown(report.events[0], 4) == memory_breakdown(report.events[0].event, 4)
    assert dict(as_dict.parts)["huge pages"] == 156 * 2048
    assert [z.below for z in zone_levels(report.events[0])] == [None, "min"]


def test_a_kill_line_alone_has_no_chart():
    report = analyze("Out of memory: Killed process 123 (java) total-vm:100kB, anon-rss:50kB, file-rss:0kB")
    assert report.events and event_chart(report.events[0]) is None and text_bars(report.events[0]) == ""


def test_text_bars_are_compact_and_state_the_watermark():
    report = analyze(corpus_text("seed-rsync-32bit"))
    bars = text_bars(report.events[0], page_kb=4, width=20)
    lines = bars.splitlines()
    assert lines[0] == "Where memory went (machine of 33 GiB):"
    cache = next(line for line in lines if line.strip().startswith("page cache"))
    assert "\u2588" * 18 in cache and "30 GiB" in cache and "91.2%" in cache
    normal = next(line for line in lines if line.strip().startswith("Normal"))
    assert "below low" in normal and "free 7.9 MiB" in normal
    assert max(len(line) for line in lines) < 100


def test_summary_timeline_series_match_the_summary(tmp_path):
    from bot.cli.summary import records_from_file
    from bot.incidents.build import build_summary

    log = tmp_path / "kern.log"
    log.write_text(incident_log())
    summary = build_summary(list(records_from_file(str(log))), title="incident")
    series = timeline_series(summary)
    assert series["bucket_s"] == 3600 and len(series["starts"]) == 4  # 02:00 .. 05:00
    totals = [sum(column) for column in zip(*series["series"].values())]
    assert totals == [2, 2, 1, 3] == [b.total for b in summary.timeline]
    chart = summary_chart(summary)
    assert chart.data == series and _png_size(chart.png) == (900, 360)


def test_cli_chart_options_write_pngs(tmp_path, capsys):
    log = tmp_path / "dump.log"
    log.write_text(corpus_text("seed-rsync-32bit"))
    out = tmp_path / "event.png"
    assert main(["analyze", str(log), "--chart", str(out)]) == 0
    assert _png_size(out.read_bytes()) == (900, 500)
    assert main(["analyze", str(log), "--chart", str(tmp_path / "no" / "dir.png")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_charts_render_from_many_threads_at_once() -> None:
    """The Slack app renders on worker threads; matplotlib's text layout must not be shared unguarded."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.render.charts import event_chart
    from bot.pipeline import analyze
    from oomcases import load_case

    report = analyze(load_case("seed-rsync-32bit")[0])
    with ThreadPoolExecutor(max_workers=8) as pool:
        charts = list(pool.map(lambda _: event_chart(report.events[0], page_kb=4), range(16)))
    assert all(chart is not None and chart.png.startswith(b"\x89PNG") for chart in charts)

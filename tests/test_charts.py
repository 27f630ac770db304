"""Charts: the figures they plot (checked against the parsed facts and the overview every other
surface reads), PNGs that decode at the promised size, and the `--chart` options of the CLI."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from summary_fixtures import corpus_text, incident_log

from bot.cli import main
from bot.pipeline import analyze
from bot.render.charts import event_chart, summary_chart, timeline_series


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every pixel: a truncated PNG fails here
        return image.size


def test_machine_breakdown_and_zones_are_the_dump_figures():
    report = analyze(corpus_text("seed-rsync-32bit"))
    event = report.events[0]
    meminfo, page_kb = event.event.meminfo, report.dump.page_size_kb
    assert page_kb == 4
    chart = event_chart(event)
    parts = dict(chart.data["memory"]["parts"])
    assert parts["anon"] == (meminfo["active_anon"] + meminfo["inactive_anon"] - meminfo["shmem"]) * 4
    assert parts["file"] == (meminfo["active_file"] + meminfo["inactive_file"]) * 4 == 31563948
    assert parts["slab_unreclaimable"] == meminfo["slab_unreclaimable"] * 4
    assert parts["reserved"] == event.event.page_totals["reserved"] * 4
    assert chart.data["memory"]["total_kb"] == event.event.page_totals["RAM"] * 4
    # reserved + unaccounted close the gap to RAM: the parts add up to the machine
    assert sum(parts.values()) == chart.data["memory"]["total_kb"]
    zones = {z["label"]: z for z in chart.data["zones"]}
    assert (
        zones["Normal"]["free_kb"],
        zones["Normal"]["min_kb"],
        zones["Normal"]["low_kb"],
        zones["Normal"]["high_kb"],
        zones["Normal"]["state"],
    ) == (8056, 8048, 10060, 12072, "below low")
    # DMA keeps 3476 kB of lowmem_reserve against a Normal request: 3624 kB free is under low + reserve,
    # and the chart says so like the zone table does (it used to say "ok" while the table said "below low")
    assert zones["DMA"]["reserve_kb"] == 3476 and zones["DMA"]["state"] == "below low"
    assert [(z.label, z.state) for z in event.overview.zones if z.min_kb is not None] == [
        (z["label"], z["state"]) for z in chart.data["zones"]
    ]
    assert (chart.width, chart.height) == (900, 500) and _png_size(chart.png) == (900, 500)


def test_memcg_oom_shows_the_cgroup_charges_against_its_limit():
    report = analyze(corpus_text("lab-memcg-v2-deb61-arm64"))
    memory = report.events[0].overview.memory
    stats = report.events[0].event.memcg.stats
    assert memory.scope == "memcg" and memory.cgroup == "/lab-app" and memory.total_kb == 65536
    assert {p.name: p.kb for p in memory.parts} == {"anon": stats["anon"] // 1024, "kernel": stats["kernel"] // 1024}
    chart = event_chart(report.events[0])
    assert chart.data["zones"] == []
    assert dict(chart.data["memory"]["parts"]) == {p.name: p.kb for p in memory.parts}
    assert _png_size(chart.png) == (chart.width, chart.height) == (900, 280)


def test_hugetlb_pool_and_zone_states_come_from_the_overview():
    report = analyze(corpus_text("lab-hugetlb-deb612-amd64"))
    overview = report.events[0].overview
    chart = event_chart(report.events[0])
    assert dict(chart.data["memory"]["parts"])["hugetlb"] == 156 * 2048
    assert [z["state"] for z in chart.data["zones"]] == [z.state for z in overview.zones if z.min_kb is not None]


def test_a_kill_line_alone_has_no_chart():
    report = analyze("Out of memory: Killed process 123 (java) total-vm:100kB, anon-rss:50kB, file-rss:0kB")
    assert report.events and event_chart(report.events[0]) is None


def test_summary_timeline_series_match_the_summary(tmp_path):
    from bot.cli.summary import records_from_file
    from bot.incidents.build import build_summary

    log = tmp_path / "kern.log"
    log.write_text(incident_log())
    summary = build_summary(list(records_from_file(str(log))), title="incident")
    series = timeline_series(summary)
    assert series["bucket_s"] == 3600 and len(series["starts"]) == 4  # 02:00 .. 05:00
    totals = [sum(column) for column in zip(*series["series"].values(), strict=True)]
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

    from oomcases import load_case

    from bot.pipeline import analyze
    from bot.render.charts import event_chart

    report = analyze(load_case("seed-rsync-32bit")[0])
    with ThreadPoolExecutor(max_workers=8) as pool:
        charts = list(pool.map(lambda _: event_chart(report.events[0]), range(16)))
    assert all(chart is not None and chart.png.startswith(b"\x89PNG") for chart in charts)

"""Every surface states the same facts: for each corpus case, the terminal text, markdown, JSON and
Block Kit name the same cause (or none), the same victim, the same zone states and the same
memory figures, because each reads the one overview (knowledge/overview.py) of each event."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.pipeline import analyze
from bot.render.blockkit import render_details, render_report
from bot.render.json_out import report_dict
from bot.render.text import render_markdown, render_text
from knowledge.confidence import PASTE_NEXT
from knowledge.units import size

CORPUS = Path(__file__).resolve().parent / "corpus"
CASE_IDS = sorted(p.name for p in CORPUS.iterdir() if (p / "meta.json").is_file())


def _segments(text: str, overviews, marker) -> list[str]:
    """The part of ``text`` about each event, cut at each event's own marker."""
    starts = []
    position = 0
    for overview in overviews:
        position = text.index(marker(overview), position)
        starts.append(position)
    return [text[start:end] for start, end in zip(starts, starts[1:] + [len(text)], strict=False)]


def _block_text(blocks) -> str:
    return "\n".join(t for t in re.findall(r'"text": "((?:[^"\\]|\\.)*)"', json.dumps(blocks, ensure_ascii=False)))


def _said(blocks) -> str:
    """What a reader of the blocks sees: every text, mrkdwn entities unescaped, code marks dropped."""
    texts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    said = "\n".join(texts).replace("`", "")
    return said.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_text_markdown_json_and_block_kit_state_the_same_facts(case_id):
    report = analyze((CORPUS / case_id / "input.log").read_bytes())
    if not report.events:
        pytest.skip("no event")
    overviews = report.overviews
    text = render_text(report, all_events=True, width=10_000)
    markdown = render_markdown(report, all_events=True)
    data = report_dict(report)
    reply = render_report(report, analysis_id=1)
    reply_text = _block_text(reply.blocks)
    reply_said = _said(reply.blocks)
    texts = _segments(text, overviews, lambda o: f"Event {o.number} of {len(overviews)},")
    marks = _segments(markdown, overviews, lambda o: f"*Event {o.number} of {len(overviews)},")
    shown_on_slack = {group[0].number for group in report.groups()[:5]}

    for overview, seg_text, seg_md, event in zip(overviews, texts, marks, data["events"], strict=False):
        index = overview.number - 1
        cause = overview.cause
        # -- the cause: only a root cause, the same code everywhere (or none anywhere)
        named = set(re.findall(r"cause (OOM\d{3})", seg_text))
        assert named == ({cause.code} if cause else set()), (overview.number, named)
        assert set(re.findall(r"cause (OOM\d{3})", seg_md)) == named
        assert (event["overview"]["cause"] or {}).get("code") == (cause.code if cause else None)
        if cause is not None:
            assert cause.role == "root-cause"
            assert not any(f.role != "root-cause" and f.code in named for f in overview.findings)
        # -- the victim
        victim = overview.victim
        if victim is not None:
            assert f"Killed: {victim.text}" in seg_text
            assert f"Killed: `{victim.name or '?'}`" in seg_md
            assert event["overview"]["victim"]["pid"] == victim.pid == event["killed_pid"]
            assert event["overview"]["victim"]["name"] == victim.name
            assert event["overview"]["victim"]["held_kb"] == victim.held_kb
        else:
            assert "Killed:" not in seg_text and event["overview"]["victim"] is None
        # -- zone states: one rule, stated the same on each surface
        assert [(z["label"], z["state"]) for z in event["overview"]["zones"]] == [
            (z.label, z.state) for z in overview.zones
        ]
        for zone in overview.zones:
            assert re.search(rf"^  {re.escape(zone.label)} .* {zone.state}\s*$", seg_text, re.MULTILINE), zone.label
            assert re.search(rf"^\| {re.escape(zone.label)} \|.*\| {zone.state} \|$", seg_md, re.MULTILINE), zone.label
        # -- memory figures: one breakdown
        memory = overview.memory
        parts = event["overview"]["memory"]["parts"] if event["overview"]["memory"] else []
        assert [(p["name"], p["kb"]) for p in parts] == ([(p.name, p.kb) for p in memory.parts] if memory else [])
        for part in memory.parts if memory else ():
            assert re.search(rf"{re.escape(part.label[:30])}.*\s{re.escape(size(part.kb))}\b", seg_text), part.label
            assert f"| {part.label} | {size(part.kb)} |" in seg_md
        assert seg_text.count("Where memory went") == (1 if memory and memory.parts else 0)
        # -- what to paste next: said once (the list of what the paste lacks, or else the doubt)
        for seg in (seg_text, seg_md):
            for part in overview.missing:
                assert seg.count(PASTE_NEXT[part.part]) + seg.count(part.description) <= 1, part

        # -- Block Kit: the reply answers each story's first event; details hold the rest
        if overview.number not in shown_on_slack:
            continue
        # the reply leads each story with the overview's headline (the cause's own headline, or
        # "no root cause established"), and its why is the cause's, or says there is none
        assert overview.headline in reply_said, overview.headline
        why = _said(render_details(report, index, "why")[1])
        if cause is not None:
            assert cause.code in why and cause.name in why
            assert not any(f.code in why for f in overview.others), overview.number
        else:
            assert "nothing to show" in why
            assert re.search(r"No root cause could be established|too little to name a cause", reply_said)
        if victim is not None:
            assert f"killed {victim.text}".replace("&", "&amp;").replace("<", "&lt;").replace(
                ">", "&gt;"
            ) in reply_text.replace("\\", "")
            if victim.held_kb is not None:
                assert f"killed {victim.text}, held {size(victim.held_kb)}" in reply_said
        zones = _block_text(render_details(report, index, "zones")[1])
        for zone in overview.zones:
            assert re.search(rf"{re.escape(zone.label)} .*{zone.state}", zones), zone.label
        if memory is not None and memory.parts:
            figures = _block_text(render_details(report, index, "memory")[1])
            for part in memory.parts:
                assert size(part.kb) in figures and part.label[:20].replace("&", "&amp;") in figures
    # the Slack reply too says what to paste once per story it shows
    stories = [group[0] for group in report.groups()[:5]]
    for part in {m.part: m for o in stories for m in o.missing}.values():
        lacking = sum(1 for o in stories if part in o.missing)
        assert reply_said.count(PASTE_NEXT[part.part]) + reply_said.count(part.description) <= lacking, part
    if reply.top_code is not None:
        assert reply.top_code == overviews[0].cause.code


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_incident_records_state_the_overviews_zone_states_and_figures(case_id):
    """The incident record of each event reads the overview: the zone it names as short of pages is
    the overview's worst zone in the overview's own state (never a verdict of its own), and its
    figures are the ones every surface shows."""
    from bot.incidents.records import records_from_report

    report = analyze((CORPUS / case_id / "input.log").read_bytes())
    overviews = report.overviews
    if not any(o.zones for o in overviews):
        pytest.skip("no zones")
    records = records_from_report(report, None, posted_at=1_773_489_600.0)
    assert len(records) == len(overviews)
    severity = {"below min": 0, "below low": 1}
    text = render_text(report, all_events=True, width=10_000)
    for record, overview in zip(records, overviews, strict=True):
        states = {z.label: z.state for z in overview.zones}
        short = [z for z in overview.zones if z.state in severity]
        named = record.figures.get("short_zone")
        figures = record.figures
        assert figures.get("ram_kb") == overview.ram_kb
        assert figures.get("victim_rss_kb") == (overview.victim.held_kb if overview.victim else None)
        assert figures.get("total_swap_kb") == overview.swap_total_kb
        if not short:
            assert named is None, (overview.number, named, states)
            continue
        assert named is not None, (overview.number, states)
        assert named["state"] == states[named["zone"]], (overview.number, named, states)
        assert severity[named["state"]] == min(severity[z.state] for z in short)
        zone = next(z for z in overview.zones if z.label == named["zone"])
        assert (named["free_kb"], named["min_kb"], named["low_kb"], named["reserve_kb"]) == (
            zone.free_kb,
            zone.min_kb,
            zone.low_kb,
            zone.reserve_kb,
        )
        # the terminal states the same of that zone
        assert re.search(rf"^  {re.escape(zone.label)} .* {zone.state}\s*$", text, re.MULTILINE), zone.label

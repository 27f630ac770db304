"""Terminal, markdown, JSON and Block Kit renderings: every corpus case renders, answers read
headline -> what to do -> why -> evidence, repeats are grouped, fragments are told what to paste,
and golden files pin a few cases on every surface."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from bot.pipeline import analyze
from bot.render.blockkit import render_details, render_report
from bot.render.json_out import report_dict
from bot.render.text import render_markdown, render_text, terminal_style

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
GOLDEN = Path(__file__).resolve().parent / "golden"
CASE_IDS = sorted(p.name for p in CORPUS.iterdir() if (p / "meta.json").is_file())
GOLDEN_CASES = [
    "seed-rsync-32bit",
    "lab-memcg-shmem-deb612-amd64",
    "lab-numa-cpuset-deb612-amd64",
    "lab-fragmentation-deb612-amd64",
    "gh-sonic-buildimage-2988",
]
REGEN = os.environ.get("OOMLENS_REGEN_GOLDEN") == "1"
SEED = ROOT / "examples" / "seed-rsync-32bit.log"


def _case(case_id: str):
    return analyze((CORPUS / case_id / "input.log").read_bytes())


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_every_case_renders_each_story_cause_first(case_id):
    report = _case(case_id)
    text = render_text(report, width=10_000)  # unwrapped, so a phrase is on one line
    markdown = render_markdown(report)
    assert text.startswith("oomlens:") and markdown.startswith("# oomlens:")
    groups = report.groups()
    # each group's section runs from its headline to the next group's headline: one paste may call
    # a finding the cause of one group and a contributing factor of another
    starts = []
    for group in groups:
        assert group[0].headline in text
        starts.append(text.index(group[0].headline, starts[-1] + 1 if starts else 0))
    # a paste with no event has no group (its answer says so); each section ends where the next begins
    ends = [*starts[1:], len(text)] if starts else []
    sections = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    for group, section in zip(groups, sections, strict=True):
        first = group[0]
        if first.cause is not None:
            # the headline leads with the cause, and only a root-cause finding is called the cause
            assert first.cause.role == "root-cause"
            assert f"cause {first.cause.code} " in section
        for other in first.others:
            assert f"cause {other.code} " not in section


def test_seed_answer_reads_headline_then_what_to_do_then_why_then_evidence():
    text = render_text(analyze(SEED.read_bytes()))
    lines = text.splitlines()
    assert (
        next(i for i, line in enumerate(lines) if line.startswith("Lowmem exhaustion on a 32-bit kernel: clamd killed"))
        < 5
    )
    todo = lines.index("What to do:")
    assert todo < 10, "the answer must say what to do within its first 10 lines"
    positions = [text.index(marker) for marker in ("What to do:", "\nWhy:", "\nEvidence:", "--- details")]
    assert positions == sorted(positions)


def test_seed_answer_has_one_breakdown_and_one_state_per_zone():
    report = analyze(SEED.read_bytes())
    text = render_text(report)
    assert text.count("Where memory went") == 1
    assert "Memory breakdown" not in text and "unaccounted" in text  # one breakdown, reserved + unaccounted in it
    states = ("below min", "below low", " ok", "unknown")
    for zone in report.events[0].overview.zones:
        stated = [
            line
            for line in text.splitlines()
            if line.strip().startswith(zone.label + " ") and any(s in line for s in states)
        ]
        assert len(stated) == 1 and stated[0].rstrip().endswith(zone.state), (zone.label, stated)
    # one unit convention: binary sizes with IEC names, never "GB"/"MB" computed by us
    details = text[text.index("--- details") :]
    assert not re.search(r"\d (GB|MB|kB \()", details)
    assert "RAM 33 GiB" in text and "33 GB" not in text


def test_evidence_quotes_each_line_once_and_marks_cuts():
    report = analyze(SEED.read_bytes())
    text = render_text(report, width=80)
    evidence = text[text.index("\nEvidence:") : text.index("Also found")]
    quoted = re.findall(r"^  line (\d+): ", evidence, flags=re.MULTILINE)
    assert quoted and len(quoted) == len(set(quoted))
    cause_lines = {line.number for e in report.events[0].overview.cause.evidence for line in e.lines}
    assert {int(n) for n in quoted} == cause_lines
    long = [line for line in evidence.splitlines() if line.startswith("  line 54:")]
    assert long[0].endswith("\u2026") and len(long[0]) <= 80


def test_terminal_wraps_to_its_width_and_emphasis_is_only_for_a_tty(monkeypatch):
    report = analyze(SEED.read_bytes())
    narrow = render_text(report, width=60)
    prose = narrow[: narrow.index("--- details")]
    assert max(len(line) for line in prose.splitlines()) <= 60
    bold = render_text(report, emphasis=True)
    assert "\x1b[1mLowmem exhaustion" in bold and "\x1b[" not in render_text(report)

    class Tty:
        def isatty(self):
            return True

    monkeypatch.setenv("NO_COLOR", "1")
    assert terminal_style(Tty())[1] is False
    monkeypatch.delenv("NO_COLOR")
    assert terminal_style(Tty())[1] is True
    with open(os.devnull, "w") as pipe:
        assert terminal_style(pipe) == (96, False)


def repeated_dump(count: int) -> str:
    """A real corpus dump told ``count`` times: each a minute later, each victim a new pid."""
    lines = (CORPUS / "lab-mlock-deb61-amd64" / "input.log").read_text().splitlines()
    event = [line for line in lines if not re.search(r"lab: scenario|x86/mm|Run /init", line)]
    out = []
    for index in range(count):
        pid = str(102 + 7 * index)
        for line in event:
            stamp = re.match(r"\[\s*(\d+\.\d+)\]", line)
            shifted = f"[{float(stamp.group(1)) + 60 * index:12.6f}]" + line[stamp.end() :] if stamp else line
            out.append(re.sub(r"(?<=[ =\[])102\b", pid, shifted))
    return "\n".join(out) + "\n"


def test_24_repeats_of_one_cause_fit_one_screen_and_one_slack_message():
    sys.path.insert(0, str(Path(__file__).parent / "slack"))
    from fake_slack import validate_blocks

    report = analyze(repeated_dump(24))
    assert len(report.events) == 24 and len(report.groups()) == 1
    assert len({e.event.kill.pid for e in report.events}) == 24
    text = render_text(report)
    assert len(text.splitlines()) <= 60, len(text.splitlines())
    cause = report.events[0].overview.cause
    assert f"=== 24 events, same cause ({cause.code}, memhog)" in text
    assert "--all" in text.splitlines()[0]
    # only what differs: the other 23 by line range and pid, not their whole answers
    assert text.count("What to do:") == 1 and "pid 109" in text and "events 6-24" in text
    everything = render_text(report, all_events=True)
    assert everything.count("What to do:") == 24 and len(everything.splitlines()) > 24 * 30
    reply = render_report(report, analysis_id=5)
    assert not reply.oversize and reply.file is None
    assert validate_blocks(reply.blocks) == []
    assert len(reply.blocks) <= 10
    assert sum("24 events, same cause" in json.dumps(b) for b in reply.blocks) == 1


@pytest.mark.parametrize(
    "paste",
    [
        (
            "[ 100.000000] Out of memory: Killed process 4242 (java) total-vm:9000000kB, anon-rss:8000000kB, "
            "file-rss:0kB, shmem-rss:0kB\n"
        ),
        "[ 1.000000] foo invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0\n",
    ],
)
def test_a_fragment_is_told_what_to_paste_not_finding_codes(paste):
    report = analyze(paste)
    overview = report.events[0].overview
    assert overview.missing and overview.paste_hint == "paste from 'invoked oom-killer' to 'Killed process'"
    text = render_text(report)
    assert overview.paste_hint in text
    for missing in overview.missing:
        assert missing.description.split(" (")[0] in text
    assert "Not evaluated" not in text and not re.search(r"OOM\d{3}, OOM\d{3}", text)
    assert "allocation by foo failed" not in text  # an OOM-killer invocation is not a failed allocation
    reply = render_report(report, analysis_id=9)
    blob = json.dumps(reply.blocks)
    assert overview.paste_hint in blob and "Mem-Info block" in blob
    assert "button" not in blob.replace('"type": "button"', "") and not re.search(r"OOM\d{3}, OOM\d{3}", blob)


def test_slack_reply_is_two_steps_two_lines_of_why_and_one_selector():
    report = analyze(SEED.read_bytes())
    reply = render_report(report, analysis_id=1)
    texts = [b["text"]["text"] for b in reply.blocks if b["type"] == "section"]
    todo = next(t for t in texts if t.startswith("*What to do*"))
    assert re.findall(r"^\d\. ", todo, flags=re.MULTILINE) == ["1. ", "2. "]
    assert "`mem=16G`" in todo and "`/etc/default/grub`" in todo  # boot parameter and path as code
    why = next(t for t in texts if t.startswith("*Why*"))
    assert why.count(". ") <= 2 and len(why) <= 470
    (actions,) = [b for b in reply.blocks if b["type"] == "actions"]
    kinds = [e["type"] for e in actions["elements"]]
    assert kinds.count("static_select") == 1 and all("style" not in e for e in actions["elements"])
    options = [json.loads(o["value"])["k"] for o in actions["elements"][0]["options"]]
    assert {"todo", "why", "zones", "memory", "processes", "upload"} <= set(options)


def test_context_findings_are_never_the_cause_on_slack():
    """A paste whose only findings are context (e.g. killed again and again) has no cause."""
    for case_id in CASE_IDS:
        report = _case(case_id)
        for analysed in report.events:
            overview = analysed.overview
            if overview.cause is None and overview.findings:
                reply = render_report(report, analysis_id=1)
                assert reply.top_code is None or reply.top_code == report.groups()[0][0].cause.code
                assert "Most likely cause" not in json.dumps(reply.blocks)
                return
    pytest.skip("no corpus case without a root cause")


def _goldens(report) -> dict[str, str]:
    reply = render_report(report, analysis_id=1)
    details = {
        kind: render_details(report, 0, kind)[1]
        for kind in ("todo", "why", "others", "missing", "gfp", "zones", "processes", "memory")
    }
    return {
        "txt": render_text(report),
        "md": render_markdown(report),
        "json": json.dumps(report_dict(report), indent=1, ensure_ascii=False, sort_keys=True) + "\n",
        "blocks.json": json.dumps(
            {"text": reply.text, "blocks": reply.blocks, "details": details}, indent=1, ensure_ascii=False
        )
        + "\n",
    }


@pytest.mark.parametrize("case_id", GOLDEN_CASES)
@pytest.mark.parametrize("fmt", ["txt", "md", "json", "blocks.json"])
def test_golden(case_id, fmt):
    rendered = _goldens(_case(case_id))[fmt]
    path = GOLDEN / f"{case_id}.{fmt}"
    if REGEN:
        path.write_text(rendered, "utf-8")
    assert path.exists(), f"missing golden {path.name}: run with OOMLENS_REGEN_GOLDEN=1"
    assert rendered == path.read_text("utf-8"), (
        f"{path.name} differs; review and regenerate with OOMLENS_REGEN_GOLDEN=1"
    )


def test_every_surface_survives_slices_of_real_dumps():
    """Cut anywhere (a paste is often a fragment), shuffled or not: no renderer raises, and every
    Slack reply stays within Block Kit's limits."""
    import random

    sys.path.insert(0, str(Path(__file__).parent / "slack"))
    from fake_slack import validate_blocks

    from bot.render.blockkit import DETAIL_KINDS

    rng = random.Random(10)
    for _ in range(60):
        lines = (CORPUS / rng.choice(CASE_IDS) / "input.log").read_text(errors="replace").splitlines()
        start = rng.randrange(len(lines))
        chunk = lines[start : start + rng.randrange(1, 80)]
        if rng.random() < 0.3:
            rng.shuffle(chunk)
        report = analyze("\n".join(chunk))
        render_text(report)
        render_markdown(report)
        json.dumps(report_dict(report))
        if report.events:
            assert validate_blocks(render_report(report, analysis_id=1).blocks) == []
            for kind in DETAIL_KINDS:
                assert validate_blocks(render_details(report, len(report.events) - 1, kind)[1]) == []


def test_a_real_paste_of_24_failures_is_one_story_on_one_screen():
    """24 atomic order-3 failures from four tasks (rsync, pdflush, swapper, klogd): one cause, so one
    story whose repeats list the tasks that differ."""
    sys.path.insert(0, str(Path(__file__).parent / "slack"))
    from fake_slack import validate_blocks

    report = _case("lore-269ac11-rsync-atomic-order3")
    assert len(report.events) == 24 and len(report.groups()) == 1
    text = render_text(report)
    assert len(text.splitlines()) <= 60 and text.count("What to do:") == 1
    assert "pdflush" in text and "klogd" in text
    reply = render_report(report, analysis_id=2)
    assert reply.file is None and validate_blocks(reply.blocks) == []
    assert "processes rsync, pdflush, swapper, klogd" in json.dumps(reply.blocks)

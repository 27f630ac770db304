"""The finding catalogue as a whole (kube-linter style): well-formed, unique, exercised, documented."""

from __future__ import annotations

import ast
import pickle
import re
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from grammar.parse import parse_text
from knowledge import catalogue
from knowledge.checks import REGISTRY
from knowledge.diagnose import evaluate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
CASES = Path(__file__).resolve().parent / "cases"
RECORDS = catalogue.load()


def fixture_path(ref: str) -> Path:
    kind, _, name = ref.partition("/")
    if kind == "corpus":
        return CORPUS / name / "input.log"
    if kind == "cases":
        return CASES / name
    raise ValueError(ref)


@cache
def findings_for(ref: str) -> tuple:
    dump = parse_text(fixture_path(ref).read_bytes())
    return tuple(evaluate(event, dump) for event in dump.events)


def test_records_are_schema_valid():
    for filename, raw in catalogue.load_raw():
        jsonschema.validate(raw, catalogue.SCHEMA)
        assert filename == f"{raw['code']}.yaml"


def test_codes_names_and_aliases_are_unique():
    keys = [k for r in RECORDS for k in (r.code, r.name, *r.aliases)]
    assert len(keys) == len(set(keys))


def test_every_category_of_format_md_is_covered():
    format_md = (CORPUS / "FORMAT.md").read_text()
    section = format_md.split("## Root-cause categories", 1)[1].split("##", 1)[0]
    section = re.sub(r"\([^)]*\)", "", section)  # drop the parenthesised examples
    listed = {c.strip().strip(".") for c in section.replace("\n", " ").split(",") if c.strip()}
    covered = {r.category for r in RECORDS}
    assert listed <= set(catalogue.CATEGORIES)
    assert listed - {"unknown"} <= covered


def test_every_record_names_a_registered_check_and_declared_evidence():
    for record in RECORDS:
        assert record.check in REGISTRY, record.code
        names = [e["name"] for e in record.evidence]
        assert len(names) == len(set(names)), record.code
        for step in record.remediation:
            assert step["do"][0].isupper(), f"{record.code}: remediation must be an imperative sentence"


def test_every_check_is_used():
    assert {r.check for r in RECORDS} == set(REGISTRY)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.code)
def test_fires_on_its_fixtures_and_renders(record):
    for ref in record.fixtures["fires"]:
        fired = [f for d in findings_for(ref) for f in d.findings if f.code == record.code]
        assert fired, f"{record.code} does not fire on {ref}"
        for finding in fired:
            assert finding.explanation and "{{" not in finding.explanation and "{%" not in finding.explanation
            assert finding.remediation, f"{record.code}: no remediation step applies on {ref}"
            assert 0 < finding.confidence < 1
            declared = {e["name"] for e in record.evidence}
            assert {e.name for e in finding.evidence} <= declared


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.code)
def test_stays_silent_on_its_counter_fixtures(record):
    for ref in record.fixtures["silent"]:
        fired = [f for d in findings_for(ref) for f in d.findings if f.code == record.code]
        assert not fired, f"{record.code} fires on {ref}, listed as silent"


def test_missing_facts_are_reported_as_not_evaluated():
    dump = parse_text((CORPUS / "gh-sonic-buildimage-2988" / "input.log").read_bytes())
    diagnosis = evaluate(dump.events[0], dump)
    not_evaluated = {n.code: n.missing for n in diagnosis.not_evaluated}
    assert "OOM120" in not_evaluated and "zones" in not_evaluated["OOM120"]
    assert "OOM401" in not_evaluated


def test_findings_doc_is_fresh():
    current = (ROOT / "docs" / "findings.md").read_text("utf-8")
    assert current == catalogue.render_docs(), "run: python -m knowledge.catalogue --write-docs"


def test_knowledge_never_imports_bot():
    for path in (ROOT / "knowledge").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "bot" or n.startswith("bot.") for n in names), path


def test_checks_do_not_key_on_corpus_cases():
    sources = sorted((ROOT / "knowledge" / "checks").glob("*.py")) + [ROOT / "knowledge" / "analysis.py"]
    assert len(sources) > 5, "the checks package moved"
    text = "".join(path.read_text("utf-8") for path in sources)
    for word in ("memhog", "sockleak", "clamd", "rsync", "lab-", "seed-", "jserver", "tickrs"):
        assert word not in text


def test_every_headline_fits_a_slack_header_with_the_longest_suffix():
    """The reply's header block holds at most 150 characters (bot/render/blockkit.py). A headline
    is the finding's lead plus what happened (knowledge/overview.py headline_text); the longest
    such suffix is ": order-NN allocation by " + a 15-character task name (TASK_COMM_LEN 16) +
    " failed", 47 characters. A longer lead would be cut in Slack and differ from the terminal."""
    from knowledge import catalogue

    longest_suffix = len(": order-10 allocation by ") + 15 + len(" failed")
    for record in catalogue.load():
        lead = record.headline or record.title
        assert len(lead) + longest_suffix <= 150, (record.code, len(lead), lead)


def _texts(record):
    yield record.explanation
    for step in record.remediation:
        yield step["do"]
        yield step["applies"]


def test_plain_texts_render_as_jinja_renders_them():
    # a text without Jinja syntax is given back without rendering: it must be what Jinja gives
    plain = [t for r in RECORDS for t in _texts(r) if not any(m in t for m in ("{{", "{%", "{#"))]
    assert len(plain) > 20  # the shortcut is taken (about half of the texts)
    for text in plain:
        assert catalogue.render(text, {}) == catalogue.environment().from_string(text).render().strip()


def test_finding_text_is_rendered_once_when_first_read_and_as_jinja_renders_it(monkeypatch):
    calls = []
    render = catalogue.render

    def counting(template, context):
        calls.append((template, context))
        return render(template, context)

    monkeypatch.setattr(catalogue, "render", counting)
    dump = parse_text(fixture_path(RECORDS[0].fixtures["fires"][0]).read_bytes())
    findings = [f for event in dump.events for f in evaluate(event, dump).findings]
    assert findings and not calls  # nothing rendered while diagnosing
    first = findings[0]
    explanation = first.explanation
    assert len(calls) == 1 and first.explanation is explanation  # rendered once, then kept
    steps = first.remediation
    assert steps and first.remediation is steps
    for template, context in calls:
        assert render(template, context) == catalogue.environment().from_string(template).render(**context).strip()
    # a copy sent to another process (--jobs) carries the text, not the function that renders it
    other = findings[-1]
    assert pickle.loads(pickle.dumps(other)) == other

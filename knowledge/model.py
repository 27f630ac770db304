"""What the knowledge base produces: findings about one event, ranked, with quoted evidence."""

from __future__ import annotations

from dataclasses import dataclass

from grammar.facts import SourceLine


@dataclass(frozen=True)
class Evidence:
    """A named figure that supports a finding, with the paste lines it was read from."""

    name: str  # e.g. "normal_free_kb"
    value: object  # int, str, float or bool
    label: str  # human wording, e.g. "Normal free"
    lines: tuple[SourceLine, ...] = ()
    unit: str | None = None  # "kB", "%", "count", "pages" or "text" (from the catalogue record)


@dataclass(frozen=True)
class Finding:
    """One diagnosis: a catalogue entry that fired for an event."""

    code: str  # stable, e.g. "OOM101"
    name: str  # dotted, e.g. "lowmem.normal_below_min"
    category: str  # one of the root-cause categories of FORMAT.md
    title: str
    severity: str  # "critical", "high", "medium", "low", "info"
    confidence: float  # 0..1
    role: str  # "root-cause", "contributing", "context"
    explanation: str  # rendered from the catalogue template, plain text
    evidence: tuple[Evidence, ...] = ()
    remediation: tuple[str, ...] = ()
    references: tuple[str, ...] = ()

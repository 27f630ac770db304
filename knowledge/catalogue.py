"""The finding catalogue: one YAML record per finding under ``knowledge/findings/``.

Loads and validates the records (JSON schema below), renders their explanation and remediation
templates with Jinja ``StrictUndefined`` (a missing fact fails loudly, never prints a blank) and
writes ``docs/findings.md``. ``python -m knowledge.catalogue --write-docs`` regenerates the doc;
``--check`` exits non-zero when it is stale.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2.runtime import Context, new_context

from . import datafiles, diskcache, workloads
from .templating import Environment
from .units import size
from .yamlload import load_yaml

CATEGORIES = (
    "lowmem_exhaustion",
    "memcg_limit",
    "process_hog",
    "ram_exhausted_no_swap",
    "swap_exhausted",
    "shmem_tmpfs",
    "hugetlb_reservation",
    "slab_unreclaimable_leak",
    "fragmentation_high_order",
    "pagetables_kernel_overhead",
    "cpuset_mempolicy_constraint",
    "numa_node_exhaustion",
    "dma_zone_exhaustion",
    "manual_trigger",
    "unaccounted_memory",
    "cma_reserved",
    "mlocked_unevictable",
    "watermark_misconfig",
    "dirty_writeback_stall",
    "oom_score_adj_protection",
    "overcommit_misconfig",
    "kernel_bug",
    "benign_nowarn_failure",
    "vmalloc_space_exhausted",
    "unknown",
)
SEVERITIES = ("critical", "high", "medium", "low", "info")
ROLES = ("root-cause", "contributing", "context")

# A remediation step's kind (its record's `kind:`), best first for fixing the incident
STEP_KINDS = ("fix", "verdict", "containment", "generic", "investigation")

SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "code",
        "name",
        "category",
        "title",
        "severity",
        "role",
        "check",
        "params",
        "evidence",
        "explanation",
        "remediation",
        "references",
        "fixtures",
    ],
    "properties": {
        "code": {"type": "string", "pattern": "^OOM[0-9]{3}$"},
        "name": {"type": "string", "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)+$"},
        "aliases": {"type": "array", "items": {"type": "string"}},
        "category": {"enum": list(CATEGORIES)},
        "title": {"type": "string", "minLength": 5},
        "headline": {"type": "string"},
        "severity": {"enum": list(SEVERITIES)},
        "role": {"enum": list(ROLES)},
        "check": {"type": "string"},
        "params": {"type": "object"},
        "thresholds": {"type": "string"},
        "evidence": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "label"],
                "properties": {
                    "name": {"type": "string"},
                    "label": {"type": "string"},
                    "unit": {"enum": ["kB", "%", "pages", "count", "text"]},
                },
            },
        },
        "explanation": {"type": "string", "minLength": 20},
        "remediation": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["do", "applies", "kind"],
                "properties": {
                    "do": {"type": "string"},
                    # what kind of step it is (issue 13): a concrete fix (a setting or lever, an
                    # upgrade, more memory, a limit), a containment (keeps the next kill small), an
                    # investigation (find out, look, paste more), a generic advice, or the verdict
                    # that a warning is harmless; knowledge.diagnose orders an event's steps by it
                    "kind": {"enum": list(STEP_KINDS)},
                    "applies": {"type": "string"},
                    "when": {"type": "string"},
                    "weaker": {"type": "boolean"},
                    "caps": {"type": "boolean"},
                    # the upgrade path of a kernel or driver defect the paste shows (a kernel, module
                    # or known-good-kernel step): knowledge.diagnose.order_steps brings it among the
                    # first three when none of them is one (issue 13)
                    "defect_path": {"type": "boolean"},
                    # a step on what this event's numbers single out beside the memory growth - the
                    # oom_score_adj that chose the victim, tmpfs files or mlocked pages that a kill
                    # does not free: knowledge.diagnose.bring_specific brings the first such step
                    # among the first three when none of them is one (issue 13)
                    "specific": {"type": "boolean"},
                    # what the step does, as a Jinja template (e.g. "more-ram", "lever {{ ... }}"):
                    # two steps of one event with the same rendered action are one step in
                    # substance, said once (knowledge.diagnose.dedupe_steps)
                    "action": {"type": "string"},
                },
            },
        },
        "references": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "fixtures": {
            "type": "object",
            "additionalProperties": False,
            "required": ["fires", "silent"],
            "properties": {
                "fires": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "silent": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            },
        },
    },
}


@dataclass(frozen=True)
class Record:
    """One catalogue entry, as loaded from its YAML file."""

    code: str
    name: str
    category: str
    title: str
    severity: str
    role: str
    check: str
    params: dict[str, Any]
    evidence: tuple[dict[str, str], ...]
    explanation: str
    remediation: tuple[dict[str, Any], ...]
    references: tuple[str, ...]
    fixtures: dict[str, list[str]]
    aliases: tuple[str, ...] = ()
    headline: str | None = None
    thresholds: str | None = None
    path: str = ""


def _pct(value: float | int | None) -> str:
    return "unknown" if value is None else f"{value:.0f}%"


# Template sources by name: the catalogue's templates are strings, loaded by a name derived from
# their text so that Jinja's bytecode cache (``knowledge.diskcache``) can keep them compiled.
_SOURCES: dict[str, str] = {}


@cache
def environment() -> jinja2.Environment:
    env = Environment(
        loader=jinja2.FunctionLoader(_SOURCES.get),
        bytecode_cache=diskcache.jinja_bytecode_cache("catalogue"),  # type: ignore[arg-type]
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["size"] = size
    env.filters["pct"] = _pct
    env.filters["to_update"] = workloads.program_to_update
    return env


def findings_dir() -> Path:
    return Path(datafiles.path("findings"))


@cache
def load_raw() -> tuple[tuple[str, dict[str, Any]], ...]:
    out = []
    for name in datafiles.names("findings"):
        if name.endswith(".yaml"):
            out.append((name, load_yaml(datafiles.read_text("findings", name))))
    return tuple(out)


@cache
def load() -> tuple[Record, ...]:
    """All records, sorted by code. Raises ValueError on a malformed record or duplicate code."""
    records: list[Record] = []
    seen: dict[str, str] = {}
    for filename, raw in load_raw():
        if not isinstance(raw, dict) or "code" not in raw:
            raise ValueError(f"{filename}: not a finding record")
        if filename != f"{raw['code']}.yaml":
            raise ValueError(f"{filename}: file name must be {raw['code']}.yaml")
        for key in [raw["code"], raw["name"], *raw.get("aliases", [])]:
            if key in seen:
                raise ValueError(f"{filename}: {key} already used by {seen[key]}")
            seen[key] = filename
        records.append(
            Record(
                code=raw["code"],
                name=raw["name"],
                category=raw["category"],
                title=raw["title"],
                severity=raw["severity"],
                role=raw["role"],
                check=raw["check"],
                params=dict(raw.get("params") or {}),
                evidence=tuple(raw["evidence"]),
                explanation=raw["explanation"],
                remediation=tuple(raw["remediation"]),
                references=tuple(raw["references"]),
                fixtures=dict(raw["fixtures"]),
                aliases=tuple(raw.get("aliases", ())),
                headline=raw.get("headline"),
                thresholds=raw.get("thresholds"),
                path=filename,
            )
        )
    return tuple(sorted(records, key=lambda r: r.code))


# What makes a text a template: Jinja's three delimiters; "\r" because Jinja rewrites newlines.
_JINJA_MARKS = ("{{", "{%", "{#", "\r")


@lru_cache(maxsize=4096)
def _template(source: str) -> jinja2.Template | str:
    """The compiled template of ``source``, or ``source`` itself when it holds no Jinja syntax.

    About half of the catalogue's texts are plain: Jinja would give them back unchanged
    (trim_blocks and lstrip_blocks act only around block tags), so they are not rendered at all
    (tests/test_catalogue.py checks that for every plain text of the catalogue). Compiling a
    template costs ~1 ms; the catalogue has a few hundred, each used per event. Compiled once
    per process, and kept compiled across processes by the bytecode cache.
    """
    if not any(mark in source for mark in _JINJA_MARKS):
        return source
    name = diskcache.key(source)
    _SOURCES[name] = source
    return environment().get_template(name)


@lru_cache(maxsize=4096)
def _globals(template: jinja2.Template) -> dict[str, Any]:
    """The template's globals as one plain dict. ``template.globals`` is a ChainMap (the
    template's own over the environment's), and copying a ChainMap goes key by key in Python:
    that copy was a third of the time of a finding's texts. Nothing adds globals after start-up."""
    return dict(template.globals)


def _run(template: jinja2.Template, context: dict[str, Any]) -> str:
    """``template.render(**context)`` less two copies of the variables per call: the context is
    made as Template.new_context() makes it (the template's globals, then the variables) and
    handed over as it is (``shared``), with the globals as a plain dict (``_globals``)."""
    environment = template.environment
    known = _globals(template)
    variables = new_context(environment, template.name, template.blocks, {**known, **context}, True, known)
    try:
        return environment.concat(template.root_render_func(variables))
    except Exception:
        environment.handle_exception()


def render(template: str, context: dict[str, Any]) -> str:
    compiled = _template(template)
    if isinstance(compiled, str):
        return compiled.strip()
    return _run(compiled, context).strip()


def condition(expression: str, context: dict[str, Any]) -> bool:
    """The truth of a Jinja expression (a remediation step's ``when``), as a template so that it
    is compiled once and cached like the others."""
    return _run(_condition(expression), context) == "1"


@lru_cache(maxsize=1024)
def _condition(expression: str) -> jinja2.Template:
    # (the template's source made and looked up once per expression, not for every step of every event)
    return cast(jinja2.Template, _template("{% if " + expression + " %}1{% endif %}"))  # it holds "{%"


@cache
def _shared_globals() -> dict[str, Any]:
    """The globals every catalogue template sees: the environment's (the templates are loaded
    with no globals of their own, so ``template.globals`` holds just these)."""
    return dict(environment().globals)


@lru_cache(maxsize=4096)
def _stateless(template: jinja2.Template) -> bool:
    """Does ``template`` leave its Jinja context as it found it: it neither sets a top-level
    variable (``context.vars``/``exported_vars``) nor has blocks, so one context can serve every
    text of a finding (``Variables``). Read from its compiled code; a template that does not
    gets a context of its own (``_run``)."""
    names = template.root_render_func.__code__.co_names
    return not template.blocks and "vars" not in names and "exported_vars" not in names


class Variables:
    """A finding's template context made once into the Jinja context its remediation steps render
    in: the conditions, texts, applies and actions of a finding's steps (about twenty) each made
    that context anew, the globals and variables merged into a new dict each time (issue 12)."""

    __slots__ = ("context", "jinja")

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context
        self.jinja: Context | None = None

    def _jinja(self) -> Context:
        if self.jinja is None:
            known = _shared_globals()
            self.jinja = new_context(environment(), None, {}, {**known, **self.context}, True, known)
        return self.jinja

    def render(self, template: str) -> str:
        compiled = _template(template)
        if isinstance(compiled, str):
            return compiled.strip()
        if not _stateless(compiled):
            return _run(compiled, self.context).strip()
        try:
            return "".join(compiled.root_render_func(self._jinja())).strip()
        except Exception:
            compiled.environment.handle_exception()

    def condition(self, expression: str) -> bool:
        compiled = _condition(expression)
        if not _stateless(compiled):
            return _run(compiled, self.context) == "1"
        try:
            # the template yields "1" when the expression holds and nothing otherwise
            return "".join(compiled.root_render_func(self._jinja())) == "1"
        except Exception:
            compiled.environment.handle_exception()


# Appended to every step that sets or lowers a memory limit (`caps: true` in the record).
# mm/memcontrol.c (v4.5-v6.18) memory_max_write(): a memory.max below current usage reclaims and
# then OOM-kills inside the group at once; v1 mem_cgroup_resize_limit() (memory.limit_in_bytes)
# returns -EBUSY when reclaim cannot get below the new limit.
LIMIT_WARNING = (
    "Set the limit above what the group uses now: on cgroup v2 (memory.max, systemd MemoryMax=, "
    "runtimes on v2) a limit written below current usage makes the kernel reclaim and then "
    "OOM-kill inside the group at once; on v1 the write fails with EBUSY when reclaim cannot "
    "get below it."
)


@dataclass(frozen=True)
class Step:
    """A rendered remediation step, with its record's ``kind`` and what it does (its rendered
    ``action``; None without one)."""

    text: str
    kind: str
    action: str | None = None
    defect_path: bool = False
    specific: bool = False


def render_steps(record: Record, context: dict[str, Any] | Variables) -> tuple[Step, ...]:
    variables = context if isinstance(context, Variables) else Variables(context)
    steps = []
    for step in record.remediation:
        if "when" in step and not variables.condition(step["when"]):
            continue
        text = variables.render(step["do"])
        if step.get("caps"):
            text = f"{text} {LIMIT_WARNING}"
        applies = variables.render(step["applies"])
        prefix = "Weaker option: " if step.get("weaker") else ""
        action = variables.render(step["action"]) if "action" in step else None
        steps.append(
            Step(
                f"{prefix}{text} (applies to: {applies})",
                step["kind"],
                action or None,
                bool(step.get("defect_path")),
                bool(step.get("specific")),
            )
        )
    return tuple(steps)


def render_remediation(record: Record, context: dict[str, Any]) -> tuple[str, ...]:
    return tuple(step.text for step in render_steps(record, context))


# ------------------------------------------------------------------------------------------ docs
DOC_HEADER = """# Finding catalogue

Generated from `knowledge/findings/*.yaml` by `python -m knowledge.catalogue --write-docs`;
do not edit by hand (a test fails when this file is stale). How findings are ranked and why the
thresholds are what they are: [diagnosis.md](diagnosis.md).

| code | name | category | severity | role | title |
| --- | --- | --- | --- | --- | --- |
"""


def render_docs() -> str:
    from .checks import REGISTRY

    parts = [DOC_HEADER]
    for r in load():
        parts.append(
            f"| [{r.code}](#{r.code.lower()}) | `{r.name}` | {r.category} | {r.severity} | {r.role} | {r.title} |\n"
        )
    for r in load():
        spec = REGISTRY.get(r.check)
        parts.append(
            f"\n## {r.code}\n\n**{r.title}** — `{r.name}`"
            + (f" (formerly {', '.join(r.aliases)})" if r.aliases else "")
            + "\n\n"
        )
        parts.append(f"- category: `{r.category}`; severity: {r.severity}; default role: {r.role}\n")
        parts.append(f"- check: `{r.check}`" + (f" — {spec.doc}" if spec and spec.doc else "") + "\n")
        if spec:
            parts.append(f"- needs facts: {', '.join(f'`{n}`' for n in spec.needs)}\n")
        if r.params:
            parts.append("- params: " + ", ".join(f"`{k}={v}`" for k, v in r.params.items()) + "\n")
        if r.thresholds:
            parts.append(f"- why these thresholds: {' '.join(r.thresholds.split())}\n")
        parts.append("- evidence: " + ", ".join(f"`{e['name']}` ({e['label']})" for e in r.evidence) + "\n")
        parts.append("\nRemediation:\n\n")
        for step in r.remediation:
            when = f" *(only when `{step['when']}`)*" if "when" in step else ""
            weaker = "*Weaker option:* " if step.get("weaker") else ""
            if step.get("caps"):
                step = {**step, "do": f"{step['do']} {LIMIT_WARNING}"}
            parts.append(
                f"1. ({step['kind']}) {weaker}{' '.join(step['do'].split())} — applies to: "
                f"{' '.join(step['applies'].split())}{when}\n"
            )
        parts.append("\nReferences:\n\n")
        for ref in r.references:
            parts.append(f"- {ref}\n")
    return "".join(parts)


def docs_path() -> Path:
    return Path(__file__).resolve().parent.parent / "docs" / "findings.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.catalogue")
    parser.add_argument("--write-docs", action="store_true", help="regenerate docs/findings.md")
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/findings.md is stale")
    args = parser.parse_args(argv)
    text = render_docs()
    if args.write_docs:
        docs_path().parent.mkdir(parents=True, exist_ok=True)
        docs_path().write_text(text, "utf-8")
        print(f"wrote {docs_path()} ({len(load())} findings)")
        return 0
    if args.check:
        current = docs_path().read_text("utf-8") if docs_path().exists() else ""
        if current != text:
            print("docs/findings.md is stale: run python -m knowledge.catalogue --write-docs", file=sys.stderr)
            return 1
        return 0
    for r in load():
        print(f"{r.code} {r.name} [{r.category}] {r.title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

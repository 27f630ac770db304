"""Runs the finding catalogue over one parsed event and ranks what fires.

Ranking: root causes first, then contributing factors, then context; within a role a kernel defect
the numbers show, or one that fits a memory cgroup's OOM, first (``leads_as_defect``), then by
confidence (each check computes its own from how strong its evidence is, see
docs/diagnosis.md). ``diagnose`` is what ``bot.pipeline`` calls; ``evaluate`` also returns the
analysis and the findings that could not be evaluated (their facts are missing), for renderers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache, partial
from typing import Any, NamedTuple, Protocol

from grammar.facts import Dump, Event

from . import catalogue
from .analysis import Analysis
from .checks import REGISTRY, CheckSpec, Hit, missing_facts
from .checks.base import FACTS
from .confidence import calibrate, role_for
from .kernel_series import upgrade_path
from .model import Deferred, Evidence, Finding

ROLE_RANK = {"root-cause": 0, "contributing": 1, "context": 2}
# Evaluated after every other record and only while no root cause has fired, in this order: what
# a partial paste points at (OOM103, OOM125, OOM303, OOM702: possible causes, never confident),
# the victim of a kill line pasted alone (OOM225; OOM226 when that victim held under 1 GB, a machine
# too small for what it runs), then the undetermined placeholder (OOM900)
FALLBACK_CHECKS = ("partial_pointer", "presumed_victim", "undetermined")


@dataclass(frozen=True)
class NotEvaluated:
    code: str
    name: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Diagnosis:
    analysis: Analysis
    findings: tuple[Finding, ...]
    not_evaluated: tuple[NotEvaluated, ...]
    ordered: _EventSteps | None = field(default=None, compare=False, repr=False)

    @property
    def steps(self) -> tuple[tuple[str, catalogue.Step], ...]:
        """Every step of the event, in order (the findings' remediation in rank order, see
        ``order_steps``), with the code of the finding whose record gives it and its kind."""
        if self.ordered is None:
            return ()
        return tuple((self.findings[p.origin].code, p.step) for p in self.ordered.all())

    def record_steps(self, code: str) -> tuple[str, ...]:
        """What the record of finding ``code`` says for this event, before ``order_steps`` leaves
        out what a higher-ranked finding already says (a finding's ``remediation`` is after)."""
        index = next(i for i, f in enumerate(self.findings) if f.code == code)
        if self.ordered is None:
            return self.findings[index].remediation
        return tuple(step.text for step in self.ordered.renders[index]())


def decode_gfp(event: Event, dump: Dump) -> Any | None:
    """The gfp decoding of the event's mask for the dump's kernel (None without a mask)."""
    from knowledge.gfp import decode_event_mask

    return decode_event_mask(event, dump)


def template_context(analysis: Analysis, hit: Hit) -> dict[str, Any]:
    env = analysis.environment
    return {
        "ev": {name: value for name, (value, _lines) in hit.evidence.items()},
        "ctx": hit.context,
        "env": {
            "kind": env.kind,
            "label": env.label,
            "container": env.container,
            "kubernetes": env.kubernetes,
            "vm": env.vm,
            "hypervisor_host": env.hypervisor_host,
            "cgroup_v2": env.cgroup_v2,
        },
        "kernel": analysis.kernel,
        "version": analysis.version,
        "arch": analysis.arch,
        "is_32bit": analysis.is_32bit,
        # a 32-bit-only CPU the paste names (knowledge.hardware): no step offers it a 64-bit kernel
        "cpu32": analysis.thirty_two_bit_cpu if analysis.is_32bit else None,
        "cpu64": analysis.cpu_mode[1] if analysis.is_32bit and analysis.cpu_mode[0] else None,
        "kind": analysis.event.kind,
        "victim": analysis.victim_name,
        # the machine's RAM and the next common size up, for steps that cannot size from counters
        "machine": {"ram_kb": analysis.ram_kb, "next_size_kb": analysis.next_ram_size_kb},
        # where this kernel's fixes come from, worded for its release (knowledge.kernel_series)
        "kernel_path": upgrade_path(analysis.kernel),
    }


# A size quoted from the dump ("418 MiB", "about 5 GiB"): the wording of a step that sizes its advice
SIZED = re.compile(r"\b\d+(?:\.\d+)? ?(?:KiB|MiB|GiB|TiB|kB|MB|GB)\b")
_APPLIES = re.compile(r" \(applies to: [^()]*(?:\([^()]*\)[^()]*)*\)$")


def substance(step: catalogue.Step) -> str:
    """What a step does: its record's ``action`` when it names one, else its wording without the
    "Weaker option: " mark and the "(applies to: ...)" tail."""
    if step.action:
        return step.action
    return _APPLIES.sub("", step.text.removeprefix("Weaker option: "))


# the kinds of step that act on the incident (catalogue.STEP_KINDS): a fix, or the verdict that a
# warning is harmless (nothing to change)
ACTING = frozenset({"fix", "verdict"})
# how many steps the surfaces show first ("What to do" in Slack, the fix share of issue 13)
FIRST_STEPS = 3
# a top finding this sure keeps the first steps for its own cause against a contributing kernel clue
SURE_TOP = 0.8


class Ranked(Protocol):
    """What ``order_steps`` reads of a finding: a :class:`Finding`, or its :class:`_Ranking`."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def confidence(self) -> float: ...
    @property
    def evidence(self) -> tuple[Evidence, ...]: ...


class _Ranking(NamedTuple):
    """The fields of a finding that ``order_steps`` reads, held by :class:`_EventSteps` instead of
    the finding: the finding's deferred remediation holds the steps, and a steps object holding
    the finding back would make a reference cycle per event (issue 12: the cyclic collector's work
    on every dump whose report is not rendered, and memory freed only when it runs)."""

    name: str
    category: str
    role: str
    confidence: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class EventStep:
    """A step of an event: ``owner`` is the index of the finding whose remediation shows it,
    ``origin`` that of the finding whose record gives it (another when it was brought forward)."""

    owner: int
    origin: int
    step: catalogue.Step


def order_steps(rendered: Sequence[tuple[catalogue.Step, ...]], findings: Sequence[Ranked]) -> tuple[EventStep, ...]:
    """The steps of an event's ``findings`` (``rendered``, in rank order), laid
    out again over the same findings in the order that fixes the incident (issue 13):

    1. each step is said once: a step that repeats in substance (``substance``) one of a
       higher-ranked finding is left out of the lower finding. It keeps its first place; when that
       wording quotes no size from the dump and the repeat does ("give it more memory" against
       "... about 5 GiB"), the first place takes the sized wording. Steps of one finding are never
       merged: the record lists them as different on purpose;
    2. when none of the first three steps is a fix or a verdict (only investigation, containment
       or generic advice), the first fix of a later root-cause finding, or of a contributing one
       at least as confident as the top finding (not the top finding's own: its record orders its
       steps), becomes the third step, after the top finding's first two (never first: what to
       find out or paste still leads). A context finding's fix is not this incident's, nor an
       unsure suspicion's below a surer cause;
    2b. when none of the first three steps is ``specific`` (the oom_score_adj that chose the
       victim, tmpfs or mlocked memory no kill frees), the first such step becomes the third
       (``bring_specific``);
    2c. when none of the first three steps is the own lever of a program the event names (a step
       whose action is ``lever ...``: knowledge/workloads.yaml's setting for the process that held,
       charged or asked for the memory) and the top finding is not sure of its cause, the first
       such step becomes the third (``bring_lever``);
    3. when the event shows a kernel or driver defect and none of the first three steps gives its
       path (a step marked ``defect_path``: the kernel or module upgrade, worded for the dump's
       release by knowledge.kernel_series), the first such step of a kernel-defect finding that
       may name it (``_may_name_defect``), or whose step would take the place of a weaker option
       (``_over_a_weaker_option``), becomes the third step, as in 2.

    A finding keeps one step at least: a repeat that is all a finding says stays, and a finding's
    only step is not moved.
    """
    # [finding that shows it, finding whose record gives it, step, wording]
    placed: list[list[Any]] = []
    first: dict[str, int] = {}
    for i, steps in enumerate(rendered):
        keys = [substance(step) for step in steps]
        repeats = [key in first and placed[first[key]][0] != i for key in keys]
        for n, (step, key) in enumerate(zip(steps, keys, strict=True)):
            # a finding keeps one step at least (every finding says what to do about it)
            if repeats[n] and not (all(repeats) and n == 0):
                kept = placed[first[key]]
                if SIZED.search(step.text) and not SIZED.search(kept[3]):
                    kept[3] = step.text
                continue
            first.setdefault(key, len(placed))
            placed.append([i, i, step, step.text])
    if len(placed) > FIRST_STEPS and not any(p[2].kind in ACTING for p in placed[:FIRST_STEPS]):
        top = placed[0][0]
        own = Counter(p[0] for p in placed)
        later = next(
            (
                n
                for n in range(FIRST_STEPS, len(placed))
                if placed[n][2].kind == "fix"
                and placed[n][0] != top
                and _may_lead(findings[placed[n][0]], findings[top])
                and own[placed[n][0]] > 1
            ),
            None,
        )
        if later is not None:
            moved = placed.pop(later)
            # it joins the finding of the step before it, so that the findings' steps in rank
            # order read as this list
            moved[0] = placed[FIRST_STEPS - 2][0]
            placed.insert(FIRST_STEPS - 1, moved)
    bring_specific(placed, findings)
    bring_lever(placed, findings)
    if len(placed) > FIRST_STEPS and not any(p[2].defect_path for p in placed[:FIRST_STEPS]):
        own = Counter(p[0] for p in placed)
        later = next(
            (
                n
                for n in range(FIRST_STEPS, len(placed))
                if placed[n][2].defect_path
                and own[placed[n][0]] > 1  # a finding's only step is not moved
                and (
                    _may_name_defect(findings[placed[n][0]], findings[placed[0][0]])
                    or _over_a_weaker_option(placed[FIRST_STEPS - 1][2], findings[placed[n][0]])
                )
            ),
            None,
        )
        if later is not None:
            moved = placed.pop(later)
            moved[0] = placed[FIRST_STEPS - 2][0]
            placed.insert(FIRST_STEPS - 1, moved)
    # (a step keeps its wording unless a repeat's sized one took its place: no copy of it then)
    return tuple(
        EventStep(owner, origin, step if text is step.text else replace(step, text=text))
        for owner, origin, step, text in placed
    )


def bring_specific(placed: list[list[Any]], findings: Sequence[Ranked]) -> None:
    """Rule 2b of ``order_steps`` (issue 13), in place on its ``placed`` list: when none of the
    first three steps is ``specific`` - a step on what the event's numbers single out beside the
    growth, which the general steps do not name (the oom_score_adj that chose the victim rather
    than the process holding the memory, tmpfs files or mlocked pages that no kill frees, a
    vm.min_free_kbytes raised far above the kernel's own value when it caused the kill) - the
    first such step of a root-cause or contributing finding becomes the third step (never first:
    the top finding's first two stay). What experts do in these situations is that specific
    step: change who dies, delete or size the tmpfs, unlock or limit the locked memory, lower the
    reserve."""
    if len(placed) <= FIRST_STEPS or any(p[2].specific for p in placed[:FIRST_STEPS]):
        return
    _bring_third(placed, findings, lambda step: bool(step.specific))


def _bring_third(placed: list[list[Any]], findings: Sequence[Ranked], wanted: Callable[[catalogue.Step], bool]) -> None:
    """Rules 2b and 2c's move, in place: the first step after the first three that ``wanted``
    picks, of a root-cause or contributing finding, becomes the third (it is placed under the
    second step's finding, so the top finding's first two stay). As in rules 2 and 3, a finding's
    only step is not moved: every finding keeps a step of its own."""
    own = Counter(p[0] for p in placed)
    later = next(
        (
            n
            for n in range(FIRST_STEPS, len(placed))
            if wanted(placed[n][2])
            and findings[placed[n][0]].role in ("root-cause", "contributing")
            and own[placed[n][0]] > 1
        ),
        None,
    )
    if later is None:
        return
    moved = placed.pop(later)
    moved[0] = placed[FIRST_STEPS - 2][0]
    placed.insert(FIRST_STEPS - 1, moved)


def _is_lever(step: catalogue.Step) -> bool:
    return bool(step.action and step.action.startswith("lever "))


def bring_lever(placed: list[list[Any]], findings: Sequence[Ranked]) -> None:
    """Rule 2c of ``order_steps`` (issue 13), in place on its ``placed`` list: when none of the
    first three steps is a program's own lever (action ``lever ...``: the setting
    knowledge/workloads.yaml gives for the process the event names as holding, charging or
    requesting the memory) and the top finding is below SURE_TOP, the first such step of a
    root-cause or contributing finding becomes the third (never first: the top finding's first two
    stay). The application's own setting is what experts change when it is the program that grew;
    a sure top cause (a kernel defect read from the figures, a limit measured) keeps its steps."""
    if len(placed) <= FIRST_STEPS or any(_is_lever(p[2]) for p in placed[:FIRST_STEPS]):
        return
    if findings[placed[0][0]].confidence >= SURE_TOP:
        return
    _bring_third(placed, findings, _is_lever)


def _may_name_defect(finding: Ranked, top: Ranked) -> bool:
    """May the upgrade path of a kernel or driver defect that ``finding`` sees be brought among the
    first steps of an event whose top finding is ``top``: a kernel-defect finding (category
    kernel_bug) that is a root cause, or that contributes beside a top finding below SURE_TOP (a
    confident ordinary cause keeps its own steps; a kernel-side clue only adds to it)."""
    if finding.category != "kernel_bug":
        return False  # other records' kernel steps are counted as present, never brought forward
    if _shown_by_signs(finding):
        return True
    return finding.role == "root-cause" or (finding.role == "contributing" and top.confidence < SURE_TOP)


# The finding that reads, from the figures alone, what known kernel defects produce (OOM610,
# knowledge/checks/signs.py): its kernel path joins the first steps whatever the top finding's
# confidence, since that finding reads the same figures as an ordinary cause and the fix the
# figures point at is the kernel's
SIGNS_FINDING = "kernel.defect_signs"


def _shown_by_signs(finding: Ranked) -> bool:
    """Is ``finding`` the reading of kernel-defect signs (its path is brought forward, rule 3): the
    record that reads them from the figures (OOM610), or a kernel-defect finding that quotes a kill
    score the scoring rules cannot give (OOM602's "score") or a page total below zero (OOM602's
    "refcount"): the numbers, not a guess, show it)."""
    if finding.name == SIGNS_FINDING:
        return True
    return finding.category == "kernel_bug" and _shown_by_numbers(finding)


def leads_as_defect(finding: Ranked, memcg: bool) -> bool:
    """Does kernel-defect root cause ``finding`` rank before the other root causes of its event,
    whatever their confidence (docs/diagnosis.md "Ranking"): the kernel's own numbers show the
    defect (a kill score the scoring rules cannot give, a page total below zero: OOM602), so the
    ordinary reading of the same figures (the largest task, a fragmented zone, a limit) is its
    symptom; or the event is a memory cgroup's OOM, whose limit finding (OOM401) holds by
    definition for every such event and cannot tell why the group got there, while a known kernel
    defect matched to the event (OOM606's record of knowledge/kernel_fixes.yaml) can; or the kernel
    printed its own crash in the OOM code after the kill (OOM611's "oops"), which no shortage explains."""
    if finding.category != "kernel_bug" or finding.role != "root-cause":
        return False
    if any(e.name == "oops" for e in finding.evidence):
        return True
    return _shown_by_numbers(finding) or (memcg and any(e.name == "defect" for e in finding.evidence))


def _shown_by_numbers(finding: Ranked) -> bool:
    """Does kernel-defect ``finding`` quote a number the kernel cannot print without a defect: a
    kill score the per-mille scale cannot give (OOM602's "score") or a page total below zero
    (OOM602's "refcount")."""
    return any(e.name in ("kill_score", "pages_shared") for e in finding.evidence)


def _over_a_weaker_option(third: catalogue.Step, finding: Ranked) -> bool:
    """May the defect path of kernel-defect finding ``finding`` take the third place from
    ``third``, whatever the top finding's confidence: the step it displaces is a weaker option
    (its record's "Weaker option:"), which a defect the paste shows outranks."""
    return finding.category == "kernel_bug" and third.text.startswith("Weaker option: ")


def _may_lead(finding: Ranked, top: Ranked) -> bool:
    """May a fix of ``finding`` be among the first steps of an event whose top finding is ``top``."""
    return finding.role == "root-cause" or (finding.role == "contributing" and finding.confidence >= top.confidence)


class _EventSteps:
    """Renders every finding's steps of one event once, when the first of them is read."""

    def __init__(self, renders: Sequence[Callable[[], tuple[catalogue.Step, ...]]], findings: Sequence[Ranked]) -> None:
        self.renders = renders
        self.findings = findings
        self.placed: tuple[EventStep, ...] | None = None

    def all(self) -> tuple[EventStep, ...]:
        """The event's steps in order."""
        if self.placed is None:
            self.placed = order_steps([render() for render in self.renders], self.findings)
        return self.placed

    def of(self, index: int) -> tuple[str, ...]:
        return tuple(placed.step.text for placed in self.all() if placed.owner == index)


def build_finding(record: catalogue.Record, analysis: Analysis, hit: Hit) -> Finding:
    """One finding on its own: its remediation is its record's steps, none left out."""
    return _build(record, analysis, hit)[0]


def _build(
    record: catalogue.Record, analysis: Analysis, hit: Hit
) -> tuple[Finding, Callable[[], tuple[catalogue.Step, ...]]]:
    hit.confidence = calibrate(hit.confidence, record.check, analysis.event, hit.context)
    hit.role = role_for(record.check, analysis.event, hit.role)
    context = _Context(analysis, hit)
    # in the record's order: the record lists the most telling figures first
    evidence = tuple(
        Evidence(
            name=spec["name"],
            value=hit.evidence[spec["name"]][0],
            label=spec["label"],
            lines=hit.evidence[spec["name"]][1],
            unit=spec.get("unit"),
        )
        for spec in record.evidence
        if spec["name"] in hit.evidence
    )
    finding = Finding(
        code=record.code,
        name=record.name,
        category=record.category,
        title=record.title,
        severity=record.severity,
        confidence=round(min(0.99, max(0.01, hit.confidence)), 2),
        role=hit.role or record.role,
        # rendered when a surface first reads them: most show the text of one or two findings
        explanation=Deferred(partial(_explanation, record.explanation, context)),
        evidence=evidence,
        remediation=Deferred(partial(_remediation, record, context)),
        references=record.references,
    )
    return finding, partial(_steps, record, context)


class _Context:
    """A finding's template context (``template_context``), built when its text is first rendered:
    most reports render the text of one or two findings, or none (issue 12)."""

    __slots__ = ("analysis", "built", "hit", "variables")

    def __init__(self, analysis: Analysis, hit: Hit) -> None:
        self.analysis = analysis
        self.hit = hit
        self.built: dict[str, Any] | None = None
        self.variables: catalogue.Variables | None = None

    def get(self) -> dict[str, Any]:
        if self.built is None:
            self.built = template_context(self.analysis, self.hit)
        return self.built

    def steps(self) -> catalogue.Variables:
        """The context made once into the Jinja context its remediation steps share."""
        if self.variables is None:
            self.variables = catalogue.Variables(self.get())
        return self.variables


def _explanation(template: str, context: _Context) -> str:
    return catalogue.render(template, context.get())


def _remediation(record: catalogue.Record, context: _Context) -> tuple[str, ...]:
    return tuple(step.text for step in catalogue.render_steps(record, context.steps()))


def _steps(record: catalogue.Record, context: _Context) -> tuple[catalogue.Step, ...]:
    return catalogue.render_steps(record, context.steps())


@lru_cache(maxsize=1024)
def _not_evaluated(code: str, name: str, missing: tuple[str, ...]) -> NotEvaluated:
    # (frozen: one per record and missing facts serves every event, a dozen records per event)
    return NotEvaluated(code, name, missing)


@cache
def _plan() -> tuple[tuple[_Step, ...], dict[str, tuple[_Step, ...]]]:
    """The catalogue's records with their checks, in evaluation order: the records of every other
    check, then those of each FALLBACK_CHECKS check (looked up once, not for every event)."""
    main: list[_Step] = []
    fallback: dict[str, list[_Step]] = {check: [] for check in FALLBACK_CHECKS}
    for record in catalogue.load():
        spec = REGISTRY[record.check]
        fallback.get(record.check, main).append((record, spec, spec.function))
    return tuple(main), {check: tuple(steps) for check, steps in fallback.items()}


_Step = tuple[catalogue.Record, CheckSpec, Callable[[Analysis, dict[str, Any]], Hit | None]]


@cache
def _main_facts() -> tuple[str, ...]:
    """Every fact (knowledge.checks.base.FACTS) that the needs of the main records name, once each."""
    main, _fallback = _plan()
    return tuple(dict.fromkeys(alt for _record, spec, _f in main for need in spec.needs for alt in need.split("|")))


@cache
def _main_fact_checks() -> tuple[Callable[[Analysis], bool], ...]:
    """The function (knowledge.checks.base.FACTS) of each of ``_main_facts``."""
    return tuple([FACTS[name] for name in _main_facts()])


@lru_cache(maxsize=256)
def _main_steps(shown: tuple[bool, ...]) -> tuple[tuple[_Step, ...], tuple[NotEvaluated, ...]]:
    """For an event that shows the facts ``shown`` (one flag per ``_main_facts``), the main records
    whose needs it meets, in evaluation order, and the others as "not evaluated" with what they miss.

    Which records an event can run depends on these flags alone, and events share a few dozen
    sets of them: worked out once per set, not record by record for every event (issue 12)."""
    main, _fallback = _plan()
    known = dict(zip(_main_facts(), shown, strict=True))
    runnable: list[_Step] = []
    skipped: list[NotEvaluated] = []
    for step in main:
        record, spec, _function = step
        missing = tuple(need for need in spec.needs if not any(known[alt] for alt in need.split("|")))
        if missing:
            skipped.append(_not_evaluated(record.code, record.name, missing))
        else:
            runnable.append(step)
    return tuple(runnable), tuple(skipped)


def evaluate(event: Event, dump: Dump, gfp: Any | None = None) -> Diagnosis:
    analysis = Analysis(event, dump, gfp if gfp is not None else decode_gfp(event, dump))
    findings: list[tuple[Finding, Callable[[], tuple[catalogue.Step, ...]]]] = []
    # each fact the records need, worked out once per event (and kept on the analysis, where the
    # fallback records' needs read it); the records to run follow from them (_main_steps)
    # (has_fact's work without a call per fact: a new analysis has worked out none of them yet)
    shown = tuple([fact(analysis) for fact in _main_fact_checks()])
    analysis.facts.update(zip(_main_facts(), shown, strict=True))
    runnable, skipped = _main_steps(shown)
    not_evaluated: list[NotEvaluated] = list(skipped)
    for record, _spec, function in runnable:
        hit = function(analysis, record.params)
        if hit is not None:
            findings.append(_build(record, analysis, hit))
    _main, fallback = _plan()
    missing_of: dict[tuple[str, ...], tuple[str, ...]] = {}
    for check in FALLBACK_CHECKS:
        if any(f.role == "root-cause" for f, _render in findings):
            break
        for record, spec, function in fallback[check]:
            missing = missing_of.get(spec.needs)
            if missing is None:
                missing = missing_of[spec.needs] = missing_facts(spec, analysis)
            if not missing:
                hit = function(analysis, record.params)
                if hit is not None:
                    findings.append(_build(record, analysis, hit))
    findings.sort(
        key=lambda pair: (
            ROLE_RANK.get(pair[0].role, 3),
            not leads_as_defect(pair[0], analysis.is_memcg),
            -pair[0].confidence,
            pair[0].code,
        )
    )
    # each step said once over the event's findings, rendered when a surface first reads one
    steps = _EventSteps(
        [render for _finding, render in findings],
        [_Ranking(f.name, f.category, f.role, f.confidence, f.evidence) for f, _render in findings],
    )
    for index, (finding, _render) in enumerate(findings):
        object.__setattr__(finding, "remediation", Deferred(partial(steps.of, index)))
    return Diagnosis(analysis, tuple(f for f, _render in findings), tuple(not_evaluated), steps)


def diagnose(event: Event, dump: Dump) -> tuple[Finding, ...]:
    """Return the findings for ``event``, most likely root cause first."""
    return evaluate(event, dump).findings

"""knowledge.directinit: the frozen dataclasses the diagnosis makes per event get a faster
``__init__`` (issue 12) that must make exactly the objects the dataclass's own one makes."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest
from oomcases import corpus_cases, is_held_out, load_case

from bot.pipeline import analyze
from knowledge import analysis, model, overview
from knowledge.directinit import direct_init

DECORATED = [
    model.Evidence,
    model.Finding,
    analysis.Figure,
    analysis.ZoneView,
    analysis.TaskUse,
    analysis.Environment,
    overview.MemoryPart,
    overview.ProcessRow,
    overview.Overview,
    overview.Victim,
    overview.Request,
    overview.ZoneState,
    overview.MemoryBreakdown,
]
CASES = [case for case in corpus_cases() if not is_held_out(case)][::7]


def _state(obj: Any) -> dict[str, Any]:
    """What the instance holds, as stored (not through a descriptor that would compute it)."""
    if hasattr(obj, "__dict__"):
        return dict(vars(obj))
    return {f.name: object.__getattribute__(obj, f.name) for f in dataclasses.fields(obj)}


def _objects(value: Any, seen: set[int]) -> Any:
    """Every dataclass instance reachable from ``value`` through fields, tuples and lists."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield value
        for field in dataclasses.fields(value):
            state = _state(value)
            if field.name in state:
                yield from _objects(state[field.name], seen)
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _objects(item, seen)


def test_each_decorated_class_has_the_fast_init():
    for cls in DECORATED:
        assert hasattr(cls.__init__, "__dataclass_init__"), cls


@pytest.mark.parametrize("case", CASES)
def test_objects_of_a_real_analysis_are_those_the_dataclass_init_makes(case):
    report = analyze(load_case(case)[0])
    checked = 0
    for analysed in report.events:
        roots = (analysed.overview, analysed.diagnosis.findings, analysed.diagnosis.analysis.zones)
        for obj in _objects(roots, set()):
            cls = type(obj)
            if cls not in DECORATED:
                continue
            state = _state(obj)
            original = cls.__new__(cls)
            cls.__init__.__dataclass_init__(original, **state)
            assert _state(original) == state
            assert list(_state(original)) == list(state)  # the same fields in the same order
            assert original == obj
            checked += 1
    assert checked > 0 or not report.events


def test_defaults_slots_and_frozenness_are_kept():
    evidence = model.Evidence("ram_kb", 1024, "RAM")
    assert vars(evidence) == {"name": "ram_kb", "value": 1024, "label": "RAM", "lines": (), "unit": None}
    with pytest.raises(dataclasses.FrozenInstanceError):
        evidence.value = 2  # type: ignore[misc]
    assert dataclasses.replace(evidence, unit="kB") == model.Evidence("ram_kb", 1024, "RAM", (), "kB")
    assert pickle.loads(pickle.dumps(evidence)) == evidence
    group = analysis.TaskUse("java", 10, 2, 1, None, ())
    assert not hasattr(group, "__dict__") and group.badness_kb == 13
    with pytest.raises(dataclasses.FrozenInstanceError):
        group.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        model.Evidence("ram_kb", 1024)  # type: ignore[call-arg]


def test_classes_it_cannot_copy_faithfully_are_refused():
    @dataclasses.dataclass
    class Mutable:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True)
    class KeywordOnly:
        a: int = dataclasses.field(kw_only=True)

    for cls in (Mutable, Factory, Post, KeywordOnly):
        with pytest.raises(TypeError):
            direct_init(cls)

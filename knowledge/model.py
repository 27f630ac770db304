"""What the knowledge base produces: findings about one event, ranked, with quoted evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from grammar.facts import SourceLine

from .directinit import direct_init

T = TypeVar("T")


class Deferred(Generic[T]):
    """A value computed the first time it is read (see :class:`DeferredField`).

    A copy or a pickle holds the computed value, never the function: what crosses to another
    process (``--jobs``) or into a cache is plain data."""

    __slots__ = ("compute",)

    def __init__(self, compute: Callable[[], T]) -> None:
        self.compute = compute

    def __reduce__(self) -> tuple[Callable[[T], T], tuple[T]]:
        return _identity, (self.compute(),)


def _identity(value: T) -> T:
    return value


class DeferredField(Generic[T]):
    """A dataclass field that may be given a :class:`Deferred` instead of its value.

    Reading the field computes the value once and keeps it in its place; for every other purpose
    (``dataclasses.fields``, ``==``, ``repr``, ``hash``, pickling) the field is a plain ``T``. A
    finding's text is one: rendering every finding's templates costs a fifth of the diagnosis, and
    most surfaces show the text of one or two findings (issue 12)."""

    _NO_DEFAULT: Any = object()

    def __init__(self, default: Any = _NO_DEFAULT) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> T: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> T:
        if obj is None:  # the dataclass asking for the field's default
            if self.default is DeferredField._NO_DEFAULT:
                raise AttributeError(self.name)
            return self.default  # type: ignore[no-any-return]
        value = obj.__dict__[self.name]
        if isinstance(value, Deferred):
            value = value.compute()
            obj.__dict__[self.name] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T | Deferred[T]) -> None:
        # a frozen dataclass's __init__ sets fields with object.__setattr__, which calls this
        obj.__dict__[self.name] = value


@direct_init
@dataclass(frozen=True)
class Evidence:
    """A named figure that supports a finding, with the paste lines it was read from."""

    name: str  # e.g. "normal_free_kb"
    value: object  # int, str, float or bool
    label: str  # human wording, e.g. "Normal free"
    lines: tuple[SourceLine, ...] = ()
    unit: str | None = None  # "kB", "%", "count", "pages" or "text" (from the catalogue record)


@direct_init
@dataclass(frozen=True)
class Finding:
    """One diagnosis: a catalogue entry that fired for an event.

    ``explanation`` and ``remediation`` are rendered from the catalogue's templates when first
    read (``knowledge.diagnose`` passes them as :class:`Deferred`)."""

    code: str  # stable, e.g. "OOM101"
    name: str  # dotted, e.g. "lowmem.normal_below_min"
    category: str  # one of the root-cause categories of FORMAT.md
    title: str
    severity: str  # "critical", "high", "medium", "low", "info"
    confidence: float  # 0..1
    role: str  # "root-cause", "contributing", "context"
    explanation: DeferredField[str] = DeferredField()  # rendered from the catalogue template, plain text
    evidence: tuple[Evidence, ...] = ()
    remediation: DeferredField[tuple[str, ...]] = DeferredField(())
    references: tuple[str, ...] = ()

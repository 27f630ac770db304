"""A faster ``__init__`` for the frozen dataclasses the diagnosis makes for every event (issue 12).

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__(self, name,
value)`` (its own ``__setattr__`` refuses): a global look-up, a method look-up and a call through
the slot wrapper per field. The diagnosis and the overview make some fifty such objects per event
(evidence, zones, figures, process rows, findings), and their ``__init__`` was a tenth of the time
of ``analyse_event``. ``direct_init`` gives such a class an ``__init__`` with the same parameters
that stores each value where ``object.__setattr__`` would have put it: the instance's ``__dict__``
(through which a field's data descriptor, ``model.DeferredField``, stores too), or for a
``slots=True`` class the slot's own descriptor. The objects are the same, field for field; the
class stays frozen (its ``__setattr__`` and ``__delattr__`` are untouched), and equality, hashing,
``repr``, pickling and ``dataclasses.replace`` are the dataclass's own.

Only plain classes are accepted: every field in ``__init__``, positional, without
``default_factory``, and no ``__post_init__``; anything else raises at import. The code is
compiled through ``dataclasses``' ``exec`` name, so the start-up cache
(``knowledge.diskcache.startup_compiled``) keeps it as it keeps the dataclass's own methods.
"""

from __future__ import annotations

import builtins
import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def direct_init(cls: type[T]) -> type[T]:
    """Replace the ``__init__`` of the frozen dataclass ``cls`` (see the module's docstring)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen:
        raise TypeError(f"direct_init: {cls.__name__} is not a frozen dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"direct_init: {cls.__name__} has a __post_init__")
    slots = "__slots__" in vars(cls)
    namespace: dict[str, Any] = {}
    parameters: list[str] = []
    body: list[str] = [] if slots else ["    __d = self.__dict__"]
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if not field.init or field.kw_only or field.default_factory is not dataclasses.MISSING:
            raise TypeError(f"direct_init: {cls.__name__}.{name} is not a plain positional field")
        if field.default is dataclasses.MISSING:
            parameters.append(name)
        else:
            namespace[f"__default_{name}"] = field.default
            parameters.append(f"{name}=__default_{name}")
        if slots:
            namespace[f"__set_{name}"] = vars(cls)[name].__set__
            body.append(f"    __set_{name}(self, {name})")
        else:
            body.append(f"    __d[{name!r}] = {name}")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"
    # dataclasses' own exec when the start-up cache has put one there (it keeps compiled code)
    run = getattr(dataclasses, "exec", builtins.exec)
    run(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__dataclass_init__ = cls.__init__  # (the generated one, for tests to compare with)
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


__all__ = ["direct_init"]

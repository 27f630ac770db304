"""Drivers whose high-order buffers a module parameter of their own keeps or shrinks
(knowledge/driver_params.yaml), matched against one event's call trace.

Data, not code: each record names the module, the function that allocates the buffer, the
parameter and its source. ``matching`` is what the high-order findings' module step reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from grammar import regexcache

from .yamlload import load_yaml

PATH = Path(__file__).with_name("driver_params.yaml")


@dataclass(frozen=True)
class DriverParam:
    id: str
    module: re.Pattern[str]
    trace: re.Pattern[str]
    parameter: str
    effect: str
    set: str
    source: str


@lru_cache(maxsize=1)
def load() -> tuple[DriverParam, ...]:
    return tuple(
        DriverParam(
            id=r["id"],
            module=regexcache.compile(r["module"]),
            trace=regexcache.compile(r["trace"]),
            parameter=r["parameter"],
            effect=r["effect"],
            set=r["set"],
            source=r["source"],
        )
        for r in load_yaml(PATH.read_text("utf-8")) or []
    )


def matching(module: str | None, functions: tuple[str, ...] | list[str]) -> DriverParam | None:
    """The record for ``module`` (the loadable module in the call trace) whose allocating function
    is among ``functions`` (the trace's function names; ppc64's leading dots ignored)."""
    if not module:
        return None
    for record in load():
        if record.module.search(module) and any(record.trace.search(f.lstrip(".")) for f in functions):
            return record
    return None

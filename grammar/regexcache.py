"""Compiled regular expressions whose programs are kept across processes, like a .pyc.

``re.compile`` parses a pattern and generates the regex engine's program in pure Python: for the
classifier's one pattern of every line terminal (9 kB) that is 17 ms, for the context and prefix
grammars' joined terminals 6-12 ms more, a tenth of `oomlens analyze`'s start-up. The program is
a list of integers that depends only on the pattern text, the flags and the interpreter, so a
start-up that has it gives it straight to the engine (``_sre.compile``, what ``re.compile``
itself ends with), which checks it before use.

The grammar's joined patterns and each terminal's own pattern come here (``compile``), as do the
knowledge catalogue's patterns read from its own YAML files (package data: kernel_fixes,
kernel_series, workloads); so do patterns that module bodies compile while a store is installed
(``knowledge.diskcache.startup_compiled`` does so for the command line). Never one built from
input. The store is the caller's: grammar/ imports nothing from
knowledge/. Without one, and on anything unexpected (another interpreter's layout, a damaged
entry), this is ``re.compile``. A program is kept only when the pattern rebuilt from it compares
equal to the one ``re.compile`` made (``re.Pattern`` equality compares flags, text and program).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from typing import Any

# The program is kept as the bytes of an array of 32-bit items (``_CODE``, what the engine's
# SRE_CODE is): read back, it is one string of bytes for marshal, not a list of ten thousand
# integers (the start-up file's 252 programs took 15M instructions to read as lists, 7M so).
Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
_CODE = "I"
Lookup = Callable[[str, int], Any]  # (pattern, flags) -> an Entry as stored, or None
Remember = Callable[[str, int, Entry], None]

_store: list[tuple[Lookup, Remember]] = []  # at most one: the installed store


def install(lookup: Lookup, remember: Remember) -> None:
    """Keep compiled programs with ``lookup`` / ``remember`` from now on."""
    _store[:] = [(lookup, remember)]


def uninstall() -> None:
    _store.clear()


def _engine() -> Any:
    try:
        import _sre  # type: ignore[import-not-found]  # CPython's regex engine, which ``re`` drives
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:  # another implementation: plain re.compile
        return None
    return _sre, _compiler, _parser


def rebuilt(pattern: str, entry: Any) -> re.Pattern[str] | None:
    """The pattern from a stored program, None when the entry does not fit this interpreter."""
    engine = _engine()
    if engine is None or entry is None:
        return None
    try:
        flags, code, *rest = entry
        return engine[0].compile(pattern, flags, array(_CODE, code).tolist(), *rest)  # type: ignore[no-any-return]
    except Exception:  # a damaged or foreign entry
        return None


def program(pattern: str, flags: int, compiled: re.Pattern[str]) -> Entry | None:
    """What to store for ``compiled`` (``re.compile(pattern, flags)``); None when the pattern
    rebuilt from it would not equal ``compiled``."""
    engine = _engine()
    if engine is None:
        return None
    try:
        code = array(_CODE, engine[1]._code(engine[2].parse(pattern, flags), flags)).tobytes()
        indexgroup: list[str | None] = [None] * (compiled.groups + 1)
        for group, index in compiled.groupindex.items():
            indexgroup[index] = group
        entry: Entry = (compiled.flags, code, compiled.groups, dict(compiled.groupindex), tuple(indexgroup))
        return entry if rebuilt(pattern, entry) == compiled else None
    except Exception:  # nothing kept
        return None


def compile(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)`` (no flags), from the installed store when it holds the program."""
    if not _store:
        return re.compile(pattern)
    lookup, remember = _store[0]
    compiled = rebuilt(pattern, lookup(pattern, 0))
    if compiled is None:
        compiled = re.compile(pattern)
        entry = program(pattern, 0, compiled)
        if entry is not None:
            remember(pattern, 0, entry)
    return compiled

"""The grammar's big joined patterns, compiled once per interpreter build rather than at every start.

``re.compile`` parses a pattern and generates the regex engine's program in pure Python: for the
classifier's one pattern of every line terminal (9 kB) that is 17 ms, for the context and prefix
grammars' joined terminals 6-12 ms more, a tenth of `oomlens analyze`'s start-up. The program is
a list of integers that depends only on the pattern text and the interpreter, so it can be kept
like a .pyc: a start-up that finds it gives it straight to the engine (``_sre.compile``, what
``re.compile`` itself ends with), which checks it before use.

Only patterns built from the grammar files come here (``compile``), never one built from input.
The store is the caller's (``knowledge.diskcache`` installs the per-user cache directory for the
command line: grammar/ imports nothing from knowledge/); without one, and on anything unexpected
(another interpreter's layout, a damaged entry), this is ``re.compile``. An entry is written only
when the program rebuilt from it compares equal to the one ``re.compile`` made (``re.Pattern``
equality compares flags, pattern text and program).
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sys
from collections.abc import Callable
from typing import Any

Read = Callable[[str], bytes | None]
Write = Callable[[str, bytes], None]

_store: list[tuple[Read, Write]] = []  # at most one: (read, write) of the installed store


def install(read: Read, write: Write) -> None:
    """Keep compiled programs with ``read(name)`` / ``write(name, data)`` from now on."""
    _store[:] = [(read, write)]


def uninstall() -> None:
    _store.clear()


def _engine() -> Any:
    try:
        import _sre  # type: ignore[import-not-found]  # CPython's regex engine, which ``re`` drives
        from re import _compiler, _parser  # type: ignore[attr-defined]
    except ImportError:  # another implementation: plain re.compile
        return None
    return _sre, _compiler, _parser


def _name(pattern: str, engine: Any) -> str:
    # the program's layout follows the engine (MAGIC) and the interpreter build
    digest = hashlib.blake2b(f"{sys.version}\0{engine[0].MAGIC}\0".encode(), digest_size=20)
    digest.update(pattern.encode("utf-8", "surrogatepass"))
    return f"re-{digest.hexdigest()}.marshal"


def compile(pattern: str) -> re.Pattern[str]:
    """``re.compile(pattern)`` (no flags), from the installed store when it holds the program."""
    engine = _engine() if _store else None
    if engine is None:
        return re.compile(pattern)
    read, write = _store[0]
    name = _name(pattern, engine)
    data = read(name)
    if data is not None:
        try:
            return engine[0].compile(pattern, *marshal.loads(data))  # type: ignore[no-any-return]
        except Exception:  # a damaged or foreign entry: compiled below and replaced
            pass
    compiled = re.compile(pattern)
    try:
        program = [int(op) for op in engine[1]._code(engine[2].parse(pattern, 0), 0)]  # opcodes are int subclasses
        indexgroup: list[str | None] = [None] * (compiled.groups + 1)
        for group, index in compiled.groupindex.items():
            indexgroup[index] = group
        entry = (compiled.flags, program, compiled.groups, dict(compiled.groupindex), tuple(indexgroup))
        if engine[0].compile(pattern, *entry) == compiled:
            write(name, marshal.dumps(entry))
    except Exception:  # nothing kept; the pattern compiled as usual is returned
        pass
    return compiled

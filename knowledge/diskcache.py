"""A per-user cache directory for what every start-up would otherwise rebuild from the package's
own files: the parsed YAML data files, compiled Jinja templates, the methods ``dataclasses``
writes for each class and the grammar's joined patterns (``startup_compiled``).

Entries are keyed by a hash of their source text (and the Python version where the format
depends on it), so an edited file or another interpreter never reads a stale entry. The
directory is ``$OOMLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/oomlens``, else
``~/.cache/oomlens``; ``OOMLENS_CACHE_DIR=`` (empty) turns the cache off. When the directory
cannot be created or written (a read-only home in a container), everything still works: the
files are read and compiled as if there were no cache.
"""

from __future__ import annotations

import builtins
import hashlib
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any

from grammar import derived, regexcache

_TAG = f"py{sys.version_info[0]}{sys.version_info[1]}"


@cache
def cache_dir() -> Path | None:
    """The cache directory, created on first use; None when there is none or it is unusable."""
    configured = os.environ.get("OOMLENS_CACHE_DIR")
    if configured is not None:
        if not configured:
            return None
        path = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "oomlens"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK | os.X_OK) else None


def key(*parts: str | bytes) -> str:
    """A file-name-safe digest of ``parts`` and the interpreter's version."""
    digest = hashlib.blake2b(_TAG.encode(), digest_size=20)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


def read(name: str) -> bytes | None:
    directory = cache_dir()
    if directory is None:
        return None
    try:
        return (directory / name).read_bytes()
    except OSError:
        return None


# Every upgrade or edited file leaves its old entries behind (they are keyed by content, never
# overwritten). A process that writes (it missed, so something changed) trims the directory once:
# beyond MAX_ENTRIES the oldest files by modification time go, which are those of older versions.
MAX_ENTRIES = 4096
_trimmed: list[bool] = []


def trim(directory: Path, keep: int = MAX_ENTRIES) -> int:
    """Remove the oldest entries beyond ``keep`` (half of them, so trimming is rare); returns how
    many were removed. Failures (a file another process removed first) are ignored."""
    try:
        entries = [entry for entry in os.scandir(directory) if entry.is_file() and not entry.name.startswith(".tmp-")]
    except OSError:
        return 0
    if len(entries) <= keep:
        return 0
    entries.sort(key=lambda entry: entry.stat().st_mtime)
    removed = 0
    for entry in entries[: len(entries) - keep // 2]:
        try:
            os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed


def write(name: str, data: bytes) -> None:
    """Write an entry atomically (a reader never sees half of it); failures are ignored."""
    directory = cache_dir()
    if directory is None:
        return
    if not _trimmed:
        _trimmed.append(True)
        trim(directory)
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, directory / name)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


def jinja_bytecode_cache(namespace: str) -> object | None:
    """A Jinja bytecode cache in the cache directory (compiling a template costs about 1 ms; loading
    its code back, a few µs), or None without a directory. ``namespace`` keeps environments whose
    options differ (and so compile the same file differently) apart."""
    if cache_dir() is None:
        return None
    import jinja2

    class _DiskBytecodeCache(jinja2.BytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            data = read(f"jinja-{namespace}-{bucket.key}")
            if data is not None:
                bucket.bytecode_from_string(data)  # checks Jinja's magic and the source's checksum

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            write(f"jinja-{namespace}-{bucket.key}", bucket.bytecode_to_string())

    return _DiskBytecodeCache()


# ------------------------------------------------------------------------- compiled at start-up
# ``dataclasses`` writes the source of each class's __init__, __repr__, __eq__, __hash__ (and, when
# frozen, __setattr__ and __delattr__) and compiles it when the class statement runs: about 0.6 ms
# a class on CPython 3.11, 40 ms of every `oomlens analyze` for the 70 classes it imports, more
# than any other part of importing our modules. ``re.compile`` generates a regex program in pure
# Python: 30 ms for the grammar's three joined patterns, 10 ms for the patterns module bodies
# compile. The same text always compiles to the same code and program, so both are kept in one
# file like a .pyc, keyed by the text itself (and the flags) and the exact interpreter build
# (marshal's format for code follows it). At most this many entries are kept; beyond that the
# file keeps only those the last process that wrote it used.
MAX_COMPILED = 4096
_STARTUP_TAG = f"{sys.version} {sys.implementation.cache_tag}"
_RE_DIRECTORY = os.path.dirname(re.__file__) + os.sep


class _Compiled:
    """The start-up file's two tables, read on first use: functions by source text, regex
    programs by (pattern, flags)."""

    def __init__(self, profile: str = "") -> None:
        tag = re.sub(r"[^a-z0-9]+", "-", profile.lower()).strip("-")
        self.name = f"startup-{tag + '-' if tag else ''}{key(_STARTUP_TAG)}.marshal"
        self.functions: dict[str, CodeType] = {}
        self.patterns: dict[tuple[str, int], Any] = {}
        self.loaded = False
        self.used: set[object] = set()
        self.fresh = False

    def _load(self) -> None:
        self.loaded = True
        data = read(self.name)
        if data is None:
            return
        try:
            functions, patterns = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return  # a damaged entry: written again on exit
        if isinstance(functions, dict) and isinstance(patterns, dict):
            self.functions = {k: v for k, v in functions.items() if isinstance(k, str) and isinstance(v, CodeType)}
            self.patterns = patterns

    def exec(self, source: Any, globals_: Any = None, locals_: Any = None) -> None:
        """``exec`` for ``dataclasses``: a text it has compiled before runs from the table."""
        if isinstance(source, str):
            if not self.loaded:
                self._load()
            code = self.functions.get(source)
            if code is None:
                code = self.functions[source] = compile(source, "<string>", "exec")
                self.fresh = True
            self.used.add(source)
            source = code
        builtins.exec(source, globals_, locals_)

    def lookup(self, pattern: str, flags: int) -> Any:
        if not self.loaded:
            self._load()
        self.used.add((pattern, flags))
        return self.patterns.get((pattern, flags))

    def remember(self, pattern: str, flags: int, entry: Any) -> None:
        self.patterns[(pattern, flags)] = entry
        self.fresh = True

    def module_compile(self, original: Callable[..., Any]) -> Callable[..., Any]:
        """``re._compiler.compile`` that serves the patterns a module body compiles from the table.
        A pattern a function compiles (which may be built from input) is compiled as usual."""

        def compile_pattern(pattern: Any, flags: int = 0) -> Any:
            if isinstance(pattern, str) and not flags & re.DEBUG and _from_module_body():
                compiled = regexcache.rebuilt(pattern, self.lookup(pattern, flags))
                if compiled is None:
                    compiled = original(pattern, flags)
                    entry = regexcache.program(pattern, flags, compiled)
                    if entry is not None:
                        self.remember(pattern, flags, entry)
                return compiled
            return original(pattern, flags)

        return compile_pattern

    def save(self) -> None:
        if not self.fresh:
            return
        functions, patterns = self.functions, self.patterns
        if len(functions) + len(patterns) > MAX_COMPILED:
            functions = {k: v for k, v in functions.items() if k in self.used}
            patterns = {k: v for k, v in patterns.items() if k in self.used}
        try:
            data = marshal.dumps((functions, patterns))
        except ValueError:
            return
        write(self.name, data)


def _from_module_body() -> bool:
    """Whether the code that asked ``re`` for this pattern is a module's body (a literal pattern,
    never one built from input)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_RE_DIRECTORY):
        frame = frame.f_back  # type: ignore[assignment]
    return frame is not None and frame.f_code.co_name == "<module>"


@contextmanager
def startup_compiled(profile: str = "") -> Iterator[None]:
    """While open, what a command compiles as its modules are first imported and its grammar first
    loaded is kept in the cache directory and read back by the next process: the functions
    ``dataclasses`` generates, the programs of the grammar's patterns (``grammar.regexcache``)
    and those of the patterns module bodies compile, and what the lexicon derives from the
    grammar files (``grammar.derived``, a file each). The command line
    opens it around a command. All are exactly what would be compiled without it; only the
    compiling is skipped. Nothing changes without a cache directory.

    ``profile`` names what is run (the command line passes the command and its output format):
    each profile has its own file, holding what that profile compiles, so a start-up reads the
    entries it uses and not those of every command and format ever run (one file for all had
    grown past 1 MB, 14M instructions to read at every start).

    Two module attributes are replaced while it is open and restored afterwards: ``dataclasses``
    calls the built-in ``exec`` on the text it writes, which a module-level ``exec`` shadows,
    and ``re`` calls ``re._compiler.compile`` for a pattern it has not compiled in this process.
    Neither is touched when something else already replaced it."""
    import dataclasses

    if cache_dir() is None:
        yield
        return
    compiled = _Compiled(profile)
    hook_exec = "exec" not in vars(dataclasses)
    if hook_exec:
        dataclasses.exec = compiled.exec  # type: ignore[attr-defined]
    re_compiler: Any = getattr(re, "_compiler", None)
    original: Any = getattr(re_compiler, "compile", None)
    hook_re = callable(original) and getattr(original, "__module__", None) == "re._compiler"
    if hook_re:
        re_compiler.compile = compiled.module_compile(original)
    regexcache.install(compiled.lookup, compiled.remember)
    derived.install(read, write)
    try:
        yield
    finally:
        derived.uninstall()
        regexcache.uninstall()
        if hook_re:
            re_compiler.compile = original
        if hook_exec:
            del dataclasses.exec  # type: ignore[attr-defined]
        compiled.save()

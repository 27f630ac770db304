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
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any

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


# ------------------------------------------------------------------------- generated code
# ``dataclasses`` writes the source of each class's __init__, __repr__, __eq__, __hash__ (and, when
# frozen, __setattr__ and __delattr__) and compiles it when the class statement runs: about 0.6 ms
# a class on CPython 3.11, 40 ms of every `oomlens analyze` for the 70 classes it imports, more
# than any other part of importing our modules. The same text always compiles to the same code,
# so the code is kept here like a .pyc, keyed by the text itself and the exact interpreter build
# (marshal's format for code follows it). At most this many functions are kept; beyond that the
# file keeps only those the last process that wrote it used.
MAX_FUNCTIONS = 4096
_CODE_TAG = f"{sys.version} {sys.implementation.cache_tag}"


class _CodeCache:
    def __init__(self) -> None:
        self.name = f"code-{key(_CODE_TAG)}.marshal"
        self.known: dict[str, CodeType] | None = None  # read on the first class, not before
        self.used: set[str] = set()
        self.fresh = False

    def _load(self) -> dict[str, CodeType]:
        known: dict[str, CodeType] = {}
        data = read(self.name)
        if data is not None:
            try:
                loaded = marshal.loads(data)
            except (EOFError, ValueError, TypeError):
                loaded = None  # a damaged entry: written again below
            if isinstance(loaded, dict):
                known = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType)}
        return known

    def exec(self, source: Any, globals_: Any = None, locals_: Any = None) -> None:
        if isinstance(source, str):
            if self.known is None:
                self.known = self._load()
            code = self.known.get(source)
            if code is None:
                code = self.known[source] = compile(source, "<string>", "exec")
                self.fresh = True
            self.used.add(source)
            source = code
        builtins.exec(source, globals_, locals_)

    def save(self) -> None:
        if not self.fresh or self.known is None:
            return
        kept = self.known
        if len(kept) > MAX_FUNCTIONS:
            kept = {k: v for k, v in kept.items() if k in self.used}
        try:
            data = marshal.dumps(kept)
        except ValueError:
            return
        write(self.name, data)


@contextmanager
def startup_compiled() -> Iterator[None]:
    """While open, what a command compiles as its modules are first imported and its grammar first
    loaded is kept in the cache directory and read back by the next process: the functions
    ``dataclasses`` generates, and the programs of the grammar's joined patterns
    (``grammar.regexcache``). The command line opens it around a command. Both are exactly what
    would be compiled without it; only the compiling is skipped. Nothing changes without a cache
    directory.

    ``dataclasses`` calls the built-in ``exec`` on the text it writes; a module-level ``exec``
    shadows it in that one module while this is open and is removed afterwards (not when
    something else already shadows it)."""
    import dataclasses

    from grammar import regexcache

    if cache_dir() is None:
        yield
        return
    code = _CodeCache() if "exec" not in vars(dataclasses) else None
    if code is not None:
        dataclasses.exec = code.exec  # type: ignore[attr-defined]
    regexcache.install(read, write)
    try:
        yield
    finally:
        regexcache.uninstall()
        if code is not None:
            del dataclasses.exec  # type: ignore[attr-defined]
            code.save()

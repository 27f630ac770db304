"""A per-user cache directory for what every start-up would otherwise rebuild from the package's
own files: the parsed YAML data files and compiled Jinja templates.

Entries are keyed by a hash of their source text (and the Python version where the format
depends on it), so an edited file or another interpreter never reads a stale entry. The
directory is ``$OOMLENS_CACHE_DIR``, else ``$XDG_CACHE_HOME/oomlens``, else
``~/.cache/oomlens``; ``OOMLENS_CACHE_DIR=`` (empty) turns the cache off. When the directory
cannot be created or written (a read-only home in a container), everything still works: the
files are read and compiled as if there were no cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache
from pathlib import Path

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

"""Values derived from the grammar files alone, kept across processes like a .pyc.

At start-up the lexicon derives from ``oom.lark`` the classifier's alternation and each line
terminal's own pattern, and from ``prefixes.lark`` and ``context.lark`` the prefix and context
alternations. Deriving them needs each grammar loaded by Lark (from Lark's cache, for the prefix
and context grammars 11M and 26M instructions) and every terminal converted to its regular
expression and rewritten without groups (``lexicon._without_groups``, pure Python over 40 kB of
patterns). The results are strings, tuples and dicts that depend only on the grammar file, the
code that derives them, Lark's version and the interpreter, so a start-up that has them (as
marshal data, which runs no code when read) skips all of that, and the prefix and context
grammars are not loaded at all. (With the terminals' own patterns compiled through
``regexcache`` when first met, `oomlens analyze` went from 820M to 692M instructions.)

``derived(name, files, compute, valid)`` is ``compute()``, from the installed store when it
holds a value under a digest of ``files`` (this package's files: the grammar and every module
whose code computes the value), Lark's version and the interpreter's build. An edited grammar
or module, another Lark or another Python never reads a stale value. The store is the caller's
(``knowledge.diskcache.startup_compiled`` installs one for the command line; grammar/ imports
nothing from knowledge/); without one, when a file cannot be read or on a damaged entry (which
``valid`` rejects, or marshal cannot read), this is ``compute()``.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

Read = Callable[[str], bytes | None]  # entry name -> its bytes, None when absent
Write = Callable[[str, bytes], None]
T = TypeVar("T")

_store: list[tuple[Read, Write]] = []  # at most one: the installed store
_DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def install(read: Read, write: Write) -> None:
    """Keep derived values with ``read`` / ``write`` from now on."""
    _store[:] = [(read, write)]


def uninstall() -> None:
    _store.clear()


def sources_key(files: tuple[str, ...]) -> str | None:
    """A digest of ``files`` (names in this package's directory), Lark's version and the
    interpreter's build (marshal's format follows it); None when a file cannot be read."""
    from lark import __version__ as lark_version

    digest = hashlib.blake2b(
        f"{lark_version}\x00{sys.version}\x00{sys.implementation.cache_tag}".encode(), digest_size=20
    )
    for name in files:
        file_digest = _file_digest(os.path.join(_DIRECTORY, name))
        if file_digest is None:
            return None
        digest.update(f"\x00{name}\x00".encode())
        digest.update(file_digest)
    return digest.hexdigest()


# Each file's digest, kept while its size, modification time and inode stay the same: the derived
# values share their files (the grammar, lexicon.py, firstchars.py), which were read and hashed
# again for each value (3M instructions of a start-up).
_FILE_DIGESTS: dict[str, tuple[tuple[int, int, int], bytes]] = {}


def _file_digest(path: str) -> bytes | None:
    try:
        status = os.stat(path)
        stamp = (status.st_size, status.st_mtime_ns, status.st_ino)
        kept = _FILE_DIGESTS.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    file_digest = hashlib.blake2b(data, digest_size=20).digest() + len(data).to_bytes(8, "little")
    _FILE_DIGESTS[path] = (stamp, file_digest)
    return file_digest


def derived(name: str, files: tuple[str, ...], compute: Callable[[], T], valid: Callable[[Any], bool]) -> T:
    """``compute()``, kept in the installed store under ``name`` and a digest of ``files``. The
    value must be marshal data; ``valid`` checks the shape of one read back."""
    if not _store:
        return compute()
    read, write = _store[0]
    key = sources_key(files)
    if key is None:
        return compute()
    entry = f"grammar-{name}-{key}.marshal"
    data = read(entry)
    if data is not None:
        try:
            value = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            value = None  # a damaged entry: computed and written again
        try:
            if value is not None and valid(value):
                return value  # type: ignore[no-any-return]
        except Exception:  # a shape ``valid`` did not expect
            pass
    value = compute()
    try:
        data = marshal.dumps(value)  # type: ignore[arg-type]  # checked here: ValueError if not
    except ValueError:  # not marshal data: not kept
        return value
    write(entry, data)
    return value

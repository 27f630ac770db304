"""Kernel release strings -> version, distro family, development tree: the one release parser.

The parser (task-table columns by era), the diagnosis (version-dependent rules) and gfp decoding
(which table) all read a release through :func:`parse_release` or :func:`release_version`.

A release string is what `uname -r` prints and what the `CPU: ... <release> #1` header of a
dump shows: "3.2.59", "5.14.0-651.el9.x86_64", "5.4.17-2136.307.3.4.el8uek.x86_64",
"4.5.0-rc2-next-20160203", "5.4.46-rc1-00035-g12a5ce113626", ... Only the leading
``major.minor[.patch]`` and a few well-known suffixes matter for choosing a gfp table:

* ``.el6`` / ``.el7`` / ``.el8`` / ``.el9`` (also ``.el8_2``): a RHEL-family kernel with its own
  backports, but only when the base version is the one that RHEL release ships.
* ``el8uek`` (Oracle UEK) and ``.elrepo`` (ELRepo kernel-ml/-lt): upstream kernels built for
  EL, *not* RHEL kernels.
* ``-next-YYYYMMDD``, ``X.Y.0-rcN-NNN-gHASH``, ``X.Y.0-NNN-gHASH``, ``-rcN-mmN``: development
  trees that already carry (some of) the next release's code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_VERSION_RE = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")
_RC_RE = re.compile(r"[-.]rc(\d+)")
_NEXT_RE = re.compile(r"-next-(\d{8})")
# `git describe`-style suffix that LKP/0day, KernelCI and localversion-auto builds print:
# 6.6.0-rc2-00008-g376fdc4552f1, 6.16.0-00015-gf09eb0d6badc
_DESCRIBE_RE = re.compile(r"-(\d+)-g([0-9a-f]{7,40})\b")
_MM_TREE_RE = re.compile(r"-rc\d+-mm\d+")
_EL_RE = re.compile(r"\.el(\d+)(?:_\d+)?(?![0-9a-z])")
_UEK_RE = re.compile(r"el\d+uek")

# RHEL major -> the upstream base version its kernels report.
RHEL_BASE: dict[int, tuple[int, int]] = {6: (2, 6), 7: (3, 10), 8: (4, 18), 9: (5, 14)}
# Last minor of each major series, so the "next release" of 4.20 is 5.0, not 4.21.
_LAST_MINOR: dict[int, int] = {3: 19, 4: 20, 5: 19, 6: 19}
_LAST_2_6_SUBLEVEL = 39


@dataclass(frozen=True)
class KernelRelease:
    """What a release string says about the kernel's source."""

    raw: str
    version: tuple[int, int, int]  # (major, minor, patch); 2.6.x keeps x as `patch`
    rc: int | None
    distro: str | None  # "el6", "el7", "el8", "el9", "uek", "elrepo" or None
    development: str | None  # "linux-next", "git-describe", "mm-tree" or None
    next_date: str | None  # YYYYMMDD of a linux-next tree

    @property
    def series(self) -> tuple[int, ...]:
        """The release series gfp tables are keyed by: (2, 6, 32), (3, 10), (6, 1), ..."""
        major, minor, patch = self.version
        if (major, minor) == (2, 6):
            return (2, 6, patch)
        return (major, minor)

    @property
    def pre_release(self) -> str | None:
        """What kind of pre-release tree this is: ``development`` or "rc" for a release candidate,
        None for a release."""
        return self.development or ("rc" if self.rc is not None else None)

    @property
    def next_series(self) -> tuple[int, ...]:
        """The release a development tree of this series becomes."""
        major, minor, patch = self.version
        if (major, minor) == (2, 6):
            return (3, 0) if patch >= _LAST_2_6_SUBLEVEL else (2, 6, patch + 1)
        if minor >= _LAST_MINOR.get(major, 10_000):
            return (major + 1, 0)
        return (major, minor + 1)

    @property
    def rhel_major(self) -> int | None:
        """The RHEL major release when this is a RHEL-family kernel of that release's base."""
        if self.distro is None or not self.distro[2:].isdigit() or not self.distro.startswith("el"):
            return None
        major = int(self.distro[2:])
        base = RHEL_BASE.get(major)
        if base is None or (self.version[0], self.version[1]) != base:
            return None
        if major == 6 and self.version[2] != 32:
            return None
        return major


@lru_cache(maxsize=256)  # pure, and its result frozen: each event and several checks ask for the same release
def parse_release(text: str | None) -> KernelRelease | None:
    """Parse a kernel release string; ``None`` when it has no leading ``major.minor``."""
    if not text:
        return None
    match = _VERSION_RE.match(text)
    if match is None:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    patch = int(match.group(3)) if match.group(3) else 0
    rest = text[match.end() :]
    # Prose after the release ("5.11 (arm64, 64K pages; ...)") is not part of it.
    release_part = rest.split(None, 1)[0] if rest.strip() else ""
    if release_part.startswith("("):
        release_part = ""

    rc_match = _RC_RE.search(release_part)
    rc = int(rc_match.group(1)) if rc_match else None

    distro: str | None = None
    if "elrepo" in release_part:
        distro = "elrepo"
    elif _UEK_RE.search(release_part) or "uek" in release_part.lower():
        distro = "uek"
    else:
        el_match = _EL_RE.search(release_part)
        if el_match:
            distro = f"el{el_match.group(1)}"

    development: str | None = None
    next_date: str | None = None
    next_match = _NEXT_RE.search(release_part)
    if next_match:
        development = "linux-next"
        next_date = next_match.group(1)
    elif _MM_TREE_RE.search(release_part):
        development = "mm-tree"
    elif patch == 0 and _DESCRIBE_RE.search(release_part) and distro is None:
        # X.Y.0-rcN-NNN-gHASH / X.Y.0-NNN-gHASH: commits on top of a mainline tag, i.e. a
        # topic branch for the next merge window. A stable -rc (5.4.46-rc1-NNN-g...) has
        # patch > 0 and is the stable series itself.
        development = "git-describe"

    return KernelRelease(
        raw=text,
        version=(major, minor, patch),
        rc=rc,
        distro=distro,
        development=development,
        next_date=next_date,
    )


def release_version(text: str | None) -> tuple[int, int, int] | None:
    """`6.1.0-50-686-pae` -> (6, 1, 0); ``None`` when the text has no leading ``major.minor``."""
    release = parse_release(text)
    return release.version if release is not None else None

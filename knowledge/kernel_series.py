"""Where a kernel's fixes come from, worded for the dump's release (knowledge/kernel_series.yaml).

A step that says "upgrade the kernel" must be true for the kernel in the paste: the latest release
of a maintained longterm series carries later fixes, the last release of an ended series does not,
a plain stable series stopped getting fixes soon after the next one came out, a development tree
is fixed in its next build, and a distribution kernel is fixed by the distribution's own update.
``upgrade_path`` says which, once per release string (the findings' steps read it as
``kernel_path``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from grammar import regexcache

from .yamlload import load_yaml

PATH = Path(__file__).with_name("kernel_series.yaml")


@dataclass(frozen=True)
class Table:
    as_of: str
    longterm: dict[tuple[int, int], str | None]  # series -> month its maintenance ended (None: not stated)
    last: dict[tuple[int, int], int]  # series -> its final release's third number, where cited
    maintained: tuple[tuple[int, int], ...]
    distributions: tuple[tuple[str, re.Pattern[str], str, str | None], ...]


def _pair(text: str) -> tuple[int, int]:
    major, minor = str(text).split(".")[:2]
    return int(major), int(minor)


@lru_cache(maxsize=1)
def table() -> Table:
    data: dict[str, Any] = load_yaml(PATH.read_text("utf-8"))
    return Table(
        as_of=str(data["as_of"]),
        longterm={_pair(r["series"]): r.get("ended") for r in data["longterm"]},
        last={_pair(r["series"]): int(str(r["last"]).split(".")[2]) for r in data["longterm"] if r.get("last")},
        maintained=tuple(_pair(s) for s in data["maintained"]),
        distributions=tuple(
            (d["name"], regexcache.compile(d["pattern"]), d["update"], d.get("note")) for d in data["distributions"]
        ),
    )


def _name(series: tuple[int, ...]) -> str:
    return ".".join(str(n) for n in series)


DEVELOPMENT = {
    "mm-tree": "an -mm tree",
    "linux-next": "a linux-next tree",
    "git-describe": "a build between release tags",
    "rc": "a release candidate",
}


@dataclass(frozen=True)
class KernelPath:
    """How the dump's kernel gets fixes: ``kind`` is "development", "distribution", "maintained"
    (a longterm series kernel.org maintains), "ended" (a longterm series whose maintenance ended),
    "stable" (a plain stable series, long without fixes once the next came out), "old" (a series
    before 3.2) or "unknown" (no release in the paste); ``text`` is the path in words, to follow
    "Update the kernel to " or "Upgrade to "."""

    kind: str
    series: str | None
    text: str
    tree: str | None = None  # what kind of development tree ("a release candidate", ...)


def _maintained(t: Table) -> str:
    names = [_name(s) for s in t.maintained]
    return f"{', '.join(names[:-1])} or {names[-1]} (kernel.org's longterm list, {t.as_of})"


@lru_cache(maxsize=256)
def upgrade_path(kernel: str | None) -> KernelPath:
    """The upgrade path for the kernel release ``kernel`` (the dump's `uname -r`), or for a paste
    that names none."""
    from grammar.release import parse_release

    t = table()
    release = parse_release(kernel) if kernel else None
    if release is None:
        return KernelPath(
            "unknown",
            None,
            "the latest stable release of the series you run (uname -r) if kernel.org still maintains it, "
            f"else a maintained longterm series - {_maintained(t)} - or your distribution's latest kernel update",
        )
    series = release.series
    name = _name(series)
    development = release.pre_release
    if development is not None:
        nxt = _name(release.next_series)
        final = name if release.rc is not None or development != "linux-next" else nxt
        return KernelPath(
            "development",
            name,
            f"the next build of this development tree ({kernel} is {DEVELOPMENT[development]}): the next "
            f"-rc or the final {final} release, or back to the last stable release you ran before it; "
            "report the failure with this trace to the list of the code in it (MAINTAINERS) or linux-mm@kvack.org, "
            "where a regression of a development tree is fixed before its release",
            DEVELOPMENT[development],
        )
    raw = kernel or ""
    for distro, pattern, update, note in t.distributions:
        if pattern.search(raw):
            how = note or (
                "its fixes come as the distribution's backports, which the kernel.org release number does not "
                "show, so check the distribution's kernel changelog, and if the distribution release itself is out "
                "of support move to a supported one"
            )
            return KernelPath(
                "distribution",
                name,
                f"your distribution's latest kernel update ({kernel} is a kernel of {distro}: {update}); {how}",
            )
    pair = (series[0], series[1])
    if pair in t.maintained:
        return KernelPath(
            "maintained",
            name,
            f"the latest {name}.y release ({name} is a longterm series kernel.org still maintains, as of {t.as_of}: "
            f"its fixes come as new {name}.y releases after {kernel})",
        )
    if pair in t.longterm:
        ended = t.longterm[pair]
        when = f" in {ended}" if ended else ""
        last = t.last.get(pair)
        if last is not None:
            when += f" with {name}.{last}"
            if release.version[2] and release.version[2] < last:
                # an old point release far behind its series: even the series' own fixes are missing
                when += f", {last - release.version[2]} releases after {kernel}"
        return KernelPath(
            "ended",
            name,
            f"a maintained longterm series - {_maintained(t)} - or your distribution's supported kernel: "
            f"{name} was a longterm series whose kernel.org maintenance ended{when}, so even its last release "
            "lacks the fixes made since",
        )
    if pair >= (3, 0) and pair < max(t.maintained):
        return KernelPath(
            "stable",
            name,
            f"a maintained longterm series - {_maintained(t)} - or your distribution's supported kernel: "
            f"{name} was not a longterm series, and kernel.org's stable updates of such a series stop soon after "
            "the next mainline release",
        )
    if pair < (3, 0):
        return KernelPath(
            "old",
            name,
            f"a maintained longterm series - {_maintained(t)} - or your distribution's supported kernel: "
            f"the {name} series is long out of kernel.org maintenance",
        )
    return KernelPath(
        "unknown",
        name,
        f"the latest {name}.y stable release, or a maintained longterm series - {_maintained(t)}",
    )

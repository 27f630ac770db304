"""The knowledge base's packaged data files (finding records, gfp tables and meanings), read from
the package's directory.

oomlens is installed as files (a wheel, or an editable checkout), where
``importlib.resources.files(...)`` is this directory as a ``pathlib.Path``; importing
``importlib.resources`` (with its readers, ``zipfile`` among them) and walking its objects
cost 12M instructions of every `oomlens analyze`, 2 % of its start-up, for three reads.
"""

from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def path(*parts: str) -> str:
    """The path of a packaged file or directory (``parts`` under ``knowledge/``)."""
    return os.path.join(PACKAGE_DIR, *parts)


def read_text(*parts: str) -> str:
    with open(path(*parts), encoding="utf-8") as handle:
        return handle.read()


def names(*parts: str) -> list[str]:
    """The names in a packaged directory, sorted."""
    return sorted(os.listdir(path(*parts)))

"""YAML for the knowledge base's data files (finding records, gfp flag meanings)."""

from __future__ import annotations

import marshal
from typing import Any

import yaml

from . import diskcache

# libyaml's C parser when PyYAML was built with it: the catalogue is read at every start-up and
# the pure-Python parser took a quarter of a second for it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` semantics (safe loaders only), faster: the parsed document is kept in the
    user's cache directory (``knowledge.diskcache``), keyed by a hash of ``text``, as marshal data
    (plain values only: loading it runs no code). Parsing the 47 data files with libyaml took
    20 ms of every start-up; reading them back takes under 2 ms."""
    name = f"yaml-{diskcache.key(text)}.marshal"
    cached = diskcache.read(name)
    if cached is not None:
        try:
            return marshal.loads(cached)
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: parse again and replace it
    value = yaml.load(text, Loader=_LOADER)
    try:
        data = marshal.dumps(value)
    except ValueError:  # a value marshal cannot hold (a YAML timestamp): not cached
        return value
    diskcache.write(name, data)
    return value

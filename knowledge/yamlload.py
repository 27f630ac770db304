"""YAML and JSON for the knowledge base's data files (finding records, gfp flag meanings, gfp
tables), parsed once and kept in the start-up cache."""

from __future__ import annotations

import marshal
from typing import Any

from . import diskcache


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
    # PyYAML is imported only here, on a miss: a start-up that finds every file in the cache does
    # not pay the 10-20 ms its import costs. libyaml's C parser when PyYAML was built with it:
    # the catalogue is read at every start-up and the pure-Python parser took a quarter of a
    # second for it.
    import yaml

    value = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    try:
        data = marshal.dumps(value)
    except ValueError:  # a value marshal cannot hold (a YAML timestamp): not cached
        return value
    diskcache.write(name, data)
    return value


def load_json(text: str) -> Any:
    """``json.loads(text)``, kept in the user's cache directory like ``load_yaml``'s documents:
    the gfp tables (190 kB) took 10M instructions to parse at every start-up, 1.6 % of
    `oomlens analyze`; reading them back as marshal data takes a fifth of that."""
    name = f"json-{diskcache.key(text)}.marshal"
    cached = diskcache.read(name)
    if cached is not None:
        try:
            return marshal.loads(cached)
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: parse again and replace it
    import json

    value = json.loads(text)
    diskcache.write(name, marshal.dumps(value))  # JSON values are all marshal data
    return value

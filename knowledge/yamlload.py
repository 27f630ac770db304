"""YAML and JSON for the knowledge base's data files (finding records, gfp flag meanings, gfp
tables), parsed once and kept in the start-up cache."""

from __future__ import annotations

import marshal
from collections.abc import Callable
from typing import Any

from . import diskcache


def _kept(kind: str, text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, kept in the user's cache directory (``knowledge.diskcache``) as marshal
    data keyed by a hash of ``text`` (plain values only: loading it runs no code); a value marshal
    cannot hold is returned without being kept."""
    name = f"{kind}-{diskcache.key(text)}.marshal"
    cached = diskcache.read(name)
    if cached is not None:
        try:
            return marshal.loads(cached)
        except (EOFError, ValueError, TypeError):
            pass  # a damaged entry: parse again and replace it
    value = parse(text)
    try:
        data = marshal.dumps(value)
    except ValueError:  # (a YAML timestamp)
        return value
    diskcache.write(name, data)
    return value


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` semantics (safe loaders only), faster: the parsed document is kept
    (``_kept``). Parsing the 47 data files with libyaml took 20 ms of every start-up; reading
    them back takes under 2 ms."""
    return _kept("yaml", text, _parse_yaml)


def _parse_yaml(text: str) -> Any:
    # PyYAML is imported only here, on a miss: a start-up that finds every file in the cache does
    # not pay the 10-20 ms its import costs. libyaml's C parser when PyYAML was built with it:
    # the catalogue is read at every start-up and the pure-Python parser took a quarter of a
    # second for it.
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_json(text: str) -> Any:
    """``json.loads(text)``, kept like ``load_yaml``'s documents: the gfp tables (190 kB) took 10M
    instructions to parse at every start-up, 1.6 % of `oomlens analyze`; reading them back as
    marshal data takes a fifth of that."""
    return _kept("json", text, _parse_json)


def _parse_json(text: str) -> Any:
    import json  # (on a miss only, as PyYAML)

    return json.loads(text)

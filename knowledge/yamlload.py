"""YAML for the knowledge base's data files (finding records, gfp flag meanings)."""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's C parser when PyYAML was built with it: the catalogue is read at every start-up and
# the pure-Python parser took a quarter of a second for it.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` semantics (safe loaders only), faster."""
    return yaml.load(text, Loader=_LOADER)

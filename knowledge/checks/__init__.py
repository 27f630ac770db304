"""Checks: code that reads an :class:`~knowledge.analysis.Analysis` and says whether a finding holds.

The shared parts (:class:`Hit`, :class:`CheckSpec`, the fact table and the registry) are in
``base``; the checks live in one module per series, and importing this package registers them
all. See ``base`` for how a check is declared.
"""

from . import consumers, defects, lowmem, memcg, numa, policy, processes, ram_swap, signs, zones
from .base import FACTS, REGISTRY, CheckSpec, Evidence, Hit, check, missing_facts

__all__ = [
    "FACTS",
    "REGISTRY",
    "CheckSpec",
    "Evidence",
    "Hit",
    "check",
    "consumers",
    "defects",
    "lowmem",
    "memcg",
    "missing_facts",
    "numa",
    "policy",
    "processes",
    "ram_swap",
    "signs",
    "zones",
]

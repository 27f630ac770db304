"""Version-aware decoding of Linux gfp masks (allocation flags) and allocation orders.

``decode(mask, kernel)`` renders a mask exactly as that kernel's ``%pGg`` prints it, with a
one-line meaning per flag (citing the kernel source), the highest zone, reclaim/kswapd/I/O/FS
behaviour and whether the allocation may invoke the OOM killer. ``encode`` is the reverse;
``decode_event_mask`` is what ``bot.pipeline`` calls for each parsed event. The facts (bit
values, print tables) are the packaged ``data/gfp_tables.json``; meanings and OOM rules with
their citations live in ``meanings.yaml``.
"""

from __future__ import annotations

from grammar.release import KernelRelease, parse_release
from knowledge.gfp.decoder import (
    PAGE_ALLOC_COSTLY_ORDER,
    Alternative,
    FlagInfo,
    GfpDecoding,
    MaskError,
    OrderInfo,
    decode,
    decode_event_mask,
    encode,
    meaning_for,
    parse_mask_text,
)
from knowledge.gfp.tables import GfpTable, load_tables

__all__ = [
    "PAGE_ALLOC_COSTLY_ORDER",
    "Alternative",
    "FlagInfo",
    "GfpDecoding",
    "GfpTable",
    "KernelRelease",
    "MaskError",
    "OrderInfo",
    "decode",
    "decode_event_mask",
    "encode",
    "load_tables",
    "meaning_for",
    "parse_mask_text",
    "parse_release",
]

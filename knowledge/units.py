"""The one size formatter: every surface (terminal, markdown, Slack, charts, summaries, the
catalogue's explanations) writes a size through ``size``.

One convention: binary units with their IEC names (KiB, MiB, GiB, TiB), because the kernel
counts in 1024-byte kB; a figure quoted from the dump keeps the kernel's own ``kB``.
"""

from __future__ import annotations

UNITS = (("TiB", 1024**3), ("GiB", 1024**2), ("MiB", 1024))


def size(kb: float | None, unknown: str = "unknown") -> str:
    """kB -> ``880 KiB``, ``7.9 MiB``, ``549 MiB``, ``31 GiB`` (one decimal below ten units)."""
    if kb is None:
        return unknown
    value = float(kb)
    sign = "-" if value < 0 else ""
    value = abs(value)
    for unit, scale in UNITS:
        if value >= scale:
            scaled = value / scale
            text = f"{scaled:.0f}" if scaled >= 10 or scaled == int(scaled) else f"{scaled:.1f}"
            return f"{sign}{text} {unit}"
    return f"{sign}{value:.0f} KiB"


def size_bytes(count: int) -> str:
    """A byte count (a file, a download) in the same convention."""
    if count < 1024:
        return f"{count} bytes"
    return size(count / 1024)

"""The per-kernel gfp facts of ``data/gfp_tables.json`` as objects, and the ``%pGg`` walk.

Each :class:`GfpTable` is one entry of the shared table file (a kernel tree whose
``include/linux/gfp.h`` was compiled under several configs). A table is asked for a
:class:`ConfigView` (``distro_default`` or one of the configs listed under
``config_dependent``), which knows every flag/composite value under that config and the
print table ``%pGg`` walks.

Kernels before 4.6 print no symbolic text. For them the view builds a print table with the
4.6 layout (see :data:`PRE_4_6_COMPOSITE_ORDER`) over that era's own values, so the names
are the ones the era's gfp.h defines; ``docs/gfp.md`` explains the convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from knowledge import datafiles
from knowledge.yamlload import load_json

DISTRO_DEFAULT = "distro_default"

# Composite section of include/trace/events/mmflags.h __def_gfpflag_names in 4.6 (the first
# kernel that prints %pGg), used to name masks of older kernels "as 4.6 would have".
PRE_4_6_COMPOSITE_ORDER: tuple[str, ...] = (
    "GFP_TRANSHUGE",
    "GFP_HIGHUSER_MOVABLE",
    "GFP_HIGHUSER",
    "GFP_USER",
    "GFP_TEMPORARY",
    "GFP_KERNEL_ACCOUNT",
    "GFP_KERNEL",
    "GFP_NOFS",
    "GFP_ATOMIC",
    "GFP_NOIO",
    "GFP_NOWAIT",
    "GFP_DMA",
    "__GFP_HIGHMEM",
    "GFP_DMA32",
)
# Second names for a bit that already has one (gfp.h defines them as the same value).
ALIAS_NAMES: frozenset[str] = frozenset({"__GFP_NOTRACK_FALSE_POSITIVE"})


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split("."))


@dataclass(frozen=True)
class FormatResult:
    """What ``%pGg`` prints for a mask: the names taken, in order, and the hex remainder."""

    names: tuple[str, ...]
    remainder: int

    @property
    def text(self) -> str:
        parts = list(self.names)
        if self.remainder:
            parts.append(f"{self.remainder:#x}")
        return "|".join(parts)


@dataclass(frozen=True)
class ConfigView:
    """One table under one kernel config: values and the print table."""

    table: GfpTable
    config: str
    values: dict[str, int]  # every __GFP_* flag and GFP_* composite (no ___GFP_ internals)
    print_names: tuple[str, ...]
    print_table_composed: bool  # True for pre-4.6 kernels (no %pGg): our 4.6-style naming

    @property
    def flag_values(self) -> dict[str, int]:
        """`__GFP_*` names with a non-zero value under this config."""
        return {
            name: value
            for name, value in self.values.items()
            if name.startswith("__GFP_") and value and name not in ALIAS_NAMES
        }

    @property
    def known_bits(self) -> int:
        bits = 0
        for value in self.flag_values.values():
            bits |= value
        return bits

    def single_flags(self) -> dict[int, str]:
        """bit value -> the `__GFP_*` name of that single bit (first non-alias name)."""
        singles: dict[int, str] = {}
        for name, value in self.flag_values.items():
            if value & (value - 1) == 0 and value not in singles:
                singles[value] = name
        return singles

    def format(self, mask: int) -> FormatResult:
        """lib/vsprintf.c format_flags(): take each entry whose bits are all set, clear them."""
        names: list[str] = []
        remaining = mask
        for name in self.print_names:
            if not remaining:
                break
            value = self.values.get(name, 0)
            if value == 0:
                continue
            if remaining & value == value:
                names.append(name)
                remaining &= ~value
        return FormatResult(tuple(names), remaining)


class GfpTable:
    """One entry of gfp_tables.json (one kernel tree)."""

    def __init__(self, key: str, data: dict[str, Any]) -> None:
        self.key = key
        self.data = data
        self.version: tuple[int, ...] = _version_key(key)
        self.distro: str | None = key.split("-", 1)[1] if "-" in key else None
        self.prints_symbolic: bool = bool(data.get("oom_prints_symbolic"))
        self.applies_to: str = str(data.get("applies_to", ""))
        source = data.get("source") or {}
        self.source_repo: str = str(source.get("repo", ""))
        self.source_commit: str = str(source.get("commit", ""))
        self.makefile_version: str = str(data.get("kernel_makefile_version", key))

    def __repr__(self) -> str:
        return f"GfpTable({self.key!r})"

    @property
    def configs(self) -> tuple[str, ...]:
        """distro_default first, then every config the table records a difference for."""
        found: list[str] = [DISTRO_DEFAULT]
        for variants in (self.data.get("config_dependent") or {}).values():
            if not isinstance(variants, dict):
                continue
            for config in variants:
                if config not in ("note",) and config not in found:
                    found.append(config)
        return tuple(found)

    @property
    def has_reclaim_split(self) -> bool:
        """4.4+: __GFP_WAIT became __GFP_DIRECT_RECLAIM + __GFP_KSWAPD_RECLAIM."""
        return "__GFP_DIRECT_RECLAIM" in self.data["flags"]

    def view(self, config: str = DISTRO_DEFAULT) -> ConfigView:
        return _view(self, config)


@cache
def _view(table: GfpTable, config: str) -> ConfigView:
    values: dict[str, int] = {}
    for section in ("flags", "composites"):
        for name, value in (table.data.get(section) or {}).items():
            if name.startswith("___"):
                continue
            values[name] = int(value)
    for name, variants in (table.data.get("config_dependent") or {}).items():
        if name.startswith("___") or not isinstance(variants, dict):
            continue
        if config in variants:
            values[name] = int(variants[config])
    print_table = table.data.get("print_table")
    composed = print_table is None
    if composed:
        names = _composed_print_table(values)
    else:
        names = list(print_table or ())
        extra = (table.data.get("print_table_config_dependent") or {}).get(config)
        if extra:
            for removed in extra.get("removes", []):
                if removed in names:
                    names.remove(removed)
            added = [name for name in extra.get("adds", []) if name not in names]
            # TRACE_GFP_FLAGS = GENERAL, KASAN, LOCKDEP, SLAB: configured extras sit before
            # __GFP_NO_OBJ_EXT (the SLAB part) when it is present, else at the end.
            position = names.index("__GFP_NO_OBJ_EXT") if "__GFP_NO_OBJ_EXT" in names else len(names)
            names[position:position] = added
    return ConfigView(
        table=table,
        config=config,
        values=values,
        print_names=tuple(names),
        print_table_composed=composed,
    )


def _composed_print_table(values: dict[str, int]) -> list[str]:
    """4.6-style table for a pre-4.6 era: 4.6's composite order, then single flags by bit."""
    names = [name for name in PRE_4_6_COMPOSITE_ORDER if values.get(name)]
    singles: dict[int, str] = {}
    for name, value in values.items():
        if not name.startswith("__GFP_") or name in ALIAS_NAMES or not value:
            continue
        if value & (value - 1) == 0 and value not in singles:
            singles[value] = name
    names.extend(name for _, name in sorted(singles.items()) if name not in names)
    return names


@cache
def load_tables() -> dict[str, GfpTable]:
    """All tables of the packaged gfp_tables.json, oldest first (RHEL tables after their base)."""
    raw = load_json(datafiles.read_text("gfp", "data", "gfp_tables.json"))
    tables = {key: GfpTable(key, value) for key, value in raw.items() if key != "_meta"}
    return dict(sorted(tables.items(), key=lambda item: (item[1].version, item[1].distro or "")))


@cache
def meta() -> dict[str, Any]:
    return dict(load_json(datafiles.read_text("gfp", "data", "gfp_tables.json"))["_meta"])


def upstream_tables() -> list[GfpTable]:
    return [table for table in load_tables().values() if table.distro is None]


def table_at_or_below(series: tuple[int, ...]) -> GfpTable:
    """Nearest upstream table whose version is at or below ``series`` (oldest if none)."""
    chosen: GfpTable | None = None
    for table in upstream_tables():
        if table.version <= series:
            chosen = table
    return chosen if chosen is not None else upstream_tables()[0]

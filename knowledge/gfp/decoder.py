"""Version-aware gfp mask decoding: table choice, %pGg text, flag meanings and derived facts.

``decode()`` is the whole job: pick the table (or tables) a kernel release implies, render the
mask exactly as that kernel's ``%pGg`` would, cross-check a printed symbolic text, and derive
what the mask means for the allocator (highest zone, reclaim, kswapd, I/O, FS, atomic, OOM
killer). ``encode()`` goes the other way. Nothing here raises on odd masks: problems become
``warnings``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from grammar.release import KernelRelease, parse_release
from knowledge import datafiles
from knowledge.gfp.tables import (
    DISTRO_DEFAULT,
    ConfigView,
    GfpTable,
    load_tables,
    table_at_or_below,
    upstream_tables,
)
from knowledge.yamlload import load_yaml

PAGE_ALLOC_COSTLY_ORDER = 3

# Tables used before their own version, where real kernel output pins the earlier start.
# table key -> (first series it applies to, why)
INFERRED_STARTS: dict[str, tuple[tuple[int, ...], str]] = {
    "6.17": (
        (6, 16),
        "the print-table change is unpinned between 6.15 and 6.17, but a 6.15-rc6-based "
        "development branch (6.16 material) already prints single flags in bit order",
    ),
}
_RHEL_TABLES: dict[int, str] = {6: "2.6.32-el6", 7: "3.10-el7", 8: "4.18-el8", 9: "5.14-el9"}
# Config variants tried, in order, when the distro default leaves bits unexplained.
_DEBUG_CONFIG_HINTS = ("LOCKDEP",)
_ARM64_CONFIG_HINTS = ("KASAN_HW_TAGS",)
_SPARC64_ARCHES = ("sparc64", "sparc")


class MaskError(ValueError):
    """The mask text is neither hex nor a symbolic gfp expression."""


@dataclass(frozen=True)
class FlagInfo:
    """One flag bit that is set in the mask (or an unexplained remainder bit)."""

    name: str
    value: int
    meaning: str
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": f"{self.value:#x}", "meaning": self.meaning, "source": self.source}


@dataclass(frozen=True)
class OrderInfo:
    """2^order pages and what that costs for the dump's page size."""

    order: int
    pages: int
    page_size_kb: int
    page_size_assumed: bool
    size_kb: int
    costly: bool
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "order": self.order,
            "pages": self.pages,
            "page_size_kb": self.page_size_kb,
            "page_size_assumed": self.page_size_assumed,
            "size_kb": self.size_kb,
            "costly": self.costly,
            "note": self.note,
        }


@dataclass(frozen=True)
class Alternative:
    """Another plausible reading of the same mask (kernel not given, or not matching)."""

    symbolic: str
    tables: tuple[str, ...]
    config: str
    kernels: str  # human range, e.g. "5.1 - 7.1"

    def to_dict(self) -> dict[str, Any]:
        return {"symbolic": self.symbolic, "tables": list(self.tables), "config": self.config, "kernels": self.kernels}


@dataclass(frozen=True)
class GfpDecoding:
    """Everything oomlens says about one gfp mask for one kernel."""

    mask: int | None
    kernel: str | None
    table: str | None
    config: str
    symbolic: str | None
    symbolic_is_kernel_output: bool  # False for pre-4.6 kernels (composed 4.6-style name)
    printed_symbolic: str | None
    symbolic_names: tuple[str, ...]
    flags: tuple[FlagInfo, ...]
    composites: tuple[FlagInfo, ...]
    unknown_bits: int
    highest_zone: str | None
    highest_zone_note: str | None
    may_reclaim: bool | None
    may_wake_kswapd: bool | None
    may_do_io: bool | None
    may_call_fs: bool | None
    is_atomic: bool | None
    may_use_reserves: bool | None
    may_invoke_oom_killer: bool | None
    oom_reasons: tuple[str, ...]
    oom_rule_source: str | None
    order: OrderInfo | None
    alternatives: tuple[Alternative, ...] = ()
    settle_with: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def flag_names(self) -> list[str]:
        """Names of the single flags set (bit order), unexplained bits as hex."""
        return [flag.name for flag in self.flags]

    @property
    def mask_hex(self) -> str | None:
        return None if self.mask is None else f"{self.mask:#x}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "mask": self.mask_hex,
            "kernel": self.kernel,
            "table": self.table,
            "config": self.config,
            "symbolic": self.symbolic,
            "symbolic_is_kernel_output": self.symbolic_is_kernel_output,
            "printed_symbolic": self.printed_symbolic,
            "symbolic_names": list(self.symbolic_names),
            "flags": [flag.to_dict() for flag in self.flags],
            "composites": [composite.to_dict() for composite in self.composites],
            "unknown_bits": None if not self.unknown_bits else f"{self.unknown_bits:#x}",
            "highest_zone": self.highest_zone,
            "highest_zone_note": self.highest_zone_note,
            "may_reclaim": self.may_reclaim,
            "may_wake_kswapd": self.may_wake_kswapd,
            "may_do_io": self.may_do_io,
            "may_call_fs": self.may_call_fs,
            "is_atomic": self.is_atomic,
            "may_use_reserves": self.may_use_reserves,
            "may_invoke_oom_killer": self.may_invoke_oom_killer,
            "oom_reasons": list(self.oom_reasons),
            "oom_rule_source": self.oom_rule_source,
            "order": None if self.order is None else self.order.to_dict(),
            "alternatives": [alternative.to_dict() for alternative in self.alternatives],
            "settle_with": list(self.settle_with),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- meanings / rules


@cache
def _meanings() -> dict[str, Any]:
    text = datafiles.read_text("gfp", "meanings.yaml")
    return dict(load_yaml(text))


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("-")[0].split("."))


def _era_entry(entries: list[dict[str, Any]], table: GfpTable) -> dict[str, Any] | None:
    chosen: dict[str, Any] | None = None
    for entry in entries:
        if _version_tuple(str(entry["from"])) <= table.version:
            chosen = entry
    return chosen if chosen is not None else (entries[0] if entries else None)


def meaning_for(name: str, table: GfpTable) -> tuple[str, str | None]:
    """(one-line meaning, source citation) of a flag or composite for a table's era."""
    data = _meanings()
    section = data["flags"] if name.startswith("__GFP_") else data["composites"]
    entry = _era_entry(section.get(name) or [], table)
    if entry is None:
        return ("(no meaning recorded for this name)", None)
    return (str(entry["meaning"]), str(entry["source"]))


def _oom_rule(table: GfpTable) -> dict[str, Any]:
    entry = _era_entry(list(_meanings()["oom_rules"]), table)
    assert entry is not None
    return entry


# --------------------------------------------------------------------------- mask text


_FULL_RE = re.compile(r"^\s*(0x[0-9a-fA-F]+|[0-9a-fA-F]+)\s*(?:\((.*)\))?\s*$")


def parse_mask_text(text: str) -> tuple[int | None, str | None]:
    """'0x84d0' -> (0x84d0, None); '0x100cca(GFP_HIGHUSER_MOVABLE)' -> (0x100cca, 'GFP_...');
    'GFP_KERNEL|__GFP_ZERO' -> (None, 'GFP_KERNEL|__GFP_ZERO'). Raises MaskError otherwise."""
    text = text.strip().rstrip(",")
    for prefix in ("gfp_mask=", "mode:", "mode="):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    if text.startswith("#"):
        text = "0x" + text[1:]
    match = _FULL_RE.match(text)
    if match:
        number = match.group(1)
        try:
            value = int(number, 16)
        except ValueError as error:  # pragma: no cover - regex guarantees hex
            raise MaskError(f"not a hex mask: {text!r}") from error
        symbolic = match.group(2)
        return value, (symbolic.strip() if symbolic is not None else None)
    if re.fullmatch(r"[A-Za-z0-9_|\s]+", text) and "GFP" in text.upper():
        return None, text
    raise MaskError(f"not a gfp mask (hex like 0x6000c0, or names like GFP_KERNEL|__GFP_ZERO): {text!r}")


def _normalise_symbolic(text: str) -> str:
    return "|".join(part.strip() for part in text.split("|") if part.strip())


# --------------------------------------------------------------------------- table choice


@dataclass(frozen=True)
class _Choice:
    tables: tuple[GfpTable, ...]  # candidates, preferred first
    notes: tuple[str, ...]
    warnings: tuple[str, ...]


def _table_for_series(series: tuple[int, ...]) -> tuple[GfpTable, str | None]:
    tables = load_tables()
    for key, (start, why) in INFERRED_STARTS.items():
        table = tables[key]
        if start <= series < table.version:
            return table, f"table {key} used for {'.'.join(map(str, series))}: {why}"
    return table_at_or_below(series), None


def _unpinned_note(series: tuple[int, ...]) -> str | None:
    unpinned = {
        (6, 7): "6.7 is unpinned (GFP_NOWAIT gained __GFP_NOWARN in 6.7 or 6.8); decoded with the 6.6 table",
        (6, 10): "6.10 is unpinned (__GFP_NO_OBJ_EXT came in 6.10 or 6.11); decoded with the 6.9 table",
        (6, 15): "6.15 is unpinned (print order changed in 6.15 or 6.16); decoded with the 6.14 table",
        (5, 13): "5.13 is unpinned (assumed equal to 5.12)",
        (5, 18): "5.18 is unpinned (SKIP_* bits conditional in 5.18 or 5.19); decoded with the 5.17 table",
    }
    return unpinned.get((series[0], series[1])) if len(series) >= 2 else None


def choose_tables(release: KernelRelease) -> _Choice:
    """Candidate tables for a parsed release, preferred first."""
    tables = load_tables()
    notes: list[str] = []
    warnings: list[str] = []
    rhel = release.rhel_major
    if rhel is not None:
        notes.append(f"RHEL {rhel} kernel: RHEL's own table {_RHEL_TABLES[rhel]} (backports differ from upstream)")
        return _Choice((tables[_RHEL_TABLES[rhel]],), tuple(notes), ())
    if release.distro is not None and release.distro[2:].isdigit():
        warnings.append(
            f"{release.raw}: no RHEL {release.distro[2:]} table for base "
            f"{'.'.join(map(str, release.series))}; decoded as upstream"
        )
    if release.distro in ("uek", "elrepo"):
        name = "Oracle UEK" if release.distro == "uek" else "ELRepo"
        notes.append(f"{name} kernel: upstream {'.'.join(map(str, release.series))} code, not a RHEL kernel")
    base_table, base_note = _table_for_series(release.series)
    if release.development is not None:
        next_table, next_note = _table_for_series(release.next_series)
        kind = {
            "linux-next": f"linux-next tree ({release.next_date})",
            "git-describe": "development tree (commits on top of a mainline tag)",
            "mm-tree": "-mm development tree",
        }[release.development]
        notes.append(
            f"{kind}: carries the next release's ({'.'.join(map(str, release.next_series))}) code, "
            f"table {next_table.key}; the base release's table {base_table.key} is the fallback"
        )
        if next_note:
            notes.append(next_note)
        candidates = (next_table,) if next_table is base_table else (next_table, base_table)
        return _Choice(candidates, tuple(notes), tuple(warnings))
    if base_note:
        notes.append(base_note)
    unpinned = _unpinned_note(release.series)
    if unpinned:
        notes.append(unpinned)
    return _Choice((base_table,), tuple(notes), tuple(warnings))


def _config_order(table: GfpTable, arch: str | None, release: KernelRelease | None) -> list[str]:
    configs = list(table.configs)
    rest = [config for config in configs if config != DISTRO_DEFAULT]
    hints: list[str] = []
    raw = (release.raw if release else "") or ""
    if arch and arch.lower() in ("arm64", "aarch64"):
        hints.extend(_ARM64_CONFIG_HINTS)
    if any(word in raw.lower() for word in ("debug", "kasan", "lockdep", "syzkaller")):
        hints.extend(_DEBUG_CONFIG_HINTS)

    def rank(config: str) -> tuple[int, int, int]:
        hinted = any(hint in config for hint in hints)
        # Without an arm64 hint, LOCKDEP (debug/syzbot kernels) is likelier than arm64 MTE.
        return (0 if hinted else 1, 1 if "KASAN_HW_TAGS" in config else 0, configs.index(config))

    if arch and arch.lower() not in ("arm64", "aarch64"):
        # KASAN_HW_TAGS needs arm64 MTE: never an explanation for other architectures.
        rest = [config for config in rest if "KASAN_HW_TAGS" not in config]
    return [DISTRO_DEFAULT] + sorted(rest, key=rank)


# --------------------------------------------------------------------------- derived facts


def _zone(view: ConfigView, mask: int) -> tuple[str, str | None]:
    values = view.values
    dma = values.get("__GFP_DMA", 0)
    highmem = values.get("__GFP_HIGHMEM", 0)
    dma32 = values.get("__GFP_DMA32", 0)
    movable = values.get("__GFP_MOVABLE", 0)
    has_dma = bool(dma and mask & dma)
    has_highmem = bool(highmem and mask & highmem)
    has_dma32 = bool(dma32 and mask & dma32)
    has_movable = bool(movable and mask & movable)
    if sum((has_dma, has_highmem, has_dma32)) > 1:
        return ("invalid", "zone modifiers conflict (GFP_ZONE_BAD): the kernel BUGs on this combination")
    if has_dma:
        return ("DMA", None)
    if has_dma32:
        return ("DMA32", None)
    if has_highmem and has_movable:
        return (
            "Movable",
            "ZONE_MOVABLE exists only with kernelcore=/movablecore= or hot-plugged memory; otherwise "
            "HighMem (32-bit) or Normal (64-bit)",
        )
    if has_highmem:
        return ("HighMem", "64-bit kernels have no HighMem zone: there the highest zone is Normal")
    if highmem:
        return ("Normal", "no __GFP_HIGHMEM: even on a 32-bit kernel this allocation cannot use HighMem")
    return ("Normal", None)


def _oom_decision(view: ConfigView, mask: int, order: int | None, zone: str) -> tuple[bool, tuple[str, ...], str]:
    table = view.table
    rule = _oom_rule(table)
    values = view.values

    def has(name: str) -> bool:
        value = values.get(name, 0)
        return bool(value) and mask & value == value

    direct = has("__GFP_DIRECT_RECLAIM") if table.has_reclaim_split else has("__GFP_WAIT")
    nofail = has("__GFP_NOFAIL")
    effective_order = order if order is not None else 0
    thisnode_composite = values.get("GFP_THISNODE", 0)
    checks: dict[str, tuple[bool, str]] = {
        "direct_reclaim": (
            direct,
            "cannot direct-reclaim (atomic/GFP_NOWAIT): fails instead of invoking the OOM killer",
        ),
        "fs": (has("__GFP_FS"), "no __GFP_FS (GFP_NOFS/GFP_NOIO): the global OOM killer is not invoked"),
        "not_noretry": (not has("__GFP_NORETRY"), "__GFP_NORETRY: gives up after reclaim, never OOM-kills"),
        "not_costly": (
            effective_order <= PAGE_ALLOC_COSTLY_ORDER,
            f"order {effective_order} > PAGE_ALLOC_COSTLY_ORDER ({PAGE_ALLOC_COSTLY_ORDER}): costly orders fail instead",
        ),
        "not_lowmem": (zone not in ("DMA", "DMA32"), f"highest zone {zone} is below Normal: no OOM kill for lowmem"),
        "not_thisnode": (not has("__GFP_THISNODE"), "__GFP_THISNODE: killing cannot free memory on one node"),
        "not_gfp_thisnode": (
            not (thisnode_composite and mask & thisnode_composite == thisnode_composite),
            "GFP_THISNODE: bails out before reclaim",
        ),
        "not_retry_mayfail": (not has("__GFP_RETRY_MAYFAIL"), "__GFP_RETRY_MAYFAIL: fails rather than OOM-kill"),
    }
    overrides = set(rule.get("nofail_overrides") or [])
    reasons: list[str] = []
    allowed = True
    for need in rule["needs"]:
        passed, why = checks[need]
        if passed:
            continue
        if nofail and need in overrides:
            reasons.append(f"{why} - but __GFP_NOFAIL overrides this check on this kernel")
            continue
        allowed = False
        reasons.append(why)
    if allowed:
        reasons.insert(0, "may invoke the OOM killer when reclaim makes no progress")
        if order is None and "not_costly" in rule["needs"]:
            reasons.append(f"assuming order <= {PAGE_ALLOC_COSTLY_ORDER} (order not given)")
    return allowed, tuple(reasons), str(rule["source"])


def _order_info(order: int, page_size_kb: int | None, arch: str | None) -> OrderInfo:
    assumed = page_size_kb is None
    if page_size_kb is None:
        page_size_kb = 8 if arch and arch.lower() in _SPARC64_ARCHES else 4
    pages = 1 << order if order >= 0 else 0
    costly = order > PAGE_ALLOC_COSTLY_ORDER
    if order < 0:
        # drivers/tty/sysrq.c (v4.3-v6.18) moom_callback() is the only caller passing order -1
        # (mm/oom_kill.c is_sysrq_oom()); memcg charges pass the charge's order, page faults 0
        note = "order -1: SysRq-f (a manual OOM kill, since 4.3), not a page allocation"
    elif order == 0:
        note = "single page: failure means memory is truly exhausted, not fragmented"
    elif not costly:
        note = (
            "small high-order allocation (kernel stacks, slab): the allocator retries hard and may OOM-kill; "
            "failure with free memory present points to fragmentation"
        )
    else:
        note = (
            f"costly order (> {PAGE_ALLOC_COSTLY_ORDER}): no OOM kill for it; failures usually mean fragmentation "
            "(free memory exists but not contiguous) - check the buddy lists and compaction"
        )
    return OrderInfo(
        order=order,
        pages=pages,
        page_size_kb=page_size_kb,
        page_size_assumed=assumed,
        size_kb=pages * page_size_kb,
        costly=costly,
        note=note,
    )


# --------------------------------------------------------------------------- decoding


@dataclass
class _Reading:
    view: ConfigView
    text: str
    names: tuple[str, ...]
    unknown: int


def _read(view: ConfigView, mask: int) -> _Reading:
    result = view.format(mask)
    unknown = mask & ~view.known_bits
    return _Reading(view=view, text=result.text, names=result.names, unknown=unknown)


def _describe_range(tables: list[GfpTable]) -> str:
    """'5.14 to before 5.19', '5.1 and newer', plus any RHEL tables in the group."""
    upstream = [table for table in tables if table.distro is None]
    vendor = [table.key for table in tables if table.distro is not None]
    parts: list[str] = []
    if upstream:
        first, last = upstream[0], upstream[-1]
        upper = re.search(r"< ([0-9.]+)", last.applies_to)
        parts.append(f"{first.key} to before {upper.group(1)}" if upper else f"{first.key} and newer")
    if vendor:
        parts.append("RHEL tables " + ", ".join(vendor))
    return "; ".join(parts)


def _all_readings(mask: int, printed: str | None, arch: str | None) -> list[tuple[_Reading, list[GfpTable]]]:
    """Readings under every table (distro default, else the first config explaining all bits)."""
    groups: dict[tuple[str, str], tuple[_Reading, list[GfpTable]]] = {}
    for table in load_tables().values():
        reading: _Reading | None = None
        for config in _config_order(table, arch, None):
            candidate = _read(table.view(config), mask)
            if printed is not None:
                if table.prints_symbolic and candidate.text == printed:
                    reading = candidate
                    break
                continue
            if candidate.unknown == 0:
                reading = candidate
                break
        if reading is None:
            continue
        key = (reading.text, reading.view.config)
        if key in groups:
            groups[key][1].append(table)
        else:
            groups[key] = (reading, [table])
    ordered = sorted(
        groups.values(),
        key=lambda item: (
            len(item[0].names) + (1 if item[0].unknown else 0),
            item[0].view.config != DISTRO_DEFAULT,
            tuple(-part for part in max(table.version for table in item[1])),
        ),
    )
    return ordered


@lru_cache(maxsize=256)
def printed_series(mask: int, printed: str, arch: str | None) -> tuple[tuple[int, ...], tuple[int, ...] | None] | None:
    """The kernel series whose own symbolic print of ``mask`` is ``printed`` (warn_alloc() and the
    OOM report print `mode:0x...(GFP_...)` since 4.6, each release with the flag names and bit
    values of its gfp.h): ``(first, before)``, the first series of the earliest upstream tree that
    prints it so and the series before which the newest such tree ends (None: up to the newest
    tree examined). A paste that names no release is dated by it the way ``decode`` words it ("the
    printed text fits 4.6 to before 4.10"). None when no upstream tree prints it so, or when a
    distribution tree (RHEL, whose 3.10/4.18/5.14 kernels print later flags) prints it so too: its
    release number would not be bounded by the upstream series."""
    tables: list[GfpTable] = []
    for reading, group in _all_readings(mask, printed, arch):
        if reading.text == printed:
            tables.extend(group)
    if not tables or any(table.distro is not None for table in tables):
        return None
    first = min(tables, key=lambda table: table.version)
    last = max(tables, key=lambda table: table.version)
    upper = re.search(r"< ([0-9.]+)", last.applies_to)
    before = tuple(int(part) for part in upper.group(1).split(".")) if upper else None
    return first.version, before


@dataclass
class _Pick:
    """The reading a decoding settles on, with what else fits and what would settle it."""

    chosen: _Reading
    alternatives: list[Alternative] = field(default_factory=list)
    settle_with: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _read_mask(mask: int | str, kernel: str | None, symbolic: str | None) -> tuple[int, str | None, list[str]]:
    """Step 1: the mask's value and the symbolic text printed with it (int, hex text, 'hex(SYMBOLIC)'
    or symbolic text), with notes on how the text was read."""
    notes: list[str] = []
    if isinstance(mask, str):
        value, printed_in_text = parse_mask_text(mask)
        if value is None:
            assert printed_in_text is not None
            value = encode(printed_in_text, kernel)
            notes.append(f"reverse lookup: {_normalise_symbolic(printed_in_text)} = {value:#x}")
        elif printed_in_text is not None and symbolic is None:
            symbolic = printed_in_text
        if (
            not mask.strip().lower().startswith(("0x", "gfp", "__gfp", "#"))
            and value is not None
            and printed_in_text is None
        ):
            notes.append(f"read {mask.strip()!r} as hex ({value:#x}); the kernel always prints gfp masks in hex")
    else:
        value = int(mask)
    if value < 0:
        raise MaskError("a gfp mask is never negative")
    printed = _normalise_symbolic(symbolic) if symbolic is not None else None
    if printed == "" and value != 0:
        printed = None
    return value, printed, notes


def _pick_matching_print(
    candidates: list[_Reading], value: int, printed: str, arch: str | None, release: KernelRelease
) -> _Pick:
    """Known release, printed text: the first candidate that prints the same text; else say the
    release is probably misread and list the tables whose text fits."""
    matching = [c for c in candidates if c.view.table.prints_symbolic and c.text == printed]
    if matching:
        return _Pick(matching[0])
    chosen = next((c for c in candidates if c.unknown == 0), candidates[0])
    consistent = _all_readings(value, printed, arch)
    where = "; ".join(f"{_describe_range(tables)}" for _, tables in consistent[:3]) or "no table"
    printed_by = (
        f"table {chosen.view.table.key} gives {chosen.text or '(empty)'!r}"
        if chosen.view.table.prints_symbolic
        else f"{chosen.view.table.key} kernels print no symbolic text (that starts in 4.6)"
    )
    warning = (
        f"the dump prints {value:#x}({printed}) but {printed_by}: the kernel release "
        f"{release.raw!r} is probably misread. The printed text fits: {where}"
    )
    alternatives = [
        Alternative(reading.text, tuple(t.key for t in tables), reading.view.config, _describe_range(tables))
        for reading, tables in consistent[:4]
    ]
    return _Pick(chosen, alternatives, warnings=[warning])


def _pick_explaining_bits(candidates: list[_Reading], tables: tuple[GfpTable, ...], value: int) -> _Pick:
    """Known release, hex only: the first candidate that explains every bit; the release's other
    tables (the next release's code, the base release's) as alternatives where they read otherwise."""
    chosen = next((c for c in candidates if c.unknown == 0), candidates[0])
    pick = _Pick(chosen)
    if len(tables) > 1 and chosen.view.table is not tables[0]:
        pick.notes.append(
            f"the next release's table {tables[0].key} leaves bits unexplained; this tree predates "
            f"that change, so table {chosen.view.table.key} is used"
        )
    for table in tables:
        if table is chosen.view.table:
            continue
        other = _read(table.view(DISTRO_DEFAULT), value)
        if other.text != chosen.text:
            pick.alternatives.append(Alternative(other.text, (table.key,), other.view.config, table.applies_to))
    return pick


def _pick_for_release(value: int, printed: str | None, arch: str | None, release: KernelRelease) -> _Pick:
    """Step 2, kernel known: the tables its release implies, each under its likely configs."""
    choice = choose_tables(release)
    candidates = [
        _read(table.view(config), value) for table in choice.tables for config in _config_order(table, arch, release)
    ]
    if printed is not None:
        pick = _pick_matching_print(candidates, value, printed, arch, release)
    else:
        pick = _pick_explaining_bits(candidates, choice.tables, value)
    pick.notes[:0] = choice.notes
    pick.warnings[:0] = choice.warnings
    chosen = pick.chosen
    if chosen.view.config != DISTRO_DEFAULT:
        others = [
            c.view.config
            for c in candidates
            if c.view.table is chosen.view.table and c.unknown == 0 and c.view.config != chosen.view.config
        ]
        also = f" (also explained by {', '.join(others)})" if others else ""
        pick.notes.append(f"bits explained only with {chosen.view.config} (debug kernel or arm64 MTE){also}")
    return pick


def _pick_without_release(value: int, printed: str | None, arch: str | None) -> _Pick:
    """Step 2, kernel unknown: the reading with the fewest names across every table (the one the
    printed text fits, when there is one), read with the newest table of its group; the others
    as alternatives, and what in the paste would settle it."""
    warnings: list[str] = []
    readings = _all_readings(value, printed, arch)
    if printed is not None and not readings:
        warnings.append(f"no known kernel prints {value:#x} as {printed!r}; showing readings of the hex alone")
        readings = _all_readings(value, None, arch)
    if not readings:
        readings = [(_read(upstream_tables()[-1].view(), value), [upstream_tables()[-1]])]
        warnings.append(f"{value:#x} has bits no known kernel defines")
    best, best_tables = readings[0]
    alternatives = [
        Alternative(reading.text, tuple(t.key for t in tables), reading.view.config, _describe_range(tables))
        for reading, tables in readings[1:8]
    ]
    chosen = _read(best_tables[-1].view(best.view.config), value)
    if printed is not None:
        note = f"kernel not given: the printed text {printed!r} fits {_describe_range(best_tables)}"
        return _Pick(chosen, alternatives, notes=[note], warnings=warnings)
    note = (
        f"kernel not given: read with the {_describe_range(best_tables)} (fewest names); "
        "bit values changed across releases, see alternatives"
    )
    settle_with = [
        "the kernel release: a 'CPU: N PID: N Comm: ... <release> #N' or 'Linux version <release>' line "
        "elsewhere in the paste",
        "the symbolic text 4.6+ kernels print after the mask: gfp_mask=0x...(GFP_...)",
    ]
    return _Pick(chosen, alternatives, settle_with, notes=[note], warnings=warnings)


def _flag_infos(reading: _Reading, value: int) -> tuple[tuple[FlagInfo, ...], tuple[FlagInfo, ...]]:
    """Step 3: the single flags set (bit order, unexplained bits as hex) and the composites named,
    each with its meaning for the table's era."""
    view, table = reading.view, reading.view.table
    flags: list[FlagInfo] = []
    for bit, name in sorted(view.single_flags().items()):
        if value & bit:
            meaning, source = meaning_for(name, table)
            flags.append(FlagInfo(name, bit, meaning, source))
    remaining_unknown = reading.unknown
    while remaining_unknown:
        bit = remaining_unknown & -remaining_unknown
        flags.append(FlagInfo(f"{bit:#x}", bit, "bit not defined by this kernel's gfp.h", None))
        remaining_unknown &= ~bit
    composites: list[FlagInfo] = []
    for name in reading.names:
        if name.startswith("GFP_"):
            meaning, source = meaning_for(name, table)
            composites.append(FlagInfo(name, view.values.get(name, 0), meaning, source))
    return tuple(flags), tuple(composites)


@dataclass(frozen=True)
class _Abilities:
    may_reclaim: bool
    may_wake_kswapd: bool
    may_do_io: bool
    may_call_fs: bool
    may_use_reserves: bool


def _abilities(view: ConfigView, value: int) -> _Abilities:
    """Step 4: what the mask lets the allocator do (reclaim, wake kswapd, I/O, FS, reserves), by the
    flag names of the table's era (__GFP_WAIT before the 4.4 reclaim split)."""
    values = view.values

    def has(name: str) -> bool:
        flag = values.get(name, 0)
        return bool(flag) and value & flag == flag

    if view.table.has_reclaim_split:
        may_reclaim = has("__GFP_DIRECT_RECLAIM")
        may_wake_kswapd = has("__GFP_KSWAPD_RECLAIM")
    else:
        may_reclaim = has("__GFP_WAIT")
        may_wake_kswapd = not has("__GFP_NO_KSWAPD")
    return _Abilities(
        may_reclaim=may_reclaim,
        may_wake_kswapd=may_wake_kswapd,
        may_do_io=has("__GFP_IO"),
        may_call_fs=has("__GFP_FS"),
        may_use_reserves=has("__GFP_HIGH") or has("__GFP_ATOMIC") or has("__GFP_MEMALLOC"),
    )


def _oom_verdict(
    view: ConfigView, value: int, order: int | None, zone: str
) -> tuple[bool | None, tuple[str, ...], str]:
    """Step 5: may this request invoke the OOM killer, why, and the kernel rule that says so."""
    allowed, reasons, source = _oom_decision(view, value, order, zone)
    if value != 0:
        return allowed, reasons, source
    # mm/oom_kill.c (v4.6-v5.15) pagefault_out_of_memory() passes gfp_mask 0, order 0; SysRq-f
    # passes GFP_KERNEL with order -1 and a memcg OOM the charge's own mask (mm/memcontrol.c)
    return (
        None,
        (
            "gfp_mask=0x0: no allocation context - on kernels before 5.16 the OOM killer was entered "
            "from a page fault that returned VM_FAULT_OOM (pagefault_out_of_memory()), so the flags say "
            "nothing about the allocation; it is neither SysRq-f (GFP_KERNEL, order -1) nor a memcg "
            "charge (which prints the charge's mask)",
        ),
        source,
    )


def decode(
    mask: int | str,
    kernel: str | None = None,
    *,
    order: int | None = None,
    page_size_kb: int | None = None,
    arch: str | None = None,
    symbolic: str | None = None,
) -> GfpDecoding:
    """Decode ``mask`` (int, hex text, 'hex(SYMBOLIC)' or symbolic text) for ``kernel``: read the
    mask, pick the reading (table and config) the release or the printed text implies, then name
    its flags and derive the zone, reclaim, OOM and order facts from that reading."""
    warnings: list[str] = []
    release = parse_release(kernel)
    if kernel and release is None:
        warnings.append(f"cannot read a kernel version from {kernel!r}; decoded as if the kernel were unknown")
    value, printed, notes = _read_mask(mask, kernel, symbolic)
    if release is not None:
        pick = _pick_for_release(value, printed, arch, release)
    else:
        pick = _pick_without_release(value, printed, arch)
    notes.extend(pick.notes)
    warnings.extend(pick.warnings)

    chosen = pick.chosen
    view, table = chosen.view, chosen.view.table
    if chosen.unknown:
        warnings.append(
            f"bits {chosen.unknown:#x} are not defined by table {table.key} ({view.config}): wrong kernel release, "
            "a vendor flag or a debug config"
        )
    flags, composites = _flag_infos(chosen, value)
    zone, zone_note = _zone(view, value)
    if zone == "invalid":
        warnings.append(zone_note or "invalid zone combination")
    can = _abilities(view, value)
    oom_allowed, oom_reasons, oom_source = _oom_verdict(view, value, order, zone)
    if not table.prints_symbolic:
        notes.append(
            f"{table.key} kernels print the mask in hex only; the name is composed 4.6-style "
            "(composites first, then single flags by bit) from that era's gfp.h"
        )

    return GfpDecoding(
        mask=value,
        kernel=kernel,
        table=table.key,
        config=view.config,
        symbolic=chosen.text,
        symbolic_is_kernel_output=table.prints_symbolic,
        printed_symbolic=printed,
        symbolic_names=chosen.names,
        flags=flags,
        composites=composites,
        unknown_bits=chosen.unknown,
        highest_zone=zone,
        highest_zone_note=zone_note,
        may_reclaim=can.may_reclaim,
        may_wake_kswapd=can.may_wake_kswapd,
        may_do_io=can.may_do_io,
        may_call_fs=can.may_call_fs,
        is_atomic=not can.may_reclaim,
        may_use_reserves=can.may_use_reserves,
        may_invoke_oom_killer=oom_allowed,
        oom_reasons=oom_reasons,
        oom_rule_source=oom_source,
        order=_order_info(order, page_size_kb, arch) if order is not None else None,
        alternatives=tuple(pick.alternatives),
        settle_with=tuple(pick.settle_with),
        warnings=tuple(dict.fromkeys(warnings)),
        notes=tuple(dict.fromkeys(notes)),
    )


def encode(symbolic: str, kernel: str | None = None) -> int:
    """'GFP_KERNEL|__GFP_ZERO' -> its value on ``kernel`` (newest table defining every name if None)."""
    parts = [part.strip() for part in symbolic.split("|") if part.strip()]
    if not parts:
        raise MaskError("empty gfp expression")
    release = parse_release(kernel)
    if release is not None:
        candidates = list(choose_tables(release).tables)
    else:
        candidates = list(reversed(list(load_tables().values())))
        candidates.sort(key=lambda table: table.distro is not None)  # upstream first, newest first
    last_error: str | None = None
    for table in candidates:
        values = table.view().values
        total = 0
        for part in parts:
            if re.fullmatch(r"0x[0-9a-fA-F]+", part):
                total |= int(part, 16)
                continue
            name = part if part in values else (f"__{part}" if f"__{part}" in values else None)
            if name is None:
                last_error = f"{part} is not defined by table {table.key}"
                break
            if values[name] == 0:
                last_error = f"{part} is 0 in table {table.key}'s default config"
                break
            total |= values[name]
        else:
            return total
    raise MaskError(last_error or f"cannot encode {symbolic!r}")


def decode_event_mask(event: Any, dump: Any) -> GfpDecoding | None:
    """The decoding for one parsed event, or None when it has no usable mask. Never raises."""
    try:
        trigger = getattr(event, "trigger", None)
        mask_text = getattr(trigger, "gfp_mask", None) if trigger is not None else None
        printed = getattr(trigger, "gfp_symbolic", None) if trigger is not None else None
        order = getattr(trigger, "order", None) if trigger is not None else None
        if mask_text is None:
            mode = getattr(event, "alloc_failure_mode", None)
            if not mode:
                return None
            mask_text = str(mode)
        value, printed_in_text = parse_mask_text(str(mask_text))
        if value is None:
            return None
        if printed is None:
            printed = printed_in_text
        # the event's own machine first: one log can hold several hosts and kernels
        return _decode_once(
            value,
            getattr(event, "kernel", None) or getattr(dump, "kernel", None),
            order if isinstance(order, int) else None,
            getattr(event, "page_size_kb", None) or getattr(dump, "page_size_kb", None),
            getattr(event, "arch", None) or getattr(dump, "arch", None),
            printed,
        )
    except Exception:
        return None


@lru_cache(maxsize=512)
def _decode_once(
    value: int, kernel: str | None, order: int | None, page_size_kb: int | None, arch: str | None, printed: str | None
) -> GfpDecoding:
    # A log repeats the same requests on the same machines (a fleet's journal: one mask, one
    # kernel, hundreds of events); a decoding is immutable, so each is made once.
    return decode(value, kernel, order=order, page_size_kb=page_size_kb, arch=arch, symbolic=printed)


__all__ = [
    "PAGE_ALLOC_COSTLY_ORDER",
    "Alternative",
    "FlagInfo",
    "GfpDecoding",
    "MaskError",
    "OrderInfo",
    "decode",
    "decode_event_mask",
    "encode",
    "meaning_for",
    "parse_mask_text",
]

"""What the text around the report says: machine size, swap, memory limits, container kills.

Reads ``Dump.context`` (``grammar.context_facts``: command output and kernel lines a person pasted
with the dump) and derives each figure once, in kB, with the paste lines it came from, for the
checks and for ``Analysis`` (RAM and swap size when the report itself does not show them). A
snapshot taken by `free` or `top` may be from another moment than the OOM: only sizes that do
not change (RAM, configured swap, limits) are used in place of the report's own figures; used and
free amounts are quoted as evidence of their own, never merged into the report's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from grammar.context_facts import ContextFacts, ContextLine, size_kb
from grammar.facts import Dump, SourceLine

from .workloads import mentions

PROSE_SOURCE = "named in the words around the log, not by the kernel"
RAM_MATCH = 0.25  # a `free` total without a unit is taken in the unit that lands within 25 % of pages RAM


@dataclass(frozen=True)
class Sized:
    kb: int
    source: str  # "free", "/proc/meminfo", "top", "/proc/swaps", "kubectl", "docker", "systemd", ...
    lines: tuple[SourceLine, ...]


def facts(dump: Dump) -> ContextFacts:
    context = getattr(dump, "context", None)
    return context if isinstance(context, ContextFacts) else ContextFacts()


# Facts of one paste's context alone (the person's lines a pattern finds, the programs it names,
# its CPU names), for the paste read last: the events of a paste are analysed one after the other
# and each asks for them again, and the prose of a long thread is hundreds of lines. One paste's
# memo at a time, replaced whole when another paste is read: a reader in another thread sees the
# old memo or the new one.
_paste_memo: tuple[ContextFacts, dict[Hashable, Any]] | None = None

T = TypeVar("T")


def per_paste(context: ContextFacts, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` for this paste's ``context``, worked out once per paste and ``key``."""
    global _paste_memo
    memo = _paste_memo
    if memo is None or memo[0] is not context:
        memo = _paste_memo = (context, {})
    values = memo[1]
    if key in values:
        return values[key]  # type: ignore[no-any-return]
    value = values[key] = compute()
    return value


# The context lines of the paste read last, by kind: its own slot rather than a per_paste key, as
# the checks ask for a kind some hundred times an event and the extra lookup would cost a third of
# this function's time. (One paste's index at a time, replaced whole, as per_paste's memo.)
_last_index: tuple[ContextFacts, dict[str, tuple[ContextLine, ...]]] | None = None


def of(dump: Dump, *kinds: str) -> tuple[ContextLine, ...]:
    """``of(dump, *kinds)``: the paste's context lines of these kinds, in line order."""
    global _last_index
    context = facts(dump)
    if not context.lines:
        return ()
    last = _last_index
    if last is None or last[0] is not context:
        index: dict[str, list[ContextLine]] = {}
        for line in context.lines:
            index.setdefault(line.kind, []).append(line)
        last = _last_index = (context, {kind: tuple(lines) for kind, lines in index.items()})
    if len(kinds) == 1:
        return last[1].get(kinds[0], ())
    return context.of(*kinds)


def prose_matching(dump: Dump, pattern: re.Pattern[str]) -> tuple[SourceLine, ...]:
    """The person's words around the log (``ContextFacts.prose``) that ``pattern`` finds something
    in (``pattern.search``), in order; looked for once per paste and pattern (``per_paste``)."""
    context = facts(dump)
    if not context.prose:
        return ()
    search = pattern.search
    return per_paste(context, pattern, lambda: tuple([line for line in context.prose if search(line.text)]))


def _lines(*items: ContextLine) -> tuple[SourceLine, ...]:
    return tuple(item.line for item in items)


def _meminfo(dump: Dump, key: str) -> ContextLine | None:
    return next((c for c in of(dump, "meminfo_field") if c.values.get("key") == key and "kb" in c.values), None)


def _free_total(row: ContextLine, report_ram_kb: int | None, key: str = "total") -> int | None:
    if f"{key}_kb" in row.values:
        return int(row.values[f"{key}_kb"])
    raw = row.values.get(f"raw_{key}")
    if raw is None or report_ram_kb is None:
        return None
    ram_total = _free_total(row, report_ram_kb) if key != "total" else None
    for unit in (1024, 1024**2, 1024**3, 1):
        kb = size_kb(str(raw), unit)
        if kb and abs(kb - report_ram_kb) <= RAM_MATCH * report_ram_kb:
            return kb
        if ram_total is not None:
            return None
    return None


def ram(dump: Dump, report_ram_kb: int | None = None) -> Sized | None:
    """The machine's RAM as a command printed it (MemTotal, `free` Mem total, `top` Mem total), else
    as the board's model tells it (a Raspberry Pi sold with one RAM size)."""
    if not facts(dump).lines:
        return None  # (what follows asks for three kinds of line: a dump alone has none)
    row = _meminfo(dump, "MemTotal")
    if row is not None:
        return Sized(int(row.values["kb"]), "/proc/meminfo", _lines(row))
    for row in of(dump, "free_mem"):
        kb = _free_total(row, report_ram_kb)
        if kb:
            return Sized(kb, "free", _lines(row))
    for row in of(dump, "top_mem"):
        if row.values.get("total_kb"):
            return Sized(int(row.values["total_kb"]), "top", _lines(row))
    for row in of(dump, "board_model"):
        mb = board_ram_mb(str(row.values["model"]))
        if mb:
            return Sized(mb * 1024, "board", _lines(row))
    return None


# RAM of the Raspberry Pi models sold with one size (Raspberry Pi Ltd's hardware specifications
# and product briefs: Pi 1 B+ 512 MB; Pi 2 B, 3 B and 3 B+ 1 GB; 3 A+, Zero, Zero W and Zero 2 W
# 512 MB), by the model string their device tree carries (grammar/context.lark BOARD_MODEL). The
# kernel gets a little less (the firmware keeps the GPU's share): a ceiling, not a measurement.
BOARD_RAM_MB = {
    "Raspberry Pi Model B Plus": 512,
    "Raspberry Pi 2 Model B": 1024,
    "Raspberry Pi 3 Model B": 1024,
    "Raspberry Pi 3 Model B Plus": 1024,
    "Raspberry Pi 3 Model A Plus": 512,
    "Raspberry Pi Zero": 512,
    "Raspberry Pi Zero W": 512,
    "Raspberry Pi Zero 2 W": 512,
}


def board_ram_mb(model: str) -> int | None:
    """The RAM (MB) of a board its model string names (``Raspberry Pi 3 Model B Plus Rev 1.3``), when
    that model was sold with one size only."""
    return BOARD_RAM_MB.get(model.rsplit(" Rev ", 1)[0])


def swap_total(dump: Dump) -> Sized | None:
    """Configured swap (SwapTotal, `free`/`top` Swap total, the sum of /proc/swaps or swapon rows)."""
    if not facts(dump).lines:
        return None
    row = _meminfo(dump, "SwapTotal")
    if row is not None:
        return Sized(int(row.values["kb"]), "/proc/meminfo", _lines(row))
    for kind, source in (("free_swap", "free"), ("top_swap", "top")):
        for row in of(dump, kind):
            if "total_kb" in row.values:
                return Sized(int(row.values["total_kb"]), source, _lines(row))
    rows = [r for r in of(dump, "swap_row") if "size_kb" in r.values]
    if rows:
        return Sized(sum(int(r.values["size_kb"]) for r in rows), "/proc/swaps", _lines(*rows))
    return None


def swap_used(dump: Dump) -> Sized | None:
    """Swap in use when the command ran (`free`, `top`, /proc/swaps, vmstat swpd)."""
    if not facts(dump).lines:
        return None
    row = _meminfo(dump, "SwapFree")
    total = _meminfo(dump, "SwapTotal")
    if row is not None and total is not None:
        return Sized(int(total.values["kb"]) - int(row.values["kb"]), "/proc/meminfo", _lines(total, row))
    for kind, source in (("free_swap", "free"), ("top_swap", "top")):
        for row in of(dump, kind):
            if "used_kb" in row.values:
                return Sized(int(row.values["used_kb"]), source, _lines(row))
    rows = [r for r in of(dump, "swap_row") if "used_kb" in r.values]
    if rows:
        return Sized(sum(int(r.values["used_kb"]) for r in rows), "/proc/swaps", _lines(*rows))
    rows = list(of(dump, "vmstat_row"))
    if rows:
        return Sized(
            max(int(r.values["swpd_kb"]) for r in rows), "vmstat", _lines(max(rows, key=lambda r: r.values["swpd_kb"]))
        )
    return None


def memory_limit(dump: Dump) -> Sized | None:
    """The container's or unit's memory limit (kubectl Limits, docker Memory, docker stats, systemd)."""
    if not facts(dump).lines:
        return None
    for row in of(dump, "k8s_memory"):
        if row.values.get("section") == "limits" and row.values.get("kb"):
            return Sized(int(row.values["kb"]), "kubectl", _lines(row))
    for row in of(dump, "docker_memory"):
        if row.values.get("key") == "Memory" and int(row.values.get("kb") or 0) > 0:
            return Sized(int(row.values["kb"]), "docker inspect", _lines(row))
    for row in of(dump, "systemd_memory"):
        for key in ("max_kb", "limit_kb", "high_kb"):
            if row.values.get(key):
                return Sized(int(row.values[key]), "systemctl status", _lines(row))
    for row in of(dump, "systemd_property"):
        if row.values.get("key") in ("MemoryMax", "MemoryLimit", "MemoryHigh") and row.values.get("kb"):
            return Sized(int(row.values["kb"]), "systemd " + str(row.values["key"]), _lines(row))
    for row in of(dump, "docker_stats_row"):
        if row.values.get("limit_kb"):
            return Sized(int(row.values["limit_kb"]), "docker stats", _lines(row))
    return None


def container_oom_killed(dump: Dump) -> tuple[SourceLine, ...]:
    """Lines where container tooling says the OOM killer ended it (OOMKilled, systemd oom-kill)."""
    rows = [r for r in of(dump, "k8s_oomkilled", "docker_oomkilled", "systemd_oom") if r.values.get("oom_killed", True)]
    return _lines(*rows)


# A person's words that the network stopped working (not that packets were dropped): "the only
# thing that dies is the network", "network stops responding", "the NIC went down", "we lose
# connectivity". Verb and noun in either order, within one clause.
_NETWORK_NOUN = r"(?:network(?:ing)?|connectivity|nic|ethernet|eth\d+|ens\d+\w*|net(?:work)? interface)"
_NETWORK_DEAD_VERB = (
    r"(?:dies|died|dead|stops|stopped|stop (?:working|responding)|goes down|went down|hangs|hung|"
    r"freezes|froze|wedges|wedged|is lost|gets lost|unreachable|unresponsive)"
)
NETWORK_DEAD = re.compile(
    rf"\b{_NETWORK_NOUN}\b[^.;!?]{{0,40}}?\b{_NETWORK_DEAD_VERB}\b|"
    rf"\b(?:dies|died|dead|lose|loses|lost|losing)\b[^.;!?]{{0,30}}?\b{_NETWORK_NOUN}\b(?!\s*(?:packets?|frames?))",
    re.I,
)


def network_stopped(dump: Dump) -> tuple[SourceLine, ...]:
    """Lines of the paste that say the network stopped working: the kernel's transmit watchdog
    (net/sched/sch_generic.c dev_watchdog(): `NETDEV WATCHDOG: eth0 (driver): transmit queue 0
    timed out`, a queue that stopped moving) and the person's own words ("the network dies").
    What a failed atomic refill in a network driver led to, when the driver did not recover."""
    lines = [row.line for row in of(dump, "netdev_watchdog")]
    lines += prose_matching(dump, NETWORK_DEAD)
    return tuple(sorted(lines, key=lambda line: line.number))


def top_processes(dump: Dump) -> tuple[ContextLine, ...]:
    """`top` rows, largest resident size first."""
    return tuple(sorted(of(dump, "top_row"), key=lambda r: -int(r.values.get("res_kb") or 0)))


@dataclass(frozen=True)
class Named:
    """A program or unit the text around the report names (not the kernel's own report)."""

    name: str
    # "process" (matched by a record's process patterns), "unit" (its cgroup patterns) or "prose"
    # (a word of a person's own text, matched by the records' prose names)
    kind: str
    source: str  # "a unit systemd says the OOM killer hit", "top", "docker stats", "log tag", "systemd unit", "prose"
    line: SourceLine


def named_programs(dump: Dump) -> tuple[Named, ...]:
    """Programs and units the paste's other lines name, most telling first: a unit systemd says the
    OOM killer hit, the largest `top` row and the largest `docker stats` row (a snapshot's smaller
    rows say nothing about who held the memory), then syslog program tags and the units systemd
    logs about, in the order they appear; last, the weakest, a product name in the person's own
    words around the log ("our elasticsearch pod keeps dying": ``ContextFacts.prose``, a record's
    ``prose`` names), which says what runs there, not what held the memory.

    A function of the paste's context alone, asked for each of its events: worked out once per
    paste (``per_paste``)."""
    context = facts(dump)
    if not context.lines and not context.prose:
        return ()
    return per_paste(context, _named_programs, lambda: _named_programs(dump, context))


def _named_programs(dump: Dump, context: ContextFacts) -> tuple[Named, ...]:
    out: list[Named] = []
    for row in of(dump, "systemd_oom"):
        if row.values.get("unit"):
            out.append(Named(str(row.values["unit"]), "unit", "a unit systemd says the OOM killer hit", row.line))
    for row in top_processes(dump)[:1]:
        command = str(row.values.get("command") or "").split()
        if command:
            out.append(Named(command[0].rsplit("/", 1)[-1], "process", "the largest top row", row.line))
    stats = of(dump, "docker_stats_row")
    if stats:
        row = max(stats, key=lambda r: int(r.values.get("usage_kb") or 0))
        out.append(Named(str(row.values["name"]), "unit", "the largest docker stats row", row.line))
    for row in of(dump, "program_tag"):
        out.append(Named(str(row.values["program"]), "process", "a syslog program tag", row.line))
        if row.values.get("unit"):
            out.append(Named(str(row.values["unit"]), "unit", "a unit systemd logs about", row.line))
    for line in context.prose:
        for word in mentions(line.text):
            out.append(Named(word, "prose", PROSE_SOURCE, line))
    return tuple(out)


def largest_slab_cache(dump: Dump) -> ContextLine | None:
    rows = of(dump, "slabtop_row")
    return max(rows, key=lambda r: int(r.values["size_kb"]), default=None)


def kernel_lines(dump: Dump, *kinds: str) -> tuple[ContextLine, ...]:
    """Kernel lines of the given kinds (vmalloc_failure, kasan, kmemleak, modules)."""
    return of(dump, *kinds)


def summary(dump: Dump) -> dict[str, Any]:
    """Plain figures for renderers and tests."""
    out: dict[str, Any] = {}
    for name, value in (
        ("ram", ram(dump)),
        ("swap_total", swap_total(dump)),
        ("swap_used", swap_used(dump)),
        ("memory_limit", memory_limit(dump)),
    ):
        if value is not None:
            out[name + "_kb"] = value.kb
            out[name + "_source"] = value.source
    return out

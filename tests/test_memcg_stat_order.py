"""oom.lark tries MEMCG_STAT (a memory.stat line, `anon 103059456`) with the frequent lines rather
than last: that is only sound while no other terminal matches such a line, whatever their order."""

from __future__ import annotations

import random
import re

from grammar.lexicon import OTHER, classify_fields, oom_line_parser, ordered_terminals

# memory.stat keys as mm/memcontrol.c prints them under `Memory cgroup stats for ...:` (v1 and v2)
KEYS = [
    "cache",
    "rss",
    "rss_huge",
    "shmem",
    "mapped_file",
    "dirty",
    "writeback",
    "swap",
    "pgpgin",
    "pgpgout",
    "pgfault",
    "pgmajfault",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "hierarchical_memory_limit",
    "total_cache",
    "total_rss",
    "anon",
    "file",
    "kernel",
    "kernel_stack",
    "pagetables",
    "sec_pagetables",
    "percpu",
    "sock",
    "vmalloc",
    "file_mapped",
    "file_dirty",
    "file_writeback",
    "swapcached",
    "anon_thp",
    "file_thp",
    "shmem_thp",
    "slab_reclaimable",
    "slab_unreclaimable",
    "slab",
    "workingset_refault_anon",
    "workingset_activate_file",
    "workingset_nodereclaim",
    "pgscan",
    "pgsteal",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pglazyfreed",
    "thp_fault_alloc",
    "zswap",
    "zswapped",
]


def _lines() -> list[str]:
    rng = random.Random(12)
    out = [f"{key} {value}" for key in KEYS for value in (0, 7, 4096, 103059456, 10**15)]
    for _ in range(5000):
        key = rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(rng.randint(0, 24))
        )
        out.append(f"{key} {rng.randint(0, 10 ** rng.randint(1, 18))}{rng.choice(['', ' ', chr(9), '  '])}")
    return out


def test_a_memory_stat_line_is_no_other_terminals() -> None:
    terminals = [t for t in ordered_terminals(oom_line_parser()) if t.name not in (OTHER, "MEMCG_STAT")]
    patterns = [(t.name, re.compile(t.pattern.to_regexp())) for t in terminals]
    for line in _lines():
        assert classify_fields(line).kind == "MEMCG_STAT", line
        text = line + "\n"
        taken = [name for name, pattern in patterns if (match := pattern.match(text)) and match.end() == len(text)]
        assert not taken, (line, taken)


def test_memory_stat_lines_are_tried_before_the_rare_ones() -> None:
    order = [t.name for t in ordered_terminals(oom_line_parser())]
    # (the speed this order is for: a memory cgroup OOM prints some forty of them)
    assert order.index("MEMCG_STAT") < order.index("INVOKED") < order.index(OTHER)
    assert order.index("MEMCG_STAT") < order.index("MEMCG_STATS_START")

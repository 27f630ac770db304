"""Kernel lines a terminal or viewer cut at a fixed width, read back whole (grammar/normalise.py
joins, grammar/oom.lark's terminals decide which glue is right). The inputs are fold 1-4 corpus
cases (never fold 0) re-rendered by tests/renderings.py as tests/test_parser_renderings.py does:
each rendering must give the facts of the case's own lines in the kernel's format.

- A lone cut line among short ones (no width to read from its neighbours) whose continuation
  starts with a hanging indent (`...order=0, oom_sc` / `<TAB>ore_adj=0`): the indent is dropped.
- The symbolic gfp mask of an `invoked oom-killer` or `page allocation failure` line holds no
  whitespace (%pGg, lib/vsprintf.c): a word-wrap glue inside it (`__GFP_NOR ETRY`) is not the
  line, and the cut's glue is taken.
- A line a person shortened (a `_CUT` terminal: `Killed process 18177 (palo_be), UID 0, ...`)
  that a terminal then cut at the width of the lines near it is joined whole.
- A continuation starting with `: ` or `|` (mail quote marks, and kernel text) after a prefixed
  line long enough to have been cut, itself not quoted, is the rest of that line, not a quote.
"""

from __future__ import annotations

import pytest
from oomcases import is_held_out, load_case
from renderings import records, render

from bot.render.json_out import contract_fields
from grammar.parse import parse_text


def _facts(text: str | bytes) -> tuple:
    dump = parse_text(text)
    return dump.kernel, dump.arch, [contract_fields(event) for event in dump.events]


CASES = [
    # a lone cut line, its continuation after a tab: the order and oom_score_adj of the header
    ("lab-pagetables-deb61-arm64", "cut-100-tab"),
    # oom_score_adj=99 / <TAB>1: the last digit on a line of its own
    ("gh-2i2c-org-infrastructure-2359", "cut-100-tab"),
    # cut inside the symbolic mask of the header: `__GF` / `P_NOMEMALLOC`, `__GFP_` / `ZERO`
    ("lab-slab-sockleak-deb61-arm64", "cut-100-tab"),
    ("lore-419-i40e-ringparam-order5-patch", "cut-100-tab"),
    ("gh-burzumishi-linux-baytrail-flexx10-12", "cut-100-tab"),
    # cut before the closing parenthesis of the mask (`GFP_HIGHUSER_MOVABLE` / `), order=0`)
    ("gh-coroot-coroot-330", "cut-100"),
    # an allocation failure's mode cut inside (`GFP_KERNEL|_` / `_GFP_COMP)`)
    ("lore-2020-parisc-nfsd-cache-order5", "cut-100"),
    ("gh-jcmvbkbc-linux-xtensa-17", "cut-100"),
    # a kill line a person shortened (`, UID 0,` after the name), cut at the width
    ("gh-apache-doris-3525", "cut-100-tab"),
    ("gh-apache-doris-3525", "cut-100"),
    # the same in a short paste among prose, whose width is read from every line (no log block)
    ("gh-clickhouse-clickhouse-60948", "cut-100"),
    # a cut just before `: ` or `|`, which a mail reader puts before quoted lines: here the text's
    # own (`Comm: memhog Tainted` / `: G`, `GFP_HIGHUSER_MOVABLE` / `|__GFP_COLD)`), also after an indent
    ("lab-numa-cpuset-deb61-amd64", "cut-80"),
    ("gh-kaloz-mwlwifi-158", "cut-100"),
    ("lore-411-ltp-oom02-mlocked-node1-reaper", "cut-100"),
    ("gh-raspberrypi-linux-2909", "cut-80-indent"),
    # a shortened kill line a mail reader wrapped before its sizes (`..., UID 0,` / `total-vm:...`),
    # among few log lines
    ("gh-apache-doris-3525", "word-wrap-80"),
]


@pytest.mark.parametrize(("case", "name"), CASES)
def test_a_cut_rendering_gives_the_facts_of_the_case(case: str, name: str) -> None:
    assert not is_held_out(case)
    recs = records(load_case(case)[0])
    assert recs is not None
    expected = _facts(render("dmesg", recs))
    assert expected[2], "the case's lines give events"
    assert _facts(render(name, recs)) == expected

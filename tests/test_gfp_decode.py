"""gfp decoding semantics: names, zones, reclaim and OOM-killer rules per kernel era, orders, reverse lookup."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import gfp as cli_gfp
from grammar.facts import Dump, Event, Trigger
from knowledge.gfp import MaskError, decode, decode_event_mask, encode, load_tables, meaning_for
from knowledge.gfp.decoder import _meanings

SHARED_TABLES = Path(__file__).resolve().parents[1].parent / "shared" / "gfp" / "gfp_tables.json"
PACKAGED_TABLES = Path(__file__).resolve().parents[1] / "knowledge" / "gfp" / "data" / "gfp_tables.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oomlens")
    cli_gfp.add_subparser(parser.add_subparsers(dest="command"))
    return parser


# ----------------------------------------------------------------------------- the example


def test_3_2_mask_named_with_that_eras_names(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["gfp", "0x84d0", "--kernel", "3.2.59", "--format", "json"])
    assert cli_gfp.run(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["symbolic"] == "GFP_KERNEL|__GFP_REPEAT|__GFP_ZERO"
    assert result["table"] == "3.2"
    assert result["highest_zone"] == "Normal"
    assert result["may_reclaim"] is True
    assert result["may_invoke_oom_killer"] is True
    assert result["symbolic_is_kernel_output"] is False  # 3.2 prints hex only
    assert "__GFP_WAIT" in [flag["name"] for flag in result["flags"]]
    for key in (
        "mask",
        "kernel",
        "table",
        "symbolic",
        "flags",
        "highest_zone",
        "may_reclaim",
        "may_invoke_oom_killer",
        "alternatives",
    ):
        assert key in result
    assert all({"name", "value", "meaning"} <= set(flag) for flag in result["flags"])


def test_3_2_text_rendering_is_short_and_says_it(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["gfp", "0x84d0", "--kernel", "3.2.59"])
    assert cli_gfp.run(args) == 0
    text = capsys.readouterr().out
    assert "GFP_KERNEL|__GFP_REPEAT|__GFP_ZERO" in text
    assert "highest zone Normal" in text
    assert "may invoke the OOM killer" in text
    assert "cannot use HighMem" in text
    assert len(text.splitlines()) <= 20


# ----------------------------------------------------------------------------- reverse lookup


def test_reverse_lookup_on_5_4() -> None:
    assert encode("GFP_KERNEL|__GFP_ZERO", "5.4") == 0xDC0


def test_reverse_lookup_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["gfp", "GFP_KERNEL|__GFP_ZERO", "--kernel", "5.4.0", "--format", "json"])
    assert cli_gfp.run(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mask"] == "0xdc0"
    assert result["symbolic"] == "GFP_KERNEL|__GFP_ZERO"


def test_reverse_lookup_depends_on_the_era() -> None:
    # GFP_KERNEL: 0xd0 (<= 4.3), 0x24000c0 (4.4-4.9), 0x14000c0 (4.10-4.17), 0x6000c0 (4.18-5.0), 0xcc0 (5.1+)
    assert encode("GFP_KERNEL", "3.10.0") == 0xD0
    assert encode("GFP_KERNEL", "4.4.0") == 0x24000C0
    assert encode("GFP_KERNEL", "4.15.0") == 0x14000C0
    assert encode("GFP_KERNEL", "4.19.0") == 0x6000C0
    assert encode("GFP_KERNEL", "6.1.0") == 0xCC0


def test_unknown_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MaskError):
        encode("GFP_NOT_A_FLAG", "5.4")
    args = _parser().parse_args(["gfp", "GFP_NOT_A_FLAG", "--kernel", "5.4"])
    assert cli_gfp.run(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GFP_NOT_A_FLAG" in err


def test_unparseable_mask_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(["gfp", "not-a-mask"])
    assert cli_gfp.run(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("oomlens gfp:") and captured.err.count("\n") == 1


@settings(max_examples=150, deadline=None)
@given(table_key=st.sampled_from([key for key in load_tables() if "-" not in key]), raw=st.integers(0, 2**28))
def test_symbolic_text_encodes_back_to_the_mask(table_key: str, raw: int) -> None:
    table = load_tables()[table_key]
    mask = raw & table.view().known_bits
    decoding = decode(mask, table_key)
    if mask == 0:
        assert decoding.symbolic == ""
        return
    assert encode(decoding.symbolic or "", table_key) == mask


@settings(max_examples=100, deadline=None)
@given(
    mask=st.integers(0, 2**40),
    kernel=st.sampled_from([None, "2.6.18", "3.10.0-1160.el7", "4.9.0", "6.19.2", "junk", "5.14.0-1.el9"]),
    order=st.one_of(st.none(), st.integers(-1, 11)),
)
def test_decode_never_raises_on_any_integer(mask: int, kernel: str | None, order: int | None) -> None:
    decoding = decode(mask, kernel, order=order)
    assert decoding.mask == mask
    json.dumps(decoding.to_dict())


# ----------------------------------------------------------------------------- cross-check, unknown kernel


def test_printed_text_disagreeing_with_the_release_is_a_warning() -> None:
    # 0x6200ca(GFP_HIGHUSER_MOVABLE) is a 4.18-5.0 line; on 5.4 the same bits mean something else.
    decoding = decode("0x6200ca", "5.4.0-100-generic", symbolic="GFP_HIGHUSER_MOVABLE")
    assert any("misread" in warning for warning in decoding.warnings)
    assert any("4.18" in alternative.tables for alternative in decoding.alternatives)


def test_symbolic_text_on_a_pre_4_6_release_is_a_warning() -> None:
    decoding = decode("0x24000c0", "4.4.178", symbolic="GFP_KERNEL")
    assert any("misread" in warning for warning in decoding.warnings)


def test_unknown_kernel_lists_eras_and_what_would_settle_it() -> None:
    decoding = decode("0x84d0")
    assert decoding.alternatives
    readings = {alternative.symbolic for alternative in decoding.alternatives} | {decoding.symbolic}
    assert "GFP_KERNEL|__GFP_REPEAT|__GFP_ZERO" in readings
    assert any("__GFP_NOFAIL" in reading for reading in readings if reading)  # the 5.1+ reading
    assert any("CPU:" in hint for hint in decoding.settle_with)
    assert any("symbolic" in hint for hint in decoding.settle_with)


def test_unknown_kernel_with_printed_text_picks_consistent_eras() -> None:
    # The 6.17+ print order: only 6.17 and newer print ZERO before COMP.
    decoding = decode("0x140dca", None, symbolic="GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP")
    assert decoding.symbolic == "GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP"
    assert load_tables()[decoding.table].version >= (6, 17)


def test_lockdep_bit_on_a_debug_kernel_is_explained() -> None:
    # 4.12-4.17 with CONFIG_LOCKDEP: __GFP_NOLOCKDEP is 0x2000000 (not in the print table).
    decoding = decode(0x14000C0 | 0x2000000, "4.15.0-rc8+")
    assert "__GFP_NOLOCKDEP" in decoding.flag_names
    assert "LOCKDEP" in decoding.config
    assert decoding.symbolic == "GFP_KERNEL|0x2000000"
    assert decoding.unknown_bits == 0


def test_kasan_hw_tags_on_arm64() -> None:
    # 6.4+ with CONFIG_KASAN_HW_TAGS: GFP_HIGHUSER_MOVABLE includes __GFP_SKIP_KASAN (0x2100cca).
    decoding = decode("0x2100cca", "6.6.30-android15", arch="aarch64")
    assert decoding.symbolic == "GFP_HIGHUSER_MOVABLE"
    assert "KASAN_HW_TAGS" in decoding.config


def test_kasan_hw_tags_is_not_an_explanation_on_x86() -> None:
    decoding = decode("0x1100cca", "6.1.0", arch="x86_64")
    assert decoding.unknown_bits == 0x1000000
    assert any("0x1000000" in warning for warning in decoding.warnings)


def test_no_obj_ext_is_a_hex_remainder_before_6_17_and_named_after() -> None:
    assert decode(0x140DCA | 0x1000000, "6.12.0").symbolic == "GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO|0x1000000"
    assert decode(0x140DCA | 0x1000000, "6.18.41-lts").symbolic == (
        "GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP|__GFP_NO_OBJ_EXT"
    )


def test_gfp_nowait_changed_in_6_8() -> None:
    assert decode("0x2800", "6.6.87").symbolic == "GFP_NOWAIT|__GFP_NOWARN"
    assert decode("0x2800", "6.8.0").symbolic == "GFP_NOWAIT"


# ----------------------------------------------------------------------------- zones


@pytest.mark.parametrize(
    ("expression", "kernel", "zone"),
    [
        ("GFP_HIGHUSER_MOVABLE", "5.4.0", "Movable"),
        ("GFP_HIGHUSER", "3.10.0", "HighMem"),
        ("GFP_KERNEL", "6.1.0", "Normal"),
        ("GFP_KERNEL|GFP_DMA32", "4.19.0", "DMA32"),
        ("GFP_ATOMIC|GFP_DMA", "2.6.32", "DMA"),
        ("GFP_KERNEL|__GFP_MOVABLE", "5.10.0", "Normal"),  # MOVABLE without HIGHMEM stays in Normal
        ("__GFP_DMA|__GFP_HIGHMEM", "5.10.0", "invalid"),
    ],
)
def test_highest_zone(expression: str, kernel: str, zone: str) -> None:
    assert decode(expression, kernel).highest_zone == zone


# ----------------------------------------------------------------------------- OOM-killer rules


@pytest.mark.parametrize(
    ("expression", "kernel", "order", "expected"),
    [
        ("GFP_KERNEL", "5.4.0", 0, True),
        ("GFP_KERNEL", "5.4.0", 3, True),
        ("GFP_KERNEL", "5.4.0", 4, False),  # costly order
        ("GFP_KERNEL|__GFP_NORETRY", "5.4.0", 0, False),
        ("GFP_KERNEL|__GFP_RETRY_MAYFAIL", "4.19.0", 0, False),  # 4.13+
        ("GFP_KERNEL|__GFP_REPEAT", "4.9.0", 0, True),  # __GFP_REPEAT never blocked it
        ("GFP_KERNEL|__GFP_THISNODE", "5.4.0", 0, False),
        ("GFP_KERNEL|__GFP_THISNODE", "2.6.32", 0, True),  # 2.6.32 only bails for full GFP_THISNODE
        ("GFP_ATOMIC", "5.4.0", 0, False),
        ("GFP_NOWAIT", "6.8.0", 0, False),
        ("GFP_NOFS", "5.4.0", 0, False),
        ("GFP_NOIO", "3.10.0", 0, False),
        ("GFP_NOFS|__GFP_NOFAIL", "4.9.0", 0, True),  # 4.4-4.10: __GFP_NOFAIL overrides the checks
        ("GFP_NOFS|__GFP_NOFAIL", "4.19.0", 0, False),  # 4.11+: it no longer does
        ("GFP_KERNEL|__GFP_NOFAIL", "3.10.0", 5, True),  # 2.6.32-4.10: NOFAIL costly allocations OOM-kill
        ("GFP_KERNEL|__GFP_NOFAIL", "5.10.0", 5, False),
        ("GFP_KERNEL", "2.6.18", 5, True),  # 2.6.18 __alloc_pages had no order check
        ("GFP_KERNEL", "2.6.32", 5, False),
        ("GFP_KERNEL|GFP_DMA", "4.19.0", 0, False),  # lowmem (3.x+)
        ("GFP_KERNEL|GFP_DMA", "2.6.32", 0, True),
    ],
)
def test_may_invoke_oom_killer(expression: str, kernel: str, order: int, expected: bool) -> None:
    decoding = decode(expression, kernel, order=order)
    assert decoding.may_invoke_oom_killer is expected
    assert decoding.oom_rule_source and re.search(r"mm/(page_alloc|oom_kill)\.c v\d", decoding.oom_rule_source)


def test_zero_mask_has_no_allocation_context() -> None:
    decoding = decode("0x0", "5.4.114-rc1", symbolic="")
    assert decoding.symbolic == ""
    assert decoding.may_invoke_oom_killer is None
    assert "page fault" in decoding.oom_reasons[0]


@pytest.mark.parametrize(
    ("expression", "kernel", "reclaim", "kswapd", "atomic"),
    [
        ("GFP_ATOMIC", "5.4.0", False, True, True),
        ("GFP_KERNEL", "5.4.0", True, True, False),
        ("GFP_TRANSHUGE_LIGHT", "5.4.0", False, False, True),
        ("GFP_KERNEL", "3.2.0", True, True, False),
        ("GFP_TRANSHUGE", "3.2.0", True, False, False),  # __GFP_NO_KSWAPD
    ],
)
def test_reclaim_facts(expression: str, kernel: str, reclaim: bool, kswapd: bool, atomic: bool) -> None:
    decoding = decode(expression, kernel)
    assert decoding.may_reclaim is reclaim
    assert decoding.may_wake_kswapd is kswapd
    assert decoding.is_atomic is atomic


# ----------------------------------------------------------------------------- orders


@pytest.mark.parametrize(
    ("order", "page_size_kb", "arch", "size_kb", "costly"),
    [
        (0, 4, None, 4, False),
        (3, 4, None, 32, False),
        (4, 4, None, 64, True),
        (3, 16, "aarch64", 128, False),
        (3, 64, "ppc64le", 512, False),
        (3, None, "sparc64", 64, False),  # sparc64 pages are 8K
        (9, 4, "x86_64", 2048, True),
    ],
)
def test_order_size(order: int, page_size_kb: int | None, arch: str | None, size_kb: int, costly: bool) -> None:
    decoding = decode("0xcc0", "5.10.0", order=order, page_size_kb=page_size_kb, arch=arch)
    assert decoding.order is not None
    assert decoding.order.pages == 2**order
    assert decoding.order.size_kb == size_kb
    assert decoding.order.costly is costly


def test_costly_order_explains_fragmentation() -> None:
    decoding = decode("0xcc0", "5.10.0", order=4)
    assert decoding.order is not None and "fragmentation" in decoding.order.note


# ----------------------------------------------------------------------------- data


def test_packaged_tables_are_the_shared_facts() -> None:
    if not SHARED_TABLES.exists():
        pytest.skip("../shared not beside the clone")
    assert json.loads(PACKAGED_TABLES.read_text()) == json.loads(SHARED_TABLES.read_text())


def test_every_print_table_name_has_a_value() -> None:
    for table in load_tables().values():
        for config in table.configs:
            view = table.view(config)
            if view.print_table_composed:
                continue
            missing = [name for name in view.print_names if name not in view.values]
            assert not missing, (table.key, config, missing)


def test_every_name_in_every_table_has_a_cited_meaning() -> None:
    source_pattern = re.compile(r"(include/linux/gfp(_types)?\.h|mm/\w+\.c) v?\d")
    for table in load_tables().values():
        names = [n for n in table.data["flags"] if n.startswith("__GFP_")]
        names += list(table.data["composites"])
        for name in names:
            meaning, source = meaning_for(name, table)
            assert source is not None, (table.key, name)
            assert source_pattern.search(source), (name, source)
            assert meaning and "no meaning" not in meaning


def test_meaning_eras_switch_where_the_kernel_changed() -> None:
    tables = load_tables()
    assert "interrupt" in meaning_for("__GFP_ATOMIC", tables["4.4"])[0]
    old, _ = meaning_for("GFP_NOWAIT", tables["6.6"])
    new, _ = meaning_for("GFP_NOWAIT", tables["6.8"])
    assert old != new
    assert all("source" in entry for rules in _meanings()["flags"].values() for entry in rules)


# ----------------------------------------------------------------------------- events


def _event(mask: str | None, symbolic: str | None = None, order: int | None = 0, mode: str | None = None) -> Event:
    trigger = None
    if mask is not None:
        trigger = Trigger(
            comm="java",
            pid=1,
            gfp_mask=mask,
            gfp_symbolic=symbolic,
            order=order,
            oom_adj=None,
            oom_score_adj=0,
            nodemask=None,
            line=1,
        )
    return Event(index=0, kind="oom-kill", first_line=1, last_line=2, trigger=trigger, alloc_failure_mode=mode)


def _dump(kernel: str | None, arch: str | None = "x86_64", page_size_kb: int | None = None) -> Dump:
    return Dump(kernel=kernel, arch=arch, page_size_kb=page_size_kb, events=(), warnings=(), line_count=2)


def test_event_mask_decoded_with_the_dumps_kernel() -> None:
    decoding = decode_event_mask(_event("0x6000c0", "GFP_KERNEL"), _dump("4.19.4-1.el7.elrepo.x86_64"))
    assert decoding is not None
    assert decoding.symbolic == "GFP_KERNEL"
    assert decoding.flag_names == ["__GFP_IO", "__GFP_FS", "__GFP_DIRECT_RECLAIM", "__GFP_KSWAPD_RECLAIM"]
    assert decoding.warnings == ()


def test_allocation_failure_mode_string() -> None:
    event = _event(None, mode="0x2080020(GFP_ATOMIC)")
    decoding = decode_event_mask(event, _dump("4.9.0", page_size_kb=4))
    assert decoding is not None
    assert decoding.symbolic == "GFP_ATOMIC"
    assert decoding.is_atomic is True


def test_event_mismatch_becomes_a_warning() -> None:
    decoding = decode_event_mask(_event("0x100cca", "GFP_HIGHUSER_MOVABLE"), _dump("4.19.0"))
    assert decoding is not None
    assert any("misread" in warning for warning in decoding.warnings)


@pytest.mark.parametrize("mask", ["garbage", "", "0x", "((("])
def test_odd_event_masks_never_raise(mask: str) -> None:
    assert decode_event_mask(_event(mask), _dump("5.4.0")) is None


def test_event_without_mask_is_none() -> None:
    assert decode_event_mask(_event(None), _dump("5.4.0")) is None
    assert decode_event_mask(object(), object()) is None

"""A vmalloc failure's warn_alloc() header as the kernel prints it (mm/page_alloc.c warn_alloc(),
4.12-6.x: `pr_warn("%s: %pV, mode:%#x(%pGg), nodemask=%*pbl", current->comm, ...)`, the %pV text
from mm/vmalloc.c __vmalloc_node_range(): 4.12-5.12 `vmalloc: allocation failure: %lu bytes`,
5.13-6.x `vmalloc error: size %lu, exceeds total pages` and its siblings), read when a person cut
it before its mode (grammar/oom.lark VMALLOC_FAILURE_CUT), and the word size its size shows: vmalloc
takes an unsigned long, 32 bits on every 32-bit arch, so a size above 2^32 - 1 was asked for by a
64-bit kernel, which with x86's `<TASK>` markers is x86_64 (grammar/parse.py _sixty_four_bit).
Real inputs: the forty-fourth wave's ipset and GHES cases (fold 3), held back in tests/pending
(read from tests/corpus once they move)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from bot.render.json_out import contract_fields

REPO = Path(__file__).resolve().parent.parent
IPSET = "lore-netdev-ipset-hash-netiface-vmalloc-1g-limit"
GHES = "lore-519rc6-amd-epyc-ghes-pool-vmalloc-overflow"


def _events(text: str) -> list[dict[str, Any]]:
    return [contract_fields(analysed.event) for analysed in analyze(text).events]


def test_the_cases_are_not_held_out() -> None:
    assert not [case for case in (IPSET, GHES) if is_held_out(case)]


@pytest.mark.parametrize("case", [IPSET, GHES])
def test_the_real_reports_give_the_labelled_facts(case: str) -> None:
    data, meta = load_case(case)
    text = data.decode()
    (event,) = _events(text)
    (labelled,) = meta["events"]
    assert {key: event.get(key) for key in labelled} == labelled
    report = analyze(text)
    assert (report.dump.arch, report.events[0].event.arch) == (meta["arch"], meta["arch"])


def test_the_ipset_header_cut_before_its_mode_opens_the_event() -> None:
    text = load_case(IPSET)[0].decode()
    (analysed,) = analyze(text).events
    event = analysed.event
    assert event.trigger is not None and (event.trigger.comm, event.trigger.line) == ("ipset", 18)
    assert event.first_line == 18 and "alloc-failure" not in event.missing


@pytest.mark.parametrize(
    ("line", "comm", "order", "mask"),
    [
        ("ipset: vmalloc error: size 1073741848, exceeds total pages", "ipset", None, None),
        ("insmod: vmalloc error: size 2097152, page order 9, failed to allocate pages", "insmod", 9, None),
        ("modprobe: vmalloc error: size 8192, vm_struct allocation failed", "modprobe", None, None),
        ("python3: vmalloc: allocation failure: 20480 bytes", "python3", None, None),
        ("python3: vmalloc: allocation failure, allocated 12288 of 20480 bytes", "python3", None, None),
        # cut inside the mode: the mask stands when its parenthesis shows it whole
        (
            "insmod: vmalloc error: size 2097152, failed to allocate pages, mode:0xdc0(GFP_KERNEL|__GFP_ZE",
            "insmod",
            None,
            "0xdc0",
        ),
        ("insmod: vmalloc error: size 2097152, failed to allocate pages, mo", "insmod", None, None),
        # the whole line, as before
        (
            "insmod: vmalloc error: size 2097152, page order 9, failed to allocate pages, mode:0xdc0(GFP_KERNEL|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0",
            "insmod",
            9,
            "0xdc0",
        ),
    ],
)
def test_a_vmalloc_header_is_read_up_to_its_cut(line: str, comm: str, order: int | None, mask: str | None) -> None:
    (event,) = _events(f"[ 123.456789] {line}\n")
    assert event["kind"] == "page-allocation-failure"
    assert (event["trigger_comm"], event["order"], event["gfp_mask"]) == (comm, order, mask)


@pytest.mark.parametrize(
    "text",
    [
        "I keep seeing vmalloc error: size messages in dmesg\n",
        "We got: vmalloc error: size 12 yesterday\n",  # no comma after the size: not the kernel's words
        "note: vmalloc: allocation failure happens often here\n",
    ],
)
def test_a_sentence_naming_the_message_is_no_header(text: str) -> None:
    assert _events(text) == []


def _ghes_with_size(size: int) -> str:
    text = load_case(GHES)[0].decode()
    return text.replace("size 18446744071562596352,", f"size {size},")


@pytest.mark.parametrize(("size", "arch"), [(2**32 - 1, None), (2**32, "x86_64"), (1073741848, None)])
def test_a_size_only_a_64_bit_kernel_prints_makes_x86_markers_x86_64(size: int, arch: str | None) -> None:
    # <TASK> markers are x86 (arch/x86/kernel/dumpstack.c, 5.16+), 32- or 64-bit: a size that fits
    # in 32 bits cannot tell the two apart
    report = analyze(_ghes_with_size(size))
    assert report.events[0].event.arch == arch


def test_the_word_size_alone_names_no_arch() -> None:
    # the same header and a trace without x86's markers or registers: 64-bit, but which arch?
    text = "".join(
        line + "\n" for line in _ghes_with_size(2**40).splitlines() if "<TASK>" not in line and "</TASK>" not in line
    )
    assert analyze(text).events[0].event.arch is None

"""kernel_fixes records tied by the machine's situation (``situation``): a defect that only a kind of
machine has - an x86 kdump (capture) kernel, whose ZONE_DMA holds no managed pages - which the report
itself does not print, so a line of the paste (the kernel command line's elfcorehdr=, the person's
words) must say it. Matched on the real folds 1-4 paste of the warning's own fix (the stable review of
c4dc63f0032c): the warning is called expected and the fix that silences it is among the first three
steps; each condition that ties the record fails it when changed."""

from __future__ import annotations

import re

from oomcases import first_steps as _steps
from oomcases import is_held_out, load_case
from oomcases import kernel_fix_ids as _ids

from bot.pipeline import analyze

KDUMP = "lore-516-x86_64-kdump-sr-probe-dma-order0-nowarn"  # stable review of c4dc63f0032c (5.10 039/563)
POOL = "lore-513-kdump-dma-atomic-pool-order5"  # lore 20211223094435.248523-3-bhe@redhat.com
RECORD = "x86-kdump-empty-zone-dma-gfp-dma-warns"


def _text(case: str) -> str:
    return load_case(case)[0].decode()


def _expert_fix(case: str, steps: list[str]) -> bool:
    patterns = [re.compile(p, re.I) for p in load_case(case)[1]["fix_patterns"]]
    return any(all(p.search(step) for p in patterns) for step in steps)


def test_the_cases_are_not_held_out() -> None:
    assert not [c for c in (KDUMP, POOL) if is_held_out(c)]


def test_a_kdump_kernels_gfp_dma_warning_is_called_expected() -> None:
    text = _text(KDUMP)
    assert _ids(text) == [RECORD]
    top = analyze(text).events[0].findings[0]
    assert top.code == "OOM502" and top.category == "benign_nowarn_failure"
    steps = _steps(text)
    assert "ignore the warning" in steps[0] and "kdump kernel" in steps[0]
    assert any("c4dc63f0032c" in s for s in steps[:3])
    assert _expert_fix(KDUMP, steps)


def test_the_paste_must_say_it_is_a_kdump_kernel() -> None:
    text = _text(KDUMP)
    plain = re.sub(r"(?i)kdump kernel", "kernel", text)
    assert _ids(plain) == []
    # 'Kdump: loaded' in a task header is the first kernel with a capture kernel loaded
    loaded = plain.replace("kworker/u2:2 Not tainted", "kworker/u2:2 Kdump: loaded Not tainted")
    assert _ids(loaded) == []
    # a capture kernel's command line says it as well
    booted = "Command line: ro irqpoll nr_cpus=1 reset_devices elfcorehdr=868M\n" + plain
    assert _ids(booted) == [RECORD]


def test_the_release_and_the_request_tie_it() -> None:
    text = _text(KDUMP)
    # c4dc63f0032c is in 5.17: that kernel no longer prints the warning
    assert _ids(text.replace("5.16.0-rc4+", "5.17.0")) == []
    # a request that may use other zones is not confined to the empty ZONE_DMA
    assert _ids(text.replace("mode:0xcc1(GFP_KERNEL|GFP_DMA)", "mode:0xcc0(GFP_KERNEL)")) == []


def test_a_defect_that_removes_the_request_keeps_the_lead() -> None:
    # the kdump kernel's DMA atomic pool: the harmless record fits as well, but the pool that should
    # not be created at all (a674e48c5443) is the story, so OOM502 stays silent
    text = _text(POOL)
    assert RECORD in _ids(text)
    findings = analyze(text).events[0].findings
    assert findings[0].code == "OOM110" and all(f.code != "OOM502" for f in findings)
    assert "a674e48c5443" in findings[0].remediation[0]

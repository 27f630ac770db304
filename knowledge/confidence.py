"""Honest confidence: what a confidence of 60 % or more promises, and what to say below it.

An answer at >= 60 % (``CONFIDENT``) must be right at least 9 times in 10 on pastes no threshold
was tuned on (measured by ``bench/confidence_holdout.py`` and ``tests/test_confidence_holdout.py``).
Two rules keep it so:

- ``calibrate``: a finding inferred from a paste that lacks the memory report (no Mem-Info: no
  zones, no counters) is compressed below ``CONFIDENT`` (keeping the ranking). Without the report, a large victim, an
  order, a kernel version say what is likely, not what happened. Findings that rest on what the
  kernel or a tool states outright (a memcg or cpuset constraint, SysRq, panic_on_oom, a vmalloc
  space message, a failed GFP_DMA request, OOMKilled, a costly order, oom_score_adj -1000 in the task table, an order-0
  atomic failure, a kill score or page total no correct kernel prints) keep theirs. A kill line's
  per-mille score is not among them: it measures the victim's share, which does not tell a program
  that grew from a machine too small for its work (docs/diagnosis.md, Honest confidence).
- ``doubt``: below ``CONFIDENT`` the reply says plainly that the cause cannot be told from the
  paste and which lines to paste next, from the event's ``missing`` parts; when the report is
  all there, the output that tells the candidate causes apart (``knowledge/confirm.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from grammar.facts import Event

from .model import Finding

CONFIDENT = 0.60
CONFIRM_PATH = Path(__file__).with_name("confirm.yaml")
THIN_CAP = 0.55  # inferred findings on a paste without the memory report stay below CONFIDENT:
THIN_SLOPE = 0.1  # above THIN_CAP they are compressed into [0.55, 0.595)

# Checks whose finding rests on a statement of the kernel or of a tool, not on an inference from figures
DECLARED = frozenset(
    {
        "manual_trigger",
        "panic_policy",
        "no_killable",
        "memcg_limit",
        "memcg_shmem",
        "cpuset_mempolicy",
        "numa_node",
        "vmalloc_space",
        # a vmalloc size of zero or beyond all of RAM, stated by the kernel's own failure line
        "vmalloc_bad_size",
        "container_killed_context",
        "score_adj_protection",
        "repeated_kills",
        "benign_fallback",
        "undetermined",
        # a cited kernel_fixes record fits the trace function or the kernel series the paste prints
        "known_defect",
        # the same, for a record whose defect is the warning itself (a failure the caller recovers from)
        "known_noise",
        # the kernel says nothing is killable and the paste shows no process exists yet
        "kernel_too_big_for_ram",
        # an order-0 atomic request fails only below the zone's (atomic) min watermark: the failure
        # line itself proves the reserve ran dry
        "atomic_reserve",
    }
)

# What to paste, for each part of a full report a paste may lack (grammar.parse.MISSING names them)
PASTE_NEXT = {
    "trigger": "the line `... invoked oom-killer: gfp_mask=..., order=...` and the lines after it",
    "alloc-failure": "the line `...: page allocation failure: order:..., mode:...` and the lines after it",
    "mem-info": "the `Mem-Info:` block (from `Mem-Info:` to `pages RAM`/`pages reserved`)",
    "memcg-usage": "the memory cgroup lines (`memory: usage ..., limit ...` and `Memory cgroup stats for ...`)",
    "task-dump": "the task table (`[  pid  ]   uid  tgid total_vm      rss ...` and its rows)",
    "kill": "the `Killed process ...` / `oom-kill:constraint=...` lines",
}
WHOLE_REPORT = (
    "the whole report: `journalctl -k` or `dmesg` from the `invoked oom-killer` (or `page allocation "
    "failure`) line to the `Killed process` line"
)


# Checks that measure where RAM went. On an allocation-failure warning (no kill) they say why free
# memory was low, not why this request failed: that is the request's order, flags and reserves
# (in the training folds experts named fragmentation, reserves, CMA, a defect or a harmless
# warning for every such event, never a share of RAM).
RAM_SHARE_CHECKS = frozenset(
    {
        "shmem_share",
        "hugetlb_pool",
        "slab_unreclaimable",
        "pagetables_share",
        "mlocked_share",
        "unaccounted",
        "unaccounted_named",
        "dirty_writeback",
        "slab_share_of_counted",
    }
)


# PAGE_ALLOC_COSTLY_ORDER (include/linux/mmzone.h): up to it a request that may reclaim keeps
# reclaiming until it succeeds or the OOM killer runs
COSTLY_ORDER = 3


def _request_warning(event: Event) -> bool:
    """A warn_alloc() report about one request (nothing killed), where where RAM went does not say
    what happened to it - every allocation-failure warning, and 4.9-4.14's stall warning for a
    request above the costly order (OOM503's). A stall warning for an ordinary request is the
    pressure before an OOM kill: where RAM went is what stalled it (OOM504)."""
    if event.kind != "page-allocation-failure" or event.kill is not None:
        return False
    if event.stall_ms is None:
        return True
    order = event.trigger.order if event.trigger is not None else None
    return order is None or order > COSTLY_ORDER


def role_for(check: str, event: Event, role: str | None) -> str | None:
    """The role a finding may claim for this event: RAM shares are contributing on allocation failures."""
    if check in RAM_SHARE_CHECKS and _request_warning(event):
        return "contributing"
    return role


def calibrate(confidence: float, check: str, event: Event, hit_context: dict[str, Any] | None = None) -> float:
    """The confidence a finding may claim for this event (see the module docstring)."""
    if check in DECLARED:
        return confidence
    context = hit_context or {}
    if check == "fragmentation" and context.get("costly"):
        return confidence  # order > 3: the kernel never kills for these, the failure is about contiguity
    if check == "dma_zone" and context.get("mode") == "confined":
        return confidence  # the failure line's gfp mask says GFP_DMA: only ZONE_DMA could serve it
    if check == "kernel_path_clue" and context.get("shown"):
        return confidence  # a kill score or page total the kernel printed that no correct kernel can
    if check in RAM_SHARE_CHECKS and _request_warning(event) and confidence > THIN_CAP:
        # where RAM went does not say why this request failed (role_for): never a confident answer
        return THIN_CAP + (confidence - THIN_CAP) * THIN_SLOPE
    if "mem-info" in event.missing and event.kind != "memcg-oom" and confidence > THIN_CAP:
        # compressed, not clipped: the order between findings (the ranking) survives
        return THIN_CAP + (confidence - THIN_CAP) * THIN_SLOPE
    return confidence


def doubt(findings: Sequence[Finding], missing: Sequence[str], paste: str | None = None) -> str | None:
    """Below CONFIDENT: what cannot be told, and what to paste next (``missing``: the event's missing
    parts, grammar.parse.MISSING keys; ``paste``: what to paste, when the answer lists those parts
    itself). None when the answer is confident."""
    causes = [f for f in findings if f.role == "root-cause"]
    top = causes[0] if causes else None
    if top is not None and top.confidence >= CONFIDENT:
        return None
    others = sorted({f.category for f in causes[1:3]} - {top.category if top else ""})
    if top is None:
        what = "The paste does not show enough of the report to name a cause."
    elif others:
        what = (
            f"Not certain ({top.confidence:.0%}): the paste cannot tell {top.category.replace('_', ' ')} "
            f"from {' or '.join(o.replace('_', ' ') for o in others)}."
        )
    elif missing or paste is not None:
        what = f"Not certain ({top.confidence:.0%}): the paste lacks the figures that would confirm it."
    else:
        what = f"Not certain ({top.confidence:.0%}): the report alone does not confirm it."
    if paste is None:
        parts = [PASTE_NEXT[m] for m in missing if m in PASTE_NEXT]
        if not parts and top is not None:
            # the whole report is there: what tells the candidates apart is outside it
            told = confirming(top.category, *others)
            if told:
                return f"{what} To tell, paste what the machine shows: {told}."
        paste = "; ".join(parts) if parts else WHOLE_REPORT
    return f"{what} To tell, paste {paste}."


@cache
def _confirm() -> dict[str, str]:
    """knowledge/confirm.yaml: per root-cause category, the output that confirms or rules it out."""
    from .yamlload import load_yaml

    return dict(load_yaml(CONFIRM_PATH.read_text("utf-8")) or {})


def confirming(*categories: str) -> str:
    """What to paste to tell ``categories`` apart once the report is all there ("" when none)."""
    table = _confirm()
    return "; ".join(
        f"for {category.replace('_', ' ')}, {table[category]}" for category in categories if category in table
    )

"""General gaps the nineteenth wave showed (issue 13), on real corpus inputs of folds 1-4.

1. A failed request whose caller walks down a list of orders and retries at the next smaller one
   was read as fragmentation to fix: the dma-buf and ION system heaps' alloc_largest_available()
   (orders 8, 4, 0; drivers/dma-buf/heaps/system_heap.c since 5.11, ION's ion_system_heap.c before)
   and ALSA's snd_dma_alloc_pages_fallback() only lose a larger block when such a request fails.
   OOM501 now counts that caller among those that cope (clues.ORDER_FALLBACK).
2. With CONFIG_PRINTK_CALLER (5.1+) every line carries `[T<pid>]` in task context; the failure
   header is printed by the allocating task itself, so when no `CPU: .. PID:` line was pasted the
   caller id on the header line is the trigger's pid (grammar.parse._caller_pid). A `[C<cpu>]` id
   names no task.
"""

from __future__ import annotations

from oomcases import is_held_out, load_case

from bot.pipeline import analyze
from grammar.parse import parse_text

HEAP = "lore-arm64-ion-system-heap-order4-nowarn"  # ION system heap, order 4, caller ids `[  T460]`


def test_the_case_is_not_held_out() -> None:
    assert not is_held_out(HEAP)


def _text() -> str:
    return load_case(HEAP)[0].decode("utf-8")


def test_a_heap_that_retries_at_a_smaller_order_is_harmless_first() -> None:
    event = analyze(_text()).events[0]
    top = event.findings[0]
    assert top.code == "OOM501" and top.category == "benign_nowarn_failure", [f.code for f in event.findings]
    assert any(e.name == "order_fallback_caller" and e.value == "ion_system_heap_allocate" for e in top.evidence)
    assert "smaller order" in top.explanation
    # without the heap's frame the same order-4 request is fragmentation again (no other reason copes)
    plain = analyze(_text().replace("ion_system_heap_allocate+", "ion_buffer_grow+")).events[0]
    assert plain.findings[0].code != "OOM501"


def test_order_zero_is_not_called_a_fallback() -> None:
    # the heap's last step is order 0: a failure there has nothing smaller to try
    event = analyze(_text().replace("order:4, mode", "order:0, mode")).events[0]
    assert all("order_fallback_caller" not in [e.name for e in f.evidence] for f in event.findings)


def test_a_task_caller_id_names_the_trigger_pid_without_a_cpu_line() -> None:
    assert parse_text(_text()).events[0].trigger.pid == 460
    # an interrupt-context caller id (`C<cpu>`) names no task
    irq = _text().replace("[  T460]", "[    C3]")
    assert parse_text(irq).events[0].trigger.pid is None
    # a `CPU: .. PID:` line, when pasted, stays the source
    header = _text().replace(
        "[ 1233.926235][  T460] Call trace:",
        "[ 1233.911540][  T460] CPU: 2 PID: 461 Comm: allocator@2.0-s Not tainted 5.4.61 #1\n"
        "[ 1233.926235][  T460] Call trace:",
    )
    assert parse_text(header).events[0].trigger.pid == 461

"""Two ways a mail reply repeats allocation-failure headers: a header a person quoted in prose
whose double quote opens on the first wrapped line and closes on the last, and a header copied
again, with its microsecond printk stamp, right after the report it belongs to (no prose between).
The lines are those of the fifth-wave corpus case lore-53rc2-amdgpu-dc-state-order4-kvmalloc
(fold 2), without its quoted-printable encoding, and of lore-414-bz200651-xt-table-vmalloc-noretry
(fold 1), whose one vmalloc failure line bugzilla wrapped inside the reporter's double quotes."""

from __future__ import annotations

from bot.pipeline import analyze
from bot.render.json_out import contract_fields


def _events(text: str) -> list[dict]:
    return [contract_fields(analysed.event) for analysed in analyze(text).events]


OPENED = """Two weeks ago when commit 22051d9c4a57 coming to my system.
Started happen randomly errors:
"gnome-shell: page allocation failure: order:4,
mode:0x40cc0(GFP_KERNEL|__GFP_COMP),
nodemask=(null),cpuset=/,mems_allowed=0"
Symptoms:
"""


def test_a_header_whose_quote_closes_on_a_later_line_is_read_without_the_quote() -> None:
    (event,) = _events(OPENED)
    assert event["kind"] == "page-allocation-failure"
    assert event["trigger_comm"] == "gnome-shell"
    assert (event["order"], event["gfp_mask"]) == (4, "0x40cc0")


def test_a_quoted_sentence_opening_a_wrapped_quote_stays_prose() -> None:
    assert _events('"Out of memory: it happened again,\nI said" on the list.\n') == []


REPORT = """[ 3225.313209] Xorg: page allocation failure: order:4, mode:0x40dc0(GFP_KERNEL|__GFP_COMP|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0
[ 3225.313300] CPU: 2 PID: 12717 Comm: Xorg Not tainted 5.3.0-0.rc2.git4.1.fc31.x86_64 #1
[ 3225.313306] Call Trace:
[ 3225.313315]  dump_stack+0x85/0xc0
[ 3225.313321]  warn_alloc.cold+0x7b/0xfb
[ 3225.313374]  kmalloc_order+0x20/0x60
[ 3225.313498]  dc_create_state+0x1f/0x60 [amdgpu]
[ 3225.315294] Free swap  = 67100924kB
[ 3225.315297] Total swap = 67108860kB
[ 3225.315299] 8365845 pages RAM
[ 3225.318418]  rewind_stack_do_exit+0x17/0x20

[ 3225.313209] Xorg: page allocation failure: order:4, mode:0x40dc0(GFP_KERNEL|__GFP_COMP|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0

Try to fix the failure above using vmalloc + kmalloc.
"""


def test_a_header_copied_with_its_microsecond_stamp_is_the_same_event() -> None:
    (event,) = _events(REPORT)
    assert (event["trigger_comm"], event["trigger_pid"]) == ("Xorg", 12717)
    assert event["ram_pages"] == 8365845


def test_a_later_failure_with_its_own_stamp_is_another_event() -> None:
    later = REPORT.replace("\n\n[ 3225.313209] Xorg", "\n\n[ 3301.040118] Xorg")
    assert [event["trigger_comm"] for event in _events(later)] == ["Xorg", "Xorg"]


VMALLOC_QUOTED = """> After creating large number of cgroups and under memory pressure, iptables
> command fails with following error:
>
> "iptables-restor: vmalloc: allocation failure, allocated 3047424 of 3465216
> bytes, mode:0x14010c0(GFP_KERNEL|__GFP_NORETRY), nodemask=(null)"

I'm not sure what the problem is here.
"""


def test_a_wrapped_kernel_line_in_double_quotes_is_read_without_them() -> None:
    (event,) = _events(VMALLOC_QUOTED)
    assert event["kind"] == "page-allocation-failure"
    assert event["trigger_comm"] == "iptables-restor"
    assert (event["gfp_mask"], event["order"]) == ("0x14010c0", None)

"""OOM001 (SysRq-f) and the decoder's order -1 / gfp_mask=0x0 readings, checked against the kernel.

Sources: drivers/tty/sysrq.c v4.3 (moom_callback: .order = -1; v4.2 used order 0 + force_kill),
mm/oom_kill.c v4.3 (check_panic_on_oom() returns for order -1; is_sysrq_oom() from v4.4), v4.6-v5.15
(pagefault_out_of_memory(): gfp_mask 0, order 0), Documentation/admin-guide/sysrq.rst v6.1
(kernel.sysrq only affects the keyboard; /proc/sysrq-trigger is always allowed to root).
"""

from __future__ import annotations

from oomcases import load_case

from bot.pipeline import analyze
from knowledge.gfp.decoder import decode


def _oom001(text: str):  # type: ignore[no-untyped-def]
    findings = analyze(text).events[0].findings
    return next(f for f in findings if f.code == "OOM001")


def _sysrq_version_of(case: str) -> str:
    # the same real dump, entered through SysRq-f: GFP_KERNEL with order -1 (v4.3+)
    text = load_case(case)[0].decode()
    return text.replace(
        "gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0", "gfp_mask=0xcc0(GFP_KERNEL), order=-1"
    )


def test_sysrq_after_a_real_shortage_says_the_shortage_is_real() -> None:
    finding = _oom001(_sysrq_version_of("lab-process-hog-deb612-amd64"))
    assert "real shortage" in finding.explanation
    assert "nothing in the memory figures" not in finding.explanation
    assert any(e.name == "starved_zones" for e in finding.evidence)


def test_kernel_sysrq_is_not_offered_as_a_guard_for_the_trigger_file() -> None:
    finding = _oom001(load_case("gh-sonic-buildimage-2988")[0].decode())
    steps = " ".join(finding.remediation)
    assert "kernel.sysrq=0" not in steps
    assert "only restricts the keyboard" in steps


def test_panic_on_oom_step_only_before_4_3() -> None:
    text = load_case("gh-sonic-buildimage-2988")[0].decode()  # 3.16, panicked after SysRq-f
    assert analyze(text).events[0].event.panic is not None
    assert any("panic_on_oom" in step for step in _oom001(text).remediation)
    newer = text.replace("3.16.0-6-amd64", "4.19.0-6-amd64")
    assert not any("panic_on_oom" in step for step in _oom001(newer).remediation)


def _panicked_sysrq_on(version: str) -> str:
    # a real SysRq-f dump (Unraid 6.1) whose kill lines are replaced by the panic that
    # check_panic_on_oom() prints with vm.panic_on_oom=1 (mm/oom_kill.c: "Out of memory: %s
    # panic_on_oom is enabled", "system-wide"), on the kernel release under test
    lines = load_case("code-lolbraa-obsidian-notater-unraid-sysrq-oom")[0].decode().split("\n")
    at = next(n for n, line in enumerate(lines) if "oom-kill:constraint=" in line)
    prefix = lines[at].split("oom-kill:")[0]
    lines[at : at + 2] = [prefix + "Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled"]
    return "\n".join(lines).replace("6.1.106-Unraid", version)


def test_sysrq_panic_boundary_is_4_3_not_4_4() -> None:
    # "mm, oom: do not panic for oom kills triggered from sysrq" was merged for 4.3-rc1 (mmotm
    # 2015-09-18 against 4.3-rc1 no longer carries it; is_sysrq_oom() against 4.3-rc1 rewrites an
    # existing `if (oc->order == -1) return;` in check_panic_on_oom()): 4.2 may panic, 4.3 may not
    last_panicking, first_fixed = _panicked_sysrq_on("4.2.0-1-amd64"), _panicked_sysrq_on("4.3.0-1-amd64")
    assert analyze(first_fixed).events[0].event.panic is not None
    assert any("panic_on_oom" in step for step in _oom001(last_panicking).remediation)
    assert not any("panic_on_oom" in step for step in _oom001(first_fixed).remediation)
    note = decode("GFP_KERNEL", "4.3.0", order=-1).order.note  # type: ignore[union-attr]
    assert "since 4.3" in note


def test_order_minus_one_is_sysrq_and_not_a_memcg_charge() -> None:
    note = decode("GFP_KERNEL", "6.1.0", order=-1).order.note  # type: ignore[union-attr]
    assert "SysRq" in note and "memcg" not in note
    reasons = " ".join(decode(0, "4.19.0", order=0).oom_reasons)
    assert "page fault" in reasons and "neither" in reasons
    assert "a memcg charge or" not in reasons

"""A decoded gfp mask as short plain text, for a terminal (`oomlens gfp`) or a Slack ``/gfp`` reply:
one line for the name, one per flag, then the derived facts."""

from __future__ import annotations

from knowledge.gfp import GfpDecoding


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def render_text(decoding: GfpDecoding) -> str:
    """Short plain-text rendering for a terminal or a Slack reply."""
    lines: list[str] = []
    kernel = decoding.kernel or "kernel not given"
    origin = "" if decoding.symbolic_is_kernel_output else " (pre-4.6: hex only, name composed)"
    config = "" if decoding.config == "distro_default" else f", {decoding.config}"
    lines.append(f"{decoding.mask_hex} on {kernel} [table {decoding.table}{config}]{origin}")
    lines.append(f"  = {decoding.symbolic or '(no flags)'}")
    width = max((len(flag.name) for flag in decoding.flags), default=0)
    for flag in decoding.flags:
        lines.append(f"  {flag.name.ljust(width)}  {flag.meaning}")
    zone = decoding.highest_zone or "?"
    lines.append(
        f"highest zone {zone} | direct reclaim {_yes_no(decoding.may_reclaim)} | "
        f"kswapd {_yes_no(decoding.may_wake_kswapd)} | I/O {_yes_no(decoding.may_do_io)} | "
        f"FS {_yes_no(decoding.may_call_fs)} | atomic {_yes_no(decoding.is_atomic)}"
    )
    if decoding.highest_zone_note:
        lines.append(f"  zone: {decoding.highest_zone_note}")
    verdict = {True: "may invoke the OOM killer", False: "will not invoke the OOM killer", None: "OOM killer: n/a"}[
        decoding.may_invoke_oom_killer
    ]
    reasons = [reason for reason in decoding.oom_reasons if not reason.startswith("may invoke")]
    lines.append(verdict + (f" ({'; '.join(reasons)})" if reasons else ""))
    if decoding.order is not None:
        order = decoding.order
        assumed = ", assumed" if order.page_size_assumed else ""
        lines.append(
            f"order {order.order}: {order.pages} pages x {order.page_size_kb} kB{assumed} = {order.size_kb} kB, "
            f"{'costly' if order.costly else 'not costly'} - {order.note}"
        )
    for warning in decoding.warnings:
        lines.append(f"warning: {warning}")
    if decoding.alternatives:
        lines.append("other readings:")
        for alternative in decoding.alternatives[:5]:
            lines.append(f"  {alternative.symbolic or '(none)'}  [{alternative.kernels}]")
    for hint in decoding.settle_with:
        lines.append(f"settle with: {hint}")
    return "\n".join(lines)

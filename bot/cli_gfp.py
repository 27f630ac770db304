"""`oomlens gfp MASK`: decode a gfp mask (or symbolic flags) for a kernel, as text or JSON.

``render_text`` is also the plain-text answer of the Slack ``/gfp`` command, so it stays short:
one line for the name, one per flag, then the derived facts.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from knowledge.gfp import GfpDecoding, MaskError, decode

FORMATS = ("text", "json")


def add_subparser(subparsers: Any) -> None:
    """Add the `gfp` subcommand to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "gfp",
        help="decode a gfp mask for a kernel release",
        description=(
            "Decode a gfp mask as the given kernel prints and uses it. MASK is hex (0x6000c0), "
            "hex with the kernel's text (0x6000c0(GFP_KERNEL)) or names (GFP_KERNEL|__GFP_ZERO)."
        ),
    )
    parser.add_argument("mask", metavar="MASK", help="hex mask or symbolic flags")
    parser.add_argument("--kernel", metavar="RELEASE", help="kernel release, e.g. 5.14.0-651.el9.x86_64")
    parser.add_argument("--order", type=int, help="allocation order (2^order pages)")
    parser.add_argument("--page-size-kb", type=int, dest="page_size_kb", help="page size in kB (default 4)")
    parser.add_argument("--arch", help="architecture, e.g. x86_64, aarch64, sparc64")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.set_defaults(run=run)


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


def run(args: argparse.Namespace) -> int:
    """Print the decoding; 0 on success, 2 on a usage error (message on stderr)."""
    if args.order is not None and not -1 <= args.order <= 20:
        print(f"oomlens gfp: order {args.order} is out of range (-1..20)", file=sys.stderr)
        return 2
    try:
        decoding = decode(
            args.mask,
            args.kernel,
            order=args.order,
            page_size_kb=getattr(args, "page_size_kb", None),
            arch=getattr(args, "arch", None),
        )
    except MaskError as error:
        print(f"oomlens gfp: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(decoding.to_dict(), indent=2))
    else:
        print(render_text(decoding))
    return 0

"""`oomlens gfp MASK`: decode a gfp mask (or symbolic flags) for a kernel, as text or JSON
(the text is ``bot.render.gfp_text``, shared with the Slack ``/gfp`` command)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

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


def run(args: argparse.Namespace, out: IO[str] | None = None) -> int:
    """Print the decoding; 0 on success, 2 on a usage error (message on stderr)."""
    from bot.render.gfp_text import render_text  # here, not at the top: `oomlens analyze` need not load them
    from knowledge.gfp import MaskError, decode

    out = out or sys.stdout
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
        print(json.dumps(decoding.to_dict(), indent=2), file=out)
    else:
        print(render_text(decoding), file=out)
    return 0

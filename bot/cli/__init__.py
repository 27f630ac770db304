"""`oomlens`: the command line, one module per subcommand.

Every module in ``SUBCOMMANDS`` has ``add_subparser(subparsers)``, which sets ``run`` as the
parser's default; ``run(args, out) -> int`` is the exit status. The modules are imported
unconditionally: a subcommand that fails to import is an error, never a missing subcommand.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from bot.cli import analyze, db, gfp, serve, summary

SUBCOMMANDS = (analyze, gfp, summary, serve, db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oomlens", description="Explain Linux OOM-killer dumps.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_subparser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        return int(args.run(args, sys.stdout))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

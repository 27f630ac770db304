"""`oomlens`: the command line, one module per subcommand.

Every module in ``SUBCOMMANDS`` has ``add_subparser(subparsers)``, which sets ``run`` as the
parser's default; ``run(args, out) -> int`` is the exit status. The modules are imported
unconditionally: a subcommand that fails to import is an error, never a missing subcommand.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
from collections.abc import Sequence
from contextlib import nullcontext

from bot import __version__
from bot.cli import analyze, db, feedback, gfp, serve, summary
from bot.extras import MissingExtra
from knowledge.diskcache import startup_compiled

SUBCOMMANDS = (analyze, gfp, summary, serve, db, feedback)
_freeze_at_exit: list[bool] = []


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oomlens", description="Explain Linux OOM-killer dumps.")
    parser.add_argument("--version", action="version", version=f"oomlens {__version__}")
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
    # The modules, grammar tables and catalogue loaded so far live as long as the process: the
    # cyclic collector need not walk them again, and an analysis allocates many small objects
    # that are freed by reference counting, not by the collector (measured on the corpus in one
    # process: 6.9 ms per dump against 8.0 with the default settings, best of 5). The commands
    # import what they need as they run, so importing it is spared the collector's passes too.
    # Undone on return: main() also runs inside other programs (tests, a notebook).
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)
    try:
        # dataclasses' methods and big patterns compiled once, not at every start; not for the
        # long-running service, where start-up time does not matter and nothing should stay
        # replaced in `dataclasses` and `re` for the process's life
        compiled = nullcontext() if args.command == "serve" else startup_compiled()
        with compiled:
            return int(args.run(args, sys.stdout))
    except MissingExtra as missing:  # e.g. `serve` from `pip install oomlens`: one line, no traceback
        print(f"oomlens {args.command}: {missing}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        if argv is None and args.command != "serve" and not _freeze_at_exit:
            # main() is the program (the console script, `python -m bot`): everything alive now
            # lives until the process ends, which it does next. Finalising the interpreter runs
            # full collections over all of it (the modules, the grammar, the catalogue): 57M of
            # the 690M instructions of `oomlens analyze`, more than loading the grammar. Frozen
            # at exit (atexit runs before those collections), it is left to reference counting
            # as modules are torn down. Not when main() runs inside another program (argv
            # given: tests, a notebook), nor for the long-running service.
            _freeze_at_exit.append(True)
            atexit.register(gc.freeze)

"""`oomlens`: the command line, one module per subcommand.

Every module in ``SUBCOMMANDS`` has ``add_subparser(subparsers)``, which sets ``run`` as the
parser's default; ``run(args, out) -> int`` is the exit status. The modules are imported
unconditionally: a subcommand that fails to import is an error, never a missing subcommand.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from bot import __version__
from bot.cli import analyze, db, feedback, gfp, serve, summary
from bot.extras import MissingExtra
from knowledge.diskcache import startup_compiled

SUBCOMMANDS = (analyze, gfp, summary, serve, db, feedback)


def _name(module: Any) -> str:
    return str(module.__name__.rsplit(".", 1)[1])


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; given a subcommand's name, with that subcommand's parser alone
    (``parse``)."""
    parser = argparse.ArgumentParser(prog="oomlens", description="Explain Linux OOM-killer dumps.")
    parser.add_argument("--version", action="version", version=f"oomlens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        if command is None or _name(module) == command:
            module.add_subparser(sub)
    return parser


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``build_parser().parse_args(argv)``. When the first argument names a subcommand, only that
    subcommand's parser is built: building the six took 14M of the 620M instructions of `oomlens
    analyze`, most of it argparse asking gettext for the translation of its own words, several
    times for each parser. What that parser cannot take (a word left over, which the whole
    parser would report with every subcommand in its usage line) is parsed again by the whole
    parser, so every message is the one it gives; a subcommand's own errors and help come from
    that subcommand's parser, the same in both."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments and arguments[0] in {_name(module) for module in SUBCOMMANDS}:
        args, left = build_parser(arguments[0]).parse_known_args(arguments)
        if not left:
            return args
    return build_parser().parse_args(arguments)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse(argv)
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
    # A command on one bounded input (``one_input``: `analyze` of a paste) holds the collector off
    # altogether, as bot.pipeline.analyze() does for the analysis: importing the pipeline,
    # loading the grammar and the catalogue and rendering allocate objects by the hundred
    # thousand that live until the command ends, and no collection finds garbage among them
    # (16M of the 620M instructions of `oomlens analyze`, most of it one young collection
    # over them all as the collector came back on). Not for a stream of any size nor the service.
    one_input = getattr(args, "one_input", None)
    hold = one_input is not None and one_input(args) and gc.isenabled()
    if hold:
        gc.disable()
    try:
        # dataclasses' methods and big patterns compiled once, not at every start; not for the
        # long-running service, where start-up time does not matter and nothing should stay
        # replaced in `dataclasses` and `re` for the process's life
        profile = f"{args.command} {getattr(args, 'format', '')}"
        compiled = nullcontext() if args.command == "serve" else startup_compiled(profile)
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
        if argv is None and args.command != "serve":
            # main() is the program (the console script, `python -m bot`): everything alive now
            # lives until the process ends, which it does next. Left unfrozen, it would be
            # walked once more by the young collection the restored threshold sets off (the
            # command's objects, allocated with the collector held off) and by the full
            # collections of finalising the interpreter: 66M of the 690M instructions of
            # `oomlens analyze`, more than loading the grammar. Kept frozen, it is left to
            # reference counting as the modules are torn down. Not when main() runs inside
            # another program (argv given: tests, a notebook), nor for the long-running service.
            gc.freeze()
        else:
            gc.unfreeze()
        gc.set_threshold(*thresholds)
        if hold:
            gc.enable()

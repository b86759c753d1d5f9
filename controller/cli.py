"""Command line of the controller: ``python -m controller COMMAND ...``.

Each command module adds its subcommands with ``add_commands(sub)`` and sets ``func`` on them: a
function of the parsed arguments that returns the exit status. A bad option or input raises
``UsageError``: one line on stderr, exit 2, nothing written. A file that cannot be read or
written (``OSError``): one line, exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from controller import cells_command, plan_command, run_cells_command, run_command
from controller.errors import UsageError

EXIT_USAGE = 2
COMMAND_MODULES = (plan_command, cells_command, run_command, run_cells_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m controller",
        description="fwbench's controller: plans a run and keeps its files (called by the roles).")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a run folder that cannot be read or written: one line, never a trace
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1

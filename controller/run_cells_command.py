"""``python -m controller run-cells --spec FILE``: run a plan's cells on the hosts (the spec is
what roles/bench_run hands over, controller/run_spec.py); ``--check`` says what would run and
touches nothing. Prints a line per step as it happens and, last, ``fwbench-run-cells: {JSON}``
with the attempt's tally (controller/run_cells.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from controller.errors import UsageError
from controller.run_cells import run_cells
from controller.run_spec import RunSpec


def cmd_run_cells(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.spec == "-" else Path(args.spec).read_text()
        data = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"the run spec is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError("the run spec must be a JSON object")
    return run_cells(RunSpec.of(data), check=args.check)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommand to the controller's parser."""
    rc = sub.add_parser("run-cells", help="run the plan's cells on the hosts (the spec as JSON "
                                          "in FILE, - for stdin)")
    rc.add_argument("--spec", required=True, metavar="FILE")
    rc.add_argument("--check", action="store_true", help="say what would run, touch nothing")
    rc.set_defaults(func=cmd_run_cells)

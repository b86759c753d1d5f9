"""Subcommands of ``python -m controller`` that keep the cells' files on the controller:

* ``cell-state``: is a cell finished, failed, missing or corrupt? (controller/cellstate.py)
* ``cell-commit``: a fetched ``summary.json.part`` becomes the cell's ``summary.json``.
* ``run-status``: every finished cell of a run folder and its status.
* ``resume-check``: may this plan resume the run in a folder? (controller/resume.py)
* ``merge``: the cell folders of K client hosts' shares → one cell folder (controller/merge.py).

Each prints one JSON line on stdout. Bad input raises ``UsageError`` (one line, exit 2); a file
that cannot be read or written is one line and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controller import cellstate, resume
from controller.errors import UsageError
from controller.merge import MergeError, merge_cells

Command = Callable[[argparse.Namespace], int]


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the controller's parser."""
    st = sub.add_parser("cell-state", help="is a cell finished, failed, missing or corrupt? "
                                           "(moves a corrupt marker aside)")
    st.add_argument("--dir", required=True, help="cell folder")
    st.add_argument("--retry-failed", action="store_true",
                    help="move a failed cell's folder aside so that it runs again")
    st.set_defaults(func=cmd_cell_state)

    cm = sub.add_parser("cell-commit", help="validate a fetched summary.json.part and make it the "
                                            "cell's summary.json")
    cm.add_argument("--dir", required=True, help="cell folder")
    cm.set_defaults(func=cmd_cell_commit)

    rs = sub.add_parser("run-status", help="every finished cell of a run folder and its status")
    rs.add_argument("--run-dir", required=True)
    rs.set_defaults(func=cmd_run_status)

    rc = sub.add_parser("resume-check", help="may this plan resume the run in RUN_DIR? (exit 1 "
                                             "with the differences when not)")
    rc.add_argument("--run-dir", required=True)
    rc.add_argument("--plan", required=True, help="JSON: scale, versions, variants, scenarios, "
                                                  "seed, add_warmup, procedure, database")
    rc.set_defaults(func=cmd_resume_check)

    mg = sub.add_parser("merge", help="merge the cell folders of K shares (run --share) into one")
    mg.add_argument("--out", required=True, help="merged cell folder")
    mg.add_argument("cells", nargs="+", metavar="CELL_DIR", help="one folder per share")
    mg.set_defaults(func=cmd_merge)


def _file_errors(command: Command) -> Command:
    """``command``, with a path that cannot be read or written (an OSError) reported in one line
    naming it, exit 1."""
    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            print(f"python -m controller {args.command}: error: {exc.strerror or exc}{where}",
                  file=sys.stderr)
            return 1
    return run


def _print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


@_file_errors
def cmd_cell_state(args: argparse.Namespace) -> int:
    cell_dir = Path(args.dir)
    if not cell_dir.exists():
        _print_json({"state": "missing"})
        return 0
    if not cell_dir.is_dir():
        raise UsageError(f"{cell_dir}: no such cell folder")
    result = cellstate.state(cell_dir, args.retry_failed)
    if "warning" in result:
        print(f"warning: {result['warning']}", file=sys.stderr)
    _print_json(result)
    return 0


@_file_errors
def cmd_cell_commit(args: argparse.Namespace) -> int:
    cell_dir = Path(args.dir)
    if not cell_dir.is_dir():
        raise UsageError(f"{cell_dir}: no such cell folder")
    try:
        cellstate.commit(cell_dir)
    except ValueError as exc:
        print(f"python -m controller cell-commit: error: {exc}", file=sys.stderr)
        return 1
    _print_json({"committed": str(cell_dir / "summary.json")})
    return 0


@_file_errors
def cmd_run_status(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    if not (run_dir / "cells").is_dir():
        raise UsageError(f"{run_dir}: not a run folder (no cells/)")
    _print_json(cellstate.run_status(run_dir))
    return 0


@_file_errors
def cmd_resume_check(args: argparse.Namespace) -> int:
    try:
        plan = json.loads(args.plan)
    except ValueError as exc:
        raise UsageError(f"--plan is not valid JSON: {exc}") from None
    if not isinstance(plan, dict):
        raise UsageError("--plan must be a JSON object")
    found = resume.check(Path(args.run_dir), plan)
    _print_json({"resumable": not found, "differences": found})
    return 1 if found else 0


@_file_errors
def cmd_merge(args: argparse.Namespace) -> int:
    try:
        summary = merge_cells([Path(d) for d in args.cells], Path(args.out))
    except MergeError as exc:
        raise UsageError(str(exc)) from None
    _print_json(summary)
    return 0

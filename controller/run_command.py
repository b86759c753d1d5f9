"""Subcommands of ``python -m controller`` that keep a run's own files, called by
roles/bench_run:

``run-info``    run.json at the start of an attempt (the role's gathered facts as JSON on stdin)
``run-finish``  run.json at its end (``run-status``'s JSON on stdin)
``progress``    progress.json before each cell, and the line the role shows
``failed-cell`` the summary.json of a cell that could not run (the failed task's result on stdin)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from controller.cell_summary import write_failed_summary
from controller.errors import UsageError
from controller.failure import UnknownStepError, failure_reason
from controller.local_facts import LAB_RUN_DIR, read_local_facts
from controller.progress import RunClock, progress
from controller.run_info import build_run_info, finish_run_info, utc_now
from runfiles import progress_json, run_json, summary_json


def _stdin_json(what: str) -> dict[str, Any]:
    """The JSON object on stdin ({} when stdin is empty)."""
    text = sys.stdin.read()
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} on stdin is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{what} on stdin is not a JSON object")
    return value


def _previous(run_dir: Path) -> dict[str, Any]:
    try:
        return run_json.read(run_dir)
    except run_json.RunJsonError as exc:
        raise UsageError(str(exc)) from None


def parse_labels(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` labels (runfiles.summary_json.parse_labels), or a UsageError."""
    try:
        return summary_json.parse_labels(items)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_run_info(args: argparse.Namespace) -> int:
    """Build run.json from the facts on stdin, the controller's own and an earlier attempt's."""
    facts = _stdin_json("the run's facts")
    local = read_local_facts(Path(args.root), Path(args.lab_dir))
    try:
        info = build_run_info(facts, local, _previous(Path(args.run_dir)), utc_now())
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"the run's facts on stdin lack or mistype {exc}") from None
    if not args.check:
        run_json.write(Path(args.run_dir), info)
    sys.stdout.write(run_json.dumps(info))
    return 0


def cmd_run_finish(args: argparse.Namespace) -> int:
    """Complete run.json with the end of the attempt and the cells' statuses."""
    statuses = _stdin_json("run-status's answer").get("cells")
    if not isinstance(statuses, dict):
        raise UsageError("run-status's answer on stdin has no cells object")
    info = _previous(Path(args.run_dir))
    if not info:
        raise UsageError(f"{Path(args.run_dir) / run_json.RUN_JSON} is missing")
    info = finish_run_info(info, statuses, utc_now())
    run_json.write(Path(args.run_dir), info)
    sys.stdout.write(run_json.dumps(info))
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    """Write progress.json before a cell and print where the run is."""
    if not 0 <= args.cell_index < args.cells_total:
        raise UsageError(f"--cell-index {args.cell_index} is not a cell of {args.cells_total}")
    clock = RunClock(started_s=args.started_s, now_s=int(time.time()), measured=args.measured,
                     measured_s=args.measured_s)
    record, line = progress(args.run_id, args.cell, args.cell_index, args.cells_total,
                            args.estimate_s, clock, utc_now())
    if not args.check:
        progress_json.write(Path(args.run_dir), record)
    print(line)
    return 0


def cmd_failed_cell(args: argparse.Namespace) -> int:
    """Record a cell that could not run: its reason from the failed step and the task's result."""
    labels = parse_labels(args.label)
    result = _stdin_json("the failed task's result")
    try:
        reason = failure_reason(args.step, result, args.health_status, args.health_timeout_s)
    except UnknownStepError as exc:
        raise UsageError(str(exc)) from None
    summary = write_failed_summary(Path(args.out), labels, args.scenario, reason, args.step)
    print(json.dumps(summary, separators=(", ", ": ")))
    return 0


def _status(text: str) -> int | None:
    """The health check's last HTTP status; empty, 0 or -1 (no answer) count as none."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an HTTP status: {text!r}") from None
    return value if value > 0 else None


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the controller's parser."""
    ri = sub.add_parser("run-info", help="write run.json at the start of an attempt (the role's "
                                         "facts as JSON on stdin); prints it")
    ri.add_argument("--run-dir", required=True)
    ri.add_argument("--root", default=".", help="the project (its git commit)")
    ri.add_argument("--lab-dir", default=str(LAB_RUN_DIR),
                    help="the lab's machine files (default %(default)s)")
    ri.add_argument("--check", action="store_true", help="print run.json, write nothing")
    ri.set_defaults(func=cmd_run_info)

    rf = sub.add_parser("run-finish", help="complete run.json at the end of an attempt "
                                           "(run-status's JSON on stdin); prints it")
    rf.add_argument("--run-dir", required=True)
    rf.set_defaults(func=cmd_run_finish)

    pr = sub.add_parser("progress", help="write progress.json before a cell; prints where the "
                                         "run is and its ETA")
    pr.add_argument("--run-dir", required=True)
    pr.add_argument("--run-id", required=True)
    pr.add_argument("--cell", required=True, help="the cell, as the plan names it")
    pr.add_argument("--cell-index", type=int, required=True, help="0-based")
    pr.add_argument("--cells-total", type=int, required=True)
    pr.add_argument("--estimate-s", type=float, required=True, help="the plan's estimate")
    pr.add_argument("--started-s", type=int, required=True,
                    help="when the attempt started, s since the epoch")
    pr.add_argument("--measured", type=int, default=0, help="cells measured in this attempt")
    pr.add_argument("--measured-s", type=float, default=0.0, help="their total time")
    pr.add_argument("--check", action="store_true", help="print the line, write nothing")
    pr.set_defaults(func=cmd_progress)

    fc = sub.add_parser("failed-cell", help="write the summary.json of a cell that could not "
                                            "run (the failed task's result as JSON on stdin)")
    fc.add_argument("--out", required=True, help="cell folder")
    fc.add_argument("--scenario", required=True)
    fc.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                    help="variant, stack, server, rep, run_id, ... (repeatable)")
    fc.add_argument("--step", required=True,
                    help="the id of the cell's step that failed ('' for none)")
    fc.add_argument("--health-status", type=_status, default=None,
                    help="the health check's last HTTP status (0: none)")
    fc.add_argument("--health-timeout-s", type=int, required=True,
                    help="seconds the variant had to become healthy")
    fc.set_defaults(func=cmd_failed_cell)

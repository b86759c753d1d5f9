"""The run's cell loop, in the controller: every cell of the plan in its order, each measured
once (finished and failed cells of an earlier attempt are skipped; a corrupt marker is moved
aside and its cell runs again), progress.json before each, the time spent measuring counted.

A failed step records the cell as failed and the run goes on. A Ctrl-C (or SIGTERM) stops the
cell's units on every host and ends the run with exit 130: an interrupted run is never reported
as finished. Every line is printed as it happens (roles/bench_run streams them).
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from controller import cellstate
from controller.budget import Budget, reports_decide
from controller.cell_run import CellRunner, StepFailed, figures, measured_s, new_cell
from controller.progress import RunClock, progress
from controller.remote import Remote
from controller.run_info import utc_now
from controller.run_spec import RunSpec
from runfiles import progress_json, run_json

RESULT_PREFIX = "fwbench-run-cells: "
EXIT_INTERRUPTED = 130


@dataclass
class Tally:
    """The attempt so far: cells measured, failed, skipped, and where the time went."""

    started: float = field(default_factory=time.monotonic)
    started_s: int = field(default_factory=lambda: int(time.time()))
    measured: int = 0
    cells_s: float = 0.0
    measured_s: float = 0.0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0
    phases_s: dict[str, float] = field(default_factory=dict)
    stopped: str = ""  # why a run with a budget stopped before its last round

    def add(self, times: dict[str, float], measured: float) -> None:
        """Count one cell's phases; its load splits into the measured phase and the rest (the
        client's start, the warm-up, the pauses inside the scenario)."""
        for phase, seconds in {**times, "measured": measured,
                               "load": times.get("load", 0.0) - measured}.items():
            self.phases_s[phase] = self.phases_s.get(phase, 0.0) + seconds

    def record(self) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        return {"cells_measured": self.measured, "cells_skipped": self.skipped,
                "cells_failed": self.failed, "wall_s": round(wall, 1),
                "cells_s": round(self.cells_s, 1), "measured_s": round(self.measured_s, 1),
                "phases_s": {k: round(v, 1) for k, v in self.phases_s.items()},
                "stopped": self.stopped or None,
                "measuring_share": round(self.measured_s / wall, 4) if wall > 0 else None}


def say(line: str) -> None:
    """Print one line now; a reader that went away (the play was interrupted) is ignored."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (BrokenPipeError, OSError):
        pass


class Interrupted(Exception):
    """SIGTERM, handled as a Ctrl-C."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def run_cells(run: RunSpec, check: bool = False, out: Callable[[str], None] = say) -> int:
    """Run ``run``'s cells; 0 when every cell ran (failed cells included), 130 interrupted."""
    plan = run.plan
    cells = plan["cells"]
    run_dir = Path(plan["run_dir"])
    tally = Tally()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the parent ignored it
    budget = None if check else Budget.of(plan, time.monotonic())
    decided = reports_decide(run_dir, Path(plan["root"]))
    round_no = None
    with tempfile.TemporaryDirectory(prefix="fwbench-ssh-") as control:
        remote = Remote(run.hosts, Path(control))
        runner = CellRunner(run, remote)
        last_load_end: float | None = None
        current = None
        try:
            for index, spec in enumerate(cells):
                if budget is not None and spec.get("round") != round_no:
                    round_no = spec.get("round")
                    stop = budget.before(int(round_no), time.monotonic(), decided)
                    if stop:
                        out(f"stopping: {stop}")
                        tally.stopped = stop
                        break
                clock = RunClock(started_s=tally.started_s, now_s=int(time.time()),
                                 measured=tally.measured, measured_s=tally.cells_s)
                record, line = progress(plan["run_id"], spec["name"], index, len(cells),
                                        float(plan.get("estimate_s", 0)), clock, utc_now())
                if not check:
                    progress_json.write(run_dir, record)
                out(f"{line}: {spec['name']}")
                current = cell = new_cell(run, spec)
                state = _state(cell.local_dir, run.retry_failed, check)
                if "warning" in state:
                    out(f"  warning: {state['warning']}")
                if state["state"] in ("finished", "failed"):
                    tally.skipped += 1
                    out(f"  {state['state']} before: skipped")
                    if not check:
                        runner.end_session(cell)
                    continue
                if check:
                    out("  would be measured")
                    continue
                started = time.monotonic()
                measured = 0.0
                try:
                    runner.measure(cell, index, last_load_end)
                    summary = runner.fetch(cell)
                    measured = measured_s(summary)
                    tally.measured_s += measured
                    out(f"  {spec['name']}: {json.dumps(figures(summary))}")
                except StepFailed as failed:
                    runner.record_failure(cell, failed)
                    tally.failed.append(spec["name"])
                    out(f"  {spec['name']} FAILED at step {failed.step}: see "
                        f"{cell.local_dir}/journal-tail.txt")
                finally:
                    runner.cleanup(cell)
                    current = None
                last_load_end = cell.load_ended or time.monotonic()
                tally.measured += 1
                tally.cells_s += time.monotonic() - started
                tally.add(cell.times, measured)
                out("  time: " + ", ".join(f"{k} {v:.1f} s" for k, v in cell.times.items())
                    + f" (measured {measured:.1f} s)")
                runner.end_session(cell)
        except (KeyboardInterrupt, Interrupted):
            out("interrupted: stopping the cell's units on every host")
            if current is not None:
                runner.cleanup(current)
            _close(run_dir, tally, check, out, remote)
            return EXIT_INTERRUPTED
        _close(run_dir, tally, check, out, remote)
    return 0


def _state(cell_dir: Path, retry_failed: bool, check: bool) -> dict[str, Any]:
    if not cell_dir.exists():
        return {"state": "missing"}
    if check:  # check mode moves nothing aside
        summary, _ = cellstate.read_summary(cell_dir / "summary.json")
        if summary is None:
            return {"state": "missing"}
        return {"state": "failed" if summary.get("status") == "failed" else "finished"}
    return cellstate.state(cell_dir, retry_failed)


def _close(run_dir: Path, tally: Tally, check: bool, out: Callable[[str], None],
           remote: Remote) -> None:
    remote.close()
    record = tally.record()
    if not check and (run_dir / run_json.RUN_JSON).exists():
        info = run_json.read(run_dir)
        info["measuring"] = [*info.get("measuring", []), record]
        run_json.write(run_dir, info)
    share = record["measuring_share"]
    out(f"measured {record['measured_s']:.0f} s of {record['wall_s']:.0f} s in "
        f"{tally.measured} cell(s)"
        + (f": {100 * share:.1f}% of the time spent measuring" if share is not None else ""))
    out(RESULT_PREFIX + json.dumps(record))

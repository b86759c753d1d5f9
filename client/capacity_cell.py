"""The measured part of a capacity cell (``client run --scenario capacity_X``): the cost step and
the search, every request into ``requests.csv``, one row per step into ``steps.csv``, and what
``client.cell`` needs to build summary.json: the figures of the representative step (the highest
passing step, open; the highest goodput, closed), the step's load and the ``capacity`` block.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client import sweep
from client.capacity import CapacityOutcome
from client.clock import Clock
from client.plan import LoadPlan
from client.scenarios import Scenario
from runfiles.figures import cell_figures, load_summary
from runfiles.requests_csv import RowSink
from runfiles.run_result import RunResult
from runfiles.steps_csv import write_steps_csv
from runfiles.validity import cell_status


@dataclass
class CapacityMeasured:
    figures: dict[str, Any]  # summary.cell_figures of the representative step
    plan: LoadPlan  # the representative step's plan (the template when no step ran)
    outcome: CapacityOutcome
    event_loop: str | None
    connections_opened: int


def measure(scen: Scenario, base_url: str, out: Path, clock: Clock, seed: int,
            timeout_s: float | None, max_error_rate: float) -> CapacityMeasured:
    spec = scen.capacity
    assert spec is not None
    template = scen.measure.template(base_url, seed, timeout_s)
    csv_path = out / "requests.csv"
    sw = sweep.Sweep(template, spec, csv_path, clock)
    outcome = sweep.run(sw)
    if not sw.runs:  # the budget had no room for a single step: an empty requests.csv
        RowSink(csv_path).close()
    write_steps_csv(out / "steps.csv", outcome.steps)
    rep = sweep.representative(sw, outcome)
    if rep is not None:
        ex = rep.execution
        load = load_summary(ex.result, rep.plan.rate, ex.client_cpu_pct, ex.facts_dict(),
                            rep.plan.timeout_s, max_error_rate)
        result, plan = ex.result, rep.plan
    else:
        result, plan = RunResult(model=spec.mode), template
        load = load_summary(result, None, None, {}, template.timeout_s, max_error_rate)
    load["warnings"] = [*load["warnings"], *outcome.warnings]
    load["status"] = cell_status(result.requests, result.errors, load["warnings"], max_error_rate)
    if spec.mode == "open" and outcome.max_rate_rps is None:
        load["status"] = "failed"  # no step held the objective
    loops = [r.execution.event_loop for r in sw.runs if r.execution.event_loop]
    return CapacityMeasured(cell_figures(load), plan, outcome, loops[0] if loops else None,
                            sum(r.execution.facts.connections_opened for r in sw.runs))

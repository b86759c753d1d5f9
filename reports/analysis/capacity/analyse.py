"""Capacity curves: what the capacity cells (``"kind": "capacity"`` in summary.json) measured,
per variant x scenario. Pure; the cells and monitor frames of
``reports.loading.run_folder.Run`` in, one ``Capacity`` out.

A capacity cell holds a search (open loop: rising offered rates against a p99 objective) or a
ladder (closed loop: rising connection counts), one measured step each, after a cost step at a
rate common to every variant (the format: docs/results.md). From them:

* **curves**: every step (``steps``: report/capacity_steps.csv); per variant the steps of one
  repetition for the figures (``curves``), the one with the median result;
* **the knee** of a repetition: open loop, the step at ``max_rate_rps`` (the highest offered rate
  that met the objective); closed loop, the first level after which goodput grows by less than
  ``KNEE_MIN_GROWTH`` (5%) to the next level while p99 still grows — the point past which more
  connections only add waiting. A ladder whose goodput still grows by 5% at its top level has no
  knee within it: its top level is shown as a lower bound (``knee_reached`` false);
* **maximum sustainable rate** (open): the mean of the repetitions whose search stopped at the
  server (``limited_by`` "server") with Student's t 95% interval over those repetition values
  (none below ``MIN_REPS``); a repetition stopped by the client, by ``max_rate`` or by the time
  budget measured a lower bound ("≥ X, client-bound"), never the server's capacity: it is listed
  and left out of the mean and interval;
* **cost** at the common rate: server CPU-seconds per 1,000 successful requests and peak RSS in
  the cost step's window (``reports.analysis.capacity.cost``), mean and t interval over repetitions;
  a variant whose cost step did not pass could not carry the common rate: shown, but marked.

Capacity cells never enter the ordinary tables, comparisons, verdicts or paper views
(``reports.analysis.analyse`` and ``reports.analysis.run_comparison`` leave them out,
``split_capacity``): one cell spans many loads. This module selects them and composes
``cells`` (per cell), ``curves`` (per variant, across repetitions) and ``findings``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.analysis.capacity.cells import REP_COLUMNS, rep_table, steps_table
from reports.analysis.capacity.curves import (
    CURVE_COLUMNS,
    cost_table,
    curves_table,
    knee_table,
    max_rate_table,
)
from reports.analysis.capacity.findings import capacity_findings
from reports.analysis.findings import COLUMNS as FINDING_COLUMNS
from reports.analysis.ordering import order_scenarios
from reports.constants import CAPACITY_KIND
from reports.loading.run_folder import Run


@dataclass(frozen=True)
class Capacity:
    """Everything the report shows about capacity cells (empty frames without any)."""
    scenarios: list[str]  # capacity scenarios, in report order
    modes: dict[str, str]  # scenario -> "open" | "closed"
    steps: pd.DataFrame  # report/capacity_steps.csv
    reps: pd.DataFrame  # report/capacity.csv (plus cell_id)
    max_rate: pd.DataFrame  # open scenarios: one row per variant x scenario
    knees: pd.DataFrame  # closed scenarios: one row per variant x scenario
    cost: pd.DataFrame  # one row per variant x scenario
    curves: pd.DataFrame  # the steps of the repetition each figure draws, knee marked
    findings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FINDING_COLUMNS))
    requests: int = 0  # every request of every step
    errors: int = 0

    @property
    def present(self) -> bool:
        return bool(self.scenarios)


def capacity_mask(cells: pd.DataFrame) -> pd.Series:
    """The cells of capacity scenarios. A scenario is one when any of its cells is a capacity
    cell (summary.json's ``kind``, or a steps.csv beside it), so a repetition that could not run
    (a failed-cell summary without the capacity object) stays with its scenario."""
    if cells.empty or "kind" not in cells:
        return pd.Series(False, index=cells.index, dtype=bool)
    marked = cells["kind"].eq(CAPACITY_KIND)
    if "has_steps_csv" in cells:
        marked |= cells["has_steps_csv"].fillna(False).astype(bool)
    return cells["scenario"].isin(set(cells.loc[marked, "scenario"]))


def split_capacity(run: Run) -> tuple[Run, pd.DataFrame]:
    """The run without its capacity cells (nor their requests and monitor samples), for every
    analysis of cells at one load (the report's tables, ``reports compare``), and the capacity
    cells."""
    mask = capacity_mask(run.cells)
    if not mask.any():
        return run, run.cells.iloc[0:0]
    ordinary = run.cells[~mask]
    ids = ordinary["cell_id"].to_numpy()
    return dataclasses.replace(
        run, cells=ordinary,
        requests=run.requests[run.requests["cell_id"].isin(ids)],
        monitors=run.monitors[run.monitors["cell_id"].isin(ids)] if len(run.monitors)
        else run.monitors), run.cells[mask]


def _totals(cells: pd.DataFrame, steps: pd.DataFrame) -> tuple[int, int]:
    """Requests and failed requests of every capacity cell (its steps; else its rows)."""
    with_steps = set(steps["cell_id"])
    rest = cells[~cells["cell_id"].isin(with_steps)]
    requests = int(steps["requests"].fillna(0).sum()) + int(
        pd.to_numeric(rest.get("csv_requests"), errors="coerce").fillna(0).sum())
    errors = int(steps["errors"].fillna(0).sum()) + int(
        pd.to_numeric(rest.get("csv_errors"), errors="coerce").fillna(0).sum())
    return requests, errors


def _in_order(frame: pd.DataFrame, variants: Sequence[str], scenarios: Sequence[str],
              last: str) -> pd.DataFrame:
    """``frame`` by scenario and variant in the report's order, then by ``rep`` and ``last``."""
    v_rank = {v: i for i, v in enumerate(variants)}
    s_rank = {s: i for i, s in enumerate(scenarios)}
    key = frame.assign(_s=frame["scenario"].map(s_rank), _v=frame["variant"].map(v_rank))
    return key.sort_values(["_s", "_v", "rep", last], kind="stable").drop(columns=["_s", "_v"])


def analyse_capacity(cells: pd.DataFrame, monitors: pd.DataFrame, variants: Sequence[str],
                     meta: dict[str, Any]) -> Capacity:
    """Every capacity number of the report, from the capacity cells (``capacity_mask``)."""
    scenarios = order_scenarios(cells["scenario"]) if len(cells) else []
    steps = steps_table(cells)
    reps, knees = rep_table(cells, steps, monitors)
    steps.loc[knees, "knee"] = True
    steps = _in_order(steps, variants, scenarios, "index")
    reps = _in_order(reps, variants, scenarios, "cell_id").reset_index(drop=True)
    modes = {s: str(reps.loc[reps["scenario"] == s, "mode"].mode().iloc[0]) for s in scenarios}
    max_rate = max_rate_table(reps, variants)
    knee_rows = knee_table(reps, variants)
    cost = cost_table(reps, variants)
    requests, errors = _totals(cells, steps)
    return Capacity(
        scenarios=scenarios, modes=modes, steps=steps, reps=reps, max_rate=max_rate,
        knees=knee_rows, cost=cost, curves=curves_table(reps, steps, variants),
        findings=capacity_findings(cells, reps, max_rate, knee_rows, variants, meta),
        requests=requests, errors=errors)


def empty_capacity() -> Capacity:
    """No capacity cell in the run."""
    steps = steps_table(pd.DataFrame(columns=["cell_id"]))
    reps = pd.DataFrame(columns=REP_COLUMNS)
    return Capacity([], {}, steps, reps, max_rate_table(reps, []), knee_table(reps, []),
                    cost_table(reps, []), pd.DataFrame(columns=CURVE_COLUMNS))

"""Validity findings about capacity cells, in ``reports.analysis.findings``'s columns: the cells'
own problems and warnings, why each search stopped where it did not measure the server, cost steps
the server could not carry, missing monitor samples, missing cells, and too few repetitions for
an interval. Pure; DataFrames in and out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from reports.analysis.findings import COLUMNS
from reports.constants import CAPACITY_LOWER_BOUNDS, MIN_REPS, MONITOR_MIN_COVERAGE
from reports.loading.database import Database, database_of

LIMIT_SEVERITY = {"client": "warning", "time_budget": "warning", "max_rate": "info",
                  "none_passed": "warning"}


def _item(severity: str, variant: str, scenario: str, rep: int, source: str,
          message: str) -> dict[str, Any]:
    return {"severity": severity, "variant": variant, "scenario": scenario, "rep": rep,
            "source": source, "message": message}


STOPPED = {"client": "by the client", "max_rate": "at its max_rate",
           "time_budget": "by its time budget"}


def _limit_message(row: Any) -> str:
    note = f" ({row.limit_note})" if row.limit_note else ""
    if row.limited_by == "none_passed":
        return (f"capacity search: no step met the objective{note}; no maximum rate, not in the "
                "interval")
    label = CAPACITY_LOWER_BOUNDS[row.limited_by]
    value = f"≥ {row.max_rate_rps:,.1f} req/s" if np.isfinite(row.max_rate_rps) else "no value"
    return (f"capacity search stopped {STOPPED[row.limited_by]}{note}: its maximum rate "
            f"({value}, {label}) is a lower bound of the server's capacity, not its capacity; "
            "left out of the mean and interval")


def _coverage_item(cell: Any, what: str, coverage: float, figure: str) -> dict[str, Any]:
    covered = 0.0 if not np.isfinite(coverage) else coverage
    return _item("warning", cell.variant, cell.scenario, int(cell.rep), "report",
                 f"the {what} monitor covers {covered:.0%} of the cost step's window (needs "
                 f"{MONITOR_MIN_COVERAGE:.0%}): no {figure} for this repetition")


def _cell_items(cell: Any, row: Any | None, db: Database) -> list[dict[str, Any]]:
    v, s, k = cell.variant, cell.scenario, int(cell.rep)
    items = [_item("error" if "missing" in p or "no rows" in p or "empty" in p else "warning",
                   v, s, k, "report", p) for p in cell.problems]
    searched = isinstance(cell.capacity, dict)  # else the summary of a cell that did not run
    explained = row is not None and row.mode == "open" and row.limited_by in LIMIT_SEVERITY
    for w in cell.warnings:
        if w.startswith("capacity: ") and explained:
            continue  # the client's "capacity: <limit_note>", restated below with its meaning
        items.append(_item("warning", v, s, k, "client",
                           f"capacity search, best step: {w}"
                           if searched and not w.startswith("capacity") else w))
    if row is None or row.limited_by == "no_data":
        items.append(_item("error", v, s, k, "report",
                           "capacity cell without its capacity object in summary.json (the "
                           "search's steps): left out of the capacity tables"))
        return items
    if row.mode == "open" and row.limited_by in LIMIT_SEVERITY:
        items.append(_item(LIMIT_SEVERITY[row.limited_by], v, s, k, "client",
                           _limit_message(row)))
    if row.cost_passed is False:
        items.append(_item("warning", v, s, k, "report",
                           f"cost step at {row.cost_rate_rps:,.0f} req/s did not pass: the "
                           "server could not carry the common rate, so its cost there is shown "
                           "but marked"))
    if np.isfinite(row.cost_rate_rps) and not row.monitor_coverage >= MONITOR_MIN_COVERAGE:
        items.append(_coverage_item(cell, "server", row.monitor_coverage, "cost"))
    # A missing monitor-db.csv is said once per cell (reports.analysis.database_findings); a partial
    # one here.
    if db.own_host and getattr(cell, "has_db_monitor", False) and \
            np.isfinite(row.cost_rate_rps) and not row.db_monitor_coverage >= MONITOR_MIN_COVERAGE:
        items.append(_coverage_item(cell, "database", row.db_monitor_coverage,
                                    "database cost"))
    return items


def _missing_items(cells: pd.DataFrame, variants: Sequence[str],
                   meta: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    present = cells.groupby(["variant", "scenario"]).size().to_dict()
    params = meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {}
    want = params.get("repetitions") if isinstance(params.get("repetitions"), int) else None
    mine = [v for v in variants if v in set(cells["variant"])]
    for scenario in dict.fromkeys(cells["scenario"]):
        for variant in mine:
            n = present.get((variant, scenario), 0)
            if n == 0:
                items.append(_item("error", variant, scenario, 0, "report",
                                   "missing: no repetition of this capacity cell in the "
                                   "results"))
            elif want and n < want:
                items.append(_item("warning", variant, scenario, 0, "report",
                                   f"only {n} of {want} repetitions present"))
    return items


def _table_items(max_rate: pd.DataFrame, knees: pd.DataFrame) -> list[dict[str, Any]]:
    items = []
    for r in max_rate.itertuples():
        if r.status == "lower bound":
            label = CAPACITY_LOWER_BOUNDS.get(r.lower_bound_by, r.lower_bound_by)
            items.append(_item("warning", r.variant, r.scenario, 0, "report",
                               f"no repetition measured the server's capacity: ≥ "
                               f"{r.lower_bound:,.1f} req/s ({label}) is a lower bound"))
        elif 0 < r.n < MIN_REPS:
            items.append(_item("info", r.variant, r.scenario, 0, "report",
                               f"{r.n} repetition(s) measured the server's maximum rate: no "
                               f"interval (it needs {MIN_REPS})"))
    for r in knees.itertuples():
        if r.n < r.reps:
            items.append(_item("info", r.variant, r.scenario, 0, "report",
                               f"goodput still grew by 5% at the top of the ladder in "
                               f"{r.reps - r.n} of {r.reps} repetition(s): no knee within it "
                               "(add levels)"))
    return items


def capacity_findings(cells: pd.DataFrame, reps: pd.DataFrame, max_rate: pd.DataFrame,
                      knees: pd.DataFrame, variants: Sequence[str],
                      meta: dict[str, Any]) -> pd.DataFrame:
    """Every finding about the capacity cells (``reports.analysis.findings`` columns)."""
    rows = {int(r.cell_id): r for r in reps.itertuples()}
    db = database_of(meta)
    items = []
    for cell in cells.itertuples():
        items += _cell_items(cell, rows.get(int(cell.cell_id)), db)
    if len(cells):
        items += _missing_items(cells, variants, meta)
    items += _table_items(max_rate, knees)
    table = pd.DataFrame(items, columns=COLUMNS)
    table["rep"] = table["rep"].astype("int64")
    return table

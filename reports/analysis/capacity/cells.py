"""Per capacity cell: its steps (report/capacity_steps.csv) and its row of report/capacity.csv —
why its search stopped, whether it counts in the maximum rate's interval, its knee (open loop:
the step at ``max_rate_rps``; closed loop: ``ladder_knee``) and its cost at the common rate
(``reports.analysis.capacity.cost``; in a PostgreSQL run the database host's too, in the same
window). Pure; the capacity cells and the monitor samples of ``reports.loading.run_folder.Run`` in,
DataFrames out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reports.analysis.capacity.cost import window_cost
from reports.constants import (
    CAPACITY_COLUMNS,
    CAPACITY_DB_COLUMNS,
    CAPACITY_EXTRA_COLUMNS,
    CAPACITY_STEP_COLUMNS,
    CAPACITY_STEP_EXTRA_COLUMNS,
    KNEE_MIN_GROWTH,
    MONITOR_MIN_COVERAGE,
)

NAN = float("nan")
STEP_KEYS = CAPACITY_STEP_COLUMNS[3:]
STEP_NUMBERS = ("offered_rps", "concurrency", "requests", "errors", "error_rate",
                "achieved_rps", "attempted_rps", "p50_ms", "p99_ms", "client_cpu_pct",
                "send_lateness_p99_ms")
REP_COLUMNS = [*CAPACITY_COLUMNS, *CAPACITY_EXTRA_COLUMNS, *CAPACITY_DB_COLUMNS, "cell_id"]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _num(value: Any) -> float:
    number = pd.to_numeric(value, errors="coerce")
    return float(number) if number is not None and np.isfinite(number) else NAN


def _mode(cell: Any) -> str:
    mode = _object(cell.capacity).get("mode")
    if mode in ("open", "closed"):
        return str(mode)
    return "closed" if cell.model == "closed" else "open"


def steps_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Every step of every capacity cell (report/capacity_steps.csv), plus ``cell_id``."""
    rows = []
    for cell in cells.itertuples():
        mode = _mode(cell)
        for step in _object(cell.capacity).get("steps") or []:
            if isinstance(step, dict):
                rows.append({"variant": cell.variant, "scenario": cell.scenario, "rep": cell.rep,
                             **{k: step.get(k) for k in STEP_KEYS}, "stack": cell.stack,
                             "server": cell.server, "mode": mode, "knee": False,
                             "cell_id": cell.cell_id})
    frame = pd.DataFrame(rows, columns=[*CAPACITY_STEP_COLUMNS, *CAPACITY_STEP_EXTRA_COLUMNS,
                                        "cell_id"])
    for column in STEP_NUMBERS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("index", "start_ns", "end_ns"):
        frame[column] = pd.array([int(v) if isinstance(v, (int, float)) and np.isfinite(v)
                                  else None for v in frame[column]], dtype="Int64")
    frame["passed"] = [v if isinstance(v, bool) else None for v in frame["passed"]]
    frame["reason"] = frame["reason"].fillna("").astype(str)
    frame["knee"] = frame["knee"].astype(bool)
    return frame


def ladder_knee(goodput: np.ndarray, p99: np.ndarray,
                growth: float = KNEE_MIN_GROWTH) -> tuple[int, bool] | None:
    """The knee of a closed ladder whose steps are in rising concurrency: the position of the
    first level after which goodput grows by less than ``growth`` to the next level while p99
    grows, and True; the top level and False when goodput still grows that much at every
    level (no knee within the ladder); None without a step."""
    n = len(goodput)
    if n == 0:
        return None
    for i in range(n - 1):
        if goodput[i + 1] < (1 + growth) * goodput[i] and p99[i + 1] > p99[i]:
            return i, True
    return n - 1, False


def _open_knee(steps: pd.DataFrame, max_rate: float) -> int | None:
    """Row label of the step at ``max_rate_rps`` (the highest passing offered rate)."""
    if not np.isfinite(max_rate):
        return None
    passed = steps[steps["passed"].eq(True) & steps["offered_rps"].notna()]
    if passed.empty:
        return None
    at = passed[np.isclose(passed["offered_rps"], max_rate, rtol=1e-6)]
    pick = at if len(at) else passed[passed["offered_rps"] == passed["offered_rps"].max()]
    return pick.index[-1]


def ladder_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """A closed cell's ladder: its steps with a concurrency and figures, by level."""
    ladder = steps[steps["concurrency"].notna() & steps["achieved_rps"].notna()
                   & steps["p99_ms"].notna()]
    return ladder.sort_values(["concurrency", "index"], kind="stable")


def _cost_step(steps: pd.DataFrame, index: Any) -> pd.Series | None:
    if isinstance(index, int) and not isinstance(index, bool):
        hit = steps[steps["index"] == index]
    else:
        hit = steps[steps["phase"] == "cost"]
    return hit.iloc[0] if len(hit) else None


def _tree_cost(samples: pd.DataFrame, start_ns: int, end_ns: int,
               successes: float) -> tuple[float, float, float, float]:
    """(CPU-seconds, CPU-seconds per 1,000 successes, peak RSS MiB, coverage) of one monitored
    tree in the window; NaN figures when the samples cover less than ``MONITOR_MIN_COVERAGE``
    of it (a partial window would understate the cost)."""
    used = window_cost(samples, start_ns, end_ns)
    if used.coverage < MONITOR_MIN_COVERAGE:
        return NAN, NAN, NAN, used.coverage
    per_1k = used.cpu_s / successes * 1000.0 if successes > 0 else NAN
    return used.cpu_s, per_1k, used.peak_rss_bytes / 2**20, used.coverage


def _cost(step: pd.Series | None, samples: pd.DataFrame,
          db_samples: pd.DataFrame) -> dict[str, Any]:
    """The cost step's figures: the server's tree (``samples``) and, in a PostgreSQL run, the
    database host's (``db_samples``; NaN without them), measured alike."""
    out: dict[str, Any] = {"cost_rate_rps": NAN, "cost_passed": None, "cost_successes": NAN,
                           "cost_cpu_s": NAN, "cost_cpu_s_per_1k": NAN, "peak_rss_mib": NAN,
                           "monitor_coverage": NAN, "db_cost_cpu_s": NAN,
                           "db_cost_cpu_s_per_1k": NAN, "db_peak_rss_mib": NAN,
                           "db_monitor_coverage": NAN, "cost_requests_per_total_cpu_s": NAN}
    if step is None:
        return out
    successes = _num(step["requests"]) - _num(step["errors"])
    offered = _num(step["offered_rps"])
    out.update(cost_rate_rps=offered if np.isfinite(offered) else _num(step["achieved_rps"]),
               cost_passed=step["passed"], cost_successes=successes)
    if pd.isna(step["start_ns"]) or pd.isna(step["end_ns"]):
        return out
    window = int(step["start_ns"]), int(step["end_ns"])
    (out["cost_cpu_s"], out["cost_cpu_s_per_1k"], out["peak_rss_mib"],
     out["monitor_coverage"]) = _tree_cost(samples, *window, successes)
    (out["db_cost_cpu_s"], out["db_cost_cpu_s_per_1k"], out["db_peak_rss_mib"],
     out["db_monitor_coverage"]) = _tree_cost(db_samples, *window, successes)
    total = out["cost_cpu_s"] + out["db_cost_cpu_s"]
    if successes > 0 and total > 0:
        out["cost_requests_per_total_cpu_s"] = successes / total
    return out


def _rep_row(cell: Any, steps: pd.DataFrame, samples: pd.DataFrame,
             db_samples: pd.DataFrame) -> tuple[dict[str, Any], int | None]:
    """One row of report/capacity.csv and the row label of its knee step (None: none)."""
    cap = _object(cell.capacity)
    mode = _mode(cell)
    limited = cap.get("limited_by") if isinstance(cap.get("limited_by"), str) else "no_data"
    max_rate = _num(cap.get("max_rate_rps")) if mode == "open" else NAN
    row: dict[str, Any] = {
        "variant": cell.variant, "scenario": cell.scenario, "rep": cell.rep,
        "max_rate_rps": max_rate, "limited_by": limited,
        "slo_p99_ms": _num(cap.get("slo_p99_ms")), "stack": cell.stack, "server": cell.server,
        "mode": mode, "limit_note": str(cap.get("limit_note") or ""),
        "max_error_rate": _num(cap.get("max_error_rate")), "knee_offered_rps": NAN,
        "knee_concurrency": NAN, "knee_reached": False, "knee_goodput_rps": NAN,
        "knee_p99_ms": NAN, "steps": len(steps), "status": cell.status,
        "peak_goodput_rps": NAN, "cell_id": cell.cell_id}
    row.update(_cost(_cost_step(steps, cap.get("cost_step_index")), samples, db_samples))
    knee: int | None = None
    if mode == "open":
        knee = _open_knee(steps, max_rate)
        row["knee_reached"] = knee is not None and limited == "server"
        if len(steps):
            row["peak_goodput_rps"] = float(steps["achieved_rps"].max())
    else:
        ladder = ladder_steps(steps)
        found = ladder_knee(ladder["achieved_rps"].to_numpy(), ladder["p99_ms"].to_numpy())
        if found is not None:
            knee, row["knee_reached"] = ladder.index[found[0]], found[1]
            row["peak_goodput_rps"] = float(ladder["achieved_rps"].max())
    if knee is not None:
        step = steps.loc[knee]
        row.update(knee_offered_rps=step["offered_rps"], knee_concurrency=step["concurrency"],
                   knee_goodput_rps=step["achieved_rps"], knee_p99_ms=step["p99_ms"])
    row["in_interval"] = bool(np.isfinite(max_rate) and limited == "server") if mode == "open" \
        else bool(row["knee_reached"])
    return row, knee


def _by_cell(monitors: pd.DataFrame,
             side: str) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """One side's process rows (``server``; ``db``: the database host), and them by cell."""
    rows = monitors[(monitors["side"] == side) & (monitors["scope"] == "process")] \
        if len(monitors) and "ts_ns" in monitors else pd.DataFrame(
            columns=["cell_id", "ts_ns", "pid", "cpu_percent", "rss_bytes"])
    return rows, dict(tuple(rows.groupby("cell_id"))) if len(rows) else {}


def rep_table(cells: pd.DataFrame, steps: pd.DataFrame,
              monitors: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """report/capacity.csv (one row per capacity cell) and the row labels of the knee steps."""
    server, by_cell = _by_cell(monitors, "server")
    db, db_by_cell = _by_cell(monitors, "db")
    step_groups = dict(tuple(steps.groupby("cell_id"))) if len(steps) else {}
    rows, knees = [], []
    for cell in cells.itertuples():
        mine = step_groups.get(cell.cell_id, steps.iloc[0:0])
        row, knee = _rep_row(cell, mine, by_cell.get(cell.cell_id, server.iloc[0:0]),
                             db_by_cell.get(cell.cell_id, db.iloc[0:0]))
        rows.append(row)
        if knee is not None:
            knees.append(knee)
    return pd.DataFrame(rows, columns=REP_COLUMNS), knees

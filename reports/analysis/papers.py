"""The two papers' views: paper 1's figure values and paper 2's tables and per-request series.
Pure; DataFrames in and out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.analysis import statistics
from reports.analysis.ordering import order_variants
from reports.analysis.repetitions import ranked, worst_status
from reports.constants import PAPER1_FIGURES, PAPER2_LOADS

PAPER2_SCENARIOS = frozenset(s for _, get_s, post_s, _ in PAPER2_LOADS.values()
                             for s in (get_s, post_s))


# -- paper 1 --------------------------------------------------------------------------------------

def paper1_table(reps: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Paper 1 Figures 1-7: mean over the repetitions that did not fail (as the paper averaged
    its 5 runs) with Student's t 95% CI; throughput (goodput) for hello/echo, mean response time
    for the CRUD scenarios. ``status`` is ``failed`` when no repetition may be ranked."""
    rows = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        sub = reps[reps["scenario"] == scenario]
        for variant in order_variants(cells[cells["scenario"] == scenario]):
            col = "achieved_rps" if metric == "rps" else "mean_ms"
            mine = sub[sub["variant"] == variant]
            values = ranked(mine)[col].to_numpy(dtype="float64")
            values = values[np.isfinite(values)]
            low, high = statistics.t_mean_ci(values)
            status = worst_status(ranked(mine)["status"]) if values.size else "failed"
            rows.append({"figure": number, "scenario": scenario, "title": title,
                         "metric": metric, "variant": variant, "reps": int(values.size),
                         "value": float(values.mean()) if values.size else np.nan,
                         "ci95_low": low, "ci95_high": high, "status": status,
                         "censored": int(mine["censored"].sum())})
    return pd.DataFrame(rows, columns=["figure", "scenario", "title", "metric", "variant", "reps",
                                       "value", "ci95_low", "ci95_high", "status", "censored"])


# -- paper 2 --------------------------------------------------------------------------------------

def paper2_table(latencies: dict[tuple[str, str], np.ndarray], summary: pd.DataFrame,
                 load: str) -> pd.DataFrame:
    """Paper 2 Tables 1-2 for one load: average, improvement % against the slowest row that did
    not fail, outliers by 1.5 x IQR; one row per variant x method, fastest first, failed rows
    last (never ranked: no improvement)."""
    _, get_s, post_s, _ = PAPER2_LOADS[load]
    rows = []
    for scenario, method in ((get_s, "GET"), (post_s, "POST")):
        for row in summary[summary["scenario"] == scenario].itertuples():
            values = latencies.get((row.variant, scenario), np.empty(0))
            rows.append({"variant": row.variant, "method": method, "scenario": scenario,
                         "requests": row.requests, "errors": row.errors,
                         "average_ms": float(values.mean()) if values.size else np.nan,
                         "outliers": statistics.iqr_outliers(values), "n": int(values.size),
                         "censored": row.censored, "status": row.status})
    table = pd.DataFrame(rows, columns=["variant", "method", "scenario", "requests", "errors",
                                        "average_ms", "outliers", "n", "censored", "status"])
    failed = (table["status"] == "failed").to_numpy()
    times = table["average_ms"].to_numpy(dtype="float64").copy()
    times[failed] = np.nan
    table["improvement_pct"] = statistics.improvement_pct(times)
    return table.assign(_failed=failed).sort_values(["_failed", "average_ms"], kind="stable") \
        .drop(columns="_failed").reset_index(drop=True)


def paper2_tables(latencies: dict[tuple[str, str], np.ndarray],
                  summary: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """load -> its paper-2 table, for every load with a scenario in the run."""
    present = set(summary["scenario"])
    return {load: paper2_table(latencies, summary, load)
            for load, (_, get_s, post_s, _) in PAPER2_LOADS.items()
            if {get_s, post_s} & present}


def paper2_cells(requests: pd.DataFrame,
                 cells: pd.DataFrame) -> dict[tuple[str, str, int], pd.DataFrame]:
    """(variant, scenario, rep) of every paper-2 cell -> its requests in ``seq`` order:
    ``seq, iteration, latency_ms`` with NaN latency for a failed request (paper 2's tooling wrote
    0 s). ``iteration`` is the paper's 1-based iteration number: the client's ``seq`` (0-based,
    the request's number in the step) + 1."""
    series: dict[tuple[str, str, int], pd.DataFrame] = {}
    wanted = cells.loc[cells["scenario"].isin(PAPER2_SCENARIOS),
                       ["cell_id", "variant", "scenario", "rep"]]
    for cell_id, variant, scenario, rep in wanted.itertuples(index=False, name=None):
        rows = requests[requests["cell_id"].to_numpy() == cell_id].sort_values("seq")
        series[(str(variant), str(scenario), int(rep))] = pd.DataFrame(
            {"seq": rows["seq"].to_numpy(), "iteration": rows["seq"].to_numpy() + 1,
             "latency_ms": rows["latency_ms"].where(rows["ok"]).to_numpy()})
    return series

"""Per variant x scenario: latency samples pooled over repetitions, and the summary table
(report/summary.csv). Pure; DataFrames in and out."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reports.analysis import statistics
from reports.analysis.ordering import KEYS, in_report_order
from reports.analysis.repetitions import error_threshold, ranked
from reports.constants import (
    DB_SUMMARY_COLUMNS,
    PERCENTILES,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
)
from runfiles import validity


def latency_samples(requests: pd.DataFrame,
                    cells: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(variant, scenario) -> latency samples (ms) of ``cells``: successes, and timeouts at the
    time they were abandoned (censored); pooled over repetitions, in request order within each
    repetition. Requests of other cells are ignored."""
    if requests.empty or cells.empty:
        return {}
    sample = requests["latency_ms"].notna().to_numpy()
    latency = requests["latency_ms"].to_numpy()[sample]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(cells[KEYS]))
    ids = requests["cell_id"].to_numpy()[sample]
    size = max(int(cells["cell_id"].max()), int(ids.max()) if ids.size else 0) + 1
    code_of_cell = np.full(size, -1, dtype="int64")
    code_of_cell[cells["cell_id"].to_numpy()] = codes
    group = code_of_cell[ids]
    # requests of cells left out of ``cells`` (the A/A control's) are not samples here
    latency, group = latency[group >= 0], group[group >= 0]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(uniques) + 1))
    return {(str(k[0]), str(k[1])): latency[order[bounds[i]:bounds[i + 1]]]
            for i, k in enumerate(uniques) if bounds[i + 1] > bounds[i]}


def pooled_latency(latencies: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Mean, percentiles and max over the latency samples of all repetitions, and how many
    samples they rest on; a percentile with too few samples beyond it (p99.9 below 10,000) is
    NaN."""
    rows = []
    for (v, s), x in latencies.items():
        if not x.size:
            continue
        pct = {f"{k}_ms": (q if PERCENTILES[k] <= 99.0 or x.size >= validity.percentile_min_samples(
            PERCENTILES[k]) else np.nan) for k, q in statistics.percentiles(x).items()}
        rows.append({"variant": v, "scenario": s, "mean_ms": float(x.mean()), **pct,
                     "max_ms": float(x.max()), "latency_samples": int(x.size)})
    return pd.DataFrame(rows, columns=[*KEYS, "mean_ms", *(f"{k}_ms" for k in PERCENTILES),
                                       "max_ms", "latency_samples"])


def _merge_classes(dicts: Iterable[dict]) -> str:
    total: dict[str, int] = {}
    for d in dicts:
        for k, v in (d or {}).items():
            total[str(k)] = total.get(str(k), 0) + int(v)
    return "; ".join(f"{k}:{v}" for k, v in sorted(total.items()))


def pooled_status(g: pd.DataFrame) -> str:
    """A variant x scenario over its repetitions: ``failed`` when every repetition failed or the
    pooled error rate is above the threshold; ``ok`` when every repetition is; else
    ``degraded``."""
    requests_n, errors_n = int(g["requests"].sum()), int(g["errors"].sum())
    threshold = min(error_threshold(t) for t in g["max_error_rate"])
    if (g["status"] == "failed").all() or \
            validity.cell_status(requests_n, errors_n, [], threshold) == "failed":
        return "failed"
    return "ok" if (g["status"] == "ok").all() else "degraded"


def _first(values: pd.Series) -> object:
    present = values.dropna()
    return present.iloc[0] if len(present) else ""


def _median(values: np.ndarray) -> float:
    return float(np.nanmedian(values)) if np.isfinite(values).any() else np.nan


def summary_table(reps: pd.DataFrame, latencies: dict[tuple[str, str], np.ndarray],
                  cells: pd.DataFrame) -> pd.DataFrame:
    """report/summary.csv: one row per variant x scenario. Latency pooled over all repetitions'
    samples; goodput median over all repetitions; the confidence intervals (Student's t) over the
    repetitions that did not fail (``reps_ranked``). ``warnings`` is 0 here: see
    ``warning_counts``. The database host's figures (``DB_SUMMARY_COLUMNS``, medians over
    repetitions like ``requests_per_cpu_s``) are NaN without its monitor (every SQLite run)."""
    columns = [*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS, *DB_SUMMARY_COLUMNS]
    if reps.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (variant, scenario), g in reps.groupby(KEYS, sort=False):
        good = ranked(g)
        rep_means = good["mean_ms"].to_numpy(dtype="float64")
        rps = g["achieved_rps"].to_numpy(dtype="float64")
        attempted = g["attempted_rps"].to_numpy(dtype="float64")
        low, high = statistics.t_mean_ci(rep_means)
        rps_low, rps_high = statistics.t_mean_ci(good["achieved_rps"].to_numpy(dtype="float64"))
        requests_n = int(g["requests"].sum())
        errors_n = int(g["errors"].sum())
        rows.append({
            "variant": variant, "stack": g["stack"].iloc[0], "server": g["server"].iloc[0],
            "scenario": scenario, "reps": len(g), "requests": requests_n, "errors": errors_n,
            "rps_median": _median(rps), "attempted_rps_median": _median(attempted),
            "ci95_low_ms": low, "ci95_high_ms": high,
            "model": _first(g["model"]), "method": _first(g["method"]),
            "ok_requests": int(g["ok_requests"].sum()), "censored": int(g["censored"].sum()),
            "error_rate": errors_n / requests_n if requests_n else np.nan,
            "error_classes": _merge_classes(g["error_classes"]),
            "rps_ci95_low": rps_low, "rps_ci95_high": rps_high, "reps_ranked": len(good),
            "rep_mean_cv": statistics.coefficient_of_variation(rep_means),
            "requests_per_cpu_s": float(g["requests_per_cpu_s"].median()),
            **{c: float(g[c].median()) for c in DB_SUMMARY_COLUMNS},
            "status": pooled_status(g),
        })
    table = pd.DataFrame(rows).merge(pooled_latency(latencies), on=KEYS, how="left")
    table["latency_samples"] = table["latency_samples"].fillna(0).astype("int64")
    table["warnings"] = 0
    return in_report_order(table[columns], cells)


def warning_counts(summary: pd.DataFrame, findings: pd.DataFrame) -> pd.Series:
    """Per summary row: the validity errors and warnings about it (its own, and its variant's
    run-wide ones)."""
    serious = findings[findings["severity"].isin(["error", "warning"])]
    counts = []
    for row in summary.itertuples():
        mine = serious["variant"].eq(row.variant) & serious["scenario"].isin([row.scenario, ""])
        counts.append(int(mine.sum()))
    return pd.Series(counts, index=summary.index, dtype="int64")

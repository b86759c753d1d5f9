"""Per repetition: one row per cell (variant x scenario x rep) with its counts, mean latency,
goodput, status, CPU efficiency and the warnings the report adds. Pure; DataFrames in and out.

Inputs are the frames of ``reports.loading.run_folder.Run`` (``cells``, ``requests``, ``monitors``).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reports.analysis import statistics
from reports.analysis.capacity.cost import peak_rss_bytes
from reports.analysis.ordering import KEYS
from reports.constants import QUANTILE_METHOD, STATUS_RANK, SUMMARY_SCHEMA_VERSION
from runfiles import validity


def cell_rows(requests: pd.DataFrame, cell_id: int) -> pd.DataFrame:
    """The requests of one cell (``requests`` is ordered by ``cell_id``, as loading writes it)."""
    start, stop = requests["cell_id"].searchsorted([cell_id, cell_id + 1])
    return requests.iloc[start:stop]


def worst_status(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda st: STATUS_RANK.get(st, 0), default="ok")


def error_threshold(value: object) -> float:
    """A cell's maximum error rate (summary.json), else the shared default."""
    number = pd.to_numeric(value, errors="coerce")
    return float(number) if np.isfinite(number) else validity.MAX_ERROR_RATE


def _rep_status(row: pd.Series) -> str:
    """The summary's status, made at least as severe as the shared rules say: ``failed`` above
    the error-rate threshold, ``degraded`` when the report found a reason (older results)."""
    given = row["status"] if isinstance(row["status"], str) else \
        ("degraded" if row["errors"] or not row["has_summary"] else "ok")
    by_counts = validity.cell_status(int(row["requests"]), int(row["errors"]),
                                     row["report_warnings"], error_threshold(row["max_error_rate"]))
    return worst_status([given, by_counts])


def legacy_warnings(row: pd.Series, req: pd.DataFrame) -> list[str]:
    """The client's own rules (runfiles/validity.py), applied by the report to a repetition whose
    summary.json predates them (schema 1) or is missing: same thresholds, same sentences."""
    if row["has_summary"] and row["schema_version"] >= SUMMARY_SCHEMA_VERSION:
        return []
    found = [validity.client_cpu_warning(None if pd.isna(row["client_cpu_pct"])
                                         else float(row["client_cpu_pct"]))]
    samples = req["latency_ms"].dropna().to_numpy()
    if row["model"] == "open":
        rate = pd.to_numeric(row["rate"], errors="coerce")
        found += validity.rate_warnings(float(rate) if np.isfinite(rate) else None, None,
                                        float(row["achieved_rps"])
                                        if np.isfinite(row["achieved_rps"]) else None)
    elif samples.size:
        done = np.sort(np.round(req["t_s"].dropna().to_numpy() * 1e9).astype("int64"))
        found.append(validity.stall_warning(done.tolist()))
        p99 = float(np.percentile(samples, 99, method=QUANTILE_METHOD))
        found.append(validity.tail_warning(p99, float(samples.max())))
    found.append(validity.censored_warning(int(req["censored"].sum()), None))
    return [w for w in found if w]


def _tree(monitors: pd.DataFrame, side: str) -> pd.DataFrame:
    """The process rows of one monitored tree: ``server`` (monitor-server.csv), ``client``,
    ``db`` (the database host's, monitor-db.csv)."""
    if monitors.empty:
        return monitors
    return monitors[(monitors["side"] == side) & (monitors["scope"] == "process")]


def tree_cpu_seconds(monitors: pd.DataFrame, side: str = "server") -> pd.Series:
    """CPU-seconds of one side's process tree per cell (sum over processes, integrated)."""
    proc = _tree(monitors, side)
    if proc.empty:
        return pd.Series(dtype="float64")
    tree = proc.groupby(["cell_id", "t_s"], sort=True)["cpu_percent"].sum().reset_index()
    return tree.groupby("cell_id").apply(
        lambda g: statistics.cpu_seconds(g["t_s"].to_numpy(), g["cpu_percent"].to_numpy()),
        include_groups=False)


def tree_peak_rss_bytes(monitors: pd.DataFrame, side: str = "server") -> pd.Series:
    """Peak RSS of one side's process tree per cell (``capacity_cost.peak_rss_bytes``: the
    largest sum of its processes' RSS at one sample time)."""
    proc = _tree(monitors, side)
    if proc.empty:
        return pd.Series(dtype="float64")
    return proc.groupby("cell_id").apply(peak_rss_bytes, include_groups=False)


def rep_stats(cells: pd.DataFrame, requests: pd.DataFrame,
              monitors: pd.DataFrame) -> pd.DataFrame:
    """One row per repetition: counts, mean latency (successes and censored timeouts), goodput,
    status, CPU efficiency, and the warnings the report adds (``report_warnings``)."""
    if cells.empty:
        return pd.DataFrame(columns=["cell_id", *KEYS, "rep", "requests", "errors", "ok_requests",
                                     "censored", "mean_ms", "achieved_rps", "attempted_rps",
                                     "status", "report_warnings"])
    per_cell = requests.groupby("cell_id").agg(csv_ok=("ok", "sum"), censored=("censored", "sum"),
                                               mean_ms=("latency_ms", "mean"))
    out = cells.set_index("cell_id")
    out = out.join(per_cell)
    from_csv = out["has_requests"].astype(bool)
    out["requests"] = np.where(from_csv, out["csv_requests"],
                               pd.to_numeric(out["summary_requests"], errors="coerce").fillna(0))
    out["errors"] = np.where(from_csv, out["csv_errors"],
                             pd.to_numeric(out["summary_errors"], errors="coerce").fillna(0))
    out["requests"] = out["requests"].astype("int64")
    out["errors"] = out["errors"].astype("int64")
    out["ok_requests"] = np.where(from_csv, out["csv_ok"].fillna(0),
                                  out["requests"] - out["errors"]).astype("int64")
    out["censored"] = out["censored"].fillna(0).astype("int64")
    out["schema_version"] = pd.to_numeric(out["schema_version"], errors="coerce").fillna(1)
    # Goodput. Schema 2 summaries give it; older ones counted every completion, so their rate is
    # scaled by the fraction that succeeded (the client's own formula); without a summary rate,
    # successes over the span of the requests.
    given = pd.to_numeric(out["achieved_rps"], errors="coerce")
    current = out["schema_version"] >= SUMMARY_SCHEMA_VERSION
    ok_fraction = out["ok_requests"] / out["requests"].where(out["requests"] > 0)
    span_s = (pd.to_numeric(out["last_done_ns"], errors="coerce")
              - pd.to_numeric(out["first_start_ns"], errors="coerce")) / 1e9
    fallback = out["ok_requests"] / span_s.where(span_s > 0)
    out["achieved_rps"] = given.where(current, given * ok_fraction).fillna(fallback)
    out["attempted_rps"] = pd.to_numeric(out["attempted_rps"], errors="coerce").where(
        current, given)
    out["goodput_recomputed"] = ~current & out["has_summary"].astype(bool) & (out["errors"] > 0)
    out["client_cpu_pct"] = pd.to_numeric(out["client_cpu_pct"], errors="coerce")
    out["report_warnings"] = [legacy_warnings(row, cell_rows(requests, int(cid)))
                              for cid, row in out.iterrows()]
    out["status"] = out.apply(_rep_status, axis=1)
    out["server_cpu_s"] = tree_cpu_seconds(monitors, "server").reindex(out.index)
    out["requests_per_cpu_s"] = out["ok_requests"] / out["server_cpu_s"].where(
        out["server_cpu_s"] > 0)
    # The database host's tree (PostgreSQL runs; NaN without monitor-db.csv, never 0), and the
    # requests per CPU-second of server and database together (NaN when either is missing).
    ok = out["ok_requests"].where(out["ok_requests"] > 0)
    out["db_cpu_s"] = tree_cpu_seconds(monitors, "db").reindex(out.index)
    out["db_cpu_s_per_1k"] = out["db_cpu_s"] / ok * 1000.0
    out["db_peak_rss_mib"] = tree_peak_rss_bytes(monitors, "db").reindex(out.index) / 2**20
    total = out["server_cpu_s"] + out["db_cpu_s"]
    out["requests_per_total_cpu_s"] = out["ok_requests"] / total.where(total > 0)
    return out.reset_index()


def ranked(reps: pd.DataFrame) -> pd.DataFrame:
    """The repetitions that may be ranked and compared: every one that did not fail."""
    return reps[reps["status"] != "failed"]

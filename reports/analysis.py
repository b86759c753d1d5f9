"""Analysis: DataFrames in, DataFrames out. Pure functions, no I/O, no plotting.

Inputs are the frames of ``reports.load.Run`` (``cells``, ``requests``, ``monitors``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from client import validity
from reports import stats, verdicts
from reports.constants import (
    COMPARISON_COLUMNS,
    COMPARISON_EXTRA_COLUMNS,
    MAX_LINE_POINTS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
    PERCENTILES,
    QUANTILE_METHOD,
    SCENARIO_ORDER,
    SERVER_ORDER,
    STACK_ORDER,
    STATUS_RANK,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
    SUMMARY_SCHEMA_VERSION,
    TIMELINE_BIN_S,
)

KEYS = ["variant", "scenario"]


# -- ordering -------------------------------------------------------------------------------------

def _rank(value: str, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def order_variants(cells: pd.DataFrame) -> list[str]:
    """Variants in the papers' order (stack, then server), unknown ones after, by name."""
    if cells.empty:
        return []
    first = cells.drop_duplicates("variant")
    keyed = sorted(first.itertuples(), key=lambda r: (_rank(str(r.stack), STACK_ORDER),
                                                      _rank(str(r.server), SERVER_ORDER),
                                                      str(r.variant)))
    return [str(r.variant) for r in keyed]


def order_scenarios(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=lambda s: (_rank(s, SCENARIO_ORDER), s))


def _sorted(df: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    if df.empty:
        return df
    v_rank = {v: i for i, v in enumerate(order_variants(cells))}
    s_rank = {s: i for i, s in enumerate(order_scenarios(df["scenario"]))}
    key = df["scenario"].map(s_rank) * 10_000 + df["variant"].map(v_rank).fillna(9_999)
    return df.assign(_k=key).sort_values(["_k"], kind="stable").drop(columns="_k") \
        .reset_index(drop=True)


def cell_rows(requests: pd.DataFrame, cell_id: int) -> pd.DataFrame:
    """The requests of one cell (``requests`` is ordered by ``cell_id``, as ``load`` writes it)."""
    start, stop = requests["cell_id"].searchsorted([cell_id, cell_id + 1])
    return requests.iloc[start:stop]


# -- per repetition -------------------------------------------------------------------------------

def worst_status(statuses: Iterable[str]) -> str:
    return max(statuses, key=lambda st: STATUS_RANK.get(st, 0), default="ok")


def _threshold(value: object) -> float:
    number = pd.to_numeric(value, errors="coerce")
    return float(number) if np.isfinite(number) else validity.MAX_ERROR_RATE


def _rep_status(row: pd.Series) -> str:
    """The summary's status, made at least as severe as the shared rules say: ``failed`` above
    the error-rate threshold, ``degraded`` when the report found a reason (older results)."""
    given = row["status"] if isinstance(row["status"], str) else \
        ("degraded" if row["errors"] or not row["has_summary"] else "ok")
    by_counts = validity.cell_status(int(row["requests"]), int(row["errors"]),
                                     row["report_warnings"], _threshold(row["max_error_rate"]))
    return worst_status([given, by_counts])


def legacy_warnings(row: pd.Series, req: pd.DataFrame) -> list[str]:
    """The client's own rules (client/validity.py), applied by the report to a repetition whose
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


def server_cpu_seconds(monitors: pd.DataFrame) -> pd.Series:
    """CPU-seconds of the server's process tree per cell (sum over processes, integrated)."""
    if monitors.empty:
        return pd.Series(dtype="float64")
    proc = monitors[(monitors["side"] == "server") & (monitors["scope"] == "process")]
    if proc.empty:
        return pd.Series(dtype="float64")
    tree = proc.groupby(["cell_id", "t_s"], sort=True)["cpu_percent"].sum().reset_index()
    return tree.groupby("cell_id").apply(
        lambda g: stats.cpu_seconds(g["t_s"].to_numpy(), g["cpu_percent"].to_numpy()),
        include_groups=False)


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
    out["server_cpu_s"] = server_cpu_seconds(monitors).reindex(out.index)
    out["requests_per_cpu_s"] = out["ok_requests"] / out["server_cpu_s"].where(
        out["server_cpu_s"] > 0)
    return out.reset_index()


def ranked(reps: pd.DataFrame) -> pd.DataFrame:
    """The repetitions that may be ranked and compared: every one that did not fail."""
    return reps[reps["status"] != "failed"]


# -- per variant x scenario -----------------------------------------------------------------------

def latency_samples(requests: pd.DataFrame,
                    cells: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(variant, scenario) -> latency samples (ms): successes, and timeouts at the time they were
    abandoned (censored); pooled over repetitions, in request order within each repetition."""
    if requests.empty or cells.empty:
        return {}
    sample = requests["latency_ms"].notna().to_numpy()
    latency = requests["latency_ms"].to_numpy()[sample]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(cells[KEYS]))
    code_of_cell = np.full(int(cells["cell_id"].max()) + 1, -1, dtype="int64")
    code_of_cell[cells["cell_id"].to_numpy()] = codes
    group = code_of_cell[requests["cell_id"].to_numpy()[sample]]
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
            PERCENTILES[k]) else np.nan) for k, q in stats.percentiles(x).items()}
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
    threshold = min(_threshold(t) for t in g["max_error_rate"])
    if (g["status"] == "failed").all() or \
            validity.cell_status(requests_n, errors_n, [], threshold) == "failed":
        return "failed"
    return "ok" if (g["status"] == "ok").all() else "degraded"


def _first(values: pd.Series) -> object:
    present = values.dropna()
    return present.iloc[0] if len(present) else ""


def summary_table(reps: pd.DataFrame, latencies: dict[tuple[str, str], np.ndarray],
                  cells: pd.DataFrame) -> pd.DataFrame:
    """report/summary.csv: one row per variant x scenario. Latency pooled over all repetitions'
    samples; goodput median over all repetitions; the confidence intervals (Student's t) over the
    repetitions that did not fail (``reps_ranked``)."""
    columns = [*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS]
    if reps.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (variant, scenario), g in reps.groupby(KEYS, sort=False):
        good = ranked(g)
        rep_means = good["mean_ms"].to_numpy(dtype="float64")
        rps = g["achieved_rps"].to_numpy(dtype="float64")
        attempted = g["attempted_rps"].to_numpy(dtype="float64")
        low, high = stats.t_mean_ci(rep_means)
        rps_low, rps_high = stats.t_mean_ci(good["achieved_rps"].to_numpy(dtype="float64"))
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
            "rep_mean_cv": stats.coefficient_of_variation(rep_means),
            "requests_per_cpu_s": float(g["requests_per_cpu_s"].median()),
            "status": pooled_status(g),
        })
    table = pd.DataFrame(rows).merge(pooled_latency(latencies), on=KEYS, how="left")
    table["latency_samples"] = table["latency_samples"].fillna(0).astype("int64")
    table["warnings"] = 0
    return _sorted(table[columns], cells)


def _median(values: np.ndarray) -> float:
    return float(np.nanmedian(values)) if np.isfinite(values).any() else np.nan


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
            low, high = stats.t_mean_ci(values)
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
                         "outliers": stats.iqr_outliers(values), "n": int(values.size),
                         "censored": row.censored, "status": row.status})
    table = pd.DataFrame(rows, columns=["variant", "method", "scenario", "requests", "errors",
                                        "average_ms", "outliers", "n", "censored", "status"])
    failed = (table["status"] == "failed").to_numpy()
    times = table["average_ms"].to_numpy(dtype="float64").copy()
    times[failed] = np.nan
    table["improvement_pct"] = stats.improvement_pct(times)
    return table.assign(_failed=failed).sort_values(["_failed", "average_ms"], kind="stable") \
        .drop(columns="_failed").reset_index(drop=True)


def per_iteration(requests: pd.DataFrame, cells: pd.DataFrame, scenario: str,
                  max_points: int = MAX_LINE_POINTS) -> pd.DataFrame:
    """Latency by iteration (``seq``) of each variant: the median over its repetitions of the
    successful request with that ``seq`` (``reps`` says over how many); long series are reduced
    to ``max_points`` equal-count bin means (never plot a million points)."""
    frames = []
    sub_cells = cells[cells["scenario"] == scenario]
    for variant in order_variants(sub_cells):
        ids = sub_cells.loc[sub_cells["variant"] == variant, "cell_id"].to_numpy()
        parts = [req[req["ok"].to_numpy()][["seq", "latency_ms"]]
                 for req in (cell_rows(requests, i) for i in ids)]
        parts = [part for part in parts if len(part)]
        if not parts:
            continue
        by_seq = pd.concat(parts, ignore_index=True).groupby("seq")["latency_ms"].median()
        x, y = stats.binned(by_seq.index.to_numpy(), by_seq.to_numpy(), max_points)
        frames.append(pd.DataFrame({"variant": variant, "iteration": x, "latency_ms": y,
                                    "reps": len(parts)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["variant", "iteration", "latency_ms", "reps"])


# -- beyond the papers ----------------------------------------------------------------------------

def comparisons(reps: pd.DataFrame, summary: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """report/comparisons.csv: every pair of variants within a scenario, both not failed, on
    their repetition mean latencies (repetitions that failed left out): ratio B/A with Fieller's
    95% CI, Welch's t-test, Holm-corrected within the scenario, and a verdict (reports/verdicts.py:
    ``insufficient_reps`` below 3 repetitions a side)."""
    columns = [*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS]
    failed = set(map(tuple, summary.loc[summary["status"] == "failed", KEYS].to_numpy())) \
        if len(summary) else set()
    good = ranked(reps) if len(reps) else reps
    rows = []
    for scenario in order_scenarios(good["scenario"]) if len(good) else []:
        sub = good[good["scenario"] == scenario]
        variants = [v for v in order_variants(cells) if v in set(sub["variant"])
                    and (v, scenario) not in failed]
        family = []
        for a, b in itertools.combinations(variants, 2):
            r = verdicts.pair(sub.loc[sub["variant"] == a, "mean_ms"].to_numpy(),
                              sub.loc[sub["variant"] == b, "mean_ms"].to_numpy())
            family.append({"scenario": scenario, "variant_a": a, "variant_b": b,
                           "mean_a_ms": r.pop("mean_a"), "mean_b_ms": r.pop("mean_b"), **r})
        verdicts.decide(family)
        rows.extend(family)
    return pd.DataFrame(rows, columns=columns)


def latency_curves(latencies: dict[tuple[str, str], np.ndarray],
                   grid: Sequence[float] = (0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95,
                                            99.99, 100)) -> pd.DataFrame:
    """Latency at each percentile of ``grid`` per variant x scenario (the percentile spectrum)."""
    rows = []
    for (variant, scenario), values in latencies.items():
        if values.size:
            qs = np.percentile(values, list(grid))
            rows.extend({"variant": variant, "scenario": scenario, "percentile": p,
                         "latency_ms": float(q)} for p, q in zip(grid, qs, strict=True))
    return pd.DataFrame(rows, columns=["variant", "scenario", "percentile", "latency_ms"])


def timelines(requests: pd.DataFrame, monitors: pd.DataFrame, cells: pd.DataFrame,
              scenario: str, bin_s: float = TIMELINE_BIN_S) -> pd.DataFrame:
    """Per variant (first repetition with data), on one time axis (s since the rep's start):
    completed req/s, errors/s, server process-tree CPU % and RSS (MB), client CPU %."""
    frames = []
    sub_cells = cells[cells["scenario"] == scenario].sort_values("rep")
    for variant in order_variants(sub_cells):
        ids = sub_cells.loc[sub_cells["variant"] == variant, "cell_id"].to_numpy()
        has_req = [i for i in ids if len(cell_rows(requests, i))]
        if not has_req:
            continue
        cell_id = has_req[0]
        req = cell_rows(requests, cell_id)
        bins = np.floor(req["t_s"].to_numpy() / bin_s)
        counts = pd.DataFrame({"bin": bins, "ok": req["ok"].to_numpy()}).groupby("bin")["ok"] \
            .agg(["sum", "size"])
        t = (counts.index.to_numpy() + 0.5) * bin_s
        frames.append(pd.DataFrame({"variant": variant, "metric": "throughput_rps", "t_s": t,
                                    "value": counts["sum"].to_numpy() / bin_s}))
        frames.append(pd.DataFrame({"variant": variant, "metric": "errors_per_s", "t_s": t,
                                    "value": (counts["size"] - counts["sum"]).to_numpy() / bin_s}))
        mon = monitors[monitors["cell_id"] == cell_id] if not monitors.empty else monitors
        for side, metric, column, scale in (("server", "server_cpu_pct", "cpu_percent", 1.0),
                                            ("server", "server_rss_mb", "rss_bytes", 1 / 2**20),
                                            ("client", "client_cpu_pct", "cpu_percent", 1.0)):
            part = mon[(mon["side"] == side) & (mon["scope"] == "process")] if len(mon) else mon
            if len(part):
                series = process_tree_sum(part, column, bin_s) * scale
                frames.append(pd.DataFrame({"variant": variant, "metric": metric,
                                            "t_s": series.index.to_numpy(),
                                            "value": series.to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["variant", "metric", "t_s", "value"])


def process_tree_sum(samples: pd.DataFrame, column: str, bin_s: float) -> pd.Series:
    """Sum of ``column`` over the processes sampled, per time bin (index: the bins' middles).

    Each process is averaged within a bin first, so monitors that sample at different instants
    (several client hosts) add up instead of alternating between one host and the other.
    """
    bins = np.floor(samples["t_s"].to_numpy() / bin_s)
    frame = pd.DataFrame({"bin": bins, "pid": samples["pid"].to_numpy(),
                          "value": samples[column].to_numpy()})
    per_bin = frame.groupby(["bin", "pid"])["value"].mean().groupby(level="bin").sum()
    per_bin.index = (per_bin.index.to_numpy() + 0.5) * bin_s
    return per_bin


def headlines(summary: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: the variant with the lowest mean latency among those that did not fail, the
    runner-up, their ratio and the verdict of their comparison (from ``comparisons``)."""
    rows = []
    usable = summary[summary["status"] != "failed"].dropna(subset=["mean_ms"])
    for scenario, g in usable.groupby("scenario", sort=False):
        ordered = g.sort_values("mean_ms")
        best = ordered.iloc[0]
        row = {"scenario": scenario, "best": best["variant"], "best_mean_ms": best["mean_ms"],
               "best_rps": best["rps_median"], "runner_up": "", "ratio": np.nan,
               "verdict": "only one variant"}
        if len(ordered) > 1:
            second = ordered.iloc[1]
            names = [best["variant"], second["variant"]]
            pair = pairs[(pairs["scenario"] == scenario) & pairs["variant_a"].isin(names)
                         & pairs["variant_b"].isin(names)]
            name = pair["verdict"].iloc[0] if len(pair) else "insufficient_reps"
            row.update(runner_up=second["variant"], ratio=second["mean_ms"] / best["mean_ms"],
                       verdict={"b_faster": "significant", "b_slower": "significant",
                                "not_significant": "not significant"}.get(
                                    name, "no claim: fewer than 3 repetitions a side"))
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "best", "best_mean_ms", "best_rps", "runner_up",
                                       "ratio", "verdict"])

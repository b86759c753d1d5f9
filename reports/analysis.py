"""Analysis: DataFrames in, DataFrames out. Pure functions, no I/O, no plotting.

Inputs are the frames of ``reports.load.Run`` (``cells``, ``requests``, ``monitors``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from reports import stats
from reports.constants import (
    ALPHA,
    MAX_LINE_POINTS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
    PERCENTILES,
    SCENARIO_ORDER,
    SERVER_ORDER,
    STACK_ORDER,
    STATUS_RANK,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
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

def _derived_status(row: pd.Series) -> str:
    if isinstance(row["status"], str):
        return row["status"]
    if row["requests"] == 0 or row["ok_requests"] == 0:
        return "failed"
    return "degraded" if row["errors"] or not row["has_summary"] else "ok"


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
    """One row per repetition: counts, mean latency, achieved rate, status, CPU efficiency."""
    if cells.empty:
        return pd.DataFrame(columns=["cell_id", *KEYS, "rep", "requests", "errors", "ok_requests",
                                     "mean_ms", "achieved_rps", "status"])
    per_cell = requests.groupby("cell_id").agg(ok_requests=("ok", "sum"),
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
    out["ok_requests"] = out["ok_requests"].fillna(0).astype("int64")
    span_s = (pd.to_numeric(out["last_done_ns"], errors="coerce")
              - pd.to_numeric(out["first_start_ns"], errors="coerce")) / 1e9
    fallback = out["ok_requests"] / span_s.where(span_s > 0)
    out["achieved_rps"] = pd.to_numeric(out["achieved_rps"], errors="coerce").fillna(fallback)
    out["status"] = out.apply(_derived_status, axis=1)
    out["server_cpu_s"] = server_cpu_seconds(monitors).reindex(out.index)
    out["requests_per_cpu_s"] = out["ok_requests"] / out["server_cpu_s"].where(
        out["server_cpu_s"] > 0)
    out["client_cpu_pct"] = pd.to_numeric(out["client_cpu_pct"], errors="coerce")
    return out.reset_index()


# -- per variant x scenario -----------------------------------------------------------------------

def ok_latencies(requests: pd.DataFrame, cells: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(variant, scenario) -> successful latencies (ms), pooled over repetitions, in request
    order within each repetition."""
    if requests.empty or cells.empty:
        return {}
    ok = requests["ok"].to_numpy(dtype=bool)
    latency = requests["latency_ms"].to_numpy()[ok]
    codes, uniques = pd.factorize(pd.MultiIndex.from_frame(cells[KEYS]))
    code_of_cell = np.full(int(cells["cell_id"].max()) + 1, -1, dtype="int64")
    code_of_cell[cells["cell_id"].to_numpy()] = codes
    group = code_of_cell[requests["cell_id"].to_numpy()[ok]]
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(uniques) + 1))
    return {(str(k[0]), str(k[1])): latency[order[bounds[i]:bounds[i + 1]]]
            for i, k in enumerate(uniques) if bounds[i + 1] > bounds[i]}


def pooled_latency(latencies: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Mean, percentiles and max over the successful requests of all repetitions."""
    rows = [{"variant": v, "scenario": s, "mean_ms": float(x.mean()),
             **{f"{k}_ms": q for k, q in stats.percentiles(x).items()}, "max_ms": float(x.max())}
            for (v, s), x in latencies.items() if x.size]
    return pd.DataFrame(rows, columns=[*KEYS, "mean_ms", *(f"{k}_ms" for k in PERCENTILES),
                                       "max_ms"])


def _merge_classes(dicts: Iterable[dict]) -> str:
    total: dict[str, int] = {}
    for d in dicts:
        for k, v in (d or {}).items():
            total[str(k)] = total.get(str(k), 0) + int(v)
    return "; ".join(f"{k}:{v}" for k, v in sorted(total.items()))


def _worst(statuses: pd.Series) -> str:
    ranks = statuses.map(STATUS_RANK)
    if (ranks == STATUS_RANK["failed"]).all():
        return "failed"
    return "ok" if (ranks == 0).all() else "degraded"


def summary_table(reps: pd.DataFrame, latencies: dict[tuple[str, str], np.ndarray],
                  cells: pd.DataFrame) -> pd.DataFrame:
    """report/summary.csv: one row per variant x scenario (DESIGN.md section 5)."""
    columns = [*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS]
    if reps.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for (variant, scenario), g in reps.groupby(KEYS, sort=False):
        rep_means = g["mean_ms"].to_numpy(dtype="float64")
        rps = g["achieved_rps"].to_numpy(dtype="float64")
        low, high = stats.bootstrap_mean_ci(rep_means)
        rps_low, rps_high = stats.bootstrap_mean_ci(rps)
        requests_n = int(g["requests"].sum())
        errors_n = int(g["errors"].sum())
        rows.append({
            "variant": variant, "stack": g["stack"].iloc[0], "server": g["server"].iloc[0],
            "scenario": scenario, "reps": len(g), "requests": requests_n, "errors": errors_n,
            "rps_median": float(np.nanmedian(rps)) if np.isfinite(rps).any() else np.nan,
            "ci95_low_ms": low, "ci95_high_ms": high,
            "model": g["model"].dropna().iloc[0] if g["model"].notna().any() else "",
            "method": g["method"].dropna().iloc[0] if g["method"].notna().any() else "",
            "ok_requests": int(g["ok_requests"].sum()),
            "error_rate": errors_n / requests_n if requests_n else np.nan,
            "error_classes": _merge_classes(g["error_classes"]),
            "rps_ci95_low": rps_low, "rps_ci95_high": rps_high,
            "rep_mean_cv": stats.coefficient_of_variation(rep_means),
            "requests_per_cpu_s": float(g["requests_per_cpu_s"].median()),
            "status": _worst(g["status"]),
        })
    table = pd.DataFrame(rows).merge(pooled_latency(latencies), on=KEYS, how="left")
    table["warnings"] = 0
    return _sorted(table[columns], cells)


# -- paper 1 --------------------------------------------------------------------------------------

def paper1_table(reps: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Paper 1 Figures 1-7: mean over repetitions (as the paper averaged its 5 runs) with a
    bootstrap 95% CI; throughput for hello/echo, mean response time for the CRUD scenarios."""
    rows = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        sub = reps[reps["scenario"] == scenario]
        for variant in order_variants(cells[cells["scenario"] == scenario]):
            col = "achieved_rps" if metric == "rps" else "mean_ms"
            values = sub.loc[sub["variant"] == variant, col].to_numpy(dtype="float64")
            values = values[np.isfinite(values)]
            low, high = stats.bootstrap_mean_ci(values)
            rows.append({"figure": number, "scenario": scenario, "title": title,
                         "metric": metric, "variant": variant, "reps": int(values.size),
                         "value": float(values.mean()) if values.size else np.nan,
                         "ci95_low": low, "ci95_high": high})
    return pd.DataFrame(rows, columns=["figure", "scenario", "title", "metric", "variant", "reps",
                                       "value", "ci95_low", "ci95_high"])


# -- paper 2 --------------------------------------------------------------------------------------

def paper2_table(latencies: dict[tuple[str, str], np.ndarray], summary: pd.DataFrame,
                 load: str) -> pd.DataFrame:
    """Paper 2 Tables 1-2 for one load: average, improvement % against the slowest row,
    outliers by 1.5 x IQR; one row per variant x method, fastest first."""
    _, get_s, post_s, _ = PAPER2_LOADS[load]
    rows = []
    for scenario, method in ((get_s, "GET"), (post_s, "POST")):
        for row in summary[summary["scenario"] == scenario].itertuples():
            values = latencies.get((row.variant, scenario), np.empty(0))
            rows.append({"variant": row.variant, "method": method, "scenario": scenario,
                         "requests": row.requests, "errors": row.errors,
                         "average_ms": float(values.mean()) if values.size else np.nan,
                         "outliers": stats.iqr_outliers(values), "n": int(values.size)})
    table = pd.DataFrame(rows, columns=["variant", "method", "scenario", "requests", "errors",
                                        "average_ms", "outliers", "n"])
    table["improvement_pct"] = stats.improvement_pct(table["average_ms"].to_numpy())
    return table.sort_values("average_ms", kind="stable").reset_index(drop=True)


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

def pairwise(reps: pd.DataFrame, latencies: dict[tuple[str, str], np.ndarray],
             cells: pd.DataFrame) -> pd.DataFrame:
    """Every pair of variants within a scenario: ratio of mean latency B/A with a bootstrap CI
    over repetition means, a test, Holm-corrected p within the scenario, and a verdict."""
    rows = []
    for scenario in order_scenarios(reps["scenario"]) if not reps.empty else []:
        sub = reps[reps["scenario"] == scenario]
        variants = [v for v in order_variants(cells) if v in set(sub["variant"])]
        family = []
        for a, b in itertools.combinations(variants, 2):
            ma = sub.loc[sub["variant"] == a, "mean_ms"].dropna().to_numpy()
            mb = sub.loc[sub["variant"] == b, "mean_ms"].dropna().to_numpy()
            ratio, low, high = stats.bootstrap_ratio_ci(ma, mb)
            test, p = stats.significance(ma, mb, latencies.get((a, scenario), np.empty(0)),
                                         latencies.get((b, scenario), np.empty(0)))
            family.append({"scenario": scenario, "a": a, "b": b,
                           "mean_a_ms": float(ma.mean()) if ma.size else np.nan,
                           "mean_b_ms": float(mb.mean()) if mb.size else np.nan,
                           "ratio_b_a": ratio, "ratio_ci95_low": low, "ratio_ci95_high": high,
                           "reps_a": int(ma.size), "reps_b": int(mb.size), "test": test, "p": p})
        if family:
            adjusted = stats.holm(np.array([r["p"] for r in family]))
            for r, p_adj in zip(family, adjusted, strict=True):
                r["p_holm"] = p_adj
                r["verdict"] = verdict(r["ratio_b_a"], p_adj, "slower", "faster")
            rows.extend(family)
    return pd.DataFrame(rows, columns=["scenario", "a", "b", "mean_a_ms", "mean_b_ms", "ratio_b_a",
                                       "ratio_ci95_low", "ratio_ci95_high", "reps_a", "reps_b",
                                       "test", "p", "p_holm", "verdict"])


def verdict(ratio: float, p_adjusted: float, up: str, down: str) -> str:
    """'not significant', 'no test' or 'B <up|down> (x1.23)'."""
    if not np.isfinite(p_adjusted) or not np.isfinite(ratio):
        return "no test (too little data)"
    if p_adjusted >= ALPHA:
        return "not significant"
    direction = up if ratio > 1 else down if ratio < 1 else "differs"
    return f"B {direction} (×{ratio:.2f})"


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
    """Per scenario: the variant with the lowest mean latency, the runner-up, their ratio and
    whether the difference is significant (from ``pairwise``)."""
    rows = []
    for scenario, g in summary.dropna(subset=["mean_ms"]).groupby("scenario", sort=False):
        ranked = g.sort_values("mean_ms")
        best = ranked.iloc[0]
        row = {"scenario": scenario, "best": best["variant"], "best_mean_ms": best["mean_ms"],
               "best_rps": best["rps_median"], "runner_up": "", "ratio": np.nan,
               "verdict": "only one variant"}
        if len(ranked) > 1:
            second = ranked.iloc[1]
            pair = pairs[(pairs["scenario"] == scenario)
                         & pairs["a"].isin([best["variant"], second["variant"]])
                         & pairs["b"].isin([best["variant"], second["variant"]])]
            significant = (not pair.empty and np.isfinite(pair["p_holm"].iloc[0])
                           and pair["p_holm"].iloc[0] < ALPHA)
            no_test = pair.empty or not np.isfinite(pair["p_holm"].iloc[0])
            row.update(runner_up=second["variant"], ratio=second["mean_ms"] / best["mean_ms"],
                       verdict="no test" if no_test else
                       ("significant" if significant else "not significant"))
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "best", "best_mean_ms", "best_rps", "runner_up",
                                       "ratio", "verdict"])

"""Per variant x capacity scenario, across its repetitions: the maximum sustainable rate (open
loop), the knee of the connection ladder (closed loop), the cost at the common rate, and the
curves the figures draw (the steps of one repetition, the one with the median result). Means
with Student's t 95% intervals over repetition values, none below ``MIN_REPS`` values. Pure; the
frames of ``reports.analysis.capacity.cells`` in, DataFrames out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from reports.analysis import statistics
from reports.analysis.capacity.cells import ladder_steps
from reports.analysis.ordering import order_scenarios
from reports.constants import CAPACITY_LOWER_BOUNDS, MIN_REPS

NAN = float("nan")
CURVE_COLUMNS = ["variant", "scenario", "mode", "rep", "reps", "x", "p50_ms", "p99_ms",
                 "goodput_rps", "passed", "knee", "lower_bound", "slo_p99_ms", "phase",
                 "reason", "limited_by"]
MAX_RATE_COLUMNS = ["variant", "stack", "server", "scenario", "slo_p99_ms", "reps", "n",
                    "max_rate_mean", "ci95_low", "ci95_high", "per_rep", "limits",
                    "lower_bound", "lower_bound_by", "status"]
KNEE_COLUMNS = ["variant", "stack", "server", "scenario", "reps", "n", "per_rep",
                "knee_goodput_mean", "ci95_low", "ci95_high", "knee_p99_mean",
                "peak_goodput_mean", "peak_ci95_low", "peak_ci95_high"]
COST_COLUMNS = ["variant", "stack", "server", "scenario", "cost_rate_rps", "reps", "n",
                "cpu_mean", "cpu_ci95_low", "cpu_ci95_high", "rss_mean", "rss_ci95_low",
                "rss_ci95_high", "per_rep", "not_carried", "status",
                # the database host's (PostgreSQL runs; NaN otherwise), and server + database
                "db_n", "db_cpu_mean", "db_cpu_ci95_low", "db_cpu_ci95_high", "db_rss_mean",
                "total_rps_per_cpu_mean", "total_rps_ci95_low", "total_rps_ci95_high"]


def _mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and Student's t 95% interval; no interval below ``MIN_REPS`` values."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return NAN, NAN, NAN
    low, high = statistics.t_mean_ci(v) if v.size >= MIN_REPS else (NAN, NAN)
    return float(v.mean()), low, high


def _groups(reps: pd.DataFrame, variants: Sequence[str],
            mode: str | None = None) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """(variant, scenario, its repetitions by number) in report order."""
    part = reps if mode is None else reps[reps["mode"] == mode]
    rank = {v: i for i, v in enumerate(variants)}
    scenarios = order_scenarios(part["scenario"]) if len(part) else []
    for scenario in scenarios:
        sub = part[part["scenario"] == scenario]
        for variant in sorted(set(sub["variant"]), key=lambda v: (rank.get(v, len(rank)), v)):
            yield variant, scenario, sub[sub["variant"] == variant].sort_values("rep")


def _limits(limited: pd.Series) -> str:
    counts = limited.value_counts()
    return "; ".join(f"{k}:{int(n)}" for k, n in counts.items())


def max_rate_table(reps: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Open scenarios: the maximum sustainable rate per variant (see the module's docstring)."""
    rows = []
    for variant, scenario, g in _groups(reps, variants, "open"):
        server = g[g["in_interval"].astype(bool)]
        bounds = g[g["limited_by"].isin(list(CAPACITY_LOWER_BOUNDS)) & g["max_rate_rps"].notna()]
        mean, low, high = _mean_ci(server["max_rate_rps"].to_numpy())
        top = bounds.loc[bounds["max_rate_rps"].idxmax()] if len(bounds) else None
        slo = g["slo_p99_ms"].dropna()
        rows.append({
            "variant": variant, "stack": g["stack"].iloc[0], "server": g["server"].iloc[0],
            "scenario": scenario, "slo_p99_ms": float(slo.iloc[0]) if len(slo) else NAN,
            "reps": len(g), "n": len(server), "max_rate_mean": mean, "ci95_low": low,
            "ci95_high": high,
            "per_rep": [(int(r.rep), float(r.max_rate_rps), str(r.limited_by))
                        for r in g.itertuples()],
            "limits": _limits(g["limited_by"]),
            "lower_bound": float(top["max_rate_rps"]) if top is not None else NAN,
            "lower_bound_by": str(top["limited_by"]) if top is not None else "",
            "status": "measured" if len(server) else "lower bound" if len(bounds)
            else "none passed" if g["limited_by"].isin(["none_passed", *CAPACITY_LOWER_BOUNDS])
            .any() else "no data"})
    return pd.DataFrame(rows, columns=MAX_RATE_COLUMNS)


def knee_table(reps: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Closed ladders: the knee per variant, goodput and p99 there, peak goodput."""
    rows = []
    for variant, scenario, g in _groups(reps, variants, "closed"):
        reached = g[g["knee_reached"].astype(bool)]
        mean, low, high = _mean_ci(reached["knee_goodput_rps"].to_numpy())
        peak, peak_low, peak_high = _mean_ci(g["peak_goodput_rps"].to_numpy())
        p99 = reached["knee_p99_ms"].to_numpy(dtype="float64")
        rows.append({
            "variant": variant, "stack": g["stack"].iloc[0], "server": g["server"].iloc[0],
            "scenario": scenario, "reps": len(g), "n": len(reached),
            "per_rep": [(int(r.rep), float(r.knee_concurrency), bool(r.knee_reached))
                        for r in g.itertuples()],
            "knee_goodput_mean": mean, "ci95_low": low, "ci95_high": high,
            "knee_p99_mean": float(np.nanmean(p99)) if np.isfinite(p99).any() else NAN,
            "peak_goodput_mean": peak, "peak_ci95_low": peak_low, "peak_ci95_high": peak_high})
    return pd.DataFrame(rows, columns=KNEE_COLUMNS)


def cost_table(reps: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Cost at the common rate per variant: CPU-seconds per 1,000 successes and peak RSS of the
    server and, in a PostgreSQL run, of the database host; requests per CPU-second of both."""
    rows = []
    for variant, scenario, g in _groups(reps, variants):
        cpu, cpu_low, cpu_high = _mean_ci(g["cost_cpu_s_per_1k"].to_numpy())
        rss, rss_low, rss_high = _mean_ci(g["peak_rss_mib"].to_numpy())
        db_cpu, db_cpu_low, db_cpu_high = _mean_ci(g["db_cost_cpu_s_per_1k"].to_numpy())
        total, total_low, total_high = _mean_ci(g["cost_requests_per_total_cpu_s"].to_numpy())
        rates = g["cost_rate_rps"].dropna()
        not_carried = int(g["cost_passed"].eq(False).sum())
        n = int(g["cost_cpu_s_per_1k"].notna().sum())
        rows.append({
            "variant": variant, "stack": g["stack"].iloc[0], "server": g["server"].iloc[0],
            "scenario": scenario,
            "cost_rate_rps": float(rates.median()) if len(rates) else NAN,
            "reps": len(g), "n": n, "cpu_mean": cpu, "cpu_ci95_low": cpu_low,
            "cpu_ci95_high": cpu_high, "rss_mean": rss, "rss_ci95_low": rss_low,
            "rss_ci95_high": rss_high,
            "per_rep": [(int(r.rep), float(r.cost_cpu_s_per_1k), r.cost_passed)
                        for r in g.itertuples()],
            "not_carried": not_carried,
            "status": "not carried" if not_carried else "ok" if n else "no data",
            "db_n": int(g["db_cost_cpu_s_per_1k"].notna().sum()), "db_cpu_mean": db_cpu,
            "db_cpu_ci95_low": db_cpu_low, "db_cpu_ci95_high": db_cpu_high,
            "db_rss_mean": _mean_ci(g["db_peak_rss_mib"].to_numpy())[0],
            "total_rps_per_cpu_mean": total, "total_rps_ci95_low": total_low,
            "total_rps_ci95_high": total_high})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def _shown_rep(g: pd.DataFrame) -> pd.Series | None:
    """The repetition a figure draws: among those in the interval (else all with a result) the
    one with the median result (the lower of the two middle ones)."""
    key = "max_rate_rps" if g["mode"].iloc[0] == "open" else "knee_goodput_rps"
    for pool in (g[g["in_interval"].astype(bool)], g[g[key].notna()], g[g["steps"] > 0]):
        if len(pool):
            ordered = pool.sort_values([key, "rep"], kind="stable", na_position="last")
            return ordered.iloc[(len(ordered) - 1) // 2]
    return None


def _search_steps(steps: pd.DataFrame) -> pd.DataFrame:
    """An open cell's curve: its steps by offered rate, the cost step left out where a search
    step ran at the same rate (one point per rate)."""
    steps = steps[steps["offered_rps"].notna()]
    searched = steps.loc[steps["phase"] != "cost", "offered_rps"]
    steps = steps[~((steps["phase"] == "cost") & steps["offered_rps"].isin(searched))]
    return steps.sort_values(["offered_rps", "index"], kind="stable")


def curves_table(reps: pd.DataFrame, steps: pd.DataFrame,
                 variants: Sequence[str]) -> pd.DataFrame:
    """Per variant x scenario, the steps of the repetition its figure draws (``_shown_rep``):
    x = offered req/s (open) or connections (closed), p50, p99, goodput, the knee."""
    frames = []
    for variant, scenario, g in _groups(reps, variants):
        rep = _shown_rep(g)
        if rep is None:
            continue
        mine = steps[steps["cell_id"] == rep["cell_id"]]
        closed = rep["mode"] == "closed"
        mine = ladder_steps(mine) if closed else _search_steps(mine)
        if mine.empty:
            continue
        lower = (not closed and rep["limited_by"] in CAPACITY_LOWER_BOUNDS) or \
            (closed and not rep["knee_reached"])
        frames.append(pd.DataFrame({
            "variant": variant, "scenario": scenario, "mode": rep["mode"],
            "rep": int(rep["rep"]), "reps": len(g),
            "x": mine["concurrency" if closed else "offered_rps"].to_numpy(dtype="float64"),
            "p50_ms": mine["p50_ms"].to_numpy(dtype="float64"),
            "p99_ms": mine["p99_ms"].to_numpy(dtype="float64"),
            "goodput_rps": mine["achieved_rps"].to_numpy(dtype="float64"),
            "passed": list(mine["passed"]), "knee": mine["knee"].to_numpy(dtype=bool),
            "lower_bound": bool(lower), "slo_p99_ms": rep["slo_p99_ms"],
            "phase": mine["phase"].astype(str).to_numpy(),
            "reason": mine["reason"].to_numpy(), "limited_by": rep["limited_by"]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=CURVE_COLUMNS)

"""Variants against each other within one run: every pair's verdict (report/comparisons.csv) and
the headline of each scenario. Pure; DataFrames in and out."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from reports.analysis import verdicts
from reports.analysis.ordering import KEYS, order_scenarios, order_variants
from reports.analysis.repetitions import ranked
from reports.constants import COMPARISON_COLUMNS, COMPARISON_EXTRA_COLUMNS


def comparisons(reps: pd.DataFrame, summary: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """report/comparisons.csv: every pair of variants within a scenario, both not failed, on
    their repetition mean latencies (repetitions that failed left out): ratio B/A with Fieller's
    95% CI, Welch's t-test, Holm-corrected within the scenario, and a verdict
    (reports/analysis/verdicts.py: ``insufficient_reps`` below 3 repetitions a side)."""
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

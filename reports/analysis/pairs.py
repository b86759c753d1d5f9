"""Variants against each other within one run: every pair's verdict (report/comparisons.csv) and
the headline of each scenario. Pure; DataFrames in and out."""

from __future__ import annotations

import itertools
from collections.abc import Container

import numpy as np
import pandas as pd

from reports.analysis import verdicts
from reports.analysis.ordering import KEYS, order_scenarios, order_variants
from reports.analysis.repetitions import ranked
from reports.constants import ALPHA, BLOCKED, COMPARISON_COLUMNS, COMPARISON_EXTRA_COLUMNS

# comparisons.csv's holm_family: p_adjusted is Holm-corrected over every tested pair of the
# scenario (the table shows all pairs). A claim's own tests are corrected over its rivals only
# (reports/analysis/reproduction.py).
HOLM_FAMILY = "scenario"


def by_rep(rows: pd.DataFrame, column: str) -> dict[int, float]:
    """Repetition (= round in a rounds design) -> value of ``column``."""
    return dict(zip(rows["rep"].astype(int), rows[column].to_numpy(dtype="float64"),
                    strict=True))


def comparisons(reps: pd.DataFrame, summary: pd.DataFrame, cells: pd.DataFrame, *,
                rounds: bool = False, blocked: Container[str] = (),
                alpha: float = ALPHA) -> pd.DataFrame:
    """report/comparisons.csv: every pair of variants within a scenario, both not failed, on
    their repetition mean latencies (repetitions that failed left out), tested by
    ``verdicts.compare``: paired by round when the run's repetitions are ``rounds`` (the paired t
    on per-round log ratios, ``pairs`` rounds used), else Welch's t-test with Fieller's 95% CI;
    Holm-corrected within the scenario (``holm_family``, ``holm_m``), and a verdict
    (reports/analysis/verdicts.py: ``insufficient_reps`` below 3 repetitions or pairs a side).
    In a ``blocked`` scenario (its A/A control differed) every verdict is ``BLOCKED``.
    ``alpha``: the level of the verdicts and of the (1 - alpha) intervals (``ALPHA``, or the
    look's nominal level in a run that stops when decided)."""
    columns = [*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS]
    failed = set(map(tuple, summary.loc[summary["status"] == "failed", KEYS].to_numpy())) \
        if len(summary) else set()
    good = ranked(reps) if len(reps) else reps
    rows = []
    for scenario in order_scenarios(good["scenario"]) if len(good) else []:
        sub = good[good["scenario"] == scenario]
        variants = [v for v in order_variants(cells) if v in set(sub["variant"])
                    and (v, scenario) not in failed]
        values = {v: by_rep(sub[sub["variant"] == v], "mean_ms") for v in variants}
        family = []
        for a, b in itertools.combinations(variants, 2):
            r = verdicts.compare(values[a], values[b], rounds=rounds, alpha=alpha)
            family.append({"scenario": scenario, "variant_a": a, "variant_b": b,
                           "mean_a_ms": r.pop("mean_a"), "mean_b_ms": r.pop("mean_b"), **r,
                           "holm_family": HOLM_FAMILY})
        verdicts.decide(family, alpha=alpha)
        if scenario in blocked:
            verdicts.block(family)
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
                                "not_significant": "not significant",
                                BLOCKED: "blocked: the A/A control differed"}.get(
                                    name, "no claim: fewer than 3 repetitions a side"))
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "best", "best_mean_ms", "best_rps", "runner_up",
                                       "ratio", "verdict"])

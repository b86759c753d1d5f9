"""Instability warnings, in the spirit of pyperf's ("the benchmark seems unstable"): signs that a
variant x scenario's repetitions do not measure one steady thing. Pure; DataFrames in and out.

Each finding has a ``kind``, a ``count`` and the cells it rests on (``VARIANT|SCENARIO|REP``, as
run.json names cells), on a scenario's primary metric: the repetition mean latency, the value
every comparison tests. Repetitions that failed are left out, as everywhere.

* ``high_cv``: the coefficient of variation of the repetition means is above ``HIGH_CV`` (10%);
  ``count`` the repetitions.
* ``trend``: the repetition means rise or fall monotonically over the rounds: Kendall's tau
  between the round index and the value, two-sided exact p below ``TREND_P`` (0.01; the
  Mann-Kendall trend test). ``count`` the rounds. Rounds are the repetition numbers in a rounds
  design, else the repetitions in the order they started (each variant's repetitions are then
  spread over the run). The exact test cannot reach 0.01 below 6 rounds, so shorter runs never
  show a trend.
* ``outlier_round`` (rounds design only): a round in which every variant of a scenario lies on
  the same side, beyond ``OUTLIER_ROUND_Z`` in modified z-score (0.6745 · (x − median) / MAD of
  the variant's log repetition means over the rounds; Iglewicz & Hoaglin 1993): the host, not
  the stacks, was different then. Needs ``OUTLIER_ROUND_MIN_ROUNDS`` rounds and 2 variants with
  a value in that round; ``count`` the variants.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from reports.analysis import statistics
from reports.analysis.findings import finding
from reports.analysis.ordering import KEYS
from reports.analysis.repetitions import ranked
from reports.constants import (
    HIGH_CV,
    INSTABILITY_COLUMNS,
    OUTLIER_ROUND_MIN_ROUNDS,
    OUTLIER_ROUND_Z,
    TREND_P,
)

NAN = float("nan")
MAD_Z = 0.6745  # the modified z-score's constant: MAD / 0.6745 estimates a normal sigma


def cell_name(variant: str, scenario: str, rep: int) -> str:
    """A cell's name as run.json and progress.json give it."""
    return f"{variant}|{scenario}|{rep}"


def _cells(rows: pd.DataFrame) -> str:
    return "; ".join(cell_name(str(r.variant), str(r.scenario), int(r.rep))
                     for r in rows.itertuples())


def _row(kind: str, variant: str, scenario: str, rep: int, count: int, statistic: float,
         threshold: float, cells: str, message: str) -> dict[str, Any]:
    return {"kind": kind, "variant": variant, "scenario": scenario, "rep": rep, "count": count,
            "statistic": statistic, "threshold": threshold, "cells": cells, "message": message}


def _in_round_order(g: pd.DataFrame, rounds: bool) -> pd.DataFrame:
    if rounds or "started_ns" not in g:
        return g.sort_values("rep", kind="stable")
    started = pd.to_numeric(g["started_ns"], errors="coerce")
    return g.assign(_t=started.fillna(np.inf)).sort_values(["_t", "rep"], kind="stable") \
        .drop(columns="_t")


def _high_cv(g: pd.DataFrame, variant: str, scenario: str) -> list[dict[str, Any]]:
    cv = statistics.coefficient_of_variation(g["mean_ms"].to_numpy(dtype="float64"))
    if not (np.isfinite(cv) and cv > HIGH_CV):
        return []
    return [_row("high_cv", variant, scenario, 0, len(g), cv, HIGH_CV, _cells(g),
                 f"high variance between repetitions (CV of means {cv:.0%}, above "
                 f"{HIGH_CV:.0%}, {len(g)} repetitions)")]


def _trend(g: pd.DataFrame, variant: str, scenario: str, rounds: bool) -> list[dict[str, Any]]:
    values = g["mean_ms"].to_numpy(dtype="float64")
    if values.size < 3 or np.unique(values).size < 2:
        return []
    tau, p = sps.kendalltau(np.arange(values.size), values)
    if not (np.isfinite(p) and p < TREND_P):
        return []
    way = "rises" if tau > 0 else "falls"
    order = "round" if rounds else "start time"
    return [_row("trend", variant, scenario, 0, int(values.size), float(tau), TREND_P, _cells(g),
                 f"monotone trend: the repetition mean {way} over {values.size} rounds (by "
                 f"{order}; Kendall's tau {tau:+.2f}, p {p:.2g} < {TREND_P:g}): the runs drift, "
                 f"the mean depends on when it was measured")]


def _modified_z(values: np.ndarray) -> np.ndarray:
    """0.6745 · (x − median) / MAD (Iglewicz & Hoaglin); ±inf off a zero MAD, 0 on it."""
    med = np.median(values)
    mad = np.median(np.abs(values - med))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = MAD_Z * (values - med) / mad
    return np.where(values == med, 0.0, z)


def _outlier_rounds(sub: pd.DataFrame, scenario: str) -> list[dict[str, Any]]:
    z_by_variant: dict[str, pd.Series] = {}
    for variant, g in sub.groupby("variant", sort=False):
        g = g[g["mean_ms"] > 0]
        if len(g) >= OUTLIER_ROUND_MIN_ROUNDS:
            z_by_variant[str(variant)] = pd.Series(
                _modified_z(np.log(g["mean_ms"].to_numpy(dtype="float64"))),
                index=g["rep"].astype(int).to_numpy())
    if len(z_by_variant) < 2:
        return []
    z = pd.DataFrame(z_by_variant)
    out = []
    for rep, row in z.iterrows():
        present = row.dropna()
        if len(present) < 2:
            continue
        side = np.sign(present)
        if (present.abs() > OUTLIER_ROUND_Z).all() and (side == side.iloc[0]).all():
            cells = sub[(sub["rep"] == rep) & sub["variant"].isin(present.index)]
            way = "slower" if side.iloc[0] > 0 else "faster"
            weakest = float(present.abs().min())
            out.append(_row(
                "outlier_round", "", scenario, int(rep), len(present), weakest, OUTLIER_ROUND_Z,
                _cells(cells),
                f"outlier round: in round {rep} every one of {len(present)} variants was "
                f"{way} than in its other rounds (modified z-score at least {weakest:.1f}, "
                f"threshold {OUTLIER_ROUND_Z:g}): host noise, not the stacks"))
    return out


def instability_table(reps: pd.DataFrame, *, rounds: bool) -> pd.DataFrame:
    """report/instability.csv: every instability finding of the contestants' repetitions
    (``reps``; the A/A control's are left out), by variant x scenario, then outlier rounds."""
    columns = list(INSTABILITY_COLUMNS)
    if reps.empty:
        return pd.DataFrame(columns=columns)
    good = ranked(reps)
    good = good[np.isfinite(good["mean_ms"].to_numpy(dtype="float64"))]
    rows: list[dict[str, Any]] = []
    for (variant, scenario), g in good.groupby(KEYS, sort=False):
        g = _in_round_order(g, rounds)
        rows += _high_cv(g, str(variant), str(scenario))
        rows += _trend(g, str(variant), str(scenario), rounds)
    if rounds:
        for scenario, sub in good.groupby("scenario", sort=False):
            rows += _outlier_rounds(sub, str(scenario))
    return pd.DataFrame(rows, columns=columns)


def instability_findings(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The instability table as validity warnings (source report)."""
    return [finding("warning", r.variant, r.scenario, int(r.rep), "report", r.message)
            for r in table.itertuples()]

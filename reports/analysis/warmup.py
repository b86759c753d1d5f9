"""Warm-up effects: repetitions whose first requests were far slower than the rest.

A server that has not served yet (lazy imports, first database connection, cold caches, a
worker still starting) answers its first requests slowly. Paper 2 (Malatjie & Faniso-Myaka,
2025) measured without any warm-up (its Fig. 5 file starts at 84 ms, the next ones take 46 to
62 ms); paper 1
(Bednarz & Miłosz, 2025) warmed up for 10 s. The report makes the effect visible instead of
letting it hide in a mean.

Rule, per repetition: take its latency samples (successes and timed-out requests at their
timeout) in send order (``seq``). The *head* is the first ``max(10, 1% of n)`` of them
(``WARMUP_HEAD_MIN``, ``WARMUP_HEAD_FRACTION``), the *rest* the others; the rule applies only
when the rest holds at least 3× as many (``WARMUP_MIN_REST_FACTOR``). The repetition shows a
warm-up effect when the mean of the head is above 2× the median of the rest (``WARMUP_FACTOR``)
**and** more than 5 ms beyond it (``WARMUP_MIN_EXCESS_MS``): a ratio alone would flag
sub-millisecond noise, an excess alone would flag any slow server. One validity warning per
variant x scenario says in how many repetitions and with which numbers. Pure; DataFrames in and
out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports.analysis.findings import COLUMNS, SEVERITY_RANK
from reports.constants import (
    WARMUP_FACTOR,
    WARMUP_HEAD_FRACTION,
    WARMUP_HEAD_MIN,
    WARMUP_MIN_EXCESS_MS,
    WARMUP_MIN_REST_FACTOR,
)

WARMUP_COLUMNS = ["variant", "scenario", "rep", "samples", "head", "head_mean_ms",
                  "rest_median_ms", "ratio", "flagged"]
RULE = (f"rule: the mean of the first max({WARMUP_HEAD_MIN}, {WARMUP_HEAD_FRACTION:.0%}) "
        f"requests above {WARMUP_FACTOR:g}× the median of the rest and more than "
        f"{WARMUP_MIN_EXCESS_MS:g} ms beyond it")


def head_size(n: int) -> int:
    """How many of a repetition's ``n`` samples count as its first requests."""
    return max(WARMUP_HEAD_MIN, math.ceil(WARMUP_HEAD_FRACTION * n))


def is_warmup_effect(head_mean_ms: float, rest_median_ms: float) -> bool:
    return bool(head_mean_ms > WARMUP_FACTOR * rest_median_ms
                and head_mean_ms - rest_median_ms > WARMUP_MIN_EXCESS_MS)


def warmup_table(requests: pd.DataFrame, reps: pd.DataFrame) -> pd.DataFrame:
    """One row per repetition with enough samples: the head's size and mean, the rest's median,
    their ratio and whether the rule flags it."""
    if requests.empty or reps.empty:
        return pd.DataFrame(columns=WARMUP_COLUMNS)
    sample = requests[requests["latency_ms"].notna()]
    cell = sample["cell_id"].to_numpy()
    order = np.lexsort((sample["seq"].to_numpy(), cell))
    cell = cell[order]
    latency = sample["latency_ms"].to_numpy(dtype="float64")[order]
    if cell.size == 0:
        return pd.DataFrame(columns=WARMUP_COLUMNS)
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    sizes = np.diff(np.r_[starts, cell.size])
    rows = []
    for start, n in zip(starts, sizes, strict=True):
        k = head_size(int(n))
        if n - k < WARMUP_MIN_REST_FACTOR * k:
            continue
        head = latency[start:start + k]
        rest = latency[start + k:start + n]
        head_mean, rest_median = float(head.mean()), float(np.median(rest))
        rows.append({"cell_id": int(cell[start]), "samples": int(n), "head": k,
                     "head_mean_ms": head_mean, "rest_median_ms": rest_median,
                     "ratio": head_mean / rest_median if rest_median > 0 else math.inf,
                     "flagged": is_warmup_effect(head_mean, rest_median)})
    if not rows:
        return pd.DataFrame(columns=WARMUP_COLUMNS)
    found = pd.DataFrame(rows).merge(reps[["cell_id", "variant", "scenario", "rep"]],
                                     on="cell_id")
    return found[WARMUP_COLUMNS].reset_index(drop=True)


def warmup_findings(table: pd.DataFrame) -> pd.DataFrame:
    """Validity findings (``reports.analysis.findings`` columns), one warning per variant x scenario
    with a flagged repetition: in how many, and the numbers of the worst one."""
    items = []
    for (variant, scenario), g in table.groupby(["variant", "scenario"], sort=False):
        hit = g[g["flagged"].astype(bool)]
        if hit.empty:
            continue
        worst = hit.loc[hit["ratio"].idxmax()]
        rep = int(worst["rep"]) if len(hit) == 1 else 0
        where = "" if rep else f" (worst: repetition {int(worst['rep'])})"
        items.append({
            "severity": "warning", "variant": variant, "scenario": scenario, "rep": rep,
            "source": "report",
            "message": f"warm-up effect in {len(hit)} of {len(g)} repetition(s): the first "
                       f"{int(worst['head'])} requests averaged {worst['head_mean_ms']:.1f} ms, "
                       f"{worst['ratio']:.1f}× the median of the other "
                       f"{int(worst['samples'] - worst['head'])} ({worst['rest_median_ms']:.1f} "
                       f"ms){where}; {RULE}. The server was not warm when measuring began: "
                       "add or lengthen a warm-up, or read the per-iteration figure"})
    return pd.DataFrame(items, columns=COLUMNS)


def with_findings(validity: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """``validity`` and ``extra`` in one table, most severe first (validity_table's order)."""
    if extra.empty:
        return validity
    table = pd.concat([validity, extra], ignore_index=True) if len(validity) else extra.copy()
    table["rep"] = table["rep"].astype("int64")
    return table.sort_values(["severity", "variant", "scenario", "rep"],
                             key=lambda c: c.map(SEVERITY_RANK) if c.name == "severity" else c,
                             kind="stable").reset_index(drop=True)

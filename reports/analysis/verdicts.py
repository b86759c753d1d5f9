"""Verdicts between two sets of repetitions: one rule for the variant pairs of a report and for
the run-to-run ``compare``. Pure functions.

The unit is the repetition: each side is one value per repetition (a repetition's mean latency, or
its goodput). With fewer than ``MIN_REPS`` repetitions on either side there is no claim at all
(``insufficient_reps``: no p-value, no interval). Otherwise Welch's t-test, Holm-corrected over
the family of comparisons that could be tested, decides; the direction of the verdict is the sign
of the tested difference mean(B) - mean(A). The ratio's interval is Fieller's, unadjusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from reports.analysis import statistics
from reports.constants import ALPHA, MIN_REPS

NAN = float("nan")


def pair(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Repetition values of A and B -> ratio mean(B)/mean(A), its interval, Welch's t and p
    (interval and test blank when a side has fewer than ``MIN_REPS`` values)."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    out: dict[str, Any] = {"reps_a": int(a.size), "reps_b": int(b.size),
                           "mean_a": float(a.mean()) if a.size else NAN,
                           "mean_b": float(b.mean()) if b.size else NAN,
                           "ratio": NAN, "ci95_low": NAN, "ci95_high": NAN,
                           "t": NAN, "dof": NAN, "p": NAN}
    if a.size and b.size and out["mean_a"] != 0:
        out["ratio"] = out["mean_b"] / out["mean_a"]
    if a.size >= MIN_REPS and b.size >= MIN_REPS:
        _, out["ci95_low"], out["ci95_high"] = statistics.fieller_ratio_ci(a, b)
        out["t"], out["dof"], out["p"] = statistics.welch(a, b)
    return out


def decide(rows: Sequence[dict[str, Any]], *, lower_is_better: bool = True) -> None:
    """Fill ``p_adjusted`` (Holm over the rows that were tested) and ``verdict`` in place.

    ``b_faster`` means B is better: lower values when ``lower_is_better`` (latency), higher
    otherwise (throughput)."""
    adjusted = statistics.holm(np.array([r["p"] for r in rows], dtype="float64"))
    for r, p_adj in zip(rows, adjusted, strict=True):
        r["p_adjusted"] = float(p_adj)
        r["verdict"] = verdict(r["t"], float(p_adj), r["reps_a"], r["reps_b"], lower_is_better)


def verdict(t: float, p_adjusted: float, reps_a: int, reps_b: int,
            lower_is_better: bool = True) -> str:
    if reps_a < MIN_REPS or reps_b < MIN_REPS or not np.isfinite(p_adjusted):
        return "insufficient_reps"
    if p_adjusted >= ALPHA or t == 0 or np.isnan(t):
        return "not_significant"
    b_higher = t > 0
    return "b_slower" if b_higher == lower_is_better else "b_faster"

"""Verdicts between two sets of repetitions: one rule for the variant pairs of a report and for
the run-to-run ``compare``. Pure functions.

The unit is the repetition: each side is one value per repetition (a repetition's mean latency, or
its goodput). With fewer than ``MIN_REPS`` repetitions on either side there is no claim at all
(``insufficient_reps``: no p-value, no interval). Otherwise a test, Holm-corrected over the family
of comparisons the caller asks about, decides; the direction of the verdict is the sign of the
tested difference:

* unpaired (``pair``, test ``welch``): Welch's t-test on the values, difference mean(B) - mean(A),
  ratio mean(B) / mean(A) with Fieller's interval, unadjusted;
* paired by round (``paired_pair``, test ``paired_t``; the run's design is rounds): the paired
  t-test on the per-round log ratios log(b_r / a_r) of the rounds where both sides have a value
  (reports/analysis/paired.py), ratio exp(mean log ratio) with the exponential of its t
  interval; fewer than ``MIN_REPS`` pairs make no claim either.

Either way the interval excludes 1 exactly when the unadjusted test rejects, on the side of the
verdict. ``alpha`` is the level of the test (``ALPHA``, or the nominal level of the look in a run
that stops when decided: reports/analysis/looks.py); the interval is then the (1 - alpha) one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from reports.analysis import paired, statistics
from reports.constants import ALPHA, BLOCKED, CI_LEVEL, MIN_REPS, PAIRED_T, WELCH

NAN = float("nan")


def ci_level(alpha: float = ALPHA) -> float:
    """The interval level that goes with a test at ``alpha`` (exactly ``CI_LEVEL`` at ``ALPHA``)."""
    return CI_LEVEL if alpha == ALPHA else 1.0 - alpha


def pair(a: np.ndarray, b: np.ndarray, *, level: float = CI_LEVEL) -> dict[str, Any]:
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
        _, out["ci95_low"], out["ci95_high"] = statistics.fieller_ratio_ci(a, b, level=level)
        out["t"], out["dof"], out["p"] = statistics.welch(a, b)
    return {**out, "test": WELCH, "pairs": NAN}


def _finite_values(values: Mapping[int, float]) -> dict[int, float]:
    return {int(k): float(v) for k, v in values.items() if np.isfinite(v)}


def paired_pair(a: Mapping[int, float], b: Mapping[int, float], *,
                level: float = CI_LEVEL) -> dict[str, Any]:
    """Round -> value of A and of B -> the paired t-test on the per-round log ratios of the rounds
    both have (a round missing or failed on either side is dropped from the pair), the ratio
    exp(mean log ratio) and its interval; ``pairs`` is how many rounds were paired. No test and
    no interval with fewer than ``MIN_REPS`` pairs."""
    a, b = _finite_values(a), _finite_values(b)
    rounds = sorted(set(a) & set(b))
    xa = np.array([a[r] for r in rounds], dtype="float64")
    xb = np.array([b[r] for r in rounds], dtype="float64")
    test = paired.paired_log_ratio(xa, xb, level=level)
    va, vb = np.array(list(a.values())), np.array(list(b.values()))
    out: dict[str, Any] = {"reps_a": len(a), "reps_b": len(b),
                           "mean_a": float(va.mean()) if va.size else NAN,
                           "mean_b": float(vb.mean()) if vb.size else NAN,
                           "ratio": test.ratio, "ci95_low": NAN, "ci95_high": NAN,
                           "t": NAN, "dof": NAN, "p": NAN, "test": PAIRED_T, "pairs": test.n}
    if test.n >= MIN_REPS:
        out.update(ci95_low=test.ci_low, ci95_high=test.ci_high, t=test.t, dof=test.dof,
                   p=test.p)
    return out


def compare(a: Mapping[int, float], b: Mapping[int, float], *, rounds: bool,
            alpha: float = ALPHA) -> dict[str, Any]:
    """Repetition -> value of A and of B, compared by round (``rounds``: ``paired_pair``) or as
    two independent samples (``pair``, the repetition numbers ignored); the interval is the
    (1 - ``alpha``) one."""
    if rounds:
        return paired_pair(a, b, level=ci_level(alpha))
    return pair(np.array(list(a.values()), dtype="float64"),
                np.array(list(b.values()), dtype="float64"), level=ci_level(alpha))


def decide(rows: Sequence[dict[str, Any]], *, lower_is_better: bool = True,
           alpha: float = ALPHA) -> None:
    """Fill ``p_adjusted`` (Holm over the rows that were tested: ``rows`` is the family),
    ``holm_m`` (how many) and ``verdict`` (significant below ``alpha``) in place.

    ``b_faster`` means B is better: lower values when ``lower_is_better`` (latency), higher
    otherwise (throughput)."""
    p = np.array([r["p"] for r in rows], dtype="float64")
    adjusted = statistics.holm(p)
    for r, p_adj in zip(rows, adjusted, strict=True):
        r["p_adjusted"] = float(p_adj)
        r["holm_m"] = int(np.isfinite(p).sum())
        r["verdict"] = verdict(r["t"], float(p_adj), r["reps_a"], r["reps_b"], lower_is_better,
                               alpha=alpha)


def block(rows: Sequence[dict[str, Any]]) -> None:
    """Set the verdict of ``rows`` to ``BLOCKED`` (their scenario's A/A control differed); the
    numbers stay."""
    for r in rows:
        r["verdict"] = BLOCKED


def verdict(t: float, p_adjusted: float, reps_a: int, reps_b: int,
            lower_is_better: bool = True, *, alpha: float = ALPHA) -> str:
    if reps_a < MIN_REPS or reps_b < MIN_REPS or not np.isfinite(p_adjusted):
        return "insufficient_reps"
    if p_adjusted >= alpha or t == 0 or np.isnan(t):
        return "not_significant"
    b_higher = t > 0
    return "b_slower" if b_higher == lower_is_better else "b_faster"

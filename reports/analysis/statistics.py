"""Numeric primitives: arrays in, numbers out. Pure, deterministic (seeded), no I/O.

Statistical choices (also printed in the report's Method section and docs/methodology.md):

* percentiles use numpy's ``linear`` method over the pooled latency samples;
* the repetition (fresh server, fresh database) is the independent unit: requests inside one
  repetition share server state and are autocorrelated, so every interval and test works on
  repetition-level values (repetition means), never on pooled requests;
* confidence interval of a mean over repetitions: Student's t (exact 95% coverage for normal
  repetition means, which averages of thousands of requests are close to);
* comparison of two sets of repetitions: Welch's t-test; the ratio mean(B)/mean(A) gets Fieller's
  interval with the same t quantile and degrees of freedom, so the interval excludes 1 exactly
  when the unadjusted test rejects; the direction of a verdict is the sign of the tested
  difference, which is the side of 1 the ratio is on: a verdict cannot contradict its test.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from reports.constants import CI_LEVEL, PERCENTILES, QUANTILE_METHOD, RNG_SEED

NAN = float("nan")


def percentiles(values: np.ndarray) -> dict[str, float]:
    """``PERCENTILES`` of ``values`` (NaN when empty)."""
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        return dict.fromkeys(PERCENTILES, NAN)
    qs = np.percentile(values, list(PERCENTILES.values()), method=QUANTILE_METHOD)
    return dict(zip(PERCENTILES, (float(q) for q in qs), strict=True))


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="float64")
    return values[np.isfinite(values)]


def t_mean_ci(values: np.ndarray, *, level: float = CI_LEVEL) -> tuple[float, float]:
    """Student's t interval of the mean of ``values``; (NaN, NaN) with fewer than 2 values."""
    values = _finite(values)
    n = values.size
    if n < 2:
        return NAN, NAN
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)
    mean = float(values.mean())
    return mean - half, mean + half


def welch(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Welch's t statistic for mean(b) - mean(a), its degrees of freedom and the two-sided
    p-value; NaNs with fewer than 2 values on a side."""
    a, b = _finite(a), _finite(b)
    if a.size < 2 or b.size < 2:
        return NAN, NAN, NAN
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(b.mean() - a.mean())
    if va + vb == 0:  # no spread at all: equal means do not differ, others differ for sure
        dof = float(a.size + b.size - 2)
        return (0.0, dof, 1.0) if diff == 0 else (math.copysign(math.inf, diff), dof, 0.0)
    t = diff / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(t), float(dof), float(2 * sps.t.sf(abs(t), dof))


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch t-test p-value; NaN with fewer than 2 values per side."""
    return welch(a, b)[2]


def fieller_ratio_ci(a: np.ndarray, b: np.ndarray, *,
                     level: float = CI_LEVEL) -> tuple[float, float, float]:
    """mean(b)/mean(a) and Fieller's interval for it (independent samples, unequal variances,
    Welch's degrees of freedom). The interval is (NaN, NaN) with fewer than 2 values on a side,
    and (-inf, inf) when mean(a) is not clearly away from 0 (the ratio is then unbounded)."""
    a, b = _finite(a), _finite(b)
    if a.size == 0 or b.size == 0 or a.mean() == 0:
        return NAN, NAN, NAN
    ma, mb = float(a.mean()), float(b.mean())
    ratio = mb / ma
    _, dof, _ = welch(a, b)
    if not np.isfinite(dof):
        return ratio, NAN, NAN
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    q2 = float(sps.t.ppf(0.5 + level / 2, dof)) ** 2
    qa = ma * ma - q2 * va
    if qa <= 0:
        return ratio, -math.inf, math.inf
    disc = (ma * mb) ** 2 - qa * (mb * mb - q2 * vb)
    root = math.sqrt(max(disc, 0.0))
    return ratio, (ma * mb - root) / qa, (ma * mb + root) / qa


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (NaNs stay NaN and do not count)."""
    p = np.asarray(pvalues, dtype="float64")
    out = np.full(p.shape, NAN)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out[order] = adjusted
    return out


def improvement_pct(times: np.ndarray) -> np.ndarray:
    """Paper 2's "improvement": how much faster than the slowest, ``(slowest - t) / slowest``.

    Checked against the paper's Table 2 (baseline Django+Daphne GET 0.36074 s; FastAPI GET
    0.07562 s -> 79.04%). The slowest row is the baseline (0%).
    """
    t = np.asarray(times, dtype="float64")
    if t.size == 0 or not np.isfinite(t).any():
        return np.full(t.shape, NAN)
    slowest = np.nanmax(t)
    return (slowest - t) / slowest * 100.0


def iqr_fences(values: np.ndarray, k: float = 1.5) -> tuple[float, float]:
    q1, q3 = np.percentile(values, [25, 75], method=QUANTILE_METHOD)
    return float(q1 - k * (q3 - q1)), float(q3 + k * (q3 - q1))


def iqr_outliers(values: np.ndarray, k: float = 1.5) -> int:
    """Number of values outside [Q1 - k·IQR, Q3 + k·IQR] (Tukey's rule, as in box plots)."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0
    low, high = iqr_fences(values, k)
    return int(((values < low) | (values > high)).sum())


def box_stats(values: np.ndarray, *, max_fliers: int, seed: int = RNG_SEED) -> dict[str, object]:
    """Box-plot statistics for ``matplotlib.axes.Axes.bxp`` (without its ``label``) with a
    bounded number of fliers."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    q1, med, q3 = np.percentile(values, [25, 50, 75], method=QUANTILE_METHOD)
    low, high = iqr_fences(values)
    inside = values[(values >= low) & (values <= high)]
    fliers = values[(values < low) | (values > high)]
    if fliers.size > max_fliers:
        fliers = np.random.default_rng(seed).choice(fliers, max_fliers, replace=False)
    return {"med": med, "q1": q1, "q3": q3, "mean": float(values.mean()),
            "whislo": float(inside.min()) if inside.size else q1,
            "whishi": float(inside.max()) if inside.size else q3, "fliers": fliers}


def binned(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` (x, mean y) pairs: equal-count bins in the given order."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.size <= max_points:
        return x, y
    edges = np.linspace(0, x.size, max_points + 1).astype(int)
    counts = np.diff(edges)
    keep = counts > 0
    xs = np.add.reduceat(x, edges[:-1])[keep] / counts[keep]
    ys = np.add.reduceat(y, edges[:-1])[keep] / counts[keep]
    return xs, ys


def cpu_seconds(t_s: np.ndarray, cpu_percent: np.ndarray) -> float:
    """Integral of a CPU-percent time series (trapezoid rule), in CPU-seconds."""
    t = np.asarray(t_s, dtype="float64")
    c = np.asarray(cpu_percent, dtype="float64")
    if t.size < 2:
        return NAN
    order = np.argsort(t)
    return float(np.trapezoid(c[order], t[order]) / 100.0)


def coefficient_of_variation(values: np.ndarray) -> float:
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size < 2 or values.mean() == 0:
        return NAN
    return float(values.std(ddof=1) / values.mean())

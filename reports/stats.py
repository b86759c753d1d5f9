"""Numeric primitives: arrays in, numbers out. Pure, deterministic (seeded), no I/O.

Statistical choices (also printed in the report's Method section):

* percentiles use numpy's ``linear`` method over the pooled successful requests;
* confidence intervals are percentile-bootstrap intervals of the mean *over repetitions* — the
  repetition (fresh server, fresh database) is the independent unit; requests inside one
  repetition share server state and are autocorrelated, so resampling requests would give
  intervals that are far too narrow;
* significance: Welch's t-test on repetition means (each mean averages thousands of requests, so
  it is close to normal by the central limit theorem, and the t distribution is right for the
  small number of repetitions), Holm-corrected within a family of comparisons. With a single
  repetition on either side, a Mann-Whitney U test on (sub-sampled) per-request latencies is used
  instead and labelled as indicative only.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from reports.constants import (
    BOOTSTRAP_RESAMPLES,
    CI_LEVEL,
    MWU_MAX_SAMPLES,
    PERCENTILES,
    QUANTILE_METHOD,
    RNG_SEED,
)

NAN = float("nan")


def percentiles(values: np.ndarray) -> dict[str, float]:
    """``PERCENTILES`` of ``values`` (NaN when empty)."""
    values = np.asarray(values, dtype="float64")
    if values.size == 0:
        return dict.fromkeys(PERCENTILES, NAN)
    qs = np.percentile(values, list(PERCENTILES.values()), method=QUANTILE_METHOD)
    return dict(zip(PERCENTILES, (float(q) for q in qs), strict=True))


def bootstrap_mean_ci(values: np.ndarray, *, level: float = CI_LEVEL,
                      resamples: int = BOOTSTRAP_RESAMPLES,
                      seed: int = RNG_SEED) -> tuple[float, float]:
    """Percentile-bootstrap CI of the mean of ``values``; (NaN, NaN) with fewer than 2 values."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    if values.size < 2:
        return NAN, NAN
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, (resamples, values.size))].mean(axis=1)
    alpha = (1 - level) / 2
    low, high = np.quantile(means, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_ratio_ci(a: np.ndarray, b: np.ndarray, *, level: float = CI_LEVEL,
                       resamples: int = BOOTSTRAP_RESAMPLES,
                       seed: int = RNG_SEED) -> tuple[float, float, float]:
    """mean(b)/mean(a) and its percentile-bootstrap CI (each sample resampled on its own).

    The CI is (NaN, NaN) unless both samples have at least 2 values.
    """
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0 or a.mean() == 0:
        return NAN, NAN, NAN
    ratio = float(b.mean() / a.mean())
    if a.size < 2 or b.size < 2:
        return ratio, NAN, NAN
    rng = np.random.default_rng(seed)
    ma = a[rng.integers(0, a.size, (resamples, a.size))].mean(axis=1)
    mb = b[rng.integers(0, b.size, (resamples, b.size))].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = mb / ma
    alpha = (1 - level) / 2
    low, high = np.nanquantile(ratios, [alpha, 1 - alpha])
    return ratio, float(low), float(high)


def welch_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided Welch t-test p-value; NaN with fewer than 2 values per side."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    if a.size < 2 or b.size < 2:
        return NAN
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    if va + vb == 0:
        return 1.0 if a[0] == b[0] else 0.0
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    return float(2 * sps.t.sf(abs(t), dof))


def mann_whitney_p(x: np.ndarray, y: np.ndarray, *, max_samples: int = MWU_MAX_SAMPLES,
                   seed: int = RNG_SEED) -> float:
    """Two-sided Mann-Whitney U p-value on at most ``max_samples`` values per side."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if x.size == 0 or y.size == 0:
        return NAN
    rng = np.random.default_rng(seed)
    if x.size > max_samples:
        x = rng.choice(x, max_samples, replace=False)
    if y.size > max_samples:
        y = rng.choice(y, max_samples, replace=False)
    return float(sps.mannwhitneyu(x, y, alternative="two-sided").pvalue)


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


def box_stats(values: np.ndarray, label: str, *, max_fliers: int,
              seed: int = RNG_SEED) -> dict[str, object]:
    """Box-plot statistics for ``matplotlib.axes.Axes.bxp`` with a bounded number of fliers."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values)]
    q1, med, q3 = np.percentile(values, [25, 50, 75], method=QUANTILE_METHOD)
    low, high = iqr_fences(values)
    inside = values[(values >= low) & (values <= high)]
    fliers = values[(values < low) | (values > high)]
    if fliers.size > max_fliers:
        fliers = np.random.default_rng(seed).choice(fliers, max_fliers, replace=False)
    return {"label": label, "med": med, "q1": q1, "q3": q3, "mean": float(values.mean()),
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


def significance(rep_means_a: np.ndarray, rep_means_b: np.ndarray, latencies_a: np.ndarray,
                 latencies_b: np.ndarray) -> tuple[str, float]:
    """The test used to compare two variants (or runs) and its p-value.

    Welch's t-test on repetition means when both sides have two or more repetitions (requests of
    one repetition share server state and are not independent); with a single repetition, a
    Mann-Whitney U test on the requests, labelled indicative.
    """
    if rep_means_a.size >= 2 and rep_means_b.size >= 2:
        return "welch_t_rep_means", welch_p(rep_means_a, rep_means_b)
    return ("mann_whitney_requests (1 rep: indicative)",
            mann_whitney_p(latencies_a, latencies_b))

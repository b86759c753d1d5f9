"""Paired comparison of two variants measured in the same rounds. Pure, deterministic, no I/O.

A round runs every variant once (in a fresh random order), so round r gives one pair (a_r, b_r).
Slow drift of the machine within a run moves both values of a round alike; the per-round log
ratio ``log(b_r / a_r)`` cancels it, and the rounds' log ratios are the independent unit. The test
is the paired t-test on those log ratios (df = n - 1); the ratio's point estimate is
``exp(mean)`` (the geometric mean of the per-round ratios) and its interval the exponential of
the t interval of the mean log ratio, so the interval excludes 1 exactly when the test rejects
at the same level. A pair counts only when both values are finite and positive (a log needs a
positive value); the others are dropped pairwise.

Conventions as in :mod:`reports.analysis.statistics`: with fewer than 2 pairs the estimate is
given when there is one pair but the standard error, interval, t and p are NaN; with no spread
(all rounds give the same log ratio) a zero mean does not differ (t = 0, p = 1) and any other
mean differs for sure (t = ±inf, p = 0, the interval is the point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from reports.constants import CI_LEVEL

NAN = float("nan")


@dataclass(frozen=True)
class PairedLogRatio:
    """The paired t-test on per-round log ratios log(b/a) and the interval of the ratio b/a."""

    n: int
    mean_log: float
    se_log: float
    ratio: float
    ci_low: float
    ci_high: float
    t: float
    dof: float
    p: float


def log_ratios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-round ``log(b / a)`` of the pairs where both values are finite and positive."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same length, got {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    return np.log(b[keep]) - np.log(a[keep])


def paired_t(d: np.ndarray) -> tuple[float, float, float]:
    """One-sample t statistic of the mean of ``d`` against 0, its df and two-sided p-value;
    NaNs with fewer than 2 values."""
    d = np.asarray(d, dtype="float64")
    n = d.size
    if n < 2:
        return NAN, NAN, NAN
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    dof = float(n - 1)
    if sd == 0:  # no spread: a zero mean does not differ, any other differs for sure
        return (0.0, dof, 1.0) if mean == 0 else (math.copysign(math.inf, mean), dof, 0.0)
    t = mean / (sd / math.sqrt(n))
    return t, dof, float(2 * sps.t.sf(abs(t), dof))


def paired_log_ratio(a: np.ndarray, b: np.ndarray, *, level: float = CI_LEVEL) -> PairedLogRatio:
    """Paired t-test of per-round log ratios log(b/a) and the (``level``) t interval of b/a."""
    d = log_ratios(a, b)
    n = int(d.size)
    if n == 0:
        return PairedLogRatio(0, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN)
    mean = float(d.mean())
    if n < 2:
        return PairedLogRatio(n, mean, NAN, math.exp(mean), NAN, NAN, NAN, NAN, NAN)
    se = float(d.std(ddof=1)) / math.sqrt(n)
    t, dof, p = paired_t(d)
    half = float(sps.t.ppf(0.5 + level / 2, dof)) * se
    return PairedLogRatio(n, mean, se, math.exp(mean), math.exp(mean - half),
                          math.exp(mean + half), t, dof, p)


def cumulative_t(d: np.ndarray) -> np.ndarray:
    """The paired t statistic after each round, for many runs at once.

    ``d`` holds log ratios, one row per run and one column per round (all finite). Column j is the
    statistic of the first j + 1 rounds; column 0 (one round) is NaN, and rounds with no spread
    follow :func:`paired_t`'s convention (0 for a zero mean, else ±inf)."""
    d = np.atleast_2d(np.asarray(d, dtype="float64"))
    n = np.arange(1, d.shape[1] + 1, dtype="float64")
    centred = d - d[:, :1]  # centred on the first round: the sums of squares stay accurate
    mean = np.cumsum(centred, axis=1) / n
    ss = np.cumsum(centred * centred, axis=1) - n * mean * mean
    mean += d[:, :1]
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.maximum(ss, 0.0) / (n - 1) / n)
        t = np.where(se > 0, mean / se, np.where(mean == 0, 0.0, np.copysign(np.inf, mean)))
    t[:, 0] = NAN
    return t


def cumulative_paired_t(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cumulative_t` and the two-sided p-values (df = rounds - 1) that go with it."""
    t = cumulative_t(d)
    dof = np.arange(t.shape[1], dtype="float64")
    with np.errstate(invalid="ignore"):
        p = 2 * sps.t.sf(np.abs(t), np.maximum(dof, 1))
    p[np.isnan(t)] = NAN
    return t, p

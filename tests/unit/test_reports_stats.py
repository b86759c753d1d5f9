"""Statistics primitives of the report, on data with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from reports.analysis import statistics


def test_percentiles_follow_numpy_linear_definition():
    values = np.arange(1, 101, dtype=float)  # 1..100
    got = statistics.percentiles(values)
    assert got == pytest.approx({"p50": 50.5, "p90": 90.1, "p99": 99.01, "p999": 99.901})


def test_percentiles_of_nothing_are_nan():
    assert all(np.isnan(v) for v in statistics.percentiles(np.empty(0)).values())


def test_improvement_reproduces_paper2_table2():
    # Paper 2, Table 2 (concurrent load): Django (Daphne) GET 0.36074 s is the baseline.
    averages = np.array([0.05525, 0.07562, 0.09709, 0.22142, 0.36074])
    got = statistics.improvement_pct(averages)
    assert got == pytest.approx([84.68, 79.04, 73.08, 38.62, 0.0], abs=0.01)


def test_iqr_outliers_counts_values_beyond_tukey_fences():
    values = np.r_[np.arange(1.0, 11.0), 100.0, -80.0]  # Q1 3.75, Q3 8.25 -> fences -3, 15
    assert statistics.iqr_outliers(values) == 2
    assert statistics.iqr_outliers(np.arange(1.0, 11.0)) == 0
    assert statistics.iqr_outliers(np.r_[np.arange(1.0, 11.0), 14.9]) == 0


def _coverage(ci: object, n: int, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    samples = rng.normal(10.0, 1.0, (trials, n))
    covered = 0
    for sample in samples:
        low, high = ci(sample)
        covered += low <= 10.0 <= high
    return covered / trials


@pytest.mark.parametrize("n", [3, 5, 10])
def test_t_interval_covers_the_true_mean_at_least_94_percent_of_the_time(n):
    # 4,000 simulated sets of n repetition means: Student's t covers 95% by construction; the
    # percentile bootstrap it replaced covered about 75% (n=3) and 83% (n=5).
    assert _coverage(statistics.t_mean_ci, n, 4_000, seed=n) >= 0.94


def test_t_interval_matches_the_textbook_formula_and_is_blank_with_one_value():
    values = np.array([2.5, 6.5])
    low, high = statistics.t_mean_ci(values)
    half = sps.t.ppf(0.975, 1) * values.std(ddof=1) / np.sqrt(2)
    assert (low, high) == pytest.approx((4.5 - half, 4.5 + half))
    assert all(np.isnan(statistics.t_mean_ci(np.array([3.0]))))


def test_fieller_interval_brackets_the_ratio_and_agrees_with_the_welch_test():
    rng = np.random.default_rng(3)
    a, b = rng.normal(10, 0.2, 8), rng.normal(20, 0.4, 8)
    ratio, low, high = statistics.fieller_ratio_ci(a, b)
    assert ratio == pytest.approx(2.0, rel=0.02)
    assert low < ratio < high and high - low < 0.2
    # the interval excludes 1 exactly when the unadjusted Welch test rejects at 5%
    for seed in range(200):
        r = np.random.default_rng(seed)
        x, y = r.normal(5, 0.3, 3), r.normal(5.3, 0.3, 4)
        _, lo, hi = statistics.fieller_ratio_ci(x, y)
        assert (lo <= 1 <= hi) == (statistics.welch_p(x, y) >= 0.05)


def test_fieller_interval_is_unbounded_when_the_denominator_is_not_clearly_positive():
    _, low, high = statistics.fieller_ratio_ci(np.array([-1.0, 0.5, 1.0]),
                                               np.array([5.0, 6.0, 7.0]))
    assert (low, high) == (-np.inf, np.inf)


def test_holm_adjusts_in_step_down_order():
    got = statistics.holm(np.array([0.01, 0.04, 0.03, np.nan]))
    assert got[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(got[3])


def test_welch_matches_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 5), rng.normal(0.5, 2, 4)
    assert statistics.welch_p(a, b) == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert np.isnan(statistics.welch_p(a[:1], b))


def test_binned_never_returns_more_points_than_asked():
    x = np.arange(1_000_000, dtype=float)
    bx, by = statistics.binned(x, x * 2, 1_500)
    assert len(bx) == len(by) <= 1_500
    assert by == pytest.approx(bx * 2)


def test_cpu_seconds_integrates_percent_over_time():
    t = np.linspace(0, 10, 101)
    assert statistics.cpu_seconds(t, np.full(101, 150.0)) == pytest.approx(15.0)

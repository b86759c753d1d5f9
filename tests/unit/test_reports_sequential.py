"""The paired log-ratio test and the group-sequential stopping rule of rounds, on data with known
answers and by simulation of whole sequential runs (vectorised, seeded: a few seconds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from reports.analysis import paired, sequential

# Simulated runs: each round runs A and B once; both share a slow drift of the machine (a random
# walk plus a linear trend of up to ±10% over the run) and have their own log-normal noise.
RUNS = 20_000
MAX_ROUNDS = 20
MIN_ROUNDS = 3
# Monte Carlo allowance for a false-verdict rate of 0.05 over RUNS runs: 3 binomial SDs (0.0046).
ALLOWANCE = 3 * math.sqrt(0.05 * 0.95 / RUNS)


def simulate(rng: np.random.Generator, runs: int, rounds: int, cv: np.ndarray | float,
             ratio: float) -> np.ndarray:
    """Per-round log ratios log(b/a) of ``runs`` sequential runs (rows) of ``rounds`` rounds."""
    sigma = np.sqrt(np.log1p(np.square(np.broadcast_to(cv, (runs,)))))[:, None]
    drift = (np.cumsum(rng.normal(0.0, 0.03, (runs, rounds)), axis=1)
             + np.linspace(0.0, 1.0, rounds) * rng.uniform(-0.1, 0.1, (runs, 1)))
    a = np.exp(drift + sigma * rng.standard_normal((runs, rounds)))
    b = ratio * np.exp(drift + sigma * rng.standard_normal((runs, rounds)))
    return np.log(b) - np.log(a)


def stopping_rounds(d: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    _, p = paired.cumulative_paired_t(d)
    return sequential.first_crossing(p, np.array(levels), MIN_ROUNDS)


# --- paired log ratio ------------------------------------------------------------------------

def test_paired_log_ratio_matches_scipy_ttest_rel_on_logs():
    rng = np.random.default_rng(1)
    a = np.exp(rng.normal(3.0, 0.12, 9))
    b = a * np.exp(rng.normal(-0.05, 0.1, 9))
    got = paired.paired_log_ratio(a, b)
    ref = sps.ttest_rel(np.log(b), np.log(a))
    assert got.n == 9 and got.dof == 8
    assert got.t == pytest.approx(ref.statistic) and got.p == pytest.approx(ref.pvalue)
    d = np.log(b / a)
    assert got.ratio == pytest.approx(math.exp(d.mean()))
    assert got.se_log == pytest.approx(sps.sem(d))
    low, high = ref.confidence_interval(0.95)
    assert (got.ci_low, got.ci_high) == pytest.approx((math.exp(low), math.exp(high)))


def test_ratio_interval_excludes_one_exactly_when_the_test_rejects():
    rng = np.random.default_rng(2)
    for _ in range(200):
        a = np.exp(rng.normal(0, 0.1, 5))
        b = a * np.exp(rng.normal(0.05, 0.1, 5))
        r = paired.paired_log_ratio(a, b)
        assert (r.p < 0.05) == (r.ci_low > 1 or r.ci_high < 1)


def test_paired_log_ratio_conventions():
    one = paired.paired_log_ratio([2.0], [3.0])
    assert one.n == 1 and one.ratio == pytest.approx(1.5)
    assert all(math.isnan(x) for x in (one.se_log, one.ci_low, one.t, one.p))
    assert math.isnan(paired.paired_log_ratio([], []).ratio)
    same = paired.paired_log_ratio([2.0, 2.0, 2.0], [2.2, 2.2, 2.2])  # no spread, ratio 1.1
    assert (same.t, same.p, same.ratio) == (math.inf, 0.0, pytest.approx(1.1))
    assert same.ci_low == pytest.approx(1.1) == same.ci_high
    equal = paired.paired_log_ratio([1.0, 2.0], [1.0, 2.0])
    assert (equal.t, equal.p) == (0.0, 1.0)
    # pairs with a non-positive or missing value are dropped pairwise
    dropped = paired.paired_log_ratio([1.0, 0.0, np.nan, 2.0, 3.0], [1.2, 1.0, 1.0, 2.2, 3.1])
    assert dropped.n == 3
    with pytest.raises(ValueError):
        paired.log_ratios([1.0, 2.0], [1.0])


def test_cumulative_paired_t_equals_the_test_on_each_prefix():
    d = np.random.default_rng(3).normal(0.02, 0.1, (4, 8)) + 5.0  # large offset: still accurate
    t, p = paired.cumulative_paired_t(d)
    assert np.isnan(t[:, 0]).all() and np.isnan(p[:, 0]).all()
    for row in range(4):
        for n in range(2, 9):
            ref = sps.ttest_1samp(d[row, :n], 0.0)
            assert t[row, n - 1] == pytest.approx(ref.statistic, rel=1e-9)
            assert p[row, n - 1] == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


# --- boundaries ------------------------------------------------------------------------------

def equal_looks(k: int) -> tuple[float, ...]:
    return tuple(i / k for i in range(1, k + 1))


def test_lan_demets_boundaries_match_published_values():
    # Reboussin, DeMets, Kim & Lan (2000), Controlled Clinical Trials 21:190-207 (program ld98,
    # R package ldbounds): two-sided alpha 0.05, K = 5 equally spaced looks.
    obf = sequential.z_boundaries(equal_looks(5), 0.05, "obrien_fleming")
    assert obf == pytest.approx((4.877, 3.357, 2.680, 2.290, 2.031), abs=0.002)
    pocock = sequential.z_boundaries(equal_looks(5), 0.05, "pocock")
    assert pocock == pytest.approx((2.438, 2.427, 2.410, 2.397, 2.386), abs=0.002)
    # close to the classic O'Brien-Fleming boundary 2.040 · √(5/k): 4.56, 3.23, 2.63, 2.28, 2.04
    assert obf[-1] == pytest.approx(2.040, abs=0.01)


@pytest.mark.parametrize(("k", "constant", "shape"), [
    (5, 2.040, "obf"), (10, 2.087, "obf"), (5, 2.413, "pocock"), (10, 2.555, "pocock")])
def test_integration_reproduces_the_classic_boundaries(k, constant, shape):
    # Jennison & Turnbull (2000), Tables 2.1 (Pocock C_P) and 2.3 (O'Brien-Fleming C_B), two-sided
    # 0.05: the boundaries C·√(K/k) (O'Brien-Fleming) or C (Pocock) are crossed with probability
    # 0.05 in all. This checks the numerical integration itself.
    z = tuple(constant * math.sqrt(k / i) if shape == "obf" else constant for i in range(1, k + 1))
    total = sequential.crossing_probabilities(equal_looks(k), z).sum()
    assert total == pytest.approx(0.05, abs=5e-4)


@pytest.mark.parametrize("spending", sequential.SPENDING)
def test_boundaries_spend_exactly_alpha(spending):
    fractions = tuple(n / 12 for n in range(3, 13))
    z = sequential.z_boundaries(fractions, 0.05, spending)
    crossing = sequential.crossing_probabilities(fractions, z)
    spent = [sequential.spent(t, 0.05, spending) for t in fractions]
    assert crossing == pytest.approx(np.diff([0.0, *spent]), rel=1e-6, abs=1e-12)
    assert crossing.sum() == pytest.approx(0.05, rel=1e-6)


def test_levels_are_deterministic():
    # (their cost, about 1 s for both rules at K = 30, is not timed here: a shared host's noise
    # would make a timed unit test flaky)
    for spending in sequential.SPENDING:
        z = sequential.z_levels.__wrapped__(30, 3, 0.05, spending)
        assert z == sequential.z_levels.__wrapped__(30, 3, 0.05, spending)
    first = sequential.nominal_levels.__wrapped__(10, 3, 0.05, "obrien_fleming")
    assert first == sequential.nominal_levels(10, 3, 0.05, "obrien_fleming")
    assert len(first) == 8 and first[-1] < 0.05 and first[0] < first[-1]
    with pytest.raises(ValueError):
        sequential.nominal_levels(5, 6)
    with pytest.raises(ValueError):
        sequential.spent(0.5, 0.05, "haybittle")


# --- simulated sequential runs ---------------------------------------------------------------

@pytest.mark.parametrize("spending", sequential.SPENDING)
def test_alpha_spending_keeps_false_verdicts_at_five_percent(spending):
    rng = np.random.default_rng(25)
    d = simulate(rng, RUNS, MAX_ROUNDS, rng.uniform(0.10, 0.16, RUNS), 1.0)
    rate = float((stopping_rounds(d, sequential.nominal_levels(
        MAX_ROUNDS, MIN_ROUNDS, 0.05, spending)) > 0).mean())
    print(f"A/A false-verdict rate, {spending} spending: {rate:.4f}")
    assert rate <= 0.05 + ALLOWANCE  # observed 0.0477 (O'Brien-Fleming), 0.0452 (Pocock)


def test_testing_at_five_percent_after_every_round_inflates_false_verdicts():
    rng = np.random.default_rng(25)
    d = simulate(rng, RUNS, MAX_ROUNDS, rng.uniform(0.10, 0.16, RUNS), 1.0)
    naive = float((stopping_rounds(d, (0.05,) * (MAX_ROUNDS - MIN_ROUNDS + 1)) > 0).mean())
    normal = float((stopping_rounds(d, sequential.z_levels(MAX_ROUNDS, MIN_ROUNDS)) > 0).mean())
    print(f"A/A false-verdict rate, 0.05 after every round: {naive:.4f}; "
          f"normal levels on the paired t: {normal:.4f}")
    assert naive > 0.15  # observed 0.22: more than four times the 5% a single test promises
    assert normal > 0.05  # the normal levels alone are not enough for a t with few rounds


def test_a_ten_percent_difference_at_cv_ten_percent_is_decided_in_time():
    rng = np.random.default_rng(26)
    max_rounds, by_round = 30, 26
    d = simulate(rng, RUNS, max_rounds, 0.10, 1.10)
    stops = stopping_rounds(d, sequential.nominal_levels(max_rounds, MIN_ROUNDS))
    decided = float(((stops > 0) & (stops <= by_round)).mean())
    wrong_way = float((stops > 0).mean() - ((stops > 0) & (np.take_along_axis(
        paired.cumulative_t(d), np.maximum(stops - 1, 0)[:, None], 1)[:, 0] > 0)).mean())
    print(f"B 10% higher, CV 10%: decided by round {by_round} in {decided:.3f} of runs, "
          f"at all in {(stops > 0).mean():.3f}, median stop {np.median(stops[stops > 0]):.0f}")
    # observed (O'Brien-Fleming, at most 30 rounds): 0.567 by round 20, 0.811 by 25, 0.844 by 26,
    # 0.930 by 30; a run stops after 20.2 rounds on average
    assert decided >= 0.80
    assert wrong_way < 0.001


# --- decide ----------------------------------------------------------------------------------

def test_decide_stops_at_the_first_look_that_crosses():
    a = np.array([100.0, 101, 99, 100, 102, 98, 100, 101])
    b = a * np.array([0.70, 0.71, 0.69, 0.70, 0.72, 0.70, 0.71, 0.69])  # B about 30% lower
    got = sequential.decide(a, b, max_rounds=20)
    assert (got.status, got.direction) == ("different", "b_lower")
    levels = sequential.nominal_levels(20)
    _, p = paired.cumulative_paired_t(np.log(b / a))
    first = next(n for n in range(3, 9) if p[0, n - 1] <= levels[n - 3])
    assert got.look_round == first and got.level == levels[first - 3]
    assert got.ratio == pytest.approx(math.exp(np.log(b[:first] / a[:first]).mean()))


def test_decide_before_the_first_look_and_while_undecided():
    early = sequential.decide([1.0, 1.1], [1.05, 1.0], max_rounds=10)
    assert early.status == "not_yet" and early.look_round == 2 and math.isnan(early.level)
    rng = np.random.default_rng(4)
    a = np.exp(rng.normal(0, 0.1, 6))
    b = a * np.exp(rng.normal(0.03, 0.1, 6))
    got = sequential.decide(a, b, max_rounds=20)
    assert got.status == "not_yet" and got.direction == ""
    d = np.log(b / a)
    z = sps.norm.isf(sequential.z_levels(20)[-1] / 2)
    expected = math.ceil(((z + sps.norm.ppf(0.8)) * d.std(ddof=1) / abs(d.mean())) ** 2)
    assert got.rounds_needed == expected
    assert got.detectable_ratio == pytest.approx(
        math.exp((z + sps.norm.ppf(0.8)) * d.std(ddof=1) / math.sqrt(20)))


def test_decide_at_the_last_planned_round_without_crossing():
    rng = np.random.default_rng(5)
    a = np.exp(rng.normal(0, 0.1, 12))
    b = np.exp(rng.normal(0, 0.1, 12))
    got = sequential.decide(a, b, max_rounds=10)  # rounds beyond the plan are not looked at
    assert got.status in {"not_different", "different"}
    if got.status == "not_different":
        assert got.look_round == 10 and math.isnan(got.rounds_needed)
        assert got.level == sequential.nominal_levels(10)[-1]

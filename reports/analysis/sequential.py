"""Group-sequential stopping rule for rounds: look after every round, stop when decided, without
inflating false verdicts. Pure, deterministic, no I/O.

A run plans at most ``max_rounds`` rounds and looks at its paired comparisons after every round
from ``min_rounds`` on. Testing at 0.05 at every look would declare a difference between two
identical variants far more often than 5% of the time (every look is another chance); instead the
overall two-sided alpha is spent across the looks with a Lan-DeMets spending function (Lan &
DeMets 1983), symmetric, each side spending α/2: O'Brien-Fleming type ``4 - 4 Φ(z_{1-α/4} / √t)``
(the default: very strict early, close to the fixed-sample level at the last look) or Pocock type
``α ln(1 + (e - 1) t)``, the two-sided forms of Reboussin, DeMets, Kim & Lan (2000). The
information fraction of the look after round n is ``t = n / max_rounds``, and the first look
spends everything up to it.

The canonical boundaries are computed for the joint normal law of the cumulative z statistics
(Jennison & Turnbull 2000, ch. 3 and 19: independent increments, corr(Z_j, Z_k) = √(t_j / t_k))
by numerical integration over a grid (Armitage, McPherson & Rowe 1969); :func:`z_levels` gives
them as two-sided levels ``2 (1 - Φ(c_k))``. Each look's statistic here is a paired t with only
n - 1 degrees of freedom, so the rule works on the p-value scale: look k rejects when the paired
t's two-sided p-value is at most the level of look k. Using the normal levels there keeps each
look's own rate but lets the overall rate creep to 0.053-0.059; :func:`nominal_levels` therefore
spends the same alpha at the same looks for the paired t itself (a seeded Monte Carlo, exact for
normal log ratios up to its sampling error), and :func:`decide` uses those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize
from scipy import stats as sps

from reports.analysis import paired
from reports.constants import ALPHA, RNG_SEED

NAN = float("nan")
SPENDING = ("obrien_fleming", "pocock")
MIN_ROUNDS = 3
POWER = 0.8
_GRID = 401  # points of the integration grid (odd: Simpson's rule)
_PATHS = 100_000  # Monte Carlo runs of the paired t boundaries


def spent(t: float, alpha: float, spending: str) -> float:
    """Two-sided alpha spent up to information fraction ``t`` (Lan & DeMets 1983; symmetric
    boundaries, each side spending half)."""
    t = min(max(t, 0.0), 1.0)
    if t == 0:
        return 0.0
    if spending == "obrien_fleming":
        return float(4 * sps.norm.sf(sps.norm.isf(alpha / 4) / math.sqrt(t)))
    if spending == "pocock":
        return float(alpha * math.log(1 + (math.e - 1) * t))
    raise ValueError(f"unknown spending function {spending!r}; one of {SPENDING}")


def _simpson(b: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid over [-b, b] and its Simpson weights."""
    x = np.linspace(-b, b, _GRID)
    w = np.ones(_GRID)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return x, w * (x[1] - x[0]) / 3


def _exit(s: np.ndarray, mass: np.ndarray, sd: float, b: float) -> float:
    """Probability that the next score leaves (-b, b): ``mass`` is the (weighted) density of the
    current score at ``s`` on the continuation region, ``sd`` the increment's spread."""
    return float(mass @ (sps.norm.cdf((-b - s) / sd) + sps.norm.sf((b - s) / sd)))


def _next(s: np.ndarray, mass: np.ndarray, sd: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """The next score's weighted density on the grid of (-b, b), paths that stayed inside."""
    x, w = _simpson(b)
    density = (sps.norm.pdf((x[:, None] - s[None, :]) / sd) / sd) @ mass
    return x, density * w


def crossing_probabilities(fractions: tuple[float, ...], z: tuple[float, ...]) -> np.ndarray:
    """Probability, under no difference, of first crossing the two-sided z boundaries ``z`` at
    each look (information ``fractions``, increasing, the last normally 1)."""
    s, mass = np.zeros(1), np.ones(1)  # the score starts at 0 with certainty
    previous, out = 0.0, []
    for t, c in zip(fractions, z, strict=True):
        sd, b = math.sqrt(t - previous), c * math.sqrt(t)
        out.append(_exit(s, mass, sd, b))
        s, mass = _next(s, mass, sd, b)
        previous = t
    return np.array(out)


@lru_cache(maxsize=256)
def z_boundaries(fractions: tuple[float, ...], alpha: float = ALPHA,
                 spending: str = "obrien_fleming") -> tuple[float, ...]:
    """Two-sided z boundaries c_k of Lan-DeMets alpha spending at the information ``fractions``:
    the probability of first crossing ±c_k at look k is the alpha spent between looks k - 1 and
    k. A look with nothing to spend gets an infinite boundary."""
    s, mass = np.zeros(1), np.ones(1)
    previous, out = 0.0, []
    for t in fractions:
        if not previous < t <= 1:
            raise ValueError(f"information fractions must increase within (0, 1]: {fractions}")
        target = spent(t, alpha, spending) - spent(previous, alpha, spending)
        sd = math.sqrt(t - previous)
        if target <= 0:
            c = math.inf
            b = 40 * math.sqrt(t)  # beyond any reach: nothing leaves the grid
        else:
            b = optimize.brentq(lambda b: _exit(s, mass, sd, b) - target,  # noqa: B023
                                1e-9, 40 * math.sqrt(t), xtol=1e-12)
            c = b / math.sqrt(t)
        out.append(c)
        s, mass = _next(s, mass, sd, b)
        previous = t
    return tuple(out)


def _fractions(max_rounds: int, min_rounds: int) -> tuple[float, ...]:
    if not 1 <= min_rounds <= max_rounds:
        raise ValueError(f"need 1 <= min_rounds <= max_rounds, got {min_rounds}, {max_rounds}")
    return tuple(n / max_rounds for n in range(min_rounds, max_rounds + 1))


@lru_cache(maxsize=256)
def z_levels(max_rounds: int, min_rounds: int = MIN_ROUNDS, alpha: float = ALPHA,
             spending: str = "obrien_fleming") -> tuple[float, ...]:
    """Two-sided levels 2 (1 - Φ(c_k)) of the canonical (normal) boundaries of the looks after
    rounds ``min_rounds`` .. ``max_rounds`` (information fraction n / max_rounds)."""
    bounds = z_boundaries(_fractions(max_rounds, min_rounds), alpha, spending)
    return tuple(float(2 * sps.norm.sf(c)) for c in bounds)


@lru_cache(maxsize=256)
def nominal_levels(max_rounds: int, min_rounds: int = MIN_ROUNDS, alpha: float = ALPHA,
                   spending: str = "obrien_fleming") -> tuple[float, ...]:
    """Levels of the paired t's two-sided p-value at the looks after rounds ``min_rounds`` ..
    ``max_rounds``: the same alpha spending as :func:`z_levels`, for the paired t itself.

    The paired t after n rounds has n - 1 degrees of freedom and its statistics at successive
    looks are less tightly tied than the canonical z's; applying :func:`z_levels` to its p-values
    keeps each look's own rate but lets the overall rate creep above alpha (about 0.053 to 0.059
    for 10 to 30 rounds from round 3, by simulation). Under no difference and normal log ratios
    the joint law of the paired t's does not depend on the noise, so a deterministic seeded
    Monte Carlo over ``_PATHS`` runs of standard normal log ratios gives the levels exactly up to
    its sampling error (about ±0.0007 on the overall rate): at each look, the level is the
    p-value below which the alpha spent at that look (as a share of the runs) first crosses. A
    look whose share is less than half a run (alpha below 1 / 200,000: the earliest looks of
    the O'Brien-Fleming type with many rounds) or that has no p-value (one round) gets level 0:
    it cannot reject, and its tiny alpha is left unspent."""
    fractions = _fractions(max_rounds, min_rounds)
    t = np.abs(paired.cumulative_t(
        np.random.default_rng(RNG_SEED).standard_normal((_PATHS, max_rounds))))
    alive = np.ones(_PATHS, dtype=bool)
    previous, out = 0.0, []
    for n, frac in zip(range(min_rounds, max_rounds + 1), fractions, strict=True):
        count = round((spent(frac, alpha, spending) - spent(previous, alpha, spending)) * _PATHS)
        previous = frac
        look = t[:, n - 1]
        candidates = look[alive & np.isfinite(look)] if n >= 2 else np.empty(0)
        count = min(count, candidates.size)
        if count <= 0:
            out.append(0.0)
            continue
        threshold = float(np.partition(candidates, -count)[-count])
        out.append(float(2 * sps.t.sf(threshold, n - 1)))
        alive &= ~(look >= threshold)
    return tuple(out)


def first_crossing(p: np.ndarray, levels: np.ndarray, min_rounds: int = MIN_ROUNDS) -> np.ndarray:
    """Round (1-based) of the first look whose p-value is at most its level, per run; 0 when none.

    ``p`` holds the p-values after every round (one row per run, column j after round j + 1, as
    :func:`reports.analysis.paired.cumulative_paired_t` gives them); ``levels`` the nominal level
    of the looks after rounds ``min_rounds``, ``min_rounds + 1``, ..."""
    p = np.atleast_2d(np.asarray(p, dtype="float64"))
    looks = p[:, min_rounds - 1:min_rounds - 1 + len(levels)]
    hit = looks <= np.asarray(levels)[: looks.shape[1]]
    if hit.shape[1] == 0:
        return np.zeros(p.shape[0], dtype=int)
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + min_rounds, 0)


@dataclass(frozen=True)
class Decision:
    """Where a paired comparison stands after the rounds so far.

    ``status``: ``different`` (a look crossed its boundary; ``direction`` is ``b_higher`` or
    ``b_lower``, the side of 1 the ratio b/a is on), ``not_different`` (the last planned look
    did not cross: stop, no difference shown) or ``not_yet`` (more rounds may decide).
    ``look_round`` is the round of the deciding look (else the latest round), ``level`` the
    nominal level applied there (NaN before the first look). While ``not_yet``,
    ``rounds_needed`` is the estimated total rounds to detect the observed ratio at the observed
    noise (inf when the ratio is exactly 1 or unknown), and ``detectable_ratio`` the smallest
    ratio above 1 that ``max_rounds`` rounds would detect with 80% power at that noise."""

    status: str
    direction: str
    look_round: int
    level: float
    p: float
    ratio: float
    rounds_needed: float
    detectable_ratio: float


def rounds_needed(mean_log: float, sd_log: float, z_final: float, power: float = POWER) -> float:
    """Rounds for a paired test to detect a mean log ratio ``mean_log`` with ``power`` when one
    round's log ratio has spread ``sd_log``, testing at two-sided z boundary ``z_final``:
    ``n = ((z_final + z_power) · sd / |mean|)²`` (normal approximation, rounded up)."""
    if not (np.isfinite(mean_log) and np.isfinite(sd_log)) or mean_log == 0:
        return math.inf
    return float(math.ceil(((z_final + sps.norm.ppf(power)) * sd_log / abs(mean_log)) ** 2))


def detectable_ratio(sd_log: float, rounds: int, z_final: float, power: float = POWER) -> float:
    """Smallest ratio above 1 that ``rounds`` rounds detect with ``power``:
    ``exp((z_final + z_power) · sd / √rounds)`` (normal approximation; its mirror 1/r below 1)."""
    if not np.isfinite(sd_log) or rounds < 1:
        return NAN
    return math.exp((z_final + sps.norm.ppf(power)) * sd_log / math.sqrt(rounds))


def decide(a: np.ndarray, b: np.ndarray, max_rounds: int, *, min_rounds: int = MIN_ROUNDS,
           alpha: float = ALPHA, spending: str = "obrien_fleming",
           power: float = POWER) -> Decision:
    """The sequential decision on per-round values ``a`` and ``b`` (round r's pair at index r)
    after every round so far: the first look from ``min_rounds`` on whose paired-t p-value is at
    most its nominal level decides. Pairs that are not finite and positive are dropped before
    counting rounds, and rounds beyond ``max_rounds`` are not looked at."""
    levels = np.array(nominal_levels(max_rounds, min_rounds, alpha, spending))
    d = paired.log_ratios(a, b)[:max_rounds]
    n = int(d.size)
    z_final = float(sps.norm.isf(z_levels(max_rounds, min_rounds, alpha, spending)[-1] / 2))
    if n >= 2:
        t, p = paired.cumulative_paired_t(d)
        crossed = int(first_crossing(p, levels, min_rounds)[0])
    else:
        t, p, crossed = np.full((1, max(n, 1)), NAN), np.full((1, max(n, 1)), NAN), 0
    if crossed:
        k = crossed - 1
        ratio = math.exp(float(d[:crossed].mean()))
        return Decision("different", "b_higher" if t[0, k] > 0 else "b_lower", crossed,
                        float(levels[crossed - min_rounds]), float(p[0, k]), ratio, NAN, NAN)
    level = float(levels[n - min_rounds]) if n >= min_rounds else NAN
    mean = float(d.mean()) if n else NAN
    sd = float(d.std(ddof=1)) if n >= 2 else NAN
    status = "not_different" if n >= max_rounds else "not_yet"
    needed = rounds_needed(mean, sd, z_final, power) if status == "not_yet" else NAN
    return Decision(status, "", n, level, float(p[0, n - 1]) if n else NAN,
                    math.exp(mean) if n else NAN, needed,
                    detectable_ratio(sd, max_rounds, z_final, power))

"""The capacity search, pure: given an oracle that runs a step at a rate and says ``pass``,
``fail`` or ``client``, find the highest passing rate. No I/O, no clock: client/sweep.py gives it
the real oracle, the tests give it synthetic ones.

Grow: ``start``, ``start × GROWTH``, ... (the last one capped at ``max_rate``) until a step fails.
Bisect: the midpoint of the last pass and the first fail, until the bracket is within
``RESOLUTION`` of the passing rate (``fail <= pass × (1 + RESOLUTION)``). Stops early when a
step is the client's (``client``), when ``may_run`` refuses the next rate (the time budget), when
``max_rate`` passes, and when the very first rate fails. docs/methodology.md, "Capacity".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PASS, FAIL, CLIENT = "pass", "fail", "client"
GROWTH = 2.0  # each grow step offers this many times the previous rate
RESOLUTION = 0.05  # bisect until the first failing rate is within 5% above the last passing one

# Why the search stopped (the capacity block's ``limited_by``, open loop).
LIMITS: tuple[str, ...] = ("server", "client", "max_rate", "time_budget", "none_passed")


@dataclass(frozen=True)
class Probe:
    rate: float
    phase: str  # "grow" | "bisect"
    verdict: str  # PASS | FAIL | CLIENT


@dataclass(frozen=True)
class Bracket:
    passed: float | None  # the highest rate that passed (None: none did)
    failed: float | None  # the lowest rate above it that failed (None: none did)
    limited_by: str  # one of LIMITS
    probes: tuple[Probe, ...]


def midpoint(lo: float, hi: float) -> float:
    """The bisection rate, to 4 significant digits (strictly inside a bracket wider than 0.1%)."""
    return float(f"{(lo + hi) / 2:.4g}")


def converged(lo: float, hi: float, resolution: float = RESOLUTION) -> bool:
    return hi <= lo * (1 + resolution)


def search(oracle: Callable[[float, str], str], start: float, max_rate: float,
           growth: float = GROWTH, resolution: float = RESOLUTION,
           may_run: Callable[[float], bool] = lambda rate: True) -> Bracket:
    """Run the search with ``oracle(rate, phase) -> PASS | FAIL | CLIENT``; ``may_run(rate)``
    is asked before every step (False: the time budget is spent, stop)."""
    if not 0 < start <= max_rate or growth <= 1 or resolution <= 0:
        raise ValueError("need 0 < start <= max_rate, growth > 1, resolution > 0")
    probes: list[Probe] = []
    lo: float | None = None
    hi: float | None = None

    def ask(rate: float, phase: str) -> str | None:
        if not may_run(rate):
            return None
        verdict = oracle(rate, phase)
        if verdict not in (PASS, FAIL, CLIENT):
            raise ValueError(f"oracle said {verdict!r}")
        probes.append(Probe(rate, phase, verdict))
        return verdict

    rate = start
    while True:
        verdict = ask(rate, "grow")
        if verdict is None:
            return Bracket(lo, hi, "time_budget", tuple(probes))
        if verdict == CLIENT:
            return Bracket(lo, hi, "client", tuple(probes))
        if verdict == FAIL:
            hi = rate
            break
        lo = rate
        if rate >= max_rate:
            return Bracket(lo, None, "max_rate", tuple(probes))
        rate = min(rate * growth, max_rate)
    if lo is None:
        return Bracket(None, hi, "none_passed", tuple(probes))
    while not converged(lo, hi, resolution):
        mid = midpoint(lo, hi)
        verdict = ask(mid, "bisect")
        if verdict is None:
            return Bracket(lo, hi, "time_budget", tuple(probes))
        if verdict == CLIENT:
            return Bracket(lo, hi, "client", tuple(probes))
        if verdict == PASS:
            lo = mid
        else:
            hi = mid
    return Bracket(lo, hi, "server", tuple(probes))

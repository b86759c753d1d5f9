"""The capacity format, shared by ``client sweep`` / ``ladder`` and capacity cells: what a search
is asked to do (``CapacitySpec``), one step's record (``STEP_FIELDS`` of runfiles/columns.py, in
steps.csv's column order) and the ``capacity`` block of summary.json; runfiles/steps_csv.py writes
steps.csv. docs/results.md describes every field; client/sweep.py runs the steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from runfiles import validity
from runfiles.figures import lateness_ms, rates
from runfiles.run_result import RunResult
from runfiles.stats import latency_stats_ms

MODES: tuple[str, ...] = ("open", "closed")
PHASES: tuple[str, ...] = ("cost", "grow", "bisect", "ladder")
DEFAULT_LEVELS: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# Each open-loop step sends at least this many requests (a p99 rests on 2 samples beyond it),
# taking longer than its duration at low rates, but never longer than MIN_REQUESTS_MAX_S.
MIN_STEP_REQUESTS = 200
MIN_REQUESTS_MAX_S = 30.0

@dataclass(frozen=True)
class CapacitySpec:
    """A capacity search: ``open`` (the highest rate that holds the objective) or ``closed``
    (goodput and p99 at each connection level). Durations in seconds."""

    mode: str = "open"
    slo_p99_ms: float | None = None  # open only
    max_error_rate: float = validity.CAPACITY_MAX_ERROR_RATE
    start_rate: float = 50.0  # open only
    max_rate: float = 10_000.0  # open only
    step_duration_s: float = 3.0
    cost_rate: float | None = None  # a fixed-rate step first (per-request cost), when set
    cost_duration_s: float | None = None
    levels: tuple[int, ...] = field(default=DEFAULT_LEVELS)  # closed only
    time_budget_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("slo_p99_ms", "max_error_rate", "start_rate", "max_rate", "step_duration_s",
                     "cost_rate", "cost_duration_s", "time_budget_s"):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):  # JSON 50 -> 50.0
                object.__setattr__(self, name, float(value))
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.mode == "open":
            if self.slo_p99_ms is None or not _positive(self.slo_p99_ms):
                raise ValueError("slo_p99_ms must be a number > 0")
            if not (_positive(self.start_rate) and _positive(self.max_rate)):
                raise ValueError("start_rate and max_rate must be > 0")
            if self.start_rate > self.max_rate:
                raise ValueError(f"start_rate {self.start_rate:g} > max_rate {self.max_rate:g}")
        else:
            if not self.levels or any(isinstance(c, bool) or not isinstance(c, int) or c < 1
                                      for c in self.levels):
                raise ValueError("levels must be a non-empty list of integers >= 1")
            if list(self.levels) != sorted(set(self.levels)):
                raise ValueError("levels must be increasing")
        if not 0 <= self.max_error_rate <= 1:
            raise ValueError("max_error_rate must be between 0 and 1")
        for name in ("step_duration_s", "time_budget_s"):
            if not _positive(getattr(self, name)):
                raise ValueError(f"{name} must be > 0")
        if (self.cost_rate is None) != (self.cost_duration_s is None):
            raise ValueError("cost_rate and cost_duration_s go together")
        if self.cost_rate is not None and not (_positive(self.cost_rate)
                                               and _positive(self.cost_duration_s or 0)):
            raise ValueError("cost_rate and cost_duration_s must be > 0")

    def step_duration_at(self, rate: float) -> float:
        """An open-loop step's length at ``rate``: ``step_duration_s``, or longer to send
        ``MIN_STEP_REQUESTS``, but not beyond ``MIN_REQUESTS_MAX_S`` for that."""
        return max(self.step_duration_s, min(MIN_STEP_REQUESTS / rate, MIN_REQUESTS_MAX_S))

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "step_duration_s": self.step_duration_s,
                               "cost_rate": self.cost_rate, "cost_duration_s": self.cost_duration_s,
                               "time_budget_s": self.time_budget_s}
        if self.mode == "open":
            out.update({"slo_p99_ms": self.slo_p99_ms, "max_error_rate": self.max_error_rate,
                        "start_rate": self.start_rate, "max_rate": self.max_rate})
        else:
            out.update({"levels": list(self.levels), "max_error_rate": self.max_error_rate})
        return out


def _positive(x: object) -> bool:
    return (not isinstance(x, bool) and isinstance(x, (int, float)) and math.isfinite(x)
            and x > 0)


def step_record(index: int, phase: str, result: RunResult, offered_rps: float | None,
                concurrency: int | None, start_ns: int, end_ns: int,
                client_cpu_pct: float | None) -> dict[str, Any]:
    """One step's figures (``passed`` None and ``reason`` empty: the caller judges)."""
    lat = latency_stats_ms(result.latencies_ns)
    r = rates(result)
    err = validity.error_rate(result.requests, result.errors)
    late = lateness_ms(result)["p99"] if result.model == "open" else None
    return {"index": index, "phase": phase, "offered_rps": offered_rps,
            "concurrency": concurrency, "start_ns": start_ns, "end_ns": end_ns,
            "requests": result.requests, "errors": result.errors,
            "error_rate": None if err is None else round(err, 6),
            "achieved_rps": r["achieved_rps"], "attempted_rps": r["attempted_rps"],
            "p50_ms": lat["p50"], "p99_ms": lat["p99"], "client_cpu_pct": client_cpu_pct,
            "send_lateness_p99_ms": late, "passed": None, "reason": ""}


@dataclass
class CapacityOutcome:
    """What a search found: its steps (records in STEP_FIELDS order) and why it stopped."""

    spec: CapacitySpec
    steps: list[dict[str, Any]]
    max_rate_rps: float | None
    limited_by: str
    limit_note: str
    cost_step_index: int | None = None
    warnings: list[str] = field(default_factory=list)

    def block(self) -> dict[str, Any]:
        """summary.json's ``capacity`` block (and the sweep / ladder JSON line)."""
        open_loop = self.spec.mode == "open"
        return {"mode": self.spec.mode,
                "slo_p99_ms": float(self.spec.slo_p99_ms) if open_loop else None,
                "max_error_rate": self.spec.max_error_rate,
                "min_goodput_ratio": validity.MIN_GOODPUT_RATIO if open_loop else None,
                "max_rate_rps": self.max_rate_rps, "limited_by": self.limited_by,
                "limit_note": self.limit_note, "cost_step_index": self.cost_step_index,
                "steps": self.steps}

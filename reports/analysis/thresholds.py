"""Pass/fail thresholds on a run's summary rows (k6-style), and the verdict of a run. Pure.

Grammar (``-e thresholds=...`` in Ansible, ``--thresholds`` of ``python -m reports build``):
comma-separated conditions ``METRIC OP NUMBER`` that every variant × scenario row must meet, with
METRIC a column of summary.csv among ``METRICS`` and OP one of ``<  <=  >  >=``; for example
``p99_ms<50,error_rate<0.01,rps_median>=100``. A row without a value for the metric (no latency
sample, say) does not meet it. A latency figure marked ≥ (timed-out requests) is a lower bound:
it is compared as it is, so a bound already past the limit crosses it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

METRICS: tuple[str, ...] = ("mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
                            "error_rate", "rps_median", "attempted_rps_median")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_CONDITION = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


class ThresholdError(ValueError):
    """A thresholds expression that does not follow the grammar."""


@dataclass(frozen=True)
class Threshold:
    metric: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.value:g}"

    def met(self, observed: float) -> bool:
        return math.isfinite(observed) and OPERATORS[self.op](observed, self.value)


def parse(text: str) -> list[Threshold]:
    """``"p99_ms<50,error_rate<0.01"`` -> thresholds; ThresholdError naming the bad part."""
    out = []
    for part in (p for p in text.split(",") if p.strip()):
        match = _CONDITION.match(part)
        if not match:
            raise ThresholdError(f"threshold {part.strip()!r} is not METRIC<NUMBER (operators "
                                 "< <= > >=), e.g. p99_ms<50")
        metric, op, number = match.groups()
        if metric not in METRICS:
            raise ThresholdError(f"threshold {part.strip()!r}: unknown metric {metric!r}; "
                                 f"valid: {', '.join(METRICS)}")
        try:
            value = float(number)
        except ValueError:
            raise ThresholdError(f"threshold {part.strip()!r}: {number!r} is not a number") \
                from None
        out.append(Threshold(metric, op, value))
    return out


def crossings(summary: pd.DataFrame, thresholds: list[Threshold]) -> pd.DataFrame:
    """One row per (variant × scenario, threshold) that is not met."""
    rows = []
    for row in summary.itertuples():
        for t in thresholds:
            observed = pd.to_numeric(getattr(row, t.metric), errors="coerce")
            observed = float(observed) if pd.notna(observed) else math.nan
            if not t.met(observed):
                rows.append({"variant": row.variant, "scenario": row.scenario,
                             "threshold": str(t), "observed": observed})
    return pd.DataFrame(rows, columns=["variant", "scenario", "threshold", "observed"])


def run_verdict(run_id: str, summary: pd.DataFrame, thresholds: list[Threshold],
                crossed: pd.DataFrame) -> dict[str, Any]:
    """report/run-summary.json: what a machine needs to gate on this run."""
    failed = summary.loc[summary["status"] == "failed", ["variant", "scenario"]]
    degraded = summary.loc[summary["status"] == "degraded", ["variant", "scenario"]]
    return {
        "run_id": run_id,
        "rows": len(summary),
        "failed": [f"{v}/{s}" for v, s in failed.to_numpy()],
        "degraded": [f"{v}/{s}" for v, s in degraded.to_numpy()],
        "thresholds": [str(t) for t in thresholds],
        "crossed": [{"variant": r.variant, "scenario": r.scenario, "threshold": r.threshold,
                     "observed": None if math.isnan(r.observed) else r.observed}
                    for r in crossed.itertuples()],
        "passed": failed.empty and crossed.empty,
    }

"""The look of a run that stops when decided: which nominal level its verdicts use. Pure.

A rounds run with a time budget (run.json ``budget_s`` > 0) is asked after every round from
``min_rounds`` on whether its questions are decided (controller/budget.py, ``python -m reports
decide``) and stops when they are. Testing at 0.05 at every look would inflate false verdicts,
so such a run tests at the group-sequential nominal level of its current look
(reports/analysis/sequential.py ``nominal_levels``): with n rounds complete, look n - min_rounds;
below ``min_rounds`` nothing can be decided (level 0), beyond ``max_rounds`` the last level
holds. Runs without a budget keep ``ALPHA``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports.analysis import sequential
from reports.constants import ALPHA
from reports.loading.plan import RunPlan

# The controller's own default when run.json has no min_rounds (controller/budget.py).
DEFAULT_MIN_ROUNDS = 1


@dataclass(frozen=True)
class Look:
    """Where a budget run stands: ``rounds`` complete of at most ``max_rounds``, looks from
    ``min_rounds`` on, and the nominal ``level`` its verdicts use now."""

    rounds: int
    max_rounds: int
    min_rounds: int
    level: float

    def as_json(self) -> dict[str, float | int]:
        return {"rounds": self.rounds, "max_rounds": self.max_rounds,
                "min_rounds": self.min_rounds, "level": self.level}


def level_at(rounds: int, max_rounds: int, min_rounds: int) -> float:
    """The nominal level after ``rounds`` complete rounds: 0 before ``min_rounds`` (nothing can
    be decided), the last look's beyond ``max_rounds``."""
    if rounds < min_rounds:
        return 0.0
    levels = sequential.nominal_levels(max_rounds, min_rounds)
    return float(levels[min(rounds, max_rounds) - min_rounds])


def rounds_complete(cells: pd.DataFrame) -> int:
    """The rounds (= repetitions) in which every variant x scenario of ``cells`` has a cell."""
    if cells.empty:
        return 0
    keys = cells[["variant", "scenario"]].drop_duplicates()
    per_rep = cells.groupby("rep")[["variant", "scenario"]].apply(
        lambda g: len(g.drop_duplicates()))
    return int((per_rep >= len(keys)).sum())


def look(plan: RunPlan, cells: pd.DataFrame) -> Look | None:
    """The current look of a budget run (None without a budget, or when run.json does not say
    how many rounds the plan held)."""
    if not plan.budgeted or not plan.max_rounds:
        return None
    most = plan.max_rounds
    least = min(max(plan.min_rounds or DEFAULT_MIN_ROUNDS, 1), most)
    n = rounds_complete(cells)
    return Look(rounds=n, max_rounds=most, min_rounds=least, level=level_at(n, most, least))


def alpha_of(found: Look | None) -> float:
    """The level the run's verdicts use: the look's, else ``ALPHA``."""
    return ALPHA if found is None else found.level

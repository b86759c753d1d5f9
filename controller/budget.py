"""A run with a time budget (``-e budget=60m``, design rounds): before each new round, stop when
every question the run asks is decided (``python -m reports decide``, after ``min_rounds``) or
when the next round would overrun the budget. The time of a round is the mean of the rounds
this attempt ran, or the plan's estimate before the first one ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Decider = Callable[[], "Mapping[str, Any] | None"]


@dataclass
class Budget:
    budget_s: float
    min_rounds: int
    round_estimate_s: float
    started: float
    round_starts: dict[int, float] = field(default_factory=dict)
    rounds_done: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Mapping[str, Any], now: float) -> Budget | None:
        """The plan's budget, or None when it has none (or is not a rounds design)."""
        if plan.get("design") != "rounds" or not float(plan.get("budget_s") or 0):
            return None
        return cls(float(plan["budget_s"]), int(plan.get("min_rounds") or 1),
                   float(plan.get("round_estimate_s") or 0), now)

    def round_s(self) -> float:
        return (sum(self.rounds_done) / len(self.rounds_done) if self.rounds_done
                else self.round_estimate_s)

    def before(self, round_no: int, now: float, decided: Decider) -> str | None:
        """Why the run stops before round ``round_no`` (None: it goes on)."""
        previous = round_no - 1
        if previous in self.round_starts:
            self.rounds_done.append(now - self.round_starts[previous])
        self.round_starts[round_no] = now
        if previous >= self.min_rounds:
            answer = decided()
            if answer is not None and answer.get("questions") and not answer.get("open"):
                return (f"every question is decided after round {previous} "
                        f"({answer['questions']} question(s))")
        if now - self.started + self.round_s() > self.budget_s:
            return (f"round {round_no} would overrun the budget of {self.budget_s:.0f} s "
                    f"({now - self.started:.0f} s spent, a round takes about "
                    f"{self.round_s():.0f} s)")
        return None


def reports_decide(run_dir: Path, root: Path) -> Decider:
    """Ask ``python -m reports decide RUN_DIR`` which questions are still open (None when it
    cannot answer: the run goes on, within its budget)."""
    def ask() -> Mapping[str, Any] | None:
        done = subprocess.run([sys.executable, "-m", "reports", "decide", str(run_dir)],
                              cwd=root, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, timeout=600)
        if done.returncode != 0:
            return None
        try:
            answer = json.loads(done.stdout)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None
    return ask

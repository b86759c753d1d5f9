"""The run's design from run.json's ``plan`` (docs/results.md): whether repetitions are rounds, and
which variant has an A/A control. Pure; no I/O.

* ``design``: ``rounds`` (round r runs every cell of rep r once, so the repetitions of two
  variants pair by round) or ``shuffled`` (every cell of the run in one shuffled order: no
  pairing). Absent (every run before rounds) means ``shuffled``. Read from ``plan``, else
  ``parameters``; a run folder without either whose every cell's summary labels say
  ``design=rounds`` is read as rounds too.
* ``control``: "" or the variant X whose A/A control ``X~aa`` the run measured: X's unit again
  under another name, one cell per round and scenario.
* ``max_rounds``, ``min_rounds``: the rounds the plan held and the first round a stopping rule
  may look at (None when not recorded).
* ``budget_s``: the run's time budget in seconds (0: none). A rounds run with a budget stops
  when every question is decided (controller/budget.py), so its verdicts use the nominal level
  of the look (reports/analysis/looks.py).

A variant's name ends in ``~aa`` exactly when it is an A/A control; its unit (and its stack and
server) are those of the name without the suffix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reports.constants import AA_SUFFIX, DEFAULT_DESIGN, DESIGNS


@dataclass(frozen=True)
class RunPlan:
    design: str  # "rounds" | "shuffled"
    control: str  # "" or the variant X of the control X~aa
    max_rounds: int | None = None
    min_rounds: int | None = None
    budget_s: float = 0.0
    problems: tuple[str, ...] = ()

    @property
    def paired(self) -> bool:
        """Whether repetitions are rounds, so that comparisons pair them."""
        return self.design == "rounds"

    @property
    def budgeted(self) -> bool:
        """Whether the run may stop when decided: rounds with a time budget."""
        return self.paired and self.budget_s > 0


def is_control(variant: str) -> bool:
    """Whether ``variant`` is an A/A control (``X~aa``)."""
    return str(variant).endswith(AA_SUFFIX)


def unit_variant(variant: str) -> str:
    """The variant whose unit serves ``variant``: X for the control X~aa, else itself."""
    return str(variant).removesuffix(AA_SUFFIX)


def control_of(variant: str) -> str:
    """The name of the A/A control of ``variant``: ``X~aa``."""
    return f"{variant}{AA_SUFFIX}"


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return max(float(value), 0.0)


def run_plan(meta: Mapping[str, Any], cell_designs: Iterable[object] = ()) -> RunPlan:
    """The design of the run whose run.json is ``meta``; ``cell_designs`` are the cells' summary
    labels ``design`` (used only when run.json says nothing)."""
    plan = meta.get("plan") if isinstance(meta.get("plan"), dict) else {}
    params = meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {}
    source = plan if "design" in plan else params
    problems: list[str] = []
    design = source.get("design")
    if design is None:
        labels = [d for d in cell_designs if isinstance(d, str) and d]
        design = "rounds" if labels and all(d == "rounds" for d in labels) else DEFAULT_DESIGN
    elif design not in DESIGNS:
        problems.append(f"run.json: unknown design {design!r} (one of {', '.join(DESIGNS)}); "
                        f"read as {DEFAULT_DESIGN}: repetitions are not paired")
        design = DEFAULT_DESIGN
    control = plan.get("control", params.get("control")) or ""
    if not isinstance(control, str):
        problems.append(f"run.json: control must be a variant name, got {control!r:.40}")
        control = ""
    pick = plan if plan else params
    return RunPlan(design=str(design), control=unit_variant(control),
                   max_rounds=_int(pick.get("max_rounds")),
                   min_rounds=_int(pick.get("min_rounds")),
                   budget_s=_seconds(pick.get("budget_s", params.get("budget_s"))),
                   problems=tuple(problems))

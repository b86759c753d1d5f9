"""The demo run: a synthetic run folder of both papers' scenarios, capacity cells and a database."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reports.synthetic.capacity_cells import CAPACITY_MODELS, CAPACITY_SCENARIOS, add_capacity_cells
from reports.synthetic.database import add_database
from reports.synthetic.runs import demo_plan, make_run


def write_demo_run(out: Path, scenarios: Sequence[str], *, reps: int, requests: int,
                   database: str) -> Path:
    """Write the demo's run folder under ``out`` (scenarios already validated) and return it."""
    plan = demo_plan([s for s in scenarios if s not in CAPACITY_SCENARIOS])
    make_run(out, reps=reps, requests_per_rep=requests, plan=plan)
    capacity = [s for s in scenarios if s in CAPACITY_SCENARIOS]
    planned = {v for v, _ in plan}  # capacity curves for these variants (all without a plan)
    models = {v: m for v, m in CAPACITY_MODELS.items() if not planned or v in planned}
    if capacity:
        add_capacity_cells(out, capacity, reps=reps, models=models)
    add_database(out, database)
    return out

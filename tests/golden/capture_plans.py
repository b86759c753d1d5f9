"""Writes tests/golden/plans/*.json: the plan bench_plan computes for each case below.

Run from the repository: ``.venv/bin/python tests/golden/capture_plans.py``. The files were first
written by the Jinja planner of roles/bench_plan, before the planner moved to controller/; the
Python planner gives the same cells in the same order (tests/unit/test_controller_plan.py). Since
the design rounds became the default, the cases from then ask for design=shuffled (the order
before designs, kept cell for cell); the cases named *-rounds*, *-control* and *-budget* show the
design rounds. A golden keeps each cell's name only (a typed cell follows from its name, the
order and the plan's other fields).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAPER1_PAIR = "flask_sqlite3-gunicorn_gthread,django_drf-gunicorn_gthread"
SHUFFLED = "design=shuffled"
CASES = {
    "smoke-seed": ["profile=smoke", "seed=12345", SHUFFLED],
    "quick-seed": ["profile=quick", "seed=12345", SHUFFLED],
    "quick-runid": ["profile=quick", SHUFFLED],
    "paper1-seed": ["profile=paper1", "seed=987654321", SHUFFLED],
    "paper1-runid": ["profile=paper1", SHUFFLED],
    "paper1-procedure-seed": ["profile=paper1", "procedure=paper1", "seed=42"],
    "paper1-procedure-runid": ["profile=paper1", "procedure=paper1"],
    "paper1-procedure-subset": ["profile=quick", "procedure=paper1",
                                "scenarios=p1_get,p1_hello,p1_delete", f"variants={PAPER1_PAIR}",
                                "repetitions=3", "scale=0.5", "seed=7"],
    "paper2-seed": ["profile=paper2", "seed=1", SHUFFLED],
    "paper2-runid": ["profile=paper2", SHUFFLED],
    "capacity-seed": ["profile=capacity", "seed=99", SHUFFLED],
    "capacity-runid": ["profile=capacity", SHUFFLED],
    "paper-seed": ["profile=paper", "seed=2024", SHUFFLED],
    "paper-runid": ["profile=paper", "versions=paper", SHUFFLED],
    "overrides": ["profile=quick", "variants=fastapi_sqlite3-uvicorn, flask_sqlite3-flask_dev",
                  "scenarios=p2_get_constant,smoke_get", "repetitions=4", "scale=0.25",
                  "seed=0", "add_warmup=true", SHUFFLED],
    "seed-zero": ["profile=smoke", "seed=0", "repetitions=5", SHUFFLED],
    "postgresql": ["profile=smoke", "database=postgresql", "seed=5",
                   "results_dir=/tmp/fwbench-results", SHUFFLED],
    "lab-clients": ["profile=smoke", "lab_clients=3", "seed=5", SHUFFLED],
    # the design rounds (the default but under procedure=paper1)
    "smoke-rounds": ["profile=smoke", "seed=12345", "repetitions=3"],
    "quick-rounds": ["profile=quick", "seed=12345", "repetitions=2"],
    "quick-rounds-runid": ["profile=quick", "repetitions=2", "min_measure_s=0"],
    "paper1-rounds-control": ["profile=paper1", "seed=987654321"],
    "paper2-rounds-control": ["profile=paper2", "seed=1", "control=django_drf-daphne",
                              "repetitions=3"],
    "paper1-procedure-rounds-control": ["profile=quick", "procedure=paper1", "design=rounds",
                                        "scenarios=p1_get,p1_hello,p1_delete",
                                        f"variants={PAPER1_PAIR}", "repetitions=3", "scale=0.5",
                                        "seed=7", "control=django_drf-gunicorn_gthread"],
    "quick-budget": ["profile=quick", "seed=3", "budget=2h", "min_measure_s=3"],
    "paper-budget": ["profile=paper", "seed=2024", "budget=1h30m", "control=none",
                     "variants=flask_sqlite3-gunicorn_gthread,fastapi_sqlite3-uvicorn"],
}


def capture(name: str, options: list[str]) -> dict:
    """bench_plan_run for ``options`` (and run_id=golden-NAME), from the playbook."""
    out = Path(tempfile.gettempdir()) / f"fwbench-plan-{name}.json"
    args = [str(REPO / ".venv/bin/ansible-playbook"), "tests/golden/dump_plan.yml",
            "-e", f"plan_out={out}"]
    for option in options:
        args += ["-e", option]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.read_text())


def main() -> None:
    for name, options in CASES.items():
        options = [*options, f"run_id=golden-{name}"]
        plan = capture(name, options)
        plan["cells"] = [cell["name"] for cell in plan["cells"]]
        target = REPO / "tests/golden/plans" / f"{name}.json"
        target.write_text(json.dumps({"options": options, "plan": plan}, indent=1) + "\n")
        print(f"{name}: {len(plan['cells'])} cells, seed {plan['seed']!r}")


if __name__ == "__main__":
    main()

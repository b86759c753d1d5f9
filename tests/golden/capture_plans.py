"""Writes tests/golden/plans/*.json: the plan bench_plan computes for each case below.

Run from the repository: ``.venv/bin/python tests/golden/capture_plans.py``. The files were first
written by the Jinja planner of roles/bench_plan, before the planner moved to controller/; the
Python planner gives the same cells in the same order (tests/unit/test_controller_plan.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAPER1_PAIR = "flask_sqlite3-gunicorn_gthread,django_drf-gunicorn_gthread"
CASES = {
    "smoke-seed": ["profile=smoke", "seed=12345"],
    "quick-seed": ["profile=quick", "seed=12345"],
    "quick-runid": ["profile=quick"],
    "paper1-seed": ["profile=paper1", "seed=987654321"],
    "paper1-runid": ["profile=paper1"],
    "paper1-procedure-seed": ["profile=paper1", "procedure=paper1", "seed=42"],
    "paper1-procedure-runid": ["profile=paper1", "procedure=paper1"],
    "paper1-procedure-subset": ["profile=quick", "procedure=paper1",
                                "scenarios=p1_get,p1_hello,p1_delete", f"variants={PAPER1_PAIR}",
                                "repetitions=3", "scale=0.5", "seed=7"],
    "paper2-seed": ["profile=paper2", "seed=1"],
    "paper2-runid": ["profile=paper2"],
    "capacity-seed": ["profile=capacity", "seed=99"],
    "capacity-runid": ["profile=capacity"],
    "paper-seed": ["profile=paper", "seed=2024"],
    "paper-runid": ["profile=paper", "versions=paper"],
    "overrides": ["profile=quick", "variants=fastapi_sqlite3-uvicorn, flask_sqlite3-flask_dev",
                  "scenarios=p2_get_constant,smoke_get", "repetitions=4", "scale=0.25",
                  "seed=0", "add_warmup=true"],
    "seed-zero": ["profile=smoke", "seed=0", "repetitions=5"],
    "postgresql": ["profile=smoke", "database=postgresql", "seed=5",
                   "results_dir=/tmp/fwbench-results"],
    "lab-clients": ["profile=smoke", "lab_clients=3", "seed=5"],
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
        target = REPO / "tests/golden/plans" / f"{name}.json"
        target.write_text(json.dumps({"options": options, "plan": plan}, indent=1) + "\n")
        print(f"{name}: {len(plan['cells'])} cells, seed {plan['seed']!r}")


if __name__ == "__main__":
    main()

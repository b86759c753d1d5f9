"""``python -m controller plan``: the run plan as JSON (roles/bench_plan calls it once per run).

The request is one JSON document on stdin (or ``--request FILE``)::

    {"root": "/path/to/fwbench",
     "options": {"profile", "variants", "scenarios", "repetitions", "run_id", "seed", "scale",
                 "results_dir", "versions", "add_warmup", "procedure", "lab_clients",
                 "database", "design", "control", "budget", "min_measure_s",
                 "warmup"},                         # the bench_plan_* values, as Ansible has them
                                                    # (control null: not given, the profile's)
     "settings": {"profiles", "procedures", "databases", "paper1_order", "paper1_settle_s",
                  "paper1_pause_s", "cell_overhead_s",  # roles/bench_plan/defaults
                  "stacks", "version_sets"},        # fwbench_stacks, fwbench_version_sets
     "inventory": {"groups", "ansible_host", "bench_address"}}   # controller/hosts.py

It prints ``{"run": RUN, "lab_clients": [...]}`` (controller/plan.py). The scenario names are
those of ROOT/client/scenarios/*.json; their load times at the run's scale come from
``python -m client scenarios --scale S``, run with this Python in ROOT. A bad option or
inventory exits 2 with the one-line message.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from controller.errors import UsageError
from controller.plan import Catalogue, plan_run


def scenario_files(root: Path) -> list[str]:
    """The names of the scenario files of client/scenarios/, sorted."""
    return sorted(path.stem for path in (root / "client" / "scenarios").glob("*.json"))


def catalogue_in(root: Path) -> Catalogue:
    """Reads the scenario catalogue at a scale from the client's command line."""
    def read(scale: str) -> list[dict[str, Any]]:
        result = subprocess.run(
            [sys.executable, "-m", "client", "scenarios", "--scale", scale], cwd=root,
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no message"])[-1]
            raise UsageError(f"python -m client scenarios --scale {scale} failed: {last}")
        return json.loads(result.stdout)["scenarios"]
    return read


def read_request(source: str) -> dict[str, Any]:
    """The request, from a file or stdin ("-")."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        request = json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the plan request {source}: {exc}") from exc
    missing = [key for key in ("root", "options", "settings", "inventory")
               if key not in request]
    if missing:
        raise UsageError(f"the plan request lacks {', '.join(missing)}")
    return request


def cmd_plan(args: argparse.Namespace) -> int:
    request = read_request(args.request)
    root = Path(request["root"])
    plan = plan_run(request, scenario_files(root), catalogue_in(root),
                    datetime.now(timezone.utc))
    print(json.dumps(plan))
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the controller's parser."""
    plan = sub.add_parser("plan", help="check the options and inventory and print the run plan")
    plan.add_argument("--request", default="-",
                      help="the plan request (JSON; default -: stdin)")
    plan.set_defaults(func=cmd_plan)

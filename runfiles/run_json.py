"""run.json: the run's setup, hosts, parameters and progress (docs/results.md, "run.json").

Written by the controller at the start of every attempt (``python -m controller run-info``) and
completed at the end; read back on resume and by the report. The text is Ansible's
``to_nice_json`` (sorted keys, 4-space indent, ASCII), so a file written here reads the same as
one the role wrote before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runfiles.atomic import write_text_atomic

RUN_JSON = "run.json"

# The keys of run.json, in docs/results.md's order; an earlier attempt's other keys are kept.
KEYS: tuple[str, ...] = (
    "run_id", "started", "finished", "attempts", "profile", "git_commit", "ansible_version",
    "inventory", "lab", "database", "network", "parameters", "settings", "clock_offsets",
    "hosts", "variants")
# Written when an attempt ends (roles/bench_run/tasks/finish.yml).
END_KEYS: tuple[str, ...] = ("cells_finished", "cells_failed", "cells_degraded")
PARAMETER_KEYS: tuple[str, ...] = (
    "variants", "scenarios", "versions", "repetitions", "scale", "pause_s", "seed", "add_warmup",
    "procedure", "database", "settle_s", "session_pause_s", "design", "control", "min_measure_s",
    "warmup", "budget_s", "min_rounds", "max_rounds", "cell_order")


class RunJsonError(ValueError):
    """run.json exists but is not a JSON object."""


def dumps(info: dict[str, Any]) -> str:
    """run.json's text: sorted keys, 4-space indent, ASCII, a final newline."""
    return json.dumps(info, indent=4, sort_keys=True, separators=(",", ": ")) + "\n"


def read(run_dir: Path) -> dict[str, Any]:
    """The run.json of ``run_dir`` (empty for a new run); ``RunJsonError`` when it is not JSON."""
    path = run_dir / RUN_JSON
    if not path.exists():
        return {}
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RunJsonError(f"{path} is not valid JSON ({exc}); move it aside or pick another "
                           "run_id") from None
    if not isinstance(info, dict):
        raise RunJsonError(f"{path} is not a JSON object; move it aside or pick another run_id")
    return info


def problems(info: dict[str, Any]) -> list[str]:
    """What a freshly built run.json lacks (empty when every key of ``KEYS`` is there)."""
    missing = [key for key in KEYS if key not in info]
    params = info.get("parameters")
    if isinstance(params, dict):
        missing += [f"parameters.{key}" for key in PARAMETER_KEYS if key not in params]
    return [f"key {key!r} is missing" for key in missing]


def write(run_dir: Path, info: dict[str, Any]) -> None:
    """Write ``run_dir/run.json`` atomically."""
    write_text_atomic(run_dir / RUN_JSON, dumps(info))

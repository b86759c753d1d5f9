"""Resuming a run: the settings that define its cells must not change between attempts, or the
results would mix cells measured under different settings.

``differences(previous_parameters, plan)`` lists every such setting that differs, in words;
empty means the rerun may resume. ``check(run_dir, plan)`` reads the run's run.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# What defines a cell's measurement (repetitions may grow: more cells of the same kind; so may
# a budget, which only decides how many rounds there are).
RESUME_KEYS: tuple[str, ...] = ("scale", "versions", "variants", "scenarios", "seed",
                                "add_warmup", "procedure", "database", "design", "control",
                                "min_measure_s", "warmup")
# What a run from before a key was planned with: the absent key reads as this.
BEFORE: dict[str, object] = {"procedure": "isolated", "database": "sqlite",
                             "design": "shuffled", "control": "", "warmup": "scenario"}


def _norm(key: str, value: object) -> object:
    if key in ("variants", "scenarios") and isinstance(value, list):
        return sorted(str(v) for v in value)
    if key == "add_warmup":
        return str(value).lower() in ("true", "1", "yes")  # absent (older runs): no warm-up added
    if key in BEFORE:
        # absent (older runs): isolated cells, SQLite, all cells shuffled together, no control,
        # the scenario's own warm-up
        return value or BEFORE[key]
    if key == "min_measure_s" and value is None:
        return 0.0  # absent (older runs): no floor
    if key in ("scale", "min_measure_s"):
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return value
    return None if value is None else str(value)


def differences(previous: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    out = []
    for key in RESUME_KEYS:
        before, now = _norm(key, previous.get(key)), _norm(key, plan.get(key))
        if before != now:
            out.append(f"{key}: {previous.get(key)!r} before, {plan.get(key)!r} now")
    return out


def check(run_dir: Path, plan: dict[str, Any]) -> list[str]:
    """Why the run in ``run_dir`` cannot be resumed with ``plan`` (empty: it can, or it is new)."""
    path = run_dir / "run.json"
    if not path.exists():
        return []
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [f"{path} is unreadable ({type(exc).__name__}); move it aside or pick another "
                "run_id"]
    params = meta.get("parameters") if isinstance(meta, dict) else None
    if not isinstance(params, dict):
        return [f"{path} has no parameters object; move it aside or pick another run_id"]
    return differences(params, plan)

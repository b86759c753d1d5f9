"""The controller's view of a cell folder, for resuming a run: is the cell finished, failed, never
run, or is its marker (summary.json) corrupt? And the one way a fetched marker becomes final.

* ``state``: ``finished`` (a valid summary.json), ``failed`` (a valid one whose status is failed),
  ``missing`` (none: the cell runs), ``corrupt`` (unreadable or invalid: it is moved aside as
  ``summary.json.corrupt-N`` and the cell runs again). With ``retry_failed`` a failed cell's
  folder is moved aside as ``rep-K.failed-N`` (kept, never deleted) and the cell runs again.
* ``commit``: a summary fetched as ``summary.json.part`` is validated, fsynced and renamed to
  ``summary.json``; an invalid one stays ``.part`` and the commit fails, naming the problem.
* ``run_status``: every finished cell of a run folder and its status, and the markers that are
  not valid (named, never a traceback).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from runfiles.summary_json import summary_problems, write_json_atomic

PART = "summary.json.part"


def read_summary(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(summary, None) when ``path`` holds a valid summary, else (None, the reason)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "missing"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"unreadable ({type(exc).__name__}: {str(exc)[:80]})"
    problems = summary_problems(data)
    if problems:
        return None, "; ".join(problems)
    return data, None


def _aside(path: Path, suffix: str) -> Path:
    n = 1
    while (target := path.with_name(f"{path.name}.{suffix}-{n}")).exists():
        n += 1
    os.replace(path, target)
    return target


def state(cell_dir: Path, retry_failed: bool = False) -> dict[str, Any]:
    marker = cell_dir / "summary.json"
    if not marker.exists():
        return {"state": "missing"}
    summary, problem = read_summary(marker)
    if summary is None:
        moved = _aside(marker, "corrupt")
        return {"state": "corrupt", "reason": problem, "moved_to": str(moved),
                "warning": f"{marker}: {problem}; moved to {moved.name}, the cell runs again"}
    if summary.get("status") == "failed":
        if retry_failed:
            moved = _aside(cell_dir, "failed")
            return {"state": "retry", "moved_to": str(moved),
                    "warning": f"{cell_dir.name} failed before; kept as {moved.name}, the cell "
                               "runs again"}
        return {"state": "failed"}
    return {"state": "finished"}


def commit(cell_dir: Path) -> dict[str, Any]:
    """Validate ``summary.json.part`` and make it the cell's ``summary.json``."""
    part = cell_dir / PART
    summary, problem = read_summary(part)
    if summary is None:
        raise ValueError(f"{part}: {problem}")
    write_json_atomic(cell_dir / "summary.json", summary)
    part.unlink()
    return summary


def run_status(run_dir: Path) -> dict[str, Any]:
    """``cells``: "variant/scenario/rep-K" -> status of every valid marker; ``invalid``: the
    markers that are not valid, each with its reason."""
    cells: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for marker in sorted((run_dir / "cells").glob("*/*/rep-*/summary.json")):
        name = str(marker.parent.relative_to(run_dir / "cells"))
        if not marker.parent.name.removeprefix("rep-").isdigit():
            continue  # a folder moved aside (rep-K.failed-N)
        summary, problem = read_summary(marker)
        if summary is None:
            invalid[name] = problem or "invalid"
        else:
            cells[name] = str(summary["status"])
    return {"cells": cells, "invalid": invalid}

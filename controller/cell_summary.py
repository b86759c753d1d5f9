"""The summary.json of a cell that could not run, built by the results model's one builder
(runfiles/summary_json.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runfiles.summary_json import failed_summary, write_json_atomic


def write_failed_summary(out: Path, labels: dict[str, Any], scenario: str, reason: str,
                         step: str) -> dict[str, Any]:
    """Write ``out/summary.json`` (status failed, the reason, the failed step's id as
    ``failed_task``) atomically and return it."""
    summary = failed_summary({**labels, "scenario": scenario}, reason,
                             {"failed_task": step, "labels": labels})
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / "summary.json", summary)
    return summary

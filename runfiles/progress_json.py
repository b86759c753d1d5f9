"""progress.json: where a run is, rewritten before each cell (docs/results.md).

The keys are those the role wrote before: ``run_id``, ``cells_total``, ``cell_index`` (1-based),
``cell``, ``cells_measured_this_attempt``, ``elapsed_s``, ``estimate_s`` and ``updated`` (ISO 8601
UTC). The text is Ansible's ``to_nice_json`` (sorted keys, 4-space indent), with no final newline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runfiles.atomic import write_text_atomic

PROGRESS_JSON = "progress.json"
KEYS: tuple[str, ...] = ("run_id", "cells_total", "cell_index", "cell",
                         "cells_measured_this_attempt", "elapsed_s", "estimate_s", "updated")


def dumps(progress: dict[str, Any]) -> str:
    """progress.json's text (sorted keys, 4-space indent, ASCII)."""
    return json.dumps(progress, indent=4, sort_keys=True, separators=(",", ": "))


def write(run_dir: Path, progress: dict[str, Any]) -> None:
    """Write ``run_dir/progress.json`` atomically; ``ValueError`` when a key is missing or extra."""
    if set(progress) != set(KEYS):
        raise ValueError(f"progress.json keys {sorted(progress)} differ from {sorted(KEYS)}")
    write_text_atomic(run_dir / PROGRESS_JSON, dumps(progress))

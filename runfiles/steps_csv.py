"""steps.csv of a capacity cell: one row per step of its search, ``STEP_FIELDS`` as columns
(runfiles/columns.py), the same records as the ``capacity.steps`` of its summary.json."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from runfiles.columns import STEP_FIELDS


def steps_csv(steps: list[dict[str, Any]]) -> str:
    """steps.csv's text: STEP_FIELDS as columns, one row per step (empty cells for null,
    ``true`` / ``false`` for ``passed``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STEP_FIELDS)
    for st in steps:
        w.writerow(["" if st[k] is None else str(st[k]).lower() if isinstance(st[k], bool)
                    else st[k] for k in STEP_FIELDS])
    return buf.getvalue()


def write_steps_csv(path: Path, steps: list[dict[str, Any]]) -> None:
    """Write steps.csv whole (temporary name, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        f.write(steps_csv(steps))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)

"""Writers of report/summary.csv, comparisons.csv, reproduction.csv, control.csv,
instability.csv, capacity.csv and capacity_steps.csv: the frames the ``Analysis`` holds, in their
contract columns then extras (docs/results.md), each ending with the run's database columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports.constants import (
    CAPACITY_COLUMNS,
    CAPACITY_DB_COLUMNS,
    CAPACITY_EXTRA_COLUMNS,
    CAPACITY_STEP_COLUMNS,
    CAPACITY_STEP_EXTRA_COLUMNS,
    COMPARISON_COLUMNS,
    COMPARISON_EXTRA_COLUMNS,
    CONTROL_COLUMNS,
    DB_SUMMARY_COLUMNS,
    INSTABILITY_COLUMNS,
    REPRODUCTION_COLUMNS,
    REPRODUCTION_EXTRA_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
)
from reports.loading.database import Database, with_database


def write_summary_csv(summary: pd.DataFrame, path: Path, database: Database) -> None:
    """report/summary.csv; a database on its own host adds its host's resources."""
    with_database(summary, [*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS], database,
                  DB_SUMMARY_COLUMNS).to_csv(path, index=False, float_format="%.6g")


def write_comparisons_csv(comparisons: pd.DataFrame, path: Path, database: Database) -> None:
    with_database(comparisons, [*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS],
                  database).to_csv(path, index=False, float_format="%.6g")


def write_reproduction_csv(reproduction: pd.DataFrame, path: Path, database: Database) -> None:
    with_database(reproduction, [*REPRODUCTION_COLUMNS, *REPRODUCTION_EXTRA_COLUMNS],
                  database).to_csv(path, index=False, float_format="%.6g")


CONTROL_FILE = "control.csv"


def write_control_csv(control: pd.DataFrame, out: Path, database: Database) -> Path | None:
    """report/control.csv, one row per A/A control and scenario; none, and an earlier one
    removed, without a control."""
    path = out / CONTROL_FILE
    if control.empty:
        path.unlink(missing_ok=True)
        return None
    with_database(control, list(CONTROL_COLUMNS), database).to_csv(path, index=False,
                                                                  float_format="%.6g")
    return path


def write_instability_csv(instability: pd.DataFrame, path: Path, database: Database) -> None:
    """report/instability.csv: one row per instability finding (the header alone when none)."""
    with_database(instability, list(INSTABILITY_COLUMNS), database).to_csv(
        path, index=False, float_format="%.6g")


CAPACITY_FILES = ("capacity.csv", "capacity_steps.csv")


def write_capacity_csvs(reps: pd.DataFrame, steps: pd.DataFrame, out: Path,
                        database: Database) -> list[Path]:
    """report/capacity.csv (one row per capacity repetition; a database on its own host adds
    its host's cost) and report/capacity_steps.csv (every step of every capacity cell); none,
    and any earlier ones removed, without capacity cells."""
    paths = [out / name for name in CAPACITY_FILES]
    if reps.empty:
        for path in paths:
            path.unlink(missing_ok=True)
        return []
    with_database(reps, [*CAPACITY_COLUMNS, *CAPACITY_EXTRA_COLUMNS], database,
                  CAPACITY_DB_COLUMNS).to_csv(paths[0], index=False, float_format="%.6g")
    with_database(steps, [*CAPACITY_STEP_COLUMNS, *CAPACITY_STEP_EXTRA_COLUMNS],
                  database).to_csv(paths[1], index=False, float_format="%.6g")
    return paths

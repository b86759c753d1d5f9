"""Validity findings about the run's database, in ``reports.analysis.findings``'s columns: a
run.json without a database block, a database that did not answer, and per cell of a database on its
own host (PostgreSQL) a missing ``monitor-db.csv`` (its figures are then blank, never zero), a
missing ``database.json`` (the reset before the cell) or a reset to another number of rows than
the run seeds. Pure; the run's ``Database``, cells and run.json in, a DataFrame out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports.analysis.findings import COLUMNS, finding
from reports.loading.database import Database
from reports.loading.run_folder import DATABASE_RESET, MONITOR_SIDES


def _run_items(db: Database) -> list[dict[str, Any]]:
    items = []
    if not db.recorded:
        items.append(finding("info", "", "", 0, "run",
                             f"run.json has no database block (written before the database was "
                             f"recorded): {db.label} assumed, its version unknown"))
    if db.own_host and db.error:
        items.append(finding("warning", "", "", 0, "run",
                             f"the database ({db.label} on {db.host or 'its host'}) did not "
                             f"answer when the run was described: {db.error}"))
    return items


def _seeded(meta: dict[str, Any]) -> int | None:
    settings = meta.get("settings") if isinstance(meta.get("settings"), dict) else {}
    rows = settings.get("seed_items")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def _cell_items(cell: Any, db: Database, seeded: int | None) -> list[dict[str, Any]]:
    v, s, k = cell.variant, cell.scenario, int(cell.rep)
    items = []
    if not getattr(cell, "has_db_monitor", False):
        items.append(finding("warning", v, s, k, "report",
                             f"{MONITOR_SIDES['db']} missing or empty: no CPU or memory of the "
                             f"database host ({db.host or db.label}) for this repetition, its "
                             "figures are blank"))
    reset = getattr(cell, "db_reset", None)
    if not isinstance(reset, dict):
        items.append(finding("info", v, s, k, "report",
                             f"{DATABASE_RESET} missing: the reset of the database before this "
                             "cell is not recorded"))
    elif seeded is not None and isinstance(reset.get("items"), int) and reset["items"] != seeded:
        items.append(finding("warning", v, s, k, "report",
                             f"the database was reset to {reset['items']:,} rows before this "
                             f"cell, not the {seeded:,} the run seeds"))
    return items


def database_findings(db: Database, cells: pd.DataFrame,
                      meta: dict[str, Any]) -> pd.DataFrame:
    """Every finding about the database (``reports.analysis.findings`` columns), capacity cells
    included."""
    items = _run_items(db)
    if db.own_host:
        seeded = _seeded(meta)
        for cell in cells.itertuples():
            items += _cell_items(cell, db, seeded)
    table = pd.DataFrame(items, columns=COLUMNS)
    table["rep"] = table["rep"].astype("int64")
    return table

"""Paper-2 compatible export: one CSV per paper-2 cell, ``Iteration,Execution Time (seconds)``.

Paper 2 (Malatjie & Faniso-Myaka, "Comparative analysis of HTTP request handling in different
Python frameworks", 2025) kept one such file per framework and method, named by its client as
``get_django_dephne_times.csv`` (sic), iterations numbered from 1. Here the same names
(``<method>_<name>_times.csv``, ``reports.constants.PAPER2_FILE_NAMES``; a variant the paper did
not have keeps its own name) sit in one folder per load and repetition::

    paper2/<load>/rep-<k>/get_flask_gevent_times.csv      load: constant, concurrent, rate200
    paper2/index.csv                                      file -> variant, scenario, rep, ...,
                                                          the run's database

so each folder holds what the paper's scripts read. Its tooling wrote a failed request as 0 s,
the fastest possible time; here a failed request keeps its row with an empty time by default,
so spreadsheet and pandas averages skip it, and as 0 only on request (``failures="zero"``,
``reports build --paper2-failures zero``). The rows come from the analysis
(``Analysis.paper2_cells``); this module only names, formats and writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from reports.constants import DATABASE_COLUMN, PAPER2_FAILURES, PAPER2_FILE_NAMES, PAPER2_LOADS

COLUMNS = ("Iteration", "Execution Time (seconds)")
INDEX = "index.csv"
INDEX_COLUMNS = ("file", "variant", "scenario", "load", "method", "rep", "iterations", "failed",
                 "failures_written_as", DATABASE_COLUMN)
_SCENARIO_LOAD = {scenario: (load, method)
                  for load, (_, get_s, post_s, _) in PAPER2_LOADS.items()
                  for scenario, method in ((get_s, "get"), (post_s, "post"))}


def paper2_name(variant: str) -> str:
    """The paper's name part of a variant ("django_drf-daphne" -> "django_dephne"); a variant
    the paper did not have keeps its own name (file-safe; it contains "-", which no paper name
    does, so the two never collide)."""
    return PAPER2_FILE_NAMES.get(variant) or re.sub(r"[^A-Za-z0-9._-]+", "_", variant)


def file_name(variant: str, scenario: str, rep: int) -> str:
    """The relative path of a cell's export."""
    load, method = _SCENARIO_LOAD.get(scenario, (scenario, "get"))
    return f"{load}/rep-{rep}/{method}_{paper2_name(variant)}_times.csv"


def paper2_files(cells: dict[tuple[str, str, int], pd.DataFrame],
                 failures: str = "blank") -> dict[str, pd.DataFrame]:
    """Relative file name -> the cell's rows in paper 2's format (seconds; a failed request
    blank, or 0 with ``failures="zero"``)."""
    if failures not in PAPER2_FAILURES:
        raise ValueError(f"failures must be one of {PAPER2_FAILURES}: {failures!r}")
    files = {}
    for (variant, scenario, rep), rows in cells.items():
        seconds = rows["latency_ms"].to_numpy(dtype="float64") / 1000.0
        if failures == "zero":
            seconds = np.where(np.isnan(seconds), 0.0, seconds)
        iterations = rows["iteration"] if "iteration" in rows else rows["seq"] + 1
        files[file_name(variant, scenario, rep)] = pd.DataFrame(
            {COLUMNS[0]: iterations.to_numpy(), COLUMNS[1]: seconds})
    return files


def paper2_index(cells: dict[tuple[str, str, int], pd.DataFrame], failures: str = "blank",
                 *, database: str) -> pd.DataFrame:
    """One row per exported file: which cell it holds, how its failures are written, and the
    run's database kind."""
    rows = []
    for (variant, scenario, rep), frame in cells.items():
        load, method = _SCENARIO_LOAD.get(scenario, (scenario, "get"))
        rows.append({"file": file_name(variant, scenario, rep), "variant": variant,
                     "scenario": scenario, "load": load, "method": method.upper(), "rep": rep,
                     "iterations": len(frame), "failed": int(frame["latency_ms"].isna().sum()),
                     "failures_written_as": "0" if failures == "zero" else "blank",
                     DATABASE_COLUMN: database})
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def write_paper2(cells: dict[tuple[str, str, int], pd.DataFrame], out: Path,
                 failures: str = "blank", *, database: str) -> list[Path]:
    """Write each paper-2 cell under ``out`` and ``out/index.csv`` (the CSV files of an earlier
    build there are removed first); return the files written."""
    if out.is_dir():
        for old in sorted(out.rglob("*.csv")):
            old.unlink()
        for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    written = []
    for name, frame in paper2_files(cells, failures).items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, float_format="%.6f")
        written.append(path)
    if cells:
        out.mkdir(parents=True, exist_ok=True)
        paper2_index(cells, failures, database=database).to_csv(out / INDEX, index=False)
        written.append(out / INDEX)
    return written

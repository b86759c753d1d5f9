"""summary.csv, tables.md and the terminal table from synthetic run folders with known answers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reports.cli import main
from reports.constants import SUMMARY_COLUMNS
from reports.synthetic.runs import SCENARIOS, write_cell, write_run_json

VARIANT = "fastapi_sqlite3-gunicorn_uvicorn"


@pytest.fixture
def known_run(tmp_path: Path) -> Path:
    """One variant, smoke_hello (closed loop) and smoke_get (open loop), two reps each.

    smoke_hello successful latencies: 1..8 ms (a refused request recorded as 0 ms must not count).
    smoke_get latencies: 10, 20, 30, 40 ms counted from the schedule (sent_ns is 20 µs later).
    """
    root = tmp_path / "run-known"
    write_run_json(root, [VARIANT])
    cells = root / "cells" / VARIANT
    write_cell(cells / "smoke_hello" / "rep-1", variant=VARIANT, scenario="smoke_hello", rep=1,
               latency_ms=np.array([1.0, 2, 3, 4, 0.0]),
               failed=np.array([0, 0, 0, 0, 1], bool), error_class="refused",
               extra={"achieved_rps": 100.0})
    write_cell(cells / "smoke_hello" / "rep-2", variant=VARIANT, scenario="smoke_hello", rep=2,
               latency_ms=np.array([5.0, 6, 7, 8]), extra={"achieved_rps": 300.0})
    for rep, lat in ((1, [10.0, 20.0]), (2, [30.0, 40.0])):
        write_cell(cells / "smoke_get" / f"rep-{rep}", variant=VARIANT, scenario="smoke_get",
                   rep=rep, latency_ms=np.array(lat), extra={"achieved_rps": 50.0 * rep})
    return root


def _summary(root: Path) -> pd.DataFrame:
    assert main(["build", str(root), "--no-figures", "--no-html", "-q"]) == 0
    return pd.read_csv(root / "report" / "summary.csv").set_index("scenario")


def test_summary_csv_has_the_contract_columns_first(known_run: Path):
    _summary(known_run)
    with (known_run / "report" / "summary.csv").open() as f:
        header = next(csv.reader(f))
    assert tuple(header[: len(SUMMARY_COLUMNS)]) == SUMMARY_COLUMNS


def test_closed_loop_latency_is_pooled_over_successful_requests_of_all_reps(known_run: Path):
    row = _summary(known_run).loc["smoke_hello"]
    assert row["reps"] == 2
    assert row["requests"] == 9 and row["errors"] == 1
    assert row["mean_ms"] == pytest.approx(4.5)  # the failed 0 ms request is not averaged in
    assert row["p50_ms"] == pytest.approx(np.percentile(np.arange(1, 9), 50))
    assert row["p90_ms"] == pytest.approx(np.percentile(np.arange(1, 9), 90))
    assert row["max_ms"] == pytest.approx(8.0)
    assert row["rps_median"] == pytest.approx(200.0)  # median of 100 and 300


def test_open_loop_latency_counts_from_the_schedule(known_run: Path):
    row = _summary(known_run).loc["smoke_get"]
    assert row["mean_ms"] == pytest.approx(25.0)
    assert row["max_ms"] == pytest.approx(40.0)
    assert row["p50_ms"] == pytest.approx(25.0)


def test_ci_is_student_t_over_repetition_means(known_run: Path):
    row = _summary(known_run).loc["smoke_get"]
    # rep means 15 and 35: mean 25 +- t(0.975, 1 dof) * s / sqrt(2)
    half = sps.t.ppf(0.975, 1) * np.std([15.0, 35.0], ddof=1) / np.sqrt(2)
    assert row["ci95_low_ms"] == pytest.approx(25 - half)
    assert row["ci95_high_ms"] == pytest.approx(25 + half)
    # smoke_hello's rep-1 failed (1 of 5 requests refused: 20% > 1%): no interval from one rep
    hello = _summary(known_run).loc["smoke_hello"]
    assert hello["reps_ranked"] == 1 and np.isnan(hello["ci95_low_ms"])


def test_single_repetition_leaves_the_ci_blank(tmp_path: Path):
    root = tmp_path / "one-rep"
    write_run_json(root, [VARIANT])
    write_cell(root / "cells" / VARIANT / "smoke_hello" / "rep-1", variant=VARIANT,
               scenario="smoke_hello", rep=1, latency_ms=np.array([1.0, 2.0, 3.0]))
    row = _summary(root).loc["smoke_hello"]
    assert np.isnan(row["ci95_low_ms"]) and np.isnan(row["ci95_high_ms"])
    text = (root / "report" / "tables.md").read_text()
    assert "1 repetition(s): no significance claim" in text and "no confidence interval" in text


def test_terminal_table_lists_every_cell_aligned(known_run: Path, capsys):
    assert main(["build", str(known_run), "--no-figures", "--no-html"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = out[0].split()
    assert header[:5] == ["variant", "scenario", "reps", "requests", "errors"]
    assert "status" in header
    rows = [line for line in out if line.startswith(VARIANT)]
    assert len(rows) == 2
    assert len({line.index("smoke") for line in rows}) == 1  # same column start


def test_tables_md_reports_failures_as_counted_not_averaged(known_run: Path):
    _summary(known_run)
    text = (known_run / "report" / "tables.md").read_text()
    assert "1 of 5 requests failed" in text
    assert "## Summary" in text and "## Provenance" in text


def test_synthetic_scenarios_cover_every_named_scenario():
    from reports.constants import SCENARIO_ORDER

    assert set(SCENARIO_ORDER) <= set(SCENARIOS)

"""The paper-2 export: one file per paper-2 cell, failures kept as empty times, never as 0 s."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from reports.cli import main
from reports.synthetic import make_run


def test_paper2_export_keeps_every_iteration_and_blanks_failures(tmp_path: Path):
    run = make_run(tmp_path / "run", variants={"a-x": 2.0}, reps=1, requests_per_rep=400,
                   scenarios=("p2_get_constant", "smoke_hello"), error_rate=0.05)
    assert main(["build", str(run), "-q", "--no-figures", "--no-html"]) == 0
    files = sorted((run / "report" / "paper2").rglob("*.csv"))
    assert [f.relative_to(run / "report" / "paper2").as_posix() for f in files] == [
        "a-x/p2_get_constant-rep1.csv"]  # smoke_hello is not a paper-2 scenario
    with files[0].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["Iteration", "Execution Time (seconds)"]
    cell = run / "cells" / "a-x" / "p2_get_constant" / "rep-1"
    with (cell / "requests.csv").open(newline="") as handle:
        source = list(csv.DictReader(handle))
    failed = {r["seq"] for r in source if r["error"]}
    assert len(rows) == len(source) and failed
    for row in rows:
        if row["Iteration"] in failed:
            assert row["Execution Time (seconds)"] == ""
        else:
            assert float(row["Execution Time (seconds)"]) > 0
    summary = json.loads((cell / "summary.json").read_text())
    assert summary["scenario"] == "p2_get_constant"

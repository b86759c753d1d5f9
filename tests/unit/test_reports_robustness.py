"""The report builds from incomplete or broken results and says what is missing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from reports.analysis.analyse import analyse
from reports.cli import main
from reports.loading.run_folder import load_run
from reports.synthetic.runs import make_run, write_cell, write_run_json

A = "fastapi_sqlite3-gunicorn_uvicorn"
B = "flask_sqlite3-gunicorn_gthread"


def _build(root: Path) -> pd.DataFrame:
    assert main(["build", str(root), "--no-figures", "-q"]) == 0
    assert (root / "report" / "index.html").is_file()
    return pd.read_csv(root / "report" / "summary.csv")


def _findings(root: Path) -> str:
    return (root / "report" / "tables.md").read_text()


def test_folder_that_is_not_a_run_exits_2_with_one_line(tmp_path: Path, capsys):
    assert main(["build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert main(["build", str(tmp_path / "nope")]) == 2
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 2


def test_missing_cells_are_reported_and_the_rest_still_builds(tmp_path: Path):
    root = tmp_path / "partial"
    write_run_json(root, [A, B])
    for variant, scenarios in ((A, ("smoke_hello", "smoke_get")), (B, ("smoke_hello",))):
        for scenario in scenarios:
            write_cell(root / "cells" / variant / scenario / "rep-1", variant=variant,
                       scenario=scenario, rep=1, latency_ms=np.array([1.0, 2.0, 3.0]))
    summary = _build(root)
    assert len(summary) == 3
    assert "missing: no repetition of this cell" in _findings(root)


def test_empty_and_missing_files_are_named(tmp_path: Path):
    root = tmp_path / "broken"
    write_run_json(root, [A])
    cells = root / "cells" / A / "smoke_hello"
    write_cell(cells / "rep-1", variant=A, scenario="smoke_hello", rep=1,
               latency_ms=np.array([1.0, 2.0]))
    write_cell(cells / "rep-2", variant=A, scenario="smoke_hello", rep=2,
               latency_ms=np.array([3.0]))
    (cells / "rep-2" / "requests.csv").write_text("")  # zero bytes
    write_cell(cells / "rep-3", variant=A, scenario="smoke_hello", rep=3,
               latency_ms=np.array([3.0]))
    (cells / "rep-3" / "requests.csv").write_text(
        "seq,worker,scheduled_ns,sent_ns,done_ns,status,bytes,error\n")  # header only
    (cells / "rep-4").mkdir()  # nothing at all
    summary = _build(root)
    assert summary.loc[0, "reps"] == 4
    text = _findings(root)
    assert "requests.csv is empty" in text
    assert "requests.csv has no rows" in text
    assert "summary.json missing" in text and "requests.csv missing" in text
    assert summary.loc[0, "mean_ms"] == 1.5  # only rep-1 has latencies


def test_a_cell_whose_requests_all_failed_is_failed_with_no_latency(tmp_path: Path):
    root = tmp_path / "failed"
    write_run_json(root, [A])
    write_cell(root / "cells" / A / "smoke_get" / "rep-1", variant=A, scenario="smoke_get",
               rep=1, latency_ms=np.array([1.0, 2.0]), failed=np.array([True, True]),
               error_class="refused")
    summary = _build(root)
    assert summary.loc[0, "status"] == "failed"
    assert summary.loc[0, "errors"] == 2
    assert np.isnan(summary.loc[0, "mean_ms"])
    assert "repetition failed" in _findings(root)


def test_run_without_run_json_still_builds_and_says_so(tmp_path: Path):
    root = make_run(tmp_path / "no-meta", variants={A: 2.0}, reps=1, requests_per_rep=20,
                    monitors=False)
    (root / "run.json").unlink()
    _build(root)
    assert "run.json missing" in _findings(root)


def test_one_variant_only_has_no_pairwise_rows(tmp_path: Path):
    root = make_run(tmp_path / "solo", variants={A: 2.0}, reps=2, requests_per_rep=50)
    result = analyse(load_run(root))
    assert result.comparisons.empty
    assert len(result.summary) == 2


def test_servers_not_honouring_parallelism_are_flagged(tmp_path: Path):
    root = make_run(tmp_path / "flag", variants={A: 2.0, "django_drf-daphne": 5.0}, reps=1,
                    requests_per_rep=30, monitors=False)
    result = analyse(load_run(root))
    flagged = result.validity[result.validity["message"].str.contains("parallelism")]
    assert list(flagged["variant"]) == ["django_drf-daphne"]


def test_client_warnings_and_status_are_passed_through(tmp_path: Path):
    root = tmp_path / "warned"
    write_run_json(root, [A])
    write_cell(root / "cells" / A / "smoke_get" / "rep-1", variant=A, scenario="smoke_get",
               rep=1, latency_ms=np.array([1.0, 2.0]), status="degraded",
               warnings=["client CPU 97% — the client may be the bottleneck"],
               client_cpu_pct=97.0)
    result = analyse(load_run(root))
    messages = " | ".join(result.validity["message"])
    assert "client CPU 97% — the client may be the bottleneck" in messages
    assert result.summary.loc[0, "status"] == "degraded"
    assert result.summary.loc[0, "warnings"] >= 1


def test_a_summary_of_the_wrong_shape_is_named_and_ignored(tmp_path: Path):
    root = tmp_path / "shape"
    write_run_json(root, [A])
    folder = root / "cells" / A / "smoke_get" / "rep-1"
    write_cell(folder, variant=A, scenario="smoke_get", rep=1, latency_ms=np.array([1.0, 2.0]))
    summary = json.loads((folder / "summary.json").read_text())
    summary.update(requests="two", warnings="all good", schema_version=7)
    (folder / "summary.json").write_text(json.dumps(summary))
    summary_table = _build(root)
    text = _findings(root)
    assert f"cells/{A}/smoke_get/rep-1/summary.json: " in text
    assert "schema_version 7 is newer" in text and "key 'requests' must be an integer" in text
    assert summary_table.loc[0, "requests"] == 2  # from requests.csv

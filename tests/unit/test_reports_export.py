"""The paper-2 export: the paper's file names and 1-based iterations, one folder per load and
repetition, failures kept as empty times by default and written as 0 only on request."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.cli import main
from reports.rendering import paper2_export
from reports.synthetic.runs import CellModel, make_run


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_paper2_export_keeps_every_iteration_and_blanks_failures(tmp_path: Path):
    run = make_run(tmp_path / "run", variants={"a-x": 2.0}, reps=1, requests_per_rep=400,
                   scenarios=("p2_get_constant", "smoke_hello"), error_rate=0.05)
    assert main(["build", str(run), "-q", "--no-figures", "--no-html"]) == 0
    out = run / "report" / "paper2"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*_times.csv"))
    assert files == ["constant/rep-1/get_a-x_times.csv"]  # smoke_hello is not a paper-2 scenario
    rows = _rows(out / files[0])
    assert list(rows[0]) == ["Iteration", "Execution Time (seconds)"]
    cell = run / "cells" / "a-x" / "p2_get_constant" / "rep-1"
    source = _rows(cell / "requests.csv")
    # The client numbers requests from 0; the paper's iterations start at 1.
    assert min(int(r["seq"]) for r in source) == 0
    assert [int(r["Iteration"]) for r in rows] == list(range(1, len(source) + 1))
    failed = {int(r["seq"]) + 1 for r in source if r["error"]}
    assert len(rows) == len(source) and failed
    for row in rows:
        if int(row["Iteration"]) in failed:
            assert row["Execution Time (seconds)"] == ""
        else:
            assert float(row["Execution Time (seconds)"]) > 0
    summary = json.loads((cell / "summary.json").read_text())
    assert summary["scenario"] == "p2_get_constant"


def test_failures_are_written_as_zero_only_on_request(tmp_path: Path):
    run = make_run(tmp_path / "run", variants={"django_drf-daphne": 2.0}, reps=1,
                   requests_per_rep=300, scenarios=("p2_post_concurrent",), error_rate=0.05)
    name = run / "report" / "paper2" / "concurrent" / "rep-1" / "post_django_dephne_times.csv"
    assert main(["build", str(run), "-q", "--no-figures", "--no-html"]) == 0
    blank = _rows(name)
    assert main(["build", str(run), "-q", "--no-figures", "--no-html",
                 "--paper2-failures", "zero"]) == 0
    zero = _rows(name)
    assert [r["Iteration"] for r in blank] == [r["Iteration"] for r in zero]
    failed = [i for i, r in enumerate(blank) if r["Execution Time (seconds)"] == ""]
    assert failed
    for i, (b, z) in enumerate(zip(blank, zero, strict=True)):
        if i in failed:
            assert float(z["Execution Time (seconds)"]) == 0.0
        else:
            assert z["Execution Time (seconds)"] == b["Execution Time (seconds)"]
    index = _rows(run / "report" / "paper2" / "index.csv")
    assert index[0]["failures_written_as"] == "0" and int(index[0]["failed"]) == len(failed)


def test_bad_failures_option_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as info:
        main(["build", str(tmp_path), "--paper2-failures", "nan"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    with pytest.raises(ValueError, match="failures"):
        paper2_export.paper2_files({}, failures="nan")


PAPER2_VARIANTS = {
    "flask_sqlite3-gunicorn_gevent": "flask_gevent",
    "fastapi_sqlite3-uvicorn": "fastapi",
    "flask_sqlite3-gunicorn_gthread": "flask",
    "django_drf-django_dev": "django",
    "django_drf-daphne": "django_dephne",  # the paper's own spelling
    "flask_sqlite3-flask_dev": "flask_dev",
}


def test_the_papers_names_one_folder_per_load_and_repetition(tmp_path: Path):
    plan = {(v, s): CellModel(3.0) for v in PAPER2_VARIANTS
            for s in ("p2_get_constant", "p2_post_constant", "p2_get_rate200")}
    run = make_run(tmp_path / "run", reps=2, requests_per_rep=50, plan=plan)
    assert main(["build", str(run), "-q", "--no-figures", "--no-html"]) == 0
    out = run / "report" / "paper2"
    found = {p.relative_to(out).as_posix() for p in out.rglob("*_times.csv")}
    expected = {f"{load}/rep-{rep}/{method}_{name}_times.csv"
                for name in PAPER2_VARIANTS.values() for rep in (1, 2)
                for load, method in (("constant", "get"), ("constant", "post"),
                                     ("rate200", "get"))}
    assert found == expected
    assert "constant/rep-2/get_django_dephne_times.csv" in found
    index = pd.read_csv(out / "index.csv")
    assert set(index["file"]) == expected and len(index) == len(expected)
    row = index.set_index("file").loc["constant/rep-2/post_flask_gevent_times.csv"]
    assert (row["variant"], row["scenario"], row["method"], row["rep"], row["iterations"]) == (
        "flask_sqlite3-gunicorn_gevent", "p2_post_constant", "POST", 2, 50)
    assert set(index["failures_written_as"]) == {"blank"}


def test_export_names_and_formats_only_what_the_analysis_holds():
    cells = {("x-y", "p2_get_concurrent", 3): pd.DataFrame(
        {"seq": [0, 1, 2], "iteration": [1, 2, 3], "latency_ms": [5.0, np.nan, 7.5]})}
    files = paper2_export.paper2_files(cells, failures="zero")
    assert list(files) == ["concurrent/rep-3/get_x-y_times.csv"]
    frame = files["concurrent/rep-3/get_x-y_times.csv"]
    assert frame["Iteration"].tolist() == [1, 2, 3]
    assert frame["Execution Time (seconds)"].tolist() == [0.005, 0.0, 0.0075]
    assert paper2_export.paper2_name("django_drf-daphne") == "django_dephne"

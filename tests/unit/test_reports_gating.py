"""Gating a CI job on a run: thresholds on the summary rows, run-summary.json, and compare's
--fail-on-regression, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.analysis.thresholds import ThresholdError, parse
from reports.cli import main
from reports.synthetic.runs import make_run

VARIANTS = {"fastapi_sqlite3-uvicorn": 2.0, "flask_sqlite3-gunicorn_gthread": 4.0}


def _run(root: Path, scale: float = 1.0, seed: int = 1) -> Path:
    return make_run(root, variants={v: base * scale for v, base in VARIANTS.items()},
                    scenarios=("p1_get",), reps=5, requests_per_rep=300, seed=seed,
                    monitors=False)


def test_thresholds_grammar_and_its_errors():
    got = parse("p99_ms<50, error_rate<=0.01,rps_median>100")
    assert [str(t) for t in got] == ["p99_ms<50", "error_rate<=0.01", "rps_median>100"]
    for bad, says in (("p99<1", "unknown metric"), ("p99_ms=5", "is not METRIC<NUMBER"),
                      ("p99_ms<fast", "is not METRIC<NUMBER")):
        with pytest.raises(ThresholdError, match=says):
            parse(bad)


def test_a_crossed_threshold_exits_1_and_is_in_run_summary_json(tmp_path: Path, capsys):
    root = _run(tmp_path / "run")
    assert main(["build", str(root), "-q", "--no-figures", "--no-html",
                 "--thresholds", "mean_ms<3"]) == 1
    out = capsys.readouterr().out
    assert "threshold crossed: flask_sqlite3-gunicorn_gthread · p1_get: mean_ms<3" in out
    verdict = json.loads((root / "report" / "run-summary.json").read_text())
    assert verdict["passed"] is False and verdict["failed"] == []
    assert [c["variant"] for c in verdict["crossed"]] == ["flask_sqlite3-gunicorn_gthread"]
    assert main(["build", str(root), "-q", "--no-figures", "--no-html",
                 "--thresholds", "mean_ms<100,error_rate<0.01"]) == 0
    assert json.loads((root / "report" / "run-summary.json").read_text())["passed"] is True
    assert main(["build", str(root), "-q", "--thresholds", "p99<1"]) == 2


def test_compare_fails_on_a_30_percent_regression_and_not_on_itself(tmp_path: Path, capsys):
    a = _run(tmp_path / "a", seed=1)
    slower = _run(tmp_path / "slower", scale=1.3, seed=2)
    assert main(["compare", str(a), str(a), "--out", str(tmp_path / "same"),
                 "--fail-on-regression", "10"]) == 0
    assert main(["compare", str(a), str(slower), "--out", str(tmp_path / "cmp"),
                 "--fail-on-regression", "10"]) == 1
    out = capsys.readouterr().out
    assert out.count("regression: ") == 2
    assert main(["compare", str(a), str(slower), "--out", str(tmp_path / "cmp2"),
                 "--fail-on-regression", "50"]) == 0  # 30% slower is within a 50% budget
    with pytest.raises(SystemExit) as usage:
        main(["compare", str(a), str(slower), "--fail-on-regression", "-5"])
    assert usage.value.code == 2


def test_compare_says_first_how_the_setups_differ(tmp_path: Path, capsys):
    a = _run(tmp_path / "a")
    b = _run(tmp_path / "b", seed=3)
    meta = json.loads((b / "run.json").read_text())
    meta["parameters"]["scale"] = 0.2
    meta["hosts"]["server"]["cores"] = 64
    meta["inventory"] = {"servers": ["server"], "clients": ["client"]}
    (b / "run.json").write_text(json.dumps(meta))
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("setups differ: scale: None in A, 0.2 in B")
    assert "setups differ: server host" in out
    assert "The setups differ" in (tmp_path / "c" / "compare.md").read_text()

"""``python -m reports decide`` and the nominal level of a budget run's look, on synthetic rounds
runs with known effects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reports.analysis import looks, pairs, sequential
from reports.analysis.analyse import analyse
from reports.analysis.questions import questions
from reports.cli import main
from reports.loading.run_folder import load_run
from reports.synthetic.runs import Rounds, make_run

A = "fastapi_sqlite3-gunicorn_uvicorn"
B = "flask_sqlite3-gunicorn_gthread"


def _run(root: Path, b_ms: float, reps: int, budget: bool = True, max_rounds: int = 10) -> Path:
    run = make_run(root, variants={A: 5.0, B: b_ms}, scenarios=("smoke_hello",), reps=reps,
                   requests_per_rep=150, rep_noise=0.01, rounds=Rounds())
    if budget:
        meta = json.loads((run / "run.json").read_text())
        meta["plan"].update(budget_s=600, max_rounds=max_rounds, min_rounds=3)
        (run / "run.json").write_text(json.dumps(meta))
    return run


def test_a_large_effect_is_decided_and_no_effect_stays_open(tmp_path: Path):
    big = questions(analyse(load_run(_run(tmp_path / "big", 6.0, reps=6))))
    assert big["questions"] > 0 and big["open"] == 0 and big["decided"] == big["questions"]
    same = questions(analyse(load_run(_run(tmp_path / "same", 5.0, reps=6))))
    assert same["questions"] > 0 and same["open"] > 0
    assert same["open_questions"][0]["question"].startswith("smoke_hello: ")


@pytest.mark.parametrize("reps", [3, 5, 8])
def test_the_level_at_look_k_is_the_nominal_level(tmp_path: Path, reps: int):
    result = analyse(load_run(_run(tmp_path / "run", 6.0, reps=reps)))
    levels = sequential.nominal_levels(10, 3)
    assert result.sequential is not None and result.sequential.rounds == reps
    assert result.sequential.level == levels[reps - 3]
    assert questions(result)["level"] == levels[reps - 3]
    assert looks.level_at(2, 10, 3) == 0.0 and looks.level_at(12, 10, 3) == levels[-1]


def test_the_look_level_decides_the_verdicts(tmp_path: Path):
    run = _run(tmp_path / "run", 5.1, reps=5)
    result = analyse(load_run(run))
    level = result.sequential.level  # type: ignore[union-attr]
    row = result.comparisons.iloc[0]
    assert (row["verdict"] in ("b_faster", "b_slower")) == (row["p_adjusted"] < level)


def test_a_run_without_a_budget_keeps_alpha_and_its_comparisons(tmp_path: Path):
    result = analyse(load_run(_run(tmp_path / "run", 5.3, reps=5, budget=False)))
    assert result.sequential is None
    again = pairs.comparisons(result.reps, result.summary, result.run.cells, rounds=True)
    assert again.equals(result.comparisons)
    assert questions(result)["level"] == 0.05


def test_decide_prints_one_json_object_and_a_bad_folder_exits_2(tmp_path: Path, capsys):
    assert main(["decide", str(_run(tmp_path / "run", 6.0, reps=4))]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == {"questions", "open", "decided", "rounds", "level", "open_questions"}
    assert main(["decide", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err

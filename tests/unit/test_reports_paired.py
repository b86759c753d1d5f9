"""Rounds in the report: comparisons paired by round, Holm over a claim's own rivals, the A/A
control, and the instability warnings, on synthetic run folders with known effects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.analysis import instability, pairs, reproduction, verdicts
from reports.analysis.analyse import Analysis, analyse
from reports.analysis.reproduction import Claim
from reports.analysis.run_comparison import compare_runs
from reports.cli import main
from reports.constants import BLOCKED, COMPARISON_COLUMNS, COMPARISON_EXTRA_COLUMNS
from reports.loading.plan import run_plan
from reports.loading.run_folder import load_run
from reports.synthetic.runs import CellModel, Rounds, make_run, write_cell, write_run_json

A = "fastapi_sqlite3-gunicorn_uvicorn"
B = "flask_sqlite3-gunicorn_gthread"
C = "django_drf-daphne"
AA = f"{A}~aa"
# Strong round-to-round drift shared by every variant: ±40%, far above a true 6% difference.
DRIFT = (1.0, 1.4, 0.7, 1.25, 0.8, 1.3, 0.75, 1.1)


def _analyse(root: Path) -> Analysis:
    return analyse(load_run(root))


def _drift_run(root: Path, **rounds: object) -> Path:
    return make_run(root, variants={A: 5.0, B: 5.3}, scenarios=("smoke_hello",), reps=8,
                    requests_per_rep=400, rep_noise=0.01,
                    rounds=Rounds(factors=DRIFT, **rounds))  # type: ignore[arg-type]


# -- the design -----------------------------------------------------------------------------------

def test_the_design_comes_from_run_json_plan_and_defaults_to_shuffled():
    assert run_plan({}).design == "shuffled" and not run_plan({}).paired
    assert run_plan({"parameters": {"repetitions": 5}}).design == "shuffled"
    plan = run_plan({"plan": {"design": "rounds", "control": A, "max_rounds": 12,
                              "min_rounds": 3}})
    assert plan.paired and plan.control == A and plan.max_rounds == 12 and plan.min_rounds == 3
    odd = run_plan({"plan": {"design": "zigzag"}})
    assert odd.design == "shuffled" and "zigzag" in odd.problems[0]
    # A run folder without run.json's plan: the cells' summary labels say it.
    assert run_plan({}, ["rounds", "rounds"]).paired
    assert not run_plan({}, ["rounds", None, "shuffled"]).paired


def test_a_control_variant_loads_with_its_units_stack_and_server(tmp_path: Path):
    root = tmp_path / "run"
    write_run_json(root, [A])
    for variant in (A, AA):
        write_cell(root / "cells" / variant / "smoke_hello" / "rep-1", variant=variant,
                   scenario="smoke_hello", rep=1, latency_ms=np.full(50, 5.0), stack="s",
                   server="x", extra={"labels": {"variant": variant, "round": "1",
                                                 "design": "rounds"}})
    # Without stack and server in its summary, the control takes X's from run.json.
    summary_path = root / "cells" / AA / "smoke_hello" / "rep-1" / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary.update(stack=None, server=None)
    summary_path.write_text(json.dumps(summary))
    cells = load_run(root).cells.set_index("variant")
    assert cells.loc[AA, "stack"] == "fastapi_sqlite3"
    assert cells.loc[AA, "server"] == "gunicorn_uvicorn"
    assert cells.loc[AA, "round"] == 1 and cells.loc[AA, "design"] == "rounds"
    assert cells.loc[A, "stack"] == "s" and cells.loc[A, "server"] == "x"


# -- paired comparisons ---------------------------------------------------------------------------

def test_paired_comparison_decides_where_welch_cannot_under_round_drift(tmp_path: Path):
    result = _analyse(_drift_run(tmp_path / "run"))
    paired = result.comparisons.iloc[0]
    assert (paired["test"], paired["pairs"]) == ("paired_t", 8)
    assert paired["verdict"] == "b_slower" and paired["p_adjusted"] < 0.001
    assert 1.0 < paired["ci95_low"] < 1.06 < paired["ci95_high"] < 1.12  # narrow, around 1.06
    # The same repetitions as two independent samples: the drift swamps the 6%.
    welch = pairs.comparisons(result.reps, result.summary, result.run.cells).iloc[0]
    assert (welch["test"], welch["verdict"]) == ("welch", "not_significant")
    assert np.isnan(welch["pairs"])
    assert welch["ci95_high"] - welch["ci95_low"] > 5 * (paired["ci95_high"] - paired["ci95_low"])


def _reps(values: dict[str, list[float]], scenario: str = "p1_get",
          failed: tuple[tuple[str, int], ...] = ()) -> pd.DataFrame:
    return pd.DataFrame([
        {"variant": v, "stack": v.split("-")[0], "server": v.split("-")[1], "scenario": scenario,
         "rep": i + 1, "mean_ms": m, "achieved_rps": 1000 / m,
         "status": "failed" if (v, i + 1) in failed else "ok"}
        for v, means in values.items() for i, m in enumerate(means) if np.isfinite(m)])


def _summary(reps: pd.DataFrame, failed: tuple[str, ...] = ()) -> pd.DataFrame:
    keys = reps[["variant", "scenario"]].drop_duplicates()
    return keys.assign(status=["failed" if v in failed else "ok" for v in keys["variant"]])


def test_a_round_missing_or_failed_on_either_side_is_dropped_from_the_pair():
    reps = _reps({A: [5.0, 5.5, 4.8, 5.2, 5.1, 4.9], B: [6.0, 6.6, 5.7, 6.3, np.nan, 5.9]},
                 failed=((A, 2),))
    row = pairs.comparisons(reps, _summary(reps), reps, rounds=True).iloc[0]
    assert row["pairs"] == 4  # round 2 failed on A, round 5 missing on B
    assert (row["reps_a"], row["reps_b"]) == (5, 5)
    d = np.log([6.0 / 5.0, 5.7 / 4.8, 6.3 / 5.2, 5.9 / 4.9])
    assert row["ratio"] == pytest.approx(np.exp(d.mean()))
    # Fewer than 3 pairs: no claim, however many repetitions each side has.
    few = _reps({A: [5.0, 5.1, 5.2, np.nan, np.nan], B: [np.nan, np.nan, 6.0, 6.1, 6.2]})
    row = pairs.comparisons(few, _summary(few), few, rounds=True).iloc[0]
    assert row["pairs"] == 1 and row["verdict"] == "insufficient_reps"
    assert np.isnan(row["p_adjusted"]) and np.isnan(row["ci95_low"])


def test_a_paired_verdict_never_contradicts_its_test():
    for seed in range(100):
        rng = np.random.default_rng(seed)
        drift = rng.lognormal(0, 0.3, 5)
        a = list(5 * drift * rng.lognormal(0, 0.05, 5))
        b = list(5 * drift * rng.lognormal(rng.normal(0, 0.08), 0.05, 5))
        reps = _reps({A: a, B: b})
        row = pairs.comparisons(reps, _summary(reps), reps, rounds=True).iloc[0]
        if row["verdict"] == "b_slower":
            assert row["ratio"] > 1 and row["t"] > 0 and row["ci95_low"] > 1
        elif row["verdict"] == "b_faster":
            assert row["ratio"] < 1 and row["t"] < 0 and row["ci95_high"] < 1
        else:
            assert row["verdict"] == "not_significant" and row["p_adjusted"] >= 0.05
        # The interval excludes 1 exactly when the unadjusted test rejects.
        assert (row["p"] < 0.05) == (row["ci95_low"] > 1 or row["ci95_high"] < 1)


def test_comparisons_csv_says_which_test_how_many_pairs_and_which_holm_family(tmp_path: Path):
    rounds = _drift_run(tmp_path / "rounds")
    shuffled = make_run(tmp_path / "shuffled", scenarios=("smoke_hello",), reps=3,
                        requests_per_rep=100)
    for root, test, n in ((rounds, "paired_t", "8"), (shuffled, "welch", "")):
        assert main(["build", str(root), "-q", "--no-figures", "--no-html"]) == 0
        with (root / "report" / "comparisons.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert list(rows[0]) == [*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS, "database"]
        assert {r["test"] for r in rows} == {test} and {r["pairs"] for r in rows} == {n}
        assert {r["holm_family"] for r in rows} == {"scenario"}
        assert {r["holm_m"] for r in rows} == {str(len(rows))}
    assert "paired t-test on their logs" in (rounds / "report" / "tables.md").read_text()
    assert "Welch's t-test on repetition means" in (shuffled / "report" / "tables.md").read_text()


def test_a_run_without_a_design_compares_exactly_as_before(tmp_path: Path):
    # No plan in run.json: Welch on repetition means, as every run before rounds.
    root = make_run(tmp_path / "run", scenarios=("smoke_hello", "smoke_get"), reps=4,
                    requests_per_rep=100)
    assert "plan" not in json.loads((root / "run.json").read_text())
    result = _analyse(root)
    assert not result.plan.paired
    for _, row in result.comparisons.iterrows():
        reps = result.reps[result.reps["scenario"] == row["scenario"]]
        a = reps.loc[reps["variant"] == row["variant_a"], "mean_ms"].to_numpy()
        b = reps.loc[reps["variant"] == row["variant_b"], "mean_ms"].to_numpy()
        expected = verdicts.pair(a, b)
        assert row["test"] == "welch" and np.isnan(row["pairs"])
        for key in ("ratio", "ci95_low", "ci95_high", "t", "dof", "p"):
            assert row[key] == expected[key]


# -- Holm over a claim's own rivals ---------------------------------------------------------------

def _claim(**fields: object) -> Claim:
    base: dict[str, object] = {"id": "t-best", "paper": 1, "section": "", "text": "claim",
                               "figure": "", "kind": "best", "metric": "latency",
                               "scenarios": ("p1_get",), "variant": A, "others": (B, C)}
    return Claim(**{**base, **fields})  # type: ignore[arg-type]


CLAIM_VALUES = {A: [5.0, 5.1, 4.9, 5.05], B: [5.3, 5.45, 5.2, 5.35], C: [9.0, 9.1, 8.9, 9.05]}
UNRELATED = {f"other_{i}-uvicorn": [7.0 + i, 7.1 + i, 6.9 + i, 7.05 + i] for i in range(6)}


@pytest.mark.parametrize("rounds", [False, True])
def test_a_claims_adjusted_p_does_not_change_with_unrelated_variants(rounds: bool):
    rows = []
    for values in (CLAIM_VALUES, {**CLAIM_VALUES, **UNRELATED}):
        reps = _reps(values)
        rows.append(reproduction.evaluate([_claim()], reps, _summary(reps),
                                          rounds=rounds).iloc[0])
    alone, crowded = rows
    assert alone["verdict"] == crowded["verdict"] == "reproduced"
    assert alone["p_adjusted"] == crowded["p_adjusted"] and alone["holm_m"] == 2
    assert alone["note"] == crowded["note"]
    # The pairwise table corrects over every pair it shows: there, A against B is weaker.
    reps = _reps({**CLAIM_VALUES, **UNRELATED})
    table = pairs.comparisons(reps, _summary(reps), reps, rounds=rounds)
    ab = table[(table["variant_a"] == A) & (table["variant_b"] == B)].iloc[0]
    assert ab["holm_m"] == 36 and ab["p_adjusted"] > crowded["p_adjusted"]


def test_unrelated_variants_in_a_run_leave_a_paper1_claims_p_alone(tmp_path: Path):
    p1 = ("fastapi_sqlmodel-gunicorn_uvicorn", "fastapi_sqlite3-gunicorn_uvicorn",
          "flask_sqlalchemy-gunicorn_gthread", "flask_sqlite3-gunicorn_gthread",
          "django_drf-gunicorn_gthread")
    plan = {(v, "p1_get"): CellModel(ms, 0.2) for v, ms in zip(p1, (7.6, 2.5, 8.5, 5.0, 13.4),
                                                                strict=True)}
    extra = {(v, "p1_get"): CellModel(ms, 0.2)
             for v, ms in (("django_drf-daphne", 20.0), ("fastapi_sqlite3-uvicorn", 2.6),
                           ("flask_sqlite3-flask_dev", 9.0), ("django_drf-django_dev", 18.0))}
    found = []
    for name, cells in (("alone", plan), ("crowded", {**plan, **extra})):
        result = _analyse(make_run(tmp_path / name, reps=4, requests_per_rep=200, plan=cells))
        found.append(result.reproduction.set_index("id").loc["p1-get-fastapi-sqlite3-lowest"])
    alone, crowded = found
    assert alone["verdict"] == crowded["verdict"] == "reproduced"
    assert alone["p_adjusted"] == crowded["p_adjusted"] and alone["holm_m"] == 4
    # The pairwise table of the crowded run corrects over its 36 pairs, not the claim's 4.
    table = result.comparisons
    assert set(table.loc[table["scenario"] == "p1_get", "holm_m"]) == {36}


# -- the A/A control ------------------------------------------------------------------------------

def _control_run(root: Path, factor: float | dict[str, float]) -> Analysis:
    return _analyse(make_run(root, variants={A: 5.0, B: 6.0, C: 8.0},
                             scenarios=("smoke_hello", "smoke_get"), reps=6,
                             requests_per_rep=400, rep_noise=0.01,
                             rounds=Rounds(factors=DRIFT, control=A, control_factor=factor)))


def test_a_control_that_differs_blocks_its_scenarios_verdicts_only(tmp_path: Path):
    result = _control_run(tmp_path / "run", {"smoke_get": 1.12})
    aa = result.control.set_index("scenario")
    assert bool(aa.loc["smoke_get", "differed"]) and aa.loc["smoke_get", "ci95_low"] > 1
    assert not bool(aa.loc["smoke_hello", "differed"])
    assert (aa["test"] == "paired_t").all() and (aa["pairs"] == 6).all()
    verdict = result.comparisons.groupby("scenario")["verdict"].agg(set)
    assert verdict["smoke_get"] == {BLOCKED}
    assert BLOCKED not in verdict["smoke_hello"] and "b_slower" in verdict["smoke_hello"]
    heads = result.headlines.set_index("scenario")["verdict"]
    assert heads["smoke_get"].startswith("blocked") and heads["smoke_hello"] == "significant"
    errors = result.validity[result.validity["severity"] == "error"]
    assert len(errors) == 1 and errors.iloc[0]["scenario"] == "smoke_get"
    assert "A/A control differed" in errors.iloc[0]["message"]


def test_a_control_that_does_not_differ_blocks_nothing_and_says_what_the_run_could_detect(
        tmp_path: Path):
    result = _control_run(tmp_path / "run", 1.0)
    assert not result.control["differed"].any()
    assert (result.control["status"] == "no difference shown").all()
    assert (result.control["ci95_low"] < 1).all() and (result.control["ci95_high"] > 1).all()
    # Low paired noise (1% per repetition): a few percent are detectable despite ±40% drift.
    assert result.control["detectable_ratio"].between(1.005, 1.08).all()
    assert (result.control["noise"] == "control pair").all()
    assert BLOCKED not in set(result.comparisons["verdict"])
    assert not (result.validity["severity"] == "error").any()


def test_a_blocked_scenario_decides_no_claim():
    reps = _reps(CLAIM_VALUES)
    row = reproduction.evaluate([_claim()], reps, _summary(reps),
                                blocked={"p1_get": "the A/A control differed"}).iloc[0]
    assert row["verdict"] == "inconclusive" and row["note"].startswith("blocked")


def test_the_control_is_never_a_contestant(tmp_path: Path):
    result = _control_run(tmp_path / "run", 1.0)
    assert AA not in result.variants
    for frame in (result.summary, result.reps, result.efficiency, result.instability):
        assert AA not in set(frame["variant"])
    assert AA not in set(result.comparisons["variant_a"]) | set(result.comparisons["variant_b"])
    assert AA not in set(result.headlines["best"]) | set(result.headlines["runner_up"])
    assert set(result.control["control"]) == {AA}
    assert result.counts.variants == 3 and result.counts.reps == 4 * 2 * 6
    assert main(["build", str(result.run.path), "-q", "--no-figures"]) == 0
    report = result.run.path / "report"
    assert AA not in (report / "summary.csv").read_text()
    assert AA not in (report / "comparisons.csv").read_text()
    assert AA in (report / "control.csv").read_text()
    assert "## A/A control" in (report / "tables.md").read_text()
    assert 'id="control"' in (report / "index.html").read_text()
    # Nor in a run-to-run comparison.
    compared = compare_runs(load_run(result.run.path), load_run(result.run.path))
    assert AA not in set(compared.table["variant"]) and len(compared.table) == 3 * 2


def test_a_planned_control_without_cells_is_an_error(tmp_path: Path):
    root = make_run(tmp_path / "run", scenarios=("smoke_hello",), reps=3, requests_per_rep=100,
                    rounds=Rounds())
    meta = json.loads((root / "run.json").read_text())
    meta["plan"]["control"] = A
    (root / "run.json").write_text(json.dumps(meta))
    errors = _analyse(root).validity.query("severity == 'error'")
    assert len(errors) == 1 and "no cell of it" in errors.iloc[0]["message"]
    assert not (root / "report" / "control.csv").exists()


# -- instability ----------------------------------------------------------------------------------

def _kinds(result: Analysis) -> dict[str, int]:
    return result.instability["kind"].value_counts().to_dict()


def test_a_clean_run_shows_no_instability(tmp_path: Path):
    result = _analyse(make_run(tmp_path / "run", scenarios=("smoke_hello", "smoke_get"),
                               reps=8, requests_per_rep=300, rep_noise=0.02, rounds=Rounds()))
    assert result.instability.empty


def test_a_steady_rise_over_the_rounds_is_a_trend(tmp_path: Path):
    rise = tuple(1 + 0.04 * r for r in range(8))
    result = _analyse(make_run(tmp_path / "run", scenarios=("smoke_hello",), reps=8,
                               requests_per_rep=300, rep_noise=0.01,
                               rounds=Rounds(factors=rise)))
    trends = result.instability[result.instability["kind"] == "trend"]
    assert len(trends) == 3 and (trends["count"] == 8).all() and (trends["statistic"] > 0).all()
    assert (trends["threshold"] == 0.01).all()
    assert trends.iloc[0]["cells"].count(";") == 7
    assert "rises" in trends.iloc[0]["message"]
    assert result.validity["message"].str.contains("monotone trend").sum() == 3


def test_a_round_slow_for_every_variant_is_an_outlier_round(tmp_path: Path):
    factors = (1.0, 1.0, 1.0, 1.6, 1.0, 1.0, 1.0, 1.0)
    result = _analyse(make_run(tmp_path / "run", scenarios=("smoke_hello",), reps=8,
                               requests_per_rep=300, rep_noise=0.01,
                               rounds=Rounds(factors=factors)))
    assert _kinds(result).get("outlier_round") == 1
    row = result.instability[result.instability["kind"] == "outlier_round"].iloc[0]
    assert (row["rep"], row["count"], row["variant"]) == (4, 3, "")
    assert row["cells"].count("|4") == 3 and "slower" in row["message"]
    # Only one variant slow in that round: the stack, not the host.
    one = {(v, "smoke_hello"): CellModel(ms) for v, ms in ((A, 2.0), (B, 4.0), (C, 8.0))}
    root = make_run(tmp_path / "one", reps=8, requests_per_rep=300, rep_noise=0.01, plan=one,
                    rounds=Rounds())
    cell = root / "cells" / A / "smoke_hello" / "rep-4"
    write_cell(cell, variant=A, scenario="smoke_hello", rep=4,
               latency_ms=np.random.default_rng(3).lognormal(np.log(3.2), 0.35, 300))
    assert "outlier_round" not in _kinds(_analyse(root))


def test_high_repetition_variance_is_flagged_with_its_cells(tmp_path: Path):
    result = _analyse(make_run(tmp_path / "run", scenarios=("smoke_hello",), reps=5,
                               requests_per_rep=200, rep_noise=0.3))
    cv = result.instability[result.instability["kind"] == "high_cv"]
    assert len(cv) >= 1 and (cv["statistic"] > 0.1).all() and (cv["count"] == 5).all()
    summary = result.summary.set_index("variant")
    for r in cv.itertuples():
        assert r.statistic == pytest.approx(summary.loc[r.variant, "rep_mean_cv"])


def test_the_trend_test_cannot_fire_on_a_few_rounds():
    reps = _reps({A: [1.0, 2.0, 3.0, 4.0, 5.0]}).assign(started_ns=range(5))
    assert instability.instability_table(reps, rounds=True).query("kind == 'trend'").empty
    reps = _reps({A: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    assert len(instability.instability_table(reps, rounds=True).query("kind == 'trend'")) == 1

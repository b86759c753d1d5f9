"""The numbers a skeptic checks first, on one synthetic run with known answers: a dead variant, a
bimodal variant measured once, a cell with 6% timeouts, and five-repetition cells."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reports.analysis.analyse import analyse
from reports.build import build
from reports.loading.run_folder import load_run
from reports.synthetic.runs import ScenarioSpec, write_cell, write_run_json

STEADY = "fastapi_sqlite3-uvicorn"
BIMODAL = "flask_sqlite3-gunicorn_gthread"
DEAD = "django_drf-daphne"
FIVE_A = "fastapi_sqlmodel-uvicorn"
FIVE_B = "flask_sqlalchemy-gunicorn_gevent"
OPEN = ScenarioSpec("GET", "/get", "open", rate=200.0)


@pytest.fixture(scope="module")
def trust_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trust") / "run"
    write_run_json(root, [STEADY, BIMODAL, DEAD, FIVE_A, FIVE_B])
    rng = np.random.default_rng(5)
    cells = root / "cells"
    # p1_get, one repetition each: A steady 5 ms; B 90% at ~1 ms and 10% at ~100 ms (mean ~10.9,
    # so B is slower on the mean, faster on most requests); a dead server: every request refused.
    write_cell(cells / STEADY / "p1_get" / "rep-1", variant=STEADY, scenario="p1_get", rep=1,
               latency_ms=rng.normal(5.0, 0.2, 2_000), monitors=False)
    bimodal = np.where(rng.random(2_000) < 0.9, rng.normal(1.0, 0.05, 2_000),
                       rng.normal(100.0, 5.0, 2_000))
    write_cell(cells / BIMODAL / "p1_get" / "rep-1", variant=BIMODAL, scenario="p1_get", rep=1,
               latency_ms=bimodal, monitors=False)
    write_cell(cells / DEAD / "p1_get" / "rep-1", variant=DEAD, scenario="p1_get", rep=1,
               latency_ms=np.full(3_000, 0.3), failed=np.ones(3_000, bool),
               error_class="refused", monitors=False)
    # p2_get_rate200: 6% of the requests time out after 0.5 s (abandoned at 500-520 ms).
    n = 1_000
    timed_out = np.zeros(n, bool)
    timed_out[400:460] = True
    latency = np.where(timed_out, rng.uniform(500.0, 520.0, n), rng.normal(3.0, 0.3, n))
    write_cell(cells / STEADY / "p2_get_rate200" / "rep-1", variant=STEADY,
               scenario="p2_get_rate200", rep=1, latency_ms=latency, failed=timed_out,
               error_class="timeout", timeout_s=0.5, spec=OPEN, monitors=False)
    # p1_hello, five repetitions each.
    for variant, base in ((FIVE_A, 2.0), (FIVE_B, 2.6)):
        for rep in range(1, 6):
            write_cell(cells / variant / "p1_hello" / f"rep-{rep}", variant=variant,
                       scenario="p1_hello", rep=rep, monitors=False,
                       latency_ms=rng.lognormal(np.log(base * rng.normal(1, 0.03)), 0.3, 500))
    build(root, figures=False, html=False)
    return root


def _row(root: Path, variant: str, scenario: str) -> pd.Series:
    summary = pd.read_csv(root / "report" / "summary.csv")
    return summary[(summary["variant"] == variant) & (summary["scenario"] == scenario)].iloc[0]


def test_a_dead_variant_scores_zero_goodput_and_has_no_latency(trust_run: Path):
    row = _row(trust_run, DEAD, "p1_get")
    assert row["rps_median"] == 0 and row["attempted_rps_median"] > 0
    assert row["errors"] == row["requests"] == 3_000 and row["error_rate"] == 1.0
    assert np.isnan(row["mean_ms"]) and np.isnan(row["p99_ms"]) and row["latency_samples"] == 0
    assert row["status"] == "failed"
    comparisons = pd.read_csv(trust_run / "report" / "comparisons.csv")
    assert DEAD not in set(comparisons["variant_a"]) | set(comparisons["variant_b"])


def test_one_repetition_makes_no_significance_claim(trust_run: Path):
    comparisons = pd.read_csv(trust_run / "report" / "comparisons.csv")
    pair = comparisons[comparisons["scenario"] == "p1_get"].iloc[0]
    assert {pair["variant_a"], pair["variant_b"]} == {STEADY, BIMODAL}
    assert pair["verdict"] == "insufficient_reps"
    assert np.isnan(pair["p_adjusted"]) and np.isnan(pair["ci95_low"])
    assert (pair["reps_a"], pair["reps_b"]) == (1, 1)
    from reports.analysis.pairs import headlines

    result = analyse(load_run(trust_run))
    head = headlines(result.summary, result.comparisons).set_index("scenario").loc["p1_get"]
    assert head["best"] == STEADY and head["verdict"].startswith("no claim")
    md = (trust_run / "report" / "tables.md").read_text()
    assert "no claim (< 3 reps a side)" in md


def test_a_cell_with_6_percent_timeouts_is_failed_with_lower_bound_latency(trust_run: Path):
    row = _row(trust_run, STEADY, "p2_get_rate200")
    assert row["status"] == "failed" and row["error_rate"] == pytest.approx(0.06)
    assert row["censored"] == 60 and row["latency_samples"] == 1_000
    assert row["p99_ms"] >= 500  # the timeouts are in the tail at their timeout, not dropped
    assert row["mean_ms"] > 30  # survivors alone would say ~3 ms
    assert row["rps_median"] < row["attempted_rps_median"]
    md = (trust_run / "report" / "tables.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith(f"| {STEADY} | p2_get_rate200 |"))
    assert "≥ " in line and "| failed |" in line


def test_five_repetition_intervals_are_student_t(trust_run: Path):
    reps = analyse(load_run(trust_run)).reps
    for variant in (FIVE_A, FIVE_B):
        means = reps[(reps["variant"] == variant) & (reps["scenario"] == "p1_hello")]["mean_ms"]
        half = sps.t.ppf(0.975, 4) * means.std(ddof=1) / np.sqrt(5)
        row = _row(trust_run, variant, "p1_hello")
        assert row["ci95_low_ms"] == pytest.approx(means.mean() - half, rel=1e-5)
        assert row["ci95_high_ms"] == pytest.approx(means.mean() + half, rel=1e-5)
    comparisons = pd.read_csv(trust_run / "report" / "comparisons.csv")
    pair = comparisons[comparisons["scenario"] == "p1_hello"].iloc[0]
    assert pair["verdict"] == "b_slower" and pair["ci95_low"] > 1 and pair["p_adjusted"] < 0.05


def test_comparisons_csv_has_the_contract_columns(trust_run: Path):
    comparisons = pd.read_csv(trust_run / "report" / "comparisons.csv")
    assert list(comparisons.columns[:10]) == [
        "scenario", "variant_a", "variant_b", "ratio", "ci95_low", "ci95_high", "p_adjusted",
        "verdict", "reps_a", "reps_b"]
    assert set(comparisons["verdict"]) <= {"b_faster", "b_slower", "not_significant",
                                           "insufficient_reps"}


def test_p999_needs_ten_thousand_samples(trust_run: Path):
    row = _row(trust_run, FIVE_A, "p1_hello")  # 2,500 samples
    assert row["latency_samples"] == 2_500 and np.isnan(row["p999_ms"])
    md = (trust_run / "report" / "tables.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith(f"| {FIVE_A} | p1_hello |"))
    assert "| n/a |" in line


def test_results_from_before_goodput_still_build_and_say_so(tmp_path: Path):
    root = tmp_path / "old"
    write_run_json(root, [STEADY])
    folder = root / "cells" / STEADY / "p1_get" / "rep-1"
    failed = np.zeros(100, bool)
    failed[:50] = True
    write_cell(folder, variant=STEADY, scenario="p1_get", rep=1, latency_ms=np.full(100, 2.0),
               failed=failed, error_class="refused", monitors=False)
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("schema_version", "attempted_rps", "error_rate", "max_error_rate"):
        summary.pop(key)
    summary["achieved_rps"] = 400.0  # the old meaning: every completion, failures included
    summary["status"] = "degraded"  # the old rule: failed only above 10% errors... or not
    (folder / "summary.json").write_text(json.dumps(summary))
    result, _ = build(root, figures=False, html=False)
    row = result.summary.iloc[0]
    assert row["rps_median"] == pytest.approx(200.0)  # half of them succeeded
    assert row["status"] == "failed"  # 50% errors: the rule of today applies
    notes = " ".join(result.validity["message"])
    assert "predates goodput" in notes

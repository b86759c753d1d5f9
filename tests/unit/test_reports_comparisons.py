"""Paper views, pairwise significance verdicts and run-to-run comparison on known data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.analysis import pairs, papers
from reports.cli import main
from reports.synthetic.runs import make_run, write_cell, write_run_json

A = "fastapi_sqlite3-gunicorn_uvicorn"
B = "flask_sqlite3-gunicorn_gthread"


def _reps(means_a: list[float], means_b: list[float], scenario: str = "p1_get") -> pd.DataFrame:
    rows = [{"variant": v, "stack": v.split("-")[0], "server": v.split("-")[1],
             "scenario": scenario, "rep": i + 1, "mean_ms": m, "achieved_rps": 1000 / m,
             "status": "ok"}
            for v, means in ((A, means_a), (B, means_b)) for i, m in enumerate(means)]
    return pd.DataFrame(rows)


def _summary(reps: pd.DataFrame, failed: tuple[str, ...] = ()) -> pd.DataFrame:
    keys = reps[["variant", "scenario"]].drop_duplicates()
    return keys.assign(status=["failed" if v in failed else "ok" for v in keys["variant"]])


def _compare(reps: pd.DataFrame, failed: tuple[str, ...] = ()) -> pd.DataFrame:
    return pairs.comparisons(reps, _summary(reps, failed), reps)


def test_equal_distributions_are_not_significant():
    rng = np.random.default_rng(11)
    pw = _compare(_reps(list(rng.normal(5, 0.1, 5)), list(rng.normal(5, 0.1, 5))))
    assert pw.loc[0, "verdict"] == "not_significant"
    assert pw.loc[0, "ci95_low"] < 1 < pw.loc[0, "ci95_high"]


def test_different_distributions_are_significant_with_direction():
    rng = np.random.default_rng(12)
    pw = _compare(_reps(list(rng.normal(5, 0.1, 5)), list(rng.normal(6, 0.1, 5))))
    assert pw.loc[0, "verdict"] == "b_slower"
    assert pw.loc[0, "ratio"] == pytest.approx(1.2, rel=0.05)
    assert pw.loc[0, "p_adjusted"] < 0.05
    assert pw.loc[0, "ci95_low"] > 1
    swapped = _compare(_reps(list(rng.normal(6, 0.1, 5)), list(rng.normal(5, 0.1, 5))))
    assert swapped.loc[0, "verdict"] == "b_faster" and swapped.loc[0, "ci95_high"] < 1


@pytest.mark.parametrize(("reps_a", "reps_b"), [(1, 1), (2, 5), (5, 2)])
def test_fewer_than_three_repetitions_a_side_make_no_claim(reps_a, reps_b):
    pw = _compare(_reps([5.0, 5.1, 4.9, 5.0, 5.05][:reps_a], [9.0, 9.1, 8.9, 9.0, 9.05][:reps_b]))
    assert pw.loc[0, "verdict"] == "insufficient_reps"
    assert np.isnan(pw.loc[0, "p_adjusted"]) and np.isnan(pw.loc[0, "ci95_low"])
    assert pw.loc[0, "ratio"] > 1.7  # the ratio is still shown, without a claim


def test_a_verdict_never_contradicts_its_test():
    # Whatever the data, b_slower comes with mean B > mean A and ratio > 1, b_faster the reverse.
    for seed in range(100):
        rng = np.random.default_rng(seed)
        a = list(rng.lognormal(1.6, 0.3, 3))
        b = list(rng.lognormal(1.6 + rng.normal(0, 0.3), 0.3, 4))
        row = _compare(_reps(a, b)).iloc[0]
        if row["verdict"] == "b_slower":
            assert row["mean_b_ms"] > row["mean_a_ms"] and row["ratio"] > 1 and row["t"] > 0
        elif row["verdict"] == "b_faster":
            assert row["mean_b_ms"] < row["mean_a_ms"] and row["ratio"] < 1 and row["t"] < 0
        else:
            assert row["verdict"] == "not_significant" and row["p_adjusted"] >= 0.05


def test_failed_variants_are_never_compared():
    reps = _reps([5.0, 5.1, 4.9], [1.0, 1.1, 0.9])
    assert _compare(reps, failed=(B,)).empty


def test_paper2_table_has_improvement_against_slowest_and_outlier_counts():
    summary = pd.DataFrame({"variant": [A, B, A, B], "requests": 11, "errors": 0,
                            "scenario": ["p2_get_concurrent", "p2_get_concurrent",
                                         "p2_post_concurrent", "p2_post_concurrent"],
                            "censored": 0, "status": "ok"})
    base = np.arange(1.0, 11.0)
    lat = {(A, "p2_get_concurrent"): np.r_[base, 100.0],  # mean 14.09, one outlier
           (B, "p2_get_concurrent"): base * 4,  # mean 22, slowest -> baseline
           (A, "p2_post_concurrent"): base,
           (B, "p2_post_concurrent"): base * 2}
    table = papers.paper2_table(lat, summary, "concurrent").set_index(["variant", "method"])
    assert table.loc[(B, "GET"), "improvement_pct"] == pytest.approx(0.0)
    assert table.loc[(A, "POST"), "improvement_pct"] == pytest.approx((22 - 5.5) / 22 * 100)
    assert table.loc[(A, "GET"), "outliers"] == 1
    assert table.loc[(B, "GET"), "outliers"] == 0
    # a failed row is never the baseline nor ranked
    summary.loc[1, "status"] = "failed"
    table = papers.paper2_table(lat, summary, "concurrent")
    assert list(table["status"])[-1] == "failed"
    assert np.isnan(table.iloc[-1]["improvement_pct"])
    by = table.set_index(["variant", "method"])
    assert by.loc[(A, "GET"), "improvement_pct"] == pytest.approx(0.0)  # the new slowest


def test_paper1_figures_follow_the_papers_order_with_ci(tmp_path: Path):
    root = make_run(tmp_path / "p1", variants={B: 4.0, A: 2.0},
                    scenarios=("p1_delete", "p1_hello"), reps=3, requests_per_rep=100,
                    monitors=False)
    from reports.analysis.analyse import analyse
    from reports.loading.run_folder import load_run

    p1 = analyse(load_run(root)).paper1
    assert list(p1["scenario"]) == ["p1_hello", "p1_hello", "p1_delete", "p1_delete"]
    assert list(p1["variant"][:2]) == [A, B]  # FastAPI before Flask, as in the paper
    assert (p1["ci95_low"] <= p1["value"]).all() and (p1["value"] <= p1["ci95_high"]).all()
    assert list(p1["metric"]) == ["rps", "rps", "mean_ms", "mean_ms"]


def _run(root: Path, scale: float, seed: int) -> Path:
    write_run_json(root, [A])
    rng = np.random.default_rng(seed)
    for rep in range(1, 5):
        write_cell(root / "cells" / A / "smoke_hello" / f"rep-{rep}", variant=A,
                   scenario="smoke_hello", rep=rep, monitors=False,
                   latency_ms=rng.lognormal(np.log(2.0 * scale), 0.2, 300)
                   * rng.normal(1, 0.02))
    return root


def test_compare_finds_a_slower_run_and_not_an_equal_one(tmp_path: Path, capsys):
    a = _run(tmp_path / "A", 1.0, 1)
    same = _run(tmp_path / "same", 1.0, 2)
    slow = _run(tmp_path / "slow", 1.5, 3)
    assert main(["compare", str(a), str(same)]) == 0
    equal = pd.read_csv(same / "report" / "compare-A" / "compare.csv")
    assert equal.loc[0, "latency_verdict"] == "not_significant"
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(slow), "--out", str(out)]) == 0
    slower = pd.read_csv(out / "compare.csv")
    assert slower.loc[0, "latency_verdict"] == "b_slower"
    assert slower.loc[0, "rps_verdict"] == "b_slower"  # less goodput is worse, same word
    assert slower.loc[0, "latency_ratio"] == pytest.approx(1.5, rel=0.08)
    assert (out / "compare.md").is_file() and (out / "compare.png").stat().st_size > 0
    assert "B slower" in capsys.readouterr().out

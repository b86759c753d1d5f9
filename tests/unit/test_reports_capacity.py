"""Capacity curves in the report: known answers from synthetic capacity cells
(reports/synthetic/capacity_cells.py), capacity cells kept out of the ordinary tables, the capacity
section of tables.md and index.html, the CSV exports, and the figures' layout.

The synthetic servers (``CAPACITY_MODELS``): gunicorn + uvicorn meets p99 <= 50 ms up to 392, 400
and 408 req/s in its three repetitions at 2.0 CPU-s per 1,000 requests and 60 MiB; gthread up to
245 and 255 req/s, its second repetition being client-bound at 180 req/s; daphne up to 97, 100
and 103 req/s, so it cannot carry the common rate of 150 req/s; uvicorn is client-bound in every
repetition (the client falls behind above 600 req/s). Closed-ladder knees: 4, 4, 2 and 8
connections.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from reports.analysis.analyse import Analysis, analyse
from reports.analysis.capacity.cells import ladder_knee
from reports.analysis.capacity.cost import window_cost
from reports.analysis.run_comparison import compare_runs
from reports.build import build
from reports.cli import DEMO_SCENARIOS, main
from reports.constants import (
    CAPACITY_COLUMNS,
    CAPACITY_EXTRA_COLUMNS,
    CAPACITY_STEP_COLUMNS,
    CAPACITY_STEP_EXTRA_COLUMNS,
)
from reports.loading.run_folder import load_run
from reports.rendering import capacity_sections, figures
from reports.synthetic.capacity_cells import (
    CAPACITY_MODELS,
    CAPACITY_SCENARIOS,
    CapacityModel,
    add_capacity_cells,
)
from reports.synthetic.runs import DEFAULT_VARIANTS, make_run
from runfiles.summary_json import failed_summary

OPEN, CLOSED = "capacity_hello", "capacity_get_ladder"
GU, GTHREAD = "fastapi_sqlite3-gunicorn_uvicorn", "flask_sqlite3-gunicorn_gthread"
DAPHNE, UVICORN = "django_drf-daphne", "fastapi_sqlite3-uvicorn"
ORDINARY = ("smoke_hello", "smoke_get")
REPS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Path]:
    root = tmp_path_factory.mktemp("capacity") / "run"
    make_run(root, variants={**DEFAULT_VARIANTS, UVICORN: 3.0}, scenarios=ORDINARY, reps=REPS,
             requests_per_rep=150)
    add_capacity_cells(root, [OPEN, CLOSED], reps=REPS)
    return build(root)


@pytest.fixture(scope="module")
def result(built: tuple[Analysis, Path]) -> Analysis:
    return built[0]


def _row(frame: pd.DataFrame, variant: str, scenario: str = OPEN) -> pd.Series:
    rows = frame[(frame["variant"] == variant) & (frame["scenario"] == scenario)]
    assert len(rows) == 1, (variant, scenario)
    return rows.iloc[0]


def _written(root: Path, variant: str, scenario: str = OPEN) -> list[dict]:
    """The capacity objects of the summaries on disk, by repetition."""
    return [json.loads((root / "cells" / variant / scenario / f"rep-{k}" / "summary.json")
                       .read_text())["capacity"] for k in range(1, REPS + 1)]


def _t_interval(values: list[float]) -> tuple[float, float]:
    x = np.asarray(values)
    half = sps.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return x.mean() - half, x.mean() + half


# -- known answers --------------------------------------------------------------------------------

def test_max_rate_is_the_mean_of_server_bound_reps_with_a_t_interval(result: Analysis):
    root = result.run.path
    for variant, capacity in ((GU, 400.0), (DAPHNE, 100.0)):
        written = [c["max_rate_rps"] for c in _written(root, variant)]
        assert all(c["limited_by"] == "server" for c in _written(root, variant))
        row = _row(result.capacity.max_rate, variant)
        assert row["n"] == REPS and row["status"] == "measured"
        assert row["max_rate_mean"] == pytest.approx(np.mean(written))
        # the search bisects to within 5% below each repetition's true capacity
        assert 0.95 * capacity <= row["max_rate_mean"] <= capacity
        low, high = _t_interval(written)
        assert (row["ci95_low"], row["ci95_high"]) == (pytest.approx(low), pytest.approx(high))
        assert row["ci95_low"] < capacity < row["ci95_high"]
        assert row["slo_p99_ms"] == 50.0


def test_a_client_bound_rep_is_labelled_and_left_out_of_the_mean_and_interval(result: Analysis):
    written = _written(result.run.path, GTHREAD)
    assert [c["limited_by"] for c in written] == ["server", "client", "server"]
    row = _row(result.capacity.max_rate, GTHREAD)
    assert row["n"] == 2 and row["reps"] == REPS
    assert row["max_rate_mean"] == pytest.approx(np.mean([written[0]["max_rate_rps"],
                                                          written[2]["max_rate_rps"]]))
    assert math.isnan(row["ci95_low"]) and math.isnan(row["ci95_high"])  # 2 < 3 repetitions
    shown = capacity_sections.max_rate_display(result.capacity.max_rate)
    text = shown[shown["variant"] == GTHREAD].iloc[0]
    bound = written[1]["max_rate_rps"]
    assert f"≥ {bound:,.1f} (client-bound)" in text["per_rep_text"]
    assert text["ci"] == "– (n < 3)" and text["n_text"] == "2 of 3"
    reps = result.capacity.reps
    mine = reps[(reps["variant"] == GTHREAD) & (reps["scenario"] == OPEN)]
    assert list(mine["in_interval"]) == [True, False, True]


def test_a_variant_client_bound_everywhere_has_a_lower_bound_not_a_capacity(result: Analysis,
                                                                             built):
    row = _row(result.capacity.max_rate, UVICORN)
    assert row["n"] == 0 and row["status"] == "lower bound"
    assert math.isnan(row["max_rate_mean"])
    assert row["lower_bound"] == 400.0 and row["lower_bound_by"] == "client"
    shown = capacity_sections.max_rate_display(result.capacity.max_rate)
    assert shown.loc[shown["variant"] == UVICORN, "rate"].iloc[0] == "≥ 400.0, client-bound"
    tables_md = (built[1] / "tables.md").read_text(encoding="utf-8")
    assert "≥ 400.0, client-bound" in tables_md
    findings = result.validity[(result.validity["variant"] == UVICORN)
                               & (result.validity["scenario"] == OPEN)]
    assert findings["message"].str.contains("lower bound").any()


def test_cost_at_the_common_rate_is_known_and_an_uncarried_rate_is_marked(result: Analysis):
    cost = result.capacity.cost
    for variant, model in CAPACITY_MODELS.items():
        for scenario in (OPEN, CLOSED):
            row = _row(cost, variant, scenario)
            assert row["cost_rate_rps"] == 150.0 and row["n"] == REPS
            assert row["cpu_mean"] == pytest.approx(model.cost_cpu_s_per_1k, abs=1e-6)
            assert row["cpu_ci95_low"] == pytest.approx(model.cost_cpu_s_per_1k, abs=1e-6)
            assert row["rss_mean"] == pytest.approx(model.rss_mib, abs=1e-6)
    assert _row(cost, GU)["cpu_mean"] == pytest.approx(2.0, abs=1e-6)
    assert _row(cost, DAPHNE)["not_carried"] == REPS and _row(cost, DAPHNE)["status"] == \
        "not carried"
    assert _row(cost, GU)["not_carried"] == 0 and _row(cost, DAPHNE, CLOSED)["not_carried"] == 0
    shown = capacity_sections.cost_display(cost)
    daphne = shown[(shown["variant"] == DAPHNE) & (shown["scenario"] == OPEN)].iloc[0]
    assert daphne["cpu"] == "8.00 †" and daphne["carried"] == "no in 3 of 3 †"
    assert (result.validity["message"].str.contains("did not pass")
            & (result.validity["variant"] == DAPHNE)).sum() == REPS


def test_window_cost_integrates_each_sample_over_the_interval_before_it():
    # two processes sampled every 100 ms at 30% and 10% of a core
    ts = np.arange(0, 1_000_000_001, 100_000_000, dtype="int64")
    samples = pd.concat([pd.DataFrame({"ts_ns": ts, "pid": pid, "cpu_percent": cpu,
                                       "rss_bytes": rss}) for pid, cpu, rss in
                         ((1, 30.0, 10 * 2**20), (2, 10.0, 5 * 2**20))])
    used = window_cost(samples, 200_000_000, 700_000_000)  # 0.5 s
    assert used.cpu_s == pytest.approx(0.5 * 0.4)
    assert used.peak_rss_bytes == 15 * 2**20 and used.coverage == pytest.approx(1.0)
    half = window_cost(samples, 250_000_000, 300_000_000)  # half a sample interval
    assert half.cpu_s == pytest.approx(0.05 * 0.4)
    late = window_cost(samples, 900_000_000, 1_900_000_000)  # the samples end at 1 s
    assert late.coverage == pytest.approx(0.1)
    assert math.isnan(window_cost(samples.iloc[0:0], 0, 10).cpu_s)


def test_knee_of_a_ladder_and_of_a_search(result: Analysis):
    knees = result.capacity.knees
    for variant, level in ((GU, 4), (GTHREAD, 4), (DAPHNE, 2), (UVICORN, 8)):
        row = _row(knees, variant, CLOSED)
        assert [lv for _, lv, _ in row["per_rep"]] == [level] * REPS
        assert row["n"] == REPS
    steps = result.capacity.steps
    knee_steps = steps[steps["knee"]]
    reps = result.capacity.reps
    assert len(knee_steps) == len(reps)  # one knee per repetition
    for r in reps[reps["mode"] == "open"].itertuples():
        mine = knee_steps[(knee_steps["variant"] == r.variant) & (knee_steps["rep"] == r.rep)
                          & (knee_steps["scenario"] == OPEN)]
        assert mine["offered_rps"].iloc[0] == r.max_rate_rps and mine["passed"].iloc[0] is True
    curves = result.capacity.curves
    gu = curves[(curves["variant"] == GU) & (curves["scenario"] == OPEN)]
    assert gu["rep"].iloc[0] == 2  # the repetition with the median maximum rate
    assert gu.loc[gu["knee"], "x"].tolist() == [400.0]


def test_ladder_knee_rule():
    assert ladder_knee(np.array([100.0, 200, 400, 404, 408]),
                       np.array([25.0, 25, 25, 50, 98])) == (2, True)
    # goodput still grows by 5% at every level: no knee within the ladder
    assert ladder_knee(np.array([100.0, 200, 300]), np.array([10.0, 11, 12])) == (2, False)
    # flat goodput with a flat p99 is not a knee yet
    assert ladder_knee(np.array([100.0, 101, 150, 151]), np.array([10.0, 10, 12, 30])) == (2, True)
    assert ladder_knee(np.array([]), np.array([])) is None


# -- kept out of the ordinary tables --------------------------------------------------------------

def test_capacity_cells_never_enter_the_ordinary_tables(result: Analysis, built):
    out = built[1]
    capacity = {OPEN, CLOSED}
    assert set(result.summary["scenario"]) == set(ORDINARY)
    assert set(result.reps["scenario"]) == set(ORDINARY) == set(result.scenarios)
    assert not capacity & set(pd.read_csv(out / "comparisons.csv")["scenario"])
    assert not capacity & set(pd.read_csv(out / "summary.csv")["scenario"])
    assert not capacity & set(result.headlines["scenario"])
    assert not capacity & set(result.reproduction.loc[
        result.reproduction["scenario_in_run"].astype(bool), "scenario"])
    assert not any(s in capacity for _, s, _ in result.paper2_cells)
    assert not capacity & set(result.timelines)
    summary_md = (out / "tables.md").read_text(encoding="utf-8").split("## Summary")[1] \
        .split("##")[0]
    assert OPEN not in summary_md and CLOSED not in summary_md
    # ... while the run's counts include them
    n_capacity = len(CAPACITY_MODELS) * 2 * REPS
    assert result.counts.reps == len(result.reps) + n_capacity
    assert result.counts.scenarios == len(ORDINARY) + 2
    assert result.counts.requests == int(result.summary["requests"].sum()) + \
        int(result.capacity.steps["requests"].sum())
    errors = result.validity[result.validity["severity"] == "error"]
    assert errors.empty, errors.to_dict("records")


def test_compare_leaves_capacity_cells_out(result: Analysis):
    run = load_run(result.run.path)
    comparison = compare_runs(run, run)
    assert set(comparison.table["scenario"]) == set(ORDINARY)
    assert comparison.missing == []


def test_a_capacity_cell_that_could_not_run_stays_with_its_scenario(tmp_path: Path):
    root = tmp_path / "run"
    make_run(root, variants={GU: 2.0}, scenarios=["smoke_hello"], reps=1, requests_per_rep=50)
    add_capacity_cells(root, [OPEN], reps=1, models={GU: CAPACITY_MODELS[GU]})
    folder = root / "cells" / GU / OPEN / "rep-2"
    folder.mkdir()
    summary = failed_summary({"variant": GU, "scenario": OPEN, "rep": 2}, "never healthy", {})
    (folder / "summary.json").write_text(json.dumps(summary))
    (root / "cells" / GU / OPEN / "rep-1" / "monitor-server.csv").unlink()
    result = analyse(load_run(root))
    assert set(result.summary["scenario"]) == {"smoke_hello"}
    assert list(result.capacity.reps["rep"]) == [1, 2]
    mine = result.validity[result.validity["scenario"] == OPEN]
    assert mine["message"].str.contains("without its capacity object").any()
    assert mine["message"].str.contains("monitor covers 0%").any()  # no cost without samples
    assert math.isnan(result.capacity.reps["cost_cpu_s_per_1k"].iloc[0])
    assert result.capacity.max_rate["n"].iloc[0] == 1


# -- rendering ------------------------------------------------------------------------------------

def test_the_html_report_has_the_capacity_section_and_its_plotly_figures(built):
    out = built[1]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<h2 id="capacity">' in html and 'href="#capacity"' in html
    for heading in ("Maximum sustainable rate (open loop)",
                    "The knee of the connection ladder (closed loop)",
                    "Cost per request at the common rate (150.0 req/s)"):
        assert heading in html
    assert 'href="capacity.csv"' in html and 'href="capacity_steps.csv"' in html
    specs = {}
    for plot_id, text in _specs(html):
        spec = json.loads(text)
        title = (spec["layout"].get("annotations") or [{"text": plot_id}])[0]["text"]
        specs[title] = spec
    open_spec, closed_spec = specs[f"<b>{OPEN}</b>"], specs["<b>goodput (req/s)</b>"]
    assert open_spec["layout"]["yaxis"]["type"] == "log"
    assert open_spec["layout"]["shapes"][0]["y0"] == 50.0  # the objective
    names = {t["name"] for t in open_spec["data"]}
    assert set(CAPACITY_MODELS) <= names
    stars = [t for t in open_spec["data"] if t.get("mode") == "markers"]
    assert {t["marker"]["symbol"] for t in stars} == {"star", "star-open"}  # uvicorn: a bound
    assert closed_spec["layout"]["xaxis"]["type"] == "log"
    assert closed_spec["layout"]["yaxis2"]["type"] == "log"
    for name in (f"figures/{OPEN}.png", f"figures/{CLOSED}.png"):
        assert name in html and (out / name).is_file()
    assert (out / "plotly.min.js").is_file()


def _specs(html: str) -> list[tuple[str, str]]:
    import re

    return re.findall(r'<script type="application/json" id="(plot-\d+)-spec">(.*?)</script>',
                      html, flags=re.S)


def test_tables_md_has_the_capacity_section(built):
    text = (built[1] / "tables.md").read_text(encoding="utf-8")
    section = text.split("## Capacity")[1].split("\n## ")[0]
    assert "### Maximum sustainable rate (open loop)" in section
    assert "### Cost per request at the common rate (150.0 req/s)" in section
    assert "8.00 †" in section and "– (n < 3)" in section
    assert f"- [Capacity — {OPEN}](figures/{OPEN}.png)" in text


def test_capacity_csvs(result: Analysis, built):
    out = built[1]
    reps = pd.read_csv(out / "capacity.csv")
    assert list(reps.columns) == [*CAPACITY_COLUMNS, *CAPACITY_EXTRA_COLUMNS, "database"]
    assert set(reps["database"]) == {"sqlite"}  # no database block: SQLite, no db columns
    assert list(reps.columns[:8]) == ["variant", "scenario", "rep", "max_rate_rps", "limited_by",
                                      "slo_p99_ms", "cost_cpu_s_per_1k", "peak_rss_mib"]
    assert len(reps) == len(CAPACITY_MODELS) * 2 * REPS
    gu = reps[(reps["variant"] == GU) & (reps["scenario"] == OPEN)]
    assert gu["cost_cpu_s_per_1k"].tolist() == pytest.approx([2.0] * REPS)
    assert set(reps.loc[reps["variant"] == UVICORN, "limited_by"]) == {"client", "levels"}
    steps = pd.read_csv(out / "capacity_steps.csv")
    assert list(steps.columns) == [*CAPACITY_STEP_COLUMNS, *CAPACITY_STEP_EXTRA_COLUMNS,
                                   "database"]
    written = [s for c in _written(result.run.path, GU) for s in c["steps"]]
    mine = steps[(steps["variant"] == GU) & (steps["scenario"] == OPEN)]
    assert len(mine) == len(written)
    assert mine["start_ns"].tolist() == [s["start_ns"] for s in written]  # exact integers
    assert len(steps) == len(result.capacity.steps)


def test_without_capacity_cells_there_is_no_capacity_section(tmp_path: Path):
    root = make_run(tmp_path / "run", scenarios=["smoke_hello"], reps=1, requests_per_rep=50)
    stale = root / "report"
    stale.mkdir()
    (stale / "capacity.csv").write_text("old")
    result, out = build(root, figures=False)
    assert not result.capacity.present
    assert not (out / "capacity.csv").exists() and not (out / "capacity_steps.csv").exists()
    assert "## Capacity" not in (out / "tables.md").read_text(encoding="utf-8")
    assert 'id="capacity"' not in (out / "index.html").read_text(encoding="utf-8")


def test_the_demo_has_capacity_cells_and_builds_a_capacity_only_run(tmp_path: Path):
    assert set(CAPACITY_SCENARIOS) <= set(DEMO_SCENARIOS)
    root = tmp_path / "demo"
    assert main(["demo", str(root), "--scenarios", OPEN, "--reps", "2"]) == 0
    result = analyse(load_run(root))
    assert result.summary.empty and result.capacity.scenarios == [OPEN]
    assert result.counts.reps == 2 * len(CAPACITY_MODELS)
    assert result.capacity.max_rate["ci95_low"].isna().all()  # 2 repetitions: no interval
    assert (root / "report" / "capacity.csv").is_file()
    assert (root / "report" / "figures" / f"{OPEN}.png").is_file()


# -- layout of the static figures ------------------------------------------------------------------

def test_capacity_figures_stay_readable_with_many_variants(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    from test_reports_figures_layout import layout_problems

    stacks = ("fastapi_sqlmodel", "fastapi_sqlite3", "flask_sqlalchemy", "flask_sqlite3",
              "django_drf")
    servers = ("gunicorn_uvicorn", "uvicorn", "gunicorn_gthread", "daphne")
    models = {f"{stack}-{server}": CapacityModel((100.0 + 40 * i,), 1.0 + 0.2 * i,
                                                 per_connection_rps=50.0 + 10 * i,
                                                 max_goodput_rps=100.0 + 40 * i)
              for i, (stack, server) in enumerate((a, b) for a in stacks for b in servers)}
    root = tmp_path / "run"
    add_capacity_cells(root, [OPEN, CLOSED], reps=1, models=models)
    result = analyse(load_run(root))
    problems: dict[str, list[str]] = {}
    original = figures._save

    def checking_save(fig, path: Path) -> None:
        problems[path.name] = layout_problems(fig, path.name)
        original(fig, path)

    monkeypatch.setattr(figures, "_save", checking_save)
    written = figures.write_all(result, tmp_path / "figures", workers=1)
    assert {f.filename for f in written} == {f"{OPEN}.png", f"{CLOSED}.png"} == set(problems)
    found = [p for name in sorted(problems) for p in problems[name]]
    assert not found, "\n".join(found[:40])

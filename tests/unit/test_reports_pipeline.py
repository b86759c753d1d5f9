"""load -> analyse -> render: the renderers format what the ``Analysis`` holds and nothing else."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from reports.analysis.analyse import Analysis, Lazy, analyse
from reports.analysis.run_comparison import compare_runs
from reports.constants import PAPER2_LOADS
from reports.loading.run_folder import Run, load_run
from reports.rendering import compare_report, csv_files, figures, html, markdown, paper2_export
from reports.synthetic.runs import make_run

SCENARIOS = ["p1_hello", "p2_get_constant", "p2_post_constant", "smoke_get"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = make_run(tmp_path_factory.mktemp("pipeline") / "run", scenarios=SCENARIOS, reps=3,
                    requests_per_rep=120, error_rate=0.01)
    return load_run(root)


def _without_raw_data(result: Analysis) -> Analysis:
    """The same analysis, its lazy series computed, with the run's request and monitor rows
    gone: a renderer that computed from them would now fail or differ."""
    for lazy in (result.per_iteration, result.timelines, result.boxes):
        for key in lazy:
            lazy[key]
    empty = Run(result.run.path, result.run.meta, result.run.cells.iloc[0:0],
                result.run.requests.iloc[0:0], result.run.monitors.iloc[0:0])
    return dataclasses.replace(result, run=empty)


def _render(result: Analysis, out: Path) -> dict[str, bytes]:
    figs = figures.write_all(result, out / "figures", workers=1)
    markdown.write_tables_md(result, out / "tables.md", figs)
    database = result.provenance.database
    csv_files.write_summary_csv(result.summary, out / "summary.csv", database)
    csv_files.write_comparisons_csv(result.comparisons, out / "comparisons.csv", database)
    html.write_html(result, out / "index.html", figs)
    paper2_export.write_paper2(result.paper2_cells, out / "paper2", database=database.kind)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_renderers_only_format_the_analysis(run: Run, tmp_path: Path):
    result = analyse(run)
    full = _render(result, tmp_path / "full")
    alone = _render(_without_raw_data(analyse(run)), tmp_path / "alone")
    assert full.keys() == alone.keys()
    assert [name for name in full if full[name] != alone[name]] == []
    assert {"tables.md", "summary.csv", "comparisons.csv", "index.html"} <= full.keys()
    assert any(name.startswith("paper2/") for name in full)
    assert any(name.startswith("figures/p2_constant_line") for name in full)


def test_the_analysis_holds_every_series_the_figures_draw(run: Run):
    result = analyse(run)
    _, get_s, post_s, _ = PAPER2_LOADS["constant"]
    assert list(result.paper2) == ["constant"]
    assert list(result.per_iteration) == [get_s, post_s] == list(result.boxes)
    assert list(result.timelines) == result.scenarios
    assert set(result.per_iteration[get_s]["variant"]) == set(result.variants)
    assert [box.variant for box in result.boxes[post_s]] == result.variants
    assert {"throughput_rps", "server_cpu_pct"} <= set(result.timelines["smoke_get"]["metric"])
    assert result.counts.requests == int(result.summary["requests"].sum())
    assert result.counts.reps == len(result.reps) == 3 * len(SCENARIOS) * len(result.variants)
    assert set(result.headlines["scenario"]) == set(result.scenarios)
    assert len(result.paper2_cells) == 2 * 3 * len(result.variants)


def test_lazy_series_are_computed_once_and_only_when_read():
    calls: list[str] = []

    def compute(key: str) -> pd.DataFrame:
        calls.append(key)
        return pd.DataFrame({"key": [key]})

    lazy = Lazy(["a", "b", "a"], compute)
    assert list(lazy) == ["a", "b"] and len(lazy) == 2 and calls == []
    assert lazy["b"]["key"].iloc[0] == "b"
    lazy["b"]
    assert calls == ["b"]
    with pytest.raises(KeyError):
        lazy["c"]


def test_compare_is_analysed_apart_from_its_rendering(run: Run, tmp_path: Path):
    comparison = compare_runs(run, run)
    assert comparison.missing == []
    assert (comparison.table["latency_ratio"] == 1.0).all()
    compare_report.write_all(comparison, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"compare.csv", "compare.md", "compare.png"}
    text = (tmp_path / "compare.md").read_text()
    assert text.startswith(f"# Comparison: {run.run_id} (B) against {run.run_id} (A)")

"""The pipeline, one way: load a run, analyse it once, hand the ``Analysis`` to the renderers
that write files. Likewise for ``compare``: load two runs, compare, render."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from reports.analysis.analyse import Analysis, analyse
from reports.analysis.run_comparison import Comparison, compare_runs
from reports.analysis.thresholds import Threshold, crossings, run_verdict
from reports.loading.run_folder import load_run
from reports.rendering import compare_report, csv_files, markdown, paper2_export
from reports.rendering.sections import Figure


def build(run_dir: Path, *, figures: bool = True, html: bool = True,
          thresholds: Sequence[Threshold] = (),
          paper2_failures: str = "blank") -> tuple[Analysis, Path]:
    """Write report/summary.csv, comparisons.csv, reproduction.csv, instability.csv,
    control.csv (with an A/A control), run-summary.json, capacity.csv and capacity_steps.csv
    (with capacity cells), paper2/**.csv (failed requests
    blank, or 0 with ``paper2_failures="zero"``), tables.md, figures/*.png and index.html."""
    result = analyse(load_run(run_dir))
    out = Path(run_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    crossed = crossings(result.summary, list(thresholds))
    verdict = run_verdict(result.run.run_id, result.summary, list(thresholds), crossed)
    if result.sequential is not None:  # a budget run; absent otherwise (goldens byte-identical)
        verdict["sequential"] = result.sequential.as_json()
    (out / "run-summary.json").write_text(json.dumps(verdict, indent=2) + "\n",
                                          encoding="utf-8")
    database = result.provenance.database
    csv_files.write_summary_csv(result.summary, out / "summary.csv", database)
    csv_files.write_comparisons_csv(result.comparisons, out / "comparisons.csv", database)
    csv_files.write_reproduction_csv(result.reproduction, out / "reproduction.csv", database)
    csv_files.write_control_csv(result.control, out, database)
    csv_files.write_instability_csv(result.instability, out / "instability.csv", database)
    csv_files.write_capacity_csvs(result.capacity.reps, result.capacity.steps, out, database)
    paper2_export.write_paper2(result.paper2_cells, out / "paper2", paper2_failures,
                        database=database.kind)
    figure_list: list[Figure] = []
    if figures:
        from reports.rendering import figures as fig  # matplotlib: imported only when drawing

        figure_list = fig.write_all(result, out / "figures")
    markdown.write_tables_md(result, out / "tables.md", figure_list)
    if html:
        from reports.rendering import html as html_report  # jinja2: imported only when needed

        html_report.write_html(result, out / "index.html", figure_list)
    return result, out


def safe_name(run_id: str) -> str:
    """A run id as one file name: a run id read from run.json never leads out of the folder."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).lstrip(".")
    return name or "run"


def build_comparison(run_a: Path, run_b: Path,
                     out: Path | None = None) -> tuple[Comparison, Path]:
    """Load both runs, compare, write compare.csv, compare.md and compare.png (default folder:
    RUN_B/report/compare-<run id of A>)."""
    a, b = load_run(run_a), load_run(run_b)
    comparison = compare_runs(a, b)
    out = out or Path(run_b) / "report" / f"compare-{safe_name(a.run_id)}"
    compare_report.write_all(comparison, out)
    return comparison, out

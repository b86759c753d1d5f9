"""``build``: analyse a run once, then hand the results to the renderers that write files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reports import analysis, export, validity
from reports.constants import PAPER2_LOADS
from reports.load import Run, load_run


@dataclass(frozen=True)
class Analysis:
    run: Run
    reps: pd.DataFrame
    summary: pd.DataFrame
    validity: pd.DataFrame
    paper1: pd.DataFrame
    paper2: dict[str, pd.DataFrame]
    comparisons: pd.DataFrame
    curves: pd.DataFrame
    latencies: dict[tuple[str, str], np.ndarray]

    @property
    def variants(self) -> list[str]:
        return analysis.order_variants(self.run.cells)

    @property
    def scenarios(self) -> list[str]:
        return analysis.order_scenarios(self.run.cells["scenario"]) if len(self.run.cells) else []


def _count_findings(summary: pd.DataFrame, findings: pd.DataFrame) -> pd.Series:
    serious = findings[findings["severity"].isin(["error", "warning"])]
    counts = []
    for row in summary.itertuples():
        mine = serious["variant"].eq(row.variant) & serious["scenario"].isin([row.scenario, ""])
        counts.append(int(mine.sum()))
    return pd.Series(counts, index=summary.index, dtype="int64")


def analyse(run: Run) -> Analysis:
    reps = analysis.rep_stats(run.cells, run.requests, run.monitors)
    latencies = analysis.latency_samples(run.requests, run.cells)
    summary = analysis.summary_table(reps, latencies, run.cells)
    findings = validity.validity_table(run.meta, run.problems, run.cells, reps, summary)
    summary["warnings"] = _count_findings(summary, findings)
    present = set(summary["scenario"])
    paper2 = {load: analysis.paper2_table(latencies, summary, load)
              for load, (_, get_s, post_s, _) in PAPER2_LOADS.items()
              if {get_s, post_s} & present}
    return Analysis(
        run=run, reps=reps, summary=summary, validity=findings,
        paper1=analysis.paper1_table(reps, run.cells), paper2=paper2,
        comparisons=analysis.comparisons(reps, summary, run.cells),
        curves=analysis.latency_curves(latencies), latencies=latencies)


def build(run_dir: Path, *, figures: bool = True, html: bool = True) -> tuple[Analysis, Path]:
    """Write report/summary.csv, comparisons.csv, paper2/*.csv, tables.md, figures/*.png and
    index.html."""
    from reports import render_md  # local imports keep `python -m reports --help` fast

    run = load_run(run_dir)
    result = analyse(run)
    out = Path(run_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    render_md.write_summary_csv(result.summary, out / "summary.csv")
    render_md.write_comparisons_csv(result.comparisons, out / "comparisons.csv")
    export.write_paper2(export.paper2_frames(run.requests, run.cells), out / "paper2")
    figure_list = []
    if figures:
        from reports import figures as fig
        figure_list = fig.write_all(result, out / "figures")
    render_md.write_tables_md(result, out / "tables.md", figure_list)
    if html:
        from reports import html as html_report
        html_report.write_html(result, out / "index.html", figure_list)
    return result, out

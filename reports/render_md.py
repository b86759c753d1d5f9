"""Renderers for report/summary.csv and report/tables.md (they only write files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reports import provenance, tables
from reports.constants import (
    BOOTSTRAP_RESAMPLES,
    PAPER1_FIGURES,
    PAPER2_LOADS,
    PAPER2_TABLES,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
)
from reports.method import METHOD_NOTES

if TYPE_CHECKING:
    from reports.build import Analysis
    from reports.figures import Figure


def write_summary_csv(summary: pd.DataFrame, path: Path) -> None:
    summary[[*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS]].to_csv(path, index=False,
                                                               float_format="%.6g")


def paper1_sections(result: Analysis) -> list[tuple[str, pd.DataFrame]]:
    """(heading, display frame) per paper-1 figure present, in the paper's order."""
    out = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        part = result.paper1[result.paper1["scenario"] == scenario]
        if part.empty:
            continue
        unit = "req/s" if metric == "rps" else "ms"
        part = tables.with_ci(part, "ci95_low", "ci95_high", "ci")
        out.append((f"Fig. {number} — {title} ({unit}, {scenario})", part))
    return out


def paper2_sections(result: Analysis) -> list[tuple[str, pd.DataFrame]]:
    out = []
    for load, table in result.paper2.items():
        label = PAPER2_LOADS[load][0]
        number = PAPER2_TABLES.get(load)
        prefix = f"Table {number} — " if number else ""
        out.append((f"{prefix}{label}", tables.paper2_display(table)))
    return out


def pairwise_sections(result: Analysis) -> list[tuple[str, pd.DataFrame]]:
    pw = tables.with_ci(result.pairwise, "ratio_ci95_low", "ratio_ci95_high", "ci", 3)
    return [(s, pw[pw["scenario"] == s]) for s in result.scenarios
            if (pw["scenario"] == s).any()]


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    return tables.with_ci(summary, "ci95_low_ms", "ci95_high_ms", "ci95_ms")


def write_tables_md(result: Analysis, path: Path, figures: Sequence[Figure] = ()) -> None:
    run = result.run
    v = result.validity
    lines = [f"# fwbench report — {run.run_id}", ""]
    n_err = int((v["severity"] == "error").sum())
    n_warn = int((v["severity"] == "warning").sum())
    lines += [f"{len(result.variants)} variant(s), {len(result.scenarios)} scenario(s), "
              f"{len(result.reps)} repetition(s); validity: {n_err} error(s), "
              f"{n_warn} warning(s).", ""]
    lines += ["## Validity (read first)", "", tables.VALIDITY_VIEW.markdown(v)]
    lines += ["## Summary", "", "Latency statistics pooled over the successful requests of all "
              "repetitions; failed requests are counted in *errors* and never averaged in. "
              "The 95% CI is a bootstrap interval of the mean over repetition means "
              f"({BOOTSTRAP_RESAMPLES:,} resamples); with one repetition it is blank (–).", "",
              tables.SUMMARY_VIEW.markdown(summary_display(result.summary))]
    p1 = paper1_sections(result)
    if p1:
        lines += ["## Paper 1 (Bednarz & Miłosz) view", "",
                  "Mean over repetitions, as the paper averaged its five runs; 95% bootstrap CI "
                  "over repetitions.", ""]
        for heading, part in p1:
            lines += [f"### {heading}", "", tables.PAPER1_VIEW.markdown(part)]
    p2 = paper2_sections(result)
    if p2:
        lines += ["## Paper 2 (Malatjie & Faniso-Myaka) view", "",
                  "Average over successful requests (ms, the paper used seconds); improvement = "
                  "(slowest − average) / slowest across all rows of the table (the slowest row "
                  "is the baseline); outliers outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR].", ""]
        for heading, part in p2:
            lines += [f"### {heading}", "", tables.PAPER2_VIEW.markdown(part)]
    pw = pairwise_sections(result)
    if pw:
        lines += ["## Pairwise comparisons", "",
                  "B/A = ratio of mean latency (mean of repetition means); verdict at α = 0.05 "
                  "after Holm correction within each scenario.", ""]
        for heading, part in pw:
            lines += [f"### {heading}", "", tables.PAIRWISE_VIEW.markdown(part)]
    lines += ["## Efficiency", "", tables.EFFICIENCY_VIEW.markdown(result.summary)]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"- [{f.title}](figures/{f.filename})" for f in figures]
        lines.append("")
    lines += ["## Provenance", ""]
    lines += [f"- **{k}**: {val}" for k, val in provenance.run_facts(run.meta)]
    lines.append("")
    hosts = provenance.hosts_table(run.meta)
    lines += [tables.markdown(hosts, {c: c for c in hosts.columns})]
    variants = provenance.variants_table(run.meta)
    lines += [tables.markdown(variants, {c: c for c in variants.columns})]
    lines += ["## Method", "", *[f"- {note}" for note in METHOD_NOTES], ""]
    path.write_text("\n".join(lines), encoding="utf-8")

"""Renderers for report/summary.csv and report/tables.md (they only write files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reports import provenance, tables
from reports.constants import (
    ALPHA,
    COMPARISON_COLUMNS,
    COMPARISON_EXTRA_COLUMNS,
    MIN_REPS,
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


def write_comparisons_csv(comparisons: pd.DataFrame, path: Path) -> None:
    comparisons[[*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS]].to_csv(
        path, index=False, float_format="%.6g")


def paper1_sections(result: Analysis) -> list[tuple[str, pd.DataFrame]]:
    """(heading, display frame) per paper-1 figure present, in the paper's order."""
    out = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        part = result.paper1[result.paper1["scenario"] == scenario]
        if part.empty:
            continue
        unit = "req/s" if metric == "rps" else "ms"
        part = tables.with_ci(part, "ci95_low", "ci95_high", "ci")
        if metric != "rps":
            part = tables.latency_text(part, ("value",))
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


def comparison_sections(result: Analysis) -> list[tuple[str, pd.DataFrame]]:
    shown = tables.comparison_display(result.comparisons)
    return [(s, shown[shown["scenario"] == s]) for s in result.scenarios
            if (shown["scenario"] == s).any()]


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    return tables.latency_text(tables.with_ci(summary, "ci95_low_ms", "ci95_high_ms", "ci95_ms"))


SUMMARY_NOTE = (
    "Goodput counts successful responses only; failed requests are counted in *errors*. "
    "Latency statistics are pooled over the latency samples of all repetitions: successes, and "
    "timed-out requests at the time they were abandoned (then the figures are lower bounds, "
    "marked ≥); other failures are never averaged in. *n* is the number of samples; p99.9 needs "
    "10,000 (else n/a). The 95% CI is Student's t over the means of the repetitions that did "
    "not fail; with one repetition it is blank (–). A *failed* row is never ranked or compared.")
PAPER2_NOTE = (
    "Average over the latency samples (ms, the paper used seconds; ≥ when timed-out requests "
    "are in it); improvement = (slowest − average) / slowest across the rows that did not fail "
    "(the slowest is the baseline; failed rows are not ranked); outliers outside "
    "[Q1 − 1.5·IQR, Q3 + 1.5·IQR].")
COMPARISON_NOTE = (
    f"B/A = ratio of mean latency (mean of repetition means) with Fieller's 95% interval; "
    f"Welch's t-test on repetition means, Holm-corrected within each scenario, significant "
    f"below α = {ALPHA}; the verdict's direction is that of the tested difference. With fewer "
    f"than {MIN_REPS} repetitions on a side there is no claim. Failed variants are left out.")


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
    lines += ["## Summary", "", SUMMARY_NOTE, "",
              tables.SUMMARY_VIEW.markdown(summary_display(result.summary))]
    p1 = paper1_sections(result)
    if p1:
        lines += ["## Paper 1 (Bednarz & Miłosz) view", "",
                  "Mean over the repetitions that did not fail, as the paper averaged its five "
                  "runs; Student's t 95% CI over repetitions; throughput is goodput.", ""]
        for heading, part in p1:
            lines += [f"### {heading}", "", tables.PAPER1_VIEW.markdown(part)]
    p2 = paper2_sections(result)
    if p2:
        lines += ["## Paper 2 (Malatjie & Faniso-Myaka) view", "",
                  PAPER2_NOTE, ""]
        for heading, part in p2:
            lines += [f"### {heading}", "", tables.PAPER2_VIEW.markdown(part)]
    pw = comparison_sections(result)
    if pw:
        lines += ["## Pairwise comparisons", "", COMPARISON_NOTE + " (report/comparisons.csv)",
                  ""]
        for heading, part in pw:
            lines += [f"### {heading}", "", tables.COMPARISON_VIEW.markdown(part)]
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

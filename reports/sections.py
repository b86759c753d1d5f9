"""The report's content, format-neutral: which tables it shows under which headings, with which
notes, and the record of each figure. Markdown (``render_md``) and HTML (``html``) both render
these, so the two cannot drift apart. Pure; analysis frames in, display frames out."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports import tables
from reports.constants import ALPHA, MIN_REPS, PAPER1_FIGURES, PAPER2_LOADS, PAPER2_TABLES

Section = tuple[str, pd.DataFrame]  # (heading, display frame)


@dataclass(frozen=True)
class Figure:
    """A written figure and what it is about (for placing it and its warnings in the report)."""
    filename: str
    title: str
    section: str
    scenarios: tuple[str, ...]
    caption: str = ""


SUMMARY_NOTE = (
    "Goodput counts successful responses only; failed requests are counted in *errors*. "
    "Latency statistics are pooled over the latency samples of all repetitions: successes, and "
    "timed-out requests at the time they were abandoned (then the figures are lower bounds, "
    "marked ≥); other failures are never averaged in. *n* is the number of samples; p99.9 needs "
    "10,000 (else n/a). The 95% CI is Student's t over the means of the repetitions that did "
    "not fail; with one repetition it is blank (–). A *failed* row is never ranked or compared.")
PAPER1_NOTE = (
    "Mean over the repetitions that did not fail, as the paper averaged its five runs; Student's "
    "t 95% CI over repetitions; throughput is goodput.")
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


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    return tables.latency_text(tables.with_ci(summary, "ci95_low_ms", "ci95_high_ms", "ci95_ms"))


def paper1_sections(paper1: pd.DataFrame) -> list[Section]:
    """(heading, display frame) per paper-1 figure present, in the paper's order."""
    out = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        part = paper1[paper1["scenario"] == scenario]
        if part.empty:
            continue
        unit = "req/s" if metric == "rps" else "ms"
        part = tables.with_ci(part, "ci95_low", "ci95_high", "ci")
        if metric != "rps":
            part = tables.latency_text(part, ("value",))
        out.append((f"Fig. {number} — {title} ({unit}, {scenario})", part))
    return out


def paper2_sections(paper2: dict[str, pd.DataFrame]) -> list[Section]:
    """(heading, display frame) per paper-2 load present ("Table 1 — …")."""
    out = []
    for load, table in paper2.items():
        label = PAPER2_LOADS[load][0]
        number = PAPER2_TABLES.get(load)
        prefix = f"Table {number} — " if number else ""
        out.append((f"{prefix}{label}", tables.paper2_display(table)))
    return out


def comparison_sections(comparisons: pd.DataFrame, scenarios: list[str]) -> list[Section]:
    """(scenario, display frame) per scenario with compared pairs, in ``scenarios``' order."""
    shown = tables.comparison_display(comparisons)
    return [(s, shown[shown["scenario"] == s]) for s in scenarios
            if (shown["scenario"] == s).any()]


SERIOUS = ("error", "warning")


def serious_findings(validity: pd.DataFrame) -> pd.DataFrame:
    return validity[validity["severity"].isin(SERIOUS)]


def info_findings(validity: pd.DataFrame) -> pd.DataFrame:
    return validity[validity["severity"] == "info"]


def figure_findings(validity: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """The errors and warnings about any of ``scenarios`` (shown beneath a figure of them)."""
    mask = validity["scenario"].isin(scenarios) & validity["severity"].isin(SERIOUS)
    return validity[mask]

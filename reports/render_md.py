"""Renderers for report/summary.csv, comparisons.csv, reproduction.csv, capacity.csv,
capacity_steps.csv and tables.md: they format what the ``Analysis`` holds (via
``reports.sections`` and ``reports.capacity_sections``) and write files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reports import capacity_sections, sections, tables
from reports.constants import (
    CAPACITY_COLUMNS,
    CAPACITY_DB_COLUMNS,
    CAPACITY_EXTRA_COLUMNS,
    CAPACITY_STEP_COLUMNS,
    CAPACITY_STEP_EXTRA_COLUMNS,
    COMPARISON_COLUMNS,
    COMPARISON_EXTRA_COLUMNS,
    DB_SUMMARY_COLUMNS,
    REPRODUCTION_COLUMNS,
    REPRODUCTION_EXTRA_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_EXTRA_COLUMNS,
)
from reports.loading.database import Database, headline, with_database
from reports.method import METHOD_NOTES
from reports.sections import Figure

if TYPE_CHECKING:
    from reports.analysis.analyse import Analysis


def write_summary_csv(summary: pd.DataFrame, path: Path, database: Database) -> None:
    """report/summary.csv; a database on its own host adds its host's resources."""
    with_database(summary, [*SUMMARY_COLUMNS, *SUMMARY_EXTRA_COLUMNS], database,
                  DB_SUMMARY_COLUMNS).to_csv(path, index=False, float_format="%.6g")


def write_comparisons_csv(comparisons: pd.DataFrame, path: Path, database: Database) -> None:
    with_database(comparisons, [*COMPARISON_COLUMNS, *COMPARISON_EXTRA_COLUMNS],
                  database).to_csv(path, index=False, float_format="%.6g")


def write_reproduction_csv(reproduction: pd.DataFrame, path: Path, database: Database) -> None:
    with_database(reproduction, [*REPRODUCTION_COLUMNS, *REPRODUCTION_EXTRA_COLUMNS],
                  database).to_csv(path, index=False, float_format="%.6g")


CAPACITY_FILES = ("capacity.csv", "capacity_steps.csv")


def write_capacity_csvs(reps: pd.DataFrame, steps: pd.DataFrame, out: Path,
                        database: Database) -> list[Path]:
    """report/capacity.csv (one row per capacity repetition; a database on its own host adds
    its host's cost) and report/capacity_steps.csv (every step of every capacity cell); none,
    and any earlier ones removed, without capacity cells."""
    paths = [out / name for name in CAPACITY_FILES]
    if reps.empty:
        for path in paths:
            path.unlink(missing_ok=True)
        return []
    with_database(reps, [*CAPACITY_COLUMNS, *CAPACITY_EXTRA_COLUMNS], database,
                  CAPACITY_DB_COLUMNS).to_csv(paths[0], index=False, float_format="%.6g")
    with_database(steps, [*CAPACITY_STEP_COLUMNS, *CAPACITY_STEP_EXTRA_COLUMNS],
                  database).to_csv(paths[1], index=False, float_format="%.6g")
    return paths


def reproduction_md(reproduction: pd.DataFrame) -> list[str]:
    """The lines of tables.md's reproduction section."""
    lines = ["## Reproduction of the papers' claims", "", sections.REPRODUCTION_NOTE, "",
             f"**{sections.reproduction_counts(reproduction)}** (report/reproduction.csv)", "",
             sections.REPRODUCTION_VIEW.markdown(sections.reproduction_display(reproduction))]
    untested = sections.reproduction_untested(reproduction)
    if untested:
        lines += [f"Not tested, their scenario is not in this run ({len(untested)}): "
                  + ", ".join(untested) + ".", ""]
    return lines


def _plain(df: pd.DataFrame) -> str:
    return tables.markdown(df, {c: c for c in df.columns})


def tables_md(result: Analysis, figures: Sequence[Figure] = ()) -> str:
    """The text of report/tables.md."""
    n = result.counts
    prov = result.provenance
    database = prov.database
    lines = [f"# fwbench report — {result.run.run_id}", "", f"**{headline(database)}**", ""]
    lines += [f"{n.variants} variant(s), {n.scenarios} scenario(s), {n.reps} repetition(s); "
              f"validity: {n.errors} error(s), {n.warnings} warning(s).", ""]
    lines += ["## Validity (read first)", "", tables.VALIDITY_VIEW.markdown(result.validity)]
    lines += reproduction_md(result.reproduction)
    lines += ["## Summary", "", sections.SUMMARY_NOTE, "",
              tables.SUMMARY_VIEW.markdown(sections.summary_display(result.summary))]
    p1 = sections.paper1_sections(result.paper1)
    if p1:
        lines += ["## Paper 1 (Bednarz & Miłosz) view", "", sections.PAPER1_NOTE, ""]
        for heading, part in p1:
            lines += [f"### {heading}", "", tables.PAPER1_VIEW.markdown(part)]
    p2 = sections.paper2_sections(result.paper2)
    if p2:
        lines += ["## Paper 2 (Malatjie & Faniso-Myaka) view", "", sections.PAPER2_NOTE, ""]
        for heading, part in p2:
            lines += [f"### {heading}", "", tables.PAPER2_VIEW.markdown(part)]
    pw = sections.comparison_sections(result.comparisons, result.scenarios)
    if pw:
        lines += ["## Pairwise comparisons", "",
                  sections.COMPARISON_NOTE + " (report/comparisons.csv)", ""]
        for heading, part in pw:
            lines += [f"### {heading}", "", tables.COMPARISON_VIEW.markdown(part)]
    lines += ["## Efficiency", ""]
    if database.own_host:
        lines += [sections.efficiency_db_note(database), ""]
    lines += [tables.efficiency_view(database.own_host).markdown(result.efficiency)]
    cap = result.capacity
    lines += capacity_sections.capacity_markdown(
        capacity_sections.capacity_tables(cap.max_rate, cap.knees, cap.cost, database.own_host))
    if figures:
        lines += ["## Figures", ""]
        lines += [f"- [{f.title}](figures/{f.filename})" for f in figures]
        lines.append("")
    lines += ["## Provenance", ""]
    lines += [f"- **{k}**: {val}" for k, val in prov.facts]
    lines += ["", "### Database", ""]
    lines += [f"- **{k}**: {val}" for k, val in prov.database_facts]
    lines += ["", "### Hosts", "", _plain(prov.hosts), "### Variants", "", _plain(prov.variants)]
    lines += ["## Method", "", *[f"- {note}" for note in METHOD_NOTES], ""]
    return "\n".join(lines)


def write_tables_md(result: Analysis, path: Path, figures: Sequence[Figure] = ()) -> None:
    path.write_text(tables_md(result, figures), encoding="utf-8")

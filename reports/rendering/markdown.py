"""The renderer of report/tables.md: it formats what the ``Analysis`` holds (via
``reports.rendering.sections`` and ``reports.rendering.capacity_sections``) and writes the file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from reports.loading.database import headline
from reports.rendering import capacity_sections, sections, table_text
from reports.rendering.method import method_notes
from reports.rendering.sections import Figure

if TYPE_CHECKING:
    from reports.analysis.analyse import Analysis


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
    return table_text.markdown(df, {c: c for c in df.columns})


def tables_md(result: Analysis, figures: Sequence[Figure] = ()) -> str:
    """The text of report/tables.md."""
    n = result.counts
    prov = result.provenance
    database = prov.database
    lines = [f"# fwbench report — {result.run.run_id}", "", f"**{headline(database)}**", ""]
    lines += [f"{n.variants} variant(s), {n.scenarios} scenario(s), {n.reps} repetition(s); "
              f"validity: {n.errors} error(s), {n.warnings} warning(s).", ""]
    lines += ["## Validity (read first)", "", table_text.VALIDITY_VIEW.markdown(result.validity)]
    if len(result.control):
        lines += ["## A/A control", "", sections.CONTROL_NOTE + " (report/control.csv)", "",
                  table_text.CONTROL_VIEW.markdown(sections.control_section(result.control))]
    lines += reproduction_md(result.reproduction)
    lines += ["## Summary", "", sections.SUMMARY_NOTE, "",
              table_text.SUMMARY_VIEW.markdown(sections.summary_display(result.summary))]
    p1 = sections.paper1_sections(result.paper1)
    if p1:
        lines += ["## Paper 1 (Bednarz & Miłosz) view", "", sections.PAPER1_NOTE, ""]
        for heading, part in p1:
            lines += [f"### {heading}", "", table_text.PAPER1_VIEW.markdown(part)]
    p2 = sections.paper2_sections(result.paper2)
    if p2:
        lines += ["## Paper 2 (Malatjie & Faniso-Myaka) view", "", sections.PAPER2_NOTE, ""]
        for heading, part in p2:
            lines += [f"### {heading}", "", table_text.PAPER2_VIEW.markdown(part)]
    pw = sections.comparison_sections(result.comparisons, result.scenarios)
    if pw:
        lines += ["## Pairwise comparisons", "",
                  sections.comparison_note(result.plan.paired) + " (report/comparisons.csv)", ""]
        for heading, part in pw:
            lines += [f"### {heading}", "", table_text.COMPARISON_VIEW.markdown(part)]
    lines += ["## Efficiency", ""]
    if database.own_host:
        lines += [sections.efficiency_db_note(database), ""]
    lines += [table_text.efficiency_view(database.own_host).markdown(result.efficiency)]
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
    lines += ["## Method", "", *[f"- {note}" for note in method_notes(result)], ""]
    return "\n".join(lines)


def write_tables_md(result: Analysis, path: Path, figures: Sequence[Figure] = ()) -> None:
    path.write_text(tables_md(result, figures), encoding="utf-8")

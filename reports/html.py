"""The HTML report: one self-contained page (inline CSS) next to ``figures/*.png``; it renders
the same sections as tables.md (``reports.sections``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from reports import sections, tables
from reports.method import METHOD_NOTES
from reports.sections import Figure

if TYPE_CHECKING:
    from reports.analysis import Analysis

TEMPLATES = Path(__file__).parent / "templates"
SECTIONS = (("paper1", "Paper 1 view — Bednarz & Miłosz (throughput and mean response time)"),
            ("paper2", "Paper 2 view — Malatjie & Faniso-Myaka (averages, improvement, outliers)"),
            ("latency", "Latency distribution (p50 … p99.99)"),
            ("throughput_latency", "Throughput versus latency"),
            ("resources", "Resources over time"),
            ("efficiency", "Efficiency"))


def _table(view: tables.View, df: pd.DataFrame) -> dict[str, Any]:
    return {"headers": view.headers(), "rows": view.rows(df)}


def _plain(df: pd.DataFrame) -> dict[str, Any]:
    return {"headers": [(c, False) for c in df.columns],
            "rows": [[str(v) for v in row] for row in df.itertuples(index=False)]}


def _figure_context(fig: Figure, findings: pd.DataFrame) -> dict[str, Any]:
    affected = sections.figure_findings(findings, list(fig.scenarios))
    return {"file": f"figures/{fig.filename}", "title": fig.title, "caption": fig.caption,
            "scenarios": list(fig.scenarios),
            "warnings": [f"{r.variant} · {r.scenario}{'' if r.rep == 0 else f' · rep {r.rep}'}: "
                         f"{r.message}" for r in affected.itertuples()]}


def context(result: Analysis, figures: Sequence[Figure]) -> dict[str, Any]:
    v = result.validity
    prov = result.provenance
    by_section: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SECTIONS}
    for fig in figures:
        by_section.setdefault(fig.section, []).append(_figure_context(fig, v))
    return {
        "run_id": result.run.run_id, "meta": result.run.meta,
        "counts": dataclasses.asdict(result.counts),
        "flagged": prov.not_parallel,
        "headlines": [r._asdict() for r in result.headlines.itertuples(index=False)],
        "validity": _table(tables.VALIDITY_VIEW, sections.serious_findings(v)),
        "info": _table(tables.VALIDITY_VIEW, sections.info_findings(v)),
        "summary": _table(tables.SUMMARY_VIEW, sections.summary_display(result.summary)),
        "paper1": [(h, _table(tables.PAPER1_VIEW, part),
                    [f for f in by_section["paper1"]
                     if f["scenarios"] == [part["scenario"].iloc[0]]])
                   for h, part in sections.paper1_sections(result.paper1)],
        "paper2": [(h, _table(tables.PAPER2_VIEW, part))
                   for h, part in sections.paper2_sections(result.paper2)],
        "pairwise": [(h, _table(tables.COMPARISON_VIEW, part))
                     for h, part in sections.comparison_sections(result.comparisons,
                                                                 result.scenarios)],
        "summary_note": sections.SUMMARY_NOTE, "comparison_note": sections.COMPARISON_NOTE,
        "paper2_note": sections.PAPER2_NOTE,
        "efficiency": _table(tables.EFFICIENCY_VIEW, result.efficiency),
        "sections": [(key, title, by_section.get(key, [])) for key, title in SECTIONS],
        "facts": prov.facts,
        "hosts": _plain(prov.hosts),
        "variants": _plain(prov.variants),
        "packages": prov.packages,
        "method": METHOD_NOTES,
        "missing_figures": not figures,
    }


def write_html(result: Analysis, path: Path, figures: Sequence[Figure] = ()) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    html = env.get_template("report.html.j2").render(**context(result, figures))
    path.write_text(html, encoding="utf-8")

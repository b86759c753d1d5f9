"""The HTML report: one self-contained page (inline CSS) next to ``figures/*.png``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd

from reports import analysis, provenance, render_md, tables, validity
from reports.method import METHOD_NOTES

if TYPE_CHECKING:
    from reports.build import Analysis
    from reports.figures import Figure

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
    affected = validity.for_scenarios(findings, list(fig.scenarios))
    return {"file": f"figures/{fig.filename}", "title": fig.title, "caption": fig.caption,
            "scenarios": list(fig.scenarios),
            "warnings": [f"{r.variant} · {r.scenario}{'' if r.rep == 0 else f' · rep {r.rep}'}: "
                         f"{r.message}" for r in affected.itertuples()]}


def context(result: Analysis, figures: Sequence[Figure]) -> dict[str, Any]:
    run = result.run
    v = result.validity
    serious = v[v["severity"].isin(["error", "warning"])]
    flagged = [name for name, spec in (run.meta.get("variants") or {}).items()
               if isinstance(spec, dict) and spec.get("honours_parallelism") is False]
    heads = analysis.headlines(result.summary, result.comparisons)
    by_section: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SECTIONS}
    for fig in figures:
        by_section.setdefault(fig.section, []).append(_figure_context(fig, v))
    return {
        "run_id": run.run_id, "meta": run.meta,
        "counts": {"variants": len(result.variants), "scenarios": len(result.scenarios),
                   "reps": len(result.reps),
                   "errors": int((v["severity"] == "error").sum()),
                   "warnings": int((v["severity"] == "warning").sum()),
                   "requests": int(result.summary["requests"].sum()) if len(result.summary) else 0,
                   "failed": int(result.summary["errors"].sum()) if len(result.summary) else 0},
        "flagged": flagged,
        "headlines": [r._asdict() for r in heads.itertuples(index=False)],
        "validity": _table(tables.VALIDITY_VIEW, serious),
        "info": _table(tables.VALIDITY_VIEW, v[v["severity"] == "info"]),
        "summary": _table(tables.SUMMARY_VIEW, render_md.summary_display(result.summary)),
        "paper1": [(h, _table(tables.PAPER1_VIEW, part),
                    [f for f in by_section["paper1"]
                     if f["scenarios"] == [part["scenario"].iloc[0]]])
                   for h, part in render_md.paper1_sections(result)],
        "paper2": [(h, _table(tables.PAPER2_VIEW, part))
                   for h, part in render_md.paper2_sections(result)],
        "pairwise": [(h, _table(tables.COMPARISON_VIEW, part))
                     for h, part in render_md.comparison_sections(result)],
        "summary_note": render_md.SUMMARY_NOTE, "comparison_note": render_md.COMPARISON_NOTE,
        "paper2_note": render_md.PAPER2_NOTE,
        "efficiency": _table(tables.EFFICIENCY_VIEW, result.summary),
        "sections": [(key, title, by_section.get(key, [])) for key, title in SECTIONS],
        "facts": provenance.run_facts(run.meta),
        "hosts": _plain(provenance.hosts_table(run.meta)),
        "variants": _plain(provenance.variants_table(run.meta)),
        "packages": provenance.packages(run.meta),
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

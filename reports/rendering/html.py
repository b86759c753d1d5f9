"""The HTML report: one page (inline CSS) next to ``figures/*.png``; it renders the same sections
as tables.md (``reports.rendering.sections``).

With the figures come interactive versions of the main ones, drawn in the browser by Plotly from
``plotly.min.js`` (the plotly package's own bundle, written once next to index.html: nothing is
loaded from the network): per scenario, goodput and latency bars (hover: variant, scenario,
value, CI; buttons switch the measure; the legend toggles frameworks), throughput versus latency
and the latency percentile spectra (the legend toggles variants), per capacity scenario its
curves (``reports.rendering.plotly_capacity``), and per scenario the resources over time, the
database host's too in a PostgreSQL run (``reports.rendering.plotly_resources``). Their data are the
Analysis' frames, formatted here; the static PNGs stay, as the fallback."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pandas as pd

from reports.constants import FAILED_COLOR, FAILED_PATTERN, PLOTLY_JS
from reports.loading.database import headline
from reports.rendering import (
    capacity_sections,
    plotly_capacity,
    plotly_resources,
    sections,
    table_text,
)
from reports.rendering import plotly_kit as pk
from reports.rendering.method import method_notes
from reports.rendering.sections import NINES, Figure, VariantStyle, nines, variant_styles

if TYPE_CHECKING:
    from reports.analysis.analyse import Analysis

TEMPLATES = Path(__file__).parent / "templates"
SECTIONS = (("paper1", "Paper 1 view — Bednarz & Miłosz (throughput and mean response time)"),
            ("paper2", "Paper 2 view — Malatjie & Faniso-Myaka (averages, improvement, outliers)"),
            ("latency", "Latency distribution (p50 … p99.99)"),
            ("throughput_latency", "Throughput versus latency"),
            ("resources", "Resources over time"),
            ("efficiency", "Efficiency"),
            ("capacity", "Capacity — maximum sustainable rate, curves, cost per request"))
# The static figure each interactive one stands for (shown beneath it, folded).
INTERACTIVE_FOR = {"latency": "latency_percentiles.png",
                   "throughput_latency": "throughput_latency.png"}
# Every static figure there has an interactive one above it.
FOLDED_SECTIONS = ("capacity", "resources")


def _table(view: table_text.View, df: pd.DataFrame) -> dict[str, Any]:
    return {"headers": view.headers(), "rows": view.rows(df)}


def _plain(df: pd.DataFrame) -> dict[str, Any]:
    return {"headers": [(c, False) for c in df.columns],
            "rows": [[str(v) for v in row] for row in df.itertuples(index=False)]}


def _figure_context(fig: Figure, findings: pd.DataFrame) -> dict[str, Any]:
    affected = sections.figure_findings(findings, list(fig.scenarios))
    return {"file": f"figures/{fig.filename}", "title": fig.title, "caption": fig.caption,
            "scenarios": list(fig.scenarios),
            "folded": fig.filename in INTERACTIVE_FOR.values() or fig.section in FOLDED_SECTIONS,
            "warnings": [f"{r.variant} · {r.scenario}{'' if r.rep == 0 else f' · rep {r.rep}'}: "
                         f"{r.message}" for r in affected.itertuples()]}


# -- interactive figures (Plotly specs: plain JSON, drawn by plotly.min.js) ------------------------

PLOT_PLACES = ("scenarios", "throughput_latency", "latency", "capacity", "resources")
BAR_PX = 22  # one bar per this many pixels of height


def _censored(row: Any) -> bool:
    return (pk.num(getattr(row, "censored", 0)) or 0) > 0


@dataclasses.dataclass(frozen=True)
class Measure:
    """One measure the per-scenario bars can show (a button)."""
    label: str
    column: str
    low: str | None
    high: str | None
    unit: str
    higher_is_better: bool
    latency: bool


MEASURES = (
    Measure("goodput", "rps_median", "rps_ci95_low", "rps_ci95_high", "req/s (median)", True,
            False),
    Measure("mean latency", "mean_ms", "ci95_low_ms", "ci95_high_ms", "ms", False, True),
    Measure("p99 latency", "p99_ms", None, None, "ms", False, True),
)


def _value_text(value: float | None, measure: Measure, censored: bool) -> str:
    text = table_text.fmt_num(1 if not measure.latency else 2)(value if value is not None
                                                           else math.nan)
    return ("≥ " if measure.latency and censored and value is not None else "") + text


def _order(part: pd.DataFrame, measure: Measure) -> list[str]:
    """Best first, rows without a value after, failed rows last (never ranked)."""
    values = pd.to_numeric(part[measure.column], errors="coerce").to_numpy(dtype="float64")
    key = -values if measure.higher_is_better else values
    rank = np.where(part["status"].to_numpy() == "failed", 2, np.where(np.isfinite(values), 0, 1))
    order = np.lexsort((np.nan_to_num(key, nan=0.0), rank))
    return [str(part["variant"].iloc[i]) for i in order]


def _bar_traces(part: pd.DataFrame, measure: Measure, styles: dict[str, VariantStyle],
                scenario: str) -> list[dict[str, Any]]:
    """One trace per framework (the legend toggles frameworks) and one of failed rows."""
    groups: dict[str, list[Any]] = {}
    for row in part.itertuples(index=False):
        key = "failed" if row.status == "failed" else styles[row.variant].framework
        groups.setdefault(key, []).append(row)
    traces = []
    for key, rows in groups.items():
        failed = key == "failed"
        values = [pk.num(getattr(r, measure.column)) for r in rows]
        low = [pk.num(getattr(r, measure.low)) if measure.low else None for r in rows]
        high = [pk.num(getattr(r, measure.high)) if measure.high else None for r in rows]
        hover = []
        for r, v, lo, hi in zip(rows, values, low, high, strict=True):
            ci = table_text.fmt_ci(lo if lo is not None else math.nan,
                               hi if hi is not None else math.nan)
            lines = [f"<b>{r.variant}</b>", f"scenario: {scenario}",
                     f"{measure.label}: {_value_text(v, measure, _censored(r))} {measure.unit}"]
            if measure.low:
                lines.append(f"95% CI (Student's t, repetition means): {ci}")
            lines.append(f"repetitions: {r.reps} · status: {r.status}"
                         + (" (never ranked)" if r.status == "failed" else ""))
            hover.append("<br>".join(lines))
        traces.append({
            "type": "bar", "orientation": "h", "name": key, "legendgroup": key,
            "showlegend": False,
            "y": [r.variant for r in rows], "x": [v if v is not None else 0 for v in values],
            # Values are in the hover (a label at the bar's end would sit under its error bar);
            # a failed row says so on the bar itself.
            "text": ["failed" if failed else "" for _ in rows],
            "textposition": "outside", "cliponaxis": False, "textfont": {"size": 10},
            "hovertext": hover, "hoverinfo": "text",
            "marker": {"color": [FAILED_COLOR if failed else styles[r.variant].color
                                 for r in rows],
                       "line": {"color": "#333", "width": 0.6},
                       "pattern": {"shape": [FAILED_PATTERN if failed
                                             else styles[r.variant].pattern for r in rows],
                                   "fgcolor": "#333", "size": 6,
                                   "solidity": [0.25 if failed else styles[r.variant].solidity
                                                for r in rows]}},
            "error_x": {"type": "data", "symmetric": False, "color": "#222", "thickness": 1,
                        "width": 3, "visible": bool(measure.low),
                        "array": [None if failed or v is None or hi is None else hi - v
                                  for v, hi in zip(values, high, strict=True)],
                        "arrayminus": [None if failed or v is None or lo is None else v - lo
                                       for v, lo in zip(values, low, strict=True)]},
        })
    return traces


def _legend_traces(traces: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One plain legend entry per group of bars (its first bar's colour, no pattern): clicking
    it hides or shows the group."""
    return [{"type": "bar", "orientation": "h", "name": t["name"], "legendgroup": t["name"],
             "x": [None], "y": [None], "hoverinfo": "skip", "showlegend": True,
             "marker": {"color": t["marker"]["color"][0], "line": {"color": "#333", "width": 0.6},
                        "pattern": {"shape": FAILED_PATTERN if t["name"] == "failed" else "",
                                    "fgcolor": "#333", "size": 6, "solidity": 0.25}}}
            for t in traces]


def _scenario_bars(summary: pd.DataFrame, scenario: str,
                   styles: dict[str, VariantStyle]) -> dict[str, Any]:
    """Horizontal bars of one scenario, best on top, with buttons for the measure."""
    part = summary[summary["scenario"] == scenario]
    per_measure = [(_bar_traces(part, m, styles, scenario), _order(part, m)) for m in MEASURES]
    traces, order = per_measure[0]
    bars = list(range(len(traces)))  # the buttons restyle these, not the legend entries
    buttons = []
    for measure, (m_traces, m_order) in zip(MEASURES, per_measure, strict=True):
        data_update = {key: [t[key] for t in m_traces] for key in ("x", "hovertext", "error_x")}
        better = "higher" if measure.higher_is_better else "lower"
        buttons.append({"label": measure.label, "method": "update",
                        "args": [data_update, {
                            "yaxis.categoryarray": m_order,
                            "xaxis.title.text": f"{measure.label} ({measure.unit}; {better} is "
                                                "better)"}, bars]})
    layout = {
        "height": BAR_PX * len(part) + 150, "margin": {"l": 10, "r": 30, "t": 60, "b": 50},
        "font": pk.FONT, "barmode": "overlay", "bargap": 0.25, "hovermode": "closest",
        "yaxis": {"type": "category", "categoryorder": "array", "categoryarray": order,
                  "autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
        "xaxis": {"title": {"text": buttons[0]["args"][1]["xaxis.title.text"]},
                  "rangemode": "tozero", "zeroline": True, "automargin": True},
        "legend": {"title": {"text": "framework"}, "orientation": "v", "x": 1.02, "y": 1,
                   "xanchor": "left"},
        "updatemenus": [{"type": "buttons", "direction": "right", "buttons": buttons,
                         "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
                         "pad": {"b": 8}, "showactive": True}],
    }
    return {"data": [*traces, *_legend_traces(traces)], "layout": layout, "config": pk.CONFIG}


def _throughput_latency(summary: pd.DataFrame, scenarios: Sequence[str],
                        styles: dict[str, VariantStyle]) -> dict[str, Any] | None:
    data = summary.dropna(subset=["rps_median", "p50_ms"])
    shown = [s for s in scenarios if (data["scenario"] == s).any()]
    if not shown:
        return None
    layout, ids = pk.grid(len(shown), 3, 330, shown, pk.VARIANT_LEGEND)
    traces = []
    legend_done: set[str] = set()
    for scenario, (xid, yid) in zip(shown, ids, strict=True):
        part = data[data["scenario"] == scenario]
        for row in part.itertuples(index=False):
            st = styles[row.variant]
            failed = row.status == "failed"
            censored = "≥ " if _censored(row) else ""
            hover = "<br>".join([
                f"<b>{row.variant}</b>", f"scenario: {scenario}",
                f"goodput: {table_text.fmt_num(1)(row.rps_median)} req/s (median; 95% CI of the "
                f"mean {table_text.fmt_ci(row.rps_ci95_low, row.rps_ci95_high, 1)})",
                f"p50: {censored}{table_text.fmt_num(2)(row.p50_ms)} ms · "
                f"p99: {censored}{table_text.fmt_num(2)(row.p99_ms)} ms",
                f"status: {row.status}"])
            p99 = pk.num(row.p99_ms)
            p50 = pk.num(row.p50_ms)
            traces.append({
                "type": "scatter", "mode": "markers", "name": row.variant,
                "legendgroup": row.variant, "showlegend": row.variant not in legend_done,
                "xaxis": xid, "yaxis": yid, "x": [pk.num(row.rps_median)], "y": [p50],
                "marker": {"color": FAILED_COLOR if failed else st.color, "symbol": st.symbol,
                           "size": 9, "line": {"color": "#222", "width": 0.6}},
                "error_y": {"type": "data", "symmetric": False,
                            "array": [p99 - p50 if p99 is not None and p50 is not None
                                      else None], "arrayminus": [0],
                            "color": FAILED_COLOR if failed else st.color, "thickness": 1.2,
                            "width": 4},
                "hovertext": [hover], "hoverinfo": "text"})
            legend_done.add(row.variant)
        x_values = part["rps_median"].to_numpy(dtype="float64")
        y_values = np.r_[part["p50_ms"].to_numpy(dtype="float64"),
                         part["p99_ms"].to_numpy(dtype="float64")]
        pk.axis(layout, xid, **pk.scale(x_values),
              title={"text": "goodput req/s (median)", "font": {"size": 11}})
        pk.axis(layout, yid, **pk.scale(y_values),
              title={"text": "ms: marker p50, bar to p99", "font": {"size": 11}})
    return {"data": traces, "layout": layout, "config": pk.CONFIG}


def _percentile_curves(curves: pd.DataFrame, scenarios: Sequence[str], variants: Sequence[str],
                       styles: dict[str, VariantStyle]) -> dict[str, Any] | None:
    curves = curves[curves["percentile"] < 100]
    shown = [s for s in scenarios if (curves["scenario"] == s).any()]
    if not shown:
        return None
    layout, ids = pk.grid(len(shown), 2, 340, shown, pk.VARIANT_LEGEND)
    ticks = [pk.num(t) for t in nines(NINES)]
    traces = []
    legend_done: set[str] = set()
    for scenario, (xid, yid) in zip(shown, ids, strict=True):
        part = curves[curves["scenario"] == scenario]
        for variant in [v for v in variants if (part["variant"] == v).any()]:
            g = part[part["variant"] == variant]
            st = styles[variant]
            traces.append({
                "type": "scatter", "mode": "lines+markers", "name": variant,
                "legendgroup": variant, "showlegend": variant not in legend_done,
                "xaxis": xid, "yaxis": yid,
                "x": [pk.num(x) for x in nines(g["percentile"].to_numpy())],
                "y": [pk.num(y) for y in g["latency_ms"]],
                "line": {"color": st.color, "dash": st.plotly_dash, "width": 1.5},
                "marker": {"symbol": st.symbol, "size": 6, "color": st.color,
                           "line": {"color": "#222", "width": 0.4}},
                "hovertext": [f"<b>{variant}</b><br>scenario: {scenario}<br>"
                              f"p{p:g}: {table_text.fmt_num(2)(ms)} ms"
                              for p, ms in zip(g["percentile"], g["latency_ms"], strict=True)],
                "hoverinfo": "text"})
            legend_done.add(variant)
        pk.axis(layout, xid, tickvals=ticks, ticktext=[f"{p:g}" for p in NINES],
              title={"text": "percentile", "font": {"size": 11}})
        pk.axis(layout, yid, **pk.scale(part["latency_ms"].to_numpy(dtype="float64")),
              title={"text": "latency (ms)", "font": {"size": 11}})
    return {"data": traces, "layout": layout, "config": pk.CONFIG}


def interactive(result: Analysis) -> dict[str, list[dict[str, Any]]]:
    """The interactive figures by place in the page: "scenarios" (one bar chart per scenario),
    "throughput_latency" and "latency" (one each), "capacity" (one per capacity scenario),
    "resources" (one per scenario with resource data)."""
    styles = variant_styles(result.variants, result.summary)
    out: dict[str, list[dict[str, Any]]] = {place: [] for place in PLOT_PLACES}
    for scenario in result.scenarios:
        if (result.summary["scenario"] == scenario).any():
            spec = _scenario_bars(result.summary, scenario, styles)
            out["scenarios"].append({"title": scenario, "spec": pk.spec_json(spec)})
    spec = _throughput_latency(result.summary, result.scenarios, styles)
    if spec:
        out["throughput_latency"].append({"title": "Throughput versus latency (interactive)",
                                          "spec": pk.spec_json(spec)})
    spec = _percentile_curves(result.curves, result.scenarios, result.variants, styles)
    if spec:
        out["latency"].append({"title": "Latency percentile spectrum (interactive)",
                               "spec": pk.spec_json(spec)})
    cap = result.capacity
    out["capacity"] = plotly_capacity.capacity_plots(cap.curves, cap.scenarios, cap.modes,
                                                   result.variants, styles)
    out["resources"] = plotly_resources.resources_plots(result.timelines, result.scenarios,
                                                      result.variants, styles)
    for i, plot in enumerate(p for plots in out.values() for p in plots):
        plot["id"] = f"plot-{i}"
    return out


def _capacity(result: Analysis) -> list[dict[str, Any]]:
    """The capacity tables (none without capacity cells): heading, note, table."""
    cap = result.capacity
    return [{"heading": t.heading, "note": t.note, "table": _table(t.view, t.frame)}
            for t in capacity_sections.capacity_tables(cap.max_rate, cap.knees, cap.cost,
                                                       result.provenance.database.own_host)]


def context(result: Analysis, figures: Sequence[Figure]) -> dict[str, Any]:
    v = result.validity
    prov = result.provenance
    database = prov.database
    by_section: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in SECTIONS}
    for fig in figures:
        by_section.setdefault(fig.section, []).append(_figure_context(fig, v))
    plots = interactive(result) if figures else {place: [] for place in PLOT_PLACES}
    return {
        "run_id": result.run.run_id, "meta": result.run.meta,
        "counts": dataclasses.asdict(result.counts),
        "flagged": prov.not_parallel,
        "headlines": [r._asdict() for r in result.headlines.itertuples(index=False)],
        "validity": _table(table_text.VALIDITY_VIEW, sections.serious_findings(v)),
        "info": _table(table_text.VALIDITY_VIEW, sections.info_findings(v)),
        "summary": _table(table_text.SUMMARY_VIEW, sections.summary_display(result.summary)),
        "paper1": [(h, _table(table_text.PAPER1_VIEW, part),
                    [f for f in by_section["paper1"]
                     if f["scenarios"] == [part["scenario"].iloc[0]]])
                   for h, part in sections.paper1_sections(result.paper1)],
        "paper2": [(h, _table(table_text.PAPER2_VIEW, part))
                   for h, part in sections.paper2_sections(result.paper2)],
        "pairwise": [(h, _table(table_text.COMPARISON_VIEW, part))
                     for h, part in sections.comparison_sections(result.comparisons,
                                                                 result.scenarios)],
        "reproduction": sections.reproduction_context(result.reproduction),
        "control": _table(table_text.CONTROL_VIEW, sections.control_section(result.control)),
        "control_note": sections.CONTROL_NOTE,
        "summary_note": sections.SUMMARY_NOTE,
        "comparison_note": sections.comparison_note(result.plan.paired),
        "paper2_note": sections.PAPER2_NOTE,
        "efficiency": _table(table_text.efficiency_view(database.own_host), result.efficiency),
        "efficiency_note": sections.efficiency_db_note(database) if database.own_host else "",
        "database_line": headline(database),
        "database_facts": prov.database_facts,
        "capacity": _capacity(result),
        "capacity_note": capacity_sections.CAPACITY_NOTE,
        "sections": [(key, title, by_section.get(key, [])) for key, title in SECTIONS],
        "plots": plots,
        "plot_count": sum(len(p) for p in plots.values()),
        "plotly_js": PLOTLY_JS,
        "facts": prov.facts,
        "hosts": _plain(prov.hosts),
        "variants": _plain(prov.variants),
        "packages": prov.packages,
        "method": method_notes(result),
        "missing_figures": not figures,
    }


def write_plotly_js(folder: Path) -> Path:
    """plotly.min.js from the plotly package, next to index.html (rewritten only if it
    differs)."""
    import plotly.offline  # only when writing interactive figures

    path = folder / PLOTLY_JS
    text = plotly.offline.get_plotlyjs()
    if not path.is_file() or path.stat().st_size != len(text.encode("utf-8")) or \
            path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def write_html(result: Analysis, path: Path, figures: Sequence[Figure] = ()) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    ctx = context(result, figures)
    html = env.get_template("report.html.j2").render(**ctx)
    if ctx["plot_count"]:
        write_plotly_js(path.parent)
    path.write_text(html, encoding="utf-8")

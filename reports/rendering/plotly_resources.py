"""The interactive resources-over-time figures of index.html (Plotly specs, drawn by
plotly.min.js), one per scenario, from the timelines the analysis holds
(``Analysis.timelines``, the data of the static ``resources_<scenario>.png``): one panel per
measure with data — completed req/s, the server's process tree CPU % and RSS, the client's CPU %,
and in a PostgreSQL run the database host's process tree CPU % and RSS — one line per variant
(its first repetition with data), on the time since that repetition started. The legend toggles
a variant in every panel at once; hover gives the value at each second."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reports.rendering import plotly_kit as pk
from reports.rendering import table_text
from reports.rendering.sections import VariantStyle

# (metric, panel title, unit in the hover), in the static figure's order (figures.TIMELINE_ROWS).
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("throughput_rps", "completed req/s", "req/s"),
    ("server_cpu_pct", "server CPU % (process tree)", "% of a core"),
    ("server_rss_mb", "server RSS MiB (process tree)", "MiB"),
    ("client_cpu_pct", "client CPU % (load generator)", "% of a core"),
    ("db_cpu_pct", "database CPU % (its process tree, own host)", "% of a core"),
    ("db_rss_mb", "database RSS MiB (its process tree, own host)", "MiB"),
)
VALUE = table_text.fmt_num(1)


def _round(value: object) -> float | None:
    number = pk.num(value)
    return None if number is None else round(number, 3)


def resources_spec(data: pd.DataFrame, scenario: str, variants: Sequence[str],
                   styles: Mapping[str, VariantStyle]) -> dict[str, Any] | None:
    """One scenario's figure, or None without a measure to draw."""
    shown = [(m, title, unit) for m, title, unit in MEASURES if (data["metric"] == m).any()]
    if not shown:
        return None
    layout, ids = pk.grid(len(shown), 2, 260, [title for _, title, _ in shown],
                          pk.VARIANT_LEGEND)
    present = [v for v in variants if (data["variant"] == v).any()]
    traces = []
    legend_done: set[str] = set()
    for (metric, _, unit), (xid, yid) in zip(shown, ids, strict=True):
        part = data[data["metric"] == metric]
        for variant in present:
            g = part[part["variant"] == variant]
            if g.empty:
                continue
            st = styles[variant]
            traces.append({
                "type": "scatter", "mode": "lines", "name": variant, "legendgroup": variant,
                "showlegend": variant not in legend_done, "xaxis": xid, "yaxis": yid,
                "x": [_round(t) for t in g["t_s"]], "y": [_round(v) for v in g["value"]],
                "line": {"color": st.color, "dash": st.plotly_dash, "width": 1.4},
                "hovertext": [f"<b>{variant}</b><br>scenario: {scenario}<br>{t:.1f} s: "
                              f"{VALUE(v)} {unit}" for t, v in zip(g["t_s"], g["value"],
                                                                   strict=True)],
                "hoverinfo": "text"})
            legend_done.add(variant)
        pk.axis(layout, xid, title={"text": "s since the repetition started",
                                    "font": {"size": 11}})
        pk.axis(layout, yid, rangemode="tozero", title={"text": unit, "font": {"size": 11}})
    return {"data": traces, "layout": layout, "config": pk.CONFIG}


def resources_plots(timelines: Mapping[str, pd.DataFrame], scenarios: Sequence[str],
                    variants: Sequence[str],
                    styles: Mapping[str, VariantStyle]) -> list[dict[str, Any]]:
    """One interactive figure per scenario with resource data: {"title", "spec"}."""
    out = []
    for scenario in scenarios:
        data = timelines[scenario]
        spec = resources_spec(data, scenario, variants, styles) if len(data) else None
        if spec:
            out.append({"title": f"Throughput and resources over time — {scenario} "
                                 "(interactive)", "spec": pk.spec_json(spec)})
    return out

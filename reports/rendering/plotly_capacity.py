"""The interactive capacity figures of index.html (Plotly specs, drawn by plotly.min.js), one per
capacity scenario, from the curves the analysis holds (``Analysis.capacity.curves``):

* open loop: latency (log) against offered load, p99 solid with the server's marker (hollow at
  the steps that failed), p50 dashed, ★ at the knee (the maximum rate; hollow ★ for a lower
  bound), the objective as a dotted line;
* closed ladder: goodput and p99 against connections (log 2), ★ at the knee.

The legend toggles a variant (all its lines at once); hover gives every step's figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from reports.constants import CAPACITY_LOWER_BOUNDS
from reports.rendering import plotly_kit as pk
from reports.rendering import table_text
from reports.rendering.sections import VariantStyle

MS = table_text.fmt_num(2)
RPS = table_text.fmt_num(1)


def _hover(row: Any, scenario: str, closed: bool) -> str:
    load = f"connections: {row.x:g}" if closed else f"offered: {RPS(row.x)} req/s"
    verdict = "" if closed else ("met the objective" if row.passed is True
                                 else f"failed: {row.reason}" if row.passed is False else "")
    lines = [f"<b>{row.variant}</b>", f"scenario: {scenario} · repetition {row.rep} of "
             f"{row.reps}", load, f"goodput: {RPS(row.goodput_rps)} req/s",
             f"p50: {MS(row.p50_ms)} ms · p99: {MS(row.p99_ms)} ms"]
    if verdict:
        lines.append(verdict)
    if row.knee:
        bound = CAPACITY_LOWER_BOUNDS.get(row.limited_by)
        lines.append("<b>knee</b>" + (" (maximum rate)" if not closed else "")
                     + (f": a lower bound, {bound}" if row.lower_bound and bound
                        else ": no knee within the ladder" if row.lower_bound else ""))
    return "<br>".join(lines)


def _line(frame: pd.DataFrame, y: str, st: VariantStyle, axes: tuple[str, str], dash: str,
          markers: bool, first: bool, hover: list[str]) -> dict[str, Any]:
    symbols = [f"{st.symbol}-open" if p is False else st.symbol for p in frame["passed"]]
    trace: dict[str, Any] = {
        "type": "scatter", "mode": "lines+markers" if markers else "lines",
        "name": st.variant, "legendgroup": st.variant, "showlegend": first,
        "xaxis": axes[0], "yaxis": axes[1], "x": [pk.num(v) for v in frame["x"]],
        "y": [pk.num(v) for v in frame[y]],
        "line": {"color": st.color, "dash": dash, "width": 1.8 if dash == "solid" else 1.2},
        "hovertext": hover, "hoverinfo": "text"}
    if markers:
        trace["marker"] = {"symbol": symbols, "size": 7, "color": st.color,
                           "line": {"color": "#222", "width": 0.6}}
    return trace


def _knee(frame: pd.DataFrame, y: str, st: VariantStyle, axes: tuple[str, str],
          hover: list[str]) -> dict[str, Any] | None:
    at = np.flatnonzero(frame["knee"].to_numpy(dtype=bool))
    if at.size == 0:
        return None
    hollow = bool(frame["lower_bound"].iloc[0])
    return {"type": "scatter", "mode": "markers", "name": f"{st.variant} knee",
            "legendgroup": st.variant, "showlegend": False, "xaxis": axes[0], "yaxis": axes[1],
            "x": [pk.num(frame["x"].iloc[i]) for i in at],
            "y": [pk.num(frame[y].iloc[i]) for i in at],
            "marker": {"symbol": "star-open" if hollow else "star", "size": 16,
                       "color": st.color, "line": {"color": "#111", "width": 1}},
            "hovertext": [hover[i] for i in at], "hoverinfo": "text"}


def _log_axis(values: np.ndarray) -> dict[str, Any]:
    v = values[np.isfinite(values) & (values > 0)]
    if v.size == 0:
        return {"type": "log"}
    return {"type": "log", "dtick": "D2" if np.log10(v.max() / v.min()) <= 2.5 else 1}


def open_spec(data: pd.DataFrame, scenario: str, variants: Sequence[str],
              styles: dict[str, VariantStyle]) -> dict[str, Any]:
    layout, ids = pk.grid(1, 1, 420, [scenario], pk.VARIANT_LEGEND)
    axes = ids[0]
    traces = []
    for variant in variants:
        frame = data[data["variant"] == variant]
        st = styles[variant]
        hover = [_hover(r, scenario, False) for r in frame.itertuples()]
        traces.append(_line(frame, "p99_ms", st, axes, "solid", True, True, hover))
        traces.append(_line(frame, "p50_ms", st, axes, "dash", False, False, hover))
        knee = _knee(frame, "p99_ms", st, axes, hover)
        if knee:
            traces.append(knee)
    slo = pd.to_numeric(data["slo_p99_ms"], errors="coerce").dropna()
    if len(slo):
        objective = float(slo.iloc[0])
        layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
                             "y0": objective, "y1": objective,
                             "line": {"color": "#666", "dash": "dot", "width": 1.2}}]
        # An annotation on a log axis is placed by the log of its value (a shape is not).
        layout["annotations"].append({"text": f"p99 objective {objective:g} ms",
                                      "showarrow": False, "xref": "paper", "x": 0.01,
                                      "xanchor": "left", "yref": "y",
                                      "y": float(np.log10(objective)), "yanchor": "bottom",
                                      "font": {"size": 10, "color": "#555"}})
    latency = np.r_[data["p50_ms"].to_numpy(dtype="float64"),
                    data["p99_ms"].to_numpy(dtype="float64"), slo.to_numpy(dtype="float64")]
    pk.axis(layout, axes[0], **pk.scale(data["x"].to_numpy(dtype="float64")),
            title={"text": "offered load (req/s)", "font": {"size": 11}})
    pk.axis(layout, axes[1], **_log_axis(latency),
            title={"text": "latency (ms, log): p99 solid, p50 dashed", "font": {"size": 11}})
    return {"data": traces, "layout": layout, "config": pk.CONFIG}


def closed_spec(data: pd.DataFrame, scenario: str, variants: Sequence[str],
                styles: dict[str, VariantStyle]) -> dict[str, Any]:
    layout, ids = pk.grid(2, 2, 380, ["goodput (req/s)", "p99 (ms)"], pk.VARIANT_LEGEND)
    traces = []
    for variant in variants:
        frame = data[data["variant"] == variant]
        st = styles[variant]
        hover = [_hover(r, scenario, True) for r in frame.itertuples()]
        for i, (column, axes) in enumerate(zip(("goodput_rps", "p99_ms"), ids, strict=True)):
            traces.append(_line(frame, column, st, axes, "solid", True, i == 0, hover))
            knee = _knee(frame, column, st, axes, hover)
            if knee:
                traces.append(knee)
    levels = sorted({float(x) for x in data["x"] if np.isfinite(x)})
    for axes, title in zip(ids, ("goodput (req/s)", "p99 (ms, log)"), strict=True):
        pk.axis(layout, axes[0], type="log", tickvals=levels,
                ticktext=[f"{v:g}" for v in levels],
                title={"text": "connections", "font": {"size": 11}})
        pk.axis(layout, axes[1], title={"text": title, "font": {"size": 11}})
    pk.axis(layout, ids[0][1], rangemode="tozero")
    pk.axis(layout, ids[1][1], **_log_axis(data["p99_ms"].to_numpy(dtype="float64")))
    return {"data": traces, "layout": layout, "config": pk.CONFIG}


def capacity_plots(curves: pd.DataFrame, scenarios: Sequence[str], modes: dict[str, str],
                   variants: Sequence[str],
                   styles: dict[str, VariantStyle]) -> list[dict[str, Any]]:
    """One interactive figure per capacity scenario with curves: {"title", "spec"}."""
    out = []
    for scenario in scenarios:
        data = curves[curves["scenario"] == scenario]
        if data.empty:
            continue
        present = [v for v in variants if (data["variant"] == v).any()]
        closed = modes.get(scenario) == "closed"
        spec = (closed_spec if closed else open_spec)(data, scenario, present, styles)
        what = "goodput and p99 against connections" if closed else \
            "latency against offered load"
        out.append({"title": f"Capacity — {scenario}: {what} (interactive)",
                    "spec": pk.spec_json(spec)})
    return out

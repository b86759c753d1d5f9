"""The shared parts of the interactive figures' Plotly specs (plain JSON, drawn in the browser
by plotly.min.js): fonts and config, JSON-safe numbers, a grid of panels, axis scales, the
per-variant legend, and the spec as JSON safe inside a <script> element. ``reports.rendering.html``
and ``reports.rendering.plotly_capacity`` build their figures with them."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from reports.rendering.sections import is_wide

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12}
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def num(x: object) -> float | None:
    """A JSON number, or null for NaN / missing."""
    try:
        value = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def grid(n: int, cols: int, row_px: int, titles: Sequence[str],
         extra: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A layout of ``n`` panels in ``cols`` columns (Plotly axes with domains) and the
    (xaxis, yaxis) ids of each panel."""
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    gap_x, gap_y = 0.07, 0.3 / rows if rows > 1 else 0.0
    width = (1 - gap_x * (cols - 1)) / cols
    height = (1 - gap_y * (rows - 1)) / rows
    layout: dict[str, Any] = {"height": row_px * rows + 120, "font": FONT,
                              "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
                              "hovermode": "closest", "annotations": [], **extra}
    ids = []
    for i in range(n):
        r, c = divmod(i, cols)
        suffix = "" if i == 0 else str(i + 1)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        layout[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "anchor": f"y{suffix}",
                                    "automargin": True}
        layout[f"yaxis{suffix}"] = {"domain": [y1 - height, y1], "anchor": f"x{suffix}",
                                    "automargin": True}
        layout["annotations"].append({"text": f"<b>{titles[i]}</b>", "showarrow": False,
                                      "xref": "paper", "yref": "paper", "x": x0 + width / 2,
                                      "y": y1, "xanchor": "center", "yanchor": "bottom",
                                      "font": {"size": 12}})
        ids.append((f"x{suffix}", f"y{suffix}"))
    return layout, ids


def axis(layout: dict[str, Any], axis_id: str, **props: Any) -> None:
    layout[f"{axis_id[0]}axis{axis_id[1:]}"].update(props)


def scale(values: np.ndarray) -> dict[str, Any]:
    """Axis properties: log when the values span more than ``sections.WIDE_RATIO`` (labels at 1,
    2, 5 per decade over a short span, at decades over a long one), else linear from zero."""
    if not is_wide(values):
        return {"type": "linear", "rangemode": "tozero"}
    v = values[np.isfinite(values) & (values > 0)]
    return {"type": "log", "dtick": "D2" if math.log10(v.max() / v.min()) <= 2.5 else 1}


# The legend of the per-variant figures: beside the plots, a click hides or shows a variant.
VARIANT_LEGEND: dict[str, Any] = {"legend": {"title": {"text": "variant (click: hide/show)"},
                                             "x": 1.02, "xanchor": "left", "y": 1}}


def spec_json(spec: dict[str, Any]) -> str:
    """A spec as JSON safe inside <script type="application/json">."""
    text = json.dumps(spec, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")



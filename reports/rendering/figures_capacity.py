"""The capacity figures (matplotlib), one per capacity scenario, drawn from the curves the
analysis holds (``Analysis.capacity.curves``: per variant the steps of one repetition, the knee
marked); ``reports.rendering.figures`` saves them with every other figure.

* open loop: latency against offered load, p99 solid and p50 dashed, log-scale latency, the
  objective dotted, filled markers for the steps that met it and hollow ones for those that did
  not, ★ at the knee (the maximum rate; hollow when the search stopped at the client, its
  max_rate or its time budget: a lower bound);
* closed ladder: goodput and p99 against connections (log 2), ★ at the knee.

The style of a variant is the report's (``figure_kit``: the framework's hue, shaded per stack;
a marker per server); the panels are small multiples of a few variants each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from reports.rendering import figure_kit as kit
from reports.rendering.figure_kit import TICK_SIZE, Styles
from reports.rendering.sections import Figure

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from reports.analysis.analyse import Analysis

PANEL_LINES = 4  # variants per panel (each draws two lines in open loop)


def file_name(scenario: str) -> str:
    """capacity_<scenario>.png (a scenario named capacity_... keeps its own name)."""
    return f"{scenario}.png" if scenario.startswith("capacity") else f"capacity_{scenario}.png"
OPEN_COLUMNS = 3
KNEE_MARKER = "*"

Drawn = tuple["MplFigure", Figure]


def _knee_handles(open_loop: bool) -> list[Artist]:
    lines: list[Artist] = []
    if open_loop:
        lines += [Line2D([], [], color="0.3", ls="-", lw=1.2, label="p99"),
                  Line2D([], [], color="0.3", ls="--", lw=0.9, label="p50"),
                  Line2D([], [], color="0.4", ls=":", lw=1.0, label="p99 objective"),
                  Line2D([], [], ls="", marker="o", ms=4, mfc="white", mec="0.3",
                         label="step failed")]
    else:
        lines.append(Line2D([], [], color="0.3", ls="-", lw=1.2, label="goodput / p99"))
    lines += [Line2D([], [], ls="", marker=KNEE_MARKER, ms=9, color="0.5", mec="black",
                     mew=0.5, label="knee" + (" (max rate)" if open_loop else "")),
              Line2D([], [], ls="", marker=KNEE_MARKER, ms=9, mfc="white", mec="black",
                     mew=0.5, label="knee, lower bound")]
    return lines


def _chunks(items: Sequence[kit.Group], size: int) -> list[list[kit.Group]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _knee(ax: Axes, frame: pd.DataFrame, y: str, color: str) -> None:
    knee = frame[frame["knee"].astype(bool)]
    if knee.empty:
        return
    hollow = bool(frame["lower_bound"].iloc[0])
    ax.plot(knee["x"], knee[y], ls="", marker=KNEE_MARKER, ms=10, zorder=5,
            mfc="white" if hollow else color, mec="black", mew=0.6)


def _steps(ax: Axes, frame: pd.DataFrame, y: str, color: str, marker: str, ls: str,
           lw: float, markers: bool) -> None:
    """One variant's line; with ``markers``, filled at the steps that passed (or were not
    judged), hollow at those that failed."""
    ax.plot(frame["x"], frame[y], color=color, ls=ls, lw=lw)
    if not markers:
        return
    failed = frame["passed"].eq(False).to_numpy()
    ax.plot(frame["x"][~failed], frame[y][~failed], ls="", marker=marker, ms=3.8, color=color,
            mec="black", mew=0.4)
    ax.plot(frame["x"][failed], frame[y][failed], ls="", marker=marker, ms=3.8, mfc="white",
            mec=color, mew=0.8)


def _log_y(axes: Sequence[Axes], values: np.ndarray) -> None:
    """One log latency scale for ``axes``, with some room around the values."""
    values = values[np.isfinite(values) & (values > 0)]
    for ax in axes:
        kit.log_if_wide(ax, "y", values, always=True)
        if values.size:
            ax.set_ylim(values.min() / 1.4, values.max() * 1.4)


def _levels_axis(ax: Axes, levels: np.ndarray) -> None:
    """Connections on a log-2 axis, one label per level (every other one when crowded)."""
    ax.set_xscale("log", base=2)
    shown = levels if len(levels) <= 7 else levels[::2]
    ax.xaxis.set_major_locator(FixedLocator(shown))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(levels.min() / 1.3, levels.max() * 1.3)


def open_figure(result: Analysis, scenario: str, styles: Styles) -> Drawn | None:
    data = result.capacity.curves[result.capacity.curves["scenario"] == scenario]
    if data.empty:
        return None
    variants = [v for v in result.variants if (data["variant"] == v).any()]
    shown = kit.present(styles, variants)
    extra = _knee_handles(True)
    cells = _chunks(kit.groups(styles, variants, PANEL_LINES), OPEN_COLUMNS)
    fig, axes, legend_x = kit.lines_grid(cells, 2.9, 2.2, shown, "point", 0.75, extra)
    slo = pd.to_numeric(data["slo_p99_ms"], errors="coerce").dropna()
    drawn = []
    for r, row in enumerate(cells):
        for c, group in enumerate(row):
            ax = axes[r, c]
            drawn.append(ax)
            for variant in group.variants:
                frame = data[data["variant"] == variant]
                st = styles[variant]
                _steps(ax, frame, "p99_ms", st.color, st.marker, "-", 1.2, True)
                _steps(ax, frame, "p50_ms", st.color, st.marker, "--", 0.9, False)
                _knee(ax, frame, "p99_ms", st.color)
            if len(slo):
                ax.axhline(float(slo.iloc[0]), color="0.4", ls=":", lw=1.0)
            kit.log_if_wide(ax, "x", data["x"].to_numpy(dtype="float64"))
            if ax.get_xscale() == "linear":
                ax.set_xlim(0, float(data["x"].max()) * 1.05)
            kit.title(ax, ", ".join(group.servers), 7.5)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("latency (ms, log)", fontsize=7.5)
            if kit.is_bottom(cells, r, c):
                ax.set_xlabel("offered load (req/s)", fontsize=7.5)
    values = np.r_[data["p50_ms"].to_numpy(dtype="float64"),
                   data["p99_ms"].to_numpy(dtype="float64"), slo.to_numpy(dtype="float64")]
    _log_y(drawn, values)
    kit.legend(fig, shown, "point", False, legend_x, extra)
    kit.suptitle(fig, f"Capacity — {scenario}: latency against offered load", 0.75)
    objective = f"p99 ≤ {float(slo.iloc[0]):g} ms" if len(slo) else "the objective"
    return fig, Figure(
        file_name(scenario), f"Capacity — {scenario}", "capacity", (scenario,),
        f"Latency against offered load (open loop), log scale: p99 solid, p50 dashed; filled "
        f"markers: steps that met the objective ({objective}, dotted), hollow: steps that did "
        "not; ★ the knee, the highest offered rate that met it (hollow ★: the search stopped at "
        "the client, its max_rate or its time budget, a lower bound). One repetition per "
        "variant, the one with the median maximum rate; every step of every repetition is in "
        "capacity_steps.csv.")


def closed_figure(result: Analysis, scenario: str, styles: Styles) -> Drawn | None:
    data = result.capacity.curves[result.capacity.curves["scenario"] == scenario]
    if data.empty:
        return None
    variants = [v for v in result.variants if (data["variant"] == v).any()]
    shown = kit.present(styles, variants)
    extra = _knee_handles(False)
    groups = kit.groups(styles, variants, PANEL_LINES)
    cells = [[(g, "goodput_rps"), (g, "p99_ms")] for g in groups]
    fig, axes, legend_x = kit.lines_grid(cells, 2.6, 1.8, shown, "point", 0.75, extra)
    levels = np.unique(data["x"].to_numpy(dtype="float64"))
    goodput_top = float(data["goodput_rps"].max()) * 1.08 or 1.0
    latency_axes = []
    for r, row in enumerate(cells):
        for c, (group, column) in enumerate(row):
            ax = axes[r, c]
            for variant in group.variants:
                frame = data[data["variant"] == variant]
                st = styles[variant]
                _steps(ax, frame, column, st.color, st.marker, "-", 1.2, True)
                _knee(ax, frame, column, st.color)
            _levels_axis(ax, levels)
            if column == "p99_ms":
                latency_axes.append(ax)
            else:
                ax.set_ylim(0, goodput_top)
            measure = "goodput (req/s)" if column == "goodput_rps" else "p99 (ms, log)"
            kit.title(ax, f"{', '.join(group.servers)}: {measure}", 7.5)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.grid(alpha=0.3)
            if kit.is_bottom(cells, r, c):
                ax.set_xlabel("connections", fontsize=7.5)
    _log_y(latency_axes, data["p99_ms"].to_numpy(dtype="float64"))
    kit.legend(fig, shown, "point", False, legend_x, extra)
    kit.suptitle(fig, f"Capacity — {scenario}: goodput and p99 against connections", 0.75)
    return fig, Figure(
        file_name(scenario), f"Capacity — {scenario}", "capacity", (scenario,),
        "Closed-loop ladder: goodput (successful req/s) and p99 against the number of "
        "connections (log 2 scale); ★ the knee, the first level after which goodput grows by "
        "less than 5% to the next while p99 still grows (hollow ★: goodput still grew at the "
        "top level, no knee within the ladder). One repetition per variant, the one with the "
        "median goodput at its knee; every step is in capacity_steps.csv.")


def figure(result: Analysis, scenario: str, styles: Styles) -> Drawn | None:
    """The capacity figure of one scenario (not saved)."""
    draw = closed_figure if result.capacity.modes.get(scenario) == "closed" else open_figure
    return draw(result, scenario, styles)

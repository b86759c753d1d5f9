"""Figure renderers: the ``Analysis`` in, PNG files out (matplotlib, Agg backend).

Every renderer draws data the analysis already reduced (at most ``MAX_LINE_POINTS`` per line,
sampled fliers: ``reports.series``); none computes a statistic.

Readable for any number of variants: bars are horizontal and sorted, with full labels; figures
grow with the number of variants instead of crowding one axis; series that would be spaghetti
are small multiples (one panel per server: a few lines each, told apart by their stack's colour
and dash); only panels with data are drawn; legends sit to the right of the data. Every figure
uses one style per variant (``reports.sections.variant_styles``: the framework's hue, shaded per
stack; a hatch and a marker per server); grey and cross-hatched always means failed.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from reports import constants
from reports.constants import (
    FIGURE_DPI,
    MAX_FLIERS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
)
from reports.sections import NINES, Figure, VariantStyle, is_wide, nines, variant_styles

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from reports.analysis import Analysis

Styles = dict[str, VariantStyle]

FAILED_COLOR = to_rgba(constants.FAILED_COLOR)
FAILED_HATCH = constants.FAILED_HATCH

# Sizes, in inches (fonts in points).
BAR_PITCH = 0.22  # one horizontal bar (or box) per this much height
LABEL_SIZE = 7.0  # tick labels naming variants
TICK_SIZE = 7.0
TITLE_SIZE = 9.0
LEGEND_SIZE = 7.0
BAR_PLOT_W = 4.6  # the data area of a bar panel


def palette(variants: Sequence[str], summary: pd.DataFrame | None = None) -> Styles:
    """The style of each variant, the same in every figure (``sections.variant_styles``)."""
    return variant_styles(variants, summary if summary is not None else pd.DataFrame())


def _save(fig: MplFigure, path: Path) -> None:
    # Fixed margins (measured where each figure is made) instead of bbox_inches="tight": one
    # draw instead of two, which halves the time of a report with dozens of figures.
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)


_TEXT = TextToPath()


@functools.lru_cache(maxsize=4096)
def _text_pt(text: str, size: float) -> float:
    return float(_TEXT.get_text_width_height_descent(text, FontProperties(size=size),
                                                     ismath=False)[0])


def _text_w(texts: Sequence[str], size: float = LABEL_SIZE) -> float:
    """The width (inches) of the widest of ``texts`` at font ``size``."""
    return max((_text_pt(t, size) for t in texts if t), default=0.0) / 72


# -- layout ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Margins:
    left: float
    right: float
    top: float
    bottom: float


def _canvas(heights: Sequence[float], widths: Sequence[float], m: Margins, *, hgap: float,
            wgap: float, cells: set[tuple[int, int]] | None = None) -> tuple[MplFigure, np.ndarray]:
    """A figure whose panels have the given sizes (inches) and fixed margins and gaps: it grows
    with its content, so nothing is squeezed. Only the panels in ``cells`` (row, column) are
    made (default: all): no empty panel is ever drawn."""
    fig_w = m.left + sum(widths) + wgap * (len(widths) - 1) + m.right
    fig_h = m.top + sum(heights) + hgap * (len(heights) - 1) + m.bottom
    fig = plt.figure(figsize=(fig_w, fig_h))
    grid = fig.add_gridspec(
        len(heights), len(widths), height_ratios=list(heights), width_ratios=list(widths),
        left=m.left / fig_w, right=1 - m.right / fig_w, top=1 - m.top / fig_h,
        bottom=m.bottom / fig_h, wspace=wgap / float(np.mean(widths)),
        hspace=hgap / float(np.mean(heights)))
    axes = np.empty((len(heights), len(widths)), dtype=object)
    for r in range(len(heights)):
        for c in range(len(widths)):
            if cells is None or (r, c) in cells:
                axes[r, c] = fig.add_subplot(grid[r, c])
    return fig, axes


def _title(ax: Axes, text: str, size: float = 8.0) -> None:
    # A fixed title position: matplotlib's automatic one measures every tick label once more.
    ax.set_title(text, fontsize=size, y=1.0, pad=3)


def _suptitle(fig: MplFigure, text: str, left_in: float) -> None:
    fig_w, fig_h = fig.get_size_inches()
    fig.suptitle(text, fontsize=TITLE_SIZE + 1, x=left_in / fig_w, ha="left",
                 y=1 - 0.1 / fig_h, va="top")


def _legend_handles(styles: Sequence[VariantStyle], kind: str,
                    failed: bool) -> tuple[list[Artist], str]:
    """Handles for the style legend: one per stack (colour; for lines also its dash), then one
    per server (hatch for bars, marker for points and for lines whose panels mix servers;
    "line-only": lines of one server per panel, no server entries)."""
    handles: list[Artist] = []
    stacks = list(dict.fromkeys((s.stack, s.color, s.dash) for s in styles))
    servers = list(dict.fromkeys((s.server, s.hatch, s.marker) for s in styles))
    for stack, color, dash in stacks:
        if kind.startswith("line"):
            handles.append(Line2D([], [], color=color, ls=dash, lw=1.5, label=stack))
        else:
            handles.append(Patch(facecolor=color, edgecolor="black", lw=0.4, label=stack))
    for server, hatch, marker in servers if kind != "line-only" else []:
        if kind == "bar":
            handles.append(Patch(facecolor="white", edgecolor="black", lw=0.4, hatch=hatch,
                                 label=server))
        else:
            handles.append(Line2D([], [], ls="", marker=marker, color="0.35", mec="black",
                                  mew=0.4, label=server))
    if failed:
        handles.append(Patch(facecolor=FAILED_COLOR, edgecolor="black", lw=0.4,
                             hatch=FAILED_HATCH, label="failed"))
    title = {"bar": "colour: stack · hatch: server", "point": "colour: stack · marker: server",
             "line": "colour, dash: stack · marker: server",
             "line-only": "colour and dash: stack"}[kind]
    return handles, title


def _legend_size(styles: Sequence[VariantStyle], kind: str, failed: bool) -> tuple[float, float]:
    """(width, height) in inches of the legend ``_legend`` draws."""
    handles, title = _legend_handles(styles, kind, failed)
    width = max(_text_w([h.get_label() for h in handles], LEGEND_SIZE) + 0.55,
                _text_w([title], LEGEND_SIZE) + 0.3)
    return width, 0.3 + 0.165 * len(handles)


def _legend(fig: MplFigure, styles: Sequence[VariantStyle], kind: str, failed: bool,
            x_in: float) -> None:
    """The style legend, top-aligned at ``x_in`` inches from the left: right of every panel."""
    handles, title = _legend_handles(styles, kind, failed)
    fig_w, fig_h = fig.get_size_inches()
    fig.legend(handles=handles, title=title, loc="upper left", fontsize=LEGEND_SIZE,
               title_fontsize=LEGEND_SIZE, frameon=False, borderaxespad=0, handlelength=2.2,
               bbox_to_anchor=(x_in / fig_w, 1 - 0.3 / fig_h))


def _present(styles: Styles, variants: Sequence[str]) -> list[VariantStyle]:
    """The styles of ``variants``, in the report's order (the legend's)."""
    wanted = set(variants)
    return [style for v, style in styles.items() if v in wanted]


def _log_if_wide(ax: Axes, axis: str, values: np.ndarray) -> None:
    """A log axis when the values span more than ``sections.WIDE_RATIO`` (dev servers next to
    gunicorn would squash every other point against zero); else a linear one from zero."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values) & (values > 0)]
    wide = is_wide(values)
    if not wide and axis == "x":
        ax.set_xlim(left=0)
    elif not wide:
        ax.set_ylim(bottom=0)
    if not wide:
        return
    getattr(ax, f"set_{axis}scale")("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    # Few labels, plain numbers: 1-2-5 per decade over a short span, decades over a long one;
    # minor ticks unlabelled (matplotlib labels them all on short spans, and they collide).
    decades = float(np.log10(values.max() / values.min()))
    target.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,),
                                        numticks=6))
    target.set_major_formatter(FuncFormatter(_plain_number))
    target.set_minor_formatter(NullFormatter())


def _plain_number(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


# -- sorted horizontal bars -----------------------------------------------------------------------

@dataclass(frozen=True)
class Bars:
    """One panel of bars: a value per variant, its CI (NaN: none), failed and censored flags."""
    variants: list[str]
    values: np.ndarray
    low: np.ndarray
    high: np.ndarray
    failed: np.ndarray
    censored: np.ndarray
    higher_is_better: bool

    @classmethod
    def of(cls, frame: pd.DataFrame, value: str, *, low: str | None = None,
           high: str | None = None, higher_is_better: bool = False) -> Bars:
        n = len(frame)
        nan = np.full(n, np.nan)

        def col(name: str | None) -> np.ndarray:
            return frame[name].to_numpy(dtype="float64") if name else nan
        censored = (pd.to_numeric(frame["censored"], errors="coerce").fillna(0) > 0).to_numpy() \
            if "censored" in frame else np.zeros(n, bool)
        return cls([str(v) for v in frame["variant"]], col(value), col(low), col(high),
                   (frame["status"] == "failed").to_numpy(), censored, higher_is_better)

    def order(self) -> np.ndarray:
        """Best first, rows without a value after, failed rows last (never ranked)."""
        key = -self.values if self.higher_is_better else self.values
        rank = np.where(self.failed, 2, np.where(np.isfinite(self.values), 0, 1))
        return np.lexsort((np.nan_to_num(key, nan=0.0), rank))

    def __len__(self) -> int:
        return len(self.variants)


def _bar_panel(ax: Axes, bars: Bars, styles: Styles, unit: str, latency: bool,
               rows: int) -> None:
    """Sorted horizontal bars, best on top, each labelled with its value ("≥" for a lower bound:
    censored samples); CI error bars where there is an interval; failed rows grey and
    cross-hatched, labelled "failed". ``rows`` bar places (at least one per bar): panels side
    by side keep one bar pitch."""
    idx = bars.order()
    y = np.arange(len(idx))
    values, failed = bars.values[idx], bars.failed[idx]
    names = [bars.variants[i] for i in idx]
    finite = np.isfinite(values)
    colors = [FAILED_COLOR if f else styles[v].color for v, f in zip(names, failed, strict=True)]
    drawn = ax.barh(y, np.where(finite, values, 0.0), height=0.72, color=colors,
                    edgecolor="black", linewidth=0.4)
    for patch, name, is_failed in zip(drawn, names, failed, strict=True):
        patch.set_hatch(FAILED_HATCH if is_failed else styles[name].hatch)
    low, high = bars.low[idx], bars.high[idx]
    has_ci = finite & np.isfinite(low) & np.isfinite(high) & ~failed
    if has_ci.any():
        ax.errorbar(values[has_ci], y[has_ci],
                    xerr=np.vstack([values[has_ci] - low[has_ci], high[has_ci] - values[has_ci]]),
                    fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
    top = np.nanmax(np.r_[values[finite], high[has_ci], 0.0])
    for yi, v, hi, is_failed, cens, ci in zip(y, values, high, failed, bars.censored[idx],
                                              has_ci, strict=True):
        if is_failed:  # the whole row is crossed out (its bar, if any, drawn grey on top)
            ax.axhspan(yi - 0.36, yi + 0.36, facecolor=FAILED_COLOR, hatch=FAILED_HATCH,
                       edgecolor="0.6", linewidth=0, alpha=0.7, zorder=0.5)
        if is_failed or np.isfinite(v):
            text = "failed" if is_failed else ("≥ " if latency and cens else "") + f"{v:,.1f}"
            x = max(v, hi) if ci else (v if np.isfinite(v) else 0.0)
            ax.annotate(text, (x, yi), textcoords="offset points", xytext=(3, 0),
                        ha="left", va="center", fontsize=6.5,
                        bbox={"fc": "white", "ec": "none", "pad": 0.3} if is_failed else None)
    ax.set_xlim(0, top * 1.22 if top > 0 else 1)
    ax.set_ylim(max(rows, len(y)) - 0.5, -0.5)
    ax.set_yticks(y, names, fontsize=LABEL_SIZE)
    ax.tick_params(axis="x", labelsize=TICK_SIZE)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.set_xlabel(unit, fontsize=8)
    ax.grid(axis="x", alpha=0.3)


def _bar_figure(panels: Sequence[tuple[str, Bars]], styles: Styles, unit: str, latency: bool,
                title: str, *, columns: int = 1) -> MplFigure:
    """Bar panels (title, bars) in ``columns`` columns; each row as tall as its longest panel."""
    shown = _present(styles, [v for _, bars in panels for v in bars.variants])
    failed = any(bars.failed.any() for _, bars in panels)
    legend_w, legend_h = _legend_size(shown, "bar", failed)
    label_w = _text_w([v for _, bars in panels for v in bars.variants]) + 0.15
    cols = max(1, min(columns, len(panels)))
    rows = int(np.ceil(len(panels) / cols))
    row_bars = [max(len(b) for _, b in panels[r * cols:(r + 1) * cols]) for r in range(rows)]
    heights = [max(0.9, BAR_PITCH * n) for n in row_bars]
    m = Margins(left=label_w + 0.25, right=legend_w + 0.35, top=0.6, bottom=0.5)
    extra = legend_h + 0.4 - (sum(heights) + (rows - 1) * 0.75)
    if extra > 0:  # a short figure still fits its legend
        heights[-1] += extra
    fig, axes = _canvas(heights, [BAR_PLOT_W] * cols, m, hgap=0.75, wgap=label_w + 0.35,
                        cells={(i // cols, i % cols) for i in range(len(panels))})
    for i, (panel_title, bars) in enumerate(panels):
        ax = axes[i // cols, i % cols]
        _bar_panel(ax, bars, styles, unit, latency, row_bars[i // cols])
        if panel_title:
            _title(ax, panel_title)
    _suptitle(fig, title, m.left)
    _legend(fig, shown, "bar", failed, fig.get_size_inches()[0] - m.right + 0.3)
    return fig


# -- paper 1 --------------------------------------------------------------------------------------

def _paper1_figure(result: Analysis, index: int, out: Path, styles: Styles) -> Figure | None:
    number, scenario, metric, title = PAPER1_FIGURES[index]
    part = result.paper1[result.paper1["scenario"] == scenario]
    if part.empty:
        return None
    rps = metric == "rps"
    unit = "requests per second (goodput; higher is better)" if rps else \
        "mean response time (ms; lower is better)"
    bars = Bars.of(part, "value", low="ci95_low", high="ci95_high", higher_is_better=rps)
    fig = _bar_figure([("", bars)], styles, unit, not rps, f"Fig. {number}: {title}")
    name = f"p1_fig{number}_{scenario}.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 1, Fig. {number}: {title}", "paper1", (scenario,),
                  "Mean over the repetitions that did not fail, best on top; error bars: "
                  "Student's t 95% CI over repetitions (none with one repetition); colour: "
                  "stack, hatch: server; grey cross-hatched: failed (never ranked, last).")


# -- paper 2 --------------------------------------------------------------------------------------

def _methods(load: str) -> tuple[tuple[str, str], tuple[str, str]]:
    _, get_s, post_s, _ = PAPER2_LOADS[load]
    return (get_s, "GET"), (post_s, "POST")


def _p2_bar(result: Analysis, load: str, out: Path, styles: Styles) -> Figure | None:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    table = result.paper2[load]
    panels = [(f"{method} ({scenario})", Bars.of(table[table["method"] == method], "average_ms"))
              for scenario, method in _methods(load) if (table["method"] == method).any()]
    if not panels:
        return None
    fig_no = f"Fig. {numbers[0]}: " if numbers else ""
    fig = _bar_figure(panels, styles, "average execution time (ms; lower is better)", True,
                      f"{fig_no}average execution time, {label}")
    name = f"p2_{load}_bar.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}averages — {label}", "paper2", (get_s, post_s),
                  "Mean of the latency samples pooled over repetitions (timeouts at their "
                  "timeout: ≥), fastest on top, one panel per method with data; other failures "
                  "excluded and counted in the table; grey cross-hatched: failed.")


MAX_PANEL_LINES = 6


@dataclass(frozen=True)
class Group:
    """The variants one panel of a line figure shows: one server's, or a few servers' when their
    stacks differ (so colour and dash still tell every line apart; markers tell the server)."""
    servers: tuple[str, ...]
    variants: tuple[str, ...]


def _groups(styles: Styles, variants: Sequence[str],
            max_lines: int = MAX_PANEL_LINES) -> list[Group]:
    """Panels of at most ``max_lines`` lines: a server per panel, neighbouring servers (in the
    report's order) sharing one while their stacks differ: few variants, few panels."""
    groups: list[Group] = []
    servers = list(dict.fromkeys(styles[v].server for v in variants if v in styles))
    for server in servers:
        mine = tuple(v for v in variants if v in styles and styles[v].server == server)
        if groups:
            last = groups[-1]
            stacks = {styles[v].stack for v in last.variants}
            if len(last.variants) + len(mine) <= max_lines and \
                    not stacks & {styles[v].stack for v in mine}:
                groups[-1] = Group((*last.servers, server), (*last.variants, *mine))
                continue
        groups.append(Group((server,), mine))
    return groups


def _group_title(group: Group, groups: Sequence[Group]) -> str:
    return "" if len(groups) == 1 and len(group.servers) > 1 else ", ".join(group.servers)


def _line_kind(groups: Sequence[Group]) -> str:
    return "line" if any(len(g.servers) > 1 for g in groups) else "line-only"


def _plot_line(ax: Axes, x: np.ndarray, y: np.ndarray, style: VariantStyle, markers: bool,
               lw: float = 0.9) -> None:
    """One variant's line: its stack's colour and dash; its server's marker (about 8 per line)
    when the panel mixes servers."""
    every = max(1, len(x) // 8)
    short = len(x) < 3  # one or two points: a line alone would hardly show
    ax.plot(x, y, lw=lw, color=style.color, ls=style.dash,
            marker=style.marker if markers or short else None, markevery=every, ms=3.5,
            mec="black", mew=0.3)


def _lines_grid(cells: Sequence[Sequence[object]], panel_w: float, panel_h: float,
                styles: Sequence[VariantStyle], kind: str,
                left: float) -> tuple[MplFigure, np.ndarray, float]:
    """A grid of line panels, one row per entry of ``cells`` (left-aligned, as many as it has),
    the style legend on the right. Returns the figure, its axes and the legend's x (inches)."""
    cols = max(len(row) for row in cells)
    legend_w, legend_h = _legend_size(styles, kind, False)
    heights = [panel_h] * len(cells)
    extra = legend_h - (sum(heights) + 0.62 * (len(heights) - 1))
    m = Margins(left=left, right=legend_w + 0.35, top=0.62, bottom=0.5 + max(0.0, extra))
    fig, axes = _canvas(heights, [panel_w] * cols, m, hgap=0.62, wgap=0.55,
                        cells={(r, c) for r, row in enumerate(cells) for c in range(len(row))})
    return fig, axes, fig.get_size_inches()[0] - m.right + 0.3


def _is_bottom(cells: Sequence[Sequence[object]], r: int, c: int) -> bool:
    """Whether no panel is drawn below (r, c): it carries the x label."""
    return r == len(cells) - 1 or c >= len(cells[r + 1])


def _p2_line(result: Analysis, load: str, out: Path, styles: Styles) -> Figure | None:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    methods = [(s, m) for s, m in _methods(load) if len(result.per_iteration[s])]
    if not methods:
        return None
    series = {s: result.per_iteration[s] for s, _ in methods}
    variants = [v for v in result.variants if any((f["variant"] == v).any()
                                                  for f in series.values())]
    groups = _groups(styles, variants)
    cells = []  # rows: a group of variants; columns: the methods with data for it
    for group in groups:
        row = [(group, method, series[s][series[s]["variant"].isin(group.variants)])
               for s, method in methods]
        cells.append([c for c in row if len(c[2])])
    kind = _line_kind(groups)
    shown = _present(styles, variants)
    fig, axes, legend_x = _lines_grid(cells, 3.6, 1.35, shown, kind, 0.75)
    all_ms = np.concatenate([f["latency_ms"].to_numpy(dtype="float64") for f in series.values()])
    reps = sorted({int(r) for f in series.values() for r in f["reps"]})
    for r, row in enumerate(cells):
        for c, (group, method, frame) in enumerate(row):
            ax = axes[r, c]
            for variant, g in frame.groupby("variant", sort=False):
                _plot_line(ax, g["iteration"].to_numpy(), g["latency_ms"].to_numpy(),
                           styles[str(variant)], kind == "line", lw=0.8)
            _row_ylim([ax], all_ms)
            name = _group_title(group, groups)
            _title(ax, f"{name} — {method}" if name else method)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("ms", fontsize=8)
            if _is_bottom(cells, r, c):
                ax.set_xlabel("iteration" + (f" (median of {'/'.join(map(str, reps))} reps)"
                                             if reps and reps != [1] else ""), fontsize=7)
    _legend(fig, shown, kind, False, legend_x)
    fig_no = f"Fig. {numbers[1]}: " if numbers else ""
    _suptitle(fig, f"{fig_no}per-iteration execution time, {label}", 0.75)
    name = f"p2_{load}_line.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}per-iteration times — {label}", "paper2",
                  (get_s, post_s), "One panel per server (or a few servers with different "
                  "stacks) and method, on one y scale; each iteration is the median over the "
                  "repetitions of the request with that number; long series are shown as bin "
                  "means of at most a few thousand points.")


def _p2_box(result: Analysis, load: str, out: Path, styles: Styles) -> Figure | None:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    status = result.summary.set_index(["variant", "scenario"])["status"]
    methods = [(s, m) for s, m in _methods(load) if result.boxes[s]]
    if not methods:
        return None
    panels = []
    for scenario, method in methods:
        boxes = result.boxes[scenario]
        failed = [status.get((b.variant, scenario)) == "failed" for b in boxes]
        order = sorted(range(len(boxes)), key=lambda i: (failed[i], boxes[i].stats["med"]))
        panels.append((scenario, method, [boxes[i] for i in order], [failed[i] for i in order]))
    labels = [f"{b.variant} ({b.outliers:,} outliers)" for *_, bs, _ in panels for b in bs]
    shown = _present(styles, [b.variant for *_, bs, _ in panels for b in bs])
    any_failed = any(f for *_, fs in panels for f in fs)
    legend_w, legend_h = _legend_size(shown, "bar", any_failed)
    label_w = _text_w(labels) + 0.15
    heights = [max(0.9, BAR_PITCH * 1.15 * len(bs)) for *_, bs, _ in panels]
    extra = legend_h + 0.4 - (sum(heights) + 0.75 * (len(heights) - 1))
    if extra > 0:
        heights[-1] += extra
    m = Margins(left=label_w + 0.25, right=legend_w + 0.35, top=0.6, bottom=0.5)
    fig, axes = _canvas(heights, [BAR_PLOT_W], m, hgap=0.75, wgap=0.3)
    whiskers = np.array([v for *_, bs, _ in panels for b in bs
                         for v in (b.stats["whislo"], b.stats["whishi"])], dtype="float64")
    for ax, (scenario, method, boxes, failed) in zip(axes[:, 0], panels, strict=True):
        y = np.arange(len(boxes))
        parts = ax.bxp([b.stats for b in boxes], positions=y, orientation="horizontal",
                       patch_artist=True, showmeans=True, manage_ticks=False, widths=0.65,
                       flierprops={"markersize": 2, "alpha": 0.5},
                       meanprops={"markersize": 4, "markerfacecolor": "white",
                                  "markeredgecolor": "black"},
                       medianprops={"color": "black"})
        for patch, box, is_failed in zip(parts["boxes"], boxes, failed, strict=True):
            patch.set_facecolor(FAILED_COLOR if is_failed else styles[box.variant].color)
            patch.set_hatch(FAILED_HATCH if is_failed else styles[box.variant].hatch)
            patch.set_linewidth(0.5)
        ax.set_yticks(y, [f"{b.variant} ({b.outliers:,} outliers)" for b in boxes],
                      fontsize=LABEL_SIZE)
        ax.set_ylim(len(y) - 0.5, -0.5)
        _log_if_wide(ax, "x", whiskers)
        ax.tick_params(axis="x", labelsize=TICK_SIZE)
        _title(ax, f"{method} ({scenario})")
        ax.set_xlabel("execution time (ms)", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig_no = f"Fig. {numbers[2]}: " if numbers else ""
    _suptitle(fig, f"{fig_no}distribution, {label}", m.left)
    _legend(fig, shown, "bar", any_failed, fig.get_size_inches()[0] - m.right + 0.3)
    name = f"p2_{load}_box.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}box plots — {label}", "paper2", (get_s, post_s),
                  f"Lowest median on top, one panel per method with data; whiskers at 1.5×IQR; "
                  f"at most {MAX_FLIERS} outliers drawn per box (all counted); △ = mean.")


# -- beyond the papers ----------------------------------------------------------------------------

def _row_ylim(axes: Sequence[Axes], values: np.ndarray) -> None:
    """One y scale for panels (log when the values span more than 20x)."""
    values = values[np.isfinite(values)]
    for ax in axes:
        _log_if_wide(ax, "y", values)
        positive = values[values > 0]
        if ax.get_yscale() == "log" and positive.size:
            ax.set_ylim(positive.min() / 1.3, positive.max() * 1.3)
        elif values.size:
            ax.set_ylim(0, values.max() * 1.05 or 1)


def latency_figure(result: Analysis, out: Path, styles: Styles) -> Figure | None:
    curves = result.curves[result.curves["percentile"] < 100]
    scenarios = [s for s in result.scenarios if (curves["scenario"] == s).any()]
    if not scenarios:
        return None
    variants = [v for v in result.variants if (curves["variant"] == v).any()]
    groups = _groups(styles, variants)
    cells = []  # rows: scenario; one panel per group of variants with data, left-aligned
    for scenario in scenarios:
        sub = curves[curves["scenario"] == scenario]
        row = [(g, sub[sub["variant"].isin(g.variants)]) for g in groups]
        cells.append([c for c in row if len(c[1])])
    shown = _present(styles, variants)
    ylabel_w = _text_w(scenarios, 7.5) + 0.5
    fig, axes, legend_x = _lines_grid(cells, 2.3, 1.55, shown, "line", ylabel_w)
    ticks = nines(np.array(NINES))
    for r, (scenario, row) in enumerate(zip(scenarios, cells, strict=True)):
        for c, (group, sub) in enumerate(row):
            ax = axes[r, c]
            for variant, g in sub.groupby("variant", sort=False):
                st = styles[str(variant)]
                ax.plot(nines(g["percentile"]), g["latency_ms"], lw=1, color=st.color,
                        ls=st.dash, marker=st.marker, ms=2.8, mec="black", mew=0.3)
            ax.set_xticks(ticks, [f"{p:g}" for p in NINES], fontsize=6)
            ax.tick_params(axis="y", labelsize=6.5)
            _title(ax, _group_title(group, groups) or scenario, 7.5)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel(f"{scenario}\nlatency (ms)", fontsize=7.5)
            if _is_bottom(cells, r, c):
                ax.set_xlabel("percentile", fontsize=7)
        row_values = np.concatenate([f["latency_ms"].to_numpy(dtype="float64") for _, f in row])
        _row_ylim([axes[r, c] for c in range(len(row))], row_values)
    _legend(fig, shown, "line", False, legend_x)
    _suptitle(fig, "Latency percentile spectrum (one row per scenario)", ylabel_w)
    name = "latency_percentiles.png"
    _save(fig, out / name)
    return Figure(name, "Latency percentile spectrum", "latency", tuple(scenarios),
                  "All successful requests pooled over repetitions; one row per scenario (one y "
                  "scale along a row), one panel per server (or a few servers with different "
                  "stacks); the x axis is spaced by 'nines' (50, 90, 99, 99.9, 99.99) so the "
                  "tail is visible.")


def throughput_latency_figure(result: Analysis, out: Path, styles: Styles) -> Figure | None:
    summary = result.summary.dropna(subset=["rps_median", "p50_ms"])
    scenarios = [s for s in result.scenarios if (summary["scenario"] == s).any()]
    if not scenarios:
        return None
    shown = _present(styles, list(summary["variant"]))
    any_failed = bool((summary["status"] == "failed").any())
    legend_w, legend_h = _legend_size(shown, "point", any_failed)
    cols = min(3, len(scenarios))
    rows = int(np.ceil(len(scenarios) / cols))
    panel_h = max(2.6, (legend_h - 0.7 * (rows - 1)) / rows)
    m = Margins(left=0.75, right=legend_w + 0.35, top=0.65, bottom=0.55)
    fig, axes = _canvas([panel_h] * rows, [3.3] * cols, m, hgap=0.7, wgap=0.7,
                        cells={(i // cols, i % cols) for i in range(len(scenarios))})
    for i, scenario in enumerate(scenarios):
        ax = axes[i // cols, i % cols]
        sub = summary[summary["scenario"] == scenario]
        for row in sub.itertuples():
            failed = row.status == "failed"
            st = styles[str(row.variant)]
            color = FAILED_COLOR if failed else st.color
            ax.plot([row.rps_median] * 2, [row.p50_ms, row.p99_ms], color=color, lw=1,
                    zorder=2)
            ax.plot([row.rps_median], [row.p99_ms], ls="", marker="_", ms=7, mew=1.2,
                    color=color, zorder=2)
            ax.plot([row.rps_median], [row.p50_ms], ls="", marker=st.marker, ms=5.5,
                    color=color, mec="black", mew=0.5, zorder=3)
            if failed:
                ax.annotate("failed", (row.rps_median, row.p99_ms), textcoords="offset points",
                            xytext=(3, 3), fontsize=6, color="dimgray")
        _log_if_wide(ax, "x", sub["rps_median"].to_numpy())
        _log_if_wide(ax, "y", np.r_[sub["p50_ms"].to_numpy(), sub["p99_ms"].to_numpy()])
        if ax.get_xscale() == "linear":
            ax.xaxis.set_major_locator(MaxNLocator(5))
        _title(ax, scenario, 8.5)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("latency (ms): marker p50, line to p99", fontsize=7)
        if i + cols >= len(scenarios):
            ax.set_xlabel("goodput req/s (median)", fontsize=7.5)
    _legend(fig, shown, "point", any_failed, fig.get_size_inches()[0] - m.right + 0.3)
    _suptitle(fig, "Throughput versus latency (down and to the right is better)", m.left)
    name = "throughput_latency.png"
    _save(fig, out / name)
    return Figure(name, "Throughput versus latency", "throughput_latency", tuple(scenarios),
                  "Each variant: median goodput (successful req/s) against latency, its marker "
                  "at p50 and its line up to p99 (—), one panel per scenario; colour: stack, "
                  "marker: server; failed cells grey and labelled. Down and to the right is "
                  "better.")


TIMELINE_ROWS = (("throughput_rps", "completed req/s"), ("server_cpu_pct", "server CPU %"),
                 ("server_rss_mb", "server RSS (MiB)"), ("client_cpu_pct", "client CPU %"))


def resource_figure(result: Analysis, scenario: str, out: Path, styles: Styles) -> Figure | None:
    data = result.timelines[scenario]
    if data.empty:
        return None
    metrics = [(m, label) for m, label in TIMELINE_ROWS if (data["metric"] == m).any()]
    variants = [v for v in result.variants if (data["variant"] == v).any()]
    groups = _groups(styles, variants)
    cells = []  # rows: a group of variants; columns: the measures with data for it
    for group in groups:
        mine = data[data["variant"].isin(group.variants)]
        cells.append([(group, metric, label, mine[mine["metric"] == metric])
                      for metric, label in metrics if (mine["metric"] == metric).any()])
    kind = _line_kind(groups)
    shown = _present(styles, variants)
    fig, axes, legend_x = _lines_grid(cells, 2.5, 1.2, shown, kind, 0.6)
    tops = {}  # one y scale per measure
    for metric, _ in metrics:
        values = data.loc[data["metric"] == metric, "value"].to_numpy(dtype="float64")
        tops[metric] = float(np.nanmax(values)) * 1.08 if values.size else 1.0
    errors = data[(data["metric"] == "errors_per_s") & (data["value"] > 0)]
    t_max = float(data["t_s"].max())
    for r, row in enumerate(cells):
        for c, (group, metric, label, frame) in enumerate(row):
            ax = axes[r, c]
            for variant, g in frame.groupby("variant", sort=False):
                st = styles[str(variant)]
                _plot_line(ax, g["t_s"].to_numpy(), g["value"].to_numpy(), st, kind == "line")
                if metric == "throughput_rps":
                    err = errors[errors["variant"] == variant]
                    if len(err):
                        ax.scatter(err["t_s"], err["value"], marker="x", s=12, color=st.color,
                                   linewidths=0.8)
            ax.set_xlim(0, t_max * 1.02 or 1)
            ax.set_ylim(0, tops[metric] or 1.0)
            name = _group_title(group, groups)
            _title(ax, f"{name}: {label}" if name else label, 7.5)
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.tick_params(labelsize=6.5)
            ax.grid(alpha=0.3)
            if _is_bottom(cells, r, c):
                ax.set_xlabel("s since the first repetition started", fontsize=7)
    _legend(fig, shown, kind, False, legend_x)
    _suptitle(fig, f"Throughput and resources over time — {scenario}", 0.6)
    name = f"resources_{scenario}.png"
    _save(fig, out / name)
    return Figure(name, f"Resources over time — {scenario}", "resources", (scenario,),
                  "One row per server (or a few servers with different stacks), one column per "
                  "measure (one y scale down a column); server process tree (all processes "
                  "summed) and client process, sampled by the monitors; ✕ = failed requests per "
                  "second.")


def efficiency_figure(result: Analysis, out: Path, styles: Styles) -> Figure | None:
    data = result.efficiency.dropna(subset=["requests_per_cpu_s"])
    if data.empty:
        return None
    status = result.summary.set_index(["variant", "scenario"])["status"]
    scenarios = [s for s in result.scenarios if (data["scenario"] == s).any()]
    panels = []
    for scenario in scenarios:
        part = data[data["scenario"] == scenario]
        part = part.assign(status=[status.get((v, scenario), "") for v in part["variant"]])
        panels.append((scenario, Bars.of(part, "requests_per_cpu_s", higher_is_better=True)))
    fig = _bar_figure(panels, styles, "successful requests per server CPU-second", False,
                      "Requests per server CPU-second (higher is better)",
                      columns=2 if len(panels) > 1 else 1)
    name = "efficiency.png"
    _save(fig, out / name)
    return Figure(name, "Requests per server CPU-second", "efficiency", tuple(scenarios),
                  "Median over repetitions, one panel per scenario, best on top; needs the "
                  "server monitor.")


def _render(tasks: Sequence[Callable[[], Figure | None]]) -> list[Figure | None]:
    return [task() for task in tasks]


def _render_forked(tasks: Sequence[Callable[[], Figure | None]],
                   workers: int) -> list[Figure | None]:
    """Render ``tasks`` in ``workers`` forked processes (copy-on-write: the data is not
    pickled, only the small Figure records come back). Falls back to one process."""
    if workers < 2 or len(tasks) < 4 or "fork" not in mp.get_all_start_methods():
        return _render(tasks)
    ctx = mp.get_context("fork")
    groups = [list(range(i, len(tasks), workers)) for i in range(workers)]
    channels = []
    for group in groups[1:]:
        reader, writer = ctx.Pipe(duplex=False)

        def child(group: list[int] = group, writer: Connection = writer) -> None:
            writer.send([(i, tasks[i]()) for i in group])
            writer.close()

        proc = ctx.Process(target=child, daemon=True)
        proc.start()
        writer.close()
        channels.append((proc, reader, group))
    results: list[Figure | None] = [None] * len(tasks)
    for i in groups[0]:
        results[i] = tasks[i]()
    for proc, reader, group in channels:
        try:
            for i, fig in reader.recv():
                results[i] = fig
        except EOFError:  # the child died: render its share here
            for i in group:
                results[i] = tasks[i]()
        proc.join()
    return results


def write_all(result: Analysis, out: Path, workers: int | None = None) -> list[Figure]:
    """Write every figure the data supports; return them in report order."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    styles = palette(result.variants, result.summary)
    tasks: list[Callable[[], Figure | None]] = [
        *[(lambda n=n: _paper1_figure(result, n, out, styles))
          for n in range(len(PAPER1_FIGURES))],
        *[(lambda load=load, r=r: r(result, load, out, styles))
          for load in result.paper2 for r in (_p2_bar, _p2_line, _p2_box)],
        lambda: throughput_latency_figure(result, out, styles),
        lambda: latency_figure(result, out, styles),
        *[(lambda s=s: resource_figure(result, s, out, styles)) for s in result.scenarios],
        lambda: efficiency_figure(result, out, styles),
    ]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    return [f for f in _render_forked(tasks, workers) if f is not None]

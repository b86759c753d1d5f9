"""Figure renderers: the ``Analysis`` in, PNG files out (matplotlib, Agg backend).

Every renderer draws data the analysis already reduced (at most ``MAX_LINE_POINTS`` per line,
sampled fliers: ``reports.analysis.figure_series``); none computes a statistic. The layout kit
(canvases, the style legend, log axes, small multiples) is ``reports.rendering.figure_kit``; the
capacity figures are drawn by ``reports.rendering.figures_capacity`` and saved here, like every
other figure, by ``_save``.

Readable for any number of variants: bars are horizontal and sorted, with full labels; figures
grow with the number of variants instead of crowding one axis; series that would be spaghetti
are small multiples (one panel per server: a few lines each, told apart by their stack's colour
and dash); only panels with data are drawn; legends sit to the right of the data. Every figure
uses one style per variant (``reports.rendering.sections.variant_styles``: the framework's hue,
shaded per stack; a hatch and a marker per server); grey and cross-hatched always means failed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from reports.constants import (
    FIGURE_DPI,
    MAX_FLIERS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
)
from reports.rendering import figure_kit as kit
from reports.rendering import figures_capacity
from reports.rendering.figure_kit import (
    BAR_PITCH,
    BAR_PLOT_W,
    FAILED_COLOR,
    FAILED_HATCH,
    LABEL_SIZE,
    TICK_SIZE,
    Margins,
    Styles,
    palette,
)
from reports.rendering.matplotlib_setup import plt
from reports.rendering.sections import NINES, Figure, nines

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from reports.analysis.analyse import Analysis


def _save(fig: MplFigure, path: Path) -> None:
    # Fixed margins (measured where each figure is made) instead of bbox_inches="tight": one
    # draw instead of two, which halves the time of a report with dozens of figures.
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)


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
    shown = kit.present(styles, [v for _, bars in panels for v in bars.variants])
    failed = any(bars.failed.any() for _, bars in panels)
    legend_w, legend_h = kit.legend_size(shown, "bar", failed)
    label_w = kit.text_w([v for _, bars in panels for v in bars.variants]) + 0.15
    cols = max(1, min(columns, len(panels)))
    rows = int(np.ceil(len(panels) / cols))
    row_bars = [max(len(b) for _, b in panels[r * cols:(r + 1) * cols]) for r in range(rows)]
    heights = [max(0.9, BAR_PITCH * n) for n in row_bars]
    m = Margins(left=label_w + 0.25, right=legend_w + 0.35, top=0.6, bottom=0.5)
    extra = legend_h + 0.4 - (sum(heights) + (rows - 1) * 0.75)
    if extra > 0:  # a short figure still fits its legend
        heights[-1] += extra
    fig, axes = kit.canvas(heights, [BAR_PLOT_W] * cols, m, hgap=0.75, wgap=label_w + 0.35,
                        cells={(i // cols, i % cols) for i in range(len(panels))})
    for i, (panel_title, bars) in enumerate(panels):
        ax = axes[i // cols, i % cols]
        _bar_panel(ax, bars, styles, unit, latency, row_bars[i // cols])
        if panel_title:
            kit.title(ax, panel_title)
    kit.suptitle(fig, title, m.left)
    kit.legend(fig, shown, "bar", failed, fig.get_size_inches()[0] - m.right + 0.3)
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


def _p2_line(result: Analysis, load: str, out: Path, styles: Styles) -> Figure | None:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    methods = [(s, m) for s, m in _methods(load) if len(result.per_iteration[s])]
    if not methods:
        return None
    series = {s: result.per_iteration[s] for s, _ in methods}
    variants = [v for v in result.variants if any((f["variant"] == v).any()
                                                  for f in series.values())]
    groups = kit.groups(styles, variants)
    cells = []  # rows: a group of variants; columns: the methods with data for it
    for group in groups:
        row = [(group, method, series[s][series[s]["variant"].isin(group.variants)])
               for s, method in methods]
        cells.append([c for c in row if len(c[2])])
    kind = kit.line_kind(groups)
    shown = kit.present(styles, variants)
    fig, axes, legend_x = kit.lines_grid(cells, 3.6, 1.35, shown, kind, 0.75)
    all_ms = np.concatenate([f["latency_ms"].to_numpy(dtype="float64") for f in series.values()])
    reps = sorted({int(r) for f in series.values() for r in f["reps"]})
    for r, row in enumerate(cells):
        for c, (group, method, frame) in enumerate(row):
            ax = axes[r, c]
            for variant, g in frame.groupby("variant", sort=False):
                kit.plot_line(ax, g["iteration"].to_numpy(), g["latency_ms"].to_numpy(),
                           styles[str(variant)], kind == "line", lw=0.8)
            _row_ylim([ax], all_ms)
            name = kit.group_title(group, groups)
            kit.title(ax, f"{name} — {method}" if name else method)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel("ms", fontsize=8)
            if kit.is_bottom(cells, r, c):
                ax.set_xlabel("iteration" + (f" (median of {'/'.join(map(str, reps))} reps)"
                                             if reps and reps != [1] else ""), fontsize=7)
    kit.legend(fig, shown, kind, False, legend_x)
    fig_no = f"Fig. {numbers[1]}: " if numbers else ""
    kit.suptitle(fig, f"{fig_no}per-iteration execution time, {label}", 0.75)
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
    shown = kit.present(styles, [b.variant for *_, bs, _ in panels for b in bs])
    any_failed = any(f for *_, fs in panels for f in fs)
    legend_w, legend_h = kit.legend_size(shown, "bar", any_failed)
    label_w = kit.text_w(labels) + 0.15
    heights = [max(0.9, BAR_PITCH * 1.15 * len(bs)) for *_, bs, _ in panels]
    extra = legend_h + 0.4 - (sum(heights) + 0.75 * (len(heights) - 1))
    if extra > 0:
        heights[-1] += extra
    m = Margins(left=label_w + 0.25, right=legend_w + 0.35, top=0.6, bottom=0.5)
    fig, axes = kit.canvas(heights, [BAR_PLOT_W], m, hgap=0.75, wgap=0.3)
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
        kit.log_if_wide(ax, "x", whiskers)
        ax.tick_params(axis="x", labelsize=TICK_SIZE)
        kit.title(ax, f"{method} ({scenario})")
        ax.set_xlabel("execution time (ms)", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    fig_no = f"Fig. {numbers[2]}: " if numbers else ""
    kit.suptitle(fig, f"{fig_no}distribution, {label}", m.left)
    kit.legend(fig, shown, "bar", any_failed, fig.get_size_inches()[0] - m.right + 0.3)
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
        kit.log_if_wide(ax, "y", values)
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
    groups = kit.groups(styles, variants)
    cells = []  # rows: scenario; one panel per group of variants with data, left-aligned
    for scenario in scenarios:
        sub = curves[curves["scenario"] == scenario]
        row = [(g, sub[sub["variant"].isin(g.variants)]) for g in groups]
        cells.append([c for c in row if len(c[1])])
    shown = kit.present(styles, variants)
    ylabel_w = kit.text_w(scenarios, 7.5) + 0.5
    fig, axes, legend_x = kit.lines_grid(cells, 2.3, 1.55, shown, "line", ylabel_w)
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
            kit.title(ax, kit.group_title(group, groups) or scenario, 7.5)
            ax.grid(alpha=0.3)
            if c == 0:
                ax.set_ylabel(f"{scenario}\nlatency (ms)", fontsize=7.5)
            if kit.is_bottom(cells, r, c):
                ax.set_xlabel("percentile", fontsize=7)
        row_values = np.concatenate([f["latency_ms"].to_numpy(dtype="float64") for _, f in row])
        _row_ylim([axes[r, c] for c in range(len(row))], row_values)
    kit.legend(fig, shown, "line", False, legend_x)
    kit.suptitle(fig, "Latency percentile spectrum (one row per scenario)", ylabel_w)
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
    shown = kit.present(styles, list(summary["variant"]))
    any_failed = bool((summary["status"] == "failed").any())
    legend_w, legend_h = kit.legend_size(shown, "point", any_failed)
    cols = min(3, len(scenarios))
    rows = int(np.ceil(len(scenarios) / cols))
    panel_h = max(2.6, (legend_h - 0.7 * (rows - 1)) / rows)
    m = Margins(left=0.75, right=legend_w + 0.35, top=0.65, bottom=0.55)
    fig, axes = kit.canvas([panel_h] * rows, [3.3] * cols, m, hgap=0.7, wgap=0.7,
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
        kit.log_if_wide(ax, "x", sub["rps_median"].to_numpy())
        kit.log_if_wide(ax, "y", np.r_[sub["p50_ms"].to_numpy(), sub["p99_ms"].to_numpy()])
        if ax.get_xscale() == "linear":
            ax.xaxis.set_major_locator(MaxNLocator(5))
        kit.title(ax, scenario, 8.5)
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel("latency (ms): marker p50, line to p99", fontsize=7)
        if i + cols >= len(scenarios):
            ax.set_xlabel("goodput req/s (median)", fontsize=7.5)
    kit.legend(fig, shown, "point", any_failed, fig.get_size_inches()[0] - m.right + 0.3)
    kit.suptitle(fig, "Throughput versus latency (down and to the right is better)", m.left)
    name = "throughput_latency.png"
    _save(fig, out / name)
    return Figure(name, "Throughput versus latency", "throughput_latency", tuple(scenarios),
                  "Each variant: median goodput (successful req/s) against latency, its marker "
                  "at p50 and its line up to p99 (—), one panel per scenario; colour: stack, "
                  "marker: server; failed cells grey and labelled. Down and to the right is "
                  "better.")


TIMELINE_ROWS = (("throughput_rps", "completed req/s"), ("server_cpu_pct", "server CPU %"),
                 ("server_rss_mb", "server RSS (MiB)"), ("client_cpu_pct", "client CPU %"),
                 ("db_cpu_pct", "database CPU %"), ("db_rss_mb", "database RSS (MiB)"))


def resource_figure(result: Analysis, scenario: str, out: Path, styles: Styles) -> Figure | None:
    data = result.timelines[scenario]
    if data.empty:
        return None
    metrics = [(m, label) for m, label in TIMELINE_ROWS if (data["metric"] == m).any()]
    variants = [v for v in result.variants if (data["variant"] == v).any()]
    groups = kit.groups(styles, variants)
    cells = []  # rows: a group of variants; columns: the measures with data for it
    for group in groups:
        mine = data[data["variant"].isin(group.variants)]
        cells.append([(group, metric, label, mine[mine["metric"] == metric])
                      for metric, label in metrics if (mine["metric"] == metric).any()])
    kind = kit.line_kind(groups)
    shown = kit.present(styles, variants)
    fig, axes, legend_x = kit.lines_grid(cells, 2.5, 1.2, shown, kind, 0.6)
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
                kit.plot_line(ax, g["t_s"].to_numpy(), g["value"].to_numpy(), st, kind == "line")
                if metric == "throughput_rps":
                    err = errors[errors["variant"] == variant]
                    if len(err):
                        ax.scatter(err["t_s"], err["value"], marker="x", s=12, color=st.color,
                                   linewidths=0.8)
            ax.set_xlim(0, t_max * 1.02 or 1)
            ax.set_ylim(0, tops[metric] or 1.0)
            name = kit.group_title(group, groups)
            kit.title(ax, f"{name}: {label}" if name else label, 7.5)
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.tick_params(labelsize=6.5)
            ax.grid(alpha=0.3)
            if kit.is_bottom(cells, r, c):
                ax.set_xlabel("s since the first repetition started", fontsize=7)
    kit.legend(fig, shown, kind, False, legend_x)
    kit.suptitle(fig, f"Throughput and resources over time — {scenario}", 0.6)
    name = f"resources_{scenario}.png"
    _save(fig, out / name)
    database = " and the database's process tree on its own host" \
        if (data["metric"] == "db_cpu_pct").any() else ""
    return Figure(name, f"Resources over time — {scenario}", "resources", (scenario,),
                  "One row per server (or a few servers with different stacks), one column per "
                  "measure (one y scale down a column); server process tree (all processes "
                  f"summed), client process{database}, sampled by the monitors; ✕ = failed "
                  "requests per second.")


# (column, figure file, what the CPU-seconds are of): the server's; with a database on its own
# host (PostgreSQL runs) also server and database together.
EFFICIENCY_FIGURES = (("requests_per_cpu_s", "efficiency.png", "server"),
                      ("requests_per_total_cpu_s", "efficiency_total.png",
                       "server + database"))


def efficiency_figure(result: Analysis, out: Path, styles: Styles,
                      which: int = 0) -> Figure | None:
    column, name, whose = EFFICIENCY_FIGURES[which]
    if column not in result.efficiency:
        return None
    data = result.efficiency.dropna(subset=[column])
    if data.empty:
        return None
    status = result.summary.set_index(["variant", "scenario"])["status"]
    scenarios = [s for s in result.scenarios if (data["scenario"] == s).any()]
    panels = []
    for scenario in scenarios:
        part = data[data["scenario"] == scenario]
        part = part.assign(status=[status.get((v, scenario), "") for v in part["variant"]])
        panels.append((scenario, Bars.of(part, column, higher_is_better=True)))
    fig = _bar_figure(panels, styles, f"successful requests per {whose} CPU-second", False,
                      f"Requests per {whose} CPU-second (higher is better)",
                      columns=2 if len(panels) > 1 else 1)
    _save(fig, out / name)
    needs = "the server monitor" if which == 0 else \
        "both monitors (monitor-server.csv, monitor-db.csv)"
    return Figure(name, f"Requests per {whose} CPU-second", "efficiency", tuple(scenarios),
                  f"Median over repetitions, one panel per scenario, best on top; needs {needs}.")


def capacity_figure(result: Analysis, scenario: str, out: Path, styles: Styles) -> Figure | None:
    """The capacity figure of one capacity scenario (``reports.rendering.figures_capacity``),
    saved."""
    drawn = figures_capacity.figure(result, scenario, styles)
    if drawn is None:
        return None
    fig, record = drawn
    _save(fig, out / record.filename)
    return record


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
        *[(lambda i=i: efficiency_figure(result, out, styles, i))
          for i in range(len(EFFICIENCY_FIGURES))],
        *[(lambda s=s: capacity_figure(result, s, out, styles))
          for s in result.capacity.scenarios],
    ]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    return [f for f in _render_forked(tasks, workers) if f is not None]

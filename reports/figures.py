"""Figure renderers: the ``Analysis`` in, PNG files out (matplotlib, Agg backend).

Every renderer draws data the analysis already reduced (at most ``MAX_LINE_POINTS`` per line,
sampled fliers: ``reports.series``); none computes a statistic.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from reports.constants import (
    FIGURE_DPI,
    MAX_FLIERS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
)
from reports.sections import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from reports.analysis import Analysis


def palette(variants: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One colour per variant, the same in every figure."""
    cmap = plt.get_cmap("tab10" if len(variants) <= 10 else "tab20")
    return {v: cmap(i % cmap.N) for i, v in enumerate(variants)}


def _save(fig: MplFigure, path: Path) -> None:
    # Fixed margins (set where each figure is made) instead of bbox_inches="tight": one draw
    # instead of two, which halves the time of a report with dozens of figures.
    fig.savefig(path, dpi=FIGURE_DPI)
    plt.close(fig)


def _short(variant: str) -> str:
    return variant.replace("-", "\n", 1)


FAILED_COLOR = (0.8, 0.8, 0.8, 1.0)
FAILED_HATCH = "xx"


def _bars(ax: Axes, labels: Sequence[str], values: np.ndarray, low: np.ndarray,
          high: np.ndarray, colors: Sequence[tuple[float, ...]], unit: str,
          failed: np.ndarray | None = None) -> None:
    """Bars with CI error bars; a failed cell is a grey cross-hatched bar labelled "failed"."""
    x = np.arange(len(labels))
    failed = np.zeros(len(labels), bool) if failed is None else np.asarray(failed, bool)
    err = np.vstack([values - low, high - values])
    err = np.where(np.isfinite(err) & ~failed, err, 0)
    bars = ax.bar(x, np.nan_to_num(values), yerr=err, capsize=4,
                  color=[FAILED_COLOR if f else c for c, f in zip(colors, failed, strict=True)],
                  edgecolor="black", linewidth=0.5)
    for bar, is_failed in zip(bars, failed, strict=True):
        if is_failed:
            bar.set_hatch(FAILED_HATCH)
    for xi, v, is_failed in zip(x, values, failed, strict=True):
        if is_failed or np.isfinite(v):
            ax.annotate("failed" if is_failed else f"{v:,.1f}",
                        (xi, v if np.isfinite(v) else 0), textcoords="offset points",
                        xytext=(0, 3), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [_short(v) for v in labels], fontsize=7)
    ax.set_ylabel(unit)
    ax.grid(axis="y", alpha=0.3)


# -- paper 1 --------------------------------------------------------------------------------------

def _paper1_figure(result: Analysis, index: int, out: Path, colors: dict) -> Figure | None:
    number, scenario, metric, title = PAPER1_FIGURES[index]
    part = result.paper1[result.paper1["scenario"] == scenario]
    if part.empty:
        return None
    unit = "requests per second" if metric == "rps" else "mean response time (ms)"
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    fig.subplots_adjust(left=0.12, right=0.98, top=0.9, bottom=0.2)
    _bars(ax, list(part["variant"]), part["value"].to_numpy(), part["ci95_low"].to_numpy(),
          part["ci95_high"].to_numpy(), [colors[v] for v in part["variant"]], unit,
          (part["status"] == "failed").to_numpy())
    ax.set_title(f"Fig. {number}: {title}", fontsize=10)
    name = f"p1_fig{number}_{scenario}.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 1, Fig. {number}: {title}", "paper1", (scenario,),
                  "Mean over the repetitions that did not fail; error bars: Student's t 95% CI "
                  "over repetitions (none with one repetition); grey cross-hatched: failed.")


# -- paper 2 --------------------------------------------------------------------------------------

def _p2_bar(result: Analysis, load: str, out: Path, colors: dict) -> Figure:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    table = result.paper2[load]
    variants = [v for v in result.variants if v in set(table["variant"])]
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.2)
    x = np.arange(len(variants))
    width = 0.38
    for offset, method, hatch in ((-width / 2, "GET", ""), (width / 2, "POST", "//")):
        sub = table[table["method"] == method].set_index("variant")
        vals = sub["average_ms"].reindex(variants).to_numpy(dtype="float64")
        failed = (sub["status"].reindex(variants) == "failed").to_numpy()
        bars = ax.bar(x + offset, np.nan_to_num(vals), width,
                      color=[FAILED_COLOR if f else colors[v]
                             for v, f in zip(variants, failed, strict=True)],
                      hatch=hatch, edgecolor="black", linewidth=0.5, label=method)
        for bar, is_failed in zip(bars, failed, strict=True):
            if is_failed:
                bar.set_hatch(hatch + FAILED_HATCH)
                ax.annotate("failed", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            textcoords="offset points", xytext=(0, 3), ha="center",
                            va="bottom", fontsize=7)
    ax.set_xticks(x, [_short(v) for v in variants], fontsize=7)
    ax.set_ylabel("average execution time (ms)")
    ax.legend(title="plain: GET, hatched: POST", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig_no = f"Fig. {numbers[0]}: " if numbers else ""
    ax.set_title(f"{fig_no}average execution time, {label}", fontsize=10)
    name = f"p2_{load}_bar.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}averages — {label}", "paper2", (get_s, post_s),
                  "Mean of the latency samples pooled over repetitions (timeouts at their "
                  "timeout); other failures excluded and counted in the table; grey "
                  "cross-hatched: failed.")


def _p2_line(result: Analysis, load: str, out: Path, colors: dict) -> Figure:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.72, bottom=0.12, wspace=0.05)
    for ax, scenario, method in ((axes[0], get_s, "GET"), (axes[1], post_s, "POST")):
        series = result.per_iteration[scenario]
        for variant, g in series.groupby("variant", sort=False):
            ax.plot(g["iteration"], g["latency_ms"], lw=0.8, color=colors[variant],
                    label=variant)
        ax.set_title(method, fontsize=9)
        reps = sorted(set(series["reps"]))
        ax.set_xlabel("iteration" + (f" (median of {'/'.join(map(str, reps))} repetitions)"
                                     if reps and reps != [1] else ""))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("execution time (ms)")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, fontsize=7, loc="upper center", ncol=3,
                   bbox_to_anchor=(0.5, 0.92))
    fig_no = f"Fig. {numbers[1]}: " if numbers else ""
    fig.suptitle(f"{fig_no}per-iteration execution time, {label}", fontsize=10, y=0.99)
    name = f"p2_{load}_line.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}per-iteration times — {label}", "paper2",
                  (get_s, post_s), "Each iteration is the median over the repetitions of the "
                  "request with that number; long series are shown as bin means of at most a "
                  "few thousand points.")


def _p2_box(result: Analysis, load: str, out: Path, colors: dict) -> Figure:
    label, get_s, post_s, numbers = PAPER2_LOADS[load]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.88, bottom=0.2, wspace=0.05)
    for ax, scenario, method in ((axes[0], get_s, "GET"), (axes[1], post_s, "POST")):
        boxes = [{**box.stats, "label": f"{_short(box.variant)}\n({box.outliers} outliers)"}
                 for box in result.boxes[scenario]]
        facecolors = [colors[box.variant] for box in result.boxes[scenario]]
        if boxes:
            parts = ax.bxp(boxes, patch_artist=True, showmeans=True,
                           flierprops={"markersize": 2, "alpha": 0.5})
            for patch, c in zip(parts["boxes"], facecolors, strict=True):
                patch.set_facecolor(c)
                patch.set_alpha(0.6)
        ax.tick_params(axis="x", labelsize=6)
        ax.set_title(method, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("execution time (ms)")
    fig_no = f"Fig. {numbers[2]}: " if numbers else ""
    fig.suptitle(f"{fig_no}distribution, {label}", fontsize=10)
    name = f"p2_{load}_box.png"
    _save(fig, out / name)
    return Figure(name, f"Paper 2, {fig_no}box plots — {label}", "paper2", (get_s, post_s),
                  f"Whiskers at 1.5×IQR; at most {MAX_FLIERS} outliers drawn per box (all "
                  "counted); triangle = mean.")


# -- beyond the papers ----------------------------------------------------------------------------

NINES = (0, 50, 90, 99, 99.9, 99.99)


def _nines(p: np.ndarray) -> np.ndarray:
    return -np.log10(1 - np.minimum(np.asarray(p, dtype="float64"), 99.99) / 100)


def _grid(n: int, cols: int, panel_w: float, panel_h: float,
          legend_rows: int) -> tuple[MplFigure, np.ndarray]:
    """A figure of ``n`` small panels with fixed margins and room for a legend below."""
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    height = panel_h * rows + 0.25 * legend_rows + 0.4
    fig, axes = plt.subplots(rows, cols, figsize=(panel_w * cols + 0.6, height), squeeze=False)
    fig.subplots_adjust(left=0.06 if cols > 2 else 0.12, right=0.98, wspace=0.35, hspace=0.55,
                        top=1 - 0.35 / height, bottom=(0.25 * legend_rows + 0.5) / height)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig, axes


def _variant_legend(fig: MplFigure, variants: Sequence[str], colors: dict) -> None:
    handles = [plt.Line2D([], [], marker="o", ls="", color=colors[v], label=v) for v in variants]
    fig.legend(handles=handles, fontsize=7, loc="lower center", ncol=3, frameon=False)


def latency_figure(result: Analysis, out: Path, colors: dict) -> Figure | None:
    curves = result.curves[result.curves["percentile"] < 100]
    scenarios = [s for s in result.scenarios if (curves["scenario"] == s).any()]
    if not scenarios:
        return None
    fig, axes = _grid(len(scenarios), 4, 3.4, 2.6, int(np.ceil(len(result.variants) / 3)))
    ticks = _nines(np.array(NINES))
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        sub = curves[curves["scenario"] == scenario]
        for variant, g in sub.groupby("variant", sort=False):
            ax.plot(_nines(g["percentile"]), g["latency_ms"], marker="o", ms=2.5, lw=1,
                    color=colors[variant])
        ax.set_xticks(ticks, [f"{p:g}" for p in NINES], fontsize=6)
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(scenario, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("latency (ms)", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("percentile", fontsize=8)
    _variant_legend(fig, result.variants, colors)
    name = "latency_percentiles.png"
    _save(fig, out / name)
    return Figure(name, "Latency percentile spectrum", "latency", tuple(scenarios),
                  "All successful requests pooled over repetitions; the x axis is spaced by "
                  "'nines' (50, 90, 99, 99.9, 99.99) so the tail is visible.")


def _log_if_wide(ax: Axes, axis: str, values: np.ndarray, ratio: float = 20.0) -> None:
    """A log axis when the values span more than ``ratio`` (dev servers next to gunicorn would
    squash every other point against zero); else a linear one from zero."""
    values = values[np.isfinite(values) & (values > 0)]
    wide = values.size > 0 and values.max() / values.min() > ratio
    if axis == "x" and wide:
        ax.set_xscale("log")
    elif axis == "x":
        ax.set_xlim(left=0)
    elif wide:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)


def throughput_latency_figure(result: Analysis, out: Path, colors: dict) -> Figure | None:
    summary = result.summary.dropna(subset=["rps_median", "p50_ms"])
    scenarios = [s for s in result.scenarios if (summary["scenario"] == s).any()]
    if not scenarios:
        return None
    fig, axes = _grid(len(scenarios), 4, 3.4, 2.6, int(np.ceil(len(result.variants) / 3)))
    for ax, scenario in zip(axes.flat, scenarios, strict=False):
        sub = summary[summary["scenario"] == scenario]
        failed = (sub["status"] == "failed").to_numpy()
        c = [FAILED_COLOR if f else colors[v]
             for v, f in zip(sub["variant"], failed, strict=True)]
        ax.vlines(sub["rps_median"], sub["p50_ms"], sub["p99_ms"], colors=c, lw=1)
        ax.scatter(sub["rps_median"], sub["p50_ms"], c=c, marker="o", s=18)
        ax.scatter(sub["rps_median"], sub["p99_ms"], c=c, marker="^", s=22)
        for x, y in zip(sub["rps_median"][failed], sub["p99_ms"][failed], strict=True):
            ax.annotate("failed", (x, y), textcoords="offset points", xytext=(3, 3),
                        fontsize=6, color="dimgray")
        _log_if_wide(ax, "x", sub["rps_median"].to_numpy())
        _log_if_wide(ax, "y", np.r_[sub["p50_ms"].to_numpy(), sub["p99_ms"].to_numpy()])
        ax.set_title(scenario, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("ms: ● p50  ▲ p99", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("goodput req/s (median)", fontsize=8)
    _variant_legend(fig, result.variants, colors)
    name = "throughput_latency.png"
    _save(fig, out / name)
    return Figure(name, "Throughput versus latency", "throughput_latency", tuple(scenarios),
                  "Each variant: median goodput (successful req/s) against p50 (●) and p99 (▲) "
                  "latency, one panel per scenario; failed cells grey and labelled. Down and to "
                  "the right is better.")


TIMELINE_ROWS = (("throughput_rps", "completed req/s"), ("server_cpu_pct", "server CPU %"),
                 ("server_rss_mb", "server RSS (MiB)"), ("client_cpu_pct", "client CPU %"))


def resource_figure(result: Analysis, scenario: str, out: Path, colors: dict) -> Figure | None:
    data = result.timelines[scenario]
    if data.empty:
        return None
    rows = [(m, label) for m, label in TIMELINE_ROWS if (data["metric"] == m).any()]
    height = 1.6 * len(rows) + 0.9
    fig, axes = plt.subplots(len(rows), 1, figsize=(7.5, height), sharex=True, squeeze=False)
    fig.subplots_adjust(left=0.1, right=0.98, top=1 - 0.35 / height, bottom=0.5 / height,
                        hspace=0.12)
    for ax, (metric, label) in zip(axes[:, 0], rows, strict=True):
        for variant, g in data[data["metric"] == metric].groupby("variant", sort=False):
            ax.plot(g["t_s"], g["value"], lw=0.9, color=colors[variant], label=variant)
        if metric == "throughput_rps":
            errs = data[(data["metric"] == "errors_per_s") & (data["value"] > 0)]
            for variant, g in errs.groupby("variant", sort=False):
                ax.scatter(g["t_s"], g["value"], marker="x", s=12, color=colors[variant])
        ax.set_ylabel(label, fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("seconds since the repetition started (first repetition)")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[0, 0].set_title(f"Throughput and resources over time — {scenario}", fontsize=10)
    name = f"resources_{scenario}.png"
    _save(fig, out / name)
    return Figure(name, f"Resources over time — {scenario}", "resources", (scenario,),
                  "Server process tree (all processes summed) and client process, sampled by "
                  "the monitors; ✕ = failed requests per second.")


def efficiency_figure(result: Analysis, out: Path, colors: dict) -> Figure | None:
    data = result.efficiency.dropna(subset=["requests_per_cpu_s"])
    if data.empty:
        return None
    scenarios = [s for s in result.scenarios if (data["scenario"] == s).any()]
    variants = [v for v in result.variants if (data["variant"] == v).any()]
    fig_h = 0.22 * len(scenarios) * max(1, len(variants)) + 1.2
    fig, ax = plt.subplots(figsize=(7.5, fig_h))
    fig.subplots_adjust(left=0.22, right=0.98, top=1 - 0.2 / fig_h, bottom=0.6 / fig_h)
    height = 0.8 / max(1, len(variants))
    y = np.arange(len(scenarios))
    for i, variant in enumerate(variants):
        vals = data[data["variant"] == variant].set_index("scenario")["requests_per_cpu_s"] \
            .reindex(scenarios).to_numpy(dtype="float64")
        ax.barh(y + i * height, np.nan_to_num(vals), height, color=colors[variant],
                label=variant)
    ax.set_yticks(y + height * (len(variants) - 1) / 2, scenarios, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("successful requests per server CPU-second (higher is better)")
    ax.legend(fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    name = "efficiency.png"
    _save(fig, out / name)
    return Figure(name, "Requests per server CPU-second", "efficiency", tuple(scenarios),
                  "Median over repetitions; needs the server monitor.")


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
    colors = palette(result.variants)
    tasks: list[Callable[[], Figure | None]] = [
        *[(lambda n=n: _paper1_figure(result, n, out, colors)) for n in range(len(PAPER1_FIGURES))],
        *[(lambda load=load, r=r: r(result, load, out, colors))
          for load in result.paper2 for r in (_p2_bar, _p2_line, _p2_box)],
        lambda: throughput_latency_figure(result, out, colors),
        lambda: latency_figure(result, out, colors),
        *[(lambda s=s: resource_figure(result, s, out, colors)) for s in result.scenarios],
        lambda: efficiency_figure(result, out, colors),
    ]
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    return [f for f in _render_forked(tasks, workers) if f is not None]

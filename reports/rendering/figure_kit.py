"""The layout kit of the static figures (matplotlib, Agg backend): sizes, canvases that grow
with their content, titles, the style legend (one colour per framework, shaded per stack; one
hatch and marker per server: ``reports.rendering.sections.variant_styles``), log axes for wide
ranges and the small multiples of line figures (a few variants per panel).
``reports.rendering.figures`` and ``reports.rendering.figures_capacity`` draw with it; nothing here
reads an ``Analysis``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from reports import constants
from reports.rendering.matplotlib_setup import plt
from reports.rendering.sections import VariantStyle, is_wide, variant_styles

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

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


TEXT = TextToPath()


@functools.lru_cache(maxsize=4096)
def text_pt(text: str, size: float) -> float:
    return float(TEXT.get_text_width_height_descent(text, FontProperties(size=size),
                                                     ismath=False)[0])


def text_w(texts: Sequence[str], size: float = LABEL_SIZE) -> float:
    """The width (inches) of the widest of ``texts`` at font ``size``."""
    return max((text_pt(t, size) for t in texts if t), default=0.0) / 72


# -- layout ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Margins:
    left: float
    right: float
    top: float
    bottom: float


def canvas(heights: Sequence[float], widths: Sequence[float], m: Margins, *, hgap: float,
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


def title(ax: Axes, text: str, size: float = 8.0) -> None:
    # A fixed title position: matplotlib's automatic one measures every tick label once more.
    ax.set_title(text, fontsize=size, y=1.0, pad=3)


def suptitle(fig: MplFigure, text: str, left_in: float) -> None:
    fig_w, fig_h = fig.get_size_inches()
    fig.suptitle(text, fontsize=TITLE_SIZE + 1, x=left_in / fig_w, ha="left",
                 y=1 - 0.1 / fig_h, va="top")


def legend_handles(styles: Sequence[VariantStyle], kind: str, failed: bool,
                   extra: Sequence[Artist] = ()) -> tuple[list[Artist], str]:
    """Handles for the style legend: one per stack (colour; for lines also its dash), then one
    per server (hatch for bars, marker for points and for lines whose panels mix servers;
    "line-only": lines of one server per panel, no server entries), then ``extra`` (what a
    figure's own line styles and markers mean)."""
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
    handles.extend(extra)
    title = {"bar": "colour: stack · hatch: server", "point": "colour: stack · marker: server",
             "line": "colour, dash: stack · marker: server",
             "line-only": "colour and dash: stack"}[kind]
    return handles, title


def legend_size(styles: Sequence[VariantStyle], kind: str, failed: bool,
                extra: Sequence[Artist] = ()) -> tuple[float, float]:
    """(width, height) in inches of the legend ``legend`` draws."""
    handles, title = legend_handles(styles, kind, failed, extra)
    width = max(text_w([h.get_label() for h in handles], LEGEND_SIZE) + 0.55,
                text_w([title], LEGEND_SIZE) + 0.3)
    return width, 0.3 + 0.165 * len(handles)


def legend(fig: MplFigure, styles: Sequence[VariantStyle], kind: str, failed: bool,
           x_in: float, extra: Sequence[Artist] = ()) -> None:
    """The style legend, top-aligned at ``x_in`` inches from the left: right of every panel."""
    handles, title = legend_handles(styles, kind, failed, extra)
    fig_w, fig_h = fig.get_size_inches()
    fig.legend(handles=handles, title=title, loc="upper left", fontsize=LEGEND_SIZE,
               title_fontsize=LEGEND_SIZE, frameon=False, borderaxespad=0, handlelength=2.2,
               bbox_to_anchor=(x_in / fig_w, 1 - 0.3 / fig_h))


def present(styles: Styles, variants: Sequence[str]) -> list[VariantStyle]:
    """The styles of ``variants``, in the report's order (the legend's)."""
    wanted = set(variants)
    return [style for v, style in styles.items() if v in wanted]


def log_if_wide(ax: Axes, axis: str, values: np.ndarray, always: bool = False) -> None:
    """A log axis when the values span more than ``sections.WIDE_RATIO`` (dev servers next to
    gunicorn would squash every other point against zero) or ``always``; else a linear one from
    zero."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values) & (values > 0)]
    wide = is_wide(values) or (always and values.size > 0)
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
    target.set_major_formatter(FuncFormatter(plain_number))
    target.set_minor_formatter(NullFormatter())


def plain_number(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"




MAX_PANEL_LINES = 6


@dataclass(frozen=True)
class Group:
    """The variants one panel of a line figure shows: one server's, or a few servers' when their
    stacks differ (so colour and dash still tell every line apart; markers tell the server)."""
    servers: tuple[str, ...]
    variants: tuple[str, ...]


def groups(styles: Styles, variants: Sequence[str],
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


def group_title(group: Group, groups: Sequence[Group]) -> str:
    return "" if len(groups) == 1 and len(group.servers) > 1 else ", ".join(group.servers)


def line_kind(groups: Sequence[Group]) -> str:
    return "line" if any(len(g.servers) > 1 for g in groups) else "line-only"


def plot_line(ax: Axes, x: np.ndarray, y: np.ndarray, style: VariantStyle, markers: bool,
              lw: float = 0.9) -> None:
    """One variant's line: its stack's colour and dash; its server's marker (about 8 per line)
    when the panel mixes servers."""
    every = max(1, len(x) // 8)
    short = len(x) < 3  # one or two points: a line alone would hardly show
    ax.plot(x, y, lw=lw, color=style.color, ls=style.dash,
            marker=style.marker if markers or short else None, markevery=every, ms=3.5,
            mec="black", mew=0.3)


def lines_grid(cells: Sequence[Sequence[object]], panel_w: float, panel_h: float,
               styles: Sequence[VariantStyle], kind: str, left: float,
               extra: Sequence[Artist] = ()) -> tuple[MplFigure, np.ndarray, float]:
    """A grid of line panels, one row per entry of ``cells`` (left-aligned, as many as it has),
    the style legend (with ``extra`` entries) on the right. Returns the figure, its axes and the
    legend's x (inches)."""
    cols = max(len(row) for row in cells)
    legend_w, legend_h = legend_size(styles, kind, False, extra)
    heights = [panel_h] * len(cells)
    extra = legend_h - (sum(heights) + 0.62 * (len(heights) - 1))
    m = Margins(left=left, right=legend_w + 0.35, top=0.62, bottom=0.5 + max(0.0, extra))
    fig, axes = canvas(heights, [panel_w] * cols, m, hgap=0.62, wgap=0.55,
                        cells={(r, c) for r, row in enumerate(cells) for c in range(len(row))})
    return fig, axes, fig.get_size_inches()[0] - m.right + 0.3


def is_bottom(cells: Sequence[Sequence[object]], r: int, c: int) -> bool:
    """Whether no panel is drawn below (r, c): it carries the x label."""
    return r == len(cells) - 1 or c >= len(cells[r + 1])



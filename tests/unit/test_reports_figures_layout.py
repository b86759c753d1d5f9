"""The static figures stay readable with many variants: every figure ``write_all`` saves is
checked, as drawn, for overlapping tick labels, labels cut off at the figure's edge, legends drawn
over data, and empty panels.

The run has 45 variants (5 stacks x 9 servers: every server of the matrix but Django's dev server,
the lab's long names) and one variant, on the tenth server, that failed everywhere, over paper-1
scenarios (throughput and mean time), a paper-2 load with POST only (no GET panel may be drawn)
and one with both methods."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.collections import Collection
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from reports.analysis.analyse import Analysis, analyse
from reports.loading.run_folder import load_run
from reports.rendering import figures
from reports.synthetic.runs import make_run, write_cell, write_run_json

STACKS = ("fastapi_sqlmodel", "fastapi_sqlite3", "flask_sqlalchemy", "flask_sqlite3",
          "django_drf")
SERVERS = ("gunicorn_uvicorn", "uvicorn", "gunicorn_gthread", "gunicorn_gevent", "daphne",
           "flask_dev", "granian_wsgi", "granian_asgi", "hypercorn")
FAILED = "django_drf-django_dev"
SCENARIOS = ("p1_hello", "p1_get", "p2_post_constant", "p2_get_rate200", "p2_post_rate200")
REPS = 2
TOLERANCE_PX = 0.5  # anti-aliasing: boxes that merely touch do not overlap


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    root = tmp_path_factory.mktemp("layout") / "run-many"
    variants = {f"{stack}-{server}": 2.0 + 0.7 * i
                for i, (stack, server) in enumerate(itertools.product(STACKS, SERVERS))}
    make_run(root, variants=variants, scenarios=SCENARIOS, reps=REPS, requests_per_rep=40)
    rng = np.random.default_rng(7)
    for scenario in SCENARIOS:  # every request of every repetition fails: a failed row
        for rep in range(1, REPS + 1):
            write_cell(root / "cells" / FAILED / scenario / f"rep-{rep}", variant=FAILED,
                       scenario=scenario, rep=rep, latency_ms=rng.uniform(900, 1000, 40),
                       failed=np.ones(40, bool), error_class="http_5xx", seed=rep)
    meta = write_run_json(root, [*variants, FAILED])
    assert meta["variants"][FAILED]["server"] == "django_dev"
    result = analyse(load_run(root))
    assert len(result.variants) == 46
    assert (result.summary.loc[result.summary["variant"] == FAILED, "status"] == "failed").all()
    return result


def _shrunk(box: Bbox) -> Bbox:
    return Bbox.from_extents(box.x0 + TOLERANCE_PX, box.y0 + TOLERANCE_PX,
                             box.x1 - TOLERANCE_PX, box.y1 - TOLERANCE_PX)


def _axis_labels(axis: Axis) -> list[Text]:
    """The tick labels ``axis`` draws: visible, not blank, at a tick inside the view limits."""
    low, high = sorted(axis.get_view_interval())
    slack = (high - low) * 1e-9
    return [label for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]
            if tick.get_loc() is not None and low - slack <= tick.get_loc() <= high + slack
            for label in (tick.label1, tick.label2)
            if label.get_visible() and label.get_text().strip()]


def _inside(box: Bbox, canvas: Bbox) -> bool:
    return (canvas.x0 - 1 <= box.x0 and box.x1 <= canvas.x1 + 1
            and canvas.y0 - 1 <= box.y0 and box.y1 <= canvas.y1 + 1)


def _tick_labels(ax: Axes) -> list[Text]:
    return [*_axis_labels(ax.xaxis), *_axis_labels(ax.yaxis)]


def _draws(artist: Artist) -> bool:
    """Whether ``artist`` puts data on the panel: a line of two points or a marker, a bar of
    some size, a non-empty collection, an image."""
    if isinstance(artist, Line2D):
        xy = np.asarray(artist.get_xydata(), dtype="float64").reshape(-1, 2)
        points = int(np.isfinite(xy).all(axis=1).sum())
        return points >= 2 or (points >= 1 and artist.get_marker() not in (None, "None", "", " "))
    if isinstance(artist, Rectangle):
        return artist.get_width() != 0 and artist.get_height() != 0
    if isinstance(artist, Collection):
        return len(artist.get_offsets()) > 0 or len(artist.get_paths()) > 0
    return True


def _has_data(ax: Axes) -> bool:
    return any(_draws(a) for group in (ax.lines, ax.patches, ax.collections, ax.images)
               for a in group if a.get_visible())


def layout_problems(fig: MplFigure, name: str) -> list[str]:
    """Everything unreadable in ``fig`` as drawn (one line per problem)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    canvas = Bbox.from_bounds(0, 0, *fig.canvas.get_width_height())
    axes = [ax for ax in fig.axes if ax.get_visible()]
    problems = []
    for i, ax in enumerate(axes):
        where = f"{name}, panel {i} ({ax.get_title() or ax.get_ylabel() or '?'})"
        if not _has_data(ax):
            problems.append(f"{where}: empty panel (no data drawn)")
        for axis in (ax.xaxis, ax.yaxis):
            shown = _axis_labels(axis)
            boxes = [_shrunk(t.get_window_extent(renderer)) for t in shown]
            for (a, box_a), (b, box_b) in itertools.combinations(zip(shown, boxes, strict=True),
                                                                  2):
                if box_a.overlaps(box_b):
                    problems.append(f"{where}: tick labels overlap: {a.get_text()!r} and "
                                    f"{b.get_text()!r}")
        for label in _tick_labels(ax):
            box = label.get_window_extent(renderer)
            if not _inside(box, canvas):
                problems.append(f"{where}: tick label {label.get_text()!r} cut off at the edge")
            for other in axes:
                if other is not ax and _shrunk(other.get_window_extent(renderer)).overlaps(
                        _shrunk(box)):
                    problems.append(f"{where}: tick label {label.get_text()!r} drawn over "
                                    "another panel")
                    break
    suptitle = fig.get_suptitle()
    texts = [t for t in fig.findobj(Text) if suptitle and t.get_text() == suptitle]
    for ax in axes:
        texts += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
    legends = [*fig.legends, *(ax.get_legend() for ax in axes if ax.get_legend())]
    texts += [t for legend in legends for t in (legend.get_title(), *legend.get_texts())]
    for text in texts:
        if text.get_visible() and text.get_text().strip() and not _inside(
                text.get_window_extent(renderer), canvas):
            problems.append(f"{name}: text {text.get_text()!r} cut off at the edge")
    for legend in legends:
        box = _shrunk(legend.get_window_extent(renderer))
        for i, ax in enumerate(axes):
            if box.overlaps(_shrunk(ax.get_window_extent(renderer))):
                problems.append(f"{name}: legend drawn over the data of panel {i} "
                                f"({ax.get_title()})")
    return problems


@pytest.fixture(scope="module")
def checked(many: Analysis, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list]:
    """Every figure write_all saves, checked at the moment it is saved."""
    problems: dict[str, list[str]] = {}
    sizes: list[tuple[str, float]] = []
    original = figures._save
    out = tmp_path_factory.mktemp("layout-figures")

    def checking_save(fig: MplFigure, path: Path) -> None:
        problems[path.name] = layout_problems(fig, path.name)
        sizes.append((path.name, fig.get_size_inches()[1]))
        original(fig, path)

    mp = pytest.MonkeyPatch()
    mp.setattr(figures, "_save", checking_save)
    try:
        written = figures.write_all(many, out, workers=1)
    finally:
        mp.undo()
    assert {f.filename for f in written} == set(problems) == {p.name for p in out.glob("*.png")}
    return problems, sizes


def test_many_variants_every_figure_is_written(checked: tuple[dict, list]):
    problems, _ = checked
    names = set(problems)
    assert {"p1_fig1_p1_hello.png", "p1_fig4_p1_get.png", "p2_constant_bar.png",
            "p2_constant_box.png", "p2_constant_line.png", "p2_rate200_bar.png",
            "throughput_latency.png", "latency_percentiles.png", "efficiency.png"} <= names
    assert {f"resources_{s}.png" for s in SCENARIOS} <= names


def test_many_variants_no_overlapping_labels_no_empty_panels(checked: tuple[dict, list]):
    problems, _ = checked
    found = [p for name in sorted(problems) for p in problems[name]]
    per_figure = [f"{name}: {len(problems[name])}" for name in sorted(problems) if problems[name]]
    assert not found, (f"{len(found)} layout problem(s) in {len(per_figure)} figure(s) ("
                       + ", ".join(per_figure) + "):\n" + "\n".join(found[:40]))


def test_many_variants_figures_grow_instead_of_crowding(checked: tuple[dict, list]):
    _, sizes = checked
    heights = dict(sizes)
    # 46 bars at a readable pitch need more than the 3.8 in of a few-variant figure
    assert heights["p1_fig1_p1_hello.png"] >= 46 * 0.2

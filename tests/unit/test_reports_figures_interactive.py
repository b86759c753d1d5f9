"""One style per variant in every figure, and the interactive figures' data (Plotly specs).

The specs are checked as data here (what each hover says, the order of the bars, failed rows,
legend groups); tests/unit/test_reports_figures_browser.py checks that a browser draws them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure as MplFigure

from reports.analysis.analyse import Analysis, analyse
from reports.constants import (
    FAILED_HATCH,
    FAILED_PATTERN,
    FRAMEWORK_COLORS,
    PLOTLY_JS,
    SERVER_ORDER,
    SERVER_STYLES,
    STACK_ORDER,
)
from reports.loading.run_folder import load_run
from reports.rendering import figures, html
from reports.rendering.sections import NINES, nines, variant_styles
from reports.synthetic.runs import make_run, write_cell, write_run_json

VARIANTS = {"fastapi_sqlite3-uvicorn": 2.0, "fastapi_sqlmodel-uvicorn": 2.6,
            "flask_sqlite3-gunicorn_gthread": 4.0, "django_drf-gunicorn_gthread": 8.0}
FAILED = "django_drf-django_dev"
SCENARIOS = ("p1_hello", "p2_post_constant")
REPS = 3


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    root = make_run(tmp_path_factory.mktemp("interactive") / "run", variants=VARIANTS,
                    scenarios=SCENARIOS, reps=REPS, requests_per_rep=80)
    rng = np.random.default_rng(3)
    for scenario in SCENARIOS:
        for rep in range(1, REPS + 1):
            failed = np.arange(80) % 2 == 0  # half the requests fail: a failed cell
            write_cell(root / "cells" / FAILED / scenario / f"rep-{rep}", variant=FAILED,
                       scenario=scenario, rep=rep, latency_ms=rng.uniform(20, 30, 80),
                       failed=failed, error_class="http_5xx", seed=rep)
    write_run_json(root, [*VARIANTS, FAILED])
    out = analyse(load_run(root))
    assert (out.summary.loc[out.summary["variant"] == FAILED, "status"] == "failed").all()
    return out


def _strict(text: str) -> Any:
    def no_constant(name: str) -> None:
        raise AssertionError(f"{name} in a Plotly spec (JSON has no NaN)")
    return json.loads(text, parse_constant=no_constant)


# -- one style per variant ------------------------------------------------------------------------

MATRIX = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles/fwbench/defaults/main.yml")
                        .read_text(encoding="utf-8"))
ALL = [f"{stack}-{server}" for stack, spec in MATRIX["fwbench_stacks"].items()
       for server in spec["servers"]]  # every variant of the matrix


def test_every_server_and_stack_of_the_matrix_has_its_place_in_the_report():
    assert set(MATRIX["fwbench_servers"]) == set(SERVER_ORDER)
    assert set(MATRIX["fwbench_stacks"]) == set(STACK_ORDER)
    assert len(SERVER_STYLES) >= len(SERVER_ORDER)  # no two known servers share a style


def test_one_hue_per_framework_one_hatch_and_marker_per_server():
    import pandas as pd

    styles = variant_styles(ALL, pd.DataFrame())
    assert len(styles) == len(ALL) == 27
    for framework, color in FRAMEWORK_COLORS.items():  # each framework's first stack: its hue
        assert color.lower() in {s.color for s in styles.values() if s.framework == framework}
    by_stack = {s.stack: s.color for s in styles.values()}
    assert len(set(by_stack.values())) == len(by_stack)  # stacks told apart by shade
    for server in SERVER_ORDER:
        mine = {(s.hatch, s.pattern, s.solidity, s.marker, s.symbol) for s in styles.values()
                if s.server == server}
        assert len(mine) == 1, server  # the same on every stack
    per_server = {s.server: (s.hatch, (s.pattern, s.solidity), s.marker, s.symbol)
                  for s in styles.values()}
    assert set(per_server) == set(SERVER_ORDER)
    for i in range(4):  # hatch, Plotly pattern (shape and solidity), marker, symbol
        assert len({v[i] for v in per_server.values()}) == len(SERVER_ORDER)
    assert FAILED_HATCH not in {s.hatch for s in styles.values()}
    assert FAILED_PATTERN not in {s.pattern for s in styles.values()}


def test_a_variant_looks_the_same_in_every_report():
    import pandas as pd

    full = variant_styles(ALL, pd.DataFrame())
    some = variant_styles(["django_drf-daphne", "flask_sqlite3-flask_dev"], pd.DataFrame())
    assert all(some[v] == full[v] for v in some)


def test_static_bars_use_the_variant_styles_best_first_failed_last(result: Analysis,
                                                                  tmp_path: Path):
    drawn: dict[str, MplFigure] = {}
    original = figures._save

    def keep(fig: MplFigure, path: Path) -> None:
        fig.canvas.draw()
        drawn[path.name] = fig
        original(fig, path)

    mp = pytest.MonkeyPatch()
    mp.setattr(figures, "_save", keep)
    try:
        figures.write_all(result, tmp_path, workers=1)
    finally:
        mp.undo()
    styles = variant_styles(result.variants, result.summary)
    ax = drawn["p1_fig1_p1_hello.png"].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == FAILED and set(labels) == set(result.variants)
    bars = list(next(c for c in ax.containers if isinstance(c, BarContainer)))
    widths = [b.get_width() for b in bars]
    assert widths[:-1] == sorted(widths[:-1], reverse=True)  # goodput: highest first
    for label, bar in zip(labels, bars, strict=True):
        if label == FAILED:
            assert bar.get_hatch() == FAILED_HATCH
            assert to_hex(bar.get_facecolor()) == "#cccccc"
        else:
            assert to_hex(bar.get_facecolor()) == styles[label].color
            assert (bar.get_hatch() or "") == styles[label].hatch
    assert any(t.get_text() == "failed" for t in ax.texts)
    assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)  # CIs of 3 reps
    # a run with POST only: one panel, never an empty GET one
    assert len(drawn["p2_constant_bar.png"].axes) == 1
    assert len(drawn["p2_constant_box.png"].axes) == 1


# -- interactive figures --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def plots(result: Analysis) -> dict[str, list[dict[str, Any]]]:
    return {place: [{**p, "spec": _strict(p["spec"])} for p in entries]
            for place, entries in html.interactive(result).items()}


def test_per_scenario_bars_hover_order_and_failed_rows(result: Analysis,
                                                        plots: dict[str, list[dict[str, Any]]]):
    assert [p["title"] for p in plots["scenarios"]] == list(SCENARIOS)
    spec = plots["scenarios"][0]["spec"]
    traces = [t for t in spec["data"] if not t["showlegend"]]
    legend = [t for t in spec["data"] if t["showlegend"]]
    assert [t["name"] for t in traces] == ["fastapi", "flask", "django", "failed"]
    assert [t["legendgroup"] for t in legend] == [t["legendgroup"] for t in traces]
    part = result.summary[result.summary["scenario"] == "p1_hello"].set_index("variant")
    order = spec["layout"]["yaxis"]["categoryarray"]
    assert order[-1] == FAILED  # never ranked
    goodput = [part.at[v, "rps_median"] for v in order[:-1]]
    assert goodput == sorted(goodput, reverse=True)
    failed = traces[-1]
    assert failed["y"] == [FAILED] and failed["text"] == ["failed"]
    assert failed["marker"]["pattern"]["shape"] == [FAILED_PATTERN]
    assert failed["error_x"]["array"] == [None]
    fastapi = traces[0]
    for i, variant in enumerate(fastapi["y"]):
        hover = fastapi["hovertext"][i]
        assert variant in hover and "scenario: p1_hello" in hover
        assert f"{part.at[variant, 'rps_median']:,.1f} req/s" in hover
        low, high = part.at[variant, "rps_ci95_low"], part.at[variant, "rps_ci95_high"]
        assert f"{low:,.2f} – {high:,.2f}" in hover
        assert fastapi["error_x"]["array"][i] == pytest.approx(high - part.at[variant,
                                                                             "rps_median"])
    buttons = spec["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["goodput", "mean latency", "p99 latency"]
    assert all(b["args"][2] == list(range(len(traces))) for b in buttons)
    latency_order = buttons[1]["args"][1]["yaxis.categoryarray"]
    means = [part.at[v, "mean_ms"] for v in latency_order[:-1]]
    assert means == sorted(means) and latency_order[-1] == FAILED


def test_scatter_and_curves_toggle_per_variant(result: Analysis,
                                                plots: dict[str, list[dict[str, Any]]]):
    scatter = plots["throughput_latency"][0]["spec"]
    shown = [t["name"] for t in scatter["data"] if t["showlegend"]]
    assert sorted(shown) == sorted(set(shown))  # one legend entry per variant
    assert {t["legendgroup"] for t in scatter["data"]} == set(shown)
    point = next(t for t in scatter["data"] if t["name"] == "fastapi_sqlite3-uvicorn")
    row = result.summary.set_index(["variant", "scenario"]).loc[("fastapi_sqlite3-uvicorn",
                                                                 "p1_hello")]
    assert point["x"] == [pytest.approx(row["rps_median"])]
    assert point["y"] == [pytest.approx(row["p50_ms"])]
    assert point["error_y"]["array"] == [pytest.approx(row["p99_ms"] - row["p50_ms"])]
    curves = plots["latency"][0]["spec"]
    assert curves["layout"]["xaxis"]["ticktext"] == [f"{p:g}" for p in NINES]
    assert curves["layout"]["xaxis"]["tickvals"] == pytest.approx(list(nines(NINES)))
    assert len([t for t in curves["data"] if t["showlegend"]]) == len(
        {t["name"] for t in curves["data"]})


def test_html_writes_plotly_once_next_to_the_page(result: Analysis, tmp_path: Path):
    import plotly.offline

    figs = figures.write_all(result, tmp_path / "figures", workers=1)
    html.write_html(result, tmp_path / "index.html", figs)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<script[^>]*\bsrc="([^"]+)"', page) == [PLOTLY_JS]
    assert (tmp_path / PLOTLY_JS).read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    specs = re.findall(r'<script type="application/json" id="plot-\d+-spec">(.*?)</script>',
                       page, re.DOTALL)
    assert len(specs) == len(SCENARIOS) + 2 + len(SCENARIOS)  # + resources per scenario
    for text in specs:
        _strict(text)
    # the PNGs stay: shown, or folded beneath their interactive version
    assert {f"figures/{f.filename}" for f in figs} == set(re.findall(r'<img src="([^"]+)"',
                                                                     page))


def test_no_figures_no_plotly(result: Analysis, tmp_path: Path):
    html.write_html(result, tmp_path / "index.html", [])
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert PLOTLY_JS not in page and not (tmp_path / PLOTLY_JS).exists()

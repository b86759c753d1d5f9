"""The HTML report opens in a real browser with every figure loaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reports.cli import main
from reports.synthetic.runs import make_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=5000"]
SCENARIOS = "p1_hello,p1_get,p2_get_constant,p2_post_constant,smoke_hello,smoke_get"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html") / "run-html"
    make_run(root, scenarios=SCENARIOS.split(","), reps=2, requests_per_rep=150, error_rate=0.01)
    assert main(["build", str(root), "-q"]) == 0
    return root / "report"


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (make system-deps installs it)")
        pytest.skip("chromium is not installed (make system-deps installs it)")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=90, check=False)


def test_html_report_is_self_contained_apart_from_its_figures(report: Path):
    html = (report / "index.html").read_text()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    images = re.findall(r'<img src="([^"]+)"', html)
    assert images and all((report / src).is_file() for src in images)
    assert html.index("Validity — read first") < html.index("Summary (one row")


def test_every_figure_loads_in_headless_chromium(report: Path, tmp_path: Path):
    dom = _chromium(["--dump-dom", (report / "index.html").as_uri()], tmp_path / "p1").stdout
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    n_images = len(list((report / "figures").glob("*.png")))
    assert re.search(rf'data-images="{n_images}"', dom)
    assert 'data-images-broken="0"' in dom
    assert len(widths) == n_images and min(widths) > 100


def test_screenshot_of_the_report_renders(report: Path, tmp_path: Path):
    shot = report / "screenshot.png"
    _chromium(["--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={shot}",
               (report / "index.html").as_uri()], tmp_path / "p2")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_figures_show_the_warnings_of_the_cells_they_plot(report: Path):
    html = (report / "index.html").read_text()
    assert "validity finding(s) affect this figure" in html
    assert "requests failed" in html

"""The interactive figures of index.html render in a real browser, offline.

A synthetic report (``python -m reports demo``, capacity curves included) is opened from disk
in headless Chromium with every network route closed: Plotly (report/plotly.min.js, written once
by the build) must draw every figure (the DOM then holds Plotly's "main-svg" and
"plot-container" elements), nothing may come from anywhere but the report folder, and the
browser console must stay silent (no error, no uncaught exception). A probe page first proves
that this console check sees errors at all.
"""

from __future__ import annotations

import html as html_module
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reports.cli import main
from reports.constants import PLOTLY_JS

SCENARIOS = "p1_hello,p1_get,p2_get_rate200"
CAPACITY = "capacity_hello,capacity_get_ladder"  # a rate search and a connection ladder
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"),
                             shutil.which("chromium-browser")) if p and Path(p).is_file()), None)
# Headless, no GPU, console to stderr; every connection goes to a closed local port and every
# name fails to resolve: a page that needed the network would show it as console errors.
FLAGS = ["--headless=new", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr", "--v=0",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-default-apps", "--proxy-server=http://127.0.0.1:9",
         "--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--virtual-time-budget=15000"]
CONSOLE = re.compile(r":CONSOLE[:(\]]|Uncaught", re.IGNORECASE)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (make system-deps installs it)")
        pytest.skip("chromium is not installed (make system-deps installs it)")
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False)


def _console(stderr: str) -> list[str]:
    """The browser console's messages (Chromium logs them all, whatever their level, as
    "CONSOLE" lines) and uncaught exceptions."""
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("browser") / "demo"
    assert main(["demo", str(run), "--scenarios", f"{SCENARIOS},{CAPACITY}", "--reps", "2",
                 "--requests", "300"]) == 0
    return run / "report"


@pytest.fixture(scope="module")
def opened(report: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """index.html as Chromium rendered it (its DOM after the scripts ran) and its stderr."""
    proc = _chromium(["--dump-dom", (report / "index.html").as_uri()],
                     tmp_path_factory.mktemp("profile-dom"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_the_console_check_sees_errors(tmp_path: Path):
    probe = tmp_path / "probe.html"
    probe.write_text('<html><body><script>console.error("fwbench-probe-error");'
                     'throw new Error("fwbench-probe-uncaught");</script></body></html>')
    messages = _console(_chromium(["--dump-dom", probe.as_uri()], tmp_path / "p").stderr)
    assert any("fwbench-probe-error" in m for m in messages), messages
    assert any("Uncaught" in m and "fwbench-probe-uncaught" in m for m in messages), messages


def test_plotly_is_bundled_once_and_loaded_from_the_report_folder(report: Path):
    html = (report / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    assert scripts == [PLOTLY_JS]  # one relative script, no CDN
    assert not re.search(r"""(src|href)=["']https?://""", html)
    bundle = report / PLOTLY_JS
    assert bundle.stat().st_size > 1_000_000
    assert "plotly" in bundle.read_text(encoding="utf-8")[:2000].lower()
    assert [p.name for p in report.rglob("plotly*.js")] == [PLOTLY_JS]


def test_every_interactive_figure_is_drawn_offline_without_console_errors(
        report: Path, opened: tuple[str, str]):
    dom, stderr = opened
    html = (report / "index.html").read_text(encoding="utf-8")
    specs = len(re.findall(r'<script type="application/json" id="plot-\d+-spec">', html))
    # per-scenario bars, scatter, percentile curves, one capacity figure per capacity scenario
    # bars and resources per scenario, throughput-latency and spectra, one per capacity scenario
    assert specs == 2 * len(SCENARIOS.split(",")) + 2 + len(CAPACITY.split(","))
    assert html.count('<h2 id="capacity">') == 1
    assert f'data-plots="{specs}"' in dom and f'data-plots-drawn="{specs}"' in dom
    assert 'data-plots-failed="0"' in dom
    # Plotly's own elements: the JavaScript ran and drew every figure
    assert dom.count('class="plot-container plotly"') == specs
    assert dom.count("main-svg") >= specs
    assert "legendtoggle" in dom  # clickable legends
    assert "updatemenu-button" in dom  # the measure buttons of the per-scenario bars
    assert 'data-remote-resources="0"' in dom  # nothing from outside the report folder
    assert 'data-images-broken="0"' in dom  # the static PNGs load too
    assert _console(stderr) == []


def test_screenshot_of_the_report_is_not_blank(report: Path, tmp_path: Path):
    shot = tmp_path / "screenshot.png"
    proc = _chromium(["--hide-scrollbars", "--window-size=1400,4000", f"--screenshot={shot}",
                      (report / "index.html").as_uri()], tmp_path / "p")
    assert shot.is_file(), proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (4000, 1400)
    assert pixels.std() > 20  # text and tables, not one flat colour
    assert _console(proc.stderr) == []


# Run in a copy of index.html: use the first per-scenario chart as a reader would (a measure
# button, a hover, a click on the first legend entry) and write what happened into the DOM.
INTERACT = r"""
<script>
window.addEventListener("load", function () { setTimeout(function () {
  var out = {}, div = document.getElementById("plot-0");
  try {
    out.x0 = div.data[0].x.slice();
    var buttons = div.querySelectorAll(".updatemenu-button");
    out.buttons = buttons.length;
    buttons[1].dispatchEvent(new MouseEvent("click", {bubbles: true}));
    out.x1 = div.data[0].x.slice();
    out.title1 = div.layout.xaxis.title.text;
    out.hovered = div.data[0].y[0];
    Plotly.Fx.hover(div, [{curveNumber: 0, pointNumber: 0}]);
    out.hover = div.querySelector(".hoverlayer").textContent;
    var toggle = div.querySelector(".legendtoggle");
    toggle.dispatchEvent(new MouseEvent("mousedown", {bubbles: true, clientX: 1, clientY: 1}));
    toggle.dispatchEvent(new MouseEvent("mouseup", {bubbles: true, clientX: 1, clientY: 1}));
  } catch (err) { out.error = String(err); }
  setTimeout(function () {
    out.visible = div.data.map(function (d) { return d.visible === undefined ? true : d.visible; });
    out.groups = div.data.map(function (d) { return d.legendgroup; });
    document.body.setAttribute("data-interact", JSON.stringify(out));
  }, 500);
}, 300); });
</script>
"""


def test_hover_buttons_and_legend_work_in_the_browser(report: Path, tmp_path: Path):
    page = report / "interact.html"
    page.write_text((report / "index.html").read_text(encoding="utf-8")
                    .replace("</body>", INTERACT + "</body>"), encoding="utf-8")
    try:
        proc = _chromium(["--dump-dom", page.as_uri()], tmp_path / "p")
    finally:
        page.unlink()
    found = re.search(r'data-interact="([^"]*)"', proc.stdout)
    assert found, proc.stderr[-2000:]
    out = json.loads(html_module.unescape(found[1]))
    assert "error" not in out, out
    assert out["buttons"] == 3  # goodput, mean latency, p99
    assert out["title1"].startswith("mean latency") and out["x1"] != out["x0"]
    assert out["hover"].startswith(out["hovered"])  # variant, scenario, measure, CI, status
    assert "scenario: p1_hello" in out["hover"] and "mean latency: " in out["hover"]
    assert "95% CI" in out["hover"] and "status: " in out["hover"]
    first = out["groups"][0]  # clicking its legend entry hides that framework's bars, only
    assert [v == "legendonly" for v in out["visible"]] == [g == first for g in out["groups"]]
    assert _console(proc.stderr) == []


def test_without_plotly_js_the_page_says_so_and_keeps_the_static_figures(
        report: Path, tmp_path: Path):
    copy = tmp_path / "report"
    shutil.copytree(report, copy, ignore=shutil.ignore_patterns(PLOTLY_JS))
    dom = _chromium(["--dump-dom", (copy / "index.html").as_uri()], tmp_path / "p").stdout
    assert 'data-plots-drawn="0"' in dom and "main-svg" not in dom
    assert "Interactive figure unavailable" in dom
    assert 'data-images-broken="0"' in dom

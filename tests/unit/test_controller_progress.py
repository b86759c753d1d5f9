"""Where a run is before each cell (controller/progress.py) and ``python -m controller
progress``, which writes progress.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controller.progress import RunClock, eta_s, minutes, progress
from runfiles import progress_json

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0m00s"), (5, "0m05s"), (60, "1m00s"),
                                               (245, "4m05s"), (3725, "62m05s")])
def test_minutes(seconds, text):
    assert minutes(seconds) == text


def test_before_any_cell_is_measured_the_plan_estimate_counts():
    record, line = progress("r1", "v|s|1", 0, 2, 30.0, RunClock(started_s=100, now_s=100),
                            "T")
    assert line == "cell 1/2, elapsed 0m00s, ETA 0m30s (the plan estimate)"
    assert record == {"run_id": "r1", "cells_total": 2, "cell_index": 1, "cell": "v|s|1",
                      "cells_measured_this_attempt": 0, "elapsed_s": 0, "estimate_s": 30,
                      "updated": "T"}
    assert set(record) == set(progress_json.KEYS)


def test_then_the_measured_cells_mean():
    clock = RunClock(started_s=100, now_s=113, measured=1, measured_s=12.6)
    record, line = progress("r1", "v|s2|1", 1, 2, 30.0, clock, "T")
    assert line == "cell 2/2, elapsed 0m13s, ETA 0m13s (from 1 cell(s) measured so far)"
    assert (record["cell_index"], record["elapsed_s"], record["cells_measured_this_attempt"]) \
        == (2, 13, 1)


@pytest.mark.parametrize(("clock", "left", "total", "estimate", "eta"), [
    (RunClock(0, 0), 10, 10, 100.0, 100),
    (RunClock(0, 0), 3, 10, 100.0, 30),
    (RunClock(0, 0), 1, 4, 2.0, 0),  # 0.5 rounds to even, as the Jinja round filter did
    (RunClock(0, 0), 3, 4, 2.0, 2),  # 1.5 rounds to even
    (RunClock(0, 0, measured=2, measured_s=61.0), 4, 10, 1.0, 122),
])
def test_eta(clock, left, total, estimate, eta):
    assert eta_s(clock, left, total, estimate) == eta


def test_a_resumed_attempt_counts_only_its_own_cells():
    clock = RunClock(started_s=0, now_s=700, measured=0, measured_s=0.0)
    _, line = progress("r1", "c", 5, 6, 60.0, clock, "T")
    assert line == "cell 6/6, elapsed 11m40s, ETA 0m10s (the plan estimate)"


def _controller(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_the_command_writes_progress_json(tmp_path):
    started = int(time.time())
    args = ("progress", "--run-dir", str(tmp_path), "--run-id", "r1", "--cell=v|s|1",
            "--cell-index", "1", "--cells-total", "3", "--estimate-s", "90",
            "--started-s", str(started), "--measured", "1", "--measured-s", "20.5")
    proc = _controller(*args, "--check")
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "progress.json").exists()
    proc = _controller(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("cell 2/3, elapsed 0m0")
    assert proc.stdout.endswith(", ETA 0m41s (from 1 cell(s) measured so far)\n")
    text = (tmp_path / "progress.json").read_text()
    assert text.startswith('{\n    "cell": "v|s|1",\n') and text.endswith("}")
    record = json.loads(text)
    assert set(record) == set(progress_json.KEYS)
    assert (record["cell_index"], record["cells_total"], record["estimate_s"]) == (2, 3, 90)
    assert record["updated"].endswith("Z")


def test_the_command_refuses_a_cell_outside_the_run(tmp_path):
    proc = _controller("progress", "--run-dir", str(tmp_path), "--run-id", "r1", "--cell=c",
                       "--cell-index", "3", "--cells-total", "3", "--estimate-s", "1",
                       "--started-s", "0")
    assert proc.returncode == 2 and "is not a cell of 3" in proc.stderr
    assert not (tmp_path / "progress.json").exists()

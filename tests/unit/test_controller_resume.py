"""Resuming a run safely (`python -m controller cell-state`, `cell-commit`, `run-status`,
`resume-check`): a corrupt marker re-runs its cell, failed cells re-run on request, a fetched
marker becomes final only when valid, and changed settings stop the resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from controller import cellstate, resume
from runfiles.summary_json import build_summary

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


def _summary(status: str = "ok") -> dict:
    return build_summary({"variant": "a-b", "scenario": "s", "rep": 1}, {},
                         {"requests": 10, "errors": 0, "status": status, "warnings": []}, {})


def _cell(root: Path, name: str = "a-b/s/rep-1") -> Path:
    folder = root / "cells" / name
    folder.mkdir(parents=True)
    return folder


def test_a_truncated_marker_is_moved_aside_and_the_cell_runs_again(tmp_path):
    cell = _cell(tmp_path)
    text = json.dumps(_summary())
    (cell / "summary.json").write_text(text[: len(text) // 2])  # a fetch cut short
    proc = _cli("cell-state", "--dir", str(cell))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["state"] == "corrupt"
    assert "moved to summary.json.corrupt-1, the cell runs again" in proc.stderr
    assert not (cell / "summary.json").exists() and (cell / "summary.json.corrupt-1").exists()
    assert cellstate.state(cell)["state"] == "missing"


def test_finished_and_failed_cells_are_kept_unless_failed_ones_are_retried(tmp_path):
    done, failed = _cell(tmp_path, "a-b/s/rep-1"), _cell(tmp_path, "a-b/s/rep-2")
    (done / "summary.json").write_text(json.dumps(_summary()))
    (failed / "summary.json").write_text(json.dumps(_summary("failed")))
    assert cellstate.state(done, retry_failed=True)["state"] == "finished"
    assert cellstate.state(failed)["state"] == "failed"
    retried = cellstate.state(failed, retry_failed=True)
    assert retried["state"] == "retry" and not failed.exists()
    assert (failed.parent / "rep-2.failed-1" / "summary.json").exists()  # kept, not deleted
    status = cellstate.run_status(tmp_path)
    assert status == {"cells": {"a-b/s/rep-1": "ok"}, "invalid": {}}


def test_commit_makes_only_a_valid_fetched_marker_final(tmp_path):
    cell = _cell(tmp_path)
    (cell / "summary.json.part").write_text('{"requests": "many"}')
    proc = _cli("cell-commit", "--dir", str(cell))
    assert proc.returncode == 1 and "summary.json.part: key 'requests'" in proc.stderr
    assert "Traceback" not in proc.stderr and not (cell / "summary.json").exists()
    (cell / "summary.json.part").write_text(json.dumps(_summary()))
    assert _cli("cell-commit", "--dir", str(cell)).returncode == 0
    assert json.loads((cell / "summary.json").read_text())["status"] == "ok"
    assert not (cell / "summary.json.part").exists()


def test_run_status_names_invalid_markers_instead_of_crashing(tmp_path):
    (_cell(tmp_path) / "summary.json").write_text("[1, 2")
    proc = _cli("run-status", "--run-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert list(json.loads(proc.stdout)["invalid"]) == ["a-b/s/rep-1"]


PLAN = {"scale": 0.2, "versions": "current", "variants": ["x-1", "y-2"], "scenarios": ["p1_get"],
        "seed": "42"}


@pytest.mark.parametrize(("change", "named"), [
    ({"scale": 1.0}, "scale"), ({"versions": "paper"}, "versions"),
    ({"variants": ["x-1"]}, "variants"), ({"scenarios": ["p1_get", "p1_hello"]}, "scenarios"),
    ({"seed": "7"}, "seed"), ({"procedure": "paper1"}, "procedure"),
    ({"database": "postgresql"}, "database"), ({"design": "rounds"}, "design"),
    ({"control": "x-1"}, "control"), ({"min_measure_s": 5.0}, "min_measure_s"),
    ({"warmup": "measured"}, "warmup"),
])
def test_a_resume_with_other_settings_is_refused_with_the_difference(tmp_path, change, named):
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {**PLAN, "repetitions": 1}}))
    assert resume.check(tmp_path, {**PLAN, "variants": ["y-2", "x-1"], "seed": 42}) == []
    found = resume.check(tmp_path, {**PLAN, **change})
    assert len(found) == 1 and found[0].startswith(f"{named}:")
    proc = _cli("resume-check", "--run-dir", str(tmp_path), "--plan", json.dumps({**PLAN,
                                                                                **change}))
    assert proc.returncode == 1 and json.loads(proc.stdout)["differences"] == found


def test_a_run_from_before_procedures_resumes_as_isolated_cells(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {**PLAN, "repetitions": 1}}))
    assert resume.check(tmp_path, {**PLAN, "procedure": "isolated"}) == []
    assert resume.check(tmp_path, {**PLAN, "procedure": "paper1"}) != []


def test_a_run_from_before_databases_resumes_only_on_sqlite(tmp_path):
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {**PLAN, "repetitions": 1}}))
    assert resume.check(tmp_path, {**PLAN, "database": "sqlite"}) == []
    assert resume.check(tmp_path, {**PLAN, "database": "postgresql"})[0].startswith("database:")


def test_a_run_from_before_designs_resumes_only_as_it_was_planned(tmp_path):
    # all cells shuffled together, no control, no floor, the scenario's own warm-up
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {**PLAN, "repetitions": 1}}))
    before = {"design": "shuffled", "control": "", "min_measure_s": 0, "warmup": "scenario"}
    assert resume.check(tmp_path, {**PLAN, **before}) == []
    assert resume.check(tmp_path, {**PLAN, **before, "min_measure_s": "0.0"}) == []
    now = resume.check(tmp_path, {**PLAN, "design": "rounds", "control": "", "min_measure_s": 5.0,
                                  "warmup": "measured"})
    assert [line.split(":")[0] for line in now] == ["design", "min_measure_s", "warmup"]


def test_a_rounds_run_resumes_with_its_design_and_control(tmp_path):
    planned = {**PLAN, "design": "rounds", "control": "x-1", "min_measure_s": 5.0,
               "warmup": "measured"}
    (tmp_path / "run.json").write_text(json.dumps({"parameters": {**planned, "repetitions": 3,
                                                                  "budget_s": 3600}}))
    # more rounds (repetitions, another budget) resume the same cells
    assert resume.check(tmp_path, {**planned, "repetitions": 5, "budget_s": 7200}) == []
    assert resume.check(tmp_path, {**planned, "control": ""})[0].startswith("control:")


def test_an_unreadable_run_json_is_named(tmp_path):
    (tmp_path / "run.json").write_text("{")
    assert "unreadable" in resume.check(tmp_path, PLAN)[0]
    assert resume.check(tmp_path / "new", PLAN) == []

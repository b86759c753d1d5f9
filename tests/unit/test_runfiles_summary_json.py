"""summary.json (runfiles/summary_json.py): one versioned builder for run, merge and failed
cells, its validation, and atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runfiles.constants import SUMMARY_SCHEMA_VERSION
from runfiles.summary_json import build_summary, summary_problems, write_json_atomic

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "client", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_run_writes_a_valid_versioned_summary(client_fresh_server, tmp_path):
    # A failed cell's summary: tests/unit/test_controller_failure.py (python -m controller
    # failed-cell, the same builder).
    ran = tmp_path / "ran"
    proc = _cli("run", "--scenario", "smoke_get", "--base-url", client_fresh_server.url,
                "--out", str(ran), "--scale", "0.1", "--label", "variant=a-b", "--label",
                "rep=1")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((ran / "summary.json").read_text())
    assert summary["schema_version"] == SUMMARY_SCHEMA_VERSION
    assert summary_problems(summary) == []
    assert not (ran / "summary.json.tmp").exists()


def test_only_the_summary_json_module_builds_a_summary():
    # One builder: nothing else in client/, controller/, runfiles/ or roles/ spells out a
    # summary's schema_version.
    offenders = []
    for path in [*REPO.glob("client/*.py"), *REPO.glob("controller/*.py"),
                 *REPO.glob("runfiles/*.py"), *REPO.glob("roles/**/*.yml")]:
        if path.relative_to(REPO).as_posix() in ("runfiles/summary_json.py",
                                                 "runfiles/constants.py"):
            continue
        if "schema_version" in path.read_text(encoding="utf-8"):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


@pytest.mark.parametrize(("change", "message"), [
    ({"requests": "12"}, "key 'requests' must be an integer"),
    ({"requests": True}, "key 'requests' must be an integer"),
    ({"status": "great"}, "key 'status' must be one of ok, degraded, failed"),
    ({"achieved_rps": "fast"}, "key 'achieved_rps' must be a number or null"),
    ({"errors": -1}, "key 'errors' must be >= 0"),
    ({"schema_version": 99}, "schema_version 99 is newer"),
    ({"warmup_mode": "hot"}, "key 'warmup_mode' must be one of measured, scenario, none"),
    ({"measure_blocks": 1.5}, "key 'measure_blocks' must be an integer or null"),
    ({"measured_s": -0.5}, "key 'measured_s' must be >= 0"),
    ({"min_measure_s": "30"}, "key 'min_measure_s' must be a number or null"),
    ({"min_measure_note": 3}, "key 'min_measure_note' must be a string or null"),
])
def test_summary_problems_name_the_key(change, message):
    good = build_summary({"scenario": "s"}, {}, {"requests": 1, "errors": 0, "status": "ok",
                                                  "warnings": []}, {})
    assert summary_problems(good) == []
    problems = summary_problems({**good, **change})
    assert any(p.startswith(message) for p in problems), problems


def test_warmup_and_floor_keys_are_optional_and_typed():
    # Summaries written before `run --warmup` / `--min-measure-s` have none of the keys: still
    # valid (the scenario's warm-up, no floor).
    old = build_summary({"scenario": "s"}, {}, {"requests": 1, "errors": 0, "status": "ok",
                                                 "warnings": []}, {})
    assert "warmup_mode" not in old and summary_problems(old) == []
    new = {**old, "warmup_mode": "measured", "min_measure_s": 30, "measure_blocks": 4,
           "measured_s": 31.2, "min_measure_note": None}
    assert summary_problems(new) == []
    capacity = {**new, "measure_blocks": None, "measured_s": None, "min_measure_note": "n/a"}
    assert summary_problems(capacity) == []


def test_summary_problems_of_something_else():
    assert summary_problems([1, 2]) == ["is a JSON list, not an object"]
    missing = {k: v for k, v in build_summary(
        {"scenario": "s"}, {}, {"requests": 1, "errors": 0, "status": "ok", "warnings": []},
        {}).items() if k != "status"}
    assert "key 'status' is missing" in summary_problems(missing)


def test_the_builder_refuses_an_invalid_summary():
    with pytest.raises(ValueError, match="key 'requests'"):
        build_summary({"scenario": "s"}, {}, {"requests": None, "errors": 0, "status": "ok",
                                              "warnings": []}, {})


def test_atomic_write_replaces_whole_files_only(tmp_path):
    target = tmp_path / "summary.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]

"""A failed cell's reason from its step id (controller/failure.py), every step of the role's cell
named, and ``python -m controller failed-cell``, which records the cell."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from controller.failure import STEPS, UnknownStepError, failure_reason
from runfiles.constants import SUMMARY_SCHEMA_VERSION
from runfiles.summary_json import summary_problems

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "controller/cell_run.py"
BOOM = {"msg": "non-zero return code", "stderr": "  boom\n", "rc": 1}
LOOPED = {"msg": "One or more items failed",
          "results": [{"stderr": "first"}, {"skipped": True}, {"stderr": "second"}]}
HEALTHY = "never became healthy on /healthz within 60 s"

EXPECTED = {
    "database-check": "the database failed: boom",
    "server-start": "the server start failed: boom",
    "monitor-start": HEALTHY,
    "health": HEALTHY,
    "load-start": "the load task failed: non-zero return code   boom\n",
    "load-wait": "the load task failed: non-zero return code   boom\n",
    "server-stop": "the load task failed: non-zero return code   boom\n",
    "database-stop": "the database failed: boom",
    "fetch": "the load task failed: non-zero return code   boom\n",
    "commit": "the load task failed: non-zero return code   boom\n",
    "merge": "the load task failed: non-zero return code   boom\n",
}


@pytest.mark.parametrize("step", list(STEPS))
def test_every_step_has_its_reason(step):
    health = None if EXPECTED[step] == HEALTHY else 200
    assert failure_reason(step, BOOM, health, 60) == EXPECTED[step].strip()


def test_every_step_the_runner_names_is_known_and_every_known_step_is_run():
    source = RUNNER.read_text()
    used = set(re.findall(r'self\.script\(\S+, cell, "([a-z-]+)"', source))
    used |= set(re.findall(r'StepFailed\("([a-z-]+)"', source))
    assert used == set(STEPS)


def test_the_load_reason_joins_message_stderr_and_each_items_stderr():
    assert failure_reason("load-wait", LOOPED, 200, 60) == \
        "the load task failed: One or more items failed  first second"


def test_reasons_keep_the_end_of_long_failures():
    long = {"msg": "m", "stderr": "x" * 700 + "END"}
    reason = failure_reason("server-start", long, None, 60)
    assert reason == "the server start failed: " + ("x" * 700 + "END")[-600:]
    reason = failure_reason("load-start", long, 200, 60)
    assert reason == "the load task failed: " + ("m " + "x" * 700 + "END ")[-600:].strip()


def test_a_failure_outside_any_step_falls_back_on_the_health_check():
    assert failure_reason("", BOOM, None, 30) == "never became healthy on /healthz within 30 s"
    assert failure_reason("", BOOM, 503, 30) == "never became healthy on /healthz within 30 s"
    assert failure_reason("", BOOM, 200, 30) == "the load task failed: non-zero return code   boom"


def test_an_unknown_step_is_refused():
    with pytest.raises(UnknownStepError, match="unknown step 'Wait until healthy'"):
        failure_reason("Wait until healthy", BOOM, None, 60)


def test_an_empty_result():
    assert failure_reason("database-check", {}, None, 60) == "the database failed:"
    assert failure_reason("load-wait", {}, 200, 60) == "the load task failed:"


def _controller(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


LABELS = ("--label", "variant=a-b", "--label", "stack=a", "--label", "server=b", "--label",
          "rep=3", "--label", "run_id=r1")


def test_failed_cell_writes_a_valid_versioned_summary(tmp_path):
    out = tmp_path / "failed"
    proc = _controller("failed-cell", "--out", str(out), "--scenario", "smoke_get", *LABELS,
                       "--step=health", "--health-status=-1", "--health-timeout-s=60",
                       stdin=json.dumps(BOOM))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(proc.stdout) == summary
    assert summary["schema_version"] == SUMMARY_SCHEMA_VERSION
    assert summary_problems(summary) == []
    assert not (out / "summary.json.tmp").exists()
    assert (summary["status"], summary["requests"], summary["rep"], summary["scenario"]) == \
        ("failed", 0, 3, "smoke_get")
    assert summary["failure"] == HEALTHY
    assert summary["warnings"] == [f"cell failed: {HEALTHY}"]
    assert summary["failed_task"] == "health"
    assert summary["labels"] == {"variant": "a-b", "stack": "a", "server": "b", "rep": 3,
                                 "run_id": "r1"}


def test_failed_cell_reads_stderr_that_looks_like_an_option(tmp_path):
    proc = _controller("failed-cell", "--out", str(tmp_path), "--scenario", "s", *LABELS,
                       "--step=load-start", "--health-status=200", "--health-timeout-s=60",
                       stdin=json.dumps({"msg": "--scale: bad", "stderr": "-x"}))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["failure"] == "the load task failed: --scale: bad -x"


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (("--step=Wait until healthy",), "{}", "unknown step 'Wait until healthy'"),
    (("--step=health", "--label", "rep"), "{}", "--label must be KEY=VALUE"),
    (("--step=health",), "[]", "is not a JSON object"),
    (("--step=health", "--health-status=ok"), "{}", "not an HTTP status"),
])
def test_failed_cell_refuses_bad_input(tmp_path, args, stdin, says):
    proc = _controller("failed-cell", "--out", str(tmp_path / "c"), "--scenario", "s",
                       "--health-timeout-s=60", *args, stdin=stdin)
    assert proc.returncode == 2, proc.stdout
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "c").exists()


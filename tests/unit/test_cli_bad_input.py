"""Every bad input to the client, controller and report command lines: one line saying what to
fix, a non-zero exit, never a traceback, and nothing overwritten."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports.synthetic.runs import make_run

REPO = Path(__file__).resolve().parents[2]


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, PYTHONPATH=str(REPO)),
                          stdin=subprocess.DEVNULL)


def _assert_refused(proc: subprocess.CompletedProcess, says: str) -> None:
    assert proc.returncode != 0, proc.stdout[-500:]
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and says in lines[-1], proc.stderr
    assert sum("error:" in line for line in lines) == 1, proc.stderr  # one error line (argparse
    # prints its usage first)


LOAD = ("load", "--concurrency", "1", "--iterations", "1")


@pytest.mark.parametrize(("args", "says"), [
    ((*LOAD, "--url", "http://127.0.0.1:99999/"), "Port out of range"),
    ((*LOAD, "--url", "http://[::1/"), "Invalid IPv6 URL"),
    ((*LOAD, "--url", "http://127.0.0.1:0/"), "port 0 is not a port"),
    ((*LOAD, "--url", "ftp://x/"), "--url must be http://"),
    ((*LOAD, "--url", "http://127.0.0.1:9/", "--method", "GE T"), "--method must be"),
    (("load", "--url", "http://127.0.0.1:9/", "--concurrency", "100000000", "--iterations", "1"),
     "must be at most 10000"),
    ((*LOAD, "--url", "http://127.0.0.1:9/", "--csv", "/nonexistent/x.csv"),
     "No such file or directory"),
    ((*LOAD, "--url", "http://127.0.0.1:9/", "--body", "{nope"), "--body is not valid JSON"),
    (("run", "--scenario", "../../etc/passwd", "--base-url", "http://127.0.0.1:9", "--out",
      "/nonexistent/cell"), "unknown scenario"),
    (("run", "--scenario", "smoke_get", "--base-url", "http://127.0.0.1:9", "--out",
      "/etc/passwd"), "is not a folder"),
    (("clock-serve", "--port", "99999"), "must be a TCP port"),
    (("monitor", "--csv", "/nonexistent/m.csv", "--max-seconds", "0.2"),
     "No such file or directory"),
])
def test_client_bad_input_gets_one_line_and_a_non_zero_exit(args, says):
    _assert_refused(_run("client", *args), says)


RUN = ("run", "--scenario", "smoke_get", "--base-url", "http://127.0.0.1:9")


@pytest.mark.parametrize(("args", "says"), [
    ((*RUN, "--out", "/nonexistent/c", "--min-measure-s", "-1"), "must be >= 0: '-1'"),
    ((*RUN, "--out", "/nonexistent/c", "--min-measure-s", "soon"), "not a number: 'soon'"),
    ((*RUN, "--out", "/nonexistent/c", "--min-measure-s", "inf"), "must be >= 0: 'inf'"),
    ((*RUN, "--out", "/nonexistent/c", "--warmup", "bogus"), "invalid choice: 'bogus'"),
])
def test_client_run_bad_warmup_or_floor_is_a_usage_error(args, says):
    proc = _run("client", *args)
    _assert_refused(proc, says)
    assert proc.returncode == 2
    assert not Path("/nonexistent/c").exists()


@pytest.mark.parametrize(("args", "says"), [
    (("cell-state", "--dir", "/etc/passwd"), "no such cell folder"),
    (("cell-commit", "--dir", "/nonexistent"), "no such cell folder"),
    (("run-status", "--run-dir", "/nonexistent"), "not a run folder"),
    (("resume-check", "--run-dir", "/tmp", "--plan", "[1]"), "must be a JSON object"),
    (("resume-check", "--run-dir", "/tmp", "--plan", "{nope"), "--plan is not valid JSON"),
    (("merge", "--out", "/nonexistent/m", "/nonexistent/share1"), "no such folder"),
])
def test_controller_bad_input_gets_one_line_and_exit_2(args, says):
    proc = _run("controller", *args)
    _assert_refused(proc, says)
    assert proc.returncode == 2


def test_controller_unwritable_run_folder_gets_one_line_and_exit_1():
    proc = _run("controller", "progress", "--run-dir", "/nonexistent/run", "--run-id", "a",
                "--cell=v|s|1", "--cell-index", "0", "--cells-total", "1", "--estimate-s", "1",
                "--started-s", "0")
    _assert_refused(proc, "/nonexistent/run")
    assert proc.returncode == 1


def test_client_never_overwrites_existing_results(tmp_path):
    csv = tmp_path / "r.csv"
    csv.write_text("precious\n")
    _assert_refused(_run("client", *LOAD, "--url", "http://127.0.0.1:9/", "--csv", str(csv)),
                    "already exists")
    (tmp_path / "cell").mkdir()
    (tmp_path / "cell" / "summary.json").write_text("{}")
    _assert_refused(_run("client", "run", "--scenario", "smoke_get", "--base-url",
                         "http://127.0.0.1:9", "--out", str(tmp_path / "cell")),
                    "already holds a cell")
    assert csv.read_text() == "precious\n"
    assert (tmp_path / "cell" / "summary.json").read_text() == "{}"


def test_report_bad_folders_get_one_line_and_a_non_zero_exit(tmp_path):
    empty = tmp_path / "empty"
    (empty / "cells").mkdir(parents=True)
    (empty / "run.json").write_text("{}")
    _assert_refused(_run("reports", "build", str(empty)), "no cells found")
    listed = tmp_path / "listed"
    make_run(listed, variants={"a-b": 1.0}, reps=1, requests_per_rep=20, monitors=False)
    (listed / "run.json").write_text("[1, 2]")
    _assert_refused(_run("reports", "build", str(listed)), "is not a JSON object")
    _assert_refused(_run("reports", "build", str(tmp_path / "nope")), "no such folder")
    _assert_refused(_run("reports", "build", "/etc/passwd"), "not a folder")
    _assert_refused(_run("reports", "demo", str(tmp_path / "d"), "--scenarios", "p9"),
                    "unknown scenario")
    _assert_refused(_run("reports", "demo", str(tmp_path / "d"), "--reps", "0"), "must be 1-100")
    assert not (tmp_path / "d").exists()


def test_report_demo_never_writes_over_a_folder_it_did_not_create(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    _assert_refused(_run("reports", "demo", str(mine)), "not an empty folder")
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_compare_keeps_a_hostile_run_id_inside_the_run_folder(tmp_path):
    a = make_run(tmp_path / "a", variants={"a-b": 1.0}, reps=1, requests_per_rep=20,
                 monitors=False)
    b = make_run(tmp_path / "b", variants={"a-b": 1.0}, reps=1, requests_per_rep=20,
                 monitors=False)
    meta = json.loads((a / "run.json").read_text())
    meta["run_id"] = "../../../escaped"
    (a / "run.json").write_text(json.dumps(meta))
    proc = _run("reports", "compare", str(a), str(b))
    assert proc.returncode == 0, proc.stderr
    made = [p for p in (b / "report").iterdir() if p.name.startswith("compare-")]
    assert len(made) == 1 and (made[0] / "compare.csv").is_file()
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()

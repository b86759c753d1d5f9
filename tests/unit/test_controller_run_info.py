"""run.json's builder (controller/run_info.py) and ``python -m controller run-info|run-finish``,
without Ansible: the facts the role hands over in, run.json out."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from controller.local_facts import LocalFacts, machine_files
from controller.run_info import build_run_info, finish_run_info
from runfiles import run_json

REPO = Path(__file__).resolve().parents[2]
NOW = "2026-12-07T19:00:00.000001Z"
CELLS = ["fastapi_sqlite3-uvicorn|smoke_hello|1", "fastapi_sqlite3-uvicorn|smoke_get|1"]
VARIANT = {"name": "fastapi_sqlite3-uvicorn", "stack": "fastapi_sqlite3", "server": "uvicorn",
           "processes": 2, "threads": 2}
PLAN: dict[str, Any] = {
    "run_id": "r1", "profile": "smoke", "cells": CELLS, "variants": [VARIANT["name"]],
    "scenarios": ["smoke_hello", "smoke_get"], "versions": "current", "repetitions": 1,
    "scale": 1.0, "pause_s": 1, "seed": 42, "add_warmup": False, "procedure": "isolated",
    "database": "sqlite", "settle_s": 0, "session_pause_s": 3, "database_hosts": [],
    "database_address": "", "lab_hosts": ["server", "client"], "server": "server",
    "clients": ["client"], "estimate_s": 30, "design": "rounds", "control": "", "budget_s": 0,
    "min_measure_s": 1.0, "warmup": "measured", "max_rounds": 1, "min_rounds": 1,
    "round_estimate_s": 16}
HOST = {"role": "server", "address": "198.18.0.10", "cores": 1, "pip_freeze": ["a==1"]}
FACTS: dict[str, Any] = {
    "plan": PLAN, "ansible_version": "2.19.14",
    "groups": {"servers": ["server"], "clients": ["client"], "lab": ["server", "client"]},
    "hosts": {"server": HOST, "client": {**HOST, "role": "client"}},
    "server": {"variants": [VARIANT, {**VARIANT, "name": "flask-gunicorn"}],
               "sqlite_version": "3.40.1", "database_facts": {},
               "sqlite_journal_mode": None, "sqlite_busy_timeout_ms": None},
    "database_host": "", "database_facts": {},
    "settings": {"port": 8000, "seed_items": 1500},
    "clock_offsets": {"measured": NOW, "reference": "server", "hosts": {}}}
LOCAL = LocalFacts(git_commit="abc", controller_cpus=2,
                   lab_cpus={"fwbench-server": "0", "fwbench-client": "1"},
                   lab_netem={"fwbench-server": "kernel delay 1ms",
                              "fwbench-client": "kernel delay 1ms"})


def test_a_new_run():
    info = build_run_info(FACTS, LOCAL, {}, NOW)
    assert run_json.problems(info) == []
    assert (info["run_id"], info["started"], info["finished"], info["attempts"]) == \
        ("r1", NOW, None, [NOW])
    assert (info["profile"], info["git_commit"], info["ansible_version"]) == \
        ("smoke", "abc", "2.19.14")
    assert info["inventory"] == {"servers": ["server"], "clients": ["client"], "databases": [],
                                 "lab": True}
    assert info["lab"] == {"controller_cpus": 2,
                           "cpus": {"fwbench-server": "0", "fwbench-client": "1"},
                           "cpus_shared": [], "other_machines_running": []}
    assert info["network"] == {"lab_netem": "delay 1ms",
                               "lab_netem_applied": LOCAL.lab_netem}
    assert info["database"] == {"kind": "sqlite", "version": "3.40.1",
                                "settings": {"journal_mode": "wal", "busy_timeout_ms": 5000}}
    assert info["parameters"] == {
        "variants": [VARIANT["name"]], "scenarios": ["smoke_hello", "smoke_get"],
        "versions": "current", "repetitions": 1, "scale": 1.0, "pause_s": 1, "seed": 42,
        "add_warmup": False, "procedure": "isolated", "database": "sqlite", "settle_s": 0.0,
        "session_pause_s": 3.0, "design": "rounds", "control": "", "min_measure_s": 1.0,
        "warmup": "measured", "budget_s": 0, "min_rounds": 1, "max_rounds": 1,
        "cell_order": CELLS}
    assert info["settings"] == {"port": 8000, "seed_items": 1500, "sqlite_journal_mode": "wal",
                                "sqlite_busy_timeout_ms": 5000}
    assert info["clock_offsets"] == [FACTS["clock_offsets"]]
    assert info["hosts"] == FACTS["hosts"]
    assert info["variants"] == {VARIANT["name"]: VARIANT}  # the planned variants only


def test_a_resumed_run_keeps_its_start_attempts_offsets_and_other_keys():
    first = finish_run_info(build_run_info(FACTS, LOCAL, {}, NOW), {CELLS[0]: "failed"}, NOW)
    again = build_run_info(FACTS, LOCAL, first, "2026-12-08T00:00:00Z")
    assert again["started"] == NOW
    assert again["finished"] is None
    assert again["attempts"] == [NOW, "2026-12-08T00:00:00Z"]
    assert again["clock_offsets"] == [FACTS["clock_offsets"]] * 2
    assert (again["cells_finished"], again["cells_failed"]) == (1, [CELLS[0]])


def test_finish():
    info = finish_run_info({"run_id": "r1", "finished": None},
                           {"a": "ok", "b": "failed", "c": "degraded", "d": "failed"}, NOW)
    assert info == {"run_id": "r1", "finished": NOW, "cells_finished": 4,
                    "cells_failed": ["b", "d"], "cells_degraded": ["c"]}


def test_outside_the_lab():
    facts = copy.deepcopy(FACTS)
    facts["groups"]["lab"] = []
    info = build_run_info(facts, LOCAL, {}, NOW)
    assert info["inventory"]["lab"] is False
    assert info["lab"] is None
    assert info["network"] == {"lab_netem": None, "lab_netem_applied": None}


def test_lab_machines_outside_the_run():
    local = LocalFacts(git_commit="unknown", controller_cpus=2,
                       lab_cpus={"fwbench-server": "0", "fwbench-client": "1",
                                 "fwbench-db": "0-1", "fwbench-client2": "1"},
                       lab_netem={"fwbench-server": "kernel delay 2ms",
                                  "fwbench-client": "user delay 2ms",
                                  "fwbench-client2": "kernel delay 9ms"})
    info = build_run_info(FACTS, local, {}, NOW)
    assert info["lab"]["cpus"] == {"fwbench-server": "0", "fwbench-client": "1"}
    assert info["lab"]["other_machines_running"] == ["fwbench-client2", "fwbench-db"]
    assert info["network"]["lab_netem"] == "delay 2ms"
    assert set(info["network"]["lab_netem_applied"]) == {"fwbench-server", "fwbench-client"}


def test_shared_cpus_and_a_plan_with_defaults():
    facts = copy.deepcopy(FACTS)
    plan = facts["plan"]
    plan["lab_hosts"] = ["server", "client", "db"]
    for key in ("add_warmup", "procedure", "settle_s", "session_pause_s", "design", "control",
                "budget_s", "min_measure_s", "warmup", "max_rounds", "min_rounds"):
        del plan[key]
    local = LocalFacts(git_commit="x", controller_cpus=2,
                       lab_cpus={"fwbench-server": "0", "fwbench-client": "1",
                                 "fwbench-db": "0-1"})
    info = build_run_info(facts, local, {}, NOW)
    assert info["lab"]["cpus_shared"] == ["fwbench-client", "fwbench-db", "fwbench-server"]
    assert info["network"] == {"lab_netem": "", "lab_netem_applied": {}}
    params = info["parameters"]
    assert (params["add_warmup"], params["procedure"], params["settle_s"],
            params["session_pause_s"]) == (False, "isolated", 0.0, 0.0)
    # a plan from before designs: all cells shuffled together, as many rounds as repetitions
    assert {key: params[key] for key in ("design", "control", "min_measure_s", "warmup",
                                         "budget_s", "min_rounds", "max_rounds")} == {
        "design": "shuffled", "control": "", "min_measure_s": 0.0, "warmup": "scenario",
        "budget_s": 0, "min_rounds": 1, "max_rounds": 1}


def test_a_budgeted_run_with_a_control_records_them():
    facts = copy.deepcopy(FACTS)
    facts["plan"].update(control=VARIANT["name"], budget_s=3600, min_rounds=3, max_rounds=12,
                         repetitions=12, min_measure_s=5)
    params = build_run_info(facts, LOCAL, {}, NOW)["parameters"]
    assert {key: params[key] for key in ("control", "budget_s", "min_rounds", "max_rounds",
                                         "repetitions", "min_measure_s")} == {
        "control": VARIANT["name"], "budget_s": 3600, "min_rounds": 3, "max_rounds": 12,
        "repetitions": 12, "min_measure_s": 5.0}


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("yes", True), (True, True),
                                                 ("false", False), (0, False), ("", False)])
def test_add_warmup_as_ansible_reads_it(value, expected):
    facts = copy.deepcopy(FACTS)
    facts["plan"]["add_warmup"] = value
    assert build_run_info(facts, LOCAL, {}, NOW)["parameters"]["add_warmup"] is expected


def test_postgresql():
    facts = copy.deepcopy(FACTS)
    facts["plan"].update(database="postgresql", database_hosts=["db"],
                         database_address="198.18.0.20")
    facts["database_host"] = "db"
    facts["database_facts"] = {"port": 5432, "database": "fwbench", "user": "fwbench",
                               "version": "15.18", "unit": "postgresql@15-main.service",
                               "settings": {"max_connections": "100"},
                               "effective": {"max_connections": "100"}}
    facts["server"]["database_facts"] = {"pg_pool": 8, "env": {"PGPASSFILE": "/etc/x"}}
    info = build_run_info(facts, LOCAL, {}, NOW)
    assert info["inventory"]["databases"] == ["db"]
    assert info["database"] == {
        "kind": "postgresql", "host": "db", "address": "198.18.0.20", "port": 5432,
        "database": "fwbench", "user": "fwbench", "version": "15.18",
        "unit": "postgresql@15-main.service",
        "settings": {"configured": {"max_connections": "100"},
                     "effective": {"max_connections": "100"}},
        "pool_size_per_process": 8, "error": None}
    facts["database_facts"] = {"error": "no answer"}
    assert build_run_info(facts, LOCAL, {}, NOW)["database"]["settings"] == \
        {"configured": {}, "effective": {}}


def test_sqlite_settings_the_server_sets():
    facts = copy.deepcopy(FACTS)
    facts["server"].update(sqlite_journal_mode="delete", sqlite_busy_timeout_ms=100,
                           database_facts={"sqlite_journal_mode": "delete",
                                           "sqlite_busy_timeout_ms": "100"})
    info = build_run_info(facts, LOCAL, {}, NOW)
    assert info["database"]["settings"] == {"journal_mode": "delete", "busy_timeout_ms": 100}
    assert (info["settings"]["sqlite_journal_mode"],
            info["settings"]["sqlite_busy_timeout_ms"]) == ("delete", 100)


def test_machine_files(tmp_path):
    (tmp_path / "fwbench-server.cpus").write_text("0\n")
    (tmp_path / "fwbench-client.cpus").write_text("1-2  \n")
    (tmp_path / "fwbench-client.netem").write_text("kernel delay 1ms\n")
    assert machine_files(tmp_path, ".cpus") == {"fwbench-client": "1-2",
                                                "fwbench-server": "0"}
    assert machine_files(tmp_path, ".netem") == {"fwbench-client": "kernel delay 1ms"}
    assert machine_files(tmp_path / "absent", ".cpus") == {}


def _controller(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "controller", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))


def test_run_info_and_run_finish_write_run_json(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "fwbench-server.cpus").write_text("0\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    args = ("run-info", "--run-dir", str(run_dir), "--root", str(REPO), "--lab-dir", str(lab))
    proc = _controller(*args, "--check", stdin=json.dumps(FACTS))
    assert proc.returncode == 0, proc.stderr
    assert not (run_dir / "run.json").exists()
    proc = _controller(*args, stdin=json.dumps(FACTS))
    assert proc.returncode == 0, proc.stderr
    text = (run_dir / "run.json").read_text()
    assert text == proc.stdout
    assert text.startswith('{\n    "ansible_version": "2.19.14",\n') and text.endswith("}\n")
    info = json.loads(text)
    assert info["lab"]["cpus"] == {"fwbench-server": "0"}
    assert info["git_commit"] != "unknown"
    again = _controller(*args, stdin=json.dumps(FACTS))
    assert json.loads(again.stdout)["attempts"] == [*info["attempts"], json.loads(
        again.stdout)["attempts"][-1]]
    status = {"cells": {CELLS[0]: "ok", CELLS[1]: "degraded"}, "invalid": []}
    proc = _controller("run-finish", "--run-dir", str(run_dir), stdin=json.dumps(status))
    assert proc.returncode == 0, proc.stderr
    done = json.loads((run_dir / "run.json").read_text())
    assert (done["cells_finished"], done["cells_failed"], done["cells_degraded"]) == \
        (2, [], [CELLS[1]])
    assert done["finished"] is not None


@pytest.mark.parametrize(("stdin", "says"), [
    ("[1]", "is not a JSON object"),
    ("{", "is not valid JSON"),
    ('{"plan": {}}', "lack or mistype"),
])
def test_run_info_refuses_bad_facts(tmp_path, stdin, says):
    proc = _controller("run-info", "--run-dir", str(tmp_path), stdin=stdin)
    assert proc.returncode == 2
    assert says in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "run.json").exists()


def test_run_info_refuses_a_broken_earlier_run_json(tmp_path):
    (tmp_path / "run.json").write_text("[1, 2]")
    proc = _controller("run-info", "--run-dir", str(tmp_path), stdin=json.dumps(FACTS))
    assert proc.returncode == 2 and "not a JSON object" in proc.stderr
    assert (tmp_path / "run.json").read_text() == "[1, 2]"


def test_the_cell_order_names_typed_cells_too():
    facts = copy.deepcopy(FACTS)
    facts["plan"]["cells"] = [{"name": CELLS[0], "variant": VARIANT["name"], "rep": 1},
                              {"name": CELLS[1], "variant": VARIANT["name"], "rep": 1}]
    assert build_run_info(facts, LOCAL, {}, NOW)["parameters"]["cell_order"] == CELLS

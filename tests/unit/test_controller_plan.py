"""The run plan in Python (controller/plan.py): the golden plans, the designs, the estimate.

tests/golden/plans/*.json hold, for each case of tests/golden/capture_plans.py, the options and
the ``bench_plan_run`` roles/bench_plan recorded (the cases with design=shuffled: the cells in the
order the Jinja planner gave before the planner moved to controller/; the *-rounds*, *-control*
and *-budget* cases: the design rounds). Here the Python planner, fed with the same options, the
role's defaults and the lab inventory, must give the same cells in the same order and the same
other fields. The one-line messages of a bad option or inventory and the estimate are tested at
the function level; tests/unit/test_preflight.py runs some through bench.yml.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.splitter import parse_kv

from client import scenarios as client_scenarios
from controller import plan_command
from controller.errors import UsageError
from controller.options import Selection
from controller.plan import estimate_s, plan_run, round_s, shuffled

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "plans"
CASES = sorted(path.stem for path in GOLDEN.glob("*.json"))
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
# the role's defaults of the options (roles/bench_plan/defaults/main.yml), by their -e name
DEFAULT_OPTIONS = {"profile": "quick", "variants": [], "scenarios": [], "repetitions": 0,
                   "run_id": "", "seed": "", "scale": 0, "results_dir": "", "versions": "current",
                   "add_warmup": False, "procedure": "isolated", "lab_clients": 1,
                   "database": "sqlite", "design": "", "control": None, "budget": "",
                   "min_measure_s": ""}
BOOL_TRUE = ("true", "yes", "on", "1", "y", "t")


def read_yaml(path: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / path).read_text())


@cache
def settings() -> dict[str, Any]:
    """What the role hands over from its defaults and those of roles/fwbench."""
    plan = read_yaml("roles/bench_plan/defaults/main.yml")
    fwbench = read_yaml("roles/fwbench/defaults/main.yml")
    return {"profiles": plan["bench_plan_profiles"], "procedures": plan["bench_plan_procedures"],
            "databases": plan["bench_plan_databases"],
            "paper1_order": plan["bench_plan_paper1_order"],
            "paper1_settle_s": plan["bench_plan_paper1_settle_s"],
            "paper1_pause_s": plan["bench_plan_paper1_pause_s"],
            "cell_overhead_s": plan["bench_plan_cell_overhead_s"],
            "stacks": fwbench["fwbench_stacks"], "version_sets": fwbench["fwbench_version_sets"]}


def walk(name: str, group: dict[str, Any], groups: dict[str, list[str]],
         hostvars: dict[str, dict[str, Any]]) -> list[str]:
    """The hosts of an inventory group and its children, recording every group on the way."""
    hosts = []
    for host, facts in ((group or {}).get("hosts") or {}).items():
        hostvars[host] = facts or {}
        hosts.append(host)
    for child, spec in ((group or {}).get("children") or {}).items():
        hosts += [host for host in walk(child, spec, groups, hostvars) if host not in hosts]
    groups[name] = hosts
    return hosts


def inventory(text: str) -> dict[str, Any]:
    """The inventory as the role hands it over, from a YAML inventory."""
    groups: dict[str, list[str]] = {}
    hostvars: dict[str, dict[str, Any]] = {}
    walk("all", yaml.safe_load(text)["all"], groups, hostvars)
    return {"groups": groups,
            "ansible_host": {h: v["ansible_host"] for h, v in hostvars.items()
                             if "ansible_host" in v},
            "bench_address": {h: v["fwbench_bench_address"] for h, v in hostvars.items()
                              if "fwbench_bench_address" in v}}


LAB = inventory((REPO / "inventory/lab/hosts.yml").read_text())


def request(options: dict[str, Any], hosts: dict[str, Any] = LAB) -> dict[str, Any]:
    return {"root": str(REPO), "options": {**DEFAULT_OPTIONS, **options},
            "settings": settings(), "inventory": hosts}


def extra_vars(options: list[str]) -> dict[str, Any]:
    """-e key=value options as Ansible parses them (text; a space ends the value: "variants=a,
    b" is "a,"), add_warmup through the role's ``| bool``."""
    values: dict[str, Any] = {}
    for option in options:
        values.update(parse_kv(option))
    values.pop("_raw_params", None)
    if "add_warmup" in values:
        values["add_warmup"] = values["add_warmup"].lower() in BOOL_TRUE
    return values


@cache
def catalogue(scale: str) -> tuple[dict[str, Any], ...]:
    """``python -m client scenarios --scale S``'s scenarios, in-process."""
    return tuple(client_scenarios.load(name).scaled(float(scale)).brief()
                 for name in client_scenarios.names())


def plan(options: dict[str, Any], hosts: dict[str, Any] = LAB) -> dict[str, Any]:
    return plan_run(request(options, hosts), plan_command.scenario_files(REPO), catalogue, NOW)


def old_form(cells: list[dict[str, Any]]) -> list[str]:
    return [f"{c['variant']}|{c['scenario']}|{c['rep']}" for c in cells]


@pytest.mark.parametrize("case", CASES)
def test_the_plan_is_the_goldens(case: str):
    golden = json.loads((GOLDEN / f"{case}.json").read_text())
    expected = golden["plan"]
    got = plan(extra_vars(golden["options"]))["run"]
    assert old_form(got["cells"]) == expected["cells"]
    captured_in = expected["root"]  # another checkout
    for key in ("root", "run_dir", "results_dir"):
        expected[key] = expected[key].replace(captured_in, str(REPO))
    # the Jinja planner's lab_hosts came out of a set difference, in no fixed order
    assert sorted(got.pop("lab_hosts")) == sorted(expected.pop("lab_hosts"))
    got.pop("cells"), expected.pop("cells")
    assert got == expected
    assert [type(got[k]) for k in sorted(got)] == [type(expected[k]) for k in sorted(expected)]


def test_cells_are_typed_and_sessions_marked():
    cells = plan({"profile": "paper1", "procedure": "paper1", "seed": "42",
                  "variants": "flask_sqlite3-gunicorn_gthread", "repetitions": "2",
                  "scenarios": "p1_get,p1_hello"})["run"]["cells"]
    assert cells[0] == {"name": "flask_sqlite3-gunicorn_gthread|p1_hello|1",
                        "variant": "flask_sqlite3-gunicorn_gthread", "stack": "flask_sqlite3",
                        "server": "gunicorn_gthread", "scenario": "p1_hello", "rep": 1,
                        "dir": "flask_sqlite3-gunicorn_gthread/p1_hello/rep-1", "session": 1,
                        "session_first": True, "session_last": False, "round": None,
                        "unit_variant": "flask_sqlite3-gunicorn_gthread"}
    assert [(c["session"], c["scenario"], c["session_first"], c["session_last"])
            for c in cells[1:]] == [(1, "p1_get", False, True), (2, "p1_hello", True, False),
                                    (2, "p1_get", False, True)]
    isolated = plan({"profile": "smoke", "seed": "1"})["run"]["cells"]
    assert {(c["session"], c["session_first"], c["session_last"]) for c in isolated} == {
        (None, False, False)}


def test_the_seed_is_ansibles():
    # -e seed=N is text; the run id's seed an int; both as random.Random takes them
    assert shuffled(range(10), "12345") != shuffled(range(10), 12345)
    assert plan({"profile": "smoke", "seed": "12345", "run_id": "r1"})["run"]["seed"] == "12345"
    assert plan({"profile": "smoke", "run_id": "r1"})["run"]["seed"] == int(
        __import__("hashlib").md5(b"r1").hexdigest()[:12], 16)
    # a falsy seed (the int 0) shuffles unseeded, as Ansible's filter does; "0" is a seed
    assert sorted(shuffled(range(50), 0)) == list(range(50))
    assert shuffled(range(50), "0") == shuffled(range(50), "0")


def test_a_new_run_id_is_the_utc_time():
    assert plan({"profile": "smoke"})["run"]["run_id"] == "20260102T030405Z"


def test_lab_clients_join_the_clients_and_the_lab():
    result = plan({"profile": "smoke", "lab_clients": "3"})
    assert result["lab_clients"] == [{"name": "client2", "ansible_host": "198.18.0.12"},
                                     {"name": "client3", "ansible_host": "198.18.0.13"}]
    assert result["run"]["clients"] == ["client", "client2", "client3"]
    assert plan({"profile": "smoke"})["lab_clients"] == []


def test_the_estimate_counts_load_pauses_overhead_and_settle():
    entries = [{"name": "a", "expected_s": 10.0}, {"name": "b", "expected_s": 2.5},
               {"name": "c", "expected_s": 100.0}]
    base = {"profile": "p", "variants": ["v1", "v2"], "scenarios": ["a", "b"],
            "repetitions": "3", "scale": "0.5", "run_id": "", "seed": "", "versions": "current",
            "procedure": "isolated", "database": "sqlite", "add_warmup": False,
            "results_dir": ""}
    setup = {"cell_overhead_s": 10, "paper1_settle_s": 20}
    # 2 variants x 3 reps x (12.5 s load + 2 x (1 s pause + 10 s overhead))
    assert estimate_s(Selection(**base), setup, 1, entries, 3) == 207
    # procedure paper1 adds the settle time per session: 20 s x 0.5, at least 1
    assert estimate_s(Selection(**{**base, "procedure": "paper1"}), setup, 1, entries, 3) == 267
    tiny = Selection(**{**base, "procedure": "paper1", "scale": "0.01"})
    assert estimate_s(tiny, setup, 1, entries, 3) == 213
    # a round is every variant x scenario once; the A/A control is one more variant
    assert round_s(Selection(**base), setup, 1, entries) == 69
    assert round_s(Selection(**base, design="rounds", control="v1"), setup, 1, entries) == 103.5


def test_the_estimate_counts_the_floor_of_the_measured_phase():
    # measured phases: a 1 s duration after 4 s of warm-up and pauses; 1,000 requests on a
    # 200 req/s schedule (5 s); 100 closed-loop requests, no pause (0 s); a capacity search (60 s)
    entries = [{"name": "short", "expected_s": 5.0, "duration_s": 1.0},
               {"name": "open", "expected_s": 5.0, "rate": 200, "iterations": 1000},
               {"name": "closed", "expected_s": 0.0, "iterations": 100, "concurrency": 10},
               {"name": "search", "expected_s": 60.0, "capacity": {"time_budget_s": 60.0}}]
    base = {"profile": "p", "variants": ["v"], "scenarios": [e["name"] for e in entries],
            "repetitions": "1", "scale": "1", "run_id": "", "seed": "", "versions": "current",
            "procedure": "isolated", "database": "sqlite", "add_warmup": False,
            "results_dir": ""}
    setup = {"cell_overhead_s": 0, "paper1_settle_s": 20}
    assert round_s(Selection(**base), setup, 0, entries) == 70
    # a 5 s floor: the short one measures 5 s after its 4 s warm-up, the closed one 5 s
    assert round_s(Selection(**base, min_measure_s=5.0), setup, 0, entries) == 79
    assert estimate_s(Selection(**base, min_measure_s=5.0), setup, 0, entries, 2) == 158


@pytest.mark.parametrize(("options", "message"), [
    ({"profile": "fastest"}, "Unknown profile 'fastest'. Valid profiles: smoke, quick, paper1, "
                             "paper2, capacity, paper."),
    ({"variants": "flask_sqlite3-uvicorn, x-y"}, "Unknown variant(s): flask_sqlite3-uvicorn, "
                                                 "x-y. Valid variants: flask_sqlite3-flask_dev, "),
    ({"scenarios": "p1_hello,p3_nothing"}, "Unknown scenario(s): p3_nothing. Valid scenarios: "
                                           "capacity_get, capacity_hello, "),
    ({"procedure": "fast"}, "Unknown procedure 'fast'. Valid procedures: isolated, paper1."),
    ({"database": "mysql"}, "Unknown database 'mysql'. Valid databases: sqlite, postgresql."),
    ({"procedure": "paper1", "scenarios": "p1_get,p2_get_constant"},
     "procedure=paper1 runs paper 1's scenarios in the paper's order; these are not among them: "
     "p2_get_constant. Valid: p1_hello, p1_echo, p1_list, p1_get, p1_create, p1_update, "
     "p1_delete."),
    ({"versions": "2019"}, "Unknown version set '2019'. Valid version sets: current, paper."),
    ({"repetitions": "0x"}, "Bad option: repetitions must be an integer 1-9999 (got '0x'), scale "
                            "a number in (0, 1] (got '0.2'), run_id letters, digits, '.', '_' or "
                            "'-' (got ''), seed a non-negative integer (got '')."),
    ({"scale": "2"}, "scale a number in (0, 1] (got '2')"),
    ({"run_id": "../escape"}, "run_id letters, digits, '.', '_' or '-' (got '../escape')"),
    ({"seed": "-1"}, "seed a non-negative integer (got '-1')"),
    ({"lab_clients": "9"}, "lab_clients must be 1-8 and needs the lab inventory (got '9'); on "
                           "real hosts list every client host in the group 'clients' instead."),
    ({"scenarios": "capacity_hello", "lab_clients": "2"},
     "A capacity scenario (capacity_hello) runs from one client host: its search decides each "
     "step from the last one. Use one client host (lab_clients=1, or one host in the group "
     "'clients'), or run these scenarios separately."),
])
def test_a_bad_option_is_one_line(options: dict[str, Any], message: str):
    with pytest.raises(UsageError) as caught:
        plan(options)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("text", "options", "message"), [
    ("all:\n  children:\n    servers:\n      hosts:\n        only: {ansible_host: 192.0.2.1}\n",
     {}, "The inventory needs exactly one host in group 'servers' and at least one other host in "
         "group 'clients' (got servers=['only'], clients=[]). See inventory/examples/."),
    ("all:\n  children:\n    servers: {hosts: {server: {ansible_host: 192.0.2.1}}}\n"
     "    clients: {hosts: {client: {ansible_host: 192.0.2.2}}}\n",
     {"database": "postgresql"},
     "database=postgresql needs exactly one host in the inventory group 'databases', a host of "
     "its own (not in 'servers' or 'clients'); got databases=[]. Add the PostgreSQL host to the "
     "group 'databases' (see inventory/examples/hardware/hosts.yml)."),
    ("all:\n  children:\n    lab:\n      children:\n"
     "        servers: {hosts: {server: {ansible_host: 198.18.0.10}}}\n"
     "        clients: {hosts: {client: {ansible_host: 198.18.0.11}}}\n"
     "        databases: {hosts: {db: {ansible_host: 198.18.0.13}}}\n",
     {"lab_clients": "4"},
     "lab_clients=4 puts client2..4 at 198.18.0.12-14, but 198.18.0.13 is taken by another host "
     "of the inventory; move that host (inventory/lab/hosts.yml)."),
    ("all:\n  children:\n    servers: {hosts: {server: {ansible_host: 192.0.2.1}}}\n"
     "    clients: {hosts: {client: {ansible_host: 192.0.2.2}}}\n",
     {"lab_clients": "2"}, "lab_clients must be 1-8 and needs the lab inventory (got '2'); on real "
                           "hosts list every client host in the group 'clients' instead."),
    ("all:\n  children:\n    servers: {hosts: {server: {ansible_host: 192.0.2.1}}}\n"
     "    clients: {hosts: {client: {}}}\n",
     {}, "Host client has no ansible_host in the inventory."),
])
def test_a_bad_inventory_is_one_line(text: str, options: dict[str, Any], message: str):
    with pytest.raises(UsageError) as caught:
        plan(options, inventory(text))
    assert str(caught.value) == message


def test_postgresql_uses_the_database_hosts_bench_address():
    hosts = inventory("all:\n  children:\n"
                      "    servers: {hosts: {server: {ansible_host: 192.0.2.1}}}\n"
                      "    clients: {hosts: {client: {ansible_host: 192.0.2.2}}}\n"
                      "    databases: {hosts: {db: {ansible_host: 192.0.2.3,"
                      " fwbench_bench_address: 10.0.0.3}}}\n")
    run = plan({"profile": "smoke", "database": "postgresql"}, hosts)["run"]
    assert (run["database_hosts"], run["database_address"], run["lab_hosts"]) == (
        ["db"], "10.0.0.3", [])
    assert plan({"profile": "smoke"}, hosts)["run"]["database_hosts"] == []


def test_the_command_prints_the_plan_and_refuses_bad_input(tmp_path: Path):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request({"profile": "smoke", "seed": "12345",
                                        "run_id": "golden-smoke-seed"})))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    python = str(REPO / ".venv/bin/python")
    done = subprocess.run([python, "-m", "controller", "plan", "--request", str(path)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    golden = json.loads((GOLDEN / "smoke-seed.json").read_text())["plan"]
    assert old_form(json.loads(done.stdout)["run"]["cells"]) == golden["cells"]
    path.write_text(json.dumps(request({"profile": "fastest"})))
    bad = subprocess.run([python, "-m", "controller", "plan"], input=path.read_text(),
                         cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("error: Unknown profile 'fastest'.")
    assert bad.stderr.count("\n") == 1


@pytest.mark.parametrize("case", ["paper1-procedure-subset", "overrides", "postgresql",
                                  "paper1-rounds-control", "paper1-procedure-rounds-control"])
def test_the_role_records_the_golden_plan(case: str, tmp_path: Path):
    """End to end: bench_plan through tests/golden/dump_plan.yml, as the goldens were made."""
    golden = json.loads((GOLDEN / f"{case}.json").read_text())
    out = tmp_path / "plan.json"
    command = [str(REPO / ".venv/bin/ansible-playbook"), "tests/golden/dump_plan.yml",
               "-e", f"plan_out={out}"]
    for option in golden["options"]:
        command += ["-e", option]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    got = json.loads(out.read_text())
    assert old_form(got["cells"]) == golden["plan"]["cells"]
    assert {k: v for k, v in got.items() if k not in ("cells", "root", "run_dir", "results_dir",
                                                       "lab_hosts")} == {
        k: v for k, v in golden["plan"].items()
        if k not in ("cells", "root", "run_dir", "results_dir", "lab_hosts")}
    assert sorted(got["lab_hosts"]) == sorted(golden["plan"]["lab_hosts"])


def test_the_controller_imports_neither_client_nor_reports():
    found = set()
    for path in (REPO / "controller").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    assert not found & {"client", "reports"}, found

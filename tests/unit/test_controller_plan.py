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
from controller.options import Selection, budget_seconds
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
                   "min_measure_s": "", "warmup": ""}
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
                                        "design": "shuffled", "run_id": "golden-smoke-seed"})))
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


# The designs (issue #25): rounds, the A/A control, the budget, the measured phase's floor.

def rounds_of_cells(cells: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The cells cut into their rounds, checking each round is one stretch of the order."""
    rounds: list[list[dict[str, Any]]] = []
    for one in cells:
        if not rounds or rounds[-1][0]["round"] != one["round"]:
            rounds.append([])
        rounds[-1].append(one)
    assert [r[0]["round"] for r in rounds] == list(range(1, len(rounds) + 1))
    return rounds


def test_each_round_holds_every_variant_and_scenario_once_in_an_order_of_its_own():
    run = plan({"profile": "quick", "repetitions": "4", "seed": "5"})["run"]
    assert (run["design"], run["control"], run["max_rounds"]) == ("rounds", "", 4)
    rounds = rounds_of_cells(run["cells"])
    every = sorted((v, s) for v in run["variants"] for s in run["scenarios"])
    assert len(rounds) == 4
    for number, cells in enumerate(rounds, start=1):
        assert sorted((c["variant"], c["scenario"]) for c in cells) == every
        assert {c["rep"] for c in cells} == {number}
    orders = [[(c["variant"], c["scenario"]) for c in cells] for cells in rounds]
    assert len({tuple(order) for order in orders}) == 4  # no two rounds in the same order


def test_the_same_seed_gives_the_same_rounds_and_another_seed_others():
    first = plan({"profile": "quick", "repetitions": "2", "seed": "5"})["run"]["cells"]
    assert plan({"profile": "quick", "repetitions": "2", "seed": "5"})["run"]["cells"] == first
    other = plan({"profile": "quick", "repetitions": "2", "seed": "6"})["run"]["cells"]
    assert other != first and sorted(map(str, other)) == sorted(map(str, first))
    # a run without -e seed= takes its seed from the run id: a resumed run gets the same order
    later = datetime(2026, 5, 6, tzinfo=timezone.utc)
    resumed = plan_run(request({"profile": "quick", "repetitions": "2", "run_id": "r1"}),
                       plan_command.scenario_files(REPO), catalogue, later)["run"]["cells"]
    assert plan({"profile": "quick", "repetitions": "2", "run_id": "r1"})["run"][
        "cells"] == resumed


def test_more_rounds_keep_the_first_ones():
    # a rerun with more repetitions adds rounds; the rounds it had keep their order
    three = plan({"profile": "quick", "repetitions": "3", "seed": "5"})["run"]["cells"]
    five = plan({"profile": "quick", "repetitions": "5", "seed": "5"})["run"]["cells"]
    assert five[:len(three)] == three


def test_paper1_rounds_run_every_variants_session_once_a_round():
    run = plan({"profile": "paper1", "procedure": "paper1", "design": "rounds",
                "seed": "42"})["run"]
    assert (run["control"], run["min_measure_s"], run["warmup"]) == (
        "flask_sqlite3-gunicorn_gthread", 0.0, "scenario")
    variants = [*run["variants"], "flask_sqlite3-gunicorn_gthread~aa"]
    rounds = rounds_of_cells(run["cells"])
    assert len(rounds) == 5
    session_orders = []
    for cells in rounds:
        sessions = [cells[i:i + 7] for i in range(0, len(cells), 7)]
        assert sorted(s[0]["variant"] for s in sessions) == sorted(variants)
        for session in sessions:
            assert [c["scenario"] for c in session] == run["scenarios"]  # the paper's order
            assert len({(c["variant"], c["session"]) for c in session}) == 1
            assert (session[0]["session_first"], session[-1]["session_last"]) == (True, True)
        session_orders.append(tuple(s[0]["variant"] for s in sessions))
    assert len(set(session_orders)) > 1
    assert [c["session"] for c in run["cells"][::7]] == list(range(1, 31))


def test_the_shuffled_design_has_no_rounds():
    run = plan({"profile": "quick", "design": "shuffled", "repetitions": "2",
                "seed": "5"})["run"]
    assert {c["round"] for c in run["cells"]} == {None}
    assert (run["design"], run["max_rounds"], run["min_rounds"], run["budget_s"]) == (
        "shuffled", 2, 2, 0)
    assert plan({"profile": "paper1", "procedure": "paper1"})["run"]["design"] == "shuffled"


def test_the_control_runs_its_variant_again_under_its_own_name():
    variant = "fastapi_sqlite3-uvicorn"
    run = plan({"profile": "smoke", "control": variant, "repetitions": "2", "seed": "3"})["run"]
    assert run["control"] == variant and run["variants"] == [variant]  # the units to deploy
    control = [c for c in run["cells"] if c["variant"] == f"{variant}~aa"]
    assert sorted((c["round"], c["scenario"]) for c in control) == [
        (1, "smoke_get"), (1, "smoke_hello"), (2, "smoke_get"), (2, "smoke_hello")]
    first = next(c for c in control if (c["round"], c["scenario"]) == (1, "smoke_hello"))
    assert first == {"name": f"{variant}~aa|smoke_hello|1", "variant": f"{variant}~aa",
                     "stack": "fastapi_sqlite3", "server": "uvicorn", "scenario": "smoke_hello",
                     "rep": 1, "dir": f"{variant}~aa/smoke_hello/rep-1", "session": None,
                     "session_first": False, "session_last": False, "round": 1,
                     "unit_variant": variant}
    assert {c["unit_variant"] for c in run["cells"]} == {variant}
    assert len(run["cells"]) == 8
    # the control is shuffled into its round like any other variant
    assert any(c["variant"] == variant for c in rounds_of_cells(run["cells"])[0][1:])
    # the estimate counts its cells
    alone = plan({"profile": "smoke", "repetitions": "2", "seed": "3"})["run"]
    assert run["round_estimate_s"] == 2 * alone["round_estimate_s"]


@pytest.mark.parametrize(("options", "control"), [
    ({"profile": "paper1"}, "flask_sqlite3-gunicorn_gthread"),
    ({"profile": "paper2"}, "fastapi_sqlite3-uvicorn"),
    ({"profile": "paper"}, "flask_sqlite3-gunicorn_gthread"),
    ({"profile": "quick"}, ""), ({"profile": "smoke"}, ""), ({"profile": "capacity"}, ""),
    ({"profile": "paper1", "control": "none"}, ""), ({"profile": "paper1", "control": ""}, ""),
    ({"profile": "paper1", "control": "django_drf-gunicorn_gthread"},
     "django_drf-gunicorn_gthread"),
    ({"profile": "paper1", "design": "shuffled"}, ""),  # the profile's control needs rounds
    ({"profile": "paper1", "procedure": "paper1"}, ""),  # shuffled by default
    ({"profile": "paper1", "variants": "django_drf-gunicorn_gthread"}, ""),  # not in the run
])
def test_the_profiles_control(options: dict[str, Any], control: str):
    run = plan({**options, "seed": "1", "repetitions": "1"})["run"]
    assert run["control"] == control
    assert any(c["variant"].endswith("~aa") for c in run["cells"]) == bool(control)


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("60m", 3600), ("1h", 3600), ("1h30m", 5400), ("2h5s", 7205), ("5400", 5400),
    (" 45m ", 2700), ("", 0), ("0", 0)])
def test_a_budget_is_read_in_seconds(text: str, seconds: int):
    assert budget_seconds(text) == seconds


def test_a_budget_holds_the_rounds_that_fit_it():
    one = plan({"profile": "smoke", "seed": "1"})["run"]
    assert (one["budget_s"], one["max_rounds"], one["min_rounds"]) == (0, 1, 1)
    round_estimate = one["round_estimate_s"]
    run = plan({"profile": "smoke", "seed": "1", "budget": f"{7 * round_estimate + 5}s"})["run"]
    assert (run["budget_s"], run["round_estimate_s"]) == (7 * round_estimate + 5, round_estimate)
    assert (run["max_rounds"], run["min_rounds"], run["repetitions"]) == (7, 3, 7)
    assert len(rounds_of_cells(run["cells"])) == 7 and len(run["cells"]) == 14
    assert run["estimate_s"] == 7 * round_estimate
    # at most 50 rounds; the repetitions are the least, and more than 3 count
    assert plan({"profile": "smoke", "budget": "100h"})["run"]["max_rounds"] == 50
    many = plan({"profile": "smoke", "budget": "100h", "repetitions": "60"})["run"]
    assert (many["max_rounds"], many["min_rounds"]) == (60, 60)
    five = plan({"profile": "paper2", "budget": "10h"})["run"]
    assert five["min_rounds"] == 5 and five["max_rounds"] == 36000 // five["round_estimate_s"]


def test_the_measured_phases_floor_and_the_warmup():
    assert [plan({"profile": p})["run"]["min_measure_s"] for p in
            ("smoke", "quick", "paper1", "paper2", "capacity", "paper")] == [1, 5, 5, 5, 5, 5]
    assert plan({"profile": "quick", "min_measure_s": "0"})["run"]["min_measure_s"] == 0.0
    assert plan({"profile": "quick", "min_measure_s": "2.5"})["run"]["min_measure_s"] == 2.5
    paper1 = plan({"profile": "paper1", "procedure": "paper1"})["run"]
    assert (paper1["min_measure_s"], paper1["warmup"]) == (0.0, "scenario")
    assert plan({"profile": "paper1", "procedure": "paper1", "min_measure_s": "0"})[
        "run"]["min_measure_s"] == 0.0
    assert plan({"profile": "paper1"})["run"]["warmup"] == "measured"
    assert plan({"profile": "paper1", "warmup": "scenario"})["run"]["warmup"] == "scenario"
    assert plan({"profile": "paper1", "procedure": "paper1", "warmup": "measured"})[
        "run"]["warmup"] == "measured"
    # the floor lengthens the estimate of the scenarios measured for less
    off = plan({"profile": "paper2", "min_measure_s": "0"})["run"]["round_estimate_s"]
    assert plan({"profile": "paper2"})["run"]["round_estimate_s"] > off


@pytest.mark.parametrize(("options", "message"), [
    ({"design": "fast"}, "Unknown design 'fast'. Valid designs: rounds, shuffled."),
    ({"profile": "smoke", "control": "django_drf-daphne"},
     "Unknown control 'django_drf-daphne': the control is one of the run's variants. Valid "
     "controls: none, fastapi_sqlite3-uvicorn."),
    ({"profile": "smoke", "control": "x-y"}, "Unknown control 'x-y': the control is one of "
                                             "the run's variants. Valid controls: none, "
                                             "fastapi_sqlite3-uvicorn."),
    ({"profile": "smoke", "design": "shuffled", "control": "fastapi_sqlite3-uvicorn"},
     "control=fastapi_sqlite3-uvicorn needs design=rounds (the A/A control runs once in every "
     "round); got design=shuffled. Use design=rounds or control=none."),
    ({"profile": "paper1", "procedure": "paper1", "control": "django_drf-gunicorn_gthread"},
     "control=django_drf-gunicorn_gthread needs design=rounds"),
    ({"budget": "1h30"}, "Bad budget '1h30': give a duration such as 90s, 60m, 1h or 1h30m, or "
                         "plain seconds (0 or empty: no budget)."),
    ({"budget": "1.5h"}, "Bad budget '1.5h'"), ({"budget": "-60"}, "Bad budget '-60'"),
    ({"budget": "soon"}, "Bad budget 'soon'"),
    ({"design": "shuffled", "budget": "1h"}, "budget=1h needs design=rounds (the budget decides "
                                             "how many rounds run); got design=shuffled."),
    ({"profile": "smoke", "budget": "10s"},
     "budget=10s (10 s) is shorter than one round of this run (estimated 16 s: every variant x "
     "scenario once); give a budget of at least 48s (3 rounds), or fewer variants or "
     "scenarios."),
    ({"profile": "smoke", "budget": "40"},
     "budget=40 (40 s) holds 2 round(s) of this run (estimated 16 s each), fewer than the 3 it "
     "runs at least (the repetitions, at least 3); give a budget of at least 48s."),
    ({"profile": "smoke", "budget": "90s", "repetitions": "6"},
     "fewer than the 6 it runs at least"),
    ({"min_measure_s": "1"}, "Bad min_measure_s '1': a number of seconds >= 2 (the measured "
                             "phase's floor), or 0 to switch the floor off."),
    ({"min_measure_s": "-2"}, "Bad min_measure_s '-2'"),
    ({"min_measure_s": "lots"}, "Bad min_measure_s 'lots'"),
    ({"min_measure_s": "1e3"}, "Bad min_measure_s '1e3'"),
    ({"warmup": "cold"}, "Unknown warmup 'cold'. Valid warmups: measured, scenario."),
    ({"profile": "paper1", "procedure": "paper1", "min_measure_s": "5"},
     "procedure=paper1 keeps the paper's scenarios as they are: min_measure_s must be 0 or "
     "unset (got '5')."),
])
def test_a_bad_design_option_is_one_line(options: dict[str, Any], message: str):
    test_a_bad_option_is_one_line(options, message)


def test_the_command_refuses_a_bad_design_option_in_one_line(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([str(REPO / ".venv/bin/python"), "-m", "controller", "plan"],
                          input=json.dumps(request({"profile": "smoke", "budget": "10s"})),
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: budget=10s (10 s) is shorter than one round")
    assert done.stderr.count("\n") == 1

"""A bad option or inventory stops bench.yml in preflight, before any host is touched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


def bench(*args: str, inventory: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(PLAYBOOK), "bench.yml", *args]
    if inventory is not None:
        command += ["-i", str(inventory)]
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, check=False)


def assert_stopped_in_preflight(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-3000:]
    # bench_plan and its dependency fwbench (the shared settings) run on the controller only
    touched = [line for line in result.stdout.splitlines()
               if line.startswith("TASK [") and not line.startswith(("TASK [bench_plan",
                                                                     "TASK [fwbench :"))]
    assert not touched, f"tasks ran after a failed preflight: {touched}"


@pytest.mark.parametrize(("option", "message"), [
    ("profile=fastest", "Unknown profile 'fastest'. Valid profiles: smoke, quick"),
    ("variants=flask_sqlite3-uvicorn", "Unknown variant(s): flask_sqlite3-uvicorn. Valid"),
    ("scenarios=p1_hello,p3_nothing", "Unknown scenario(s): p3_nothing. Valid scenarios:"),
    ("repetitions=0x", "repetitions must be an integer 1-9999"),
    ("scale=2", "scale a number in"),
    ("run_id=../escape", "run_id letters, digits"),
    ("versions=2019", "Unknown version set '2019'. Valid version sets: current, paper."),
    ("procedure=fast", "Unknown procedure 'fast'. Valid procedures: isolated, paper1."),
    ("database=mysql", "Unknown database 'mysql'. Valid databases: sqlite, postgresql."),
])
def test_bad_option_stops_before_any_host(option: str, message: str):
    assert_stopped_in_preflight(bench("-e", option), message)


def test_procedure_paper1_refuses_scenarios_paper1_has_not():
    result = bench("-e", "procedure=paper1", "-e", "scenarios=p1_get,p2_get_constant")
    assert_stopped_in_preflight(result, "these are not among them: p2_get_constant")


def test_a_capacity_scenario_refuses_several_client_hosts():
    result = bench("-e", "scenarios=capacity_hello", "-e", "lab_clients=2")
    assert_stopped_in_preflight(result, "A capacity scenario (capacity_hello) runs from one client")


def test_inventory_without_a_client_stops_before_any_host(tmp_path: Path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n    servers:\n      hosts:\n"
                         "        only: {ansible_host: 192.0.2.1}\n")
    result = bench(inventory=inventory)
    assert_stopped_in_preflight(result, "needs exactly one host in group 'servers' and at least")


def test_postgresql_without_a_database_host_stops_before_any_host(tmp_path: Path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  children:\n"
                         "    servers: {hosts: {server: {ansible_host: 192.0.2.1}}}\n"
                         "    clients: {hosts: {client: {ansible_host: 192.0.2.2}}}\n")
    result = bench("-e", "database=postgresql", inventory=inventory)
    assert_stopped_in_preflight(result, "database=postgresql needs exactly one host in the "
                                        "inventory group 'databases'")
    assert "Add the PostgreSQL host to the group 'databases'" in result.stdout


def test_lab_clients_keep_clear_of_the_database_address(tmp_path: Path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    lab:\n      children:\n"
        "        servers: {hosts: {server: {ansible_host: 198.18.0.10}}}\n"
        "        clients: {hosts: {client: {ansible_host: 198.18.0.11}}}\n"
        "        databases: {hosts: {db: {ansible_host: 198.18.0.13}}}\n")
    result = bench("-e", "lab_clients=4", inventory=inventory)
    assert_stopped_in_preflight(result, "but 198.18.0.13 is taken by another host")


def test_lab_host_outside_the_benchmark_range_stops_the_lab_play(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("the lab's own checks run after its root check")
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  children:\n    lab:\n      children:\n"
        "        servers: {hosts: {server: {ansible_host: 10.1.2.3}}}\n"
        "        clients: {hosts: {client: {ansible_host: 198.18.0.11}}}\n")
    result = bench(inventory=inventory)
    assert result.returncode != 0
    assert "lab hosts need an address in 198.18.0.2-254" in result.stdout, result.stdout[-3000:]
    recap = [line for line in result.stdout.splitlines() if line.startswith("localhost ")]
    assert recap and "changed=0 " in recap[-1], f"the lab was touched: {recap}"
    assert "TASK [lab : Install" not in result.stdout

"""Scenario files and `python -m client run` / `scenarios`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from client import scenarios
from runfiles.requests_csv import read_rows

REPO = Path(__file__).resolve().parents[2]
SUMMARY_KEYS = {"variant", "stack", "server", "scenario", "rep", "method", "path", "model", "rate",
                "concurrency", "iterations", "duration_s", "requests", "errors", "error_classes",
                "achieved_rps", "started_ns", "ended_ns", "latency_ms", "client_cpu_pct",
                "warnings", "status", "engine", "scale", "client_host", "client_versions"}
CAPACITY = {"capacity_hello", "capacity_get", "capacity_hello_ladder"}
REQUIRED = {"smoke_hello", "smoke_get", "p2_get_constant", "p2_post_constant", "p2_get_rate200",
            "p2_post_rate200", "p2_get_concurrent", "p2_post_concurrent", "p1_hello", "p1_echo",
            "p1_list", "p1_get", "p1_create", "p1_update", "p1_delete"}


def cli(*args: str) -> tuple[dict, subprocess.CompletedProcess]:
    proc = subprocess.run([sys.executable, "-m", "client", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=90, env=dict(os.environ, PYTHONPATH=str(REPO)))
    lines = proc.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines and proc.returncode == 0 else {}), proc


def test_every_required_scenario_file_exists_and_validates():
    assert set(scenarios.names()) >= REQUIRED
    for name in scenarios.names():
        sc = scenarios.load(name)
        if sc.capacity is not None:  # its load is set per step; the request is a valid LoadPlan
            sc.measure.template("http://127.0.0.1:1", 0)
        else:
            sc.measure.plan("http://127.0.0.1:1", None, 0)  # builds a valid LoadPlan


def test_smoke_scenarios_keep_the_shape_the_lab_smoke_test_relies_on():
    hello = scenarios.load("smoke_hello").measure.spec
    get = scenarios.load("smoke_get").measure.spec
    assert (hello["path"], hello["concurrency"], hello["duration_s"]) == ("/hello", 50, 3)
    assert (get["path"], get["rate"], get["iterations"]) == ("/get", 200, 1000)


def test_paper_scenarios_follow_the_papers():
    c = scenarios.load("p2_post_constant").measure.spec
    assert (c["engine"], c["iterations"], c["pause_s"], c["body"]) == \
        ("requests", 1000, 0.005, {"key": "value"})
    r = scenarios.load("p2_get_rate200").measure.spec
    assert (r["rate"], r["iterations"]) == (200, 1000)
    p1 = scenarios.load("p1_update")
    assert p1.writes and p1.pause_s == 5
    first = p1.warmup[0].spec
    assert (first["concurrency"], first["duration_s"]) == (20, 10)
    assert p1.warmup[1].spec["path"] == "/items/"
    d = scenarios.load("p1_delete").measure.spec
    assert (d["concurrency"], d["iterations"], d["ids"]["mode"]) == (1, 100, "sequential")
    assert not scenarios.load("p1_get").writes and scenarios.load("p1_create").writes


def test_ids_are_reproducible_from_the_seed_and_distinct_for_delete():
    get = scenarios.load("p1_get").measure
    a = get.plan("http://h", None, seed=1).variants
    assert a == get.plan("http://h", None, seed=1).variants
    assert a != get.plan("http://h", None, seed=2).variants
    ids = [int(p.rsplit("/", 1)[1]) for p, _ in a]
    assert len(ids) == 1000 and min(ids) >= 1 and max(ids) <= 1500
    dele = scenarios.load("p1_delete").measure.plan("http://h", None, 0).variants
    assert [p for p, _ in dele] == [f"/items/{i}" for i in range(1, 101)]
    upd = scenarios.load("p1_update").measure.plan("http://h", None, 0).variants
    path, body = upd[0]
    item = json.loads(body)
    assert item["name"] == f"fwbench item {path.rsplit('/', 1)[1]} updated"
    assert {"name", "description", "price"} <= item.keys()


def test_scale_shortens_but_never_below_one_second_or_one_iteration():
    sc = scenarios.load("p1_hello").scaled(0.01)
    assert sc.measure.spec["duration_s"] == 1.0
    assert sc.warmup[0].spec["duration_s"] == 1.0 and sc.warmup[1].spec["iterations"] == 1
    assert sc.pause_s == pytest.approx(0.05)
    assert scenarios.load("p1_get").scaled(0.5).measure.spec["iterations"] == 500
    assert scenarios.load("p1_delete").scaled(0.001).measure.spec["iterations"] == 1
    with pytest.raises(scenarios.ScenarioError):
        scenarios.load("p1_get").scaled(1.5)


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("writes"), "missing keys"),
    (lambda d: d["measure"].pop("ids"), "'ids' is required"),
    (lambda d: d["measure"].update(rate=10), "exactly one of rate"),
    (lambda d: d.update(writes=False), "writes"),
    (lambda d: d["measure"].update(iterations=0), "iterations"),
])
def test_invalid_scenarios_are_rejected(mutate, message):
    data = json.loads((scenarios.SCENARIO_DIR / "p1_update.json").read_text())
    mutate(data)
    with pytest.raises(scenarios.ScenarioError, match=message):
        scenarios.validate(data, "p1_update")


def test_scenarios_command_lists_names_and_parameters():
    out, proc = cli("scenarios")
    assert proc.returncode == 0
    by_name = {s["name"]: s for s in out["scenarios"]}
    assert by_name.keys() >= REQUIRED | CAPACITY
    assert by_name["smoke_get"]["model"] == "open" and by_name["smoke_get"]["rate"] == 200
    for name in CAPACITY:  # a capacity scenario is expected to take its time budget
        s = by_name[name]
        assert s["kind"] == "capacity" and s["expected_s"] == s["capacity"]["time_budget_s"]
    assert by_name["capacity_hello_ladder"]["model"] == "closed"
    scaled, _ = cli("scenarios", "--scale", "0.1")
    cap = {s["name"]: s for s in scaled["scenarios"]}["capacity_hello"]["capacity"]
    assert (cap["step_duration_s"], cap["cost_duration_s"], cap["time_budget_s"]) == \
        (1.0, 1.0, 12.0)


def _capacity_data() -> dict:
    return json.loads((scenarios.SCENARIO_DIR / "capacity_get.json").read_text())


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["measure"]["capacity"].pop("mode"), "mode must be 'open'"),
    (lambda d: d["measure"]["capacity"].pop("slo_p99_ms"), r"missing keys \['slo_p99_ms'\]"),
    (lambda d: d["measure"]["capacity"].update(levels=[1, 2]), "levels is for mode 'closed'"),
    (lambda d: d["measure"]["capacity"].update(mode="closed"), "for mode 'open' only"),
    (lambda d: d["measure"]["capacity"].update(step_duration_s=-1), "step_duration_s must be"),
    (lambda d: d["measure"]["capacity"].update(start_rate=900, max_rate=100),
     "start_rate 900 > max_rate 100"),
    (lambda d: d["measure"]["capacity"].update(cost_rate=10, cost_duration_s=None),
     "cost_duration_s must be a number"),
    (lambda d: d["measure"]["capacity"].pop("cost_duration_s"), "go together"),
    (lambda d: d["measure"]["capacity"].update(burst=3), r"unknown keys \['burst'\]"),
    (lambda d: d["measure"].update(rate=10), "sets its load in 'capacity'"),
    (lambda d: d["measure"].update(engine="requests"), "fast engine"),
    (lambda d: d["measure"]["ids"].update(mode="sequential"), "random ids"),
    (lambda d: d["measure"].pop("ids"), "'ids' is required"),
    (lambda d: d["warmup"].append(d["measure"]), "only in the measured step"),
])
def test_invalid_capacity_scenarios_are_rejected(mutate, message):
    data = _capacity_data()
    mutate(data)
    with pytest.raises(scenarios.ScenarioError, match=message):
        scenarios.validate(data, "capacity_get")


def test_capacity_scenarios_scale_their_durations_and_keep_their_request():
    sc = scenarios.load("capacity_get").scaled(0.2)
    cap = sc.capacity
    assert (cap.step_duration_s, cap.cost_duration_s, cap.time_budget_s) == (1.0, 2.0, 24.0)
    assert (cap.slo_p99_ms, cap.start_rate, cap.cost_rate) == (50.0, 50.0, 50.0)
    assert sc.expected_s() == 24.0
    plan = sc.measure.template("http://h", 7)
    ids = [int(p.rsplit("/", 1)[1]) for p, _ in plan.variants]
    assert all(1 <= i <= 1500 for i in ids) and plan.timeout_s == 5.0
    ladder = scenarios.load("capacity_hello_ladder").capacity
    assert ladder.mode == "closed" and ladder.levels == (1, 2, 4, 8, 16, 32, 64, 128, 256)


def test_unknown_scenario_exits_2_and_lists_the_valid_ones(tmp_path):
    _, proc = cli("run", "--scenario", "nope", "--base-url", "http://127.0.0.1:1",
                  "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "smoke_hello" in proc.stderr and "p1_get" in proc.stderr


def test_run_writes_a_cell_folder_with_the_contract_summary(client_fresh_server, tmp_path):
    out = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "smoke_hello", "--base-url", client_fresh_server.url,
                        "--out", str(out), "--scale", "0.34", "--label", "variant=v1",
                        "--label", "stack=s", "--label", "server=srv", "--label", "rep=2",
                        "--label", "extra=x")
    assert proc.returncode == 0, proc.stderr
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk == summary
    assert summary.keys() >= SUMMARY_KEYS
    assert (summary["variant"], summary["stack"], summary["server"], summary["rep"]) == \
        ("v1", "s", "srv", 2)
    assert summary["labels"]["extra"] == "x"
    assert summary["model"] == "closed" and summary["concurrency"] == 50
    assert summary["duration_s"] == 1.02 and summary["status"] in ("ok", "degraded")
    assert set(summary["latency_ms"]) == {"mean", "p50", "p90", "p99", "p999", "max"}
    assert set(summary["client_versions"]) >= {"python", "uvloop", "requests"}
    rows = list(read_rows(out / "requests.csv"))
    assert len(rows) == summary["requests"] == client_fresh_server.counts()["/hello"]


def test_run_executes_warmup_unrecorded_then_measures(client_fresh_server, tmp_path):
    out = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "p1_delete", "--base-url", client_fresh_server.url,
                        "--out", str(out), "--scale", "0.1")
    assert proc.returncode == 0, proc.stderr
    counts = client_fresh_server.counts()
    assert counts["/hello"] > 0 and counts["/items/"] == 1  # warm-up happened...
    rows = list(read_rows(out / "requests.csv"))
    assert len(rows) == summary["requests"] == 10  # ...but only the measured step is recorded
    assert all(counts[f"/items/{i}"] == 1 for i in range(1, 11))  # distinct ids
    assert summary["writes"] is True and summary["path"] == "/items/{id}"


def test_add_warmup_gives_a_cold_scenario_an_unrecorded_warmup(client_fresh_server, tmp_path):
    out = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "p2_get_rate200", "--base-url",
                        client_fresh_server.url, "--out", str(out), "--scale", "0.1",
                        "--add-warmup")
    assert proc.returncode == 0, proc.stderr
    assert summary["warmup_added"] is True and len(summary["warmup"]) == 1
    assert summary["requests"] == 100  # the warm-up's 100 requests are not recorded
    assert client_fresh_server.counts()["/get"] == 200
    own = scenarios.load("p1_create")  # has its own warm-up: kept as it is
    assert own.with_warmup() is own


def test_skip_warmup_runs_only_the_measured_step(client_fresh_server, tmp_path):
    out = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "p1_delete", "--base-url", client_fresh_server.url,
                        "--out", str(out), "--scale", "0.1", "--skip-warmup")
    assert proc.returncode == 0, proc.stderr
    counts = client_fresh_server.counts()
    assert "/hello" not in counts and "/items/" not in counts  # no warm-up request at all
    assert summary["warmup_skipped"] is True and summary["warmup"] == []
    assert summary["warmup_pause_s"] == 0 and summary["requests"] == 10
    _, both = cli("run", "--scenario", "p1_delete", "--base-url", client_fresh_server.url,
                  "--out", str(tmp_path / "other"), "--skip-warmup", "--add-warmup")
    assert both.returncode == 2 and "exclude each other" in both.stderr
    assert "Traceback" not in both.stderr

"""`client run --min-measure-s` (the floor of the measured phase, client/measure.py) and
`--warmup measured` (client/warmup.py). Real traffic goes only to the local test server of
conftest.py (127.0.0.1), which remembers deletes: a second DELETE of an id gets 404."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from client import scenarios, warmup
from client.measure import block_plan, plan_floor
from client.plan import LoadPlan
from client.scenarios import Step
from runfiles.figures import load_summary
from runfiles.requests_csv import Row, read_rows
from runfiles.run_result import combined, result_from_csv, result_from_rows
from runfiles.stats import latency_stats_ms

REPO = Path(__file__).resolve().parents[2]
URL = "http://127.0.0.1:1"

# Runs the CLI with client.scenarios.SCENARIO_DIR pointed at a test folder (argv[1]).
_WRAPPER = ("import sys; from pathlib import Path; import client.scenarios as s; "
            "s.SCENARIO_DIR = Path(sys.argv[1]); from client.cli import main; "
            "sys.exit(main(sys.argv[2:]))")


def _scenario(folder: Path, name: str, measure: dict, warmup_steps: list | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "description": "test", "source": "test",
            "writes": measure["method"] in ("POST", "PUT", "DELETE"),
            "warmup": warmup_steps or [], "pause_s": 0, "measure": measure}
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def run(*args: str, scen_dir: Path | None = None) -> tuple[dict, subprocess.CompletedProcess]:
    cmd = [sys.executable, "-c", _WRAPPER, str(scen_dir)] if scen_dir else \
        [sys.executable, "-m", "client"]
    proc = subprocess.run([*cmd, "run", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=90, env=dict(os.environ, PYTHONPATH=str(REPO)))
    lines = proc.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines and proc.returncode == 0 else {}), proc


def _ids(counts: dict[str, int], method: str) -> dict[int, int]:
    """``{id: requests}`` of ``METHOD /items/ID`` in the server's per-method counts."""
    prefix = f"{method} /items/"
    return {int(k[len(prefix):]): n for k, n in counts.items()
            if k.startswith(prefix) and k[len(prefix):].isdigit()}


# ---- the floor, pure ----------------------------------------------------------------------------
def test_time_based_steps_are_stretched_and_run_once():
    hello = plan_floor(scenarios.load("p1_hello").measure, 42.0)
    assert (hello.step.spec["duration_s"], hello.max_blocks) == (42.0, 1)
    assert plan_floor(scenarios.load("p1_hello").measure, 3.0).step.spec["duration_s"] == 10
    rate = plan_floor(scenarios.load("p2_get_rate200").measure, 7.0)  # 1,000 at 200/s = 5 s
    plan = rate.step.plan(URL, None, 0)
    assert plan.iterations == 7 * 200 + 1 and (plan.iterations - 1) / plan.rate >= 7.0
    assert not rate.repeats and rate.limit is None
    off = plan_floor(scenarios.load("p1_get").measure, 0.0)
    assert off.step == scenarios.load("p1_get").measure and not off.repeats


def test_iteration_steps_repeat_and_sequential_ids_limit_the_blocks():
    assert plan_floor(scenarios.load("p1_create").measure, 5.0).max_blocks is None
    dele = plan_floor(scenarios.load("p1_delete").measure, 5.0)
    assert dele.max_blocks == 15 and "1..1500" in dele.limit  # 1,500 seeded rows, 100 a block
    no_max = Step({**scenarios.load("p1_delete").measure.spec,
                   "ids": {"mode": "sequential", "start": 1}})
    cold = plan_floor(no_max, 5.0)
    assert cold.max_blocks == 1 and not cold.repeats and "without ids.max" in cold.limit


def test_a_block_continues_ids_names_and_seq_where_the_last_one_stopped():
    dele = scenarios.load("p1_delete").measure
    first = block_plan(dele, 0, URL, None, 7, None, None)
    assert first == dele.plan(URL, None, 7) and first.variants == dele.plan(URL, None, 7).variants
    third = block_plan(dele, 2, URL, None, 7, None, None)
    assert [p for p, _ in third.variants] == [f"/items/{i}" for i in range(201, 301)]
    assert third.seq_start == 200
    create = scenarios.load("p1_create").measure
    names = [json.loads(b)["name"] for _, b in block_plan(create, 1, URL, None, 0, None,
                                                          None).variants]
    assert names[0] == "fwbench item 1000" and names[-1] == "fwbench item 1999"
    get = scenarios.load("p1_get").measure
    assert block_plan(get, 1, URL, None, 0, None, None).variants != get.plan(URL, None, 0).variants


def test_invalid_ids_max_is_rejected():
    data = json.loads((scenarios.SCENARIO_DIR / "p1_delete.json").read_text())
    data["measure"]["ids"]["max"] = 50
    with pytest.raises(scenarios.ScenarioError, match=r"ids\.max 50 is below the last id"):
        scenarios.validate(data, "p1_delete")


def test_blocks_combine_into_the_result_of_all_their_rows():
    a = [Row(0, 0, 100, 110, 200, 200, 2, ""), Row(1, 0, 150, 160, 900, 0, 0, "timeout")]
    b = [Row(2, 1, 1000, 1001, 1050, 404, 0, "http_4xx"), Row(3, 1, 1100, 1105, 1200, 200, 2, "")]
    both = combined([result_from_rows(a, "open"), result_from_rows(b, "open")])
    assert both == result_from_rows(a + b, "open")
    assert (both.requests, both.errors, both.censored, both.sent) == (4, 2, 1, 4)


# ---- the measured warm-up, pure ------------------------------------------------------------------
def test_measured_warmup_sends_the_measured_request_on_the_measured_load():
    scen = warmup.measured_warmup(scenarios.load("p1_update"))
    hello, endpoint = (w.spec for w in scen.warmup)
    assert (hello["method"], hello["path"], hello["iterations"]) == ("GET", "/hello", 50)
    m = scen.measure.spec
    assert (endpoint["method"], endpoint["path"], endpoint["body"], endpoint["ids"]) == \
        (m["method"], m["path"], m["body"], m["ids"])
    assert (endpoint["concurrency"], endpoint["duration_s"], endpoint["min_requests"]) == \
        (10, 1.0, 100)
    assert scen.pause_s == warmup.PAUSE_S
    rate = warmup.measured_warmup(scenarios.load("p2_get_rate200").scaled(0.1), 0.1)
    spec = rate.warmup[1].spec
    assert (spec["rate"], spec["iterations"], spec["path"]) == (200, 200, "/get")
    assert rate.pause_s == pytest.approx(0.1)
    create = warmup.measured_warmup(scenarios.load("p1_create")).warmup[1]
    assert json.loads(create.plan(URL, None, 0).variants[0][1])["name"] == \
        f"fwbench item {warmup.SEQ_OFFSET}"  # never a measured item's name
    cap = scenarios.load("capacity_hello")
    assert warmup.measured_warmup(cap) is cap


def test_measured_warmup_of_a_delete_uses_ids_the_measured_phase_never_reaches():
    scen = warmup.measured_warmup(scenarios.load("p1_delete"))
    spec = scen.warmup[1].spec
    assert (spec["method"], spec["iterations"]) == ("DELETE", 100)
    ids = [int(p.rsplit("/", 1)[1]) for p, _ in scen.warmup[1].plan(URL, None, 0).variants]
    assert ids == list(range(1401, 1501))
    assert scen.measure.spec["ids"]["max"] == 1400
    assert plan_floor(scen.measure, 60).max_blocks == 14
    tight = Step({**scenarios.load("p1_delete").measure.spec,
                  "ids": {"mode": "sequential", "start": 1, "max": 150}})
    base = scenarios.load("p1_delete")
    fallback = warmup.measured_warmup(scenarios.Scenario("t", base.data, (), tight, 0.0))
    spec = fallback.warmup[1].spec
    assert (spec["method"], spec["ids"]) == ("GET", {"mode": "random", "min": 1, "max": 100})
    assert fallback.measure == tight


def test_top_up_sends_what_a_short_duration_missed():
    plan = LoadPlan(base_url=URL, method="GET", path="/x", concurrency=8, duration_s=1.0)
    more = warmup.top_up(plan, 95, 100)
    assert (more.iterations, more.duration_s, more.concurrency) == (5, None, 5)
    assert warmup.top_up(plan, 100, 100) is None and warmup.top_up(plan, 0, 0) is None


# ---- over loopback ---------------------------------------------------------------------------
def test_a_short_pattern_repeats_until_the_floor(client_fresh_server, tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_get", {"method": "GET", "path": "/items/{id}", "concurrency": 2,
                              "iterations": 20, "ids": {"mode": "random", "min": 1, "max": 50}})
    out = tmp_path / "cell"
    summary, proc = run("--scenario", "t_get", "--base-url", client_fresh_server.url, "--out",
                        str(out), "--min-measure-s", "0.4", scen_dir=scen)
    assert proc.returncode == 0, proc.stderr
    blocks = summary["measure_blocks"]
    assert blocks > 1 and summary["measured_s"] >= 0.4 and summary["min_measure_s"] == 0.4
    assert summary["min_measure_note"] is None and summary["warmup_mode"] == "scenario"
    assert summary["iterations"] == 20 and summary["requests"] == 20 * blocks
    # the patterns after the first run together on one set of connections, not one set each
    assert summary["connections_opened"] <= 2 * 2 * 2, summary["connections_opened"]
    rows = list(read_rows(out / "requests.csv"))
    assert sorted(r.seq for r in rows) == list(range(20 * blocks))  # seq continues
    assert sum(_ids(client_fresh_server.counts(by_method=True), "GET").values()) == 20 * blocks
    # one measured phase: the figures are those of the whole file
    again = result_from_csv(out / "requests.csv", "closed")
    assert summary["latency_ms"] == latency_stats_ms(again.latencies_ns)
    recomputed = load_summary(again, None, summary["client_cpu_pct"], {}, 10.0)
    for key in ("requests", "errors", "started_ns", "ended_ns", "attempted_rps"):
        assert summary[key] == recomputed[key]


def test_a_repeated_delete_never_deletes_an_id_twice(client_fresh_server, tmp_path):
    out = tmp_path / "cell"
    summary, proc = run("--scenario", "p1_delete", "--base-url", client_fresh_server.url,
                        "--out", str(out), "--scale", "0.1", "--min-measure-s", "0.3",
                        "--warmup", "measured")
    assert proc.returncode == 0, proc.stderr
    blocks = summary["measure_blocks"]
    assert blocks > 1 and summary["errors"] == 0 and summary["status"] == "ok"
    assert summary["requests"] == 10 * blocks and summary["warmup_mode"] == "measured"
    deleted = _ids(client_fresh_server.counts(by_method=True), "DELETE")
    assert set(deleted.values()) == {1}
    assert sorted(deleted) == list(range(1, 10 * blocks + 1)) + list(range(1401, 1501))
    # the server does refuse a second delete: the test above could fail
    import requests

    assert requests.delete(client_fresh_server.url + "/items/1", timeout=5).status_code == 404


def test_a_delete_stops_short_of_the_floor_when_its_ids_run_out(client_fresh_server, tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_del", {"method": "DELETE", "path": "/items/{id}", "concurrency": 2,
                              "iterations": 10, "ids": {"mode": "sequential", "start": 1,
                                                        "max": 35}})
    summary, proc = run("--scenario", "t_del", "--base-url", client_fresh_server.url, "--out",
                        str(tmp_path / "cell"), "--min-measure-s", "30", scen_dir=scen)
    assert proc.returncode == 0, proc.stderr
    assert (summary["measure_blocks"], summary["requests"], summary["errors"]) == (3, 30, 0)
    assert summary["measured_s"] < 30
    assert "not reached" in summary["min_measure_note"] and "ids.max" in summary["min_measure_note"]
    assert sorted(_ids(client_fresh_server.counts(by_method=True), "DELETE")) == \
        list(range(1, 31))


def test_a_duration_is_raised_to_the_floor(client_fresh_server, tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_dur", {"method": "POST", "path": "/post", "body": {"key": "value"},
                              "concurrency": 2, "duration_s": 0.1})
    summary, proc = run("--scenario", "t_dur", "--base-url", client_fresh_server.url, "--out",
                        str(tmp_path / "cell"), "--min-measure-s", "0.4", scen_dir=scen)
    assert proc.returncode == 0, proc.stderr
    assert (summary["duration_s"], summary["measure_blocks"]) == (0.4, 1)
    assert summary["measured_s"] >= 0.4 and summary["measured_duration_s"] >= 0.39
    assert summary["requests"] == client_fresh_server.counts()["/post"]


def test_measured_warmup_hits_the_measured_path_and_not_the_scenarios_warmup(client_fresh_server,
                                                                             tmp_path):
    out = tmp_path / "cell"
    summary, proc = run("--scenario", "p1_get", "--base-url", client_fresh_server.url, "--out",
                        str(out), "--scale", "0.1", "--warmup", "measured", "--add-warmup")
    assert proc.returncode == 0, proc.stderr
    assert summary["warmup_mode"] == "measured" and summary["warmup_added"] is False
    hello, endpoint = summary["warmup"]
    assert (hello["path"], hello["requests"]) == ("/hello", 50)
    assert (endpoint["method"], endpoint["path"], endpoint["model"]) == ("GET", "/items/{id}",
                                                                         "closed")
    assert (endpoint["concurrency"], endpoint["duration_s"]) == (10, 1.0)
    assert endpoint["requests"] >= 100
    counts = client_fresh_server.counts(by_method=True)
    assert "GET /items/" not in counts  # the scenario's own warm-up (list reads) did not run
    assert counts["GET /hello"] == 50
    gets = sum(_ids(counts, "GET").values())
    assert gets == summary["requests"] + endpoint["requests"] and summary["requests"] == 100
    assert len(list(read_rows(out / "requests.csv"))) == 100  # the warm-up is not recorded


def test_skip_warmup_skips_the_measured_warmup_too(client_fresh_server, tmp_path):
    summary, proc = run("--scenario", "p1_get", "--base-url", client_fresh_server.url, "--out",
                        str(tmp_path / "cell"), "--scale", "0.1", "--warmup", "measured",
                        "--skip-warmup")
    assert proc.returncode == 0, proc.stderr
    assert (summary["warmup_mode"], summary["warmup"], summary["warmup_pause_s"]) == \
        ("none", [], 0)
    assert sum(client_fresh_server.counts().values()) == summary["requests"] == 100


def test_a_capacity_scenario_ignores_the_floor_and_keeps_its_warmup(client_fresh_server,
                                                                    tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_cap", {"method": "GET", "path": "/hello", "capacity": {
        "mode": "closed", "levels": [1], "step_duration_s": 0.3, "time_budget_s": 1}})
    summary, proc = run("--scenario", "t_cap", "--base-url", client_fresh_server.url, "--out",
                        str(tmp_path / "cell"), "--min-measure-s", "5", "--warmup", "measured",
                        scen_dir=scen)
    assert proc.returncode == 0, proc.stderr
    assert summary["kind"] == "capacity" and summary["warmup_mode"] == "scenario"
    assert (summary["measure_blocks"], summary["measured_s"]) == (None, None)
    assert "does not apply to a capacity scenario" in summary["min_measure_note"]

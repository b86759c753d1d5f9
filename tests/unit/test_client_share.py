"""`run --share I/K` (several client hosts share one cell's load) and `python -m controller merge`
(their folders → one cell). Real traffic goes only to the local test server of conftest.py
(127.0.0.1); merge's bad usage is in test_controller_merge.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from client import cli
from client.plan import IdSpec, LoadPlan
from client.share import Share, split
from controller import cli as controller_cli
from runfiles.constants import PERCENTILES
from runfiles.requests_csv import read_rows
from runfiles.run_result import result_from_csv
from runfiles.stats import latency_stats_ms

# Asserts wall-clock timing: `make unit` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]

# Runs the CLI with client.scenarios.SCENARIO_DIR pointed at a test folder (argv[1]).
_WRAPPER = ("import sys; from pathlib import Path; import client.scenarios as s; "
            "s.SCENARIO_DIR = Path(sys.argv[1]); from client.cli import main; "
            "sys.exit(main(sys.argv[2:]))")


def _scenario(folder: Path, name: str, measure: dict, warmup: list | None = None,
              pause_s: float = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "description": "test", "source": "test", "writes": False,
            "warmup": warmup or [], "pause_s": pause_s, "measure": measure}
    if measure["method"] == "DELETE":
        data["writes"] = True
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def _start(scen_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WRAPPER, str(scen_dir), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def _shares(scen_dir: Path, tmp: Path, scenario: str, k: int, url: str, *extra: str
            ) -> list[dict]:
    """Run the K shares of one cell at the same time (like K client hosts)."""
    procs = [_start(scen_dir, "run", "--scenario", scenario, "--base-url", url,
                    "--out", str(tmp / f"share{i}"), "--share", f"{i}/{k}",
                    "--label", "variant=v", "--label", "rep=1", *extra)
             for i in range(1, k + 1)]
    return [_finish(p) for p in procs]


# ---- how a step is split (no traffic) ----------------------------------------------------------
def test_share_parsing_and_round_robin_counts():
    assert Share.parse("2/3") == Share(2, 3) and str(Share(2, 3)) == "2/3"
    for bad in ("0/2", "3/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError):
            Share.parse(bad)
    assert [split(10, 3, i) for i in range(3)] == [4, 3, 3]
    assert [split(16, 3, i) for i in range(3)] == [6, 5, 5]
    assert [split(2, 3, i) for i in range(3)] == [1, 1, 0]
    assert cli.main(["run", "--scenario", "smoke_get", "--base-url", "http://127.0.0.1:1",
                     "--out", "/nonexistent/never-written", "--share", "3/2"]) == 2


def test_open_loop_shares_interleave_the_global_schedule():
    plan = LoadPlan(base_url="http://127.0.0.1:1", method="GET", path="/x", rate=300.0,
                    duration_s=1.0)
    parts = [Share(i, 3).apply(plan) for i in (1, 2, 3)]
    assert all(p is not None for p in parts)
    assert [p.total for p in parts] == [100, 100, 100]
    assert [p.rate for p in parts] == [100.0, 100.0, 100.0]
    assert all(p.duration_s == 1.0 and p.schedule_period_ns == plan.schedule_period_ns
               for p in parts)
    seqs = sorted(p.global_seq(i) for p in parts for i in range(p.total or 0))
    assert seqs == list(range(300))
    assert Share(1, 1).apply(plan) is plan


def test_closed_loop_shares_split_connections_iterations_and_sequential_ids():
    plan = LoadPlan(base_url="http://127.0.0.1:1", method="DELETE", path="/items/{id}",
                    ids=IdSpec("sequential", 1, 0), concurrency=16, iterations=10)
    parts = [Share(i, 3).apply(plan) for i in (1, 2, 3)]
    assert [(p.concurrency, p.iterations) for p in parts] == [(6, 4), (5, 3), (5, 3)]
    paths = [[p.variants[p.global_seq(i) % len(p.variants)][0] for i in range(p.iterations)]
             for p in parts]
    flat = [x for ps in paths for x in ps]
    assert len(set(flat)) == len(flat) == 10
    assert sorted(flat) == sorted(f"/items/{i}" for i in range(1, 11))
    # fewer connections than shares: only the first C shares run, the step is split between them
    one = LoadPlan(base_url="http://127.0.0.1:1", method="DELETE", path="/items/{id}",
                   ids=IdSpec("sequential", 1, 0), concurrency=1, iterations=100)
    a, b = Share(1, 2).apply(one), Share(2, 2).apply(one)
    assert b is None and a is not None and (a.concurrency, a.iterations, a.seq_step) == (1, 100, 1)


def test_random_ids_are_independent_streams_per_share():
    plan = LoadPlan(base_url="http://127.0.0.1:1", method="GET", path="/items/{id}",
                    ids=IdSpec("random", 1, 1500), concurrency=4, iterations=200, seed=7)
    a, b = Share(1, 2).apply(plan), Share(2, 2).apply(plan)
    assert a is not None and b is not None
    assert a.variants != b.variants != plan.variants
    assert a.variants == Share(1, 2).apply(plan).variants  # reproducible


# ---- real runs against the local server ---------------------------------------------------------
def test_two_open_loop_shares_send_exactly_the_unsharded_schedule_and_merge(
        client_fresh_server, tmp_path):
    scen = tmp_path / "scen"
    # a warm-up too: the measured steps of both shares must still start together
    _scenario(scen, "t_open", {"method": "GET", "path": "/get", "rate": 200, "iterations": 201},
              warmup=[{"method": "GET", "path": "/hello", "concurrency": 2, "duration_s": 0.2}])
    start_at = time.time_ns() + 1_000_000_000
    s1, s2 = _shares(scen, tmp_path, "t_open", 2, client_fresh_server.url,
                     "--start-at", str(start_at))
    assert (s1["share"], s2["share"]) == ("1/2", "2/2")
    assert (s1["rate"], s2["rate"], s1["requests"], s2["requests"]) == (100.0, 100.0, 101, 100)
    assert s1["share_step"]["rate"] == 200 and s1["share_step"]["iterations"] == 201
    measure_at = s1["measure_start_at_ns"]
    assert measure_at == s2["measure_start_at_ns"] and measure_at > start_at
    rows = [r for i in (1, 2) for r in read_rows(tmp_path / f"share{i}" / "requests.csv")]
    assert sorted(r.seq for r in rows) == list(range(201))
    # same t0 (the wall-clock start) in both processes: the union is the 200 req/s schedule
    assert sorted(r.scheduled_ns for r in rows) == [measure_at + int(g * 5e6) for g in range(201)]
    assert client_fresh_server.counts()["/get"] == 201

    out = tmp_path / "merged"
    proc = subprocess.run([sys.executable, "-m", "controller", "merge", "--out", str(out),
                           str(tmp_path / "share2"), str(tmp_path / "share1")], cwd=REPO,
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(proc.stdout.strip().splitlines()[-1])
    assert merged == json.loads((out / "summary.json").read_text())
    mrows = list(read_rows(out / "requests.csv"))
    assert len(mrows) == merged["requests"] == 201 and merged["errors"] == 0
    assert [r.seq for r in mrows] == list(range(201))  # ordered by schedule
    w1 = {r.worker for r in mrows if r.seq % 2 == 0}
    w2 = {r.worker for r in mrows if r.seq % 2 == 1}
    assert w1 and w2 and not w1 & w2  # worker ids unique across clients
    assert (merged["clients"], merged["rate"], merged["iterations"]) == (2, 200, 201)
    assert merged["model"] == "open" and "share" not in merged
    assert merged["client_cpu_pct"] == max(s1["client_cpu_pct"], s2["client_cpu_pct"])
    assert merged["client_cpu_pct_shares"] == [s1["client_cpu_pct"], s2["client_cpu_pct"]]
    # the figures are those of the merged CSV (same code as `run`) and agree with numpy
    again = result_from_csv(out / "requests.csv")
    assert merged["latency_ms"] == latency_stats_ms(again.latencies_ns)
    lat = np.array([r.done_ns - r.scheduled_ns for r in mrows], dtype=np.int64)
    for key, p in PERCENTILES.items():
        if p > 99 and len(lat) < 10_000:  # p99.9 needs 10,000 samples
            assert merged["latency_ms"][key] is None
            continue
        assert merged["latency_ms"][key] == pytest.approx(np.percentile(lat, p) / 1e6, abs=1e-4)
    assert merged["started_ns"] == measure_at
    for s in (s1, s2):
        for w in s["warnings"]:
            assert f"share {s['share']}: {w}" in merged["warnings"]
    assert merged["status"] in ("ok", "degraded")


def test_closed_loop_shares_split_connections_and_shared_iterations(client_fresh_server,
                                                                     tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_closed", {"method": "GET", "path": "/get", "concurrency": 16,
                                 "iterations": 10})
    parts = _shares(scen, tmp_path, "t_closed", 3, client_fresh_server.url)
    assert [(s["concurrency"], s["iterations"], s["requests"]) for s in parts] == \
        [(6, 4, 4), (5, 3, 3), (5, 3, 3)]
    seqs = sorted(r.seq for i in (1, 2, 3) for r in read_rows(tmp_path / f"share{i}" /
                                                              "requests.csv"))
    assert seqs == list(range(10))
    assert client_fresh_server.counts()["/get"] == 10


def test_sequential_delete_ids_are_disjoint_and_cover_the_list(client_fresh_server, tmp_path):
    scen = tmp_path / "scen"
    _scenario(scen, "t_delete", {"method": "DELETE", "path": "/items/{id}", "concurrency": 3,
                                 "iterations": 10, "ids": {"mode": "sequential", "start": 5}})
    parts = _shares(scen, tmp_path, "t_delete", 3, client_fresh_server.url)
    assert [s["requests"] for s in parts] == [4, 3, 3] and all(s["errors"] == 0 for s in parts)
    counts = client_fresh_server.counts()
    assert {p: n for p, n in counts.items() if p.startswith("/items/")} == \
        {f"/items/{i}": 1 for i in range(5, 15)}


def test_a_share_without_a_connection_runs_nothing_and_merges_cleanly(client_fresh_server,
                                                                       tmp_path, capsys):
    scen = tmp_path / "scen"
    _scenario(scen, "t_one", {"method": "GET", "path": "/get", "concurrency": 1,
                              "iterations": 5})
    s1, s2 = _shares(scen, tmp_path, "t_one", 2, client_fresh_server.url)
    assert (s1["requests"], s1["iterations"], s2["requests"], s2["concurrency"]) == (5, 5, 0, 0)
    assert s2["share_idle"] and not s1["share_idle"]
    assert controller_cli.main(["merge", "--out", str(tmp_path / "m"), str(tmp_path / "share1"),
                                str(tmp_path / "share2")]) == 0
    merged = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (merged["requests"], merged["concurrency"], merged["iterations"]) == (5, 1, 5)
    assert not any(w.startswith("share 2/2") for w in merged["warnings"])
    assert client_fresh_server.counts()["/get"] == 5

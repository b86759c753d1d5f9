"""Capacity: the pure search, the client-bound rule, `python -m client sweep` against a server of
known capacity, `ladder`, and capacity scenarios through `client run`. Real traffic goes only to
local test servers on 127.0.0.1 (tests/unit/capacity_server.py and conftest.py's)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client.capacity import CapacitySpec, step_record
from client.plan import LoadPlan
from client.search import CLIENT, FAIL, PASS, RESOLUTION, search
from client.sweep import StepRun, Sweep, judge, run_open
from runfiles import validity
from runfiles.columns import STEP_FIELDS
from runfiles.requests_csv import read_rows
from runfiles.run_result import RunResult
from runfiles.summary_json import summary_problems

# Asserts wall-clock timing: `make unit` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]
CAPACITY_SERVER = Path(__file__).with_name("capacity_server.py")
LIMITS = {"server", "client", "max_rate", "time_budget", "none_passed"}


def cli(*args: str, timeout: float = 120) -> tuple[dict, subprocess.CompletedProcess]:
    proc = subprocess.run([sys.executable, "-m", "client", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=str(REPO)),
                          stdin=subprocess.DEVNULL)
    lines = proc.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines and proc.returncode == 0 else {}), proc


@pytest.fixture(scope="module")
def capacity_server():
    """The server of known capacity: 10 ms of serial blocking work per request (≤ 100 req/s)."""
    proc = subprocess.Popen([sys.executable, str(CAPACITY_SERVER)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(5)


# ---- the pure search ------------------------------------------------------------------------
def threshold(capacity: float, calls: list[tuple[float, str]] | None = None):
    def oracle(rate: float, phase: str) -> str:
        if calls is not None:
            calls.append((rate, phase))
        return PASS if rate <= capacity else FAIL
    return oracle


@pytest.mark.parametrize("capacity", [60.0, 97.3, 100.0, 333.0, 1234.5, 4999.0])
def test_search_brackets_a_threshold_within_the_resolution(capacity):
    calls: list[tuple[float, str]] = []
    b = search(threshold(capacity, calls), start=50, max_rate=10_000)
    assert b.limited_by == "server"
    assert b.passed <= capacity < b.failed
    assert b.failed <= b.passed * (1 + RESOLUTION)
    assert [p.rate for p in b.probes] == [r for r, _ in calls]  # every step asked, in order
    grow = [r for r, phase in calls if phase == "grow"]
    assert grow == [50 * 2 ** i for i in range(len(grow))]  # geometric growth ×2
    assert all(phase == "bisect" for _, phase in calls[len(grow):])
    assert len(calls) <= len(grow) + 5  # halving a ×2 bracket to 5% takes at most 5 steps


def test_search_stops_when_the_first_rate_fails():
    b = search(threshold(10), start=50, max_rate=1000)
    assert (b.passed, b.failed, b.limited_by, len(b.probes)) == (None, 50, "none_passed", 1)


def test_search_caps_the_growth_at_max_rate_and_stops_when_it_passes():
    b = search(threshold(1e9), start=50, max_rate=300)
    assert [p.rate for p in b.probes] == [50, 100, 200, 300]
    assert (b.passed, b.failed, b.limited_by) == (300, None, "max_rate")
    b = search(threshold(250), start=50, max_rate=300)  # max_rate fails: bisect below it
    assert b.limited_by == "server" and b.passed <= 250 < b.failed <= 300


def test_search_stops_at_a_step_the_client_limited_and_keeps_the_last_pass():
    def oracle(rate: float, phase: str) -> str:
        return CLIENT if rate >= 400 else PASS

    b = search(oracle, start=50, max_rate=10_000)
    assert (b.passed, b.failed, b.limited_by) == (200, None, "client")
    assert b.probes[-1].rate == 400 and b.probes[-1].verdict == CLIENT

    def bisect_client(rate: float, phase: str) -> str:
        if phase == "bisect" and rate > 80:
            return CLIENT
        return PASS if rate <= 90 else FAIL

    b = search(bisect_client, start=50, max_rate=10_000)
    assert (b.passed, b.failed, b.limited_by) == (75, 100, "client")


def test_search_stops_when_the_time_budget_refuses_the_next_step():
    asked: list[float] = []

    def may_run(rate: float) -> bool:
        asked.append(rate)
        return len(asked) <= 3

    b = search(threshold(97), start=50, max_rate=10_000, may_run=may_run)
    assert b.limited_by == "time_budget" and len(b.probes) == 3
    assert (b.passed, b.failed) == (75, 100)  # 50 pass, 100 fail, 75 pass, then no time
    b = search(threshold(97), start=50, max_rate=10_000, may_run=lambda rate: False)
    assert (b.passed, b.failed, b.limited_by, b.probes) == (None, None, "time_budget", ())


def test_search_refuses_nonsense():
    with pytest.raises(ValueError):
        search(threshold(1), start=100, max_rate=50)
    with pytest.raises(ValueError):
        search(threshold(1), start=0, max_rate=50)
    with pytest.raises(ValueError, match="oracle said"):
        search(lambda rate, phase: "maybe", start=1, max_rate=50)


# ---- the client-bound rule ------------------------------------------------------------------
def _open_result(rate: float, n: int, latency_ms: float, lateness_ms: float,
                 late_every: int = 1) -> RunResult:
    """n requests at ``rate``: every ``late_every``-th leaves ``lateness_ms`` late, each is
    answered ``latency_ms`` after it was sent."""
    res = RunResult(model="open")
    t0 = 1_000_000_000_000
    for i in range(n):
        sched = t0 + int(i * 1e9 / rate)
        sent = sched + (int(lateness_ms * 1e6) if i % late_every == 0 else 100_000)
        res.add(sched, sent, sent + int(latency_ms * 1e6), "")
    return res


def _judged(res: RunResult, rate: float, slo: float = 50.0, cpu: float = 5.0,
            limit_hits: int = 0) -> tuple[str, str]:
    plan = LoadPlan(base_url="http://h", method="GET", path="/", rate=rate, iterations=res.requests)
    rec = step_record(0, "grow", res, rate, None, 0, 1, cpu)
    ex = type("Ex", (), {"result": res,
                         "facts": type("F", (), {"limit_hits": limit_hits})()})()
    return judge(StepRun(plan, ex, rec), CapacitySpec(slo_p99_ms=slo))  # type: ignore[arg-type]


def test_a_step_with_large_send_lateness_is_the_clients_not_the_servers():
    late = _open_result(100, 300, latency_ms=2, lateness_ms=40, late_every=10)
    verdict, reason = _judged(late, 100)
    assert verdict == CLIENT and reason.startswith("client late: send lateness p99")
    # the same lateness with p99 breaking the objective only because of it: still the client's
    late = _open_result(100, 300, latency_ms=20, lateness_ms=40, late_every=10)
    assert _judged(late, 100)[0] == CLIENT
    # a server that breaks the objective on its own time is failed, lateness or not
    slow = _open_result(100, 300, latency_ms=120, lateness_ms=40, late_every=10)
    verdict, reason = _judged(slow, 100)
    assert verdict == FAIL and "even without the client's lateness" in reason
    # lateness from waiting for a free connection is the server's (it held them all)
    verdict, _ = _judged(late, 100, limit_hits=30)
    assert verdict == FAIL
    # a client at a full core is never trusted, whatever the figures
    assert _judged(slow, 100, cpu=97)[0] == CLIENT
    # on time, fast and complete: a pass; slow: a server failure with its reasons
    assert _judged(_open_result(100, 300, 2, 0.1), 100) == (PASS, "")
    verdict, reason = _judged(_open_result(100, 300, 80, 0.1), 100)
    assert verdict == FAIL and reason.startswith("p99 80.1 ms > 50 ms")


def test_client_late_bound_follows_the_objective():
    assert validity.client_late_bound_ms(50) == 10.0
    assert validity.client_late_bound_ms(5) == validity.LATENESS_P99_WARN_MS
    assert validity.capacity_failures(10, 50, 0.0, 0.001, 98.0, 100) == \
        ["goodput 98.0 req/s < 99% of 100 req/s"]
    assert validity.capacity_failures(10, 50, 0.002, 0.001, 100.0, 100) == \
        ["error rate 0.0020 > 0.001"]


class _Scripted(Sweep):
    """A sweep whose steps answer from a script instead of the network."""

    def __init__(self, verdicts: dict[float, list[str]], budget: float = 60) -> None:
        template = LoadPlan(base_url="http://127.0.0.1:9", method="GET", path="/", concurrency=1,
                            iterations=1)
        super().__init__(template, CapacitySpec(slo_p99_ms=50, time_budget_s=budget),
                         log=lambda line: None)
        self.verdicts = verdicts

    def baseline(self) -> None:
        pass

    def open_step(self, rate: float, phase: str, duration_s: float) -> str:
        verdict = self.verdicts[rate].pop(0) if rate in self.verdicts else \
            (PASS if rate <= 100 else FAIL)
        rec = {k: None for k in STEP_FIELDS}
        rec.update(index=len(self.runs), phase=phase, offered_rps=rate, passed=verdict == PASS,
                   reason="" if verdict == PASS else f"{verdict} at {rate:g}")
        self.runs.append(StepRun(None, None, rec))  # type: ignore[arg-type]
        return verdict


def test_the_sweep_repeats_a_client_late_step_once_then_stops_on_the_client():
    sw = _Scripted({200.0: [CLIENT, CLIENT]})
    out = run_open(sw)
    assert out.limited_by == "client" and out.max_rate_rps == 100
    assert [s["offered_rps"] for s in out.steps] == [50, 100, 200, 200]
    assert "repeated once" in out.steps[2]["reason"]
    assert "could not send 200 req/s on schedule" in out.limit_note
    assert "at least 100 req/s" in out.limit_note and out.warnings
    # a passing hiccup: the repeat decides
    out = run_open(_Scripted({200.0: [CLIENT, FAIL]}))
    assert out.limited_by == "server" and 100 <= out.max_rate_rps < 105
    assert out.warnings == []


# ---- the sweep against a server of known capacity -----------------------------------------
def test_sweep_finds_the_capacity_of_a_100_req_s_server(capacity_server):
    started = time.monotonic()
    out, proc = cli("sweep", "--url", f"{capacity_server}/hello", "--slo-p99-ms", "50")
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert wall < 90, f"took {wall:.0f} s"
    # near capacity a busy shared host can make the client late: the search then stops on the
    # client, and what it reports must still be the server's (a passing rate, in range)
    assert out["limited_by"] in ("server", "client"), out["limit_note"]
    assert 80 <= out["max_rate_rps"] <= 105, out["limit_note"]
    assert out["slo_p99_ms"] == 50 and out["limit_note"]
    steps = out["steps"]
    assert [s["index"] for s in steps] == list(range(len(steps)))
    for s in steps:
        assert list(s) == list(STEP_FIELDS)
        assert s["concurrency"] is None and s["send_lateness_p99_ms"] is not None
        assert s["phase"] in ("grow", "bisect") and s["start_ns"] < s["end_ns"]
        assert s["requests"] >= 200  # enough for a p99
    passed = [s["offered_rps"] for s in steps if s["passed"]]
    assert max(passed) == out["max_rate_rps"]
    assert all(s["reason"] for s in steps if not s["passed"])


@pytest.mark.parametrize(("args", "says"), [
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "-5"), "must be > 0"),
    (("sweep", "--url", "ftp://x/", "--slo-p99-ms", "50"), "--url must be http://"),
    (("sweep", "--url", "https://127.0.0.1:9/", "--slo-p99-ms", "50"), "plain http:// only"),
    (("sweep", "--url", "http://127.0.0.1:9/"), "--slo-p99-ms"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "50", "--start-rate", "500",
      "--max-rate", "100"), "--start-rate 500 is above --max-rate 100"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "50", "--step-duration", "0"),
     "must be > 0"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "50", "--time-budget", "2"),
     "no room for the first step"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "50", "--max-error-rate", "2"),
     "between 0 and 1"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "x"), "not a number"),
    (("sweep", "--url", "http://127.0.0.1:9/", "--slo-p99-ms", "50", "--body", "{no"),
     "--body is not valid JSON"),
    (("ladder", "--url", "http://127.0.0.1:9/", "--levels", "4,2"), "must be increasing"),
    (("ladder", "--url", "http://127.0.0.1:9/", "--levels", "1,x"), "not a number"),
    (("ladder", "--url", "http://127.0.0.1:9/", "--levels", "0,2"), "must be > 0"),
    (("ladder", "--url", "http://127.0.0.1:0/"), "port 0 is not a port"),
])
def test_bad_sweep_and_ladder_options_get_one_line_and_exit_2(args, says):
    _, proc = cli(*args, timeout=30)
    assert proc.returncode == 2, proc.stdout[-300:]
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and says in lines[-1], proc.stderr
    assert sum("error:" in line for line in lines) == 1, proc.stderr
    assert proc.stdout == ""


def test_sweep_of_a_server_that_refuses_completes_with_none_passed(client_free_port):
    out, proc = cli("sweep", "--url", f"http://127.0.0.1:{client_free_port}/",
                    "--slo-p99-ms", "50", "--step-duration", "1", "--start-rate", "200")
    assert proc.returncode == 0, proc.stderr
    assert (out["max_rate_rps"], out["limited_by"]) == (None, "none_passed")
    assert "error rate 1.0000 > 0.001" in out["limit_note"]
    assert out["steps"][0]["errors"] == out["steps"][0]["requests"] == 200


# ---- the closed-loop ladder -----------------------------------------------------------------
def test_ladder_reports_goodput_and_p99_at_each_level(client_server):
    out, proc = cli("ladder", "--url", f"{client_server.url}/hello", "--levels", "1,4,16",
                    "--step-duration", "1")
    assert proc.returncode == 0, proc.stderr
    assert (out["mode"], out["limited_by"], out["max_rate_rps"]) == ("closed", "levels", None)
    steps = out["steps"]
    assert [s["concurrency"] for s in steps] == [1, 4, 16]
    for s in steps:
        assert list(s) == list(STEP_FIELDS) and s["phase"] == "ladder"
        assert s["offered_rps"] is None and s["passed"] is None
        assert s["send_lateness_p99_ms"] is None
        assert s["achieved_rps"] > 0 and s["p99_ms"] > 0 and s["errors"] == 0


def test_ladder_stops_at_the_first_level_over_the_error_threshold(client_server):
    out, proc = cli("ladder", "--url", f"{client_server.url}/status/503", "--levels", "1,2,4",
                    "--step-duration", "1")
    assert proc.returncode == 0, proc.stderr
    assert len(out["steps"]) == 1 and "the ladder stops here" in out["steps"][0]["reason"]
    assert out["limit_note"].startswith("stopped at 1 connection: error rate 1.0000")


# ---- capacity scenarios through `client run` ------------------------------------------------
def _check_capacity_cell(cell: Path, summary: dict) -> list[dict]:
    assert summary_problems(summary) == []
    assert json.loads((cell / "summary.json").read_text()) == summary
    assert summary["kind"] == "capacity"
    cap = summary["capacity"]
    assert set(cap) >= {"mode", "slo_p99_ms", "max_error_rate", "min_goodput_ratio",
                        "max_rate_rps", "limited_by", "limit_note", "cost_step_index", "steps"}
    assert cap["cost_step_index"] == 0 and cap["steps"][0]["phase"] == "cost"
    with (cell / "steps.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == STEP_FIELDS and len(rows) == len(cap["steps"])
    for row, step in zip(rows, cap["steps"], strict=True):
        assert int(row["requests"]) == step["requests"]
        assert row["passed"] == ("" if step["passed"] is None else str(step["passed"]).lower())
    requests = list(read_rows(cell / "requests.csv"))
    assert len(requests) == sum(s["requests"] for s in cap["steps"])
    for step in cap["steps"]:  # each step's rows are those in its window
        origin = "scheduled_ns" if step["offered_rps"] is not None else "sent_ns"
        mine = [r for r in requests if getattr(r, origin) is not None
                and step["start_ns"] <= getattr(r, origin) < step["end_ns"]]
        assert len(mine) == step["requests"]
        assert min(r.seq for r in mine) == 0  # seq restarts in every step
    return cap["steps"]


def test_capacity_scenario_writes_steps_and_a_capacity_summary(capacity_server, tmp_path):
    cell = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "capacity_hello", "--base-url", capacity_server,
                        "--out", str(cell), "--scale", "0.1", "--label", "variant=v",
                        "--label", "rep=1")
    assert proc.returncode == 0, proc.stderr
    steps = _check_capacity_cell(cell, summary)
    cap = summary["capacity"]
    assert cap["mode"] == "open" and cap["slo_p99_ms"] == 50 and cap["limited_by"] in LIMITS
    assert cap["min_goodput_ratio"] == 0.99 and cap["max_error_rate"] == 0.001
    cost = steps[0]
    assert (cost["offered_rps"], cost["requests"]) == (50, 50)  # 50 req/s × 10 s × 0.1
    if cap["max_rate_rps"] is not None:  # the summary's figures are the highest passing step's
        assert summary["rate"] == cap["max_rate_rps"] and summary["model"] == "open"
        best = max((s for s in steps[1:] if s["passed"]), key=lambda s: s["offered_rps"])
        assert summary["requests"] == best["requests"]
        assert summary["started_ns"] == best["start_ns"]
    else:
        assert summary["status"] == "failed"
    assert summary["scale"] == 0.1 and summary["scenario"] == "capacity_hello"


def test_capacity_ladder_scenario_through_run(client_server, tmp_path):
    cell = tmp_path / "cell"
    summary, proc = cli("run", "--scenario", "capacity_hello_ladder", "--base-url",
                        client_server.url, "--out", str(cell), "--scale", "0.05")
    assert proc.returncode == 0, proc.stderr
    steps = _check_capacity_cell(cell, summary)
    cap = summary["capacity"]
    assert (cap["mode"], cap["limited_by"], cap["max_rate_rps"]) == ("closed", "levels", None)
    ladder = steps[1:]
    assert ladder and [s["concurrency"] for s in ladder] == [1, 2, 4, 8][:len(ladder)]
    best = max(ladder, key=lambda s: s["achieved_rps"])
    assert summary["concurrency"] == best["concurrency"] and summary["model"] == "closed"
    assert summary["status"] in ("ok", "degraded")


def test_capacity_scenario_refuses_share_and_the_requests_engine(tmp_path):
    for extra, says in ((("--share", "1/2"), "runs from one client host"),
                        (("--engine", "requests"), "fast engine only")):
        _, proc = cli("run", "--scenario", "capacity_hello", "--base-url", "http://127.0.0.1:9",
                      "--out", str(tmp_path / "c"), *extra, timeout=30)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert says in proc.stderr.strip().splitlines()[-1]

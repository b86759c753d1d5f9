"""`python -m client load` against the misbehaving local server of conftest.py."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from client.clock import Clock
from client.recorder import Recorder
from runfiles.columns import REQUEST_COLUMNS
from runfiles.figures import load_summary
from runfiles.requests_csv import RowSink, read_rows
from runfiles.run_result import RunResult, result_from_csv

# Asserts wall-clock timing: `make unit` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]

CONTRACT_KEYS = {"requests", "errors", "duration_s", "achieved_rps", "mean_ms", "p50_ms", "p90_ms",
                 "p99_ms", "max_ms", "client_cpu_pct", "warnings"}
ENGINES = ("fast", "requests")


def run_client(*args: str) -> tuple[dict, subprocess.CompletedProcess]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "client", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=90)
    lines = proc.stdout.strip().splitlines()
    return (json.loads(lines[-1]) if lines else {}), proc


def load(url: str, *args: str, csv: Path | None = None) -> dict:
    extra = ["--csv", str(csv)] if csv else []
    summary, proc = run_client("load", "--url", url, *args, *extra)
    assert proc.returncode == 0, proc.stderr
    return summary


def latencies_ms(rows: list, open_loop: bool) -> np.ndarray:
    return np.array([(r.done_ns - (r.scheduled_ns if open_loop else r.sent_ns)) / 1e6
                     for r in rows if not r.error])


def test_recorder_rows_and_figures_match_the_reference_accounting(tmp_path):
    # Recorder.record inlines RunResult.add: every (scheduled, sent, error) combination must give
    # the same rows and figures as the reference, and the CSV must rebuild them exactly.
    clock = Clock(offset=1_700_000_000_000_000_000)
    cases = [  # seq, worker, sched, sent, done, status, bytes, err (perf ns; -1: none)
        (0, 0, 1_000, 1_500, 9_000, 200, 28, ""), (1, 1, 2_000, 2_100, 3_000, 404, 0, "http_4xx"),
        (2, 2, 3_000, -1, 8_000, 0, 0, "timeout"), (3, 0, -1, 500, 7_000, 200, 5, ""),
        (4, 1, -1, 600, 6_500, 0, 0, "reset"), (5, 2, -1, -1, 9_500, 0, 0, "refused"),
        (6, 0, 4_000, 4_200, 12_000, 503, 7, "http_5xx")]
    for model, rows in (("open", [c for c in cases if c[2] >= 0 or c[3] < 0]),
                        ("closed", [c for c in cases if c[2] < 0])):
        path = tmp_path / f"{model}.csv"
        sink = RowSink(path)
        rec = Recorder(model, sink, clock, batched=False)
        ref = RunResult(model=model)
        for seq, worker, sched, sent, done, status, nbytes, err in rows:
            rec.record(seq, worker, sched, sent, done, status, nbytes, err)
            ref.add(clock.to_epoch(sched) if sched >= 0 else None,
                    clock.to_epoch(sent) if sent >= 0 else None, clock.to_epoch(done), err)
        sink.close()
        assert rec.result == ref
        assert result_from_csv(path, model) == ref
        got = [(r.seq, r.worker, r.scheduled_ns, r.sent_ns, r.done_ns, r.status, r.bytes, r.error)
               for r in read_rows(path)]

        def epoch(t: int) -> int | None:
            return clock.to_epoch(t) if t >= 0 else None

        assert got == [(seq, worker, epoch(sched), epoch(sent), epoch(done), status, nbytes, err)
                       for seq, worker, sched, sent, done, status, nbytes, err in rows]


def test_open_loop_latency_includes_a_server_stall_in_full(client_fresh_server, tmp_path):
    # 100 req/s for 1 s; the 20th request freezes the server for 300 ms. Requests scheduled during
    # the stall must carry the time they waited, measured from their scheduled send time.
    csv = tmp_path / "r.csv"
    s = load(client_fresh_server.url + "/stall?after=20&ms=300", "--rate", "100",
             "--iterations", "100", csv=csv)
    rows = sorted(read_rows(csv), key=lambda r: r.seq)
    assert s["requests"] == 100 and s["errors"] == 0
    lat = latencies_ms(rows, open_loop=True)
    assert lat.max() >= 280
    assert (lat > 100).sum() >= 15  # ~20 requests were scheduled in the first 200 ms of the stall
    assert s["max_ms"] >= 280 and s["p90_ms"] > 50
    # the client kept sending on schedule during the stall (more connections were opened)
    stalled = [r for r in rows if 25 <= r.seq <= 40]
    assert all(r.sent_ns < min(x.done_ns for x in stalled) for r in stalled)
    assert s["connections_opened"] > 1


def test_closed_loop_hides_the_same_stall_which_is_why_open_loop_exists(client_fresh_server,
                                                                        tmp_path):
    csv = tmp_path / "r.csv"
    load(client_fresh_server.url + "/stall?after=20&ms=300", "--concurrency", "1",
         "--iterations", "100", csv=csv)
    lat = latencies_ms(list(read_rows(csv)), open_loop=False)
    assert (lat > 100).sum() == 1  # coordinated omission: one slow sample, the rest never sent


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("path", "expected", "status"), [
    ("/hang", "timeout", 0),
    ("/reset", "reset", 0),
    ("/garbage", "protocol", 0),
    ("/status/404", "http_4xx", 404),
    ("/status/503", "http_5xx", 503),
])
def test_failures_are_classified_counted_and_never_throughput(client_server, tmp_path, engine,
                                                             path, expected, status):
    csv = tmp_path / "r.csv"
    s = load(client_server.url + path, "--concurrency", "2", "--iterations", "4",
             "--timeout", "0.3", "--engine", engine, csv=csv)
    rows = list(read_rows(csv))
    assert len(rows) == 4
    assert {r.error for r in rows} == {expected}
    assert {r.status for r in rows} == {status}
    assert s["errors"] == 4 and s["error_classes"] == {expected: 4}
    assert s["achieved_rps"] == 0.0 and s["attempted_rps"] > 0  # goodput: failures never count
    assert s["error_rate"] == 1.0
    assert s["status"] == "failed"
    assert any("failed" in w for w in s["warnings"])
    if expected == "timeout":
        # a timeout stays in latency at the time it was abandoned: a lower bound, censored
        assert all(r.done_ns - r.sent_ns >= 0.29e9 for r in rows)
        assert s["censored"] == 4 and s["latency_samples"] == 4
        assert s["p50_ms"] >= 290 and s["mean_ms"] >= 290
        assert any("lower bounds" in w for w in s["warnings"])
    else:  # any other failure is counted, never a latency sample
        assert s["mean_ms"] is None and s["p99_ms"] is None
        assert s["censored"] == 0 and s["latency_samples"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_refused_connections_are_classified(client_free_port, tmp_path, engine):
    csv = tmp_path / "r.csv"
    s = load(f"http://127.0.0.1:{client_free_port}/ok", "--concurrency", "1", "--iterations",
             "3", "--engine", engine, csv=csv)
    assert [r.error for r in read_rows(csv)] == ["refused"] * 3
    assert s["status"] == "failed"


def test_a_dead_server_scores_zero_goodput_in_a_closed_loop(client_free_port):
    # A closed loop retries a refused connection every few ms: hundreds of failures a second,
    # none of them throughput.
    s = load(f"http://127.0.0.1:{client_free_port}/hello", "--concurrency", "4", "--duration",
             "1")
    assert s["requests"] > 50 and s["errors"] == s["requests"]
    assert s["achieved_rps"] == 0.0
    assert s["attempted_rps"] > 50
    assert s["mean_ms"] is None and s["status"] == "failed"


def test_open_loop_timeouts_stay_in_latency_as_lower_bounds(client_fresh_server, tmp_path):
    # 200 req/s; the 40th request freezes the server for 0.8 s; timeout 0.5 s. The requests
    # scheduled in the freeze time out: they must raise the latency figures, not vanish from them.
    csv = tmp_path / "r.csv"
    s = load(client_fresh_server.url + "/stall?after=40&ms=800", "--rate", "200",
             "--iterations", "300", "--timeout", "0.5", csv=csv)
    rows = list(read_rows(csv))
    timeouts = [r for r in rows if r.error == "timeout"]
    assert len(timeouts) >= 0.03 * len(rows)
    assert s["censored"] == len(timeouts) and s["errors"] >= len(timeouts)
    assert s["status"] == "failed"  # error rate above 1%
    assert s["p99_ms"] >= 500  # the timed-out requests sit at or above their timeout
    ok = latencies_ms([r for r in rows if not r.error], open_loop=True)
    assert s["mean_ms"] > ok.mean()  # survivors alone would look better than the server was
    assert s["achieved_rps"] < s["attempted_rps"]


def test_closed_loop_stall_is_flagged(client_fresh_server, tmp_path):
    s = load(client_fresh_server.url + "/stall?after=50&ms=800", "--concurrency", "2",
             "--iterations", "400")
    assert s["errors"] == 0
    assert any(w.startswith("stall: no request completed") for w in s["warnings"]), s["warnings"]
    assert any(w.startswith("tail: max") for w in s["warnings"]), s["warnings"]
    assert s["status"] == "degraded"


def test_refused_connections_in_open_loop_fail_each_scheduled_request(client_free_port, tmp_path):
    csv = tmp_path / "r.csv"
    s = load(f"http://127.0.0.1:{client_free_port}/ok", "--rate", "100", "--iterations", "20",
             csv=csv)
    rows = list(read_rows(csv))
    assert len(rows) == 20 and {r.error for r in rows} == {"refused"}
    assert s["requests"] == 20


@pytest.mark.parametrize("engine", ENGINES)
def test_shared_iterations_send_exactly_n_requests_across_all_workers(client_fresh_server,
                                                                      tmp_path, engine):
    csv = tmp_path / "r.csv"
    s = load(client_fresh_server.url + "/ok", "--concurrency", "7", "--iterations", "300",
             "--engine", engine, csv=csv)
    rows = list(read_rows(csv))
    assert s["requests"] == 300 and len(rows) == 300
    assert sorted(r.seq for r in rows) == list(range(300))
    assert {r.worker for r in rows} == set(range(7))
    assert client_fresh_server.counts()["/ok"] == 300
    assert all(r.scheduled_ns is None for r in rows)  # closed loop: no schedule


def test_constant_vus_run_for_the_duration(client_server, tmp_path):
    csv = tmp_path / "r.csv"
    s = load(client_server.url + "/ok", "--concurrency", "4", "--duration", "1", csv=csv)
    rows = list(read_rows(csv))
    first = min(r.sent_ns for r in rows)
    assert 0.95 <= s["duration_s"] <= 1.5
    assert all(r.sent_ns - first < 1.0e9 for r in rows)  # nothing issued after the deadline
    assert s["requests"] > 100


@pytest.mark.parametrize("model", [("--concurrency", "3", "--iterations", "400"),
                                   ("--rate", "400", "--iterations", "400")])
def test_summary_figures_are_recomputed_exactly_from_the_csv(client_server, tmp_path, model):
    csv = tmp_path / "r.csv"
    url = client_server.url + "/ok"
    s = load(url, *model, csv=csv)
    res = result_from_csv(csv)
    again = load_summary(res, 400.0 if model[0] == "--rate" else None, s["client_cpu_pct"],
                         {"connection_limit": 0})
    for key in ("requests", "errors", "duration_s", "achieved_rps", "mean_ms", "p50_ms",
                "p90_ms", "p99_ms", "p999_ms", "max_ms", "started_ns", "ended_ns",
                "offered_rps", "lateness_ms"):
        assert again[key] == s[key], key
    # and the percentile definition is numpy's default
    rows = list(read_rows(csv))
    lat = latencies_ms(rows, open_loop=model[0] == "--rate")
    assert s["p99_ms"] == pytest.approx(np.percentile(lat, 99), abs=1e-3)
    assert s["mean_ms"] == pytest.approx(lat.mean(), abs=1e-3)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("path", "body_len"), [("/chunked", 12), ("/eof", 20), ("/close", 2)])
def test_chunked_close_delimited_and_connection_close_answers_succeed(client_server, tmp_path,
                                                                      engine, path, body_len):
    csv = tmp_path / "r.csv"
    s = load(client_server.url + path, "--concurrency", "2", "--iterations", "20",
             "--engine", engine, csv=csv)
    rows = list(read_rows(csv))
    assert s["errors"] == 0, s["warnings"]
    assert {r.bytes for r in rows} == {body_len}
    assert {r.status for r in rows} == {200}


def test_a_slow_body_counts_until_its_last_byte(client_server, tmp_path):
    s = load(client_server.url + "/slow?ms=150", "--concurrency", "2", "--iterations", "4")
    assert s["errors"] == 0 and s["p50_ms"] >= 145


def test_connection_limit_is_reported_and_queueing_counted_as_latency(client_server, tmp_path):
    s = load(client_server.url + "/slow?ms=200", "--rate", "100", "--iterations", "20",
             "--max-connections", "2")
    assert s["errors"] == 0
    assert any("connection limit 2" in w for w in s["warnings"])
    assert s["max_ms"] > 1000  # 20 requests through 2 connections at 200 ms each: ~2 s of queue
    assert s["status"] == "degraded"


def test_requests_engine_pause_spaces_requests_like_the_paper(client_server, tmp_path):
    csv = tmp_path / "r.csv"
    load(client_server.url + "/post", "--method", "POST", "--body", '{"key": "value"}',
         "--engine", "requests", "--concurrency", "1", "--iterations", "10", "--pause", "0.05",
         csv=csv)
    rows = sorted(read_rows(csv), key=lambda r: r.seq)
    gaps = [b.sent_ns - a.done_ns for a, b in itertools.pairwise(rows)]
    assert min(gaps) >= 0.049e9
    assert {r.bytes for r in rows} == {len(b'{"key": "value"}')}  # the body reached the server


def test_start_at_waits_for_the_wall_clock(client_server):
    start_at = time.time_ns() + 1_500_000_000
    s = load(client_server.url + "/ok", "--concurrency", "1", "--iterations", "5",
             "--start-at", str(start_at))
    assert s["started_ns"] >= start_at
    assert s["started_ns"] - start_at < 200_000_000


def test_last_stdout_line_is_the_contract_json_and_nothing_else_off_a_tty(client_server):
    summary, proc = run_client("load", "--url", client_server.url + "/ok", "--rate", "50",
                               "--iterations", "10")
    assert proc.returncode == 0
    assert len(proc.stdout.strip().splitlines()) == 1
    assert summary.keys() >= CONTRACT_KEYS
    assert isinstance(summary["warnings"], list)


@pytest.mark.parametrize("args", [
    ("--rate", "10", "--concurrency", "2", "--iterations", "1"),
    ("--rate", "10"),
    ("--rate", "-1", "--iterations", "1"),
    ("--concurrency", "1", "--iterations", "1", "--body", "{not json"),
])
def test_bad_usage_exits_2(client_server, args):
    _, proc = run_client("load", "--url", client_server.url + "/ok", *args)
    assert proc.returncode == 2


def test_sigkill_mid_run_leaves_every_written_row_parseable(client_fresh_server, tmp_path):
    csv = tmp_path / "r.csv"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "client", "load", "--url",
                             client_fresh_server.url + "/ok", "--rate", "1000", "--duration", "30",
                             "--csv", str(csv)], cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if csv.exists() and csv.stat().st_size > 300 * 60:
                break
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
    lines = csv.read_text().splitlines()
    assert lines[0] == ",".join(REQUEST_COLUMNS)
    for line in lines[1:]:  # every line on disk is a whole row
        fields = line.split(",")
        assert len(fields) == 8
        assert all(f.isdigit() for f in fields[:7])
    rows = list(read_rows(csv))
    assert len(rows) == len(lines) - 1 >= 300
    served = client_fresh_server.counts()["/ok"]
    # everything the server answered more than a moment before the kill is on disk
    assert served - len(rows) <= 50


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("connection", ["keep-alive", "new"])
def test_every_engine_counts_the_connections_it_opened(client_server, engine, connection):
    # paper 2's client calls requests.get() per iteration: a new connection each time
    s = load(client_server.url + "/ok", "--concurrency", "2", "--iterations", "40",
             "--engine", engine, "--connection", connection)
    assert s["requests"] == 40 and s["errors"] == 0, s["warnings"]
    assert s["connection"] == connection
    if connection == "new":
        assert s["connections_opened"] == 40
    else:
        assert 1 <= s["connections_opened"] <= 2

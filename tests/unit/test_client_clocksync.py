"""Clock offset between hosts (client/clocksync.py): the estimator on samples with a known
answer, and the TCP exchange on loopback (one clock, so the true offset is 0)."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from client import clocksync

# Asserts wall-clock timing: `make unit` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample(t0: int, offset: int, out_ns: int, back_ns: int) -> tuple[int, int, int]:
    """A ping sent at local t0 to a reference `offset` ahead, legs of out_ns and back_ns."""
    return t0, t0 + out_ns + offset, t0 + out_ns + back_ns


def test_symmetric_legs_give_the_exact_offset():
    est = clocksync.estimate([_sample(1_000, 5_000_000, 200_000, 200_000)])
    assert est.offset_ns == 5_000_000 and est.rtt_ns == 400_000 and est.bound_ns == 200_000


def test_the_shortest_round_trip_wins_and_the_error_stays_within_its_bound():
    offset = -3_250_000
    samples = [_sample(0, offset, 900_000, 100_000),  # queued on the way out: skewed
               _sample(10_000_000, offset, 60_000, 40_000),  # the best: skew 10 us
               _sample(20_000_000, offset, 100_000, 2_000_000)]
    est = clocksync.estimate(samples)
    assert est.rtt_ns == 100_000 and est.samples == 3
    assert est.offset_ns == offset + 10_000
    assert abs(est.offset_ns - offset) <= est.bound_ns
    assert est.rtt_median_ns == 1_000_000
    assert est.as_dict()["offset_ms"] == pytest.approx((offset + 10_000) / 1e6)


@pytest.mark.parametrize("samples", [[], [(10, 5, 9)]])
def test_bad_samples_are_refused(samples):
    with pytest.raises(ValueError):
        clocksync.estimate(samples)


def test_probe_against_serve_on_loopback_finds_no_offset():
    port = _free_port()
    served: list[int] = []
    server = threading.Thread(
        target=lambda: served.append(clocksync.serve("127.0.0.1", port, clients=2, seconds=20)))
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", _wait_listening(port))) as junk:
            junk.sendall(b"GET / HTTP/1.1\r\n\r\n")  # not a ping: dropped, not counted
            # Closed with the rest of the request unread, so a reset is as good as an EOF.
            with contextlib.suppress(ConnectionResetError):
                assert junk.recv(8) == b""
        first = clocksync.probe("127.0.0.1", port, count=32)
        second = clocksync.probe("127.0.0.1", port, count=8)
    finally:
        server.join(timeout=30)
    assert served == [2]
    for est in (first, second):
        assert 0 < est.rtt_ns <= est.rtt_median_ns
        assert abs(est.offset_ns) <= est.bound_ns + 50_000  # one clock: 0 within the bound
    assert (first.samples, second.samples) == (32, 8)


def _wait_listening(port: int) -> int:
    # Connects (and hangs up: not a probe either) until the reference listens.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                time.sleep(0.05)
                continue
        return port
    raise AssertionError("clock reference did not listen")


def test_serve_gives_up_after_its_time_limit():
    started = time.monotonic()
    assert clocksync.serve("127.0.0.1", _free_port(), clients=1, seconds=0.3) == 0
    assert time.monotonic() - started < 5


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "client", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, check=False)


def test_cli_probe_prints_json_and_a_missing_reference_is_an_error():
    port = _free_port()
    serve = subprocess.Popen([sys.executable, "-m", "client", "clock-serve", "--bind",
                              "127.0.0.1", "--port", str(port), "--seconds", "30"],
                             cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        probe = _cli("clock-probe", "--host", "127.0.0.1", "--port", str(port), "--count", "16")
        out = serve.communicate(timeout=30)[0]
    finally:
        if serve.poll() is None:
            serve.kill()
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout)
    assert result["samples"] == 16 and result["reference"] == f"127.0.0.1:{port}"
    assert abs(result["offset_ms"]) <= result["bound_ms"] + 0.05
    assert serve.returncode == 0 and json.loads(out) == {"served": 1, "clients": 1}

    refused = _cli("clock-probe", "--host", "127.0.0.1", "--port", str(_free_port()),
                   "--wait", "0.3")
    assert refused.returncode == 1 and "refused" in refused.stderr.lower()
    assert refused.stdout == ""

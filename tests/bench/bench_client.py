"""Benchmark the load client against wrk and nginx (``make bench-client``).

Starts Debian's nginx on 127.0.0.1 (temporary prefix and config, one worker pinned to CPU 0, a fixed
JSON answer) and, with the load generators pinned to CPU 1, prints:

* wrk vs the fast engine, 50 connections, alternating rounds: throughput and ratio (target >= 0.6);
* the requests engine's throughput (1 worker as in the papers, and 50 workers);
* open loop 200 req/s x 1000: achieved rate and send lateness p99;
* open loop 5000 req/s: achieved rate (target within 2%);
* the monitor's own CPU at 10 Hz (target <= 2% of a core).

Usage: python tests/bench/bench_client.py [--rounds 3] [--seconds 4]. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"
WRK = "/usr/bin/wrk"
BODY = '{"message": "Hello, World!"}'
NGINX_CONF = """worker_processes 1;
daemon on;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 60s;
  client_body_temp_path {prefix}/tmp;
  proxy_temp_path {prefix}/tmp;
  fastcgi_temp_path {prefix}/tmp;
  uwsgi_temp_path {prefix}/tmp;
  scgi_temp_path {prefix}/tmp;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
"""


def pin(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if (os.cpu_count() or 1) > 1 and shutil.which("taskset") \
        else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="fwbench-nginx-"))
        (self.prefix / "tmp").mkdir()
        self.port = free_port()
        conf = self.prefix / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.prefix, port=self.port, body=BODY))
        subprocess.run([*pin(0), NGINX, "-p", str(self.prefix), "-c", str(conf), "-e",
                        str(self.prefix / "error.log")], check=True)
        pidfile = self.prefix / "nginx.pid"
        for _ in range(50):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        self.pid = int(pidfile.read_text())
        self.url = f"http://127.0.0.1:{self.port}/hello"

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGQUIT)
            for _ in range(50):
                os.kill(self.pid, 0)
                time.sleep(0.05)
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shutil.rmtree(self.prefix, ignore_errors=True)


def client(*args: str, cpu: int = 1) -> dict[str, Any]:
    proc = subprocess.run([*pin(cpu), sys.executable, "-m", "client", *args], cwd=REPO,
                          capture_output=True, text=True, check=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wrk(url: str, seconds: float) -> float:
    out = subprocess.run([*pin(1), WRK, "-t1", "-c50", f"-d{seconds:g}s", url],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"cannot parse wrk output:\n{out}")
    return float(m.group(1))


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def monitor_cpu_pct(nginx_pid: int, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        mon = subprocess.Popen([sys.executable, "-m", "client", "monitor", "--csv",
                                f"{tmp}/m.csv", "--pid", str(nginx_pid), "--interval", "0.1"],
                               cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        time.sleep(1.0)  # past interpreter start-up
        c0, t0 = proc_cpu_s(mon.pid), time.monotonic()
        time.sleep(seconds)
        c1, t1 = proc_cpu_s(mon.pid), time.monotonic()
        mon.send_signal(signal.SIGTERM)
        mon.wait(10)
    return 100 * (c1 - c0) / (t1 - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    for tool in (NGINX, WRK):
        if not Path(tool).exists():
            print(f"missing {tool}", file=sys.stderr)
            return 2
    ngx = Nginx()
    results: dict[str, Any] = {"cpus": os.cpu_count(), "pinned": bool(pin(0))}
    try:
        wrk_rps: list[float] = []
        fast_rps: list[float] = []
        fast_cpu: list[float] = []
        print(f"nginx pid {ngx.pid} on {ngx.url}; load generators on CPU 1; "
              f"{args.rounds} alternating rounds of {args.seconds:g} s")
        print(f"{'round':>5} {'wrk req/s':>12} {'fast req/s':>12} {'ratio':>6} {'fast CPU%':>9}")
        for r in range(args.rounds):
            w = wrk(ngx.url, args.seconds)
            f = client("load", "--url", ngx.url, "--concurrency", "50", "--duration",
                       str(args.seconds))
            wrk_rps.append(w)
            fast_rps.append(f["achieved_rps"])
            fast_cpu.append(f["client_cpu_pct"])
            print(f"{r + 1:>5} {w:>12,.0f} {f['achieved_rps']:>12,.0f} "
                  f"{f['achieved_rps'] / w:>6.2f} {f['client_cpu_pct']:>9.0f}")
        ratio = statistics.median(fast_rps) / statistics.median(wrk_rps)
        print(f"{'median':>5} {statistics.median(wrk_rps):>12,.0f} "
              f"{statistics.median(fast_rps):>12,.0f} {ratio:>6.2f}   (target >= 0.60)")
        results.update(wrk_rps=wrk_rps, fast_rps=fast_rps, fast_cpu_pct=fast_cpu,
                       fast_vs_wrk=round(ratio, 3))

        for c in (1, 50):
            q = client("load", "--url", ngx.url, "--engine", "requests", "--concurrency", str(c),
                       "--duration", str(args.seconds))
            print(f"requests engine, {c:>2} worker(s): {q['achieved_rps']:>9,.0f} req/s, "
                  f"p50 {q['p50_ms']:.3f} ms, client CPU {q['client_cpu_pct']:.0f}%")
            results[f"requests_engine_c{c}_rps"] = q["achieved_rps"]

        o = client("load", "--url", ngx.url, "--rate", "200", "--iterations", "1000")
        print(f"open loop 200 req/s x 1000: achieved {o['achieved_rps']:.2f} req/s, offered "
              f"{o['offered_rps']:.2f}, lateness p50 {o['lateness_ms']['p50']:.3f} ms, "
              f"p99 {o['lateness_ms']['p99']:.3f} ms (warn > 2), max "
              f"{o['lateness_ms']['max']:.3f} ms, latency p99 {o['p99_ms']:.3f} ms")
        results["open200"] = {k: o[k] for k in ("achieved_rps", "offered_rps", "lateness_ms",
                                                 "p99_ms", "warnings")}

        h = client("load", "--url", ngx.url, "--rate", "5000", "--duration", str(args.seconds))
        within = abs(h["achieved_rps"] - 5000) / 5000
        print(f"open loop 5000 req/s x {args.seconds:g} s: achieved {h['achieved_rps']:,.1f} req/s "
              f"({100 * within:.2f}% off, target <= 2%), offered {h['offered_rps']:,.1f}, "
              f"lateness p99 {h['lateness_ms']['p99']:.3f} ms, client CPU "
              f"{h['client_cpu_pct']:.0f}%, connections {h['connections_opened']}")
        results["open5000"] = {k: h[k] for k in ("achieved_rps", "offered_rps", "lateness_ms",
                                                  "client_cpu_pct", "warnings")}

        m = monitor_cpu_pct(ngx.pid, 10.0)
        print(f"monitor at 10 Hz (nginx tree + host): {m:.2f}% of one core (target <= 2%)")
        results["monitor_cpu_pct"] = round(m, 2)
    finally:
        ngx.stop()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

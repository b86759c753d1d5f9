"""`python -m client monitor`: rows for a whole process tree and the host; stops on SIGTERM."""

from __future__ import annotations

import csv
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runfiles.columns import MONITOR_COLUMNS

# Asserts wall-clock timing: `make unit` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial

REPO = Path(__file__).resolve().parents[2]
CONTRACT = ("ts_ns", "scope", "pid", "name", "cpu_percent", "rss_bytes", "num_threads", "num_fds",
            "ctx_switches", "read_bytes", "write_bytes", "net_sent_bytes", "net_recv_bytes")

# A parent that starts a busy child and a sleeping grandchild.
TREE = """
import subprocess, sys, time
busy = "import time\\nt = time.time()\\nwhile time.time() - t < 30: pass"
sleeper = ("import subprocess, sys, time; "
           "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
           "time.sleep(30)")
a = subprocess.Popen([sys.executable, "-c", busy])
b = subprocess.Popen([sys.executable, "-c", sleeper])
print("ready", flush=True)
time.sleep(30)
"""


def test_monitor_samples_the_whole_process_tree_and_stops_on_sigterm(tmp_path):
    tree = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    out = tmp_path / "monitor.csv"
    try:
        assert tree.stdout is not None and tree.stdout.readline().strip() == "ready"
        time.sleep(0.3)  # let the grandchild start
        mon = subprocess.Popen([sys.executable, "-m", "client", "monitor", "--csv", str(out),
                                "--pid", str(tree.pid), "--interval", "0.1"], cwd=REPO,
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
        time.sleep(1.5)
        rows_before_stop = out.read_text().count("\n")  # flushed as it goes
        mon.send_signal(signal.SIGTERM)
        assert mon.wait(5) == 0
    finally:
        os.killpg(tree.pid, signal.SIGKILL)
        tree.wait(5)
    assert rows_before_stop > 10
    with out.open(newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == MONITOR_COLUMNS
        assert MONITOR_COLUMNS[:len(CONTRACT)] == CONTRACT
        rows = list(reader)
    hosts = [r for r in rows if r["scope"] == "host"]
    procs = [r for r in rows if r["scope"] == "process"]
    assert 10 <= len(hosts) <= 20  # ~1.5 s at 10 Hz
    ts = [int(r["ts_ns"]) for r in hosts]
    assert all(b > a for a, b in itertools.pairwise(ts))
    assert all(len(r["per_cpu_pct"].split()) == os.cpu_count() for r in hosts)
    pids = {r["pid"] for r in procs}
    assert len(pids) == 4  # parent, busy child, sleeper child, grandchild
    busy = max((float(r["cpu_percent"]) for r in procs if r["cpu_percent"]), default=0.0)
    assert busy > 30  # the busy child is seen burning CPU (shared CI hosts: not a full core)
    assert all(int(r["rss_bytes"]) > 0 for r in procs)


def test_monitor_stops_by_itself_after_max_seconds(tmp_path):
    out = tmp_path / "m.csv"
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "client", "monitor", "--csv", str(out),
                           "--max-seconds", "0.5"], cwd=REPO, timeout=10,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0 and time.monotonic() - t < 5
    lines = out.read_text().splitlines()
    assert 4 <= len(lines) - 1 <= 8 and all(",host," in line for line in lines[1:])

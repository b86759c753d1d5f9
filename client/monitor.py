"""``python -m client monitor``: sample a process tree and the host into a CSV (psutil).

Columns: ``MONITOR_COLUMNS`` (runfiles/columns.py): the contract of docs/results.md, then
``per_cpu_pct`` and ``mem_total_bytes``.

* ``scope=host``: one row per sample. ``cpu_percent`` is the whole host (0-100 % of all CPUs, the
  psutil/top "Cpu(s)" convention) and ``per_cpu_pct`` the per-core figures, space-separated, in core
  order; ``rss_bytes`` is memory in use (total - available), ``mem_total_bytes`` the total;
  ``ctx_switches`` host context switches; ``read_bytes``/``write_bytes`` all disks;
  ``net_*_bytes`` all interfaces. ``pid`` is empty, ``name`` the hostname.
* ``scope=process``: one row per process of the tree per sample. ``cpu_percent`` is % of ONE core
  (top's convention; 200 = two cores busy), over the interval since that process's previous
  sample (empty in its first sample); ``ctx_switches`` voluntary + involuntary; ``read_bytes``/
  ``write_bytes`` storage I/O (empty without permission); no per-process network counters.

Counters (ctx_switches, bytes) are cumulative since boot / process start: readers take differences.
Timestamps are ns since the Unix epoch on a monotonic clock anchored once (client/clock.py).

Which processes: ``--unit``: every process in the unit's cgroup (``cgroup.procs``, read every
sample, so replaced workers appear at once); without a readable cgroup, the unit's MainPID
(``systemctl show -p MainPID``) and its descendants, rediscovered once a second or as soon as a
known process disappears. ``--pid``/``--pidfile``: that process and its descendants, likewise.
Without a target, only host rows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType

import psutil

from client.clock import Clock, now
from client.constants import MONITOR_TREE_RESCAN_S
from runfiles.columns import MONITOR_COLUMNS


def _systemctl_show(unit: str, prop: str) -> str:
    try:
        out = subprocess.run(["systemctl", "show", "-p", prop, "--value", unit],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


class Target:
    """Finds the PIDs to sample."""

    def __init__(self, unit: str | None, pid: int | None, pidfile: str | None) -> None:
        self.unit = unit
        self.pid = pid
        self.pidfile = pidfile
        self.cgroup_procs: Path | None = None
        self._roots: list[int] = []
        self._tree: list[int] = []
        self._next_scan = 0.0
        self._resolve_cgroup()

    def _resolve_cgroup(self) -> None:
        """Find the unit's cgroup.procs; a unit started after the monitor is found on a rescan."""
        if not self.unit:
            return
        cg = _systemctl_show(self.unit, "ControlGroup")
        if cg:
            path = Path("/sys/fs/cgroup") / cg.lstrip("/") / "cgroup.procs"
            if path.exists():
                self.cgroup_procs = path

    @property
    def enabled(self) -> bool:
        return bool(self.unit or self.pid or self.pidfile)

    def _root(self) -> int | None:
        if self.pid:
            return self.pid
        if self.pidfile:
            try:
                return int(Path(self.pidfile).read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return None
        if self.unit:
            value = _systemctl_show(self.unit, "MainPID")
            return int(value) if value.isdigit() and value != "0" else None
        return None

    def pids(self, force_rescan: bool) -> list[int]:
        if not self.enabled:
            return []
        if self.cgroup_procs is not None:
            try:
                text = self.cgroup_procs.read_text()
            except OSError:
                text = ""
            pids = [int(x) for x in text.split()]
            if pids or self.cgroup_procs.exists():
                return pids
            self.cgroup_procs = None  # unit gone: fall back to MainPID discovery
        t = time.monotonic()
        if force_rescan or t >= self._next_scan:
            self._next_scan = t + MONITOR_TREE_RESCAN_S
            self._resolve_cgroup()
            if self.cgroup_procs is not None:
                return self.pids(force_rescan=False)
            root = self._root()
            tree: list[int] = []
            if root:
                try:
                    proc = psutil.Process(root)
                    tree = [root, *(c.pid for c in proc.children(recursive=True))]
                except psutil.Error:
                    tree = []
            self._tree = tree
        return self._tree


class Monitor:
    def __init__(self, csv_path: str, target: Target, interval: float) -> None:
        self.target = target
        self.interval = interval
        self.clock = Clock()
        self.host = socket.gethostname()
        self.procs: dict[int, psutil.Process] = {}
        self.primed: set[int] = set()
        self.stop_event = threading.Event()
        self.fd = os.open(csv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        os.write(self.fd, (",".join(MONITOR_COLUMNS) + "\n").encode())
        psutil.cpu_percent(percpu=True)  # prime the host counters
        self.mem_total = psutil.virtual_memory().total
        self._lost = False

    def stop(self, *_: object) -> None:
        self.stop_event.set()

    def sample(self) -> None:
        ts = self.clock.to_epoch(now())
        rows: list[str] = []
        per_cpu = psutil.cpu_percent(percpu=True)
        total = sum(per_cpu) / len(per_cpu) if per_cpu else 0.0
        vm = psutil.virtual_memory()
        ctx = psutil.cpu_stats().ctx_switches
        disk = psutil.disk_io_counters()
        net = psutil.net_io_counters()
        rows.append(",".join((
            str(ts), "host", "", self.host, f"{total:.1f}", str(vm.total - vm.available), "", "",
            str(ctx), str(disk.read_bytes) if disk else "", str(disk.write_bytes) if disk else "",
            str(net.bytes_sent) if net else "", str(net.bytes_recv) if net else "",
            " ".join(f"{x:.1f}" for x in per_cpu), str(self.mem_total))))
        pids = self.target.pids(force_rescan=self._lost)
        self._lost = False
        alive: set[int] = set()
        for pid in pids:
            proc = self.procs.get(pid)
            if proc is None:
                try:
                    proc = self.procs[pid] = psutil.Process(pid)
                except psutil.Error:
                    self._lost = True
                    continue
            try:
                with proc.oneshot():
                    cpu = proc.cpu_percent(None)
                    mem = proc.memory_info().rss
                    threads = proc.num_threads()
                    c = proc.num_ctx_switches()
                    name = proc.name()
                    try:
                        fds = str(proc.num_fds())
                    except psutil.AccessDenied:
                        fds = ""
                    try:
                        io = proc.io_counters()
                        rd, wr = str(io.read_bytes), str(io.write_bytes)
                    except (psutil.AccessDenied, AttributeError):
                        rd = wr = ""
            except psutil.Error:
                self.procs.pop(pid, None)
                self._lost = True
                continue
            alive.add(pid)
            cpu_text = f"{cpu:.1f}" if pid in self.primed else ""
            self.primed.add(pid)
            rows.append(",".join((str(ts), "process", str(pid), name.replace(",", " "), cpu_text,
                                  str(mem), str(threads), fds, str(c.voluntary + c.involuntary),
                                  rd, wr, "", "", "", "")))
        for pid in list(self.procs):
            if pid not in alive:
                self.procs.pop(pid, None)
                self.primed.discard(pid)
        os.write(self.fd, ("\n".join(rows) + "\n").encode())

    def run(self, max_seconds: float) -> None:
        start = time.monotonic()
        tick = 0
        try:
            while not self.stop_event.is_set():
                self.sample()
                tick += 1
                target = start + tick * self.interval
                t = time.monotonic()
                if target < t:  # fell behind: skip missed ticks, keep the grid
                    tick = int((t - start) / self.interval) + 1
                    target = start + tick * self.interval
                if target - start > max_seconds:
                    break
                self.stop_event.wait(target - t)
        finally:
            os.close(self.fd)


def run_monitor(csv: str, unit: str | None, pid: int | None, pidfile: str | None,
                interval: float, max_seconds: float) -> int:
    mon = Monitor(csv, Target(unit, pid, pidfile), interval)

    def handler(signum: int, frame: FrameType | None) -> None:
        mon.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    mon.run(max_seconds)
    return 0

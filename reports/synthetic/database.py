"""Synthetic database runs with known answers (the layout of docs/results.md): run.json's
``database`` block, and per cell of a PostgreSQL run ``monitor-db.csv`` and ``database.json``.

``add_database`` turns a synthetic run (``reports.synthetic.runs.make_run``, capacity cells of
``reports.synthetic.capacity_cells`` too) into a SQLite or PostgreSQL run. The database host's tree
(``DbTree``) runs every process at a constant CPU % and RSS, so its figures are hand-checkable:
two processes at 20% and 30% of a core are 0.5 CPU-seconds per second of monitor, and 40 + 60 MiB
are 100 MiB at every sample. ``tree_monitor`` writes such a monitor file in the monitor's own
columns (``runfiles.columns.MONITOR_COLUMNS``); a test can write the server's with it too.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.loading.run_folder import DATABASE_RESET, MONITOR_SIDES, discover_cells
from runfiles.columns import MONITOR_COLUMNS

SAMPLE_NS = 100_000_000  # the monitor's interval
SEED_ITEMS = 1500
# The contracts of run.json's database block (roles/bench_run), one per kind.
DATABASES: dict[str, dict[str, Any]] = {
    "sqlite": {"kind": "sqlite", "version": "3.40.1",
               "settings": {"journal_mode": "wal", "busy_timeout_ms": 5000}},
    "postgresql": {"kind": "postgresql", "host": "db", "address": "198.18.0.20",
                   "version": "15.18 (Debian 15.18-0+deb12u1)",
                   "settings": {"max_connections": "100", "shared_buffers": "128MB",
                                "synchronous_commit": "on", "fsync": "on", "work_mem": "4MB"},
                   "pool_size_per_process": 8},
}


@dataclass(frozen=True)
class DbTree:
    """The database host's process tree: per process a constant CPU % of one core and RSS
    (MiB); ``seconds``: how long its monitor samples (None: as long as the cell's server
    monitor)."""
    cpu_pct: tuple[float, ...] = (20.0, 30.0)
    rss_mib: tuple[float, ...] = (40.0, 60.0)
    seconds: float | None = None


def tree_monitor(start_ns: int, seconds: float, cpu_pct: Sequence[float],
                 rss_mib: Sequence[float], first_pid: int = 5000,
                 name: str = "postgres") -> pd.DataFrame:
    """A monitor file's rows: every ``SAMPLE_NS`` from ``start_ns`` for ``seconds`` (both ends
    sampled), one process row per process at its constant CPU % and RSS, and a host row."""
    ts = start_ns + np.arange(round(seconds * 1e9 / SAMPLE_NS) + 1, dtype="int64") * SAMPLE_NS
    frames = [pd.DataFrame({"ts_ns": ts, "scope": "process", "pid": first_pid + i,
                            "name": name, "cpu_percent": cpu, "rss_bytes": int(rss * 2**20),
                            "num_threads": 1, "num_fds": 8})
              for i, (cpu, rss) in enumerate(zip(cpu_pct, rss_mib, strict=True))]
    frames.append(pd.DataFrame({"ts_ns": ts, "scope": "host", "pid": "", "name": "db",
                                "cpu_percent": sum(cpu_pct) / 2, "rss_bytes": 2**31,
                                "per_cpu_pct": "0.0 0.0", "mem_total_bytes": 2**33}))
    return pd.concat(frames, ignore_index=True).reindex(columns=list(MONITOR_COLUMNS))


def _cell_span(folder: Path) -> tuple[int, float]:
    """(first sample, seconds) of the cell's server monitor; else of its summary's figures."""
    server = folder / MONITOR_SIDES["server"]
    if server.is_file():
        ts = pd.read_csv(server, usecols=["ts_ns"])["ts_ns"]
        if len(ts):
            return int(ts.min()), (int(ts.max()) - int(ts.min())) / 1e9
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    start = int(summary.get("started_ns") or 0)
    return start, max(1.0, (int(summary.get("ended_ns") or start) - start) / 1e9)


def write_db_files(folder: Path, tree: DbTree = DbTree(), *, monitor: bool = True,
                   items: int = SEED_ITEMS) -> None:
    """One cell's monitor-db.csv (unless ``monitor`` is false) and database.json."""
    start, span = _cell_span(folder)
    if monitor:
        tree_monitor(start, tree.seconds if tree.seconds is not None else span, tree.cpu_pct,
                     tree.rss_mib).to_csv(folder / MONITOR_SIDES["db"], index=False)
    block = DATABASES["postgresql"]
    reset = {"database": "postgresql", "host": block["address"], "port": 5432,
             "name": "fwbench", "user": "fwbench", "items": items, "sha256": "0" * 64,
             "server_version": block["version"].split()[0], "settings": block["settings"]}
    (folder / DATABASE_RESET).write_text(json.dumps(reset) + "\n", encoding="utf-8")


def add_database(root: Path, kind: str = "postgresql", *, tree: DbTree = DbTree(),
                 without_monitor: Collection[tuple[str, str, int]] = ()) -> Path:
    """Give the run under ``root`` a database: run.json's block (and, for PostgreSQL, the db
    host, ``inventory.databases`` and every cell's database files; the cells in
    ``without_monitor``, (variant, scenario, rep), get no monitor-db.csv)."""
    path = root / "run.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["database"] = DATABASES[kind]
    meta.setdefault("parameters", {})["database"] = kind
    meta.setdefault("settings", {})["seed_items"] = SEED_ITEMS
    if kind == "postgresql":
        hosts = meta.setdefault("hosts", {})
        facts = dict(hosts.get("server") or {})
        hosts["db"] = {**facts, "role": "database", "address": DATABASES[kind]["address"],
                       "pip_freeze": []}
        meta.setdefault("inventory", {})["databases"] = ["db"]
        for variant, scenario, rep, folder in discover_cells(root):
            write_db_files(folder, tree,
                           monitor=(variant, scenario, rep) not in set(without_monitor))
    path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return root

"""Synthetic results folders with known answers (the layout of docs/results.md).

Used by the tests, the 1M-row benchmark and ``python -m reports demo``: a report can be tried and
checked without a lab. ``write_cell`` writes one repetition from given latencies, so a test knows
exactly what the report must compute; ``make_run`` writes a whole run from a few parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from client.recorder import result_from_csv
from client.results import build_summary
from client.summary import cell_figures, load_summary

T0_NS = 1_760_000_000_000_000_000  # 2025-10-09, an arbitrary fixed epoch


@dataclass(frozen=True)
class ScenarioSpec:
    method: str
    path: str
    model: str  # "open" | "closed"
    concurrency: int | None = None
    rate: float | None = None


SCENARIOS: dict[str, ScenarioSpec] = {
    "p1_hello": ScenarioSpec("GET", "/hello", "closed", concurrency=50),
    "p1_echo": ScenarioSpec("POST", "/echo", "closed", concurrency=100),
    "p1_list": ScenarioSpec("GET", "/items/", "closed", concurrency=10),
    "p1_get": ScenarioSpec("GET", "/items/{id}", "closed", concurrency=10),
    "p1_create": ScenarioSpec("POST", "/items/", "closed", concurrency=10),
    "p1_update": ScenarioSpec("PUT", "/items/{id}", "closed", concurrency=10),
    "p1_delete": ScenarioSpec("DELETE", "/items/{id}", "closed", concurrency=1),
    "p2_get_constant": ScenarioSpec("GET", "/get", "closed", concurrency=1),
    "p2_post_constant": ScenarioSpec("POST", "/post", "closed", concurrency=1),
    "p2_get_rate200": ScenarioSpec("GET", "/get", "open", rate=200.0),
    "p2_post_rate200": ScenarioSpec("POST", "/post", "open", rate=200.0),
    "p2_get_concurrent": ScenarioSpec("GET", "/get", "closed", concurrency=20),
    "p2_post_concurrent": ScenarioSpec("POST", "/post", "closed", concurrency=20),
    "smoke_hello": ScenarioSpec("GET", "/hello", "closed", concurrency=4),
    "smoke_get": ScenarioSpec("GET", "/get", "open", rate=100.0),
}

DEFAULT_VARIANTS: dict[str, float] = {
    "fastapi_sqlite3-gunicorn_uvicorn": 2.0,
    "flask_sqlite3-gunicorn_gthread": 4.0,
    "django_drf-daphne": 8.0,
}


def _timings(latency_ms: np.ndarray, spec: ScenarioSpec, t0_ns: int,
             rate: float | None) -> dict[str, np.ndarray]:
    n = len(latency_ms)
    lat_ns = np.round(latency_ms * 1e6).astype("int64")
    if spec.model == "open":
        period_ns = int(1e9 / (rate or spec.rate or 100.0))
        scheduled = t0_ns + np.arange(n, dtype="int64") * period_ns
        sent = scheduled + 20_000
        return {"worker": np.arange(n) % 8, "scheduled": scheduled, "sent": sent,
                "done": scheduled + lat_ns}
    workers = max(1, min(spec.concurrency or 1, n))
    worker = np.arange(n) % workers
    frame = pd.DataFrame({"worker": worker, "lat": lat_ns + 50_000})
    end = frame.groupby("worker")["lat"].cumsum().to_numpy() + t0_ns
    sent = end - frame["lat"].to_numpy()
    return {"worker": worker, "scheduled": None, "sent": sent, "done": sent + lat_ns}


def _monitor(t0_ns: int, t1_ns: int, pids: Sequence[int], cpu: float, rss: float,
             rng: np.random.Generator) -> pd.DataFrame:
    ts = np.arange(t0_ns, t1_ns + 1, 100_000_000, dtype="int64")
    frames = []
    for i, pid in enumerate(pids):
        frames.append(pd.DataFrame({
            "ts_ns": ts, "scope": "process", "pid": pid, "name": f"proc{i}",
            "cpu_percent": np.clip(rng.normal(cpu, cpu * 0.1 + 1e-9, len(ts)), 0, None),
            "rss_bytes": (rss + i * 1e6 + np.linspace(0, 2e6, len(ts))).astype("int64")}))
    frames.append(pd.DataFrame({"ts_ns": ts, "scope": "host", "pid": "", "name": "host",
                                "cpu_percent": cpu * len(pids) / 2, "rss_bytes": 4e9}))
    mon = pd.concat(frames, ignore_index=True)
    for col in ("num_threads", "num_fds", "ctx_switches", "read_bytes", "write_bytes",
                "net_sent_bytes", "net_recv_bytes"):
        mon[col] = 0
    return mon


def write_cell(folder: Path, *, variant: str, scenario: str, rep: int, latency_ms: np.ndarray,
               failed: np.ndarray | None = None, stack: str | None = None,
               server: str | None = None, spec: ScenarioSpec | None = None,
               t0_ns: int = T0_NS, rate: float | None = None, status: str | None = None,
               warnings: Sequence[str] = (), monitors: bool = True,
               client_cpu_pct: float = 35.0, seed: int = 0, error_class: str = "timeout",
               timeout_s: float | None = None,
               extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write one repetition folder. ``failed`` marks requests that fail with ``error_class``; a
    failed request's ``latency_ms`` is the time it took to fail (for a timeout: when it was
    abandoned). summary.json's figures come from the client's own summary code, so they are what
    the client would have written for these rows; ``status`` and ``warnings`` add to them."""
    spec = spec or SCENARIOS.get(scenario, ScenarioSpec("GET", "/", "closed", concurrency=1))
    latency_ms = np.asarray(latency_ms, dtype="float64")
    n = len(latency_ms)
    failed = np.zeros(n, bool) if failed is None else np.asarray(failed, bool)
    folder.mkdir(parents=True, exist_ok=True)
    t = _timings(latency_ms, spec, t0_ns, rate)
    error = np.where(failed, error_class, "")
    status_codes = np.where(failed, 500 if error_class == "http_5xx" else 0, 200)
    frame = pd.DataFrame({
        "seq": np.arange(1, n + 1), "worker": t["worker"],
        "scheduled_ns": t["scheduled"] if t["scheduled"] is not None else "",
        "sent_ns": t["sent"], "done_ns": t["done"], "status": status_codes,
        "bytes": np.where(failed, 0, 64), "error": error})
    frame.to_csv(folder / "requests.csv", index=False)
    result = result_from_csv(folder / "requests.csv", spec.model)
    target = (rate or spec.rate) if spec.model == "open" else None
    load = load_summary(result, target, client_cpu_pct, {}, timeout_s)
    default_stack, _, default_server = variant.partition("-")
    figures = cell_figures(load)
    figures["warnings"] = [*warnings, *figures["warnings"]]
    if status is not None:
        figures["status"] = status
    summary = build_summary(
        {"variant": variant, "stack": stack or default_stack,
         "server": server or default_server, "scenario": scenario, "rep": rep},
        {"method": spec.method, "path": spec.path, "model": spec.model,
         "rate": rate or spec.rate, "concurrency": spec.concurrency, "iterations": n,
         "duration_s": None},
        figures, {"engine": "fast", "timeout_s": timeout_s})
    summary.update(extra or {})
    (folder / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    started, ended = summary["started_ns"] or t0_ns, summary["ended_ns"] or t0_ns
    if monitors and n:
        rng = np.random.default_rng(seed)
        _monitor(started, ended, [1000 + rep, 1001 + rep, 1002 + rep], 40.0, 50e6, rng).to_csv(
            folder / "monitor-server.csv", index=False)
        _monitor(started, ended, [2000 + rep], client_cpu_pct, 30e6, rng).to_csv(
            folder / "monitor-client.csv", index=False)
    return summary


def write_run_json(root: Path, variants: Sequence[str], *, run_id: str | None = None,
                   profile: str = "synthetic",
                   not_parallel: Sequence[str] = ("daphne", "flask_dev", "django_dev"),
                   extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    facts = {"cpu": "Synthetic CPU @ 3.0GHz", "cores": 4, "memory": 8 * 2**30,
             "kernel": "6.1.0-synthetic", "os": "Debian GNU/Linux 12", "python": "3.11.2",
             "pip_freeze": ["gunicorn==23.0.0", "uvicorn==0.34.0", "Flask==3.1.0"]}
    meta = {
        "run_id": run_id or root.name, "started": "2025-10-09T08:00:00Z",
        "finished": "2025-10-09T08:30:00Z", "profile": profile, "git_commit": "0" * 40,
        "hosts": {"server": facts, "client": {**facts, "pip_freeze": ["httpx==0.28.1"]}},
        "variants": {v: {"stack": v.partition("-")[0], "server": v.partition("-")[2],
                         "command": f"run {v} --workers 2 --threads 2", "workers": 2,
                         "threads": 2, "processes": 2 if v.partition("-")[2] not in not_parallel
                         else 1, "worker_class": "synthetic",
                         "honours_parallelism": v.partition("-")[2] not in not_parallel}
                     for v in variants},
        "parameters": {"repetitions": None, "warmup_s": 5},
        **(extra or {}),
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return meta


def make_run(root: Path, *, variants: Mapping[str, float] | None = None,
             scenarios: Sequence[str] = ("smoke_hello", "smoke_get"), reps: int = 3,
             requests_per_rep: int = 500, error_rate: float = 0.0, seed: int = 1,
             monitors: bool = True) -> Path:
    """A whole run: variant -> base latency (ms); lognormal latencies with a small rep effect."""
    variants = dict(variants or DEFAULT_VARIANTS)
    rng = np.random.default_rng(seed)
    meta = write_run_json(root, list(variants))
    meta["parameters"]["repetitions"] = reps
    (root / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    t0 = T0_NS
    for v_index, (variant, base) in enumerate(variants.items()):
        for s_index, scenario in enumerate(scenarios):
            for rep in range(1, reps + 1):
                scale = base * (1 + 0.15 * s_index) * rng.normal(1.0, 0.03)
                latency = rng.lognormal(np.log(scale), 0.35, requests_per_rep)
                failed = rng.random(requests_per_rep) < error_rate
                write_cell(root / "cells" / variant / scenario / f"rep-{rep}", variant=variant,
                           scenario=scenario, rep=rep, latency_ms=latency, failed=failed,
                           t0_ns=t0, seed=seed + v_index * 1000 + rep, monitors=monitors)
                t0 += 60 * 10**9
    return root

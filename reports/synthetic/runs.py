"""Synthetic results folders with known answers (the layout of docs/results.md).

Used by the tests, the 1M-row benchmark and ``python -m reports demo``: a report can be tried and
checked without a lab. ``write_cell`` writes one repetition from given latencies, so a test knows
exactly what the report must compute; ``make_run`` writes a whole run from a few parameters, or
from a ``plan`` that gives each variant x scenario its own latency model (``CellModel``).

With ``rounds`` (``Rounds``) the run is of the rounds design (run.json ``plan.design``): round r
runs every cell of rep r, each round can move every variant alike by a known factor (drift, a
noisy host), and an A/A control ``X~aa`` can be measured beside X, equal to it or off by a known
factor.

``demo_plan`` is the plan of ``python -m reports demo``: both papers' scenarios on both papers'
variant sets, with base latencies taken from the papers' own figures (paper 1: Bednarz & Miłosz,
"Benchmarking the performance of Python web frameworks", 2025; paper 2: Malatjie &
Faniso-Myaka, "Comparative analysis of HTTP request handling in different Python frameworks",
2025) and a few deliberate departures (marked below), so that its reproduction table shows every
verdict. Its numbers are made up: the run says ``profile: synthetic``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.constants import AA_SUFFIX
from runfiles.figures import cell_figures, load_summary
from runfiles.run_result import result_from_csv
from runfiles.summary_json import build_summary

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
        "seq": np.arange(n), "worker": t["worker"],  # 0-based, as the client numbers them
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


@dataclass(frozen=True)
class CellModel:
    """The latencies of one variant x scenario: lognormal around ``base_ms`` (spread ``sigma``,
    the log's standard deviation), its first ``slow_start_n`` requests ``slow_start_ms`` slower
    (a server measured before it was warm)."""
    base_ms: float
    sigma: float = 0.35
    slow_start_ms: float = 0.0
    slow_start_n: int = 10


@dataclass(frozen=True)
class Rounds:
    """The rounds design of a synthetic run: round r (= rep r) multiplies every variant's
    latency by ``factors[r - 1]`` (1 where not given: a round-to-round drift or a noisy host
    that every variant shares), and ``control`` (a variant of the run) gets its A/A control
    ``X~aa``, X's model times ``control_factor`` (1: a true A/A pair; a mapping gives it per
    scenario, 1 where not given)."""
    factors: Sequence[float] = ()
    control: str = ""
    control_factor: float | Mapping[str, float] = 1.0

    def factor(self, rep: int) -> float:
        return float(self.factors[rep - 1]) if rep <= len(self.factors) else 1.0

    def control_for(self, scenario: str) -> float:
        if isinstance(self.control_factor, Mapping):
            return float(self.control_factor.get(scenario, 1.0))
        return float(self.control_factor)


def _plan_block(rounds: Rounds, reps: int) -> dict[str, Any]:
    return {"design": "rounds", "control": rounds.control, "max_rounds": reps, "min_rounds": 3}


def make_run(root: Path, *, variants: Mapping[str, float] | None = None,
             scenarios: Sequence[str] = ("smoke_hello", "smoke_get"), reps: int = 3,
             requests_per_rep: int = 500, error_rate: float = 0.0, seed: int = 1,
             monitors: bool = True,
             plan: Mapping[tuple[str, str], CellModel] | None = None,
             rounds: Rounds | None = None, rep_noise: float = 0.03) -> Path:
    """A whole run: variant -> base latency (ms); lognormal latencies with a small rep effect
    (each repetition's scale is off by a normal factor of spread ``rep_noise``).

    With ``plan`` ((variant, scenario) -> ``CellModel``) the run has exactly those cells, each
    with its own model; ``variants`` and ``scenarios`` are then not used. With ``rounds`` the
    run is of the rounds design (see ``Rounds``); without, it is a run as before rounds (no
    ``plan`` in run.json) and its files are the same as they always were."""
    if plan is None:
        base = dict(variants or DEFAULT_VARIANTS)
        plan = {(v, s): CellModel(ms * (1 + 0.15 * i))
                for v, ms in base.items() for i, s in enumerate(scenarios)}
    names = list(dict.fromkeys(v for v, _ in plan))
    rng = np.random.default_rng(seed)
    meta = write_run_json(root, names)
    meta["parameters"].update(repetitions=reps,
                              scenarios=list(dict.fromkeys(s for _, s in plan)),
                              variants=names)
    cells: dict[tuple[str, str], CellModel] = dict(plan)
    if rounds is not None:
        meta["plan"] = _plan_block(rounds, reps)
        if rounds.control:
            aa = f"{rounds.control}{AA_SUFFIX}"
            cells.update({(aa, s): CellModel(m.base_ms * rounds.control_for(s), m.sigma,
                                             m.slow_start_ms, m.slow_start_n)
                          for (v, s), m in plan.items() if v == rounds.control})
    (root / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    t0 = T0_NS
    order = list(cells)
    for (variant, scenario), model in cells.items():
        unit = variant.removesuffix(AA_SUFFIX)
        v_index = names.index(unit) + (len(names) if unit != variant else 0)
        for rep in range(1, reps + 1):
            scale = model.base_ms * rng.normal(1.0, rep_noise)
            labels: dict[str, Any] = {}
            if rounds is not None:
                scale *= rounds.factor(rep)
                # round-major time: round r runs after every cell of round r - 1
                t0 = T0_NS + ((rep - 1) * len(order) + order.index((variant, scenario))) \
                    * 60 * 10**9
                labels = {"labels": {"variant": variant, "stack": unit.partition("-")[0],
                                     "server": unit.partition("-")[2], "rep": rep,
                                     "round": str(rep), "design": "rounds"}}
            latency = rng.lognormal(np.log(scale), model.sigma, requests_per_rep)
            latency[:model.slow_start_n] += model.slow_start_ms
            failed = rng.random(requests_per_rep) < error_rate
            write_cell(root / "cells" / variant / scenario / f"rep-{rep}", variant=variant,
                       scenario=scenario, rep=rep, latency_ms=latency, failed=failed,
                       stack=unit.partition("-")[0], server=unit.partition("-")[2],
                       t0_ns=t0, seed=seed + v_index * 1000 + rep, monitors=monitors,
                       extra=labels)
            if rounds is None:
                t0 += 60 * 10**9
    return root


# -- the demo: both papers' scenarios and variant sets -------------------------------------------
P1 = ("fastapi_sqlmodel-gunicorn_uvicorn", "fastapi_sqlite3-gunicorn_uvicorn",
      "flask_sqlalchemy-gunicorn_gthread", "flask_sqlite3-gunicorn_gthread",
      "django_drf-gunicorn_gthread")
P2 = ("flask_sqlite3-gunicorn_gevent", "fastapi_sqlite3-uvicorn",
      "flask_sqlite3-gunicorn_gthread", "django_drf-django_dev", "django_drf-daphne",
      "flask_sqlite3-flask_dev")


def _p1(*ms: float, sigma: float = 0.35) -> dict[str, CellModel]:
    return {v: CellModel(m, sigma) for v, m in zip(P1, ms, strict=True)}


def _p2(*models: float | CellModel) -> dict[str, CellModel]:
    return {v: m if isinstance(m, CellModel) else CellModel(m)
            for v, m in zip(P2, models, strict=True)}


# scenario -> variant -> model. Paper 1's throughput scenarios are closed loops (50 and 100
# connections), so a mean latency of C / (req/s) gives the paper's req/s: 50 / 4,783 = 10.45 ms.
# Order of P1: FastAPI+SQLModel, FastAPI+sqlite3, Flask+SQLAlchemy, Flask+sqlite3, Django.
# Order of P2: Flask gevent, FastAPI, Flask gunicorn, Django, Django daphne, Flask dev server.
DEMO_MODELS: dict[str, dict[str, CellModel]] = {
    # Departure: FastAPI's ORM costs 3% on hello here, not the paper's 8% (4,417 req/s).
    # A saturated server answers a closed loop at an even pace: a narrow spread.
    "p1_hello": _p1(10.8, 10.45, 18.6, 18.5, 30.1, sigma=0.12),
    "p1_echo": _p1(27.6, 24.85, 46.7, 45.6, 64.5, sigma=0.12),
    "p1_list": _p1(168.8, 67.4, 69.2, 28.2, 75.0),
    "p1_get": _p1(7.6, 2.5, 8.5, 5.0, 13.4),
    "p1_create": _p1(92.4, 78.6, 116.0, 111.3, 99.6),
    # Departure: Flask + sqlite3 updates faster than Flask + SQLAlchemy (the paper: 109.9 ms).
    "p1_update": _p1(95.3, 78.4, 98.6, 92.0, 109.9),
    "p1_delete": _p1(10.2, 9.0, 10.4, 9.3, 11.2),
    # Paper 2, constant load (Table 1). Departure: gevent brings one sequential client nothing
    # on GET (the paper: 3.33 ms). Django varies least (fewest outliers); daphne and the dev
    # server start cold (warm-up effect).
    "p2_get_constant": _p2(CellModel(9.9, 0.5), 10.26, 10.26, CellModel(23.02, 0.15),
                           CellModel(23.17, 0.35, 60.0), CellModel(12.0, 0.35, 40.0)),
    "p2_post_constant": _p2(CellModel(3.59, 0.5), 11.76, 13.02, CellModel(23.17, 0.15),
                            CellModel(23.02, 0.35, 60.0), CellModel(14.0, 0.35, 40.0)),
    # Not in the paper: the honest open-loop 200 req/s.
    "p2_get_rate200": _p2(3.0, 2.5, 2.8, 9.0, 12.0, 3.5),
    "p2_post_rate200": _p2(3.3, 2.8, 3.1, 9.5, 12.5, 3.9),
    # Paper 2, concurrent load (Table 2), as printed: daphne slower than runserver.
    "p2_get_concurrent": _p2(55.25, 75.62, 97.09, 186.11, 360.74, 150.0),
    "p2_post_concurrent": _p2(58.07, 80.71, 114.35, 221.42, 243.03, 170.0),
}
DEMO_SCENARIOS: tuple[str, ...] = tuple(DEMO_MODELS)
# The `paper` profile runs every variant of both sets on every scenario (a full matrix: the
# report calls any cell of it that is absent "missing"). A variant outside a scenario's paper
# takes the model of its nearest relative there, scaled: variant -> ((relative, factor) in paper
# 1's scenarios, (relative, factor) in paper 2's).
DEMO_RELATIVES: dict[str, tuple[tuple[str, float], tuple[str, float]]] = {
    "fastapi_sqlmodel-gunicorn_uvicorn": (("", 1.0), ("fastapi_sqlite3-uvicorn", 1.06)),
    "fastapi_sqlite3-gunicorn_uvicorn": (("", 1.0), ("fastapi_sqlite3-uvicorn", 1.02)),
    "flask_sqlalchemy-gunicorn_gthread": (("", 1.0), ("flask_sqlite3-gunicorn_gthread", 1.03)),
    "flask_sqlite3-gunicorn_gthread": (("", 1.0), ("", 1.0)),
    "django_drf-gunicorn_gthread": (("", 1.0), ("django_drf-django_dev", 0.8)),
    "flask_sqlite3-gunicorn_gevent": (("flask_sqlite3-gunicorn_gthread", 0.9), ("", 1.0)),
    "fastapi_sqlite3-uvicorn": (("fastapi_sqlite3-gunicorn_uvicorn", 0.98), ("", 1.0)),
    "django_drf-django_dev": (("django_drf-gunicorn_gthread", 2.0), ("", 1.0)),
    "django_drf-daphne": (("django_drf-gunicorn_gthread", 2.2), ("", 1.0)),
    "flask_sqlite3-flask_dev": (("flask_sqlite3-gunicorn_gthread", 1.8), ("", 1.0)),
}


def _demo_models(scenario: str) -> dict[str, CellModel]:
    """Every variant of ``DEMO_RELATIVES`` on one of the papers' scenarios."""
    own = DEMO_MODELS[scenario]
    side = 0 if scenario.startswith("p1_") else 1
    out = {}
    for variant, relatives in DEMO_RELATIVES.items():
        relative, factor = relatives[side]
        model = own.get(variant) or own[relative]
        out[variant] = model if variant in own else CellModel(model.base_ms * factor,
                                                              model.sigma)
    return out


def demo_plan(scenarios: Sequence[str]) -> dict[tuple[str, str], CellModel]:
    """The demo's cells for ``scenarios``, a full matrix as the `paper` profile runs it: with any
    of the papers' scenarios, every variant of both papers' sets on every scenario (the papers'
    own from ``DEMO_MODELS`` and ``DEMO_RELATIVES``, any other like the open-loop /get of
    ``p2_get_rate200``); with none of them, ``DEFAULT_VARIANTS``."""
    papers = any(s in DEMO_MODELS for s in scenarios)
    plan: dict[tuple[str, str], CellModel] = {}
    for i, scenario in enumerate(scenarios):
        if scenario in DEMO_MODELS:
            models = _demo_models(scenario)
        elif papers:
            models = {v: CellModel(m.base_ms * (1 + 0.15 * i), m.sigma)
                      for v, m in _demo_models("p2_get_rate200").items()}
        else:
            models = {v: CellModel(ms * (1 + 0.15 * i)) for v, ms in DEFAULT_VARIANTS.items()}
        plan.update({(v, scenario): m for v, m in models.items()})
    return plan

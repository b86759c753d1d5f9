"""Synthetic capacity cells with known answers (the cell format: docs/results.md, "Capacity
cells"), for the tests and ``python -m reports demo``.

Each variant's server is a model (``CapacityModel``): in an open-loop search its p99 rises with
the offered rate r as ``base + (objective − base) · (r / C)^6``, so it meets the objective up to
exactly C req/s (C per repetition); above ``client_limit_rps`` the client falls behind and the
search stops there ("client"); in a closed ladder its goodput grows by ``per_connection_rps``
per connection up to ``max_goodput_rps``, then by ``overload_slope`` (1%) per doubling, so the
knee is the last level at or below ``max_goodput_rps / per_connection_rps`` connections. The
search itself is simulated the way the client describes it (a cost step at a common rate,
doubling from ``start_rate`` until a step fails, then bisection while the bracket is wider than
5%); each step's figures are the model's, and its rows in requests.csv are drawn to match them.
The server monitor's CPU is exactly ``cost_cpu_s_per_1k`` CPU-seconds per 1,000 successful
requests in every step (two processes, 100 ms samples aligned with the steps) and its RSS is
``rss_mib`` during the cost step, so the cost table's answer is known. summary.json is built by
``runfiles.summary_json.build_summary`` from the client's own figures of the best step.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from reports.synthetic.runs import T0_NS, write_run_json
from runfiles.figures import cell_figures, load_summary
from runfiles.requests_csv import Row
from runfiles.run_result import result_from_rows
from runfiles.summary_json import build_summary

STEP_GAP_NS = 500_000_000  # between two steps
SAMPLE_NS = 100_000_000  # the monitor's interval
IDLE_CPU_PCT = 0.4  # per process, outside the steps
CAPACITY_T0_NS = T0_NS + 86_400 * 10**9  # a day after the ordinary synthetic cells
CELL_SPACING_NS = 600 * 10**9


@dataclass(frozen=True)
class CapacitySpec:
    """A capacity scenario's ``capacity`` object (client/scenarios), as the client reads it."""
    method: str
    path: str
    mode: str  # "open" | "closed"
    slo_p99_ms: float = 50.0
    max_error_rate: float = 0.001
    start_rate: float = 50.0
    max_rate: float = 5000.0
    step_duration_s: int = 1
    cost_rate: float = 150.0
    cost_duration_s: int = 2
    levels: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
    time_budget_s: int = 120


@dataclass(frozen=True)
class CapacityModel:
    """One variant's server (see the module's docstring); tuples are per repetition, cycled."""
    capacity_rps: tuple[float, ...]
    cost_cpu_s_per_1k: float
    client_limit_rps: tuple[float | None, ...] = (None,)
    per_connection_rps: float = 100.0
    max_goodput_rps: float = 400.0
    overload_slope: float = 0.01  # goodput change per doubling of connections past saturation
    base_p99_ms: float = 4.0
    rss_mib: float = 60.0


CAPACITY_SCENARIOS: dict[str, CapacitySpec] = {
    "capacity_hello": CapacitySpec("GET", "/hello", "open"),
    "capacity_get_ladder": CapacitySpec("GET", "/items/{id}", "closed"),
}
# The demo's servers. Known answers (3 repetitions): gunicorn + uvicorn holds 392, 400 and 408
# req/s at p99 <= 50 ms (the search finds 387.5, 400 and 400: within 5% below) and costs 2.0
# CPU-s per 1,000 requests; gthread holds about 250 but its
# second repetition is client-bound at 180 req/s (left out of the interval); daphne breaks at
# about 100 req/s, so it cannot carry the common rate of 150 req/s of the cost step (marked);
# uvicorn is client-bound in every repetition (≥ 400 req/s, the client falls behind above 600).
# Closed ladder knees: 4, 4, 2 and 8 connections.
CAPACITY_MODELS: dict[str, CapacityModel] = {
    "fastapi_sqlite3-gunicorn_uvicorn": CapacityModel((392.0, 400.0, 408.0), 2.0,
                                                      per_connection_rps=100.0,
                                                      max_goodput_rps=400.0, rss_mib=60.0),
    "flask_sqlite3-gunicorn_gthread": CapacityModel((245.0, 250.0, 255.0), 3.0,
                                                    client_limit_rps=(None, 180.0, None),
                                                    per_connection_rps=80.0,
                                                    max_goodput_rps=250.0, rss_mib=80.0),
    "django_drf-daphne": CapacityModel((97.0, 100.0, 103.0), 8.0, per_connection_rps=50.0,
                                       max_goodput_rps=100.0, overload_slope=-0.02,
                                       base_p99_ms=8.0, rss_mib=120.0),
    "fastapi_sqlite3-uvicorn": CapacityModel((1480.0, 1500.0, 1520.0), 1.5,
                                             client_limit_rps=(600.0,),
                                             per_connection_rps=120.0, max_goodput_rps=800.0,
                                             rss_mib=50.0),
}


@dataclass(frozen=True)
class Step:
    """One simulated step: its load and the model's figures."""
    phase: str
    offered_rps: float | None
    concurrency: int | None
    goodput_rps: float
    p50_ms: float
    p99_ms: float
    passed: bool | None
    reason: str
    late: bool  # the client fell behind
    duration_s: int


def _pick(values: tuple[Any, ...], rep: int) -> Any:
    return values[(rep - 1) % len(values)]


def _open_step(spec: CapacitySpec, model: CapacityModel, capacity: float,
               limit: float | None, rate: float, phase: str, duration_s: int) -> Step:
    if limit is not None and rate > limit:
        p99 = model.base_p99_ms * 1.5
        return Step(phase, rate, None, limit, p99 * 0.35, p99, False,
                    f"client late: sent {limit:,.0f} of {rate:,.0f} req/s", True, duration_s)
    p99 = model.base_p99_ms + (spec.slo_p99_ms - model.base_p99_ms) * (rate / capacity) ** 6
    passed = p99 <= spec.slo_p99_ms
    return Step(phase, rate, None, rate, p99 * 0.35, p99, passed,
                "" if passed else f"p99 {p99:,.1f} ms > {spec.slo_p99_ms:g} ms", False,
                duration_s)


def open_search(spec: CapacitySpec, model: CapacityModel,
                rep: int) -> tuple[list[Step], float | None, str, str]:
    """The steps of one repetition's rate search, its max rate, why it stopped, and a note."""
    capacity, limit = _pick(model.capacity_rps, rep), _pick(model.client_limit_rps, rep)

    def run(rate: float, phase: str, duration_s: int = spec.step_duration_s) -> Step:
        return _open_step(spec, model, capacity, limit, rate, phase, duration_s)

    steps = [run(spec.cost_rate, "cost", spec.cost_duration_s)]
    low: float | None = None
    high, rate, limited = None, spec.start_rate, "server"
    while True:
        step = run(rate, "grow")
        steps.append(step)
        if not step.passed:
            high, limited = rate, "client" if step.late else "server"
            break
        low = rate
        if rate * 2 > spec.max_rate:
            limited = "max_rate"
            break
        rate *= 2
    while limited == "server" and low is not None and high is not None and high / low > 1.05:
        step = run((low + high) / 2, "bisect")
        steps.append(step)
        if step.late:
            limited = "client"
        elif step.passed:
            low = step.offered_rps
        else:
            high = step.offered_rps
    if low is None:
        limited = "none_passed"
    notes = {"server": f"p99 above {spec.slo_p99_ms:g} ms past {low or 0:,.1f} req/s",
             "client": "the client could not send on schedule: late sends",
             "max_rate": f"max_rate {spec.max_rate:g} req/s reached",
             "none_passed": "no step met the objective"}
    return steps, low, limited, notes[limited]


def ladder(spec: CapacitySpec, model: CapacityModel, rep: int) -> list[Step]:
    """A closed ladder: the cost step (open loop, common rate), then one step per level."""
    capacities = np.asarray(model.capacity_rps, dtype="float64")
    factor = _pick(model.capacity_rps, rep) / float(np.median(capacities))
    saturation = model.max_goodput_rps / model.per_connection_rps
    cost = _open_step(spec, model, _pick(model.capacity_rps, rep), None, spec.cost_rate, "cost",
                      spec.cost_duration_s)
    steps = [Step(cost.phase, cost.offered_rps, None, cost.goodput_rps, cost.p50_ms, cost.p99_ms,
                  None, "", False, cost.duration_s)]
    for c in spec.levels:
        goodput = c * model.per_connection_rps if c <= saturation else \
            model.max_goodput_rps * (1 + model.overload_slope * np.log2(c / saturation))
        goodput *= factor
        mean_ms = c / goodput * 1000.0
        steps.append(Step("ladder", None, c, goodput, 0.9 * mean_ms, 2.5 * mean_ms, None, "",
                          False, spec.step_duration_s))
    return steps


def _latencies(n: int, p50: float, p99: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` latencies (ms) whose median and p99 are close to ``p50`` and ``p99`` (a lognormal's
    quantiles at evenly spaced probabilities, shuffled)."""
    sigma = np.log(max(p99, p50 * 1.0001) / p50) / norm.ppf(0.99)
    values = p50 * np.exp(sigma * norm.ppf((np.arange(n) + 0.5) / n))
    return rng.permutation(values)


def _rows(step: Step, start_ns: int, rng: np.random.Generator) -> pd.DataFrame:
    """The step's requests: open loop on a schedule (sent late when the client is behind);
    closed loop, each connection sending when its previous answer came back."""
    n = max(1, round(step.goodput_rps * step.duration_s))
    latency_ns = np.round(_latencies(n, step.p50_ms, step.p99_ms, rng) * 1e6).astype("int64")
    if step.concurrency is None:
        origin = start_ns + np.round(np.arange(n) * (step.duration_s * 1e9 / n)).astype("int64")
        lateness = rng.integers(20_000, 30_000_000 if step.late else 300_000, n)
        scheduled = pd.array(origin, dtype="Int64")
        sent, worker = origin + lateness, np.arange(n) % 64
        done = origin + latency_ns
    else:
        worker = np.arange(n) % step.concurrency
        frame = pd.DataFrame({"worker": worker, "lat": latency_ns})
        sent = start_ns + frame.groupby("worker")["lat"].cumsum().to_numpy() - latency_ns
        scheduled = pd.array([None] * n, dtype="Int64")
        done = sent + latency_ns
    order = np.argsort(sent, kind="stable")
    return pd.DataFrame({"seq": np.arange(n), "worker": worker[order],
                         "scheduled_ns": scheduled[order], "sent_ns": sent[order],
                         "done_ns": done[order], "status": 200, "bytes": 64, "error": ""})


def _step_object(index: int, step: Step, rows: pd.DataFrame, start_ns: int,
                 end_ns: int) -> dict[str, Any]:
    requests = len(rows)
    return {"index": index, "phase": step.phase, "offered_rps": step.offered_rps,
            "concurrency": step.concurrency, "start_ns": start_ns, "end_ns": end_ns,
            "requests": requests, "errors": 0, "error_rate": 0.0,
            "achieved_rps": round(requests / step.duration_s, 3),
            "attempted_rps": round(requests / step.duration_s, 3),
            "p50_ms": round(step.p50_ms, 3), "p99_ms": round(step.p99_ms, 3),
            "client_cpu_pct": 95.0 if step.late else round(min(85.0, 8.0 + 0.1 * requests /
                                                               step.duration_s), 1),
            "send_lateness_p99_ms": (25.0 if step.late else 0.3)
            if step.concurrency is None else None,
            "passed": step.passed, "reason": step.reason}


def _monitor(steps: Sequence[dict[str, Any]], model: CapacityModel, t0_ns: int,
             t1_ns: int) -> pd.DataFrame:
    """Two server processes sampled every 100 ms: CPU = the model's cost per successful request
    in each step (exact in every window, the samples being aligned with the steps), RSS
    ``rss_mib`` (split between them) up to the end of the cost step, then growing with load."""
    ts = np.arange(t0_ns, t1_ns + 1, SAMPLE_NS, dtype="int64")
    mid = ts - SAMPLE_NS // 2  # a sample's cpu_percent covers the 100 ms before it
    cpu = np.full(ts.size, IDLE_CPU_PCT * 2)
    rss = np.full(ts.size, model.rss_mib * 2**20)
    for step in steps:
        inside = (mid >= step["start_ns"]) & (mid < step["end_ns"])
        successes_per_s = (step["requests"] - step["errors"]) / \
            ((step["end_ns"] - step["start_ns"]) / 1e9)
        cpu[inside] = successes_per_s * model.cost_cpu_s_per_1k / 1000.0 * 100.0
        if step["phase"] != "cost":
            rss[ts >= step["start_ns"]] += 0.02 * successes_per_s * 2**20 / len(steps)
    frames = [pd.DataFrame({"ts_ns": ts, "scope": "process", "pid": 4000 + i, "name": f"srv{i}",
                            "cpu_percent": cpu / 2, "rss_bytes": (rss / 2).astype("int64")})
              for i in range(2)]
    frames.append(pd.DataFrame({"ts_ns": ts, "scope": "host", "pid": "", "name": "host",
                                "cpu_percent": cpu / 4 + 1.0, "rss_bytes": 4 * 2**30}))
    mon = pd.concat(frames, ignore_index=True)
    for col in ("num_threads", "num_fds", "ctx_switches", "read_bytes", "write_bytes",
                "net_sent_bytes", "net_recv_bytes"):
        mon[col] = 0
    return mon


def _best(steps: Sequence[dict[str, Any]], mode: str) -> int | None:
    """The step whose figures are summary.json's: the highest passing one (open), the one with
    the highest goodput (closed)."""
    if mode == "open":
        passing = [s for s in steps if s["passed"]]
        return max(passing, key=lambda s: (s["offered_rps"], s["index"]))["index"] \
            if passing else None
    ladder_steps = [s for s in steps if s["concurrency"] is not None]
    return max(ladder_steps, key=lambda s: s["achieved_rps"])["index"] if ladder_steps else None


def write_capacity_cell(folder: Path, *, variant: str, scenario: str, rep: int,
                        spec: CapacitySpec, model: CapacityModel, t0_ns: int = CAPACITY_T0_NS,
                        seed: int = 0) -> dict[str, Any]:
    """Write one capacity repetition folder (requests.csv, steps.csv, summary.json,
    monitor-server.csv); return its summary."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    if spec.mode == "open":
        plan, max_rate, limited, note = open_search(spec, model, rep)
    else:
        plan, max_rate, limited, note = ladder(spec, model, rep), None, "levels", \
            "every level of the ladder ran"
    steps, frames = [], []
    t = t0_ns
    for index, step in enumerate(plan):
        end = t + step.duration_s * 10**9
        rows = _rows(step, t, rng)
        steps.append(_step_object(index, step, rows, t, end))
        frames.append(rows)
        t = end + STEP_GAP_NS
    requests = pd.concat(frames, ignore_index=True)
    requests.to_csv(folder / "requests.csv", index=False)
    pd.DataFrame(steps).to_csv(folder / "steps.csv", index=False)
    best = _best(steps, spec.mode)
    chosen = frames[best] if best is not None else frames[-1]
    result = result_from_rows(
        [Row(int(r.seq), int(r.worker), None if pd.isna(r.scheduled_ns) else int(r.scheduled_ns),
             int(r.sent_ns), int(r.done_ns), 200, 64, "") for r in chosen.itertuples()],
        spec.mode)
    step = steps[best] if best is not None else steps[-1]
    # No target rate: the client judged the step against it already (its "passed"), and a
    # one-second synthetic step's tail would read as a shortfall.
    figures = cell_figures(load_summary(result, None, step["client_cpu_pct"], {}))
    if limited in ("client", "max_rate", "time_budget"):  # a lower bound, as the client says
        figures["warnings"] = [*figures["warnings"], f"capacity: {note}"]
        figures["status"] = "degraded" if figures["status"] == "ok" else figures["status"]
    if best is None and spec.mode == "open":
        figures["status"] = "failed"
    summary = build_summary(
        {"variant": variant, "stack": variant.partition("-")[0],
         "server": variant.partition("-")[2], "scenario": scenario, "rep": rep},
        {"method": spec.method, "path": spec.path, "model": spec.mode,
         "rate": step["offered_rps"], "concurrency": step["concurrency"], "iterations": None,
         "duration_s": spec.step_duration_s},
        figures,
        {"kind": "capacity",
         "capacity": {"mode": spec.mode,
                      "slo_p99_ms": spec.slo_p99_ms if spec.mode == "open" else None,
                      "max_error_rate": spec.max_error_rate, "min_goodput_ratio": 0.99,
                      "max_rate_rps": max_rate, "limited_by": limited, "limit_note": note,
                      "cost_step_index": 0, "steps": steps},
         "engine": "fast", "scale": 1.0, "source": "not in the papers: capacity curve"})
    (folder / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    _monitor(steps, model, t0_ns - 10 * SAMPLE_NS, t + 10 * SAMPLE_NS).to_csv(
        folder / "monitor-server.csv", index=False)
    return summary


def add_capacity_cells(root: Path, scenarios: Sequence[str], *, reps: int = 3,
                       models: dict[str, CapacityModel] | None = None, seed: int = 11) -> Path:
    """Write every variant of ``models`` x capacity scenario x repetition under ``root/cells``
    and add them to run.json (written if absent)."""
    models = models or CAPACITY_MODELS
    t0 = CAPACITY_T0_NS
    for scenario in scenarios:
        for v_index, (variant, model) in enumerate(models.items()):
            for rep in range(1, reps + 1):
                write_capacity_cell(root / "cells" / variant / scenario / f"rep-{rep}",
                                    variant=variant, scenario=scenario, rep=rep,
                                    spec=CAPACITY_SCENARIOS[scenario], model=model, t0_ns=t0,
                                    seed=seed + v_index * 100 + rep)
                t0 += CELL_SPACING_NS
    path = root / "run.json"
    meta = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    params = dict(meta.get("parameters") or {})
    variants = list(dict.fromkeys([*(params.get("variants") or []), *models]))
    fresh = write_run_json(root, variants, run_id=meta.get("run_id"))
    params.update(repetitions=params.get("repetitions") or reps, variants=variants,
                  scenarios=list(dict.fromkeys([*(params.get("scenarios") or []), *scenarios])))
    fresh["parameters"] = {**fresh["parameters"], **params}
    path.write_text(json.dumps(fresh, indent=1), encoding="utf-8")
    return root

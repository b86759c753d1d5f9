"""Run one named scenario into a cell folder: warm-up steps, pauses, the measured step,
requests.csv and summary.json (built by ``runfiles.summary_json.build_summary``). A capacity
scenario's measured part is a whole search (``client.capacity_cell``): every step into
requests.csv, one row per step into steps.csv, and the ``capacity`` block in summary.json.

With ``share`` (several client hosts on one cell) every step is this host's share and, when a
common ``start_at`` is given, the measured step starts at a time every share computes alike.
"""

from __future__ import annotations

import math
import platform
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client import __version__
from client.clock import Clock
from client.plan import LoadPlan
from client.share import Share
from runfiles.figures import cell_figures, load_summary
from runfiles.summary_json import build_summary, write_json_atomic
from runfiles.validity import MAX_ERROR_RATE


@dataclass(frozen=True)
class CellRequest:
    scenario: str
    base_url: str
    out: Path
    scale: float = 1.0
    engine: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    start_at: int | None = None  # epoch ns
    timeout_s: float | None = None
    share: Share | None = None
    max_error_rate: float = MAX_ERROR_RATE
    add_warmup: bool = False  # give a scenario without warm-up one (paper 2's cells start cold)
    skip_warmup: bool = False  # run no warm-up: the cell follows another on the same server


def client_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(),
                                  "fwbench_client": __version__}
    for mod in ("uvloop", "requests", "psutil"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def step_params(p: LoadPlan | None, model: str) -> dict[str, Any]:
    """rate, concurrency, iterations, duration_s of a (share of a) step; a share with nothing
    to send in it has 0 requests / connections."""
    if p is None:
        return {"rate": 0.0 if model == "open" else None,
                "concurrency": 0 if model == "closed" else None, "iterations": 0,
                "duration_s": None}
    return {"rate": p.rate, "concurrency": p.concurrency, "iterations": p.iterations,
            "duration_s": p.duration_s}


def _warmup_entry(p: LoadPlan | None, full: LoadPlan) -> dict[str, Any]:
    return {"method": full.method, "path": full.path, "model": full.model,
            **step_params(p, full.model)}


def measure_start_at(start_at: int, full_warm: list[LoadPlan], pauses_s: float) -> int:
    """``run --share --start-at`` with warm-up steps: when every share starts its measured step
    (the same for all of them: computed from the whole steps): the warm-up's expected time plus
    10% and 2 s, rounded up to 100 ms. A share still warming up then starts late and warns."""
    expected = sum(p.expected_s for p in full_warm) + pauses_s
    slack_ns = math.ceil((expected * 1.1 + 2.0) * 10) * 100_000_000
    return start_at + slack_ns


def run_cell(req: CellRequest) -> dict[str, Any]:
    """Run the scenario into ``req.out``; return the summary (also written to summary.json).
    Raises ValueError (a plan that cannot be built) and ScenarioError (an unknown scenario)."""
    from client import scenarios
    from client.runner import execute
    from runfiles.requests_csv import RowSink
    from runfiles.run_result import RunResult

    original = scenarios.load(req.scenario).scaled(req.scale)
    if req.add_warmup and req.skip_warmup:
        raise ValueError("--add-warmup and --skip-warmup exclude each other")
    if original.capacity is not None:
        if req.share is not None:
            raise ValueError(f"{original.name} is a capacity scenario: a capacity scenario runs "
                             "from one client host (no --share)")
        if req.engine not in (None, "fast"):
            raise ValueError(f"{original.name} is a capacity scenario: it runs on the fast "
                             "engine only")
    scen = (original.with_warmup() if req.add_warmup
            else original.without_warmup() if req.skip_warmup else original)
    out = req.out
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    full_warm = [w.plan(req.base_url, req.engine, req.seed + 1000 + i, req.timeout_s)
                 for i, w in enumerate(scen.warmup)]
    full_plan = (scen.measure.template(req.base_url, req.seed, req.timeout_s) if scen.capacity
                 else scen.measure.plan(req.base_url, req.engine, req.seed, req.timeout_s))
    warm_plans: list[LoadPlan | None] = list(full_warm)
    plan: LoadPlan | None = full_plan
    measure_at = None
    share = req.share
    if share is not None:
        warm_plans = [share.apply(p) for p in full_warm]
        plan = share.apply(full_plan)
        pauses = scen.pause_s + sum(w.spec.get("pause_after_s", 0.0) for w in scen.warmup)
        if req.start_at is not None and (full_warm or pauses):
            measure_at = measure_start_at(req.start_at, full_warm, pauses)

    start_at = req.start_at
    for i, (wplan, wstep) in enumerate(zip(warm_plans, scen.warmup, strict=False)):
        if wplan is not None:
            execute(wplan, None, clock, start_at_epoch_ns=start_at, label=f"warm-up {i + 1}")
        start_at = None
        time.sleep(wstep.spec.get("pause_after_s", 0.0))
    if scen.pause_s:
        time.sleep(scen.pause_s)
    if measure_at is not None:
        start_at = measure_at
    capacity = None
    if scen.capacity is not None:
        from client.capacity_cell import measure

        if start_at is not None:  # no warm-up took it: the search starts then
            time.sleep(max(0.0, (start_at - time.time_ns()) / 1e9))
        capacity = measure(scen, req.base_url, out, clock, req.seed, req.timeout_s,
                           req.max_error_rate)
        plan = full_plan = capacity.plan
        figures = capacity.figures
        event_loop, opened = capacity.event_loop, capacity.connections_opened
    elif plan is not None:
        ex = execute(plan, out / "requests.csv", clock, start_at_epoch_ns=start_at,
                     label=scen.name)
        load = load_summary(ex.result, plan.rate, ex.client_cpu_pct, ex.facts_dict(),
                            plan.timeout_s, req.max_error_rate)
        figures = cell_figures(load)
        event_loop, opened = ex.event_loop, ex.facts.connections_opened
    else:  # this share has nothing to send in the measured step
        RowSink(out / "requests.csv").close()
        load = load_summary(RunResult(model=full_plan.model), None, None, {},
                            max_error_rate=req.max_error_rate)
        load["warnings"] = [f"share {share} has nothing to send in the measured step (fewer "
                            "connections or iterations than shares)"]
        figures = cell_figures(load)
        event_loop, opened = None, 0
    p = plan or full_plan
    labels = req.labels
    extras: dict[str, Any] = {
        "engine": p.engine, "connection": p.connection, "event_loop": event_loop,
        "scale": req.scale,
        "seed": req.seed, "timeout_s": p.timeout_s, "pause_s": p.pause_s,
        "connections_opened": opened,
        "connection_limit": p.connection_limit if p.model == "open" else None,
        "writes": scen.writes, "source": scen.data["source"],
        "warmup": [_warmup_entry(w, f) for w, f in zip(warm_plans, full_warm, strict=True)],
        "warmup_pause_s": scen.pause_s, "base_url": req.base_url, "labels": labels,
        "client_host": socket.gethostname(), "client_versions": client_versions(),
        "start_at_ns": req.start_at, "warmup_added": req.add_warmup and scen is not original,
        "warmup_skipped": req.skip_warmup and bool(original.warmup),
    }
    if share is not None:
        extras.update({
            "share": str(share),
            "share_step": {**step_params(full_plan, full_plan.model),
                           "warmup": [_warmup_entry(f, f) for f in full_warm]},
            "measure_start_at_ns": measure_at, "share_idle": plan is None,
        })
    if capacity is not None:
        extras.update({"kind": "capacity", "capacity": capacity.outcome.block()})
    identity = {**labels, "scenario": scen.name}
    step = {"method": p.method, "path": scen.measure.spec["path"], "model": p.model,
            **step_params(plan, full_plan.model)}
    summary = build_summary(identity, step, figures, extras)
    write_json_atomic(out / "summary.json", summary)
    return summary

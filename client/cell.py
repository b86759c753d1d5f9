"""Run one named scenario into a cell folder: warm-up steps, pauses, the measured step,
requests.csv and summary.json (built by ``runfiles.summary_json.build_summary``). A capacity
scenario's measured part is a whole search (``client.capacity_cell``): every step into
requests.csv, one row per step into steps.csv, and the ``capacity`` block in summary.json.

With ``share`` (several client hosts on one cell) every step is this host's share and, when a
common ``start_at`` is given, the measured step starts at a time every share computes alike.

``warmup`` chooses the warm-up: the scenario file's own steps (``scenario``) or the measured
request itself (``measured``, client/warmup.py); ``min_measure_s`` is the floor of the measured
phase (client/measure.py: time-based steps stretched, iteration steps repeated in blocks).
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
    warmup: str = "scenario"  # "scenario": the file's warm-up; "measured": client/warmup.py
    min_measure_s: float = 0.0  # floor of the measured phase, seconds (client/measure.py); 0 off


WARMUP_MODES: tuple[str, ...] = ("measured", "scenario")


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


def _run_warmup(plans: list[LoadPlan | None], steps: tuple[Any, ...], clock: Clock,
                start_at: int | None, share: Share | None) -> list[int]:
    """Run the warm-up steps, unrecorded, each followed by its pause; a step with
    ``min_requests`` (the measured warm-up) is topped up to them (this share's part). Returns
    the requests each step sent."""
    from client.runner import execute
    from client.warmup import top_up

    sent = []
    for i, (wplan, wstep) in enumerate(zip(plans, steps, strict=True)):
        n = 0
        if wplan is not None:
            ex = execute(wplan, None, clock, start_at_epoch_ns=start_at, label=f"warm-up {i + 1}")
            n = ex.result.requests
            wanted = wstep.spec.get("min_requests", 0)
            if share is not None:
                wanted = math.ceil(wanted / share.count)
            more = None if ex.facts.interrupted else top_up(wplan, n, wanted)
            if more is not None:
                n += execute(more, None, clock, label=f"warm-up {i + 1}").result.requests
        sent.append(n)
        start_at = None
        time.sleep(wstep.spec.get("pause_after_s", 0.0))
    return sent


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
    from client.measure import block_plan, plan_floor, run_phase
    from client.warmup import measured_warmup
    from runfiles.requests_csv import RowSink
    from runfiles.run_result import RunResult

    original = scenarios.load(req.scenario).scaled(req.scale)
    if req.add_warmup and req.skip_warmup:
        raise ValueError("--add-warmup and --skip-warmup exclude each other")
    if req.warmup not in WARMUP_MODES:
        raise ValueError(f"--warmup must be one of {', '.join(WARMUP_MODES)}, got {req.warmup!r}")
    if not (req.min_measure_s >= 0 and math.isfinite(req.min_measure_s)):
        raise ValueError(f"--min-measure-s must be >= 0, got {req.min_measure_s!r}")
    if original.capacity is not None:
        if req.share is not None:
            raise ValueError(f"{original.name} is a capacity scenario: a capacity scenario runs "
                             "from one client host (no --share)")
        if req.engine not in (None, "fast"):
            raise ValueError(f"{original.name} is a capacity scenario: it runs on the fast "
                             "engine only")
    if req.skip_warmup:
        scen, warmup_mode = original.without_warmup(), "none"
    elif req.warmup == "measured" and original.capacity is None:
        scen, warmup_mode = measured_warmup(original, req.scale), "measured"
    else:  # a capacity scenario's cost step is its warm-up: it keeps its own
        scen = original.with_warmup() if req.add_warmup else original
        warmup_mode = "scenario"
    # the floor does not apply to a capacity scenario (its search times itself)
    floor = plan_floor(scen.measure, 0.0 if scen.capacity else req.min_measure_s)
    measure_step = floor.step
    out = req.out
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    full_warm = [w.plan(req.base_url, req.engine, req.seed + 1000 + i, req.timeout_s)
                 for i, w in enumerate(scen.warmup)]
    full_plan = (scen.measure.template(req.base_url, req.seed, req.timeout_s) if scen.capacity
                 else measure_step.plan(req.base_url, req.engine, req.seed, req.timeout_s))
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

    warm_sent = _run_warmup(warm_plans, scen.warmup, clock, req.start_at, share)
    start_at = req.start_at if not scen.warmup else None
    if scen.pause_s:
        time.sleep(scen.pause_s)
    if measure_at is not None:
        start_at = measure_at
    capacity = None
    blocks: int | None = None
    measured_s: float | None = None
    floor_note = None
    if scen.capacity is not None:
        from client.capacity_cell import measure

        if start_at is not None:  # no warm-up took it: the search starts then
            time.sleep(max(0.0, (start_at - time.time_ns()) / 1e9))
        capacity = measure(scen, req.base_url, out, clock, req.seed, req.timeout_s,
                           req.max_error_rate)
        plan = full_plan = capacity.plan
        figures = capacity.figures
        event_loop, opened = capacity.event_loop, capacity.connections_opened
        if req.min_measure_s:
            floor_note = ("the floor does not apply to a capacity scenario: its search sets its "
                          "own step durations and time budget")
    elif plan is not None:
        first = plan

        def plan_for(b: int, units: int) -> LoadPlan | None:
            return first if b == 0 and units == 1 else block_plan(
                measure_step, b, req.base_url, req.engine, req.seed, req.timeout_s, share, units)

        phase = run_phase(floor, plan_for, out / "requests.csv", clock, start_at, scen.name)
        ex = phase.execution
        blocks, measured_s, floor_note = phase.blocks, phase.measured_s, phase.note
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
        event_loop, opened, blocks = None, 0, 0
    p = plan or full_plan
    labels = req.labels
    extras: dict[str, Any] = {
        "engine": p.engine, "connection": p.connection, "event_loop": event_loop,
        "scale": req.scale,
        "seed": req.seed, "timeout_s": p.timeout_s, "pause_s": p.pause_s,
        "connections_opened": opened,
        "connection_limit": p.connection_limit if p.model == "open" else None,
        "writes": scen.writes, "source": scen.data["source"],
        "warmup_mode": warmup_mode,
        "warmup": [{**_warmup_entry(w, f), "requests": n}
                   for w, f, n in zip(warm_plans, full_warm, warm_sent, strict=True)],
        "warmup_pause_s": scen.pause_s, "base_url": req.base_url, "labels": labels,
        "client_host": socket.gethostname(), "client_versions": client_versions(),
        "start_at_ns": req.start_at,
        "warmup_added": warmup_mode == "scenario" and req.add_warmup and scen is not original,
        "warmup_skipped": req.skip_warmup and bool(original.warmup),
        "min_measure_s": req.min_measure_s, "measure_blocks": blocks, "measured_s": measured_s,
        "min_measure_note": floor_note,
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

"""Run a capacity search against a server: each step through ``runner.execute``, the pause and
drain between steps, the time budget, and the verdicts. The search itself is pure
(client/search.py), the step format is client/capacity.py, the rules runfiles/validity.py;
docs/methodology.md, "Capacity", explains them.

Before the first step, ``IDLE_PROBES`` sequential unrecorded requests warm the connection path
and measure the server's idle latency. After every step (whose requests are all answered or
abandoned before it ends) the sweep pauses ``DRAIN_PAUSE_S``, then sends one request at a time
until one is answered within ``DRAIN_FACTOR`` × the idle latency + ``DRAIN_SLACK_MS`` — work the
server still had queued (requests the client abandoned) is done before the next step starts — or
until the request timeout has passed.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from client.capacity import CapacityOutcome, CapacitySpec, step_record
from client.clock import Clock
from client.plan import LoadPlan
from client.runner import Execution, execute
from client.search import CLIENT, FAIL, PASS, RESOLUTION, Bracket, search
from runfiles import validity
from runfiles.figures import lateness_ms

DRAIN_PAUSE_S = 0.5
DRAIN_FACTOR = 2.0
DRAIN_SLACK_MS = 5.0
IDLE_PROBES = 20
PROBE_GAP_S = 0.1


def connections(c: int) -> str:
    return f"{c} connection{'s' * (c != 1)}"


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass
class StepRun:
    plan: LoadPlan
    execution: Execution
    record: dict[str, Any]


def step_plan(template: LoadPlan, seed: int, **load: Any) -> LoadPlan:
    """``template``'s request with this step's load (``rate`` + ``duration_s`` or
    ``concurrency`` + ``duration_s`` / ``iterations``); ids are drawn again from ``seed``."""
    fields: dict[str, Any] = {"rate": None, "concurrency": None, "iterations": None,
                              "duration_s": None, **load}
    return replace(template, seed=template.seed + seed, variants=[], **fields)


class Sweep:
    """The steps of one capacity search, in order; every row goes to ``csv_path`` (when given)."""

    def __init__(self, template: LoadPlan, spec: CapacitySpec, csv_path: Path | None = None,
                 clock: Clock | None = None, log: Callable[[str], None] = _stderr) -> None:
        self.template = template
        self.spec = spec
        self.csv_path = csv_path
        self.clock = clock or Clock()
        self.log = log
        self.started = time.monotonic()
        self.deadline = self.started + spec.time_budget_s
        self.runs: list[StepRun] = []
        self.idle_ms: float | None = None
        self._probes = 0

    @property
    def steps(self) -> list[dict[str, Any]]:
        return [r.record for r in self.runs]

    def fits(self, seconds: float) -> bool:
        """Is there time left in the budget for a step of ``seconds`` and its pause?"""
        return time.monotonic() + seconds + DRAIN_PAUSE_S <= self.deadline

    def _unrecorded(self, **load: Any) -> Execution:
        self._probes += 1
        return execute(step_plan(self.template, 100_000 + self._probes, **load), None,
                       self.clock, show_progress=False)

    def baseline(self) -> None:
        """Warm the path and measure the idle latency (median of ``IDLE_PROBES`` requests)."""
        res = self._unrecorded(concurrency=1, iterations=IDLE_PROBES).result
        if res.latencies_ns:
            self.idle_ms = statistics.median(res.latencies_ns) / 1e6

    def drain(self) -> None:
        """Pause, then wait until the server answers one request about as fast as when idle."""
        time.sleep(DRAIN_PAUSE_S)
        if self.idle_ms is None:
            return
        bound_ns = (DRAIN_FACTOR * self.idle_ms + DRAIN_SLACK_MS) * 1e6
        end = time.monotonic() + self.template.timeout_s
        while True:
            res = self._unrecorded(concurrency=1, iterations=1).result
            if (res.errors and not res.censored) or (res.latencies_ns
                                                     and res.latencies_ns[0] <= bound_ns):
                return
            if time.monotonic() >= end:
                self.log(f"drain: the server still answers slowly after "
                         f"{self.template.timeout_s:g} s; the next step starts anyway")
                return
            time.sleep(PROBE_GAP_S)

    def _run(self, phase: str, plan: LoadPlan) -> StepRun:
        index = len(self.runs)
        what = f"{plan.rate:g} req/s" if plan.rate else connections(plan.concurrency or 0)
        ex = execute(plan, self.csv_path, self.clock, label=f"step {index} {phase} {what}",
                     append=bool(self.runs))
        if ex.facts.interrupted:  # SIGINT/SIGTERM during the step: the search ends here
            raise KeyboardInterrupt
        rec = step_record(index, phase, ex.result, plan.rate, plan.concurrency,
                          self.clock.to_epoch(ex.facts.t0_perf),
                          self.clock.to_epoch(ex.facts.end_perf), ex.client_cpu_pct)
        run = StepRun(plan, ex, rec)
        self.runs.append(run)
        return run

    def open_step(self, rate: float, phase: str, duration_s: float) -> str:
        """One open-loop step at ``rate``; returns its verdict (PASS, FAIL or CLIENT; PASS for a
        closed-mode cost step, which has no objective and is not judged)."""
        run = self._run(phase, step_plan(self.template, len(self.runs), rate=rate,
                                         duration_s=duration_s))
        verdict = PASS
        if self.spec.slo_p99_ms is not None:
            verdict, run.record["reason"] = judge(run, self.spec)
            run.record["passed"] = verdict == PASS
        self._report(run.record, verdict)
        self.drain()
        return verdict

    def closed_step(self, concurrency: int) -> dict[str, Any]:
        run = self._run("ladder", step_plan(self.template, len(self.runs),
                                            concurrency=concurrency,
                                            duration_s=self.spec.step_duration_s))
        cpu = validity.client_cpu_warning(run.record["client_cpu_pct"])
        run.record["reason"] = cpu or ""
        self._report(run.record, "")
        self.drain()
        return run.record

    def cost_step(self) -> int | None:
        """The fixed-rate step that measures the cost of a request (and warms the server)."""
        spec = self.spec
        if spec.cost_rate is None or spec.cost_duration_s is None:
            return None
        self.open_step(spec.cost_rate, "cost", spec.cost_duration_s)
        return len(self.runs) - 1

    def _report(self, rec: dict[str, Any], verdict: str) -> None:
        load = (f"{rec['offered_rps']:g} req/s" if rec["offered_rps"]
                else connections(rec["concurrency"]))
        p99 = "n/a" if rec["p99_ms"] is None else f"{rec['p99_ms']:.1f} ms"
        good = "n/a" if rec["achieved_rps"] is None else f"{rec['achieved_rps']:.1f} req/s"
        tail = f" -> {verdict}" if verdict else ""
        why = f" ({rec['reason']})" if rec["reason"] else ""
        self.log(f"step {rec['index']} {rec['phase']} {load}: {rec['requests']} requests, "
                 f"goodput {good}, p99 {p99}, errors {rec['errors']}{tail}{why}")


def judge(run: StepRun, spec: CapacitySpec) -> tuple[str, str]:
    """The verdict of an open-loop step (validity.capacity_verdict on its figures)."""
    rec, res = run.record, run.execution.result
    late = lateness_ms(res)
    assert spec.slo_p99_ms is not None and run.plan.rate is not None
    return validity.capacity_verdict(
        rec["p99_ms"], spec.slo_p99_ms, rec["error_rate"], spec.max_error_rate,
        rec["achieved_rps"], run.plan.rate, late["p99"], late["max"], rec["client_cpu_pct"],
        run.execution.facts.limit_hits)


def run_open(sw: Sweep) -> CapacityOutcome:
    """The open-loop search: cost step (if any), grow, bisect. A step the client limited is run
    once more (a passing hiccup of a shared host) before the search stops on it."""
    spec = sw.spec
    sw.baseline()
    cost_index = sw.cost_step()

    def oracle(rate: float, phase: str) -> str:
        duration = spec.step_duration_at(rate)
        verdict = sw.open_step(rate, phase, duration)
        if verdict == CLIENT and sw.fits(duration):
            sw.runs[-1].record["reason"] += " (step repeated once)"
            verdict = sw.open_step(rate, phase, duration)
        return verdict

    bracket = search(oracle, spec.start_rate, spec.max_rate,
                     may_run=lambda rate: sw.fits(spec.step_duration_at(rate)))
    note, warnings = open_note(bracket, sw)
    return CapacityOutcome(spec, sw.steps, bracket.passed, bracket.limited_by, note, cost_index,
                           warnings)


def _last_reason(sw: Sweep, rate: float | None, verdict: str) -> str:
    for run in reversed(sw.runs):
        rec = run.record
        if rec["phase"] in ("grow", "bisect") and rec["offered_rps"] == rate and \
                (verdict != FAIL or rec["passed"] is False):
            return rec["reason"]
    return ""


def open_note(b: Bracket, sw: Sweep) -> tuple[str, list[str]]:
    """``limit_note`` (one sentence) and the cell warnings for how the search ended."""
    spec = sw.spec
    lo, hi = b.passed, b.failed
    if b.limited_by == "server":
        return (f"the server held the objective at {lo:g} req/s and missed it at {hi:g} req/s "
                f"({_last_reason(sw, hi, FAIL)}); resolution {RESOLUTION:.0%}"), []
    if b.limited_by == "max_rate":
        note = (f"the server held the objective at max_rate {spec.max_rate:g} req/s: its "
                "capacity is higher (raise max_rate)")
    elif b.limited_by == "none_passed":
        note = (f"the first rate, {spec.start_rate:g} req/s, already missed the objective "
                f"({_last_reason(sw, spec.start_rate, FAIL)}): lower start_rate")
    elif b.limited_by == "client":
        rate = b.probes[-1].rate
        floor = f"at least {lo:g} req/s" if lo is not None else "not measured (nothing passed)"
        note = (f"the client could not send {rate:g} req/s on schedule "
                f"({_last_reason(sw, rate, CLIENT)}): the server's capacity is {floor}; "
                "more client hosts or a quieter client host would measure beyond")
    else:
        where = (f"between {lo:g} and {hi:g} req/s" if lo is not None and hi is not None
                 else f"at least {lo:g} req/s" if lo is not None
                 else "unknown (nothing passed)")
        note = (f"the {spec.time_budget_s:g} s time budget ran out before the search converged: "
                f"capacity {where}")
    return note, [f"capacity: {note}"]


def run_closed(sw: Sweep) -> CapacityOutcome:
    """The closed-loop ladder: goodput and p99 at each connection level, stopping early at the
    first level whose error rate is above ``max_error_rate`` (more connections would only fail
    more) or when the time budget has no room for the next level."""
    spec = sw.spec
    sw.baseline()
    cost_index = sw.cost_step()
    note = f"every level ran ({', '.join(str(c) for c in spec.levels)} connections)"
    warnings: list[str] = []
    for c in spec.levels:
        if not sw.fits(spec.step_duration_s):
            note = f"the {spec.time_budget_s:g} s time budget ran out before {connections(c)}"
            warnings.append(f"capacity: {note}")
            break
        rec = sw.closed_step(c)
        rate = rec["error_rate"]
        if rate is None or rate > spec.max_error_rate:
            shown = "n/a (nothing completed)" if rate is None else f"{rate:.4f}"
            rec["reason"] = (f"error rate {shown} > {spec.max_error_rate:g}: the ladder stops "
                             "here")
            note = (f"stopped at {connections(c)}: error rate {shown} > "
                    f"{spec.max_error_rate:g}")
            break
    return CapacityOutcome(spec, sw.steps, None, "levels", note, cost_index, warnings)


def run(sw: Sweep) -> CapacityOutcome:
    return run_open(sw) if sw.spec.mode == "open" else run_closed(sw)


def representative(sw: Sweep, outcome: CapacityOutcome) -> StepRun | None:
    """The step whose figures a capacity cell's summary carries: the highest passing search step
    (open), the highest goodput (closed); without one, the first search step, else any step."""
    search_runs = [r for r in sw.runs if r.record["phase"] != "cost"]
    if outcome.spec.mode == "open":
        passed = [r for r in search_runs if r.record["passed"]]
        if passed:
            return max(passed, key=lambda r: r.record["offered_rps"])
    elif search_runs:
        return max(search_runs, key=lambda r: r.record["achieved_rps"] or 0.0)
    return (search_runs or sw.runs or [None])[0]


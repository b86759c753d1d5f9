"""The measured phase of a load cell and its floor (``run --min-measure-s S``).

Without a floor (S = 0) the measured step runs once, as it always did. With one, the phase lasts
at least S seconds:

* a **time-based** step — a duration (closed or open loop), or an open-loop schedule of
  ``iterations`` at a rate — has its duration raised to S (an open-loop schedule to
  ``ceil(S × rate) + 1`` requests, so that from the first to the last it spans S). It still
  runs once: one block.
* a closed-loop step of **shared iterations** (its pattern: N requests) runs once; if that took
  t < S seconds, the patterns still needed at that pace (5% spare) run as one more execution, on
  one set of connections (opening them at every pattern would put a burst of new connections,
  which some servers accept slowly, in the middle of the measurement), and so on until the time
  since the first pattern began reaches S. Every pattern's rows go to the same requests.csv,
  ``seq`` continuing (pattern b sends ``b·N .. b·N + N-1``), and the summary counts them all as
  one measured phase (``measure_blocks``: the patterns run).

A repeat never does what one pattern would not: ``{seq}`` in bodies continues (a create never
reuses a name), random ids are drawn afresh (from the seed and the block) and sequential ids — a
delete's distinct ids — move on to the next N, up to ``ids.max``, the last id that exists (the
seeded rows). When those run out, or a sequential step has no ``ids.max``, the phase stops short
of the floor and ``min_measure_note`` says why. Capacity scenarios are not load cells: the floor
does not apply to them (client/cell.py says so in the summary).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

from client.clock import Clock, now
from client.engine import EngineFacts
from client.plan import LoadPlan
from client.runner import Execution, execute
from client.scenarios import Step
from client.share import Share
from runfiles.run_result import combined

BLOCK_SEED_STRIDE = 1_000_003  # random ids of block b: drawn from seed + b × this


@dataclass(frozen=True)
class Floor:
    """The measured step under a floor: ``step`` (time-based steps stretched), how many blocks
    its ids allow (None: no limit) and, when that or a capped schedule could stop the phase short
    of the floor, why (``limit``)."""

    step: Step
    floor_s: float
    max_blocks: int | None
    limit: str | None = None

    @property
    def repeats(self) -> bool:
        return self.max_blocks != 1


@dataclass(frozen=True)
class Phase:
    """What the measured phase did: its requests as one Execution, the blocks it ran, its wall
    time (first block's start to last block's end) and, when the floor was not reached, why."""

    execution: Execution
    blocks: int
    measured_s: float
    note: str | None


def id_room(spec: dict) -> tuple[int | None, str | None]:
    """Ids the pattern and its repeats may use (None: no limit) and the reason of the limit.
    Only sequential ids (each used once: deletes) are limited."""
    ids = spec.get("ids")
    if not ids or ids.get("mode") != "sequential":
        return None, None
    start, n = ids.get("start", 1), spec["iterations"]
    what = f"{spec['method']} /{spec['path'].lstrip('/')}"
    if not ids.get("max"):
        return n, (f"sequential ids without ids.max: a repeat of {what} would reuse ids the "
                   "pattern already used")
    return ids["max"] - start + 1, (f"the ids {start}..{ids['max']} (ids.max) are used up: "
                                    f"another {what} would hit ids already used")


def plan_floor(step: Step, floor_s: float) -> Floor:
    """How the measured ``step`` (already scaled) reaches ``floor_s`` seconds."""
    s = step.spec
    if floor_s <= 0:
        return Floor(step, 0.0, 1)
    rate = s.get("rate")
    if s.get("duration_s") is not None:
        # open loop: round(duration × rate) requests whose schedule spans (n - 1) / rate
        want_s = (math.ceil(floor_s * rate) + 1) / rate if rate else floor_s
        stretched = Step({**s, "duration_s": want_s}) if s["duration_s"] < want_s else step
        return Floor(stretched, floor_s, 1)
    n = s["iterations"]
    room, why = id_room(s)
    if rate is not None:
        want = math.ceil(floor_s * rate) + 1  # the schedule spans (want - 1) / rate >= floor_s
        limit = None
        if room is not None and want > room:
            want, limit = room, why
        return Floor(Step({**s, "iterations": want}) if want > n else step, floor_s, 1, limit)
    if room is None:
        return Floor(step, floor_s, None)
    return Floor(step, floor_s, max(1, room // n), why)


def block_plan(step: Step, block: int, base_url: str, engine: str | None, seed: int,
               timeout_s: float | None, share: Share | None, units: int = 1) -> LoadPlan | None:
    """Blocks ``block`` .. ``block + units - 1`` of the measured step as one plan (this share's
    part of it; None: nothing to send): ``units`` times the pattern's N requests over the same
    connections. Block 0 alone is exactly the step's plan; from block b on, ``{seq}`` and
    sequential ids start b·N on, random ids come from ``seed + b × BLOCK_SEED_STRIDE`` and
    ``seq`` continue from b·N."""
    n = step.spec.get("iterations") or 0
    grown = Step({**step.spec, "iterations": n * units}) if units > 1 else step
    full = grown.plan(base_url, engine, seed + block * BLOCK_SEED_STRIDE, timeout_s,
                      seq_offset=block * n)
    plan = share.apply(full) if share is not None else full
    if plan is None or block == 0:
        return plan
    return replace(plan, seq_start=plan.seq_start + block * n)


def run_phase(floor: Floor, plan_for: Callable[[int, int], LoadPlan | None],
              csv_path: str | os.PathLike[str], clock: Clock, start_at: int | None,
              label: str) -> Phase:
    """Run the pattern once (at ``start_at``); for a floor not reached, then run as many more
    patterns as the first one's pace says the floor needs (5% spare), in one execution — its
    connections open once, not at every pattern — and so on until the floor is reached or the ids
    allow no more; return the phase. ``plan_for(block, units)`` gives ``units`` patterns from
    pattern ``block`` on; ``plan_for(0, 1)`` must not be None."""
    started = now()
    first = plan_for(0, 1)
    assert first is not None
    runs = [execute(first, csv_path, clock, start_at_epoch_ns=start_at, label=label)]
    t0 = runs[0].facts.t0_perf or started
    done = 1  # patterns run
    stop = None
    while floor.repeats and (elapsed := (runs[-1].facts.end_perf - t0) / 1e9) < floor.floor_s:
        if runs[-1].facts.interrupted or runs[-1].facts.guard_tripped:
            stop = "the run was interrupted"
            break
        if floor.max_blocks is not None and done >= floor.max_blocks:
            stop = floor.limit
            break
        per = elapsed / done if elapsed > 0 else floor.floor_s
        units = max(1, math.ceil((floor.floor_s - elapsed) / per * 1.05))
        if floor.max_blocks is not None:
            units = min(units, floor.max_blocks - done)
        plan = plan_for(done, units)
        if plan is None:
            break
        runs.append(execute(plan, csv_path, clock, label=f"{label} (patterns {done + 1}-"
                            f"{done + units})", append=True))
        done += units
    measured_s = round((runs[-1].facts.end_perf - t0) / 1e9, 3)
    if not floor.repeats:
        stop = floor.limit
    note = None
    if floor.floor_s and measured_s < floor.floor_s and stop:
        note = (f"floor {floor.floor_s:g} s not reached: measured {measured_s:g} s in "
                f"{done} pattern(s); {stop}")
    return Phase(combine(runs), done, measured_s, note)


def combine(runs: list[Execution]) -> Execution:
    """The blocks of one measured phase as one Execution: their requests together, connections
    summed, CPU averaged over their wall time, the first block's start and plan."""
    if len(runs) == 1:
        return runs[0]
    first, last = runs[0], runs[-1]
    facts = EngineFacts(
        t0_perf=first.facts.t0_perf, end_perf=last.facts.end_perf,
        connections_opened=sum(r.facts.connections_opened for r in runs),
        max_open=max(r.facts.max_open for r in runs),
        limit_hits=sum(r.facts.limit_hits for r in runs),
        interrupted=any(r.facts.interrupted for r in runs),
        guard_tripped=any(r.facts.guard_tripped for r in runs),
        start_late_ms=first.facts.start_late_ms)
    walls = [(r.facts.end_perf - r.facts.t0_perf) / 1e9 for r in runs]
    timed = [(r.client_cpu_pct, w) for r, w in zip(runs, walls, strict=True)
             if r.client_cpu_pct is not None and w > 0]
    total = sum(w for _, w in timed)
    cpu = round(sum(c * w for c, w in timed) / total, 1) if total > 0 else None
    return Execution(first.plan, combined(r.result for r in runs), facts, cpu, first.event_loop)

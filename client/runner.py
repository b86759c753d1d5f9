"""Execute one LoadPlan with the chosen engine; return what the summary needs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
from dataclasses import asdict, dataclass
from typing import Any

from client.clock import Clock, now
from client.engine import EngineFacts
from client.fast_engine import FastEngine, new_event_loop
from client.plan import LoadPlan
from client.progress import Progress
from client.recorder import Recorder
from client.requests_engine import RequestsEngine
from runfiles.requests_csv import RowSink
from runfiles.run_result import RunResult


@dataclass
class Execution:
    plan: LoadPlan
    result: RunResult
    facts: EngineFacts
    client_cpu_pct: float | None
    event_loop: str | None

    def facts_dict(self) -> dict[str, Any]:
        d = asdict(self.facts)
        d["connection_limit"] = self.plan.connection_limit
        return d


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY
                                                        else max(soft, 65536), hard))


def execute(plan: LoadPlan, csv_path: str | os.PathLike[str] | None, clock: Clock,
            start_at_epoch_ns: int | None = None, label: str = "load",
            show_progress: bool = True, append: bool = False) -> Execution:
    """Run the plan; rows go to ``csv_path`` (None: not recorded, e.g. warm-up), after the rows
    already there with ``append``."""
    raise_fd_limit()
    sink = RowSink(csv_path, append=append)
    start_at = clock.to_perf(start_at_epoch_ns) if start_at_epoch_ns is not None else None
    try:
        batched = plan.engine == "fast"
        rec = Recorder(plan.model, sink, clock, batched=batched)
        engine: FastEngine | RequestsEngine
        engine = FastEngine(plan, rec) if batched else RequestsEngine(plan, rec)
        engine.start_at_perf = start_at

        def counts() -> tuple[int, int]:
            res = rec.result
            return res.requests, res.errors

        loop_name = None
        with Progress(label, plan.expected_s, plan.total,
                      counts) if show_progress else _null():
            if isinstance(engine, FastEngine):
                loop, loop_name = new_event_loop()
                try:
                    cpu0 = _cpu_s()
                    facts = loop.run_until_complete(engine.run())
                    cpu1 = _cpu_s()
                finally:
                    loop.run_until_complete(asyncio.sleep(0))
                    loop.close()
            else:
                cpu0 = _cpu_s()
                facts = engine.run()
                cpu1 = _cpu_s()
        wall = (facts.end_perf - (facts.t0_perf if facts.t0_perf else now())) / 1e9
        cpu_pct = round(100 * (cpu1 - cpu0) / wall, 1) if wall > 0 else None
        return Execution(plan, rec.result, facts, cpu_pct, loop_name)
    finally:
        sink.close()


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

"""Summaries: the figures of a run, its validity warnings and status. Pure functions.

Definitions (also in client/README.md):

* ``started_ns``: first scheduled time (open loop) or first send (closed loop); ``ended_ns``: last
  completion; ``duration_s = (ended_ns - started_ns) / 1e9``. All derivable from requests.csv.
* ``achieved_rps``: completion rate of all finished requests (errors included),
  ``(requests - 1) / (last done - first done)``; with a single request, ``requests / duration_s``.
  Unlike ``requests / duration_s`` it is not biased by the first request's latency or, in open
  loop, by the drain of the last ones.
* ``offered_rps`` (open loop): send rate ``(sent - 1) / (last sent - first sent)``.
* latency: successes only; from ``scheduled_ns`` in open loop (no coordinated omission), from
  ``sent_ns`` in closed loop. ``lateness_ms``: ``sent_ns - scheduled_ns`` (open loop).
"""

from __future__ import annotations

from typing import Any

from client.constants import (
    CLIENT_CPU_WARN_PCT,
    FAILED_ERROR_FRACTION,
    LATENESS_P99_WARN_MS,
    RATE_SHORTFALL_WARN,
    START_LATE_WARN_MS,
)
from client.recorder import RunResult
from client.stats import latency_stats_ms, percentile


def rates(result: RunResult) -> dict[str, float | None]:
    n = result.requests
    duration = (result.last_done_ns - result.first_origin_ns) / 1e9 if n else 0.0
    span = (result.last_done_ns - result.first_done_ns) / 1e9 if n else 0.0
    if n >= 2 and span > 0:
        achieved: float | None = (n - 1) / span
    elif n and duration > 0:
        achieved = n / duration
    else:
        achieved = None
    offered = None
    if result.model == "open" and result.sent >= 2 and result.last_sent_ns > result.first_sent_ns:
        offered = (result.sent - 1) / ((result.last_sent_ns - result.first_sent_ns) / 1e9)
    return {"duration_s": round(duration, 6), "achieved_rps": _r(achieved, 3),
            "offered_rps": _r(offered, 3)}


def lateness_ms(result: RunResult) -> dict[str, float | None]:
    s = sorted(result.lateness_ns)
    if not s:
        return {"p50": None, "p99": None, "max": None}
    return {"p50": round(percentile(s, 50) / 1e6, 4), "p99": round(percentile(s, 99) / 1e6, 4),
            "max": round(s[-1] / 1e6, 4)}


def warnings_for(result: RunResult, target_rate: float | None, client_cpu_pct: float | None,
                 facts: dict[str, Any]) -> list[str]:
    """Every reason not to trust the run as a measurement of the server."""
    out: list[str] = []
    r = rates(result)
    if client_cpu_pct is not None and client_cpu_pct > CLIENT_CPU_WARN_PCT:
        out.append(f"client CPU {client_cpu_pct:.0f}% of one core (> {CLIENT_CPU_WARN_PCT:.0f}%): "
                   "the client may be the bottleneck")
    if target_rate and result.model == "open":
        floor = target_rate * (1 - RATE_SHORTFALL_WARN)
        offered, achieved = r["offered_rps"], r["achieved_rps"]
        if offered is not None and offered < floor:
            out.append(f"client sent {offered:.1f} req/s, "
                       f"{100 * (1 - offered / target_rate):.1f}% under the target "
                       f"{target_rate:g} req/s")
        if achieved is not None and achieved < floor:
            out.append(f"achieved {achieved:.1f} req/s, "
                       f"{100 * (1 - achieved / target_rate):.1f}% under the target "
                       f"{target_rate:g} req/s (server did not keep up)")
        late = lateness_ms(result)["p99"]
        if late is not None and late > LATENESS_P99_WARN_MS:
            out.append(f"send lateness p99 {late:.2f} ms (> {LATENESS_P99_WARN_MS:g} ms): "
                       "requests left the client late; latency from the schedule includes it")
    if result.errors:
        classes = ", ".join(f"{k} {v}" for k, v in sorted(result.error_classes.items()))
        out.append(f"{result.errors} of {result.requests} requests failed "
                   f"({100 * result.errors / result.requests:.2f}%): {classes}")
    if facts.get("limit_hits"):
        out.append(f"connection limit {facts.get('connection_limit')} reached: "
                   f"{facts['limit_hits']} requests waited for a free connection")
    if facts.get("interrupted"):
        out.append("run interrupted by a signal: partial results")
    if facts.get("guard_tripped"):
        out.append("run overran its time guard: requests still in flight were abandoned")
    if facts.get("start_late_ms") is not None and facts["start_late_ms"] > START_LATE_WARN_MS:
        out.append(f"--start-at was already {facts['start_late_ms']:.0f} ms in the past")
    if result.requests == 0:
        out.append("no request completed")
    return out


def status_for(result: RunResult, warnings: list[str]) -> str:
    ok = result.requests - result.errors
    if ok <= 0 or result.errors > FAILED_ERROR_FRACTION * result.requests:
        return "failed"
    return "degraded" if warnings else "ok"


def load_summary(result: RunResult, target_rate: float | None, client_cpu_pct: float | None,
                 facts: dict[str, Any]) -> dict[str, Any]:
    """The `load` command's JSON line (DESIGN.md section 4 keys first, then extras)."""
    lat = latency_stats_ms(result.latencies_ns)
    r = rates(result)
    warns = warnings_for(result, target_rate, client_cpu_pct, facts)
    return {
        "requests": result.requests,
        "errors": result.errors,
        "duration_s": r["duration_s"],
        "achieved_rps": r["achieved_rps"],
        "mean_ms": lat["mean"],
        "p50_ms": lat["p50"],
        "p90_ms": lat["p90"],
        "p99_ms": lat["p99"],
        "max_ms": lat["max"],
        "client_cpu_pct": client_cpu_pct,
        "warnings": warns,
        "p999_ms": lat["p999"],
        "status": status_for(result, warns),
        "model": result.model,
        "error_classes": dict(sorted(result.error_classes.items())),
        "offered_rps": r["offered_rps"],
        "lateness_ms": lateness_ms(result) if result.model == "open" else None,
        "started_ns": result.started_ns,
        "ended_ns": result.ended_ns,
        "latency_ms": lat,
    }


# The keys of a cell's summary.json computed by ``load_summary`` (``run`` and ``merge`` both use
# this, so a merged cell's figures come from the very same code as a single client's).
def cell_figures(load: dict[str, Any]) -> dict[str, Any]:
    keys = ("requests", "errors", "error_classes", "achieved_rps", "started_ns", "ended_ns",
            "latency_ms", "client_cpu_pct", "warnings", "status")
    out = {k: load[k] for k in keys}
    out.update({"measured_duration_s": load["duration_s"], "offered_rps": load["offered_rps"],
                "lateness_ms": load["lateness_ms"]})
    return out


def _r(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)

"""The figures of a run computed from its requests (a ``RunResult``): rates, latency, its validity
warnings and status, the keys they fill in summary.json. Pure functions.

Definitions (also in client/README.md and docs/methodology.md):

* ``started_ns``: first scheduled time (open loop) or first send (closed loop); ``ended_ns``: last
  completion; ``duration_s = (ended_ns - started_ns) / 1e9``. All derivable from requests.csv.
* ``attempted_rps``: completion rate of all finished requests (errors included),
  ``(requests - 1) / (last done - first done)``; with a single request, ``requests / duration_s``.
  Unlike ``requests / duration_s`` it is not biased by the first request's latency or, in open
  loop, by the drain of the last ones.
* ``achieved_rps``: goodput, the rate of successful responses: ``attempted_rps`` times the
  fraction of requests that succeeded. A server that answers nothing successfully scores 0.
* ``offered_rps`` (open loop): send rate ``(sent - 1) / (last sent - first sent)``.
* latency: successes, plus timed-out requests at the time they were abandoned (at least the
  timeout; ``censored`` counts them, and the statistics are then lower bounds); other failures
  are counted, never latency samples. From ``scheduled_ns`` in open loop (no coordinated
  omission), from ``sent_ns`` in closed loop. ``lateness_ms``: ``sent_ns - scheduled_ns``.
"""

from __future__ import annotations

from typing import Any

from runfiles import validity
from runfiles.run_result import RunResult
from runfiles.stats import latency_stats_ms, percentile


def rates(result: RunResult) -> dict[str, float | None]:
    n = result.requests
    duration = (result.last_done_ns - result.first_origin_ns) / 1e9 if n else 0.0
    span = (result.last_done_ns - result.first_done_ns) / 1e9 if n else 0.0
    if n >= 2 and span > 0:
        attempted: float | None = (n - 1) / span
    elif n and duration > 0:
        attempted = n / duration
    else:
        attempted = None
    goodput = None if attempted is None else attempted * (n - result.errors) / n
    offered = None
    if result.model == "open" and result.sent >= 2 and result.last_sent_ns > result.first_sent_ns:
        offered = (result.sent - 1) / ((result.last_sent_ns - result.first_sent_ns) / 1e9)
    return {"duration_s": round(duration, 6), "achieved_rps": _r(goodput, 3),
            "attempted_rps": _r(attempted, 3), "offered_rps": _r(offered, 3)}


def lateness_ms(result: RunResult) -> dict[str, float | None]:
    s = sorted(result.lateness_ns)
    if not s:
        return {"p50": None, "p99": None, "max": None}
    return {"p50": round(percentile(s, 50) / 1e6, 4), "p99": round(percentile(s, 99) / 1e6, 4),
            "max": round(s[-1] / 1e6, 4)}


def warnings_for(result: RunResult, target_rate: float | None, client_cpu_pct: float | None,
                 facts: dict[str, Any], timeout_s: float | None = None) -> list[str]:
    """Every reason not to trust the run as a measurement of the server (runfiles/validity.py)."""
    r = rates(result)
    lat = latency_stats_ms(result.latencies_ns)
    found: list[str | None] = [validity.client_cpu_warning(client_cpu_pct)]
    if result.model == "open":
        found += validity.rate_warnings(target_rate, r["offered_rps"], r["achieved_rps"])
        found.append(validity.lateness_warning(lateness_ms(result)["p99"]))
    else:
        found.append(validity.stall_warning(sorted(result.done_ns)))
        found.append(validity.tail_warning(lat["p99"], lat["max"]))
    found.append(validity.errors_warning(result.requests, result.errors, result.error_classes))
    found.append(validity.censored_warning(result.censored, timeout_s))
    if facts.get("limit_hits"):
        found.append(f"connection limit {facts.get('connection_limit')} reached: "
                     f"{facts['limit_hits']} requests waited for a free connection")
    if facts.get("interrupted"):
        found.append("run interrupted by a signal: partial results")
    if facts.get("guard_tripped"):
        found.append("run overran its time guard: requests still in flight were abandoned")
    late = facts.get("start_late_ms")
    if late is not None and late > validity.START_LATE_WARN_MS:
        found.append(f"--start-at was already {late:.0f} ms in the past")
    if result.requests == 0:
        found.append("no request completed")
    return [w for w in found if w]


def status_for(result: RunResult, warnings: list[str],
               max_error_rate: float = validity.MAX_ERROR_RATE) -> str:
    return validity.cell_status(result.requests, result.errors, warnings, max_error_rate)


def load_summary(result: RunResult, target_rate: float | None, client_cpu_pct: float | None,
                 facts: dict[str, Any], timeout_s: float | None = None,
                 max_error_rate: float = validity.MAX_ERROR_RATE) -> dict[str, Any]:
    """The `load` command's JSON line (the contract's keys first, then extras)."""
    lat = latency_stats_ms(result.latencies_ns)
    r = rates(result)
    warns = warnings_for(result, target_rate, client_cpu_pct, facts, timeout_s)
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
        "status": status_for(result, warns, max_error_rate),
        "attempted_rps": r["attempted_rps"],
        "error_rate": _r(validity.error_rate(result.requests, result.errors), 6),
        "max_error_rate": max_error_rate,
        "censored": result.censored,
        "latency_samples": len(result.latencies_ns),
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
            "latency_ms", "client_cpu_pct", "warnings", "status", "attempted_rps", "error_rate",
            "max_error_rate")
    out: dict[str, Any] = {k: load[k] for k in keys}
    out.update({"measured_duration_s": load["duration_s"], "offered_rps": load["offered_rps"],
                "lateness_ms": load["lateness_ms"], "latency_censored": load["censored"],
                "latency_samples": load["latency_samples"]})
    return out


def _r(x: float | None, nd: int) -> float | None:
    return None if x is None else round(x, nd)

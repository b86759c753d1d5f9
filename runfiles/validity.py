"""Validity thresholds and rules, defined once: the client applies them when it writes a cell, and
the report imports the very same functions for results whose summary did not apply them.

Every rule is a pure function of a cell's figures and returns a warning (a plain sentence) or
None; ``cell_status`` turns counts and warnings into ``ok`` / ``degraded`` / ``failed``.
docs/methodology.md explains each threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

# A cell whose error rate (failed requests / requests) is above this is "failed": its throughput
# and latency describe the failures more than the server under the intended load.
MAX_ERROR_RATE = 0.01
# Client process CPU, % of one core, over the measured window: at or above this the client may be
# the bottleneck.
CLIENT_CPU_WARN_PCT = 90.0
# Open loop: offered (send) or achieved (goodput) rate more than this fraction under the target.
RATE_SHORTFALL = 0.01
# Open loop: p99 of (sent_ns - scheduled_ns) above this: requests left the client late.
LATENESS_P99_WARN_MS = 2.0
# --start-at already past by more than this when the run could start.
START_LATE_WARN_MS = 100.0
# Closed loop stall: the longest gap between consecutive completions is above STALL_GAP_S and
# STALL_GAP_FACTOR times the median gap (a slow server has long gaps everywhere; a stall has one).
STALL_GAP_S = 0.5
STALL_GAP_FACTOR = 20.0
# Closed loop tail: max latency above TAIL_MAX_OVER_P99 times p99 and at least TAIL_MIN_EXCESS_MS
# above it (a few requests waited far longer than the p99 says).
TAIL_MAX_OVER_P99 = 10.0
TAIL_MIN_EXCESS_MS = 100.0
# Percentiles are computed from at least this many samples beyond them: p99.9 needs 10,000.
MIN_TAIL_SAMPLES = 10
P999_MIN_SAMPLES = 10_000


def percentile_min_samples(p: float) -> int:
    """Samples needed before percentile ``p`` is reported (``MIN_TAIL_SAMPLES`` beyond it)."""
    return round(MIN_TAIL_SAMPLES / (1 - p / 100.0)) if p < 100 else 1


def error_rate(requests: int, errors: int) -> float | None:
    return errors / requests if requests else None


def cell_status(requests: int, errors: int, warnings: Sequence[str],
                max_error_rate: float = MAX_ERROR_RATE) -> str:
    """``failed`` when nothing succeeded or the error rate is above ``max_error_rate``; else
    ``degraded`` when any warning applies; else ``ok``."""
    if requests <= 0 or requests - errors <= 0 or errors > max_error_rate * requests:
        return "failed"
    return "degraded" if warnings else "ok"


def client_cpu_warning(client_cpu_pct: float | None) -> str | None:
    if client_cpu_pct is None or client_cpu_pct < CLIENT_CPU_WARN_PCT:
        return None
    return (f"client CPU {client_cpu_pct:.0f}% of one core (>= {CLIENT_CPU_WARN_PCT:.0f}%): "
            "the client may be the bottleneck")


def rate_warnings(target: float | None, offered: float | None,
                  achieved: float | None) -> list[str]:
    """Open loop: the client sent, or the server answered successfully, too little."""
    if not target:
        return []
    floor = target * (1 - RATE_SHORTFALL)
    out = []
    if offered is not None and offered < floor:
        out.append(f"client sent {offered:.1f} req/s, {100 * (1 - offered / target):.1f}% under "
                   f"the target {target:g} req/s")
    if achieved is not None and achieved < floor:
        out.append(f"goodput {achieved:.1f} req/s, {100 * (1 - achieved / target):.1f}% under "
                   f"the target {target:g} req/s (server did not keep up or failed)")
    return out


def lateness_warning(p99_ms: float | None) -> str | None:
    if p99_ms is None or p99_ms <= LATENESS_P99_WARN_MS:
        return None
    return (f"send lateness p99 {p99_ms:.2f} ms (> {LATENESS_P99_WARN_MS:g} ms): requests left "
            "the client late; latency from the schedule includes it")


def errors_warning(requests: int, errors: int, classes: dict[str, int]) -> str | None:
    if not errors or not requests:
        return None
    listed = ", ".join(f"{k} {v}" for k, v in sorted(classes.items()))
    return (f"{errors} of {requests} requests failed ({100 * errors / requests:.2f}%): "
            f"{listed}")


def censored_warning(censored: int, timeout_s: float | None) -> str | None:
    if not censored:
        return None
    after = f" after {timeout_s:g} s" if timeout_s else ""
    return (f"{censored} request(s) timed out{after}: they enter latency at the time they were "
            "abandoned, so mean and percentiles are lower bounds (≥)")


def stall_warning(done_ns: Sequence[int] | None) -> str | None:
    """Closed loop: completions stopped for longer than ``STALL_GAP_S`` and ``STALL_GAP_FACTOR``
    times the median gap. ``done_ns``: completion times in ascending order."""
    if done_ns is None or len(done_ns) < 3:
        return None
    gaps = sorted(b - a for a, b in pairwise(done_ns))
    longest = gaps[-1]
    median = gaps[len(gaps) // 2]
    if longest <= STALL_GAP_S * 1e9 or longest <= STALL_GAP_FACTOR * median:
        return None
    return (f"stall: no request completed for {longest / 1e9:.2f} s (median gap "
            f"{median / 1e6:.2f} ms); a closed loop waits with the server, so its percentiles "
            "hide the stall")


def tail_warning(p99_ms: float | None, max_ms: float | None) -> str | None:
    if p99_ms is None or max_ms is None or p99_ms <= 0:
        return None
    if max_ms <= TAIL_MAX_OVER_P99 * p99_ms or max_ms - p99_ms < TAIL_MIN_EXCESS_MS:
        return None
    return (f"tail: max {max_ms:.1f} ms is {max_ms / p99_ms:.0f}x the p99 ({p99_ms:.1f} ms): a "
            "few requests waited far longer than the percentiles show")


# ---- capacity steps (client/sweep.py; docs/methodology.md, "Capacity") -----------------------
# A step of the open-loop capacity search passes when its p99 latency from the schedule is within
# the objective, its error rate at most CAPACITY_MAX_ERROR_RATE (default, `--max-error-rate`) and
# its goodput at least MIN_GOODPUT_RATIO of the offered rate.
CAPACITY_MAX_ERROR_RATE = 0.001
MIN_GOODPUT_RATIO = 0.99
# The client cannot send on schedule when its send lateness p99 (sent_ns - scheduled_ns) is above
# max(LATENESS_P99_WARN_MS, CLIENT_LATE_SLO_FRACTION x the objective): beyond a fifth of the
# objective the client's own delay could decide the verdict. (A busy 2-core host shows a lateness
# p99 of 1-6 ms with the client at 2% CPU: scheduler noise, which a tenth of a 50 ms objective
# would already call the client's.) Or when its CPU is at or above CLIENT_CPU_WARN_PCT of a core.
CLIENT_LATE_SLO_FRACTION = 0.2


def client_late_bound_ms(slo_p99_ms: float) -> float:
    """The send lateness p99 (ms) above which a capacity step is the client's, not the server's."""
    return max(LATENESS_P99_WARN_MS, CLIENT_LATE_SLO_FRACTION * slo_p99_ms)


def client_bound_reason(lateness_p99_ms: float | None, client_cpu_pct: float | None,
                        slo_p99_ms: float, limit_hits: int = 0) -> str | None:
    """Why the client, not the server, limited a step (None when it did not). Lateness from
    waiting for a free connection (``limit_hits``: the server held every connection) is the
    server's, so it never makes a step the client's."""
    if client_cpu_pct is not None and client_cpu_pct >= CLIENT_CPU_WARN_PCT:
        return f"client CPU {client_cpu_pct:.0f}% of one core (>= {CLIENT_CPU_WARN_PCT:.0f}%)"
    bound = client_late_bound_ms(slo_p99_ms)
    if lateness_p99_ms is not None and lateness_p99_ms > bound and not limit_hits:
        return f"send lateness p99 {lateness_p99_ms:.1f} ms > {bound:g} ms"
    return None


def capacity_failures(p99_ms: float | None, slo_p99_ms: float, error_rate: float | None,
                      max_error_rate: float, achieved_rps: float | None,
                      offered_rps: float) -> list[str]:
    """Why an open-loop step misses the objective (empty: it meets it)."""
    out = []
    if error_rate is None:
        return ["no request completed"]
    if p99_ms is None:
        out.append("no latency sample")
    elif p99_ms > slo_p99_ms:
        out.append(f"p99 {p99_ms:.1f} ms > {slo_p99_ms:g} ms")
    if error_rate > max_error_rate:
        out.append(f"error rate {error_rate:.4f} > {max_error_rate:g}")
    floor = MIN_GOODPUT_RATIO * offered_rps
    if achieved_rps is None or achieved_rps < floor:
        got = "none" if achieved_rps is None else f"{achieved_rps:.1f} req/s"
        out.append(f"goodput {got} < {100 * MIN_GOODPUT_RATIO:g}% of {offered_rps:g} req/s")
    return out


def capacity_verdict(p99_ms: float | None, slo_p99_ms: float, error_rate: float | None,
                     max_error_rate: float, achieved_rps: float | None, offered_rps: float,
                     lateness_p99_ms: float | None, lateness_max_ms: float | None,
                     client_cpu_pct: float | None, limit_hits: int = 0) -> tuple[str, str]:
    """``("pass" | "fail" | "client", reason)`` for one open-loop capacity step.

    A step the client limited (``client_bound_reason``) is never a pass and not counted against
    the server. One exception, for a client that was late but not short of CPU: when the server
    failed on its own — an error rate above the threshold, or a p99 that stays above the
    objective even after taking the worst send lateness off every request (``p99 - max
    lateness``, a lower bound of the service time's p99) — the step is the server's failure."""
    failures = capacity_failures(p99_ms, slo_p99_ms, error_rate, max_error_rate, achieved_rps,
                                 offered_rps)
    client = client_bound_reason(lateness_p99_ms, client_cpu_pct, slo_p99_ms, limit_hits)
    if client is None:
        return ("fail", "; ".join(failures)) if failures else ("pass", "")
    if client.startswith("client CPU"):
        return "client", f"client limited: {client}"
    service_floor = None if p99_ms is None else p99_ms - (lateness_max_ms or 0.0)
    own = []
    if error_rate is not None and error_rate > max_error_rate:
        own.append(f"error rate {error_rate:.4f} > {max_error_rate:g}")
    if service_floor is not None and service_floor > slo_p99_ms:
        own.append(f"p99 {p99_ms:.1f} ms > {slo_p99_ms:g} ms even without the client's lateness")
    if own:
        return "fail", "; ".join(own) + f" (the client was also late: {client})"
    return "client", f"client late: {client}"

"""What both engines share: the facts an engine observes about itself, the start of its measured
window, and the error class of an HTTP status. Engine-neutral; the engines import it."""

from __future__ import annotations

from dataclasses import dataclass

from client.clock import now


@dataclass
class EngineFacts:
    """What the engine observed about itself (goes into warnings and the summary)."""

    t0_perf: int = 0  # start of the measured window (perf_counter_ns)
    end_perf: int = 0
    connections_opened: int = 0
    max_open: int = 0
    limit_hits: int = 0  # open loop: requests that waited for a free connection
    interrupted: bool = False
    guard_tripped: bool = False
    start_late_ms: float | None = None  # --start-at already past when the run could start


def start_time(start_at_perf: int | None, lead_ns: int, facts: EngineFacts) -> int:
    """The run's t0: ``start_at`` if given (noting lateness), else now + a small lead."""
    t = now()
    if start_at_perf is None:
        return t + lead_ns
    if start_at_perf < t:
        facts.start_late_ms = round((t - start_at_perf) / 1e6, 3)
        return t + lead_ns
    return start_at_perf


def status_error(status: int) -> str:
    """The error class of an HTTP status: empty for 2xx (a success)."""
    if 200 <= status < 300:
        return ""
    if 400 <= status < 500:
        return "http_4xx"
    if status >= 500:
        return "http_5xx"
    return "other"

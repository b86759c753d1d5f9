"""One wall-clock anchor, monotonic intervals.

Every timestamp is taken with ``time.perf_counter_ns()`` (monotonic) and converted to nanoseconds
since the Unix epoch with one ``(time_ns, perf_counter_ns)`` pair read at start: intervals never go
backwards when NTP steps the wall clock, and timestamps from several client hosts stay comparable to
within their clock synchronisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

now = time.perf_counter_ns


@dataclass(frozen=True)
class Clock:
    """``epoch_ns = perf_ns + offset``."""

    offset: int = field(default_factory=lambda: _anchor())

    def to_epoch(self, perf_ns: int) -> int:
        return perf_ns + self.offset

    def to_perf(self, epoch_ns: int) -> int:
        return epoch_ns - self.offset


def _anchor() -> int:
    # Bracket time_ns() between two perf_counter_ns() reads and take the midpoint.
    a = time.perf_counter_ns()
    wall = time.time_ns()
    b = time.perf_counter_ns()
    return wall - (a + b) // 2

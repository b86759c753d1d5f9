"""Where a run is, before each cell: progress.json's content and the line the role shows
(``cell 3/12, elapsed 4m05s, ETA 16m20s (from 2 cell(s) measured so far)``). Pure; no I/O.

The ETA is the cells left (this one included) times the mean time of the cells measured in this
attempt, or the plan's estimate per cell before any was measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunClock:
    """The attempt so far: when it started (s since the epoch), now, and the cells measured in
    it with their total time (s)."""

    started_s: int
    now_s: int
    measured: int = 0
    measured_s: float = 0.0


def minutes(seconds: int) -> str:
    """``245`` -> ``4m05s``."""
    return f"{seconds // 60}m{seconds % 60:02d}s"


def eta_s(clock: RunClock, cells_left: int, cells_total: int, estimate_s: float) -> int:
    """Seconds left: ``cells_left`` times the measured mean, or the plan's per-cell estimate."""
    per_cell = (clock.measured_s / clock.measured if clock.measured > 0
                else estimate_s / cells_total)
    return round(cells_left * per_cell)


def progress(run_id: str, cell: str, cell_index: int, cells_total: int, estimate_s: float,
             clock: RunClock, updated: str) -> tuple[dict[str, Any], str]:
    """progress.json's content and the line to show, before cell ``cell_index`` (0-based)."""
    elapsed = clock.now_s - clock.started_s
    eta = eta_s(clock, cells_total - cell_index, cells_total, estimate_s)
    basis = (f"from {clock.measured} cell(s) measured so far" if clock.measured > 0
             else "the plan estimate")
    line = (f"cell {cell_index + 1}/{cells_total}, elapsed {minutes(elapsed)}, "
            f"ETA {minutes(eta)} ({basis})")
    record = {"run_id": run_id, "cells_total": cells_total, "cell_index": cell_index + 1,
              "cell": cell, "cells_measured_this_attempt": clock.measured,
              "elapsed_s": elapsed, "estimate_s": int(estimate_s), "updated": updated}
    return record, line

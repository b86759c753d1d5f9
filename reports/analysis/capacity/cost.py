"""The cost of a request, from a monitor's samples in one window of time.

A capacity cell's cost step runs at a fixed rate common to every variant; in its measured window
``[start_ns, end_ns)`` the server's process tree used some CPU and memory (``monitor-server.csv``,
docs/results.md), and so did the database's on its own host in a PostgreSQL run
(``monitor-db.csv``, the same columns): the same functions measure both. Each process row's
``cpu_percent`` is the % of one core that process used *since its previous sample*, so a sample
stands for the interval from that previous sample to its own time: the CPU-seconds in the window
are ``cpu_percent / 100 × (the part of that interval inside the window)``, summed over the
intervals and over the processes (a process's first sample has no interval and counts nothing).
Peak RSS is the largest sum of the processes' ``rss_bytes`` at one sample time inside the window.
Pure; a DataFrame of samples in, numbers out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

NAN = float("nan")


@dataclass(frozen=True)
class WindowCost:
    """What the server's processes used in one window."""
    cpu_s: float  # CPU-seconds; NaN without samples in the window
    peak_rss_bytes: float  # NaN without samples in the window
    coverage: float  # the share of the window the samples' intervals cover (0 to 1)


def _intervals(samples: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(interval start, interval end, cpu %) of every sample that follows another sample of
    the same process."""
    frame = samples.sort_values(["pid", "ts_ns"], kind="stable")
    pid = frame["pid"].to_numpy()
    ts = frame["ts_ns"].to_numpy(dtype="int64")
    cpu = frame["cpu_percent"].to_numpy(dtype="float64")
    follows = np.r_[False, pid[1:] == pid[:-1]]
    keep = np.flatnonzero(follows)
    return ts[keep - 1], ts[keep], cpu[keep]


def _covered_ns(starts: np.ndarray, ends: np.ndarray) -> int:
    """The length of the union of the intervals [starts, ends)."""
    if starts.size == 0:
        return 0
    order = np.argsort(starts, kind="stable")
    total, cur_start, cur_end = 0, int(starts[order[0]]), int(ends[order[0]])
    for s, e in zip(starts[order[1:]].tolist(), ends[order[1:]].tolist(), strict=True):
        if s > cur_end:
            total += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    return total + cur_end - cur_start


def peak_rss_bytes(samples: pd.DataFrame) -> float:
    """The largest sum of the processes' ``rss_bytes`` at one sample time (``ts_ns``); NaN
    without samples."""
    if samples.empty:
        return NAN
    return float(samples.groupby("ts_ns")["rss_bytes"].sum().max())


def window_cost(samples: pd.DataFrame, start_ns: int, end_ns: int) -> WindowCost:
    """CPU-seconds, peak RSS and coverage of the process rows ``samples`` (columns ``ts_ns``,
    ``pid``, ``cpu_percent``, ``rss_bytes``) in ``[start_ns, end_ns)``."""
    if samples.empty or end_ns <= start_ns:
        return WindowCost(NAN, NAN, 0.0)
    begin, end, cpu = _intervals(samples)
    lo = np.maximum(begin, start_ns)
    hi = np.minimum(end, end_ns)
    inside = hi > lo
    cpu_s = float(np.nansum(cpu[inside] / 100.0 * (hi[inside] - lo[inside]) / 1e9)) \
        if inside.any() else NAN
    coverage = _covered_ns(lo[inside], hi[inside]) / (end_ns - start_ns)
    ts = samples["ts_ns"].to_numpy(dtype="int64")
    in_window = (ts >= start_ns) & (ts < end_ns)
    return WindowCost(cpu_s, peak_rss_bytes(samples.loc[in_window]), min(1.0, coverage))

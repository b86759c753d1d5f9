"""The data behind the figures, already reduced for drawing: percentile spectra, per-iteration
lines, resource timelines and box-plot statistics. Pure; DataFrames in and out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.analysis import statistics
from reports.analysis.ordering import order_variants
from reports.analysis.repetitions import cell_rows
from reports.constants import MAX_FLIERS, MAX_LINE_POINTS, TIMELINE_BIN_S


def latency_curves(latencies: dict[tuple[str, str], np.ndarray],
                   grid: Sequence[float] = (0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95,
                                            99.99, 100)) -> pd.DataFrame:
    """Latency at each percentile of ``grid`` per variant x scenario (the percentile spectrum)."""
    rows = []
    for (variant, scenario), values in latencies.items():
        if values.size:
            qs = np.percentile(values, list(grid))
            rows.extend({"variant": variant, "scenario": scenario, "percentile": p,
                         "latency_ms": float(q)} for p, q in zip(grid, qs, strict=True))
    return pd.DataFrame(rows, columns=["variant", "scenario", "percentile", "latency_ms"])


def per_iteration(requests: pd.DataFrame, cells: pd.DataFrame, scenario: str,
                  max_points: int = MAX_LINE_POINTS) -> pd.DataFrame:
    """Latency by iteration (``seq``) of each variant: the median over its repetitions of the
    successful request with that ``seq`` (``reps`` says over how many); long series are reduced
    to ``max_points`` equal-count bin means (never plot a million points)."""
    frames = []
    sub_cells = cells[cells["scenario"] == scenario]
    for variant in order_variants(sub_cells):
        ids = sub_cells.loc[sub_cells["variant"] == variant, "cell_id"].to_numpy()
        parts = [req[req["ok"].to_numpy()][["seq", "latency_ms"]]
                 for req in (cell_rows(requests, i) for i in ids)]
        parts = [part for part in parts if len(part)]
        if not parts:
            continue
        by_seq = pd.concat(parts, ignore_index=True).groupby("seq")["latency_ms"].median()
        x, y = statistics.binned(by_seq.index.to_numpy(), by_seq.to_numpy(), max_points)
        frames.append(pd.DataFrame({"variant": variant, "iteration": x, "latency_ms": y,
                                    "reps": len(parts)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["variant", "iteration", "latency_ms", "reps"])


# (monitor side, metric, monitor column, scale) of the resource timelines; a side without
# samples (the database host in a SQLite run) has no rows at all.
TIMELINE_SERIES: tuple[tuple[str, str, str, float], ...] = (
    ("server", "server_cpu_pct", "cpu_percent", 1.0),
    ("server", "server_rss_mb", "rss_bytes", 1 / 2**20),
    ("client", "client_cpu_pct", "cpu_percent", 1.0),
    ("db", "db_cpu_pct", "cpu_percent", 1.0),
    ("db", "db_rss_mb", "rss_bytes", 1 / 2**20),
)


def timelines(requests: pd.DataFrame, monitors: pd.DataFrame, cells: pd.DataFrame,
              scenario: str, bin_s: float = TIMELINE_BIN_S) -> pd.DataFrame:
    """Per variant (first repetition with data), on one time axis (s since the rep's start):
    completed req/s, errors/s, server process-tree CPU % and RSS (MiB), client CPU %, and with a
    database on its own host (monitor-db.csv) its process tree's CPU % and RSS (MiB)."""
    frames = []
    sub_cells = cells[cells["scenario"] == scenario].sort_values("rep")
    for variant in order_variants(sub_cells):
        ids = sub_cells.loc[sub_cells["variant"] == variant, "cell_id"].to_numpy()
        has_req = [i for i in ids if len(cell_rows(requests, i))]
        if not has_req:
            continue
        cell_id = has_req[0]
        req = cell_rows(requests, cell_id)
        bins = np.floor(req["t_s"].to_numpy() / bin_s)
        counts = pd.DataFrame({"bin": bins, "ok": req["ok"].to_numpy()}).groupby("bin")["ok"] \
            .agg(["sum", "size"])
        t = (counts.index.to_numpy() + 0.5) * bin_s
        frames.append(pd.DataFrame({"variant": variant, "metric": "throughput_rps", "t_s": t,
                                    "value": counts["sum"].to_numpy() / bin_s}))
        frames.append(pd.DataFrame({"variant": variant, "metric": "errors_per_s", "t_s": t,
                                    "value": (counts["size"] - counts["sum"]).to_numpy() / bin_s}))
        mon = monitors[monitors["cell_id"] == cell_id] if not monitors.empty else monitors
        for side, metric, column, scale in TIMELINE_SERIES:
            part = mon[(mon["side"] == side) & (mon["scope"] == "process")] if len(mon) else mon
            if len(part):
                series = process_tree_sum(part, column, bin_s) * scale
                frames.append(pd.DataFrame({"variant": variant, "metric": metric,
                                            "t_s": series.index.to_numpy(),
                                            "value": series.to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["variant", "metric", "t_s", "value"])


def process_tree_sum(samples: pd.DataFrame, column: str, bin_s: float) -> pd.Series:
    """Sum of ``column`` over the processes sampled, per time bin (index: the bins' middles).

    Each process is averaged within a bin first, so monitors that sample at different instants
    (several client hosts) add up instead of alternating between one host and the other.
    """
    bins = np.floor(samples["t_s"].to_numpy() / bin_s)
    frame = pd.DataFrame({"bin": bins, "pid": samples["pid"].to_numpy(),
                          "value": samples[column].to_numpy()})
    per_bin = frame.groupby(["bin", "pid"])["value"].mean().groupby(level="bin").sum()
    per_bin.index = (per_bin.index.to_numpy() + 0.5) * bin_s
    return per_bin


@dataclass(frozen=True)
class Box:
    """One variant's box plot: ``stats`` as ``matplotlib.axes.Axes.bxp`` takes them (without a
    label) and how many samples are outliers (all counted; at most ``MAX_FLIERS`` kept)."""
    variant: str
    outliers: int
    stats: dict[str, object]


def boxes(latencies: dict[tuple[str, str], np.ndarray], variants: Sequence[str],
          scenario: str, max_fliers: int = MAX_FLIERS) -> list[Box]:
    """The box plot of each variant (in ``variants``' order) with latency samples in
    ``scenario``."""
    out = []
    for variant in variants:
        values = latencies.get((variant, scenario))
        if values is not None and values.size:
            out.append(Box(variant, statistics.iqr_outliers(values),
                           statistics.box_stats(values, max_fliers=max_fliers)))
    return out

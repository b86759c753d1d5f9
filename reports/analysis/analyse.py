"""``analyse(run) -> Analysis``: every number the report shows, computed once from a loaded run.

The pipeline runs one way: ``reports.loading`` reads a results folder into a ``Run``; ``analyse``
composes the pure functions of this package (``repetitions``, ``summary_table``, ``findings``,
``warmup``, ``papers``, ``pairs``, ``reproduction``, ``figure_series``, ``capacity``,
``database_findings``) and ``reports.loading.provenance`` into one ``Analysis``; the renderers of
``reports.rendering`` only format what it holds and write files.

Capacity cells (``reports.analysis.capacity``: a search over many loads in one cell) are analysed
apart: every other step sees the run without them, so they never enter the summary, comparisons,
verdicts, paper views or claims as if they were a cell at one fixed load; the counts of cells,
scenarios and requests include them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from reports.analysis import (
    figure_series,
    pairs,
    papers,
    repetitions,
    reproduction,
    summary_table,
    warmup,
)
from reports.analysis.capacity.analyse import (
    Capacity,
    analyse_capacity,
    empty_capacity,
    split_capacity,
)
from reports.analysis.database_findings import database_findings
from reports.analysis.findings import validity_table
from reports.analysis.ordering import order_scenarios, order_variants
from reports.constants import DB_SUMMARY_COLUMNS, PAPER2_LOADS
from reports.loading.database import Database
from reports.loading.provenance import Provenance, provenance
from reports.loading.run_folder import Run

K = TypeVar("K")
V = TypeVar("V")

EFFICIENCY_COLUMNS = ["variant", "scenario", "rps_median", "requests_per_cpu_s"]


def efficiency_columns(database: Database) -> list[str]:
    """The efficiency table's columns: with a database on its own host, its resources too."""
    return [*EFFICIENCY_COLUMNS, *(DB_SUMMARY_COLUMNS if database.own_host else ())]


class Lazy(Mapping[K, V], Generic[K, V]):
    """A mapping with known keys whose values are computed on first access, then kept.

    The figure series (per-iteration lines, timelines, box plots) are only needed for figures:
    computed lazily, ``--no-figures`` does not pay for them and the forked figure workers
    compute their own share in parallel."""

    def __init__(self, keys: Iterable[K], compute: Callable[[K], V]) -> None:
        self._keys = dict.fromkeys(keys)
        self._compute = compute
        self._values: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        if key not in self._keys:
            raise KeyError(key)
        if key not in self._values:
            self._values[key] = self._compute(key)
        return self._values[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class Counts:
    """The run at a glance."""
    variants: int
    scenarios: int
    reps: int
    errors: int  # validity findings of severity "error"
    warnings: int  # ... and "warning"
    requests: int
    failed: int  # failed requests


@dataclass(frozen=True)
class Analysis:
    run: Run
    variants: list[str]  # the report's order
    scenarios: list[str]
    reps: pd.DataFrame  # one row per repetition (reports.analysis.repetitions)
    summary: pd.DataFrame  # report/summary.csv
    validity: pd.DataFrame  # findings, most severe first
    counts: Counts
    paper1: pd.DataFrame
    paper2: dict[str, pd.DataFrame]  # load -> table
    paper2_cells: dict[tuple[str, str, int], pd.DataFrame]  # (variant, scenario, rep) -> seq, ms
    comparisons: pd.DataFrame  # report/comparisons.csv
    headlines: pd.DataFrame
    efficiency: pd.DataFrame
    curves: pd.DataFrame  # percentile spectrum
    latencies: dict[tuple[str, str], np.ndarray]
    provenance: Provenance
    per_iteration: Mapping[str, pd.DataFrame]  # paper-2 scenario -> lines (lazy)
    timelines: Mapping[str, pd.DataFrame]  # scenario -> resources over time (lazy)
    boxes: Mapping[str, list[figure_series.Box]]  # paper-2 scenario -> box plots (lazy)
    reproduction: pd.DataFrame  # report/reproduction.csv: the papers' claims tested
    warmup: pd.DataFrame  # per repetition: first requests against the rest (analysis.warmup)
    capacity: Capacity  # capacity cells: curves, maximum rate, cost (analysis.capacity)


def _counts(variants: list[str], scenarios: list[str], reps: pd.DataFrame,
            table: pd.DataFrame, findings: pd.DataFrame, capacity: Capacity,
            capacity_cells: int) -> Counts:
    return Counts(variants=len(variants), scenarios=len(scenarios) + len(capacity.scenarios),
                  reps=len(reps) + capacity_cells,
                  errors=int((findings["severity"] == "error").sum()),
                  warnings=int((findings["severity"] == "warning").sum()),
                  requests=(int(table["requests"].sum()) if len(table) else 0)
                  + capacity.requests,
                  failed=(int(table["errors"].sum()) if len(table) else 0) + capacity.errors)


def analyse(run: Run) -> Analysis:
    variants = order_variants(run.cells)  # capacity-only variants too: every figure's styles
    whole = run
    run, capacity_cells = split_capacity(whole)
    capacity = analyse_capacity(capacity_cells, whole.monitors, variants, whole.meta) \
        if len(capacity_cells) else empty_capacity()
    cells = run.cells
    scenarios = order_scenarios(cells["scenario"]) if len(cells) else []
    reps = repetitions.rep_stats(cells, run.requests, run.monitors)
    latencies = summary_table.latency_samples(run.requests, cells)
    table = summary_table.summary_table(reps, latencies, cells)
    warm = warmup.warmup_table(run.requests, reps)
    prov = provenance(run.meta)
    findings = validity_table(run.meta, run.problems, cells, reps, table)
    for extra in (warmup.warmup_findings(warm), capacity.findings,
                  database_findings(prov.database, whole.cells, run.meta)):
        findings = warmup.with_findings(findings, extra)
    table["warnings"] = summary_table.warning_counts(table, findings)
    paper2 = papers.paper2_tables(latencies, table)
    comparisons = pairs.comparisons(reps, table, cells)
    claims = reproduction.load_claims()
    outliers = reproduction.rep_outliers(run.requests, reps,
                                         reproduction.outlier_scenarios(claims))
    paper2_scenarios = [s for load in paper2 for s in PAPER2_LOADS[load][1:3]]
    return Analysis(
        run=whole, variants=variants, scenarios=scenarios, reps=reps, summary=table,
        validity=findings, counts=_counts(variants, scenarios, reps, table, findings, capacity,
                                          len(capacity_cells)),
        paper1=papers.paper1_table(reps, cells), paper2=paper2,
        paper2_cells=papers.paper2_cells(run.requests, cells), comparisons=comparisons,
        headlines=pairs.headlines(table, comparisons),
        efficiency=table[efficiency_columns(prov.database)],
        curves=figure_series.latency_curves(latencies), latencies=latencies, provenance=prov,
        per_iteration=Lazy(paper2_scenarios,
                           lambda s: figure_series.per_iteration(run.requests, cells, s)),
        timelines=Lazy(scenarios,
                       lambda s: figure_series.timelines(run.requests, run.monitors, cells, s)),
        boxes=Lazy(paper2_scenarios, lambda s: figure_series.boxes(latencies, variants, s)),
        reproduction=reproduction.evaluate(claims, reps, table, comparisons, outliers),
        warmup=warm, capacity=capacity)

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

The A/A control's cells (variant ``X~aa``, ``reports.analysis.control``) are likewise taken out
of every table, ranking, figure and claim: they enter only the control's own table
(report/control.csv) and its findings; the counts of repetitions and requests include them.
When the run's repetitions are rounds (run.json plan.design), every comparison pairs by round.
A rounds run with a time budget may stop when decided: its comparisons and claims then test at
the nominal level of its current look (``reports.analysis.looks``), not at 0.05.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from reports.analysis import (
    control,
    figure_series,
    instability,
    looks,
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
from reports.analysis.findings import COLUMNS as FINDING_COLUMNS
from reports.analysis.findings import finding, validity_table
from reports.analysis.ordering import order_scenarios, order_variants
from reports.constants import DB_SUMMARY_COLUMNS, PAPER2_LOADS
from reports.loading.database import Database
from reports.loading.plan import RunPlan, is_control, run_plan
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
    plan: RunPlan  # the run's design: rounds or shuffled, its A/A control
    control: pd.DataFrame  # report/control.csv: the A/A control per scenario (analysis.control)
    instability: pd.DataFrame  # report/instability.csv (analysis.instability)
    # A budget run's look: rounds done, planned maximum, the level its verdicts use (else None)
    sequential: looks.Look | None = None


def _counts(variants: list[str], scenarios: list[str], reps: pd.DataFrame,
            table: pd.DataFrame, findings: pd.DataFrame, capacity: Capacity,
            extra_cells: int) -> Counts:
    return Counts(variants=len(variants), scenarios=len(scenarios) + len(capacity.scenarios),
                  reps=len(reps) + extra_cells,
                  errors=int((findings["severity"] == "error").sum()),
                  warnings=int((findings["severity"] == "warning").sum()),
                  requests=(int(table["requests"].sum()) if len(table) else 0)
                  + capacity.requests,
                  failed=(int(table["errors"].sum()) if len(table) else 0) + capacity.errors)


def _frame(items: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=FINDING_COLUMNS).astype({"rep": "int64"})


def analyse(run: Run) -> Analysis:
    whole = run
    run, capacity_cells = split_capacity(whole)
    capacity_cells = control.split_control(capacity_cells)[0]
    # capacity-only variants too (every figure's styles), never the A/A control
    variants = order_variants(control.split_control(whole.cells)[0])
    capacity = analyse_capacity(capacity_cells, whole.monitors, variants, whole.meta) \
        if len(capacity_cells) else empty_capacity()
    plan = run_plan(run.meta, run.cells.get("design", ()))
    cells = control.split_control(run.cells)[0]
    look = looks.look(plan, cells)
    alpha = looks.alpha_of(look)
    scenarios = order_scenarios(cells["scenario"]) if len(cells) else []
    every_rep = repetitions.rep_stats(run.cells, run.requests, run.monitors)
    aa_rows = every_rep["variant"].map(is_control).astype(bool)
    reps, control_reps = every_rep[~aa_rows], every_rep[aa_rows]
    latencies = summary_table.latency_samples(run.requests, cells)
    table = summary_table.summary_table(reps, latencies, cells)
    warm = warmup.warmup_table(run.requests, reps)
    prov = provenance(run.meta)
    # The control's own repetitions keep their findings (a failed control cell is said).
    findings = validity_table(run.meta, run.problems, cells, every_rep, table)
    aa = control.control_table(every_rep, table, rounds=plan.paired)
    blocked = control.blocked_scenarios(aa)
    unstable = instability.instability_table(reps, rounds=plan.paired)
    extras = [warmup.warmup_findings(warm), capacity.findings,
              database_findings(prov.database, whole.cells, run.meta),
              _frame(control.control_findings(aa, plan.control, set(control_reps["variant"]))),
              _frame(instability.instability_findings(unstable)),
              _frame([finding("warning", "", "", 0, "run", p) for p in plan.problems])]
    for extra in extras:
        findings = warmup.with_findings(findings, extra)
    table["warnings"] = summary_table.warning_counts(table, findings)
    paper2 = papers.paper2_tables(latencies, table)
    comparisons = pairs.comparisons(reps, table, cells, rounds=plan.paired, blocked=blocked,
                                   alpha=alpha)
    claims = reproduction.load_claims()
    outliers = reproduction.rep_outliers(run.requests, reps,
                                         reproduction.outlier_scenarios(claims))
    paper2_scenarios = [s for load in paper2 for s in PAPER2_LOADS[load][1:3]]
    return Analysis(
        run=whole, variants=variants, scenarios=scenarios, reps=reps, summary=table,
        validity=findings, counts=_counts(variants, scenarios, reps, table, findings, capacity,
                                          len(capacity_cells) + len(control_reps)),
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
        reproduction=reproduction.evaluate(claims, reps, table, outliers, rounds=plan.paired,
                                           blocked=blocked, alpha=alpha),
        warmup=warm, capacity=capacity, plan=plan, control=aa, instability=unstable,
        sequential=look)

"""The capacity tables, format-neutral: which columns, headers and notes the Markdown and HTML
reports show for the capacity cells (``Analysis.capacity``), with lower bounds, missing intervals
and costs at a rate a server could not carry spelled out. Pure; analysis frames in, display
frames out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from reports.constants import CAPACITY_LOWER_BOUNDS, KNEE_MIN_GROWTH, MIN_REPS
from reports.rendering import table_text

NOT_CARRIED_MARK = "†"

CAPACITY_NOTE = (
    "Capacity cells measure a curve, not one load: an open-loop search raises the offered rate "
    "until p99 breaks the objective (or errors or goodput do), a closed-loop ladder raises the "
    "number of connections. They are kept out of every other table, comparison and claim. "
    "Every step of every repetition: capacity_steps.csv; one row per repetition: capacity.csv.")
MAX_RATE_NOTE = (
    "The maximum sustainable rate of a repetition is the highest offered rate whose step met "
    "the objective (p99, error rate, goodput ≥ 99% of the offered rate). Mean over the "
    "repetitions whose search stopped at the server, with Student's t 95% interval over those "
    f"repetition values; with fewer than {MIN_REPS} of them the values are shown and there is "
    "no interval. A repetition stopped by the client (it could not send on schedule), by the "
    "scenario's max_rate or by its time budget measured a lower bound: shown as \"≥ X, "
    "client-bound\" (or max_rate reached, time budget), never as the server's capacity, and "
    "left out of the mean and interval.")
KNEE_NOTE = (
    f"Closed-loop ladders: the knee is the first level after which goodput grows by less than "
    f"{KNEE_MIN_GROWTH:.0%} to the next level while p99 still grows; past it, more connections "
    "only add waiting. \"≥ N\": goodput still grew at the top level (no knee within the "
    f"ladder). Means over the repetitions with a knee; t interval from {MIN_REPS} of them.")
COST_NOTE = (
    "Cost at the common rate of the cost step, which runs first at the same offered rate for "
    "every variant: the server's CPU-seconds (its process tree, from monitor-server.csv: each "
    "sample's cpu_percent over the interval since that process's previous sample, the part "
    "inside the step's window) per 1,000 successful requests, and the peak RSS (the largest sum "
    "of the processes' RSS at one sample time in the window). Mean and Student's t 95% interval "
    f"over repetitions (from {MIN_REPS}). {NOT_CARRIED_MARK} the cost step did not pass: the "
    "server could not carry the common rate, so its cost there is not that of a sustainable "
    "load.")
COST_DB_NOTE = (
    "The database host's columns: the database server's process tree on its own host "
    "(monitor-db.csv), sampled and measured in the same window the same way as the server's; "
    "requests per CPU-second counts the CPU of both, server and database (blank when either "
    "monitor does not cover the window).")

NUM1 = table_text.fmt_num(1)
NUM2 = table_text.fmt_num(2)


@dataclass(frozen=True)
class CapacityTable:
    """One capacity table: its heading, note, columns and display rows."""
    heading: str
    note: str
    view: table_text.View
    frame: pd.DataFrame


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _interval(low: float, high: float, n: int, digits: int) -> str:
    if 0 < n < MIN_REPS:
        return f"– (n < {MIN_REPS})"
    return table_text.fmt_ci(low, high, digits)


def _limit_label(limited_by: str) -> str:
    return CAPACITY_LOWER_BOUNDS.get(limited_by, limited_by.replace("_", " "))


def _rate_rep(value: float, limited_by: str) -> str:
    """One repetition's maximum rate: the value, a labelled lower bound, or why there is none."""
    if limited_by == "server" and _finite(value):
        return NUM1(value)
    if limited_by in CAPACITY_LOWER_BOUNDS:
        return f"≥ {NUM1(value)} ({_limit_label(limited_by)})" if _finite(value) else \
            f"none passed ({_limit_label(limited_by)})"
    return {"none_passed": "none passed", "no_data": "no data"}.get(limited_by, "–")


def _limits_text(limits: str) -> str:
    """"server:2; client:1" -> "server 2 · client 1"."""
    parts = [p.split(":") for p in limits.split("; ") if p]
    return " · ".join(f"{k.replace('_', ' ')} {n}" for k, n in parts)


MAX_RATE_VIEW = table_text.View(
    {"variant": "variant", "scenario": "scenario", "rate": "max rate req/s (mean)",
     "ci": "95% CI", "per_rep_text": "per repetition", "objective": "objective",
     "limits_text": "stopped by", "n_text": "n"},
    {}, ("rate", "ci", "n_text"))


def max_rate_display(max_rate: pd.DataFrame) -> pd.DataFrame:
    if max_rate.empty:
        return max_rate
    rows = []
    for r in max_rate.itertuples():
        if r.n:
            rate = NUM1(r.max_rate_mean)
        elif _finite(r.lower_bound):
            rate = f"≥ {NUM1(r.lower_bound)}, {_limit_label(r.lower_bound_by)}"
        else:
            rate = r.status
        rows.append({"rate": rate, "ci": _interval(r.ci95_low, r.ci95_high, r.n, 1),
                     "per_rep_text": " · ".join(_rate_rep(v, lim) for _, v, lim in r.per_rep),
                     "objective": f"p99 ≤ {r.slo_p99_ms:g} ms" if _finite(r.slo_p99_ms)
                     else "–",
                     "limits_text": _limits_text(r.limits), "n_text": f"{r.n} of {r.reps}"})
    return max_rate.reset_index(drop=True).join(pd.DataFrame(rows))


KNEE_VIEW = table_text.View(
    {"variant": "variant", "scenario": "scenario", "levels": "knee (connections) per repetition",
     "goodput": "goodput at the knee req/s (mean)", "ci": "95% CI",
     "knee_p99_mean": "p99 at the knee ms (mean)", "peak": "peak goodput req/s (mean)",
     "n_text": "n"},
    {"knee_p99_mean": NUM2}, ("goodput", "ci", "knee_p99_mean", "peak", "n_text"))


def knee_display(knees: pd.DataFrame) -> pd.DataFrame:
    if knees.empty:
        return knees
    rows = [{"levels": " · ".join((f"{level:g}" if reached else f"≥ {level:g}")
                                  if _finite(level) else "–" for _, level, reached in r.per_rep),
             "goodput": NUM1(r.knee_goodput_mean),
             "ci": _interval(r.ci95_low, r.ci95_high, r.n, 1),
             "peak": NUM1(r.peak_goodput_mean), "n_text": f"{r.n} of {r.reps}"}
            for r in knees.itertuples()]
    return knees.reset_index(drop=True).join(pd.DataFrame(rows))


COST_VIEW = table_text.View(
    {"variant": "variant", "scenario": "scenario", "rate": "common rate req/s",
     "cpu": "server CPU-s per 1,000 requests (mean)", "cpu_ci": "95% CI (CPU-s)",
     "rss": "peak RSS MiB (mean)", "rss_ci": "95% CI (MiB)", "n_text": "n",
     "carried": "carried the rate"},
    {}, ("rate", "cpu", "cpu_ci", "rss", "rss_ci", "n_text"))


# PostgreSQL runs: the database host's cost beside the server's.
COST_DB_VIEW = table_text.View(
    {**{k: v for k, v in COST_VIEW.columns.items() if k != "carried"},
     "db_cpu": "database CPU-s per 1,000 requests (mean)", "db_cpu_ci": "95% CI (database CPU-s)",
     "db_rss": "database peak RSS MiB (mean)",
     "total_rps": "requests per CPU-second, server + database (mean)",
     "db_n_text": "n (database)", "carried": COST_VIEW.columns["carried"]},
    {}, (*COST_VIEW.right, "db_cpu", "db_cpu_ci", "db_rss", "total_rps", "db_n_text"))


def cost_display(cost: pd.DataFrame) -> pd.DataFrame:
    if cost.empty:
        return cost
    rows = []
    for r in cost.itertuples():
        mark = f" {NOT_CARRIED_MARK}" if r.not_carried else ""
        judged = sum(1 for _, _, passed in r.per_rep if passed is not None)
        rows.append({
            "rate": NUM1(r.cost_rate_rps),
            "cpu": NUM2(r.cpu_mean) + (mark if _finite(r.cpu_mean) else ""),
            "cpu_ci": _interval(r.cpu_ci95_low, r.cpu_ci95_high, r.n, 2),
            "rss": NUM1(r.rss_mean), "rss_ci": _interval(r.rss_ci95_low, r.rss_ci95_high, r.n, 1),
            "n_text": f"{r.n} of {r.reps}",
            "carried": (f"no in {r.not_carried} of {judged} {NOT_CARRIED_MARK}" if r.not_carried
                        else "yes" if judged else "not judged (closed loop)"),
            "db_cpu": NUM2(r.db_cpu_mean) + (mark if _finite(r.db_cpu_mean) else ""),
            "db_cpu_ci": _interval(r.db_cpu_ci95_low, r.db_cpu_ci95_high, r.db_n, 2),
            "db_rss": NUM1(r.db_rss_mean), "total_rps": NUM1(r.total_rps_per_cpu_mean),
            "db_n_text": f"{r.db_n} of {r.reps}"})
    return cost.reset_index(drop=True).join(pd.DataFrame(rows))


def _common_rate(cost: pd.DataFrame) -> str:
    rates = sorted({float(x) for x in cost["cost_rate_rps"] if _finite(x)})
    return " / ".join(f"{NUM1(x)} req/s" for x in rates) or "–"


def capacity_tables(max_rate: pd.DataFrame, knees: pd.DataFrame, cost: pd.DataFrame,
                    database: bool = False) -> list[CapacityTable]:
    """The capacity tables present, in the report's order; with ``database`` (a database on a
    host of its own) the cost table has the database host's columns."""
    out = []
    if len(max_rate):
        out.append(CapacityTable("Maximum sustainable rate (open loop)", MAX_RATE_NOTE,
                                 MAX_RATE_VIEW, max_rate_display(max_rate)))
    if len(knees):
        out.append(CapacityTable("The knee of the connection ladder (closed loop)", KNEE_NOTE,
                                 KNEE_VIEW, knee_display(knees)))
    if len(cost):
        out.append(CapacityTable(f"Cost per request at the common rate ({_common_rate(cost)})",
                                 f"{COST_NOTE} {COST_DB_NOTE}" if database else COST_NOTE,
                                 COST_DB_VIEW if database else COST_VIEW, cost_display(cost)))
    return out


def capacity_markdown(sections: Sequence[CapacityTable]) -> list[str]:
    """The lines of tables.md's capacity section (none without capacity cells)."""
    if not sections:
        return []
    lines = ["## Capacity", "", CAPACITY_NOTE, ""]
    for table in sections:
        lines += [f"### {table.heading}", "", table.note, "", table.view.markdown(table.frame)]
    return lines

"""``compare RUN_A RUN_B``: how B differs from A, per variant x scenario, with uncertainty. Pure.

For each variant x scenario present in both runs: the ratio B/A of mean latency (mean of
repetition means) and of goodput (repetition achieved rates), each with Fieller's 95% interval,
Welch's t-test on repetition values, Holm-corrected over all rows of the comparison, and a verdict
by the same rule as the report's pairs (reports/analysis/verdicts.py; ``insufficient_reps`` below 3
repetitions a side). Repetitions that failed are left out. ``reports.rendering.compare_report``
writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.analysis import verdicts
from reports.analysis.capacity.analyse import split_capacity
from reports.analysis.control import split_control
from reports.analysis.ordering import KEYS
from reports.analysis.repetitions import ranked, rep_stats
from reports.loading.database import database_of, headline
from reports.loading.run_folder import Run

COLUMNS = ["variant", "scenario", "reps_a", "reps_b", "mean_a_ms", "mean_b_ms", "latency_ratio",
           "latency_ci95_low", "latency_ci95_high", "latency_p_holm", "latency_verdict", "rps_a",
           "rps_b", "rps_ratio", "rps_ci95_low", "rps_ci95_high", "rps_p_holm", "rps_verdict"]
DATABASE_AB = ["database_a", "database_b"]  # compare.csv's last columns: each run's database


@dataclass(frozen=True)
class Comparison:
    run_a: str  # run ids
    run_b: str
    table: pd.DataFrame  # compare.csv: one row per variant x scenario in both runs
    missing: list[str]  # the variant x scenario cells only one run has
    setup: list[str] = field(default_factory=list)  # how the two runs' setups differ


def _host_line(meta: dict[str, Any], role: str) -> str:
    hosts = meta.get("hosts") if isinstance(meta.get("hosts"), dict) else {}
    inventory = meta.get("inventory") if isinstance(meta.get("inventory"), dict) else {}
    names = inventory.get(role) if isinstance(inventory.get(role), list) else []
    facts = [hosts.get(n) for n in names if isinstance(hosts.get(n), dict)]
    return "; ".join(", ".join(str(f.get(k)) for k in ("cpu", "cores", "kernel", "os")
                               if f.get(k) is not None) for f in facts)


def setup_differences(meta_a: dict[str, Any], meta_b: dict[str, Any]) -> list[str]:
    """What differs between two runs' setups (scale, versions, repetitions, hosts, network,
    code, database): a ratio between runs means little when these differ, so compare says it
    first."""
    def param(meta: dict[str, Any], key: str) -> object:
        params = meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {}
        return params.get(key)

    found = []
    for key in ("scale", "versions", "repetitions", "seed"):
        a, b = param(meta_a, key), param(meta_b, key)
        if a != b:
            found.append(f"{key}: {a} in A, {b} in B")
    for label, get in (("profile", lambda m: m.get("profile")),
                       ("git commit", lambda m: m.get("git_commit")),
                       ("server host", lambda m: _host_line(m, "servers")),
                       ("client hosts", lambda m: _host_line(m, "clients")),
                       ("lab delay", lambda m: (m.get("network") or {}).get("lab_netem")
                        if isinstance(m.get("network"), dict) else None),
                       ("database", lambda m: headline(database_of(m))
                        .removeprefix("database: "))):
        a, b = get(meta_a), get(meta_b)
        if a != b:
            found.append(f"{label}: {a or '-'} in A, {b or '-'} in B")
    return found


def regressions(table: pd.DataFrame, percent: float) -> pd.DataFrame:
    """Rows where B is significantly slower than A (latency verdict b_slower) by more than
    ``percent`` % of A's mean latency."""
    if table.empty:
        return table
    slower = (table["latency_verdict"] == "b_slower") & \
        (table["latency_ratio"] > 1 + percent / 100.0)
    return table[slower]


def compare_frames(reps_a: pd.DataFrame, reps_b: pd.DataFrame) -> pd.DataFrame:
    """One row per variant x scenario present in both runs."""
    keys_a = set(map(tuple, reps_a[KEYS].to_numpy())) if len(reps_a) else set()
    keys_b = set(map(tuple, reps_b[KEYS].to_numpy())) if len(reps_b) else set()
    good_a, good_b = ranked(reps_a), ranked(reps_b)
    latency, rps = [], []
    for variant, scenario in sorted(keys_a & keys_b):
        a = good_a[(good_a["variant"] == variant) & (good_a["scenario"] == scenario)]
        b = good_b[(good_b["variant"] == variant) & (good_b["scenario"] == scenario)]
        latency.append({"variant": variant, "scenario": scenario,
                        **verdicts.pair(a["mean_ms"].to_numpy(), b["mean_ms"].to_numpy())})
        rps.append(verdicts.pair(a["achieved_rps"].to_numpy(), b["achieved_rps"].to_numpy()))
    if not latency:
        return pd.DataFrame(columns=COLUMNS)
    verdicts.decide(latency)
    verdicts.decide(rps, lower_is_better=False)
    table = pd.DataFrame(latency).rename(columns={
        "mean_a": "mean_a_ms", "mean_b": "mean_b_ms", "ratio": "latency_ratio",
        "ci95_low": "latency_ci95_low", "ci95_high": "latency_ci95_high",
        "p_adjusted": "latency_p_holm", "verdict": "latency_verdict"})
    r = pd.DataFrame(rps)
    table = table.assign(rps_a=r["mean_a"], rps_b=r["mean_b"], rps_ratio=r["ratio"],
                         rps_ci95_low=r["ci95_low"], rps_ci95_high=r["ci95_high"],
                         rps_p_holm=r["p_adjusted"], rps_verdict=r["verdict"])
    return table[COLUMNS]


def only_in(reps_a: pd.DataFrame, reps_b: pd.DataFrame) -> list[str]:
    a = set(map(tuple, reps_a[KEYS].to_numpy())) if len(reps_a) else set()
    b = set(map(tuple, reps_b[KEYS].to_numpy())) if len(reps_b) else set()
    return ([f"only in A: {v} · {s}" for v, s in sorted(a - b)]
            + [f"only in B: {v} · {s}" for v, s in sorted(b - a)])


def compare_runs(a: Run, b: Run) -> Comparison:
    """The cells at one load of both runs, compared (capacity cells are left out: one spans
    many loads; so are A/A controls, which are no contestant)."""
    a, b = split_capacity(a)[0], split_capacity(b)[0]
    reps_a = rep_stats(split_control(a.cells)[0], a.requests, a.monitors)
    reps_b = rep_stats(split_control(b.cells)[0], b.requests, b.monitors)
    table = compare_frames(reps_a, reps_b).assign(database_a=database_of(a.meta).kind,
                                                  database_b=database_of(b.meta).kind)
    return Comparison(run_a=a.run_id, run_b=b.run_id, table=table[[*COLUMNS, *DATABASE_AB]],
                      missing=only_in(reps_a, reps_b), setup=setup_differences(a.meta, b.meta))

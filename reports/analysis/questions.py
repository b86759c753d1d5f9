"""The questions a run asks and which are still open: ``python -m reports decide RUN_DIR``.
Pure: an ``Analysis`` in, a JSON-ready dict out.

The controller asks before each new round of a budget run (controller/budget.py) and stops the
run when it asks something and nothing is open:

* when claims of reports/claims.json apply to the run (a claim x scenario row whose scenario and
  every variant are in the run, none of them failed), each such row is one question, open while
  its verdict is inconclusive (not significant yet, an interval straddling the band, too few
  rounds, a scenario blocked by its A/A control: more rounds may decide). A row whose scenario
  or variant is missing or failed cannot be decided by more rounds: it is no question at all;
* otherwise each pair of comparisons.csv (the A/A control is never one) is a question, open
  while its verdict is not significant (or has no test yet, or is blocked).

Verdicts are those of the analysis: in a budget run, at the nominal level of the current look
(reports/analysis/looks.py). ``rounds_needed`` estimates the total rounds that would detect a
pair's observed ratio at its observed noise with 80% power (reports/analysis/sequential.py;
null when it cannot be estimated, and for claims).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from reports.analysis import looks, paired, sequential
from reports.analysis.analyse import Analysis
from reports.analysis.pairs import by_rep
from reports.analysis.repetitions import ranked
from reports.constants import ALPHA
from reports.loading.plan import is_control

DECIDED = ("b_faster", "b_slower")


def _claim_questions(result: Analysis) -> list[dict[str, Any]]:
    summary = result.summary
    usable = set(map(tuple, summary.loc[summary["status"] != "failed",
                                        ["variant", "scenario"]].to_numpy())) \
        if len(summary) else set()
    out = []
    for r in result.reproduction.itertuples(index=False):
        variants = [v for v in str(r.variants).split("; ") if v]
        if not r.scenario_in_run or not all((v, r.scenario) in usable for v in variants):
            continue
        out.append({"question": f"{r.id} in {r.scenario}",
                    "open": r.verdict == "inconclusive", "rounds_needed": None})
    return out


def _z_final(result: Analysis) -> float:
    look = result.sequential
    if look is None:
        return float(sps.norm.isf(ALPHA / 2))
    return float(sps.norm.isf(sequential.z_levels(look.max_rounds, look.min_rounds)[-1] / 2))


def _rounds_needed(good: pd.DataFrame, scenario: str, a: str, b: str, z: float) -> int | None:
    sub = good[good["scenario"] == scenario]
    va, vb = by_rep(sub[sub["variant"] == a], "mean_ms"), by_rep(sub[sub["variant"] == b],
                                                                 "mean_ms")
    common = sorted(set(va) & set(vb))
    d = paired.log_ratios(np.array([va[k] for k in common]), np.array([vb[k] for k in common]))
    if d.size < 2:
        return None
    needed = sequential.rounds_needed(float(d.mean()), float(d.std(ddof=1)), z)
    return int(needed) if math.isfinite(needed) else None


def _pair_questions(result: Analysis) -> list[dict[str, Any]]:
    rows = result.comparisons
    rows = rows[~rows["variant_a"].map(is_control).astype(bool)
                & ~rows["variant_b"].map(is_control).astype(bool)] if len(rows) else rows
    good = ranked(result.reps) if len(result.reps) else result.reps
    z = _z_final(result)
    out = []
    for r in rows.itertuples(index=False):
        is_open = r.verdict not in DECIDED
        needed = (_rounds_needed(good, r.scenario, r.variant_a, r.variant_b, z)
                  if is_open and result.plan.paired else None)
        out.append({"question": f"{r.scenario}: {r.variant_a} vs {r.variant_b}",
                    "open": is_open, "rounds_needed": needed})
    return out


def questions(result: Analysis) -> dict[str, Any]:
    """``{"questions", "open", "decided", "rounds", "level", "open_questions"}`` of the run."""
    asked = _claim_questions(result) or _pair_questions(result)
    still = [q for q in asked if q["open"]]
    look = result.sequential
    return {"questions": len(asked), "open": len(still), "decided": len(asked) - len(still),
            "rounds": look.rounds if look else looks.rounds_complete(result.reps),
            "level": looks.alpha_of(look),
            "open_questions": [{"question": q["question"], "rounds_needed": q["rounds_needed"]}
                               for q in still]}

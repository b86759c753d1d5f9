"""The A/A control: variant X measured again under the name ``X~aa`` (run.json plan.control = X),
compared with X in every scenario. Pure; DataFrames in and out.

Two names for one unit can only differ by noise and by what the run did to them (order, drift,
host interference), so the control checks the run itself:

* per scenario, the ratio X~aa / X of repetition mean latencies with its 95% interval, by the
  comparisons' own test (``verdicts.compare``: paired by round in a rounds design, else Welch);
* **differed**: the interval excludes 1 (the unadjusted test rejects at α). That is a validity
  error of the scenario: every verdict of the scenario is blocked (comparisons.csv says
  ``blocked_aa_control``, no claim on it is decided), since the run would also have declared
  two identical variants different there;
* the smallest ratio the run could detect in the scenario with 80% power at α (two-sided):
  ``exp((z_{1-α/2} + z_{0.8}) · s / √n)`` (``sequential.detectable_ratio``; normal
  approximation), where s is the standard deviation of the control pair's own per-round log
  ratio log(X~aa_r / X_r) (its mirror 1/r below 1) and n the pairs — the noise of this
  scenario's paired comparisons, measured on a pair known to be equal. Without rounds, s is
  √(s²(log X~aa) + s²(log X)) and n the smaller number of repetitions (the unpaired analogue).

The control is never a contestant: ``split_control`` takes its cells out of everything else
(summary, comparisons, rankings, papers' views, claims, figures).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from reports.analysis import sequential, verdicts
from reports.analysis.findings import finding
from reports.analysis.ordering import order_scenarios
from reports.analysis.pairs import by_rep
from reports.analysis.repetitions import ranked
from reports.constants import ALPHA, CONTROL_COLUMNS, MIN_REPS, POWER
from reports.loading.plan import control_of, is_control, unit_variant

NAN = float("nan")
NOISE = "control pair"  # control.csv "noise": whose spread the detectable ratio uses


def split_control(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the cells of the contestants, the cells of A/A controls ``X~aa``)."""
    if cells.empty:
        return cells, cells
    mask = cells["variant"].map(is_control).astype(bool)
    return cells[~mask], cells[mask]


def _sd_log(a: dict[int, float], b: dict[int, float], rounds: bool) -> tuple[float, int]:
    """The spread of one comparison's log ratio and the n it rests on (see the module)."""
    if rounds:
        both = sorted(set(a) & set(b))
        d = np.log([b[r] / a[r] for r in both if a[r] > 0 and b[r] > 0])
        return (float(d.std(ddof=1)) if d.size >= 2 else NAN), int(d.size)
    la = np.log([v for v in a.values() if v > 0])
    lb = np.log([v for v in b.values() if v > 0])
    if la.size < 2 or lb.size < 2:
        return NAN, int(min(la.size, lb.size))
    return math.sqrt(float(la.var(ddof=1)) + float(lb.var(ddof=1))), int(min(la.size, lb.size))


def control_table(reps: pd.DataFrame, summary: pd.DataFrame, *, rounds: bool) -> pd.DataFrame:
    """report/control.csv: per control ``X~aa`` and scenario, X~aa against X (``reps`` holds
    both; failed repetitions are left out, as in every comparison). ``summary`` is the
    contestants' summary (a failed X is not tested)."""
    rows: list[dict[str, Any]] = []
    if reps.empty:
        return pd.DataFrame(columns=list(CONTROL_COLUMNS))
    good = ranked(reps)
    failed = set(map(tuple, summary.loc[summary["status"] == "failed",
                                        ["variant", "scenario"]].to_numpy())) \
        if len(summary) else set()
    controls = [v for v in dict.fromkeys(reps["variant"]) if is_control(v)]
    z = float(sps.norm.isf(ALPHA / 2))
    for control in controls:
        variant = unit_variant(control)
        for scenario in order_scenarios(reps.loc[reps["variant"] == control, "scenario"]):
            sub = good[good["scenario"] == scenario]
            a = by_rep(sub[sub["variant"] == variant], "mean_ms")
            b = by_rep(sub[sub["variant"] == control], "mean_ms")
            r = verdicts.compare(a, b, rounds=rounds)
            sd, n = _sd_log(a, b, rounds)
            p = r["p"]
            differed = bool(np.isfinite(p) and p < ALPHA)
            if (variant, scenario) in failed:
                status = f"not tested: {variant} failed"
            elif not a:
                status = f"not tested: no repetition of {variant} that did not fail"
            elif not np.isfinite(p):
                unit = "pairs" if rounds else "repetitions a side"
                status = f"not tested: fewer than {MIN_REPS} {unit}"
            else:
                status = "differed" if differed else "no difference shown"
            rows.append({"scenario": scenario, "variant": variant, "control": control,
                         "test": r["test"], "pairs": r["pairs"], "reps_a": r["reps_a"],
                         "reps_b": r["reps_b"], "ratio": r["ratio"], "ci95_low": r["ci95_low"],
                         "ci95_high": r["ci95_high"], "p": p,
                         "differed": differed and not status.startswith("not tested"),
                         "sd_log": sd,
                         "detectable_ratio": sequential.detectable_ratio(sd, n, z, POWER),
                         "noise": NOISE, "status": status})
    return pd.DataFrame(rows, columns=list(CONTROL_COLUMNS))


def blocked_scenarios(control: pd.DataFrame) -> dict[str, str]:
    """Scenario -> why its verdicts are blocked: the scenarios whose A/A control differed."""
    out: dict[str, str] = {}
    for r in control[control["differed"].astype(bool)].itertuples():
        out[str(r.scenario)] = (f"the A/A control differed: {r.control} / {r.variant} = "
                                f"{r.ratio:.3f} [{r.ci95_low:.3f}, {r.ci95_high:.3f}], "
                                f"p {r.p:.2g}")
    return out


def control_findings(control: pd.DataFrame, planned: str,
                     present: set[str]) -> list[dict[str, Any]]:
    """Validity findings of the A/A control: an error per scenario where it differed (the
    scenario's verdicts are blocked), an info line per scenario otherwise, and an error when the
    plan names a control the run has no cell of (``present``: the control variants measured)."""
    items = []
    if planned and control_of(planned) not in present:
        items.append(finding("error", control_of(planned), "", 0, "report",
                             f"the plan has an A/A control of {planned} but the run has no "
                             "cell of it: the run's noise is not checked"))
    for r in control.itertuples():
        if r.differed:
            items.append(finding(
                "error", r.control, r.scenario, 0, "report",
                f"A/A control differed: {r.control} / {r.variant} = {r.ratio:.3f} "
                f"(95% CI {r.ci95_low:.3f}–{r.ci95_high:.3f}, {r.test}, p {r.p:.2g}): the same "
                "unit measured twice looks different, so no verdict of this scenario is given"))
        elif r.status.startswith("not tested"):
            items.append(finding("info", r.control, r.scenario, 0, "report",
                                 f"A/A control {r.status}"))
        else:
            detect = (f"; smallest difference detectable at 80% power ×{r.detectable_ratio:.3f}"
                      if np.isfinite(r.detectable_ratio) else "")
            items.append(finding(
                "info", r.control, r.scenario, 0, "report",
                f"A/A control: {r.control} / {r.variant} = {r.ratio:.3f} (95% CI "
                f"{r.ci95_low:.3f}–{r.ci95_high:.3f}), no difference shown{detect}"))
    return items

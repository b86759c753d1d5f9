"""Validity: every reason not to trust a number, as one DataFrame (pure; no I/O).

Columns: ``severity`` (error | warning | info), ``variant``, ``scenario``, ``rep`` (0 = all),
``source`` (client | report | run), ``message``. Warnings are never silently dropped: the client's
own warnings (summary.json) are passed through verbatim, and the report adds what it can see.
Instability (high CV, trends, outlier rounds: reports/analysis/instability.py) and the A/A
control (reports/analysis/control.py) add their own findings to this table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reports.analysis.ordering import KEYS, order_scenarios, order_variants
from reports.constants import CLOCK_OFFSET_WARN_MS, MIN_REPS
from runfiles.validity import MAX_ERROR_RATE

COLUMNS = ["severity", "variant", "scenario", "rep", "source", "message"]
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def finding(severity: str, variant: str, scenario: str, rep: int, source: str,
            message: str) -> dict[str, Any]:
    """One finding (a row of ``COLUMNS``)."""
    return {"severity": severity, "variant": variant, "scenario": scenario, "rep": rep,
            "source": source, "message": message}


_item = finding


def _rep_items(r: Any) -> list[dict[str, Any]]:
    v, s, k = r.variant, r.scenario, int(r.rep)
    items = [_item("warning", v, s, k, "client", w) for w in r.warnings]
    items += [_item("error" if "missing" in p or "no rows" in p or "empty" in p else "warning",
                    v, s, k, "report", p) for p in r.problems]
    if r.status == "failed":
        why = f": {r.errors} of {r.requests} requests failed" if r.errors else ""
        items.append(_item("error", v, s, k, "client", f"repetition failed{why}"))
    elif r.status == "degraded" and not (r.warnings or r.errors or r.problems
                                         or r.report_warnings):
        items.append(_item("warning", v, s, k, "client", "repetition degraded (no reason given)"))
    if r.errors:
        classes = ", ".join(f"{c} {n}" for c, n in sorted(r.error_classes.items())) or "unknown"
        items.append(_item("warning", v, s, k, "report",
                           f"{r.errors} of {r.requests} requests failed ({classes}); counted as "
                           "errors, never as throughput; timeouts stay in latency at their "
                           "timeout, other failures are left out of it"))
    summary_n = r.summary_requests
    if r.has_requests and isinstance(summary_n, int) and summary_n != r.requests:
        items.append(_item("warning", v, s, k, "report",
                           f"summary.json says {summary_n} requests, requests.csv has "
                           f"{r.requests}"))
    items += [_item("warning", v, s, k, "report", w) for w in r.report_warnings]
    if r.goodput_recomputed:
        items.append(_item("info", v, s, k, "report",
                           "summary.json predates goodput: its achieved_rps counted failed "
                           "requests; req/s here counts successes only"))
    return items


def run_setup_items(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings about the setup: the hosts' clock offsets, how the lab's delay was applied."""
    items = []
    entries = meta.get("clock_offsets")
    for entry in entries if isinstance(entries, list) else []:
        hosts = entry.get("hosts") if isinstance(entry, dict) else None
        for host, off in (hosts if isinstance(hosts, dict) else {}).items():
            off = off if isinstance(off, dict) else {}
            offset, bound = off.get("offset_ms"), off.get("bound_ms") or 0.0
            if not isinstance(offset, (int, float)):
                items.append(_item("info", "", "", 0, "run", f"clock offset of {host} to the "
                                   f"server not measured: {off.get('error') or 'no result'}"))
            elif abs(offset) - bound > CLOCK_OFFSET_WARN_MS:
                items.append(_item("warning", "", "", 0, "run",
                                   f"clock of {host} is {offset:+.1f} ms off the server's (± "
                                   f"{bound:.2f} ms): server and client timestamps disagree by "
                                   "that much; check NTP"))
    network = meta.get("network") if isinstance(meta.get("network"), dict) else {}
    applied = network.get("lab_netem_applied")
    if isinstance(applied, dict) and any(str(v).startswith("user ") for v in applied.values()):
        items.append(_item("info", "", "", 0, "run",
                           f"lab delay '{network.get('lab_netem')}' applied in user space "
                           "(fwbench-delay, no sch_netem): about 0.1 ms more per packet and "
                           "controller CPU; compare with runs delayed the same way"))
    return items


def validity_table(meta: dict[str, Any], run_problems: list[str], cells: pd.DataFrame,
                   reps: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """All validity findings, most severe first."""
    items = [_item("warning", "", "", 0, "run", p) for p in run_problems]
    failed_cells = meta.get("cells_failed") or []
    for entry in failed_cells if isinstance(failed_cells, list) else [failed_cells]:
        if isinstance(entry, dict):
            items.append(_item("error", str(entry.get("variant", "")),
                               str(entry.get("scenario", "")), int(entry.get("rep") or 0), "run",
                               "cell failed in the run: " + str(entry.get("reason") or entry)))
        else:
            items.append(_item("error", "", "", 0, "run", f"cell failed in the run: {entry}"))
    variants_meta = meta.get("variants") if isinstance(meta.get("variants"), dict) else {}
    for name, v in variants_meta.items():
        if isinstance(v, dict) and v.get("honours_parallelism") is False:
            items.append(_item("warning", name, "", 0, "run",
                               f"server does not honour the parallelism setting (runs "
                               f"{v.get('processes', '?')} process(es) × {v.get('threads', '?')} "
                               "thread(s)): not a like-for-like comparison"))
    items += run_setup_items(meta)
    for r in reps.itertuples():
        items.extend(_rep_items(r))

    # Expected but missing cells and repetitions.
    scenarios = order_scenarios(cells["scenario"]) if not cells.empty else []
    variants = list(dict.fromkeys([*order_variants(cells), *variants_meta]))
    present = set(map(tuple, reps[KEYS].to_numpy())) if not reps.empty else set()
    params = meta.get("parameters") if isinstance(meta.get("parameters"), dict) else {}
    expected_reps = params.get("repetitions")
    for v in variants:
        for s in scenarios:
            if (v, s) not in present:
                items.append(_item("error", v, s, 0, "report",
                                   "missing: no repetition of this cell in the results"))
    for row in summary.itertuples():
        want = expected_reps if isinstance(expected_reps, int) else None
        if want and row.reps < want:
            items.append(_item("warning", row.variant, row.scenario, 0, "report",
                               f"only {row.reps} of {want} repetitions present"))
        if row.status == "failed":
            items.append(_item("error", row.variant, row.scenario, 0, "report",
                               f"failed: error rate {row.error_rate:.2%} (threshold "
                               f"{MAX_ERROR_RATE:.0%}) or every repetition failed; not ranked "
                               "or compared"))
        elif row.reps_ranked < MIN_REPS:
            items.append(_item("info", row.variant, row.scenario, 0, "report",
                               f"{row.reps_ranked} repetition(s): no significance claim in "
                               f"comparisons (they need {MIN_REPS}); "
                               + ("no confidence interval" if row.reps_ranked < 2 else
                                  "the confidence interval is wide by design")))
        if row.censored:
            items.append(_item("warning", row.variant, row.scenario, 0, "report",
                               f"{row.censored} timed-out request(s) in the latency statistics "
                               "at their timeout: mean and percentiles are lower bounds (≥)"))
    table = pd.DataFrame(items, columns=COLUMNS)
    table["rep"] = table["rep"].astype("int64")
    return table.sort_values(["severity", "variant", "scenario", "rep"],
                             key=lambda c: c.map(SEVERITY_RANK) if c.name == "severity" else c,
                             kind="stable").reset_index(drop=True)

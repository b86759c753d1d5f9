"""``compare RUN_A RUN_B``: how B differs from A, per variant x scenario, with uncertainty.

For each variant x scenario present in both runs: the ratio B/A of mean latency (mean of
repetition means) and of goodput (repetition achieved rates), each with Fieller's 95% interval,
Welch's t-test on repetition values, Holm-corrected over all rows of the comparison, and a verdict
by the same rule as the report's pairs (reports/verdicts.py; ``insufficient_reps`` below 3
repetitions a side). Repetitions that failed are left out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reports import analysis, tables, verdicts
from reports.load import Run, load_run

COLUMNS = ["variant", "scenario", "reps_a", "reps_b", "mean_a_ms", "mean_b_ms", "latency_ratio",
           "latency_ci95_low", "latency_ci95_high", "latency_p_holm", "latency_verdict", "rps_a",
           "rps_b", "rps_ratio", "rps_ci95_low", "rps_ci95_high", "rps_p_holm", "rps_verdict"]


def compare_frames(reps_a: pd.DataFrame, reps_b: pd.DataFrame) -> pd.DataFrame:
    """One row per variant x scenario present in both runs (pure)."""
    keys_a = set(map(tuple, reps_a[analysis.KEYS].to_numpy())) if len(reps_a) else set()
    keys_b = set(map(tuple, reps_b[analysis.KEYS].to_numpy())) if len(reps_b) else set()
    good_a, good_b = analysis.ranked(reps_a), analysis.ranked(reps_b)
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
    a = set(map(tuple, reps_a[analysis.KEYS].to_numpy())) if len(reps_a) else set()
    b = set(map(tuple, reps_b[analysis.KEYS].to_numpy())) if len(reps_b) else set()
    return ([f"only in A: {v} · {s}" for v, s in sorted(a - b)]
            + [f"only in B: {v} · {s}" for v, s in sorted(b - a)])


VIEW = tables.View(
    {"variant": "variant", "scenario": "scenario", "mean_a_ms": "mean A ms",
     "mean_b_ms": "mean B ms", "latency_ratio": "latency B/A", "latency_ci": "95% CI",
     "latency_verdict": "latency", "rps_ratio": "req/s B/A", "rps_ci": "95% CI ",
     "rps_verdict": "throughput"},
    {"mean_a_ms": tables.fmt_num(2), "mean_b_ms": tables.fmt_num(2),
     "latency_ratio": tables.fmt_num(3), "rps_ratio": tables.fmt_num(3)},
    ("mean_a_ms", "mean_b_ms", "latency_ratio", "rps_ratio"))


def display(table: pd.DataFrame) -> pd.DataFrame:
    shown = tables.with_ci(table, "latency_ci95_low", "latency_ci95_high", "latency_ci", 3)
    shown = tables.with_ci(shown, "rps_ci95_low", "rps_ci95_high", "rps_ci", 3)
    if shown.empty:
        return shown
    return shown.assign(
        latency_verdict=[verdicts.describe(v, r) for v, r in
                         zip(table["latency_verdict"], table["latency_ratio"], strict=True)],
        rps_verdict=[verdicts.describe(v, r).replace("faster", "higher").replace("slower", "lower")
                     for v, r in zip(table["rps_verdict"], table["rps_ratio"], strict=True)])


def terminal_table(table: pd.DataFrame) -> str:
    return tables.aligned(display(table), VIEW.columns, VIEW.formats, VIEW.right)


def _figure(table: pd.DataFrame, path: Path, title: str) -> None:
    from reports.figures import plt  # Agg backend selected there

    n = max(1, len(table))
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.32 * n + 1.4), sharey=True)
    fig.subplots_adjust(left=0.32, right=0.98, top=1 - 0.45 / (0.32 * n + 1.4),
                        bottom=0.5 / (0.32 * n + 1.4), wspace=0.08)
    y = np.arange(len(table))
    labels = [f"{v} · {s}" for v, s in zip(table["variant"], table["scenario"], strict=True)]
    for ax, col, name in ((axes[0], "latency", "mean latency B/A (<1: B faster)"),
                          (axes[1], "rps", "throughput B/A (>1: B higher)")):
        ratio = table[f"{col}_ratio"].to_numpy(dtype="float64")
        low = table[f"{col}_ci95_low"].to_numpy(dtype="float64")
        high = table[f"{col}_ci95_high"].to_numpy(dtype="float64")
        significant = table[f"{col}_verdict"].isin(["b_faster", "b_slower"]).to_numpy()
        colors = np.where(significant, "tab:red", "tab:gray")
        ax.hlines(y, np.where(np.isfinite(low), low, ratio),
                  np.where(np.isfinite(high), high, ratio), colors=list(colors), lw=1.5)
        ax.scatter(ratio, y, c=list(colors), zorder=3, s=16)
        ax.axvline(1.0, color="black", lw=0.8)
        ax.set_xlabel(name, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_yticks(y, labels, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle(title + " (red: significant after Holm correction)", fontsize=9)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def run_compare(run_a: Path, run_b: Path, out: Path | None = None) -> tuple[pd.DataFrame, Path]:
    """Load both runs, compare, write compare.csv, compare.md and compare.png."""
    a, b = load_run(run_a), load_run(run_b)
    table = compare_runs(a, b)
    out = out or Path(run_b) / "report" / f"compare-{a.run_id}"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "compare.csv", index=False, float_format="%.6g")
    missing = only_in(analysis.rep_stats(a.cells, a.requests, a.monitors),
                      analysis.rep_stats(b.cells, b.requests, b.monitors))
    title = f"{b.run_id} (B) against {a.run_id} (A)"
    lines = [f"# Comparison: {title}", "",
             "Ratios B/A of mean latency (mean of repetition means) and of goodput, with "
             "Fieller's 95% intervals over repetitions; verdicts at α = 0.05 after Holm "
             "correction over all rows (Welch's t-test on repetition values); no claim with "
             "fewer than 3 repetitions a side; failed repetitions left out.", "",
             VIEW.markdown(display(table))]
    if missing:
        lines += ["## Not compared", "", *[f"- {m}" for m in missing], ""]
    (out / "compare.md").write_text("\n".join(lines), encoding="utf-8")
    if len(table):
        _figure(table, out / "compare.png", title)
    return table, out


def compare_runs(a: Run, b: Run) -> pd.DataFrame:
    reps_a = analysis.rep_stats(a.cells, a.requests, a.monitors)
    reps_b = analysis.rep_stats(b.cells, b.requests, b.monitors)
    return compare_frames(reps_a, reps_b)

"""``compare RUN_A RUN_B``: how B differs from A, per variant x scenario, with uncertainty.

For each variant x scenario present in both runs: the ratio B/A of mean latency (mean of
repetition means) and of throughput (repetition achieved rates), each with a percentile-bootstrap
95% CI over repetitions, a Welch t-test on repetition values (Mann-Whitney U on requests for
latency when a side has one repetition), Holm-corrected over all rows of the comparison.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reports import analysis, stats, tables
from reports.load import Run, load_run

COLUMNS = ["variant", "scenario", "reps_a", "reps_b", "mean_a_ms", "mean_b_ms", "latency_ratio",
           "latency_ci95_low", "latency_ci95_high", "latency_test", "latency_p_holm",
           "latency_verdict", "rps_a", "rps_b", "rps_ratio", "rps_ci95_low", "rps_ci95_high",
           "rps_p_holm", "rps_verdict"]


def compare_frames(reps_a: pd.DataFrame, reps_b: pd.DataFrame,
                   lat_a: dict[tuple[str, str], np.ndarray],
                   lat_b: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """One row per variant x scenario present in both runs (pure)."""
    keys_a = set(map(tuple, reps_a[analysis.KEYS].to_numpy())) if len(reps_a) else set()
    keys_b = set(map(tuple, reps_b[analysis.KEYS].to_numpy())) if len(reps_b) else set()
    rows = []
    for variant, scenario in sorted(keys_a & keys_b):
        a = reps_a[(reps_a["variant"] == variant) & (reps_a["scenario"] == scenario)]
        b = reps_b[(reps_b["variant"] == variant) & (reps_b["scenario"] == scenario)]
        ma, mb = a["mean_ms"].dropna().to_numpy(), b["mean_ms"].dropna().to_numpy()
        ra, rb = a["achieved_rps"].dropna().to_numpy(), b["achieved_rps"].dropna().to_numpy()
        ratio, low, high = stats.bootstrap_ratio_ci(ma, mb)
        test, p = stats.significance(ma, mb, lat_a.get((variant, scenario), np.empty(0)),
                                     lat_b.get((variant, scenario), np.empty(0)))
        r_ratio, r_low, r_high = stats.bootstrap_ratio_ci(ra, rb)
        rows.append({"variant": variant, "scenario": scenario, "reps_a": len(a),
                     "reps_b": len(b), "mean_a_ms": float(ma.mean()) if ma.size else np.nan,
                     "mean_b_ms": float(mb.mean()) if mb.size else np.nan,
                     "latency_ratio": ratio, "latency_ci95_low": low, "latency_ci95_high": high,
                     "latency_test": test, "_p_lat": p,
                     "rps_a": float(ra.mean()) if ra.size else np.nan,
                     "rps_b": float(rb.mean()) if rb.size else np.nan, "rps_ratio": r_ratio,
                     "rps_ci95_low": r_low, "rps_ci95_high": r_high,
                     "_p_rps": stats.welch_p(ra, rb)})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["latency_p_holm"] = stats.holm(table.pop("_p_lat").to_numpy())
    table["rps_p_holm"] = stats.holm(table.pop("_p_rps").to_numpy())
    table["latency_verdict"] = [analysis.verdict(r, p, "slower", "faster") for r, p in
                                zip(table["latency_ratio"], table["latency_p_holm"], strict=True)]
    table["rps_verdict"] = [analysis.verdict(r, p, "higher", "lower") for r, p in
                            zip(table["rps_ratio"], table["rps_p_holm"], strict=True)]
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
    return tables.with_ci(shown, "rps_ci95_low", "rps_ci95_high", "rps_ci", 3)


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
        significant = ~table[f"{col}_verdict"].isin(["not significant"]) & \
            ~table[f"{col}_verdict"].str.startswith("no test")
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
             "Ratios B/A of mean latency (mean of repetition means) and of throughput, with "
             "95% bootstrap CIs over repetitions; verdicts at α = 0.05 after Holm correction "
             "over all rows (Welch's t-test on repetition values; Mann-Whitney U on requests "
             "when a side has one repetition, indicative only).", "",
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
    return compare_frames(reps_a, reps_b, analysis.ok_latencies(a.requests, a.cells),
                          analysis.ok_latencies(b.requests, b.cells))

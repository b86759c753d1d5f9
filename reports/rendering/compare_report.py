"""Renderers of a run-to-run ``Comparison`` (reports/analysis/run_comparison.py): compare.csv,
compare.md, compare.png and the terminal table. They only format and write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from reports.analysis.run_comparison import Comparison
from reports.rendering import table_text, terminal

NOTE = ("Ratios B/A of mean latency (mean of repetition means) and of goodput, with "
        "Fieller's 95% intervals over repetitions; verdicts at α = 0.05 after Holm "
        "correction over all rows (Welch's t-test on repetition values); no claim with "
        "fewer than 3 repetitions a side; failed repetitions left out.")

VIEW = table_text.View(
    {"variant": "variant", "scenario": "scenario", "mean_a_ms": "mean A ms",
     "mean_b_ms": "mean B ms", "latency_ratio": "latency B/A", "latency_ci": "95% CI",
     "latency_verdict": "latency", "rps_ratio": "req/s B/A", "rps_ci": "95% CI ",
     "rps_verdict": "throughput"},
    {"mean_a_ms": table_text.fmt_num(2), "mean_b_ms": table_text.fmt_num(2),
     "latency_ratio": table_text.fmt_num(3), "rps_ratio": table_text.fmt_num(3)},
    ("mean_a_ms", "mean_b_ms", "latency_ratio", "rps_ratio"))


def display(table: pd.DataFrame) -> pd.DataFrame:
    shown = table_text.with_ci(table, "latency_ci95_low", "latency_ci95_high", "latency_ci", 3)
    shown = table_text.with_ci(shown, "rps_ci95_low", "rps_ci95_high", "rps_ci", 3)
    if shown.empty:
        return shown
    return shown.assign(
        latency_verdict=[table_text.describe(v, r) for v, r in
                         zip(table["latency_verdict"], table["latency_ratio"], strict=True)],
        rps_verdict=[table_text.describe(v, r).replace("faster", "higher")
                     .replace("slower", "lower")
                     for v, r in zip(table["rps_verdict"], table["rps_ratio"], strict=True)])


def terminal_table(table: pd.DataFrame) -> str:
    return terminal.aligned(display(table), VIEW.columns, VIEW.formats, VIEW.right)


def title(comparison: Comparison) -> str:
    return f"{comparison.run_b} (B) against {comparison.run_a} (A)"


def compare_md(comparison: Comparison) -> str:
    """The text of compare.md."""
    lines = [f"# Comparison: {title(comparison)}", ""]
    if comparison.setup:
        lines += ["## The setups differ (read the ratios with this in mind)", "",
                  *[f"- {d}" for d in comparison.setup], ""]
    lines += [NOTE, "", VIEW.markdown(display(comparison.table))]
    if comparison.missing:
        lines += ["## Not compared", "", *[f"- {m}" for m in comparison.missing], ""]
    return "\n".join(lines)


def write_figure(table: pd.DataFrame, path: Path, heading: str) -> None:
    """compare.png: each row's ratio B/A with its interval, latency and throughput side by side."""
    from reports.rendering.matplotlib_setup import plt  # matplotlib only when drawing

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
    fig.suptitle(heading + " (red: significant after Holm correction)", fontsize=9)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_all(comparison: Comparison, out: Path) -> None:
    """Write compare.csv, compare.md and (with at least one row) compare.png under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    comparison.table.to_csv(out / "compare.csv", index=False, float_format="%.6g")
    (out / "compare.md").write_text(compare_md(comparison), encoding="utf-8")
    if len(comparison.table):
        write_figure(comparison.table, out / "compare.png", title(comparison))

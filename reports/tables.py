"""Text renderings of the analysis frames: Markdown tables and the terminal table (pure strings)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

Formatter = Callable[[object], str]


def fmt_num(digits: int = 2) -> Formatter:
    def f(x: object) -> str:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return "–"
        if isinstance(x, (int, float)):
            return f"{x:,.{digits}f}"
        return str(x)
    return f


def fmt_int(x: object) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{int(x):,}"  # type: ignore[call-overload]


def fmt_pct(x: object) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):.2f}%"  # type: ignore[arg-type]


def fmt_p(x: object) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return "<0.001" if float(x) < 0.001 else f"{float(x):.3f}"  # type: ignore[arg-type]


def fmt_ci(low: object, high: object, digits: int = 2) -> str:
    f = fmt_num(digits)
    if f(low) == "–":
        return "–"
    return f"{f(low)} – {f(high)}"


def cells_text(df: pd.DataFrame, columns: Mapping[str, str],
               formats: Mapping[str, Formatter] | None = None) -> list[list[str]]:
    formats = formats or {}
    return [[formats.get(c, str)(row[c]) for c in columns] for _, row in df.iterrows()]


def markdown(df: pd.DataFrame, columns: Mapping[str, str],
             formats: Mapping[str, Formatter] | None = None,
             right: Sequence[str] = ()) -> str:
    """A GitHub-flavoured Markdown table of ``columns`` (name -> header)."""
    if df.empty:
        return "_(no data)_\n"
    head = "| " + " | ".join(columns.values()) + " |"
    align = "|" + "|".join("---:" if c in right else "---" for c in columns) + "|"
    body = ["| " + " | ".join(v.replace("|", "\\|") for v in row) + " |"
            for row in cells_text(df, columns, formats)]
    return "\n".join([head, align, *body]) + "\n"


def aligned(df: pd.DataFrame, columns: Mapping[str, str],
            formats: Mapping[str, Formatter] | None = None, right: Sequence[str] = ()) -> str:
    """A plain aligned text table for the terminal."""
    rows = [list(columns.values()), *cells_text(df, columns, formats)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    keys = list(columns)
    lines = []
    for n, r in enumerate(rows):
        parts = [v.rjust(w) if keys[i] in right else v.ljust(w)
                 for i, (v, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


TERMINAL_COLUMNS = {"variant": "variant", "scenario": "scenario", "reps": "reps",
                    "requests": "requests", "errors": "errors", "rps_median": "rps",
                    "p50_ms": "p50 ms", "p99_ms": "p99 ms", "status": "status"}
TERMINAL_FORMATS: dict[str, Formatter] = {"reps": fmt_int, "requests": fmt_int, "errors": fmt_int,
                                          "rps_median": fmt_num(1), "p50_ms": fmt_num(2),
                                          "p99_ms": fmt_num(2)}
NUMERIC = ("reps", "requests", "errors", "rps_median", "p50_ms", "p99_ms")


def terminal_summary(summary: pd.DataFrame) -> str:
    return aligned(summary, TERMINAL_COLUMNS, TERMINAL_FORMATS, right=NUMERIC)


# -- views: which columns, headers and formats each table shows (shared by Markdown and HTML) ----

class View:
    def __init__(self, columns: Mapping[str, str], formats: Mapping[str, Formatter],
                 right: Sequence[str]) -> None:
        self.columns = dict(columns)
        self.formats = dict(formats)
        self.right = tuple(right)

    def markdown(self, df: pd.DataFrame) -> str:
        return markdown(df, self.columns, self.formats, self.right)

    def rows(self, df: pd.DataFrame) -> list[list[str]]:
        return cells_text(df, self.columns, self.formats)

    def headers(self) -> list[tuple[str, bool]]:
        return [(h, c in self.right) for c, h in self.columns.items()]


def with_ci(df: pd.DataFrame, low: str, high: str, name: str, digits: int = 2) -> pd.DataFrame:
    """``df`` plus a text column ``name`` = "low – high"."""
    if df.empty:
        return df.assign(**{name: pd.Series(dtype="str")})
    return df.assign(**{name: [fmt_ci(a, b, digits) for a, b in zip(df[low], df[high],
                                                                    strict=True)]})


MS = fmt_num(2)
SUMMARY_VIEW = View(
    {"variant": "variant", "scenario": "scenario", "reps": "reps", "requests": "requests",
     "errors": "errors", "rps_median": "req/s (median)", "mean_ms": "mean ms",
     "ci95_ms": "95% CI of mean ms", "p50_ms": "p50", "p90_ms": "p90", "p99_ms": "p99",
     "p999_ms": "p99.9", "max_ms": "max", "status": "status", "warnings": "warnings"},
    {"reps": fmt_int, "requests": fmt_int, "errors": fmt_int, "rps_median": fmt_num(1),
     "mean_ms": MS, "p50_ms": MS, "p90_ms": MS, "p99_ms": MS, "p999_ms": MS, "max_ms": MS,
     "warnings": fmt_int},
    ("reps", "requests", "errors", "rps_median", "mean_ms", "p50_ms", "p90_ms", "p99_ms",
     "p999_ms", "max_ms", "warnings"))
PAPER1_VIEW = View({"variant": "variant", "reps": "reps", "value": "value", "ci": "95% CI"},
                   {"reps": fmt_int, "value": fmt_num(2)}, ("reps", "value"))
PAPER2_VIEW = View(
    {"label": "Framework & method", "average_ms": "Average time (ms)",
     "improvement": "Improvement", "outliers": "Number of outliers (1.5×IQR)", "n": "samples",
     "errors": "failed (excluded)"},
    {"average_ms": fmt_num(3), "outliers": fmt_int, "n": fmt_int, "errors": fmt_int},
    ("average_ms", "improvement", "outliers", "n", "errors"))
PAIRWISE_VIEW = View(
    {"a": "A", "b": "B", "mean_a_ms": "mean A ms", "mean_b_ms": "mean B ms",
     "ratio_b_a": "B/A", "ci": "95% CI of B/A", "test": "test", "p_holm": "p (Holm)",
     "verdict": "verdict"},
    {"mean_a_ms": MS, "mean_b_ms": MS, "ratio_b_a": fmt_num(3), "p_holm": fmt_p},
    ("mean_a_ms", "mean_b_ms", "ratio_b_a", "p_holm"))
VALIDITY_VIEW = View(
    {"severity": "severity", "variant": "variant", "scenario": "scenario", "rep": "rep",
     "source": "source", "message": "finding"},
    {"rep": lambda x: "all" if x == 0 else str(x)}, ())
EFFICIENCY_VIEW = View(
    {"variant": "variant", "scenario": "scenario", "rps_median": "req/s (median)",
     "requests_per_cpu_s": "requests per server CPU-second"},
    {"rps_median": fmt_num(1), "requests_per_cpu_s": fmt_num(1)},
    ("rps_median", "requests_per_cpu_s"))


def paper2_display(table: pd.DataFrame) -> pd.DataFrame:
    """Paper 2 rows with the paper's labels ("variant - METHOD", "Baseline" for the slowest)."""
    if table.empty:
        return table.assign(label=[], improvement=[])
    slowest = table["average_ms"].idxmax() if table["average_ms"].notna().any() else None
    return table.assign(
        label=table["variant"] + " - " + table["method"],
        improvement=["Baseline" if i == slowest else fmt_pct(v)
                     for i, v in zip(table.index, table["improvement_pct"], strict=True)])

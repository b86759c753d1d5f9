"""Text renderings of the analysis frames (pure strings): cell formatters, the Markdown table and
the views (which columns, headers and formats each table shows) that Markdown and HTML share."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from reports.constants import BLOCKED, MIN_REPS, PAIRED_T, WELCH

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


def fmt_pct100(x: object) -> str:
    """A fraction as a percentage ("1.25%")."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{100 * float(x):.2f}%"  # type: ignore[arg-type]


def fmt_p(x: object) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return "<0.001" if float(x) < 0.001 else f"{float(x):.3f}"  # type: ignore[arg-type]


def fmt_ci(low: object, high: object, digits: int = 2) -> str:
    f = fmt_num(digits)
    if low == -math.inf and high == math.inf:
        return "unbounded"
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
LATENCY_COLUMNS = ("mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")


def latency_text(df: pd.DataFrame, columns: Sequence[str] = LATENCY_COLUMNS,
                 digits: int = 2) -> pd.DataFrame:
    """``df`` with its latency ``columns`` as text: "≥ " before the figures of rows with censored
    (timed-out) samples, since they are lower bounds; "n/a" for a percentile left out for lack of
    samples beyond it (p99.9 below 10,000 samples); "–" where there is no sample at all."""
    if df.empty:
        return df
    out = df.copy()
    f = fmt_num(digits)
    censored = (pd.to_numeric(df["censored"], errors="coerce").fillna(0) > 0 if "censored" in df
                else pd.Series(False, index=df.index))
    samples = (pd.to_numeric(df["latency_samples"], errors="coerce").fillna(0)
               if "latency_samples" in df else pd.Series(1, index=df.index))
    for col in columns:
        if col not in df:
            continue
        texts = []
        for value, bound, n in zip(df[col], censored, samples, strict=True):
            text = f(value)
            if text == "–" and n > 0:
                text = "n/a"
            elif text not in ("–", "n/a") and bound:
                text = "≥ " + text
            texts.append(text)
        out[col] = texts
    return out


SUMMARY_VIEW = View(
    {"variant": "variant", "scenario": "scenario", "reps": "reps", "requests": "requests",
     "errors": "errors", "error_rate": "error rate", "rps_median": "goodput req/s (median)",
     "mean_ms": "mean ms", "ci95_ms": "95% CI of mean ms", "p50_ms": "p50", "p90_ms": "p90",
     "p99_ms": "p99", "p999_ms": "p99.9", "max_ms": "max", "latency_samples": "n",
     "status": "status", "warnings": "warnings"},
    {"reps": fmt_int, "requests": fmt_int, "errors": fmt_int, "error_rate": fmt_pct100,
     "rps_median": fmt_num(1), "mean_ms": MS, "p50_ms": MS, "p90_ms": MS, "p99_ms": MS,
     "p999_ms": MS, "max_ms": MS, "latency_samples": fmt_int, "warnings": fmt_int},
    ("reps", "requests", "errors", "error_rate", "rps_median", "mean_ms", "p50_ms", "p90_ms",
     "p99_ms", "p999_ms", "max_ms", "latency_samples", "warnings"))
PAPER1_VIEW = View({"variant": "variant", "reps": "reps", "value": "value", "ci": "95% CI",
                    "status": "status"},
                   {"reps": fmt_int, "value": fmt_num(2)}, ("reps", "value"))
PAPER2_VIEW = View(
    {"label": "Framework & method", "average_ms": "Average time (ms)",
     "improvement": "Improvement", "outliers": "Number of outliers (1.5×IQR)", "n": "samples",
     "errors": "failed requests", "status": "status"},
    {"average_ms": fmt_num(3), "outliers": fmt_int, "n": fmt_int, "errors": fmt_int},
    ("average_ms", "improvement", "outliers", "n", "errors"))
COMPARISON_VIEW = View(
    {"variant_a": "A", "variant_b": "B", "reps": "reps A/B", "test": "test", "pairs": "pairs",
     "mean_a_ms": "mean A ms", "mean_b_ms": "mean B ms", "ratio": "B/A", "ci": "95% CI of B/A",
     "p_adjusted": "p (Holm, scenario)", "verdict_text": "verdict"},
    {"pairs": fmt_int, "mean_a_ms": MS, "mean_b_ms": MS, "ratio": fmt_num(3),
     "p_adjusted": fmt_p},
    ("reps", "pairs", "mean_a_ms", "mean_b_ms", "ratio", "p_adjusted"))
CONTROL_VIEW = View(
    {"scenario": "scenario", "pair": "control / variant", "test": "test", "pairs": "pairs",
     "ratio": "ratio", "ci": "95% CI", "p": "p", "detectable": "detectable at 80% power",
     "status": "status"},
    {"pairs": fmt_int, "ratio": fmt_num(3), "p": fmt_p},
    ("pairs", "ratio", "ci", "p", "detectable"))
VALIDITY_VIEW = View(
    {"severity": "severity", "variant": "variant", "scenario": "scenario", "rep": "rep",
     "source": "source", "message": "finding"},
    {"rep": lambda x: "all" if x == 0 else str(x)}, ())
EFFICIENCY_VIEW = View(
    {"variant": "variant", "scenario": "scenario", "rps_median": "req/s (median)",
     "requests_per_cpu_s": "requests per server CPU-second"},
    {"rps_median": fmt_num(1), "requests_per_cpu_s": fmt_num(1)},
    ("rps_median", "requests_per_cpu_s"))
# PostgreSQL runs: the database host's resources beside the server's (monitor-db.csv).
EFFICIENCY_DB_VIEW = View(
    {**EFFICIENCY_VIEW.columns, "db_cpu_s_per_1k": "database CPU-s per 1,000 requests",
     "db_peak_rss_mib": "database peak RSS MiB",
     "requests_per_total_cpu_s": "requests per CPU-second, server + database"},
    {**EFFICIENCY_VIEW.formats, "db_cpu_s_per_1k": fmt_num(2), "db_peak_rss_mib": fmt_num(1),
     "requests_per_total_cpu_s": fmt_num(1)},
    (*EFFICIENCY_VIEW.right, "db_cpu_s_per_1k", "db_peak_rss_mib", "requests_per_total_cpu_s"))


def efficiency_view(database: bool) -> View:
    """The efficiency table's view: with ``database`` (a database on a host of its own), the
    database host's columns too."""
    return EFFICIENCY_DB_VIEW if database else EFFICIENCY_VIEW


def paper2_display(table: pd.DataFrame) -> pd.DataFrame:
    """Paper 2 rows with the paper's labels ("variant - METHOD", "Baseline" for the slowest row
    that did not fail, "failed" for failed rows, "≥" for averages with timed-out requests)."""
    if table.empty:
        return table.assign(label=[], improvement=[])
    usable = table["average_ms"].where(table["status"] != "failed")
    slowest = usable.idxmax() if usable.notna().any() else None
    shown = latency_text(table.assign(latency_samples=table["n"]), ("average_ms",), 3)
    return shown.assign(
        label=table["variant"] + " - " + table["method"],
        improvement=["failed" if st == "failed" else "Baseline" if i == slowest else fmt_pct(v)
                     for i, v, st in zip(table.index, table["improvement_pct"], table["status"],
                                         strict=True)])


VERDICT_TEXT = {"b_faster": "B faster", "b_slower": "B slower",
                "not_significant": "not significant",
                "insufficient_reps": f"no claim (< {MIN_REPS} reps a side)",
                BLOCKED: "blocked: A/A control differed"}


def describe(verdict_name: str, ratio: float, test: str = WELCH) -> str:
    """A verdict (reports/analysis/verdicts.py) in words for the tables: 'B slower (×1.23)'."""
    if verdict_name == "insufficient_reps" and test == PAIRED_T:
        return f"no claim (< {MIN_REPS} rounds paired)"
    text = VERDICT_TEXT.get(verdict_name, verdict_name)
    if verdict_name in ("b_faster", "b_slower") and math.isfinite(ratio):
        return f"{text} (×{ratio:.2f})"
    return text


def comparison_display(table: pd.DataFrame) -> pd.DataFrame:
    """comparisons.csv rows for reading: the interval as text, reps "a/b", the verdict in words."""
    shown = with_ci(table, "ci95_low", "ci95_high", "ci", 3)
    if shown.empty:
        return shown.assign(reps=[], verdict_text=[])
    return shown.assign(
        reps=[f"{a}/{b}" for a, b in zip(table["reps_a"], table["reps_b"], strict=True)],
        verdict_text=[describe(v, r, t) for v, r, t in zip(table["verdict"], table["ratio"],
                                                           table["test"], strict=True)])


def control_display(control: pd.DataFrame) -> pd.DataFrame:
    """control.csv rows for reading: "X~aa / X", the interval as text, the detectable ratio as
    "×r" (the smallest difference either way: below 1 its mirror 1/r)."""
    shown = with_ci(control, "ci95_low", "ci95_high", "ci", 3)
    if shown.empty:
        return shown.assign(pair=[], detectable=[])
    return shown.assign(
        pair=[f"{c} / {v}" for c, v in zip(control["control"], control["variant"], strict=True)],
        detectable=[f"×{d:.3f} (or ×{1 / d:.3f})" if isinstance(d, float) and math.isfinite(d)
                    else "–" for d in control["detectable_ratio"]])

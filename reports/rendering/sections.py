"""The report's content, format-neutral: which tables it shows under which headings, with which
notes, and the record of each figure. Markdown (``markdown``) and HTML (``html``) both render
these, so the two cannot drift apart. Pure; analysis frames in, display frames out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.constants import (
    ALPHA,
    FRAMEWORK_COLORS,
    MIN_REPS,
    OTHER_FRAMEWORK_COLORS,
    PAPER1_FIGURES,
    PAPER2_LOADS,
    PAPER2_TABLES,
    SELF_CONTRADICTED,
    SERVER_ORDER,
    SERVER_STYLES,
    STACK_ORDER,
    STACK_SHADES,
)
from reports.loading.database import Database
from reports.rendering import table_text

Section = tuple[str, pd.DataFrame]  # (heading, display frame)


@dataclass(frozen=True)
class Figure:
    """A written figure and what it is about (for placing it and its warnings in the report)."""
    filename: str
    title: str
    section: str
    scenarios: tuple[str, ...]
    caption: str = ""


@dataclass(frozen=True)
class VariantStyle:
    """How one variant is drawn in every figure, static or interactive: its framework's hue
    (shaded, and dashed, per stack) and its server's hatch and marker."""
    variant: str
    stack: str
    server: str
    framework: str
    color: str  # "#rrggbb"
    dash: str  # matplotlib linestyle
    plotly_dash: str
    hatch: str  # matplotlib hatch
    pattern: str  # Plotly pattern shape
    solidity: float  # Plotly pattern solidity
    marker: str  # matplotlib marker
    symbol: str  # Plotly marker symbol


def framework_of(stack: str) -> str:
    """The framework of a stack: its name's prefix before "_" ("fastapi_sqlite3" -> "fastapi")."""
    return stack.partition("_")[0]


def _shade(color: str, amount: float) -> str:
    """``color`` mixed towards white (``amount`` > 0) or black (< 0)."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [c + (255 - c) * amount if amount >= 0 else c * (1 + amount) for c in rgb]
    return "#" + "".join(f"{round(c):02x}" for c in mixed)


def _ranked(names: Sequence[str], order: Sequence[str]) -> list[str]:
    """``names`` once each, those in ``order`` first in its order, then the others by name."""
    unique = set(names)
    return [n for n in order if n in unique] + sorted(unique - set(order))


def variant_styles(variants: Sequence[str], summary: pd.DataFrame) -> dict[str, VariantStyle]:
    """The style of each variant (stack and server from ``summary``'s rows, else from the name
    ``<stack>-<server>``). The assignment depends on the names only, never on the data."""
    known = summary.drop_duplicates("variant").set_index("variant") if len(summary) else None
    parts = {}
    for variant in variants:
        stack, _, server = variant.partition("-")
        if known is not None and variant in known.index:
            stack = str(known.at[variant, "stack"] or stack)
            server = str(known.at[variant, "server"] or server)
        parts[variant] = (stack, server)
    # Known stacks and servers keep their place in STACK_ORDER / SERVER_ORDER whatever else the
    # run holds, so a server has the same hatch in every report.
    stacks = _ranked([*STACK_ORDER, *(s for s, _ in parts.values())], STACK_ORDER)
    frameworks = _ranked([framework_of(s) for s in stacks], list(FRAMEWORK_COLORS))
    others = iter(OTHER_FRAMEWORK_COLORS * (1 + len(frameworks) // len(OTHER_FRAMEWORK_COLORS)))
    hue = {f: FRAMEWORK_COLORS.get(f) or next(others) for f in frameworks}
    within = {s: [t for t in stacks if framework_of(t) == framework_of(s)].index(s)
              for s in stacks}
    servers = {s: i for i, s in enumerate(
        _ranked([*SERVER_ORDER, *(v for _, v in parts.values())], SERVER_ORDER))}
    out = {}
    for variant, (stack, server) in parts.items():
        shade, dash, plotly_dash = STACK_SHADES[within[stack] % len(STACK_SHADES)]
        hatch, pattern, solidity, marker, symbol = SERVER_STYLES[servers[server]
                                                                  % len(SERVER_STYLES)]
        out[variant] = VariantStyle(
            variant=variant, stack=stack, server=server, framework=framework_of(stack),
            color=_shade(hue[framework_of(stack)], shade), dash=dash, plotly_dash=plotly_dash,
            hatch=hatch, pattern=pattern, solidity=solidity, marker=marker, symbol=symbol)
    return out


# The percentile axis of latency spectra, static and interactive: spaced by "nines" so the tail
# is visible (p50 -> 0.3, p90 -> 1, p99 -> 2, p99.9 -> 3, p99.99 -> 4).
NINES: tuple[float, ...] = (0, 50, 90, 99, 99.9, 99.99)
WIDE_RATIO = 20.0  # values spanning more than this get a log axis


def nines(percentiles: Sequence[float] | np.ndarray) -> np.ndarray:
    p = np.minimum(np.asarray(percentiles, dtype="float64"), 99.99)
    return -np.log10(1 - p / 100)


def is_wide(values: Sequence[float] | np.ndarray, ratio: float = WIDE_RATIO) -> bool:
    """Whether positive ``values`` span more than ``ratio``: a dev server next to gunicorn would
    squash every other value against zero on a linear axis."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v) & (v > 0)]
    return bool(v.size) and float(v.max() / v.min()) > ratio


SUMMARY_NOTE = (
    "Goodput counts successful responses only; failed requests are counted in *errors*. "
    "Latency statistics are pooled over the latency samples of all repetitions: successes, and "
    "timed-out requests at the time they were abandoned (then the figures are lower bounds, "
    "marked ≥); other failures are never averaged in. *n* is the number of samples; p99.9 needs "
    "10,000 (else n/a). The 95% CI is Student's t over the means of the repetitions that did "
    "not fail; with one repetition it is blank (–). A *failed* row is never ranked or compared.")
PAPER1_NOTE = (
    "Mean over the repetitions that did not fail, as the paper averaged its five runs; Student's "
    "t 95% CI over repetitions; throughput is goodput.")
PAPER2_NOTE = (
    "Average over the latency samples (ms, the paper used seconds; ≥ when timed-out requests "
    "are in it); improvement = (slowest − average) / slowest across the rows that did not fail "
    "(the slowest is the baseline; failed rows are not ranked); outliers outside "
    "[Q1 − 1.5·IQR, Q3 + 1.5·IQR].")
def comparison_note(rounds: bool) -> str:
    """How the pairwise table was tested: paired by round in a rounds design, else Welch."""
    if rounds:
        test = ("The run's repetitions are rounds (every variant once per round, in a fresh random "
                "order), so each pair is compared round by round: B/A is the geometric mean of the "
                "per-round ratios with the 95% interval of the paired t-test on their logs "
                "(test paired_t; *pairs* = rounds in which both had a repetition that did not "
                "fail; the others are dropped from that pair)")
    else:
        test = ("B/A = ratio of mean latency (mean of repetition means) with Fieller's 95% "
                "interval; Welch's t-test on repetition means (test welch)")
    return (f"{test}. p-values are Holm-corrected over every tested pair of the scenario shown "
            f"here (comparisons.csv: holm_family, holm_m); the claims below are corrected over "
            f"their own rivals only. Significant below α = {ALPHA}; the verdict's direction is "
            f"that of the tested difference. With fewer than {MIN_REPS} repetitions (or pairs) on "
            "a side there is no claim. Failed variants are left out; the A/A control is never a "
            "contestant, and a scenario whose control differed has every verdict blocked.")


CONTROL_NOTE = (
    "The A/A control X~aa is variant X's own unit measured again under another name, once per "
    "round and scenario, shuffled in like any variant: the two can only differ by noise and by "
    "what the run did to them. The ratio X~aa / X and its 95% interval come from the "
    "comparisons' own test (paired by round in a rounds design, else Welch). A control whose "
    f"interval excludes 1 (p < α = {ALPHA}) *differed*: a validity error that blocks every verdict "
    "of its scenario (comparisons say blocked, no claim on it is decided). *Detectable* is the "
    "smallest ratio the run could tell from 1 in that scenario with 80% power at α, "
    "exp((z₁₋α/₂ + z₀.₈) · s / √n), with s the spread of the control pair's own per-round log "
    "ratio (the scenario's paired noise; without rounds, of the unpaired log difference) and n "
    "its pairs. The control is in no ranking, comparison or claim.")


def efficiency_db_note(database: Database) -> str:
    """What the efficiency table's database columns are (a database on its own host)."""
    where = f"host {database.host}" if database.host else "its own host"
    return (f"The database columns are {database.label}'s process tree on {where} "
            "(monitor-db.csv), sampled like the server's and integrated the same way: its "
            "CPU-seconds per 1,000 successful requests, its peak RSS (the largest sum of its "
            "processes' RSS at one sample time), and the successful requests per CPU-second of "
            "server and database together; medians over the repetitions with a database "
            "monitor, blank (–) where none has one (never 0).")


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    return table_text.latency_text(
        table_text.with_ci(summary, "ci95_low_ms", "ci95_high_ms", "ci95_ms"))


def paper1_sections(paper1: pd.DataFrame) -> list[Section]:
    """(heading, display frame) per paper-1 figure present, in the paper's order."""
    out = []
    for number, scenario, metric, title in PAPER1_FIGURES:
        part = paper1[paper1["scenario"] == scenario]
        if part.empty:
            continue
        unit = "req/s" if metric == "rps" else "ms"
        part = table_text.with_ci(part, "ci95_low", "ci95_high", "ci")
        if metric != "rps":
            part = table_text.latency_text(part, ("value",))
        out.append((f"Fig. {number} — {title} ({unit}, {scenario})", part))
    return out


def paper2_sections(paper2: dict[str, pd.DataFrame]) -> list[Section]:
    """(heading, display frame) per paper-2 load present ("Table 1 — …")."""
    out = []
    for load, table in paper2.items():
        label = PAPER2_LOADS[load][0]
        number = PAPER2_TABLES.get(load)
        prefix = f"Table {number} — " if number else ""
        out.append((f"{prefix}{label}", table_text.paper2_display(table)))
    return out


def control_section(control: pd.DataFrame) -> pd.DataFrame:
    """The A/A control's table for reading (empty without a control)."""
    return table_text.control_display(control)


def comparison_sections(comparisons: pd.DataFrame, scenarios: list[str]) -> list[Section]:
    """(scenario, display frame) per scenario with compared pairs, in ``scenarios``' order."""
    shown = table_text.comparison_display(comparisons)
    return [(s, shown[shown["scenario"] == s]) for s in scenarios
            if (shown["scenario"] == s).any()]


SERIOUS = ("error", "warning")


def serious_findings(validity: pd.DataFrame) -> pd.DataFrame:
    return validity[validity["severity"].isin(SERIOUS)]


def info_findings(validity: pd.DataFrame) -> pd.DataFrame:
    return validity[validity["severity"] == "info"]


def figure_findings(validity: pd.DataFrame, scenarios: list[str]) -> pd.DataFrame:
    """The errors and warnings about any of ``scenarios`` (shown beneath a figure of them)."""
    mask = validity["scenario"].isin(scenarios) & validity["severity"].isin(SERIOUS)
    return validity[mask]


# -- reproduction of the papers' claims (reports/analysis/reproduction.py) -------------------------

REPRODUCTION_NOTE = (
    "Every quantitative or ordinal claim of Bednarz & Miłosz, \"Benchmarking the performance of "
    "Python web frameworks\" (2025) and Malatjie & Faniso-Myaka, \"Comparative analysis of HTTP "
    "request handling in different Python frameworks\" (2025), tested on this run "
    "(report/reproduction.csv; the claims are data: reports/claims.json). Only ratios and "
    "orderings are tested, never absolute numbers: the papers ran on other hardware. Each "
    "variant contributes one value per repetition that did not fail (goodput, mean latency, or "
    "its share of 1.5·IQR outliers). An ordering (A best, worst, or better than B) uses the "
    f"report's comparison — Welch's t-test on repetition values, or the paired t-test on "
    f"per-round log ratios when the run's repetitions are rounds — Holm-corrected over the "
    f"claim's own rivals only (never over every pair of the run), α = {ALPHA}: reproduced only "
    "when A is significantly ahead of every rival (p_adjusted: the largest of them), "
    "contradicted when a rival is significantly ahead of A. A ratio claim is reproduced when "
    "the 95% interval of the ratio (Fieller's, or paired by round) lies wholly inside the band "
    "the claim's words allow "
    "(\"about\": ±20%, \"over N times\": ≥ N, \"exceeded X%\": ≥ 1 + X/100, \"negligible\": "
    "±5%, \"very similar\": ±10%, ...; a band around 1 is an equivalence test), contradicted "
    "when the interval misses the band entirely. Anything else is inconclusive: a comparison not "
    f"significant, an interval straddling the band's edge, fewer than {MIN_REPS} repetitions on "
    "a side, a failed or missing variant or scenario, a scenario whose A/A control differed. "
    "The interval shown is of the ratio of the "
    "claim (for an ordering: A against its closest rival); it is not adjusted for the number of "
    "rivals, so an ordering whose interval excludes 1 can still be inconclusive after Holm's "
    f"correction. A claim marked \"{SELF_CONTRADICTED}\" is one the paper's own text or tables "
    "say the opposite of elsewhere; it is tested all the same.")

REPRODUCTION_VIEW = table_text.View(
    {"paper": "paper", "claim_text": "claim (the paper's figures)", "scenario": "scenario",
     "expected": "tested", "observed": "observed", "ci": "95% CI", "verdict": "verdict",
     "note": "why"},
    {}, ("ci",))


def reproduction_display(reproduction: pd.DataFrame) -> pd.DataFrame:
    """The claims tested in this run, for reading: the claim with the paper's figures, the
    interval as text."""
    shown = reproduction[reproduction["scenario_in_run"].astype(bool)]
    shown = table_text.with_ci(shown, "ci95_low", "ci95_high", "ci", 3)
    return shown.assign(claim_text=[f"{c} ({f})" if f else c for c, f in
                                    zip(shown["claim"], shown["paper_figure"], strict=True)])


def reproduction_untested(reproduction: pd.DataFrame) -> list[str]:
    """The ids of the claims whose scenario is not in this run (one entry per claim)."""
    rows = reproduction[~reproduction["scenario_in_run"].astype(bool)]
    return list(dict.fromkeys(rows["id"]))


def reproduction_counts(reproduction: pd.DataFrame) -> str:
    """'12 reproduced, 3 contradicted, 9 inconclusive (of 24 tests of 20 claims)'."""
    tested = reproduction[reproduction["scenario_in_run"].astype(bool)]
    counts = tested["verdict"].value_counts()
    parts = [f"{int(counts.get(v, 0))} {v}" for v in ("reproduced", "contradicted",
                                                      "inconclusive")]
    return (", ".join(parts) + f" (of {len(tested)} test(s) of "
            f"{tested['id'].nunique()} claim(s))")


def reproduction_context(reproduction: pd.DataFrame) -> dict[str, object]:
    """What the HTML report's reproduction section shows (templates/reproduction.html.j2)."""
    shown = reproduction_display(reproduction)
    return {"note": REPRODUCTION_NOTE, "counts": reproduction_counts(reproduction),
            "table": {"headers": REPRODUCTION_VIEW.headers(),
                      "rows": REPRODUCTION_VIEW.rows(shown)},
            "verdicts": [str(v) for v in shown["verdict"]],
            "untested": reproduction_untested(reproduction)}

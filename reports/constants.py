"""Every constant the report uses, defined once.

Scenario names and orders follow client/scenarios/ and the two papers (Bednarz & Miłosz,
"Benchmarking the performance of Python web frameworks", 2025; Malatjie & Faniso-Myaka,
"Comparative analysis of HTTP request handling in different Python frameworks", 2025); statistical
settings (percentile set, confidence level, thresholds) are the report's method and are printed in
the report's "Method" section from here, so the text and the numbers cannot drift apart.
"""

from __future__ import annotations

# Shared with the writer (the client), never redefined here: the percentile set and definition
# (summary.json's latency_ms keys, numpy "linear"). The validity thresholds (error rate, client
# CPU, rate shortfall, stalls, tails) are runfiles/validity.py's, imported where they are used.
from runfiles.constants import PERCENTILES as PERCENTILES
from runfiles.constants import QUANTILE_METHOD as QUANTILE_METHOD
from runfiles.constants import SUMMARY_SCHEMA_VERSION as SUMMARY_SCHEMA_VERSION

# Confidence intervals and tests.
CI_LEVEL = 0.95
RNG_SEED = 20_250_522  # sampling of box-plot fliers (deterministic figures)
ALPHA = 0.05
# Fewer repetitions than this on either side of a comparison: no significance claim at all.
MIN_REPS = 3
# A scenario whose A/A control differed (reports/analysis/control.py): every comparison of it keeps
# its numbers but this verdict, and no claim on it is decided.
BLOCKED = "blocked_aa_control"
VERDICTS: tuple[str, ...] = ("b_faster", "b_slower", "not_significant", "insufficient_reps",
                             BLOCKED)
# The test of a comparison: Welch's t on repetition values (runs without rounds), or the paired t
# on per-round log ratios (run.json plan.design "rounds": repetitions are rounds).
WELCH = "welch"
PAIRED_T = "paired_t"
TESTS: tuple[str, ...] = (WELCH, PAIRED_T)
# Power at which the A/A control's smallest detectable ratio is given.
POWER = 0.8

# The run's design (run.json plan.design, absent = shuffled): "rounds" runs every cell of rep r
# in round r, so repetitions of different variants are paired by round.
DESIGNS: tuple[str, ...] = ("rounds", "shuffled")
DEFAULT_DESIGN = "shuffled"
# The A/A control of variant X (run.json plan.control = X): the same unit measured again under
# the name X~aa, one cell per round and scenario.
AA_SUFFIX = "~aa"

# Validity thresholds.
# A client clock further than this from the server's (beyond the measurement's own bound)
# misaligns server and client timelines, and the start of shares on several client hosts.
CLOCK_OFFSET_WARN_MS = 2.0
HIGH_CV = 0.10  # coefficient of variation of repetition means above which we warn
# Instability (reports/analysis/instability.py): a monotone trend of a variant x scenario's
# repetition means over the rounds (Kendall's tau, exact two-sided p below TREND_P); a round that
# is an outlier for every variant of a scenario (each variant's modified z-score of that round's
# log mean beyond OUTLIER_ROUND_Z, all on the same side; Iglewicz & Hoaglin 1993), looked for
# only in scenarios with at least OUTLIER_ROUND_MIN_ROUNDS rounds and 2 variants.
TREND_P = 0.01
OUTLIER_ROUND_Z = 3.5
OUTLIER_ROUND_MIN_ROUNDS = 5
INSTABILITY_KINDS: tuple[str, ...] = ("high_cv", "trend", "outlier_round")

# Plotting budgets: never draw more than this many points per series.
MAX_LINE_POINTS = 1_500
MAX_FLIERS = 300
TIMELINE_BIN_S = 1.0
FIGURE_DPI = 90

# Figure styles, the same in every static (matplotlib) and interactive (Plotly) figure: one hue
# per framework (the stack name's prefix before "_"), one shade and dash per stack within it; one
# hatch (bars, boxes) and one marker (points) per server.
# ``reports.rendering.sections.variant_styles`` assigns them. Colour-blind safe (Okabe-Ito); grey
# and the "xx" cross-hatch mean "failed" only.
FRAMEWORK_COLORS: dict[str, str] = {"fastapi": "#009E73", "flask": "#0072B2",
                                    "django": "#D55E00"}
OTHER_FRAMEWORK_COLORS: tuple[str, ...] = ("#CC79A7", "#E69F00", "#56B4E9", "#8C564B",
                                           "#9467BD", "#BCBD22")
# Per stack of a framework (in STACK_ORDER): towards white (> 0) or black (< 0), and its dash
# (matplotlib linestyle, Plotly dash).
STACK_SHADES: tuple[tuple[float, str, str], ...] = (
    (0.0, "-", "solid"), (0.5, "--", "dash"), (-0.35, ":", "dot"), (0.7, "-.", "dashdot"))
# Per server (in SERVER_ORDER; unknown servers after, by name, cycling): matplotlib hatch,
# Plotly pattern shape and its solidity (the share of the area its lines cover), matplotlib
# marker, Plotly marker symbol. Plotly has seven pattern shapes besides the failed one, so the
# servers after the seventh reuse a shape drawn heavy (solidity 0.6 instead of 0.25).
SERVER_STYLES: tuple[tuple[str, str, float, str, str], ...] = (
    ("", "", 0.25, "o", "circle"),
    ("///", "/", 0.25, "s", "square"),
    ("\\\\\\", "\\", 0.25, "^", "triangle-up"),
    ("...", ".", 0.25, "D", "diamond"),
    ("---", "-", 0.25, "v", "triangle-down"),
    ("|||", "|", 0.25, "P", "cross"),
    ("+++", "+", 0.25, "*", "star"),
    ("ooo", "/", 0.6, "X", "x"),
    ("**", "\\", 0.6, "p", "pentagon"),
    ("O.", "-", 0.6, "h", "hexagon"),
)
FAILED_COLOR = "#cccccc"
FAILED_HATCH = "xx"  # matplotlib
FAILED_PATTERN = "x"  # Plotly
PLOTLY_JS = "plotly.min.js"  # written once next to index.html, from the plotly package

# Paper 1 (Bednarz & Miłosz): figure number, scenario, metric, title; in the paper's order.
PAPER1_FIGURES: tuple[tuple[int, str, str, str], ...] = (
    (1, "p1_hello", "rps", "GET /hello — throughput"),
    (2, "p1_echo", "rps", "POST /echo — throughput"),
    (3, "p1_list", "mean_ms", "GET /items/ — mean response time (all 1,500 rows)"),
    (4, "p1_get", "mean_ms", "GET /items/{id} — mean response time"),
    (5, "p1_create", "mean_ms", "POST /items/ — mean response time"),
    (6, "p1_update", "mean_ms", "PUT /items/{id} — mean response time"),
    (7, "p1_delete", "mean_ms", "DELETE /items/{id} — mean response time"),
)

# Paper 2 (Malatjie & Faniso-Myaka): load -> (label, GET scenario, POST scenario, figure numbers).
# "rate200" is fwbench's honest open-loop version of the paper's "200 req/s" constant load.
PAPER2_LOADS: dict[str, tuple[str, str, str, tuple[int, int, int] | None]] = {
    "constant": ("constant load (closed loop, 5 ms pause)", "p2_get_constant",
                 "p2_post_constant", (6, 8, 10)),
    "concurrent": ("concurrent load", "p2_get_concurrent", "p2_post_concurrent", (7, 9, 11)),
    "rate200": ("open loop at 200 req/s (not in the paper)", "p2_get_rate200",
                "p2_post_rate200", None),
}
PAPER2_TABLES: dict[str, int] = {"constant": 1, "concurrent": 2}

SMOKE_SCENARIOS: tuple[str, ...] = ("smoke_hello", "smoke_get")
# The synthetic capacity scenarios of `python -m reports demo`
# (reports/synthetic/capacity_cells.py): an open-loop rate search and a closed-loop connection
# ladder.
DEMO_CAPACITY_SCENARIOS: tuple[str, ...] = ("capacity_hello", "capacity_get_ladder")

SCENARIO_ORDER: tuple[str, ...] = (
    *(s for _, s, _, _ in PAPER1_FIGURES),
    *(s for _, g, p, _ in PAPER2_LOADS.values() for s in (g, p)),
    *SMOKE_SCENARIOS,
)

# Variant order (paper 1 lists FastAPI+SQLModel, FastAPI+sqlite3, Flask+SQLAlchemy, Flask+sqlite3,
# Django+DRF); unknown stacks and servers sort after known ones, by name.
STACK_ORDER: tuple[str, ...] = (
    "fastapi_sqlmodel", "fastapi_sqlite3", "flask_sqlalchemy", "flask_sqlite3", "django_drf",
)
SERVER_ORDER: tuple[str, ...] = (
    "gunicorn_uvicorn", "uvicorn", "gunicorn_gthread", "gunicorn_gevent", "daphne",
    "flask_dev", "django_dev", "granian_wsgi", "granian_asgi", "hypercorn",
)

STATUS_RANK: dict[str, int] = {"ok": 0, "degraded": 1, "failed": 2}

# report/summary.csv: the contract columns first (docs/results.md), then extras.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "variant", "stack", "server", "scenario", "reps", "requests", "errors", "rps_median",
    "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "ci95_low_ms", "ci95_high_ms",
)
SUMMARY_EXTRA_COLUMNS: tuple[str, ...] = (
    "status", "error_rate", "censored", "latency_samples", "attempted_rps_median", "model",
    "method", "ok_requests", "error_classes", "rps_ci95_low", "rps_ci95_high", "reps_ranked",
    "rep_mean_cv", "requests_per_cpu_s", "warnings",
)

# Every exported CSV ends with the run's database kind (run.json "database"), so that two runs'
# exports can be put together without mixing them; PostgreSQL runs (a database host of its own)
# then add the database host's resources (monitor-db.csv). SQLite runs have no such columns.
DATABASE_COLUMN = "database"
DB_SUMMARY_COLUMNS: tuple[str, ...] = (
    "db_cpu_s_per_1k", "db_peak_rss_mib", "requests_per_total_cpu_s",
)

# report/comparisons.csv: one row per compared pair of variants within a scenario.
COMPARISON_COLUMNS: tuple[str, ...] = (
    "scenario", "variant_a", "variant_b", "ratio", "ci95_low", "ci95_high", "p_adjusted",
    "verdict", "reps_a", "reps_b",
)
# test: welch | paired_t; pairs: the rounds paired (blank for Welch); holm_family and holm_m: the
# family p_adjusted is corrected over ("scenario": every tested pair of the scenario) and its size.
COMPARISON_EXTRA_COLUMNS: tuple[str, ...] = ("mean_a_ms", "mean_b_ms", "t", "dof", "p", "test",
                                             "pairs", "holm_family", "holm_m")
# report/control.csv: the A/A control of each scenario (X~aa against X).
CONTROL_COLUMNS: tuple[str, ...] = (
    "scenario", "variant", "control", "test", "pairs", "reps_a", "reps_b", "ratio", "ci95_low",
    "ci95_high", "p", "differed", "sd_log", "detectable_ratio", "noise", "status",
)
# report/instability.csv: one row per instability finding.
INSTABILITY_COLUMNS: tuple[str, ...] = (
    "kind", "variant", "scenario", "rep", "count", "statistic", "threshold", "cells", "message",
)

# -- reproduction of the papers' claims (reports/analysis/reproduction.py, reports/claims.json) ----
PAPERS: dict[int, str] = {
    1: "Bednarz & Miłosz (2025)",
    2: "Malatjie & Faniso-Myaka (2025)",
}
PAPER_TITLES: dict[int, str] = {
    1: "Benchmarking the performance of Python web frameworks",
    2: "Comparative analysis of HTTP request handling in different Python frameworks",
}
REPRODUCTION_VERDICTS: tuple[str, ...] = ("reproduced", "contradicted", "inconclusive")
# Added to the text of a claim the paper itself contradicts elsewhere (claims.json
# ``self_contradicted``); its verdict is still computed: the run, not the paper, decides.
SELF_CONTRADICTED = "[the paper contradicts itself on this claim]"
# report/reproduction.csv: the contract columns first, then extras.
REPRODUCTION_COLUMNS: tuple[str, ...] = (
    "paper", "claim", "scenario", "expected", "observed", "ci95_low", "ci95_high", "verdict",
)
REPRODUCTION_EXTRA_COLUMNS: tuple[str, ...] = (
    "id", "kind", "metric", "variants", "paper_figure", "reps", "scenario_in_run", "note",
    "test", "p_adjusted", "holm_m",
)

# Warm-up effect (reports/analysis/warmup.py): the first max(WARMUP_HEAD_MIN, WARMUP_HEAD_FRACTION x
# n) latency samples of a repetition in send order (the head) against the rest; flagged when the
# head's mean is above WARMUP_FACTOR x the rest's median and more than WARMUP_MIN_EXCESS_MS
# beyond it. Only repetitions whose rest holds at least WARMUP_MIN_REST_FACTOR x the head.
WARMUP_HEAD_MIN = 10
WARMUP_HEAD_FRACTION = 0.01
WARMUP_FACTOR = 2.0
WARMUP_MIN_EXCESS_MS = 5.0
WARMUP_MIN_REST_FACTOR = 3

# Paper-2 exports (reports/rendering/paper2_export.py): the paper's file name part per fwbench
# variant, as in its client `get_django_dephne_times.csv` (sic: "dephne"; the other names follow the
# same pattern, `<method>_<framework>[_<server>]_times.csv`); any other variant keeps its own name.
PAPER2_FILE_NAMES: dict[str, str] = {
    "flask_sqlite3-gunicorn_gthread": "flask",
    "flask_sqlite3-gunicorn_gevent": "flask_gevent",
    "flask_sqlite3-flask_dev": "flask_dev",
    "fastapi_sqlite3-uvicorn": "fastapi",
    "django_drf-django_dev": "django",
    "django_drf-daphne": "django_dephne",
}
# How a failed request is written in a paper-2 export: "blank" (no time; averages skip it) or
# "zero" (0 s, the paper's own convention, which counts a failure as the fastest request).
PAPER2_FAILURES: tuple[str, ...] = ("blank", "zero")

# -- capacity curves (reports/analysis/capacity/; the cell format: docs/results.md, "Capacity
# cells")
CAPACITY_KIND = "capacity"  # summary.json "kind" of a capacity cell
# A search that stopped for these reasons measured a lower bound of the server's capacity, not
# the capacity: "≥ X" with this label, left out of the interval.
CAPACITY_LOWER_BOUNDS: dict[str, str] = {"client": "client-bound", "max_rate": "max_rate reached",
                                         "time_budget": "time budget"}
# A closed ladder's knee: the level after which goodput grows by less than this fraction to the
# next level while p99 still grows.
KNEE_MIN_GROWTH = 0.05
# The server monitor must cover at least this share of the cost step's window.
MONITOR_MIN_COVERAGE = 0.9
# report/capacity.csv: one row per variant x scenario x repetition (the contract columns first).
CAPACITY_COLUMNS: tuple[str, ...] = (
    "variant", "scenario", "rep", "max_rate_rps", "limited_by", "slo_p99_ms", "cost_cpu_s_per_1k",
    "peak_rss_mib",
)
CAPACITY_EXTRA_COLUMNS: tuple[str, ...] = (
    "stack", "server", "mode", "in_interval", "limit_note", "max_error_rate", "cost_rate_rps",
    "cost_passed", "cost_successes", "cost_cpu_s", "monitor_coverage", "knee_offered_rps",
    "knee_concurrency", "knee_reached", "knee_goodput_rps", "knee_p99_ms", "peak_goodput_rps",
    "steps", "status",
)
# report/capacity_steps.csv: every step of every capacity cell (a step's keys, in the order of
# the cell's steps.csv), then extras.
CAPACITY_STEP_COLUMNS: tuple[str, ...] = (
    "variant", "scenario", "rep", "index", "phase", "offered_rps", "concurrency", "start_ns",
    "end_ns", "requests", "errors", "error_rate", "achieved_rps", "attempted_rps", "p50_ms",
    "p99_ms", "client_cpu_pct", "send_lateness_p99_ms", "passed", "reason",
)
CAPACITY_STEP_EXTRA_COLUMNS: tuple[str, ...] = ("stack", "server", "mode", "knee")
# capacity.csv of a PostgreSQL run, after ``database``: the database host's cost in the cost
# step's window, and the requests per CPU-second of server and database together.
CAPACITY_DB_COLUMNS: tuple[str, ...] = (
    "db_cost_cpu_s_per_1k", "db_peak_rss_mib", "cost_requests_per_total_cpu_s", "db_cost_cpu_s",
    "db_monitor_coverage",
)

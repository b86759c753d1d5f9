"""The report's method, in words, generated from the constants it describes."""

from __future__ import annotations

from reports.constants import (
    ALPHA,
    BOOTSTRAP_RESAMPLES,
    CI_LEVEL,
    CLIENT_CPU_WARN_PCT,
    HIGH_CV,
    MWU_MAX_SAMPLES,
    PERCENTILES,
    RATE_SHORTFALL,
    RNG_SEED,
)

METHOD_NOTES: tuple[str, ...] = (
    "Latency = done_ns − scheduled_ns in open loop (counted from the schedule, so server stalls "
    "are not hidden: no coordinated omission) and done_ns − sent_ns in closed loop.",
    "A request with a non-empty error is a failure: counted in errors, never a latency sample.",
    "Percentiles " + ", ".join(f"{k} ({v:g})" for k, v in PERCENTILES.items())
    + " use numpy's linear interpolation over all successful requests of all repetitions.",
    f"Confidence intervals: {CI_LEVEL:.0%} percentile bootstrap of the mean over repetition "
    f"means ({BOOTSTRAP_RESAMPLES:,} resamples, seed {RNG_SEED}). The repetition (fresh server, "
    "fresh database) is the independent unit; requests within a repetition are autocorrelated, "
    "so resampling them would give intervals that are too narrow. With one repetition the CI is "
    "left blank. With few repetitions (< 5) percentile-bootstrap intervals are narrow: read them "
    "as a lower bound on the uncertainty.",
    "Throughput (req/s) per repetition is the client's achieved_rps; the table shows the median "
    "over repetitions.",
    "Pairwise comparisons: Welch's t-test on repetition means (each mean averages many requests, "
    "so it is close to normal; the t distribution suits few repetitions), p-values "
    f"Holm-corrected within each scenario, significant when below {ALPHA}. With one repetition "
    f"on either side, a Mann-Whitney U test on up to {MWU_MAX_SAMPLES:,} per-request latencies "
    "per side is used instead; it ignores between-run variation and is indicative only.",
    "Paper 2 improvement % = (slowest average − average) / slowest average × 100, against the "
    "slowest row of the table (its Table 2 checks out with this definition; its Table 1 does "
    "not follow any single definition). Outliers: values outside [Q1 − 1.5·IQR, Q3 + 1.5·IQR] "
    "of the pooled successful latencies.",
    f"Validity warnings: client CPU ≥ {CLIENT_CPU_WARN_PCT:g}%, open-loop achieved rate "
    f"below {RATE_SHORTFALL:.0%} of target, coefficient of variation of repetition means above "
    f"{HIGH_CV:.0%}, failed requests, missing cells, files or repetitions, degraded or failed "
    "cells, servers that do not honour the parallelism setting.",
    "Requests per CPU-second = successful requests / CPU-seconds of the server's process tree "
    "(monitor cpu_percent summed over processes per sample, integrated over time); median over "
    "repetitions.",
)

"""The report's method, in words, generated from the constants it describes."""

from __future__ import annotations

from reports.analysis.analyse import Analysis
from reports.constants import (
    ALPHA,
    CI_LEVEL,
    HIGH_CV,
    MIN_REPS,
    OUTLIER_ROUND_MIN_ROUNDS,
    OUTLIER_ROUND_Z,
    PERCENTILES,
    POWER,
    TREND_P,
)
from runfiles.validity import (
    CLIENT_CPU_WARN_PCT,
    LATENESS_P99_WARN_MS,
    MAX_ERROR_RATE,
    P999_MIN_SAMPLES,
    RATE_SHORTFALL,
    STALL_GAP_FACTOR,
    STALL_GAP_S,
    TAIL_MAX_OVER_P99,
    TAIL_MIN_EXCESS_MS,
)

METHOD_NOTES: tuple[str, ...] = (
    "Latency = done_ns − scheduled_ns in open loop (counted from the schedule, so server stalls "
    "are not hidden: no coordinated omission) and done_ns − sent_ns in closed loop.",
    "Throughput is goodput: successful responses per second (the client's achieved_rps). Failed "
    "requests are counted in errors and the error rate, never as throughput; a dead server "
    "scores 0. Attempted req/s (every completion) is in summary.csv beside it.",
    "A timed-out request enters the latency statistics at the time it was abandoned (at least "
    "the timeout): its true latency is longer, so a row with timeouts shows its mean and "
    "percentiles as lower bounds (≥) and counts them as censored. Other failures (refused, "
    "reset, HTTP errors) are counted and left out of latency.",
    f"A cell whose error rate is above {MAX_ERROR_RATE:.0%} is failed: shown as failed in every "
    "table and figure, never ranked, compared or called faster. A failed repetition is left out "
    "of the confidence intervals and comparisons of its variant.",
    "Percentiles " + ", ".join(f"{k} ({v:g})" for k, v in PERCENTILES.items())
    + " use numpy's linear interpolation over the pooled latency samples of all repetitions; "
    f"p99.9 is given only with at least {P999_MIN_SAMPLES:,} samples (n/a otherwise), and "
    "every row says how many samples (n) its percentiles rest on.",
    f"Confidence intervals: Student's t {CI_LEVEL:.0%} interval of the mean over repetition "
    "means. The repetition (fresh server, fresh database) is the independent unit; requests "
    "within a repetition are autocorrelated, so they are never treated as independent samples. "
    "With one repetition the CI is blank; with two it is wide (t with one degree of freedom).",
    f"Comparisons: Welch's t-test on repetition means, significant below {ALPHA}; the ratio B/A "
    "of means gets Fieller's interval with the same t quantile, so it excludes 1 exactly when "
    "the unadjusted test rejects; the verdict's direction is the sign of the tested difference, "
    "so it cannot contradict the test. When the run's repetitions are rounds (run.json "
    "plan.design = rounds: every variant once per round, in a fresh random order), the pairs "
    "are compared round by round instead: the paired t-test on the per-round log ratios "
    "log(B_r / A_r), B/A = their geometric mean with the exponential of the t interval; a round "
    "missing or failed on either side is dropped from that pair (comparisons.csv: test, pairs). "
    "The pairwise table's p-values are Holm-corrected over every tested pair of the scenario "
    "(holm_family, holm_m); a claim's tests over that claim's own rivals only. With fewer than "
    f"{MIN_REPS} repetitions (or pairs) on either side: no claim (insufficient_reps).",
    "A/A control (run.json plan.control = X): X's unit measured again as X~aa, once per round "
    "and scenario. Its ratio X~aa / X by the comparisons' test; when its interval excludes 1 "
    f"(p < {ALPHA}) the scenario's verdicts are blocked (a validity error). The smallest ratio "
    f"the run could detect there with {POWER:.0%} power: exp((z(1−α/2) + z({POWER:g})) · s / √n), "
    "s the spread of the control pair's per-round log ratio, n its pairs. The control is in "
    "no ranking, comparison or claim.",
    f"Instability warnings: CV of repetition means above {HIGH_CV:.0%} (high_cv); a monotone "
    f"trend over the rounds, Kendall's tau with exact two-sided p < {TREND_P:g} (trend; at "
    "least 6 rounds to be able to fire); in a rounds design, a round in which every variant of a "
    f"scenario lies beyond a modified z-score of {OUTLIER_ROUND_Z:g} on the same side "
    f"(outlier_round; at least {OUTLIER_ROUND_MIN_ROUNDS} rounds): host noise, not the stacks. "
    "Each with its cells in report/instability.csv.",
    "Paper 2 improvement % = (slowest average − average) / slowest average × 100, against the "
    "slowest row of the table that did not fail (its Table 2 checks out with this definition; "
    "its Table 1 does not follow any single definition). Outliers: values outside "
    "[Q1 − 1.5·IQR, Q3 + 1.5·IQR] of the pooled latency samples.",
    f"Validity warnings (one set of rules, shared by client and report): client CPU ≥ "
    f"{CLIENT_CPU_WARN_PCT:g}% of a core; open loop: sent or goodput rate more than "
    f"{RATE_SHORTFALL:.0%} under target, send lateness p99 above {LATENESS_P99_WARN_MS:g} ms; "
    f"closed loop: a stall (no completion for more than {STALL_GAP_S:g} s and "
    f"{STALL_GAP_FACTOR:g}× the median gap), a tail (max above {TAIL_MAX_OVER_P99:g}× p99 and "
    f"{TAIL_MIN_EXCESS_MS:g} ms beyond it); failed or timed-out requests; instability (above); "
    "missing cells, files or repetitions; "
    "servers that do not honour the parallelism setting.",
    "Requests per CPU-second = successful requests / CPU-seconds of the server's process tree "
    "(monitor cpu_percent summed over processes per sample, integrated over time); median over "
    "repetitions. With a database on its own host (PostgreSQL), its process tree is sampled "
    "(monitor-db.csv) and integrated the same way: its CPU-seconds per 1,000 successful "
    "requests, its peak RSS, and the requests per CPU-second of server and database together; "
    "blank, never zero, without its monitor.",
)


def sequential_note(rounds: int, max_rounds: int, min_rounds: int, level: float) -> str:
    """The method note of a budget run: the level its verdicts use at this look."""
    return (f"Stopping when decided: this run had a time budget and was asked after every round "
            f"from round {min_rounds} on whether its questions were decided. {rounds} of at most "
            f"{max_rounds} planned rounds are done, so every comparison and claim here tests at "
            f"the group-sequential nominal level of this look, {level:.4g} (O'Brien-Fleming type "
            f"alpha spending, overall {ALPHA}), with (1 − {level:.4g}) intervals, instead of "
            f"{ALPHA}: stopping early cannot inflate false verdicts.")


def method_notes(result: Analysis) -> tuple[str, ...]:
    """``METHOD_NOTES``, and in a budget run the level of its look."""
    look = result.sequential
    if look is None:
        return METHOD_NOTES
    return (*METHOD_NOTES,
            sequential_note(look.rounds, look.max_rounds, look.min_rounds, look.level))

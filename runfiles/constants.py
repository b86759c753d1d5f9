"""Constants shared by the writer of a run's files (the client) and their reader (the report).
Defined once here.

Percentiles use the numpy "linear" definition (type 7), the same as ``reports/constants.py``.
"""

from __future__ import annotations

# The error class of a request abandoned after --timeout: its latency is at least that long, so it
# stays in the latency statistics (censored, a lower bound) instead of vanishing from them.
TIMEOUT = "timeout"

# Latency percentiles: summary key -> percentile. `load` prints p50/p90/p99; `run` adds p999.
PERCENTILES: dict[str, float] = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
QUANTILE_METHOD = "linear"

# Validity thresholds and rules live in runfiles/validity.py (shared with the report).

# summary.json's schema: 2 = achieved_rps is goodput (successes only), timed-out requests are in
# the latency statistics (censored), p999 only from 10,000 samples. 1 (or absent) = before that.
SUMMARY_SCHEMA_VERSION = 2

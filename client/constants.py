"""Constants shared by the client, its summaries and (by import) the report. Defined once here.

Percentiles use the numpy "linear" definition (type 7), the same as ``reports/constants.py``.
"""

from __future__ import annotations

# requests.csv columns, in order (docs/results.md).
REQUEST_COLUMNS: tuple[str, ...] = (
    "seq", "worker", "scheduled_ns", "sent_ns", "done_ns", "status", "bytes", "error",
)

# The error class of a request abandoned after --timeout: its latency is at least that long, so it
# stays in the latency statistics (censored, a lower bound) instead of vanishing from them.
TIMEOUT = "timeout"

# Latency percentiles: summary key -> percentile. `load` prints p50/p90/p99; `run` adds p999.
PERCENTILES: dict[str, float] = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
QUANTILE_METHOD = "linear"

# Validity thresholds and rules live in client/validity.py (shared with the report).

# summary.json's schema: 2 = achieved_rps is goodput (successes only), timed-out requests are in
# the latency statistics (censored), p999 only from 10,000 samples. 1 (or absent) = before that.
SUMMARY_SCHEMA_VERSION = 2

# Engine defaults.
DEFAULT_TIMEOUT_S = 10.0
# Capacity steps (sweep, ladder, capacity cells): a request this late is far past any objective, so
# a shorter timeout only ends a hopeless step sooner (a timeout still counts in p99, censored).
CAPACITY_TIMEOUT_S = 5.0
DEFAULT_MAX_CONNECTIONS = 512  # open loop (fast engine): keep-alive connections at most
DEFAULT_REQUESTS_OPEN_WORKERS = 64  # open loop (requests engine): threads when not given
CONNECT_ERROR_BACKOFF_S = 0.01  # closed loop: pause after a failed connect (no error spin)
ID_CYCLE = 65_536  # duration runs with per-request ids: ids cycle over this many draws
PROGRESS_MIN_S = 3.0  # show a progress display for runs expected to last longer than this

# Monitor.
MONITOR_INTERVAL_S = 0.1
MONITOR_MAX_S = 3600.0
MONITOR_TREE_RESCAN_S = 1.0  # fallback tree discovery (no cgroup): rescan at most this often

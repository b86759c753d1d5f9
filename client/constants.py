"""Constants shared by the client, its summaries and (by import) the report. Defined once here.

Percentiles use the numpy "linear" definition (type 7), the same as ``reports/constants.py``.
"""

from __future__ import annotations

# requests.csv columns, in order (DESIGN.md section 5).
REQUEST_COLUMNS: tuple[str, ...] = (
    "seq", "worker", "scheduled_ns", "sent_ns", "done_ns", "status", "bytes", "error",
)

# Error classes written in the `error` column. Empty string means success (a 2xx answer).
ERROR_CLASSES: tuple[str, ...] = (
    "timeout", "refused", "reset", "http_4xx", "http_5xx", "protocol", "other",
)

# Latency percentiles: summary key -> percentile. `load` prints p50/p90/p99; `run` adds p999.
PERCENTILES: dict[str, float] = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
QUANTILE_METHOD = "linear"

# Validity warnings (a run that trips any of them is "degraded").
CLIENT_CPU_WARN_PCT = 90.0  # client process CPU, % of one core, over the measured window
RATE_SHORTFALL_WARN = 0.01  # open loop: offered or achieved rate more than 1% under target
LATENESS_P99_WARN_MS = 2.0  # open loop: p99 of (sent_ns - scheduled_ns)
START_LATE_WARN_MS = 100.0  # --start-at already past by more than this

# Cell status: "failed" when no request succeeded or more than this fraction failed; the latency
# distribution then describes the errors more than the server under the intended load.
FAILED_ERROR_FRACTION = 0.10

# Engine defaults.
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_CONNECTIONS = 512  # open loop (fast engine): keep-alive connections at most
DEFAULT_REQUESTS_OPEN_WORKERS = 64  # open loop (requests engine): threads when not given
CONNECT_ERROR_BACKOFF_S = 0.01  # closed loop: pause after a failed connect (no error spin)
ID_CYCLE = 65_536  # duration runs with per-request ids: ids cycle over this many draws
PROGRESS_MIN_S = 3.0  # show a progress display for runs expected to last longer than this

# Monitor.
MONITOR_INTERVAL_S = 0.1
MONITOR_MAX_S = 3600.0
MONITOR_TREE_RESCAN_S = 1.0  # fallback tree discovery (no cgroup): rescan at most this often

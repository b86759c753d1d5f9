"""The columns of a run's CSV files, in order: requests.csv, steps.csv and the monitors' CSVs
(monitor-server.csv, monitor-client.csv, monitor-db.csv). docs/results.md describes each."""

from __future__ import annotations

# requests.csv: one row per request (runfiles/requests_csv.py writes and reads it).
REQUEST_COLUMNS: tuple[str, ...] = (
    "seq", "worker", "scheduled_ns", "sent_ns", "done_ns", "status", "bytes", "error",
)

# steps.csv of a capacity cell: one step's record, also the keys of every ``capacity.steps``
# entry of its summary.json, in order (runfiles/steps_csv.py writes it).
STEP_FIELDS: tuple[str, ...] = (
    "index", "phase", "offered_rps", "concurrency", "start_ns", "end_ns", "requests", "errors",
    "error_rate", "achieved_rps", "attempted_rps", "p50_ms", "p99_ms", "client_cpu_pct",
    "send_lateness_p99_ms", "passed", "reason",
)

# The monitors' CSVs (``python -m client monitor``): the contract of docs/results.md, then
# ``per_cpu_pct`` and ``mem_total_bytes``.
MONITOR_COLUMNS: tuple[str, ...] = (
    "ts_ns", "scope", "pid", "name", "cpu_percent", "rss_bytes", "num_threads", "num_fds",
    "ctx_switches", "read_bytes", "write_bytes", "net_sent_bytes", "net_recv_bytes",
    "per_cpu_pct", "mem_total_bytes",
)

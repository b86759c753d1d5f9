"""Constants of the load client only: its engines, progress display and monitor. Those shared
with the reader of its files (columns, error classes, percentiles, summary.json's schema version)
are in runfiles/constants.py and runfiles/columns.py."""

from __future__ import annotations

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

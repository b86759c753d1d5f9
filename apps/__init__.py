"""fwbench web stacks: one module (or package) per stack, each serving the web contract.

The stacks share only `apps.common` (item limits, request limits, SQLite settings read from the
environment, a strict JSON reader) and `apps.seed` (the deterministic database).
"""

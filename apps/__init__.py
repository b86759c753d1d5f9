"""fwbench web stacks: one module (or package) per stack, each serving the web contract.

The stacks share `apps.common` (item limits, request limits, SQLite settings read from the
environment, a strict JSON reader) and `apps.seed` (the deterministic database). The two Flask
stacks also share `apps._flask`, and the two FastAPI stacks `apps._fastapi`: the framework's
plumbing for the contract and the endpoints that touch no database, so that the members of each
pair differ only in their data layer.
"""

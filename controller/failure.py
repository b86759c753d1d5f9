"""Why a cell failed, in the words its summary.json records, from the id of the cell's step that
failed (controller/cell_run.py names each step it runs) and the failed step's result (its
message and stderr). Pure; no I/O.

Steps up to the health
check fail as "never became healthy"; the database's and the server start's own steps name the
database or the start with their stderr; every later step names the load with the task's message
and stderr. A failure outside any step (empty id) falls back on the health check's status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TAIL_CHARS = 600  # the end of the failure text kept in the reason
HEALTHY = 200

DATABASE = "database"
SERVER_START = "server-start"
UNHEALTHY = "unhealthy"
LOAD = "load"

# Every step of a cell that can fail (controller/cell_run.py), in the order run, and how it fails.
STEPS: dict[str, str] = {
    "database-check": DATABASE,   # PostgreSQL: the cluster runs; its monitor starts
    "server-start": SERVER_START,  # reset the database, start the unit and the server monitor
    "monitor-start": UNHEALTHY,   # paper1: the server monitor on the session's running unit
    "health": UNHEALTHY,          # /healthz from the client host
    "load-start": LOAD,           # the load starts on each client host
    "load-wait": LOAD,            # the load ends on each client host
    "server-stop": LOAD,          # stop the server monitor and the unit
    "database-stop": DATABASE,    # PostgreSQL: stop its monitor; the cluster ran throughout
    "fetch": LOAD,                # fetch the hosts' files
    "commit": LOAD,               # validate and commit the summary
    "merge": LOAD,                # several client hosts: merge the shares
}


class UnknownStepError(ValueError):
    """A step id that no task of the cell has."""


def _text(value: object) -> str:
    return "" if value is None else str(value)


def failure_text(result: Mapping[str, Any]) -> str:
    """The failed task's message, stderr and each loop item's stderr, joined by spaces."""
    items = [_text(item.get("stderr")) for item in result.get("results") or []
             if isinstance(item, Mapping) and "stderr" in item]
    return " ".join([_text(result.get("msg")), _text(result.get("stderr")), " ".join(items)])


def failure_reason(step: str, result: Mapping[str, Any], health_status: int | None,
                   health_timeout_s: int) -> str:
    """The reason a failed cell records: ``step`` the failed step's id ('' for none), ``result``
    the failed step's result (msg, stderr; a looped Ansible result's ``results`` too),
    ``health_status`` the last answer of the health check (None before it ran)."""
    if step and step not in STEPS:
        raise UnknownStepError(f"unknown step {step!r}; one of {', '.join(STEPS)}")
    kind = STEPS.get(step) or (LOAD if health_status == HEALTHY else UNHEALTHY)
    stderr = _text(result.get("stderr")).strip()[-TAIL_CHARS:]
    if kind == DATABASE:
        reason = f"the database failed: {stderr}"
    elif kind == SERVER_START:
        reason = f"the server start failed: {stderr}"
    elif kind == UNHEALTHY:
        reason = f"never became healthy on /healthz within {health_timeout_s} s"
    else:
        reason = f"the load task failed: {failure_text(result)[-TAIL_CHARS:]}"
    return reason.strip()

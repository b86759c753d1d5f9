"""What the cell runner needs to run a plan's cells, as roles/bench_run hands it over (one JSON
object; ``python -m controller run-cells --spec FILE``): the plan (the fact bench_plan_run), how
to reach each host, the host-side script and folders, the cells' environment and the role's
timeouts. ``RunSpec.of`` checks it and names the first key that is missing or mistyped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from controller.errors import UsageError
from controller.remote import Host


@dataclass(frozen=True)
class Database:
    """The PostgreSQL host of a run, its cluster's unit and the user its monitor runs as."""

    host: str
    unit: str
    monitor_user: str = "postgres"


def offsets_ns(measured: Mapping[str, Any]) -> dict[str, int]:
    """Each client host's clock offset to the server (ns), from the clock measurement's record
    (``hosts: {name: {offset_ns: ...}}``); a host without one counts as 0."""
    hosts = measured.get("hosts") or {}
    return {str(name): int(entry.get("offset_ns") or 0) for name, entry in hosts.items()
            if isinstance(entry, Mapping)}


@dataclass(frozen=True)
class RunSpec:
    plan: dict[str, Any]
    hosts: dict[str, Host]
    script: str                   # the host side of a cell (roles/bench_run/files/fwbench-cell)
    work_dir: str                 # where the hosts keep a cell's files until they are fetched
    server_url: str               # how the client hosts reach the variants
    env: dict[str, str]           # every cell's environment on every host
    database: Database | None     # -e database=postgresql
    health_timeout_s: int
    cell_timeout_s: int
    start_delay_s: float
    clock_offsets_ns: dict[str, int]
    retry_failed: bool

    @property
    def server(self) -> str:
        return str(self.plan["server"])

    @property
    def clients(self) -> list[str]:
        return [str(c) for c in self.plan["clients"]]

    @property
    def all_hosts(self) -> list[str]:
        """The server, the clients and the database host, each once."""
        extra = [self.database.host] if self.database else []
        return list(dict.fromkeys([self.server, *self.clients, *extra]))

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> RunSpec:
        try:
            plan = dict(data["plan"])
            for key in ("run_id", "run_dir", "root", "server", "clients", "cells"):
                if key not in plan:
                    raise KeyError(f"plan.{key}")
            db = data.get("database") or None
            hosts = {name: Host.of(name, spec) for name, spec in dict(data["hosts"]).items()}
            spec = cls(
                plan=plan, hosts=hosts,
                script=str(data["script"]), work_dir=str(data["work_dir"]),
                server_url=str(data["server_url"]),
                env={str(k): str(v) for k, v in dict(data["env"]).items()},
                database=Database(str(db["host"]), str(db["unit"]),
                                  str(db.get("monitor_user") or "postgres")) if db else None,
                health_timeout_s=int(data["health_timeout_s"]),
                cell_timeout_s=int(data["cell_timeout_s"]),
                start_delay_s=float(data["start_delay_s"]),
                clock_offsets_ns=offsets_ns(data.get("clock_offsets") or {}),
                retry_failed=bool(data.get("retry_failed", False)))
            missing = [h for h in [plan["server"], *plan["clients"], *([db["host"]] if db else [])]
                       if h not in hosts]
            if missing:
                raise UsageError(f"the run spec has no connection for {', '.join(missing)}")
            return spec
        except KeyError as exc:
            raise UsageError(f"the run spec lacks {exc.args[0]}") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise UsageError(f"the run spec is not valid: {exc}") from None

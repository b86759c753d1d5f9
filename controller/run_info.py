"""run.json's builder: one function from what Ansible gathered (the plan, each host's facts, the
server's variants and database facts, the clock offsets), what the controller reads itself
(``LocalFacts``) and an earlier attempt's run.json. Pure; no I/O.

``facts`` is the JSON the role hands over (roles/bench_run/tasks/prepare.yml)::

    plan             bench_plan_run (run_id, profile, cells, variants, ..., lab_hosts)
    ansible_version  ansible_version.full
    groups           {servers, clients, lab}: the inventory's groups
    hosts            host -> bench_run_host_facts (roles/bench_run/tasks/host_facts.yml)
    server           the server's {variants (app_server_variants), sqlite_version,
                     database_facts (app_server_database_facts), sqlite_journal_mode,
                     sqlite_busy_timeout_ms}; null where the server does not set it
    database_host    the database host of a PostgreSQL run, else ""
    database_facts   its postgresql_facts ({} without)
    settings         {port, seed_items}: fwbench_port, fwbench_seed_items
    clock_offsets    this attempt's clock offsets (roles/bench_run/tasks/clock.yml)
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from controller.lab_cpus import shared_machines
from controller.local_facts import LocalFacts

NETEM_HOW = re.compile(r"^(kernel|user) ")
DEFAULT_JOURNAL_MODE = "wal"
DEFAULT_BUSY_TIMEOUT_MS = 5000


def utc_now() -> str:
    """Now as run.json writes times: ISO 8601 UTC with a ``Z``."""
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat() + "Z"


def as_bool(value: object) -> bool:
    """Ansible's ``bool`` filter: yes/on/true/1 (any case) and true values are true."""
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "on", "true", "1")
    return value in (True, 1)


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _machines(hosts: list[str]) -> list[str]:
    """The lab machines of the run's hosts: ``fwbench-<host>``."""
    return [f"fwbench-{host}" for host in hosts]


def lab_block(plan: dict[str, Any], local: LocalFacts) -> dict[str, Any]:
    """run.json's ``lab``: the controller's CPUs, each run machine's effective CPUs, the ones
    sharing a CPU, and the machines of earlier runs still running (a database machine)."""
    ours = _machines(plan["lab_hosts"])
    cpus = {machine: text for machine, text in local.lab_cpus.items() if machine in ours}
    return {"controller_cpus": local.controller_cpus, "cpus": cpus,
            "cpus_shared": shared_machines(cpus),
            "other_machines_running": sorted(set(local.lab_cpus) - set(cpus))}


def network_block(plan: dict[str, Any], local: LocalFacts, lab: bool) -> dict[str, Any]:
    """run.json's ``network``: the delay the lab has in place on this run's machines, and how
    (``kernel|user NETEM`` per machine). A machine outside the run (client2 after
    ``-e lab_clients=2``) may keep an older delay, which this run's traffic never crosses."""
    if not lab:
        return {"lab_netem": None, "lab_netem_applied": None}
    ours = _machines(plan["lab_hosts"])
    applied = {machine: text for machine, text in local.lab_netem.items() if machine in ours}
    delays = list(dict.fromkeys(NETEM_HOW.sub("", text, count=1) for text in applied.values()))
    return {"lab_netem": " / ".join(delays), "lab_netem_applied": applied}


def database_block(plan: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """run.json's ``database`` (docs/results.md): never the password (roles/postgresql keeps it
    on the database host)."""
    server = facts["server"]
    app_db = _or(server.get("database_facts"), {})
    if plan["database"] == "sqlite":
        return {"kind": "sqlite", "version": server.get("sqlite_version"),
                "settings": {"journal_mode": app_db.get("sqlite_journal_mode",
                                                        DEFAULT_JOURNAL_MODE),
                             "busy_timeout_ms": int(app_db.get("sqlite_busy_timeout_ms",
                                                               DEFAULT_BUSY_TIMEOUT_MS))}}
    db = _or(facts.get("database_facts"), {})
    return {"kind": "postgresql", "host": facts["database_host"],
            "address": plan["database_address"], "port": db.get("port"),
            "database": db.get("database"), "user": db.get("user"), "version": db.get("version"),
            "unit": db.get("unit"),
            "settings": {"configured": db.get("settings", {}),
                         "effective": db.get("effective", {})},
            "pool_size_per_process": app_db.get("pg_pool"), "error": db.get("error")}


def cell_name(cell: str | dict[str, Any]) -> str:
    """A cell's name, ``variant|scenario|rep``: the cell itself, or a typed cell's ``name``."""
    return cell["name"] if isinstance(cell, dict) else cell


def parameters_block(plan: dict[str, Any]) -> dict[str, Any]:
    """run.json's ``parameters``: what defines the cells (resume compares them)."""
    return {"variants": plan["variants"], "scenarios": plan["scenarios"],
            "versions": plan["versions"], "repetitions": plan["repetitions"],
            "scale": plan["scale"], "pause_s": plan["pause_s"], "seed": plan["seed"],
            "add_warmup": as_bool(plan.get("add_warmup", False)),
            "procedure": plan.get("procedure", "isolated"), "database": plan["database"],
            "settle_s": float(plan.get("settle_s", 0)),
            "session_pause_s": float(plan.get("session_pause_s", 0)),
            # a plan from before designs: all cells shuffled together, the scenario's warm-up
            "design": plan.get("design", "shuffled"), "control": plan.get("control", ""),
            "min_measure_s": float(plan.get("min_measure_s", 0)),
            "warmup": plan.get("warmup", "scenario"), "budget_s": int(plan.get("budget_s", 0)),
            "min_rounds": int(plan.get("min_rounds", plan["repetitions"])),
            "max_rounds": int(plan.get("max_rounds", plan["repetitions"])),
            "cell_order": [cell_name(cell) for cell in plan["cells"]]}


def build_run_info(facts: dict[str, Any], local: LocalFacts, previous: dict[str, Any],
                   now: str) -> dict[str, Any]:
    """run.json at the start of an attempt: ``previous`` (an earlier attempt's run.json, {} for a
    new run) updated key by key, keeping its start time, attempts and clock offsets and adding
    this attempt's (``now``)."""
    plan, server, groups = facts["plan"], facts["server"], facts["groups"]
    lab = len(groups.get("lab") or []) > 0
    hosts = facts["hosts"]
    return {**previous,
            "run_id": plan["run_id"],
            "started": previous.get("started", now),
            "finished": None,
            "attempts": [*previous.get("attempts", []), now],
            "profile": plan["profile"],
            "git_commit": local.git_commit,
            "ansible_version": facts["ansible_version"],
            "inventory": {"servers": groups["servers"], "clients": groups["clients"],
                          "databases": plan["database_hosts"], "lab": lab},
            "lab": lab_block(plan, local) if lab else None,
            "database": database_block(plan, facts),
            "network": network_block(plan, local, lab),
            "parameters": parameters_block(plan),
            "settings": {"port": facts["settings"]["port"],
                         "seed_items": facts["settings"]["seed_items"],
                         "sqlite_journal_mode": _or(server.get("sqlite_journal_mode"),
                                                    DEFAULT_JOURNAL_MODE),
                         "sqlite_busy_timeout_ms": _or(server.get("sqlite_busy_timeout_ms"),
                                                       DEFAULT_BUSY_TIMEOUT_MS)},
            "clock_offsets": [*previous.get("clock_offsets", []), facts["clock_offsets"]],
            "hosts": {host: hosts[host] for host in hosts},
            "variants": {v["name"]: v for v in server["variants"]
                         if v["name"] in plan["variants"]}}


def finish_run_info(info: dict[str, Any], statuses: dict[str, str], now: str) -> dict[str, Any]:
    """run.json at the end of an attempt: ``finished`` and the cells finished, failed and
    degraded (``statuses``: cell -> status, as ``run-status`` reports them)."""
    return {**info, "finished": now, "cells_finished": len(statuses),
            "cells_failed": [cell for cell, status in statuses.items() if status == "failed"],
            "cells_degraded": [cell for cell, status in statuses.items()
                               if status == "degraded"]}

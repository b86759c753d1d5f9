"""Provenance: what was measured, where, with what (from run.json). Pure; no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from reports.loading.database import Database, database_facts, database_of

HOST_FACTS = ("cpu", "cores", "memory", "kernel", "os", "python", "virtualization",
              "cpu_governor", "somaxconn")
VARIANT_FIELDS = ("stack", "server", "workers", "threads", "processes", "worker_class",
                  "honours_parallelism", "command")


def _memory(facts: dict[str, Any]) -> str:
    """run.json records ``memory_mb`` (host_facts.yml); ``memory`` in bytes is read too."""
    value = facts.get("memory")
    if isinstance(value, (int, float)) and value > 2**20:
        return f"{value / 2**30:.1f} GiB"
    mb = facts.get("memory_mb")
    if isinstance(mb, (int, float)) and mb > 0:
        return f"{mb / 1024:.1f} GiB"
    return "" if value is None else str(value)


def run_facts(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing the run as a whole."""
    params = meta.get("parameters")
    facts = [("run id", meta.get("run_id")), ("started", meta.get("started")),
             ("finished", meta.get("finished")), ("profile", meta.get("profile")),
             ("git commit", meta.get("git_commit"))]
    if isinstance(params, dict):
        facts += [(f"parameter {k}", v if not isinstance(v, (list, dict)) else str(v))
                  for k, v in params.items()]
    network = meta.get("network")
    if isinstance(network, dict) and meta.get("inventory", {}).get("lab"):
        facts.append(("lab netem", network.get("lab_netem") or "none"))
        applied = network.get("lab_netem_applied")
        if isinstance(applied, dict) and applied:
            facts.append(("lab netem applied", "; ".join(f"{k}: {v}" for k, v in applied.items())))
    facts += clock_facts(meta)
    return [(k, "" if v is None else str(v)) for k, v in facts]


def clock_facts(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """One (label, value) per client host and attempt: its clock offset to the server's."""
    entries = meta.get("clock_offsets")
    if not isinstance(entries, list):
        return []
    facts = []
    for attempt, entry in enumerate(entries, 1):
        hosts = entry.get("hosts") if isinstance(entry, dict) else None
        reference = entry.get("reference", "server") if isinstance(entry, dict) else "server"
        for host, off in (hosts or {}).items():
            label = f"clock offset {reference} - {host}"
            if len(entries) > 1:
                label += f" (attempt {attempt})"
            if isinstance(off, dict) and isinstance(off.get("offset_ms"), (int, float)):
                value = (f"{off['offset_ms']:+.3f} ms ± {off.get('bound_ms', float('nan')):.3f} ms "
                         f"(best of {off.get('samples', '?')} round trips)")
            else:
                error = off.get("error") if isinstance(off, dict) else None
                value = f"not measured: {error or 'no result'}"
            facts.append((label, value))
    return facts


def hosts_table(meta: dict[str, Any]) -> pd.DataFrame:
    hosts = meta.get("hosts") if isinstance(meta.get("hosts"), dict) else {}
    rows = []
    for name, facts in hosts.items():
        facts = facts if isinstance(facts, dict) else {}
        rows.append({"host": name, **{k: _memory(facts) if k == "memory"
                                      else str(facts.get(k, "")) for k in HOST_FACTS}})
    return pd.DataFrame(rows, columns=["host", *HOST_FACTS])


def packages(meta: dict[str, Any]) -> dict[str, list[str]]:
    """host -> pip freeze lines (as recorded)."""
    hosts = meta.get("hosts") if isinstance(meta.get("hosts"), dict) else {}
    return {name: [str(p) for p in facts.get("pip_freeze") or []]
            for name, facts in hosts.items() if isinstance(facts, dict)}


def variants_table(meta: dict[str, Any]) -> pd.DataFrame:
    variants = meta.get("variants") if isinstance(meta.get("variants"), dict) else {}
    rows = [{"variant": name, **{k: "" if not isinstance(v, dict) or v.get(k) is None
                                 else str(v.get(k)) for k in VARIANT_FIELDS}}
            for name, v in variants.items()]
    return pd.DataFrame(rows, columns=["variant", *VARIANT_FIELDS])


def not_parallel(meta: dict[str, Any]) -> list[str]:
    """The variants whose server does not honour the workers x threads setting."""
    return [name for name, spec in (meta.get("variants") or {}).items()
            if isinstance(spec, dict) and spec.get("honours_parallelism") is False]


@dataclass(frozen=True)
class Provenance:
    """Everything the report says about where and how the run was made."""
    facts: list[tuple[str, str]]
    hosts: pd.DataFrame
    variants: pd.DataFrame
    packages: dict[str, list[str]]
    not_parallel: list[str]
    database: Database
    database_facts: list[tuple[str, str]]


def provenance(meta: dict[str, Any]) -> Provenance:
    database = database_of(meta)
    return Provenance(facts=run_facts(meta), hosts=hosts_table(meta),
                      variants=variants_table(meta), packages=packages(meta),
                      not_parallel=not_parallel(meta), database=database,
                      database_facts=database_facts(database))

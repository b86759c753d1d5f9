"""Which database a run used, from run.json's ``database`` block (docs/results.md). Pure; no I/O.

SQLite runs the database in the server's own processes; PostgreSQL runs it on a host of its own,
whose process tree is sampled like the server's (``monitor-db.csv``). Results written before the
block existed have none: they ran SQLite, and only its settings are known (``settings`` →
``sqlite_journal_mode``, ``sqlite_busy_timeout_ms``), never its version.

``settings`` is read in either shape: flat (name → value), or ``{"configured": {...},
"effective": {...}}`` (what the database was told, and what it answered to ``SHOW``), where
the effective value wins and a configured value that differs from it is kept beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.constants import DATABASE_COLUMN

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
LABELS: dict[str, str] = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
IN_PROCESS: tuple[str, ...] = (SQLITE,)  # every other kind is a server on its own host
# Old run.json: settings.<key> → the SQLite setting it records.
LEGACY_SQLITE_SETTINGS: dict[str, str] = {"sqlite_journal_mode": "journal_mode",
                                          "sqlite_busy_timeout_ms": "busy_timeout_ms"}


@dataclass(frozen=True)
class Database:
    """The database of a run, as run.json records it (``None``: not recorded)."""
    kind: str
    version: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # name → value (effective)
    configured: dict[str, str] = field(default_factory=dict)  # where it differs from effective
    host: str | None = None
    address: str | None = None
    port: str | None = None
    name: str | None = None
    user: str | None = None
    unit: str | None = None  # the database server's systemd unit on its host
    pool_size_per_process: int | None = None
    error: str | None = None  # the database did not answer when the run was described
    recorded: bool = True  # False: run.json has no database block (written before it existed)

    @property
    def label(self) -> str:
        return LABELS.get(self.kind, self.kind)

    @property
    def own_host(self) -> bool:
        """A database server on a host of its own (its resources are in monitor-db.csv)."""
        return self.kind not in IN_PROCESS

    @property
    def short_version(self) -> str | None:
        """"15.18" of "15.18 (Debian 15.18-0+deb12u1)"."""
        return self.version.split()[0] if self.version and self.version.strip() else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def _flat(settings: Any) -> dict[str, str]:
    if not isinstance(settings, Mapping):
        return {}
    return {str(k): text for k, v in settings.items() if (text := _text(v)) is not None}


def _settings(raw: Any) -> tuple[dict[str, str], dict[str, str]]:
    """(effective settings, configured values that differ from them)."""
    if isinstance(raw, Mapping) and any(isinstance(raw.get(k), Mapping)
                                        for k in ("configured", "effective")):
        configured, effective = _flat(raw.get("configured")), _flat(raw.get("effective"))
        merged = {**configured, **effective}
        differ = {k: v for k, v in configured.items() if k in effective and effective[k] != v}
        return merged, differ
    return _flat(raw), {}


def _pool(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def database_of(meta: Mapping[str, Any]) -> Database:
    """The run's database; never raises, whatever run.json holds."""
    block = meta.get("database")
    params = meta.get("parameters") if isinstance(meta.get("parameters"), Mapping) else {}
    if not isinstance(block, Mapping) or not _text(block.get("kind")):
        kind = (_text(params.get("database")) or SQLITE).lower()
        old = meta.get("settings") if isinstance(meta.get("settings"), Mapping) else {}
        settings = {name: text for key, name in LEGACY_SQLITE_SETTINGS.items()
                    if (text := _text(old.get(key))) is not None} if kind == SQLITE else {}
        return Database(kind=kind, settings=settings, recorded=False)
    settings, configured = _settings(block.get("settings"))
    inventory = meta.get("inventory") if isinstance(meta.get("inventory"), Mapping) else {}
    listed = inventory.get("databases") if isinstance(inventory.get("databases"), list) else []
    kind = str(_text(block.get("kind"))).lower()
    host = _text(block.get("host")) or (_text(listed[0]) if listed and kind not in IN_PROCESS
                                        else None)
    return Database(
        kind=kind, version=_text(block.get("version")), settings=settings,
        configured=configured, host=host, address=_text(block.get("address")),
        port=_text(block.get("port")), name=_text(block.get("database") or block.get("name")),
        user=_text(block.get("user")), unit=_text(block.get("unit")), pool_size_per_process=_pool(
            block.get("pool_size_per_process")), error=_text(block.get("error")))


def headline(db: Database) -> str:
    """One line for the top of the report: "database: PostgreSQL 15.18 on host db (pool 8 per
    server process)", "database: SQLite 3.40.1 (WAL), in-process"."""
    name = f"{db.label} {db.short_version}" if db.short_version else db.label
    if not db.own_host:
        details = [db.settings["journal_mode"].upper()] if db.settings.get("journal_mode") \
            else []
        if not db.short_version:
            details.append("version not recorded")
        return f"database: {name}" + (f" ({'; '.join(details)})" if details else "") \
            + ", in-process"
    if not db.short_version:
        name += " (version not recorded)"
    where = f" on host {db.host}" if db.host else " on its own host"
    pool = f" (pool {db.pool_size_per_process} per server process)" \
        if db.pool_size_per_process else ""
    return f"database: {name}{where}{pool}"


def database_facts(db: Database) -> list[tuple[str, str]]:
    """(label, value) pairs: everything run.json says about the database, for provenance."""
    facts = [("database", f"{db.label}, in the server's processes" if not db.own_host
              else f"{db.label}, a server on its own host"),
             ("version", db.version or "not recorded")]
    if db.own_host:
        host = db.host or "not recorded"
        facts.append(("host", f"{host} ({db.address})" if db.address else host))
        facts += [(label, value) for label, value in (
            ("port", db.port), ("database name", db.name), ("user", db.user), ("unit", db.unit))
            if value]
        facts.append(("connection pool", f"{db.pool_size_per_process} per server process"
                      if db.pool_size_per_process else "not recorded"))
    for key, value in db.settings.items():
        differs = db.configured.get(key)
        facts.append((f"setting {key}", f"{value} (configured: {differs})" if differs
                      else value))
    if db.error:
        facts.append(("did not answer", db.error))
    if not db.recorded:
        facts.append(("recorded", "run.json has no database block (written before databases "
                                  "were recorded): "
                      + ("SQLite assumed" if db.kind == SQLITE else "kind from parameters")
                      + ", version unknown"))
    return facts


def with_database(frame: pd.DataFrame, columns: Sequence[str], db: Database,
                  db_columns: Sequence[str] = ()) -> pd.DataFrame:
    """An exported CSV's frame: ``columns``, then ``database`` (the kind, in every row) and, for a
    database on its own host, ``db_columns`` (its host's resources); a SQLite run has none of
    them."""
    return frame.assign(**{DATABASE_COLUMN: db.kind})[
        [*columns, DATABASE_COLUMN, *(db_columns if db.own_host else ())]]

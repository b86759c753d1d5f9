"""Create the benchmark database: `python -m apps.seed --db PATH [--items 1500]`.

The rows are a pure function of their id, so every seeded database holds the same data. The file is
built next to PATH and moved into place atomically; stale `-wal`/`-shm`/`-journal` files of a
previous database at PATH are removed first (SQLite would otherwise pair them with the new file).
Prints one JSON line: db, items, journal_mode, sha256 (of the row data), bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from apps.common import DEFAULT_JOURNAL, ENV_JOURNAL, JOURNAL_MODES

DEFAULT_ITEMS = 1500

SCHEMA = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price REAL NOT NULL
)
"""


def seed_item(item_id: int) -> dict[str, Any]:
    """The seeded row with this id (1-based), as the API returns it."""
    return {
        "id": item_id,
        "name": f"item-{item_id}",
        "description": f"Seeded item number {item_id}.",
        "price": ((item_id * 7919) % 100_000) / 100,
    }


def seed_items(count: int) -> Iterator[dict[str, Any]]:
    """Rows 1..count."""
    return (seed_item(i) for i in range(1, count + 1))


def rows_digest(count: int) -> str:
    """SHA-256 of the seeded rows' canonical JSON: the same for every database seeded alike."""
    digest = hashlib.sha256()
    for row in seed_items(count):
        digest.update(json.dumps(row, sort_keys=True, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def seed_database(
    path: str | os.PathLike[str], items: int = DEFAULT_ITEMS, journal_mode: str | None = None
) -> dict[str, Any]:
    """Create (or atomically replace) the database at `path`; return the summary."""
    if items < 0:
        raise ValueError("items must be >= 0")
    journal = (journal_mode or os.environ.get(ENV_JOURNAL, DEFAULT_JOURNAL)).lower()
    if journal not in JOURNAL_MODES:
        raise ValueError(f"journal mode must be one of {', '.join(JOURNAL_MODES)}")
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        connection = sqlite3.connect(tmp)
        try:
            connection.execute(SCHEMA)
            connection.executemany(
                "INSERT INTO items (id, name, description, price) "
                "VALUES (:id, :name, :description, :price)",
                seed_items(items),
            )
            connection.commit()
            # Persistent modes (wal) are recorded in the file; the others are per connection.
            connection.execute(f"PRAGMA journal_mode = {journal}")
        finally:
            connection.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return {
        "db": str(target),
        "items": items,
        "journal_mode": journal,
        "sha256": rows_digest(items),
        "bytes": target.stat().st_size,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m apps.seed", description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="SQLite database file to create or replace")
    parser.add_argument("--items", type=int, default=DEFAULT_ITEMS, help="rows to create")
    parser.add_argument(
        "--journal",
        choices=JOURNAL_MODES,
        default=None,
        help=f"journal mode to record (default: ${ENV_JOURNAL} or {DEFAULT_JOURNAL})",
    )
    args = parser.parse_args(argv)
    if args.items < 0:
        parser.error("--items must be >= 0")
    summary = seed_database(args.db, args.items, args.journal)
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

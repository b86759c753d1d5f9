"""PostgreSQL for the two hand-written SQL stacks (apps.flask_sqlite3, apps.fastapi_sqlite3).

psycopg 3 with psycopg_pool: one pool per server process of FWBENCH_PG_POOL connections
(min_size = max_size), each connection in autocommit mode so that every statement is its own
transaction (the contract's writes are single statements) and `dict_row` rows (read by column
name, like `sqlite3.Row`). A pool is opened on first use in the process (and, for the async pool,
in the event loop) that uses it, never at import: servers that import the application and then
fork (or start an event loop later) get a pool of their own in each worker. The password comes from
PGPASSFILE through libpq; nothing here sees it. docs/databases.md says why.

psycopg itself is imported when a pool is first opened: an SQLite run never loads it (and under
gunicorn's gevent worker it is loaded after gevent's monkey-patching, so psycopg picks its
cooperative wait function instead of the C one that would block the worker).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
from typing import TYPE_CHECKING, Any

from apps.common import PostgresSettings

if TYPE_CHECKING:
    from psycopg import AsyncConnection, Connection
    from psycopg.rows import DictRow
    from psycopg_pool import AsyncConnectionPool, ConnectionPool

# Seconds a request waits for a free pooled connection before failing (psycopg_pool's default).
POOL_TIMEOUT_S = 30.0
CLOSE_TIMEOUT_S = 5.0


# The queries of the raw stacks, in psycopg's placeholder style. A new item's id comes back from
# the INSERT itself (RETURNING), in the same statement.
SELECT_ALL = "SELECT id, name, description, price FROM items ORDER BY id"
SELECT_ONE = "SELECT id, name, description, price FROM items WHERE id = %s"
EXISTS = "SELECT 1 FROM items WHERE id = %s"
INSERT = "INSERT INTO items (name, description, price) VALUES (%s, %s, %s) RETURNING id"
UPDATE = "UPDATE items SET name = %s, description = %s, price = %s WHERE id = %s"
DELETE = "DELETE FROM items WHERE id = %s"
COUNT = "SELECT count(*) AS count FROM items"


def _connection_kwargs() -> dict[str, Any]:
    from psycopg.rows import dict_row

    return {"autocommit": True, "row_factory": dict_row}


def _pool_options(settings: PostgresSettings, name: str) -> dict[str, Any]:
    """Both pools' options: a fixed size (every connection opened at start), not yet open."""
    return {
        "kwargs": _connection_kwargs(),
        "min_size": settings.pool_size,
        "max_size": settings.pool_size,
        "timeout": POOL_TIMEOUT_S,
        "name": name,
        "open": False,
    }


class ProcessPool:
    """A `ConnectionPool` for this process, opened on first use (a new one after a fork)."""

    def __init__(self, settings: PostgresSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self._lock = threading.Lock()
        self._pool: ConnectionPool[Connection[DictRow]] | None = None
        self._pid = 0
        self._at_exit = False

    def get(self) -> ConnectionPool[Connection[DictRow]]:
        pool = self._pool
        if pool is not None and self._pid == os.getpid():
            return pool
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                from psycopg_pool import ConnectionPool

                # After a fork the parent's pool (its sockets, its worker threads) is not ours:
                # it is dropped, not closed, which would end the parent's sessions.
                pool = ConnectionPool(
                    self.settings.conninfo, **_pool_options(self.settings, self.name)
                )
                pool.open(wait=False)
                self._pool, self._pid = pool, os.getpid()
                if not self._at_exit:
                    atexit.register(self.close)
                    self._at_exit = True
            return self._pool

    def close(self) -> None:
        """Close this process's pool (at exit, or when a test is done with the application)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.close(timeout=CLOSE_TIMEOUT_S)


class LoopPool:
    """An `AsyncConnectionPool` for the running event loop, opened on first use.

    The ASGI servers differ in whether they run the application's lifespan (daphne does not), so
    the lifespan opens the pool early where it runs and closes it at shutdown, and the first
    request opens it where it does not. A pool belongs to the loop that opened it: another loop
    (a fresh worker process, a test's own loop) gets a new one.
    """

    def __init__(self, settings: PostgresSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the pool's
        self._pid = 0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _current(self, loop: asyncio.AbstractEventLoop) -> bool:
        return self._pool is not None and self._loop is loop and self._pid == os.getpid()

    async def get(self) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
        loop = asyncio.get_running_loop()
        if self._current(loop):
            return self._pool  # type: ignore[return-value]
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        async with self._lock:
            if not self._current(loop):
                from psycopg_pool import AsyncConnectionPool

                pool = AsyncConnectionPool(
                    self.settings.conninfo, **_pool_options(self.settings, self.name)
                )
                await pool.open(wait=False)
                self._pool, self._loop, self._pid = pool, loop, os.getpid()
            return self._pool  # type: ignore[return-value]

    async def aclose(self) -> None:
        """Close the pool, if this loop opened it (lifespan shutdown, a test's teardown)."""
        if self._current(asyncio.get_running_loop()):
            pool, self._pool = self._pool, None
            await pool.close(timeout=CLOSE_TIMEOUT_S)  # type: ignore[union-attr]

"""FastAPI + hand-written SQL: pydantic models, a connection per request (dependency).

SQLite (the default) through the standard library's sqlite3 in the thread pool; with
FWBENCH_DATABASE=postgresql, psycopg 3's async API on the event loop, with one
`AsyncConnectionPool` per process (apps._postgres), opened by the lifespan where the server runs
one and by the first request where it does not (daphne). The stack's name stays
`fastapi_sqlite3`.

Run with any ASGI server on `apps.fastapi_sqlite3:app` (the database is named by FWBENCH_DB, or by
the FWBENCH_PG_* settings: docs/databases.md).

The contract's FastAPI plumbing (body limit and strict JSON, the order of errors, body drain, the
`item_id` convertor) and the endpoints that touch no database come from `apps._fastapi`, shared
with `apps.fastapi_sqlmodel`, so that the two FastAPI stacks differ only in their data layer: what
is here is the models, the SQL and the item routes written against them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

from apps._fastapi import (
    ContractRoute,
    ItemDescription,
    ItemName,
    ItemPrice,
    contract_app,
    refuse_nul,
)
from apps._postgres import COUNT, DELETE, EXISTS, INSERT, SELECT_ALL, SELECT_ONE, UPDATE, LoopPool
from apps.common import (
    DESCRIPTION_DEFAULT,
    SQLiteSettings,
    database_kind,
    postgres_settings,
    sqlite_settings,
)

STACK = "fastapi_sqlite3"


# --- models -------------------------------------------------------------------------------------


class ItemIn(BaseModel):
    """A client's item (unknown fields are ignored)."""

    name: ItemName
    description: ItemDescription = DESCRIPTION_DEFAULT
    price: ItemPrice


class Item(ItemIn):
    id: int


# --- database -----------------------------------------------------------------------------------


def connect(settings: SQLiteSettings) -> sqlite3.Connection:
    # Endpoints and dependencies run in the thread pool, not always on the same thread.
    connection = sqlite3.connect(settings.path, timeout=settings.timeout_s, check_same_thread=False)
    settings.apply_pragmas(connection)
    connection.row_factory = sqlite3.Row
    return connection


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    connection = connect(request.app.state.sqlite)
    try:
        yield connection
    finally:
        connection.close()


DB = Annotated[sqlite3.Connection, Depends(get_db)]


def item_exists(settings: SQLiteSettings, item_id: int) -> bool:
    connection = connect(settings)
    try:
        row = connection.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone()
    finally:
        connection.close()
    return row is not None


def row_to_item(row: Any) -> Item:
    return Item(id=row["id"], name=row["name"], description=row["description"], price=row["price"])


# --- endpoints ----------------------------------------------------------------------------------

router = APIRouter(route_class=ContractRoute)


# Both forms of each item URL are declared: answered directly, never a 307 redirect.
@router.get("/items")
@router.get("/items/")
def list_items(db: DB) -> list[Item]:
    rows = db.execute("SELECT id, name, description, price FROM items ORDER BY id")
    return [row_to_item(row) for row in rows]


@router.post("/items", status_code=201)
@router.post("/items/", status_code=201)
def create_item(item: ItemIn, db: DB) -> Item:
    with db:
        cursor = db.execute(
            "INSERT INTO items (name, description, price) VALUES (?, ?, ?)",
            (item.name, item.description, item.price),
        )
    return Item(id=cursor.lastrowid, **item.model_dump())


@router.get("/items/{item_id:item_id}")
@router.get("/items/{item_id:item_id}/")
def get_item(item_id: int, db: DB) -> Item:
    row = db.execute(
        "SELECT id, name, description, price FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise HTTPException(404, "Item not found")
    return row_to_item(row)


@router.put("/items/{item_id:item_id}")
@router.put("/items/{item_id:item_id}/")
def update_item(item_id: int, item: ItemIn, db: DB) -> Item:
    with db:
        cursor = db.execute(
            "UPDATE items SET name = ?, description = ?, price = ? WHERE id = ?",
            (item.name, item.description, item.price, item_id),
        )
    if cursor.rowcount == 0:
        raise HTTPException(404, "Item not found")
    return Item(id=item_id, **item.model_dump())


@router.delete("/items/{item_id:item_id}", status_code=204)
@router.delete("/items/{item_id:item_id}/", status_code=204)
def delete_item(item_id: int, db: DB) -> Response:
    with db:
        cursor = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
    if cursor.rowcount == 0:
        raise HTTPException(404, "Item not found")
    return Response(status_code=204)


@router.get("/healthz")
def healthz(db: DB) -> dict[str, Any]:
    (count,) = db.execute("SELECT count(*) FROM items").fetchone()
    return {"status": "ok", "stack": STACK, "pid": os.getpid(), "items": count}


# --- PostgreSQL: psycopg 3, async --------------------------------------------------------------
# The same endpoints as coroutines on the event loop; each statement runs in autocommit mode, so
# every write is one statement and its own transaction.


async def get_pg(request: Request) -> AsyncIterator[Any]:
    pool = await request.app.state.pg.get()
    async with pool.connection() as connection:
        yield connection


PG = Annotated[Any, Depends(get_pg)]  # a psycopg AsyncConnection with dict rows


async def pg_item_exists(pg: LoopPool, item_id: int) -> bool:
    pool = await pg.get()
    async with pool.connection() as connection:
        cursor = await connection.execute(EXISTS, (item_id,))
        return await cursor.fetchone() is not None


@asynccontextmanager
async def pg_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the pool before the first request (where the server runs a lifespan), close it at
    shutdown."""
    await app.state.pg.get()
    yield
    await app.state.pg.aclose()


pg_router = APIRouter(route_class=ContractRoute)


@pg_router.get("/items")
@pg_router.get("/items/")
async def pg_list_items(db: PG) -> list[Item]:
    cursor = await db.execute(SELECT_ALL)
    return [row_to_item(row) for row in await cursor.fetchall()]


@pg_router.post("/items", status_code=201)
@pg_router.post("/items/", status_code=201)
async def pg_create_item(item: ItemIn, db: PG) -> Item:
    refuse_nul(item)
    cursor = await db.execute(INSERT, (item.name, item.description, item.price))
    row = await cursor.fetchone()
    return Item(id=row["id"], **item.model_dump())


@pg_router.get("/items/{item_id:item_id}")
@pg_router.get("/items/{item_id:item_id}/")
async def pg_get_item(item_id: int, db: PG) -> Item:
    cursor = await db.execute(SELECT_ONE, (item_id,))
    row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404, "Item not found")
    return row_to_item(row)


@pg_router.put("/items/{item_id:item_id}")
@pg_router.put("/items/{item_id:item_id}/")
async def pg_update_item(item_id: int, item: ItemIn, db: PG) -> Item:
    refuse_nul(item)
    cursor = await db.execute(UPDATE, (item.name, item.description, item.price, item_id))
    if cursor.rowcount == 0:
        raise HTTPException(404, "Item not found")
    return Item(id=item_id, **item.model_dump())


@pg_router.delete("/items/{item_id:item_id}", status_code=204)
@pg_router.delete("/items/{item_id:item_id}/", status_code=204)
async def pg_delete_item(item_id: int, db: PG) -> Response:
    cursor = await db.execute(DELETE, (item_id,))
    if cursor.rowcount == 0:
        raise HTTPException(404, "Item not found")
    return Response(status_code=204)


@pg_router.get("/healthz")
async def pg_healthz(db: PG) -> dict[str, Any]:
    cursor = await db.execute(COUNT)
    row = await cursor.fetchone()
    return {"status": "ok", "stack": STACK, "pid": os.getpid(), "items": row["count"]}


# --- application --------------------------------------------------------------------------------


def create_app(db_path: str | os.PathLike[str] | None = None) -> FastAPI:
    """The application; `db_path` (an SQLite file) overrides FWBENCH_DATABASE and FWBENCH_DB."""
    if db_path is None and database_kind() == "postgresql":
        pg = LoopPool(postgres_settings(), name=STACK)
        app = contract_app(STACK, item_exists=partial(pg_item_exists, pg), lifespan=pg_lifespan)
        app.state.pg = pg
        app.include_router(pg_router)
        return app
    settings = sqlite_settings(db_path)
    app = contract_app(STACK, item_exists=partial(item_exists, settings))
    app.state.sqlite = settings
    app.include_router(router)
    return app


app = create_app()

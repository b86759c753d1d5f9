"""FastAPI + the standard library's sqlite3: pydantic models, a connection per request (dependency).

Run with any ASGI server on `apps.fastapi_sqlite3:app` (the database is named by FWBENCH_DB).

The contract's FastAPI plumbing (body limit and strict JSON, the order of errors, body drain, the
`item_id` convertor) and the endpoints that touch no database come from `apps._fastapi`, shared
with `apps.fastapi_sqlmodel`, so that the two FastAPI stacks differ only in their data layer: what
is here is the models, the SQL and the item routes written against them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
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
)
from apps.common import DESCRIPTION_DEFAULT, SQLiteSettings, sqlite_settings

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


def row_to_item(row: sqlite3.Row) -> Item:
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


def create_app(db_path: str | os.PathLike[str] | None = None) -> FastAPI:
    """The application; `db_path` overrides FWBENCH_DB."""
    settings = sqlite_settings(db_path)
    app = contract_app(STACK, item_exists=partial(item_exists, settings))
    app.state.sqlite = settings
    app.include_router(router)
    return app


app = create_app()

"""FastAPI + SQLModel: one class hierarchy for the table and the API models, a session per request.

Run with any ASGI server on `apps.fastapi_sqlmodel:app` (the database is named by FWBENCH_DB; with
FWBENCH_DATABASE=postgresql the engine is SQLAlchemy's `postgresql+psycopg` dialect with a pool
of FWBENCH_PG_POOL connections per process and no overflow: docs/databases.md).

The contract's FastAPI plumbing (body limit and strict JSON, the order of errors, body drain, the
`item_id` convertor) and the endpoints that touch no database come from `apps._fastapi`, shared
with `apps.fastapi_sqlite3`, so that the two FastAPI stacks differ only in their data layer: what
is here is the models, the engine and session, and the item routes written against them.

Updates and deletes are single `UPDATE ... WHERE id` / `DELETE ... WHERE id` statements whose row
count decides 404: loading the row first and flushing changes to it later would race a concurrent
DELETE (a StaleDataError, so a 500, or two 204s for one row). Answers are built from the row before
the commit, never reloaded after it (where it may already be deleted).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from sqlalchemy import BigInteger, Engine, event
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, func, select, update

from apps._fastapi import (
    ContractRoute,
    ItemDescription,
    ItemName,
    ItemPrice,
    contract_app,
    refuse_nul,
)
from apps.common import (
    DESCRIPTION_DEFAULT,
    PostgresSettings,
    SQLiteSettings,
    database_kind,
    postgres_settings,
    sqlite_settings,
)

STACK = "fastapi_sqlmodel"


# --- models -------------------------------------------------------------------------------------


class ItemBase(SQLModel):
    """Fields a client sends (unknown fields are ignored)."""

    name: ItemName
    description: ItemDescription = DESCRIPTION_DEFAULT
    price: ItemPrice


class Item(ItemBase, table=True):
    __tablename__ = "items"

    # 64-bit (ids in URLs go up to 2**63 - 1): an INTEGER id would be bound as int4 on
    # PostgreSQL, and a large id would overflow it (a 500) instead of finding no row.
    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)


class ItemCreate(ItemBase):
    pass


class ItemPublic(ItemBase):
    id: int


# --- database -----------------------------------------------------------------------------------


def make_postgres_engine(settings: PostgresSettings) -> Engine:
    # Sessions run in the thread pool; each waits for one of pool_size connections (no overflow).
    return create_engine(settings.sqlalchemy_url, pool_size=settings.pool_size, max_overflow=0)


def make_engine(settings: SQLiteSettings) -> Engine:
    engine = create_engine(
        f"sqlite:///{settings.path}",
        # Sessions are opened in a dependency and used in the endpoint: both in the thread pool.
        connect_args={"check_same_thread": False, "timeout": settings.timeout_s},
    )

    @event.listens_for(engine, "connect")
    def apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
        settings.apply_pragmas(dbapi_connection)

    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def item_exists(engine: Engine, item_id: int) -> bool:
    with Session(engine) as session:
        return session.get(Item, item_id) is not None


def get_or_404(session: Session, item_id: int) -> Item:
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise HTTPException(404, "Item not found")
    return db_item


# --- endpoints ----------------------------------------------------------------------------------

router = APIRouter(route_class=ContractRoute)


# Both forms of each item URL are declared: answered directly, never a 307 redirect.
@router.get("/items")
@router.get("/items/")
def list_items(session: SessionDep) -> list[ItemPublic]:
    return session.exec(select(Item).order_by(Item.id)).all()


@router.post("/items", status_code=201)
@router.post("/items/", status_code=201)
def create_item(item: ItemCreate, request: Request, session: SessionDep) -> ItemPublic:
    if request.app.state.refuse_nul:
        refuse_nul(item)
    db_item = Item.model_validate(item)
    session.add(db_item)
    session.flush()  # the INSERT: the item has its id
    # Read before commit(), which expires it: refresh() after it would fail (a 500) if a
    # concurrent DELETE of that new id got there first.
    created = ItemPublic.model_validate(db_item)
    session.commit()
    return created


@router.get("/items/{item_id:item_id}")
@router.get("/items/{item_id:item_id}/")
def get_item(item_id: int, session: SessionDep) -> ItemPublic:
    return get_or_404(session, item_id)


@router.put("/items/{item_id:item_id}")
@router.put("/items/{item_id:item_id}/")
def update_item(
    item_id: int, item: ItemCreate, request: Request, session: SessionDep
) -> ItemPublic:
    if request.app.state.refuse_nul:
        refuse_nul(item)
    result = session.exec(update(Item).where(col(Item.id) == item_id).values(**item.model_dump()))
    if result.rowcount == 0:
        raise HTTPException(404, "Item not found")
    # Read back in the same transaction, which holds SQLite's write lock (PostgreSQL's row lock):
    # it cannot be gone.
    updated = ItemPublic.model_validate(get_or_404(session, item_id))  # before commit() expires it
    session.commit()
    return updated


@router.delete("/items/{item_id:item_id}", status_code=204)
@router.delete("/items/{item_id:item_id}/", status_code=204)
def delete_item(item_id: int, session: SessionDep) -> Response:
    result = session.exec(delete(Item).where(col(Item.id) == item_id))
    session.commit()
    if result.rowcount == 0:
        raise HTTPException(404, "Item not found")
    return Response(status_code=204)


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, Any]:
    count = session.exec(select(func.count()).select_from(Item)).one()
    return {"status": "ok", "stack": STACK, "pid": os.getpid(), "items": count}


def create_app(db_path: str | os.PathLike[str] | None = None) -> FastAPI:
    """The application; `db_path` (an SQLite file) overrides FWBENCH_DATABASE and FWBENCH_DB."""
    postgresql = db_path is None and database_kind() == "postgresql"
    if postgresql:
        engine = make_postgres_engine(postgres_settings())
    else:
        engine = make_engine(sqlite_settings(db_path))
    app = contract_app(STACK, item_exists=partial(item_exists, engine))
    app.state.engine = engine
    app.state.refuse_nul = postgresql  # PostgreSQL's text cannot hold U+0000: a 422
    app.include_router(router)
    return app


app = create_app()

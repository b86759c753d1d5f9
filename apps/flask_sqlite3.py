"""Flask + hand-written SQL: one connection per request, kept on `flask.g`.

SQLite (the default) through the standard library's sqlite3, a connection opened per request; with
FWBENCH_DATABASE=postgresql, psycopg 3 with one connection pool per process (apps._postgres), a
connection borrowed per request and returned at teardown. The stack's name stays `flask_sqlite3`.

Run with any WSGI server on `apps.flask_sqlite3:app` (the database is named by FWBENCH_DB, or by
the FWBENCH_PG_* settings: docs/databases.md).

The contract's Flask plumbing (JSON errors, body drain, strict JSON, the `item_id` converter) and
the endpoints that touch no database come from `apps._flask`, shared with `apps.flask_sqlalchemy`,
so that the two Flask stacks differ only in their data layer: what is here is the SQL and the item
routes written against it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any, Protocol

from flask import Flask, Response, abort, current_app, g, jsonify
from werkzeug.exceptions import HTTPException

from apps import _postgres
from apps._flask import REFUSE_NUL, contract_app, item_body
from apps.common import (
    PostgresSettings,
    SQLiteSettings,
    database_kind,
    postgres_settings,
    sqlite_settings,
)

STACK = "flask_sqlite3"
EXTENSION = "fwbench_database"


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def __iter__(self) -> Any: ...


class Database(Protocol):
    """What the routes need from a database: its SQL, a connection per request, writes."""

    select_all: str
    select_one: str
    exists: str
    insert: str
    update: str
    delete: str
    count: str

    def connect(self) -> Any: ...

    def release(self, connection: Any) -> None: ...

    def write(self, connection: Any, sql: str, params: tuple[Any, ...]) -> Cursor: ...

    def inserted_id(self, cursor: Any) -> int: ...


class SQLiteDatabase:
    """sqlite3: a connection opened per request (Flask tutorial pattern), writes in `with db:`."""

    select_all = "SELECT id, name, description, price FROM items ORDER BY id"
    select_one = "SELECT id, name, description, price FROM items WHERE id = ?"
    exists = "SELECT 1 FROM items WHERE id = ?"
    insert = "INSERT INTO items (name, description, price) VALUES (?, ?, ?)"
    update = "UPDATE items SET name = ?, description = ?, price = ? WHERE id = ?"
    delete = "DELETE FROM items WHERE id = ?"
    count = "SELECT count(*) AS count FROM items"

    def __init__(self, settings: SQLiteSettings) -> None:
        self.settings = settings

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.settings.path, timeout=self.settings.timeout_s)
        self.settings.apply_pragmas(connection)
        connection.row_factory = sqlite3.Row
        return connection

    def release(self, connection: sqlite3.Connection) -> None:
        connection.close()

    def write(
        self, connection: sqlite3.Connection, sql: str, params: tuple[Any, ...]
    ) -> sqlite3.Cursor:
        with connection:
            return connection.execute(sql, params)

    def inserted_id(self, cursor: sqlite3.Cursor) -> int:
        return int(cursor.lastrowid or 0)


class PostgresDatabase:
    """psycopg 3: a connection borrowed per request from this process's pool, in autocommit
    mode (each write is one statement, its own transaction); the INSERT returns the new id."""

    def __init__(self, settings: PostgresSettings) -> None:
        self.settings = settings
        self.pool = _postgres.ProcessPool(settings, name=STACK)
        self.select_all = _postgres.SELECT_ALL
        self.select_one = _postgres.SELECT_ONE
        self.exists = _postgres.EXISTS
        self.insert = _postgres.INSERT
        self.update = _postgres.UPDATE
        self.delete = _postgres.DELETE
        self.count = _postgres.COUNT

    def connect(self) -> Any:
        return self.pool.get().getconn()

    def release(self, connection: Any) -> None:
        self.pool.get().putconn(connection)

    def write(self, connection: Any, sql: str, params: tuple[Any, ...]) -> Cursor:
        return connection.execute(sql, params)  # autocommit: committed when it returns

    def inserted_id(self, cursor: Any) -> int:
        return int(cursor.fetchone()["id"])


def database() -> Database:
    return current_app.extensions[EXTENSION]


def get_db() -> Any:
    """The request's connection, opened (or borrowed) on first use (Flask tutorial pattern)."""
    if "db" not in g:
        g.db = database().connect()
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        database().release(connection)


def write(sql: str, params: tuple[Any, ...]) -> Cursor:
    return database().write(get_db(), sql, params)


def item_exists(db: Any, item_id: int) -> bool:
    return db.execute(database().exists, (item_id,)).fetchone() is not None


def row_to_item(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
    }


def create_app(db_path: str | os.PathLike[str] | None = None) -> Flask:
    """The application; `db_path` (an SQLite file) overrides FWBENCH_DATABASE and FWBENCH_DB."""
    app = contract_app(__name__)
    if db_path is None and database_kind() == "postgresql":
        app.extensions[EXTENSION] = PostgresDatabase(postgres_settings())
        app.config[REFUSE_NUL] = True  # PostgreSQL's text cannot hold U+0000: a 422
    else:
        app.extensions[EXTENSION] = SQLiteDatabase(sqlite_settings(db_path))
    app.teardown_appcontext(close_db)

    # Both forms of each item URL are rules of their own: answered directly, no 308 redirect.
    # (strict_slashes=False would answer "/items" too, but loses the 405 for it.)
    @app.get("/items")
    @app.get("/items/")
    def list_items() -> Response:
        rows = get_db().execute(database().select_all)
        return jsonify([row_to_item(row) for row in rows])

    @app.post("/items")
    @app.post("/items/")
    def create_item() -> tuple[Response, int]:
        item = item_body()
        cursor = write(database().insert, (item["name"], item["description"], item["price"]))
        return jsonify(id=database().inserted_id(cursor), **item), 201

    @app.get("/items/<item_id:item_id>")
    @app.get("/items/<item_id:item_id>/")
    def get_item(item_id: int) -> Response:
        row = get_db().execute(database().select_one, (item_id,)).fetchone()
        if row is None:
            abort(404, "Item not found")
        return jsonify(row_to_item(row))

    @app.put("/items/<item_id:item_id>")
    @app.put("/items/<item_id:item_id>/")
    def update_item(item_id: int) -> Response:
        db = get_db()
        try:
            item = item_body()
        except HTTPException:
            # The contract checks the id before the body; only a refused body pays for this.
            if not item_exists(db, item_id):
                abort(404, "Item not found")
            raise
        cursor = write(
            database().update, (item["name"], item["description"], item["price"], item_id)
        )
        if cursor.rowcount == 0:
            abort(404, "Item not found")
        return jsonify(id=item_id, **item)

    @app.delete("/items/<item_id:item_id>")
    @app.delete("/items/<item_id:item_id>/")
    def delete_item(item_id: int) -> tuple[str, int]:
        cursor = write(database().delete, (item_id,))
        if cursor.rowcount == 0:
            abort(404, "Item not found")
        return "", 204

    @app.get("/healthz")
    def healthz() -> Response:
        count = get_db().execute(database().count).fetchone()["count"]
        return jsonify(status="ok", stack=STACK, pid=os.getpid(), items=count)

    return app


app = create_app()

"""Flask + the standard library's sqlite3: one connection per request, kept on `flask.g`.

Run with any WSGI server on `apps.flask_sqlite3:app` (the database is named by FWBENCH_DB).

The contract's Flask plumbing (JSON errors, body drain, strict JSON, the `item_id` converter) and
the endpoints that touch no database come from `apps._flask`, shared with `apps.flask_sqlalchemy`,
so that the two Flask stacks differ only in their data layer: what is here is the SQL and the item
routes written against it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from flask import Flask, Response, abort, current_app, g, jsonify
from werkzeug.exceptions import HTTPException

from apps._flask import contract_app, item_body
from apps.common import SQLiteSettings, sqlite_settings

STACK = "flask_sqlite3"


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use (Flask tutorial pattern)."""
    if "db" not in g:
        settings: SQLiteSettings = current_app.config["SQLITE"]
        connection = sqlite3.connect(settings.path, timeout=settings.timeout_s)
        settings.apply_pragmas(connection)
        connection.row_factory = sqlite3.Row
        g.db = connection
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def item_exists(db: sqlite3.Connection, item_id: int) -> bool:
    return db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is not None


def row_to_item(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
    }


def create_app(db_path: str | os.PathLike[str] | None = None) -> Flask:
    """The application; `db_path` overrides FWBENCH_DB."""
    app = contract_app(__name__)
    app.config["SQLITE"] = sqlite_settings(db_path)
    app.teardown_appcontext(close_db)

    # Both forms of each item URL are rules of their own: answered directly, no 308 redirect.
    # (strict_slashes=False would answer "/items" too, but loses the 405 for it.)
    @app.get("/items")
    @app.get("/items/")
    def list_items() -> Response:
        rows = get_db().execute("SELECT id, name, description, price FROM items ORDER BY id")
        return jsonify([row_to_item(row) for row in rows])

    @app.post("/items")
    @app.post("/items/")
    def create_item() -> tuple[Response, int]:
        item = item_body()
        db = get_db()
        with db:
            cursor = db.execute(
                "INSERT INTO items (name, description, price) VALUES (?, ?, ?)",
                (item["name"], item["description"], item["price"]),
            )
        return jsonify(id=cursor.lastrowid, **item), 201

    @app.get("/items/<item_id:item_id>")
    @app.get("/items/<item_id:item_id>/")
    def get_item(item_id: int) -> Response:
        row = (
            get_db()
            .execute("SELECT id, name, description, price FROM items WHERE id = ?", (item_id,))
            .fetchone()
        )
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
        with db:
            cursor = db.execute(
                "UPDATE items SET name = ?, description = ?, price = ? WHERE id = ?",
                (item["name"], item["description"], item["price"], item_id),
            )
        if cursor.rowcount == 0:
            abort(404, "Item not found")
        return jsonify(id=item_id, **item)

    @app.delete("/items/<item_id:item_id>")
    @app.delete("/items/<item_id:item_id>/")
    def delete_item(item_id: int) -> tuple[str, int]:
        db = get_db()
        with db:
            cursor = db.execute("DELETE FROM items WHERE id = ?", (item_id,))
        if cursor.rowcount == 0:
            abort(404, "Item not found")
        return "", 204

    @app.get("/healthz")
    def healthz() -> Response:
        (count,) = get_db().execute("SELECT count(*) FROM items").fetchone()
        return jsonify(status="ok", stack=STACK, pid=os.getpid(), items=count)

    return app


app = create_app()

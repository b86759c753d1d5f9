"""Flask + the standard library's sqlite3: one connection per request, kept on `flask.g`.

Run with any WSGI server on `apps.flask_sqlite3:app` (the database is named by FWBENCH_DB).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, abort, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from apps.common import (
    DRAIN_CHUNK_BYTES,
    DRAIN_LIMIT_BYTES,
    ITEM_ID_REGEX,
    MAX_BODY_BYTES,
    JSONBodyError,
    SQLiteSettings,
    is_json_content_type,
    loads_json,
    sqlite_settings,
    validate_item,
)

STACK = "flask_sqlite3"


class ItemIdConverter(BaseConverter):
    """`<item_id:item_id>`: ASCII digits up to SQLite's largest INTEGER, else no route (404).

    The limit is in the regex: werkzeug answers 405 instead of 404 when `to_python` refuses a
    value that another method's rule would take.
    """

    regex = ITEM_ID_REGEX

    def to_python(self, value: str) -> int:
        return int(value)


class JSONProvider(DefaultJSONProvider):
    """Keys in the order given (an echo is unchanged) and never a non-standard NaN/Infinity."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use (Flask tutorial pattern)."""
    if "db" not in g:
        settings: SQLiteSettings = current_app.config["SQLITE"]
        connection = sqlite3.connect(settings.path, timeout=settings.timeout_s)
        for pragma in settings.pragmas:
            connection.execute(pragma)
        connection.row_factory = sqlite3.Row
        g.db = connection
    return g.db


def close_db(_exc: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def json_body(*, finite: bool = False) -> Any:
    """The request's JSON body, checked in the contract's order: 413, 415, then 400.

    `request.get_json()` would check the Content-Type before the size, so it is not used here.
    """
    data = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: RequestEntityTooLarge
    g.body_read = True
    if not is_json_content_type(request.content_type):
        abort(415, "Content-Type must be application/json")
    try:
        return loads_json(data, finite=finite)
    except JSONBodyError as exc:
        abort(400, str(exc))


def item_body() -> dict[str, Any]:
    """A validated item from the request body (400 not an object, 422 invalid)."""
    data = json_body()
    if not isinstance(data, dict):
        abort(400, "body must be a JSON object")
    item, errors = validate_item(data)
    if errors:
        response = jsonify(detail=errors)
        response.status_code = 422
        abort(response)
    return item


def item_exists(db: sqlite3.Connection, item_id: int) -> bool:
    return db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is not None


def row_to_item(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "price": row["price"],
    }


def drain_request_body() -> None:
    """Read and discard an unread request body (up to a cap) so the client sees the error.

    A 404, 405 or 413 is decided before the body is read; answering while the client is still
    sending would make it see a connection reset instead of the answer.
    """
    if g.get("body_read"):
        return
    environ = request.environ
    length = request.content_length
    if length is None and not environ.get("wsgi.input_terminated"):
        return  # no body, or one the server cannot delimit: reading could block
    remaining = DRAIN_LIMIT_BYTES if length is None else min(length, DRAIN_LIMIT_BYTES)
    stream = environ["wsgi.input"]
    try:
        while remaining > 0:
            chunk = stream.read(min(DRAIN_CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    except (OSError, ValueError):
        pass


def handle_http_exception(exc: HTTPException) -> Response:
    """Every HTTP error (404, 405, 413, ...) as JSON {"detail": ...} instead of an HTML page."""
    drain_request_body()
    if exc.response is not None:  # abort(response) carries its own body
        return exc.response
    # A description given to abort() is kept; the generic ones are long, the name is enough.
    custom = exc.description and exc.description != type(exc).description
    response = jsonify(detail=exc.description if custom else exc.name)
    response.status_code = exc.code or 500
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def create_app(db_path: str | os.PathLike[str] | None = None) -> Flask:
    """The application; `db_path` overrides FWBENCH_DB."""
    app = Flask(__name__, static_folder=None)
    app.config["SQLITE"] = sqlite_settings(db_path)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json = JSONProvider(app)
    app.url_map.converters["item_id"] = ItemIdConverter
    app.url_map.merge_slashes = False  # "/items//" is unknown (404), not a redirect
    app.teardown_appcontext(close_db)
    app.register_error_handler(HTTPException, handle_http_exception)

    @app.get("/hello")
    def hello() -> Response:
        return jsonify(message="Hello, World!")

    @app.post("/echo")
    def echo() -> Response:
        return jsonify(json_body(finite=True))

    @app.get("/get")
    def get() -> Response:
        return jsonify(
            message="This is a GET request!",
            timestamp=datetime.now(timezone.utc).isoformat(),
            pid=os.getpid(),
        )

    @app.post("/post")
    def post() -> Response:
        return jsonify(
            received=json_body(finite=True),
            timestamp=datetime.now(timezone.utc).isoformat(),
            pid=os.getpid(),
        )

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

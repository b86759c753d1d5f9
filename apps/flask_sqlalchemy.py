"""Flask + Flask-SQLAlchemy: a declarative model, `db.session`, `db.get_or_404`.

Updates and deletes are single `UPDATE ... WHERE id` / `DELETE ... WHERE id` statements whose row
count decides 404: loading the row first and flushing changes to it later would race a concurrent
DELETE (a StaleDataError, so a 500, or two 204s for one row). Answers are built from the row before
the commit, never reloaded after it (where it may already be deleted).

Run with any WSGI server on `apps.flask_sqlalchemy:app` (the database is named by FWBENCH_DB; with
FWBENCH_DATABASE=postgresql the engine is SQLAlchemy's `postgresql+psycopg` dialect with a pool
of FWBENCH_PG_POOL connections per process and no overflow: docs/databases.md).

The contract's Flask plumbing (JSON errors, body drain, strict JSON, the `item_id` converter) and
the endpoints that touch no database come from `apps._flask`, shared with `apps.flask_sqlite3`,
so that the two Flask stacks differ only in their data layer: what is here is the model, the
engine set-up and the item routes written against them.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, abort, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, event, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from apps._flask import REFUSE_NUL, contract_app, item_body
from apps.common import DESCRIPTION_DEFAULT, database_kind, postgres_settings, sqlite_settings

STACK = "flask_sqlalchemy"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Item(db.Model):
    __tablename__ = "items"

    # 64-bit (ids in URLs go up to 2**63 - 1): an INTEGER id would be bound as int4 on
    # PostgreSQL, and a large id would overflow it (a 500) instead of finding no row.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str]
    description: Mapped[str] = mapped_column(default=DESCRIPTION_DEFAULT)
    price: Mapped[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "price": self.price,
        }


def configure_postgresql(app: Flask) -> None:
    pg = postgres_settings()
    app.config["SQLALCHEMY_DATABASE_URI"] = pg.sqlalchemy_url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": pg.pool_size, "max_overflow": 0}
    app.config[REFUSE_NUL] = True  # PostgreSQL's text cannot hold U+0000: a 422
    db.init_app(app)


def configure_sqlite(app: Flask, db_path: str | os.PathLike[str] | None) -> None:
    settings = sqlite_settings(db_path)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{settings.path}"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": settings.timeout_s}}
    db.init_app(app)
    with app.app_context():

        @event.listens_for(db.engine, "connect")
        def apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
            settings.apply_pragmas(dbapi_connection)


def create_app(db_path: str | os.PathLike[str] | None = None) -> Flask:
    """The application; `db_path` (an SQLite file) overrides FWBENCH_DATABASE and FWBENCH_DB."""
    app = contract_app(__name__)
    if db_path is None and database_kind() == "postgresql":
        configure_postgresql(app)
    else:
        configure_sqlite(app, db_path)

    # Both forms of each item URL are rules of their own: answered directly, no 308 redirect.
    # (strict_slashes=False would answer "/items" too, but loses the 405 for it.)
    @app.get("/items")
    @app.get("/items/")
    def list_items() -> Response:
        items = db.session.execute(db.select(Item).order_by(Item.id)).scalars()
        return jsonify([item.to_dict() for item in items])

    @app.post("/items")
    @app.post("/items/")
    def create_item() -> tuple[Response, int]:
        item = Item(**item_body())
        db.session.add(item)
        db.session.flush()  # the INSERT: the item has its id
        # Read before commit(), which expires it: reloading the row afterwards would fail (a
        # 500) if a concurrent DELETE of that new id got there first.
        data = item.to_dict()
        db.session.commit()
        return jsonify(data), 201

    @app.get("/items/<item_id:item_id>")
    @app.get("/items/<item_id:item_id>/")
    def get_item(item_id: int) -> Response:
        return jsonify(db.get_or_404(Item, item_id, description="Item not found").to_dict())

    @app.put("/items/<item_id:item_id>")
    @app.put("/items/<item_id:item_id>/")
    def update_item(item_id: int) -> Response:
        try:
            fields = item_body()
        except HTTPException:
            # The contract checks the id before the body; only a refused body pays for this.
            db.get_or_404(Item, item_id, description="Item not found")
            raise
        result = db.session.execute(db.update(Item).where(Item.id == item_id).values(**fields))
        if result.rowcount == 0:
            abort(404, "Item not found")
        # Read back in the same transaction, which holds SQLite's write lock (PostgreSQL's row
        # lock): it cannot be gone.
        item = db.get_or_404(Item, item_id, description="Item not found")
        data = item.to_dict()  # before commit() expires it
        db.session.commit()
        return jsonify(data)

    @app.delete("/items/<item_id:item_id>")
    @app.delete("/items/<item_id:item_id>/")
    def delete_item(item_id: int) -> tuple[str, int]:
        result = db.session.execute(db.delete(Item).where(Item.id == item_id))
        db.session.commit()
        if result.rowcount == 0:
            abort(404, "Item not found")
        return "", 204

    @app.get("/healthz")
    def healthz() -> Response:
        count = db.session.scalar(db.select(func.count()).select_from(Item))
        return jsonify(status="ok", stack=STACK, pid=os.getpid(), items=count)

    return app


app = create_app()

"""Flask plumbing for the web contract, shared by apps.flask_sqlite3 and apps.flask_sqlalchemy.

The contract (docs/web-contract.md) asks for things Flask does not do out of the box: JSON errors
instead of HTML pages, the errors in a fixed order (404, 405, 413, 415, 400, 422), a drained body
before an early answer, strict JSON, chunked bodies limited like any other, ids that routing alone
refuses. None of this depends on how a stack reaches its database, so it is written once here and
the two Flask stacks differ only in their data layer: each keeps its own `create_app`, its models
or SQL, and the item routes written against them the way a Flask user would.

What is here: `contract_app` (a configured `Flask` that serves the `papers` blueprint, the
endpoints that touch no database: /hello, /echo, /get, /post), the `item_id` URL converter, the
JSON error handler and body drain, and `json_body` / `item_body` for the handlers.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from apps.common import (
    DRAIN_LIMIT_BYTES,
    ITEM_ID_REGEX,
    MAX_BODY_BYTES,
    BodyFramingError,
    JSONBodyError,
    drain,
    is_chunked,
    is_json_content_type,
    loads_json,
    nul_errors,
    read_limited,
    validate_item,
)

# App config key: refuse strings holding U+0000 as invalid (422), for a database that cannot
# store them (PostgreSQL's text).
REFUSE_NUL = "FWBENCH_REFUSE_NUL"


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


def request_body() -> bytes:
    """The request body, 413 when it is over MAX_BODY_BYTES, whether it has a Content-Length or
    is chunked (411 if the server cannot delimit a chunked body, 400 if its framing is broken).

    werkzeug limits a chunked body to MAX_CONTENT_LENGTH by cutting it there, without an error, so
    a chunked body is read here from the stream the server de-chunks (`wsgi.input_terminated`:
    werkzeug's development server and gunicorn both provide one).
    """
    environ = request.environ
    if not is_chunked(environ.get("HTTP_TRANSFER_ENCODING")):
        data = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: RequestEntityTooLarge
        g.body_read = True
        return data
    if not environ.get("wsgi.input_terminated"):
        abort(411, "this server cannot read a chunked body: send a Content-Length")
    try:
        data = read_limited(environ["wsgi.input"].read)
    except BodyFramingError as exc:
        g.body_read = True  # nothing after broken framing can be read
        abort(400, str(exc))
    if data is None:
        abort(413)  # the drain reads the rest
    g.body_read = True
    return data


def json_body(*, finite: bool = False) -> Any:
    """The request's JSON body, checked in the contract's order: 413, 415, then 400.

    `request.get_json()` would check the Content-Type before the size, so it is not used here.
    """
    data = request_body()
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
    if not errors and current_app.config.get(REFUSE_NUL):
        errors = nul_errors(item)
    if errors:
        response = jsonify(detail=errors)
        response.status_code = 422
        abort(response)
    return item


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
    stream = environ["wsgi.input"]
    if length is None:
        drain(stream.read)  # chunked (or gunicorn's empty body): the server's stream ends it
    else:
        drain(stream.read, min(length, DRAIN_LIMIT_BYTES))


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


# The papers' endpoints that touch no database: the same in every Flask stack.
papers = Blueprint("papers", __name__)


@papers.get("/hello")
def hello() -> Response:
    return jsonify(message="Hello, World!")


@papers.post("/echo")
def echo() -> Response:
    return jsonify(json_body(finite=True))


@papers.get("/get")
def get() -> Response:
    return jsonify(
        message="This is a GET request!",
        timestamp=datetime.now(timezone.utc).isoformat(),
        pid=os.getpid(),
    )


@papers.post("/post")
def post() -> Response:
    return jsonify(
        received=json_body(finite=True),
        timestamp=datetime.now(timezone.utc).isoformat(),
        pid=os.getpid(),
    )


def contract_app(import_name: str) -> Flask:
    """A `Flask` application set up for the contract, serving the `papers` endpoints.

    Body limit (413), JSON provider, the `item_id` converter, no slash merging, JSON errors; the
    stack then adds its own item routes.
    """
    app = Flask(import_name, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json = JSONProvider(app)
    app.url_map.converters["item_id"] = ItemIdConverter
    app.url_map.merge_slashes = False  # "/items//" is unknown (404), not a redirect
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_blueprint(papers)
    return app

"""FastAPI plumbing for the web contract, shared by apps.fastapi_sqlite3 and apps.fastapi_sqlmodel.

FastAPI reads and validates a body before it runs the endpoint; the contract's order of errors
(404, 405, 413, 415, 400, 422, docs/web-contract.md) is kept by a request class that limits and
strictly parses the body, by exception handlers that sort validation errors into 404/415/400/422,
and by a middleware that drains an unread body before any answer (else the client sees a reset,
not the 413). None of this depends on how a stack reaches its database, so it is written once here
and the two FastAPI stacks differ only in their data layer: each keeps its own `create_app`, its
models, its dependency and the item routes written against them the way a FastAPI user would.

What is here: `contract_app` (a configured `FastAPI` that serves the `papers` router, the
endpoints that touch no database: /hello, /echo, /get, /post), `ContractRoute` (the route class of
every router), the `item_id` URL convertor, the strict item field types for the models, and
`json_body`.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, Strict
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apps.common import (
    DESCRIPTION_MAX_LENGTH,
    DRAIN_LIMIT_BYTES,
    ITEM_ID_REGEX,
    MAX_BODY_BYTES,
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    PRICE_MAX,
    PRICE_MIN,
    JSONBodyError,
    is_item_id,
    is_json_content_type,
    loads_json,
    nul_errors,
)

ItemExists = Callable[[int], bool] | Callable[[int], Awaitable[bool]]
"""Whether an item id is in the database: a blocking function (run in the thread pool) or a
coroutine function (awaited on the event loop)."""
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

# The item's fields, for the models of every FastAPI stack (pydantic or SQLModel): strict types (no
# "1.5" for a number, no 123 for a string) within the contract's limits, never +-inf. Strict() comes
# last: SQLModel takes a table column's length from the first marker, and Strict() has none.
ItemName = Annotated[str, Field(min_length=NAME_MIN_LENGTH, max_length=NAME_MAX_LENGTH), Strict()]
ItemDescription = Annotated[str, Field(max_length=DESCRIPTION_MAX_LENGTH), Strict()]
ItemPrice = Annotated[float, Field(ge=PRICE_MIN, le=PRICE_MAX, allow_inf_nan=False), Strict()]


class ItemIdConvertor(Convertor[int]):
    """`{item_id:item_id}`: ASCII digits up to SQLite's largest INTEGER, else no route (404)."""

    regex = ITEM_ID_REGEX + r"(?!\n)"  # "$" would also match before a final newline

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("item_id", ItemIdConvertor())


class ContractRequest(Request):
    """A request whose body is limited to MAX_BODY_BYTES (413) and parsed as strict JSON.

    The limit counts the bytes received, so it holds for a chunked body too (every ASGI server
    here de-chunks it and sends it without a content-length). A body that ends in a disconnect
    (the server found its chunked framing broken, or the client went away) is a 400; the server
    has usually answered the client itself by then.
    """

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            length = self.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                raise HTTPException(413, "request body is over 1 MiB")
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in self.stream():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise HTTPException(413, "request body is over 1 MiB")
                    chunks.append(chunk)
            except ClientDisconnect as exc:
                raise HTTPException(400, "request body ended before it was complete") from exc
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            # FastAPI also parses "+json" types as JSON; the contract takes application/json only.
            if not is_json_content_type(self.headers.get("content-type")):
                raise HTTPException(415, "Content-Type must be application/json")
            try:
                self._json = loads_json(body)
            except JSONBodyError as exc:
                raise HTTPException(400, str(exc)) from exc
        return self._json


class ContractRoute(APIRoute):
    """Routes that hand their endpoints a ContractRequest (FastAPI's custom request recipe)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def contract_handler(request: Request) -> Response:
            return await handler(ContractRequest(request.scope, request.receive))

        return contract_handler


async def json_body(request: Request, *, finite: bool = False) -> Any:
    """An endpoint's whole JSON body, any value, checked in order: 413, 415, 400."""
    data = await request.body()
    if not is_json_content_type(request.headers.get("content-type")):
        raise HTTPException(415, "Content-Type must be application/json")
    try:
        return loads_json(data, finite=finite)
    except JSONBodyError as exc:
        raise HTTPException(400, str(exc)) from exc


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class DrainBodyMiddleware:
    """Before an answer starts, read and discard what is left of the request body (up to a cap).

    Errors decided before the body is read (404, 405, 413) would otherwise be answered while the
    client is still sending, and servers close such connections: the client sees a reset.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        done = False
        reply: ASGIApp = self.app
        if _CONTROL_CHARACTER.search(scope["path"]):
            # Starlette's route patterns end in `$`, which also matches before a final newline,
            # so `/hello%0A` would be served as `/hello`: a path with a control character names
            # nothing here.
            reply = JSONResponse({"detail": "Not Found"}, status_code=404)

        async def tracking_receive() -> Message:
            nonlocal done
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                done = True
            return message

        async def draining_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not done:
                drained = 0
                while not done and drained <= DRAIN_LIMIT_BYTES:
                    drained += len((await tracking_receive()).get("body", b""))
            await send(message)

        await reply(scope, tracking_receive, draining_send)


# --- errors -------------------------------------------------------------------------------------


async def names_unknown_item(request: Request) -> bool:
    """Whether the request is about an item id that does not exist.

    The contract answers an unknown id before a bad body; FastAPI validates the body first, so a
    refused body (and only that) pays for this look-up, made by the stack's `item_exists`.
    """
    item_id = request.path_params.get("item_id")
    if item_id is None:
        return False
    if not is_item_id(item_id):
        return True
    item_exists: ItemExists = request.app.state.item_exists
    if inspect.iscoroutinefunction(item_exists):
        return not await item_exists(item_id)
    return not await run_in_threadpool(item_exists, item_id)


def refuse_nul(item: BaseModel) -> None:
    """For a database whose text cannot hold U+0000 (PostgreSQL): an item with it is invalid.

    Raised as a validation error, so the handler answers 404 first for an unknown id, then 422.
    """
    errors = nul_errors(item.model_dump())
    if errors:
        raise RequestValidationError(
            [{**error, "loc": tuple(error["loc"]), "input": None} for error in errors]
        )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code in (400, 413, 415) and await names_unknown_item(request):
        return JSONResponse({"detail": "Item not found"}, status_code=404)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    """Sort FastAPI's 422s into the contract's classes; never echo the input back."""
    errors = exc.errors()
    if any(error["loc"][:1] == ("path",) for error in errors) or await names_unknown_item(request):
        return JSONResponse({"detail": "Item not found"}, status_code=404)
    if not is_json_content_type(request.headers.get("content-type")):
        return JSONResponse({"detail": "Content-Type must be application/json"}, status_code=415)
    if any(error["type"] == "json_invalid" or tuple(error["loc"]) == ("body",) for error in errors):
        return JSONResponse({"detail": "body must be a JSON object"}, status_code=400)
    detail = [{"type": e["type"], "loc": list(e["loc"]), "msg": e["msg"]} for e in errors]
    return JSONResponse({"detail": detail}, status_code=422)


async def server_error(_request: Request, _exc: Exception) -> Response:
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


# --- the papers' endpoints that touch no database: the same in every FastAPI stack --------------

papers = APIRouter(route_class=ContractRoute)


@papers.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@papers.post("/echo")
async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await json_body(request, finite=True))


@papers.get("/get")
async def get() -> dict[str, Any]:
    return {
        "message": "This is a GET request!",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "pid": os.getpid(),
    }


@papers.post("/post")
async def post(request: Request) -> JSONResponse:
    received = await json_body(request, finite=True)
    return JSONResponse(
        {
            "received": received,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "pid": os.getpid(),
        }
    )


# --- application --------------------------------------------------------------------------------


def contract_app(
    title: str, item_exists: ItemExists, lifespan: Lifespan | None = None
) -> FastAPI:
    """A `FastAPI` application set up for the contract, serving the `papers` endpoints.

    No docs or schema routes, no slash redirects, the contract's error handlers and the drain
    middleware. `item_exists` is the stack's look-up for the 404-before-bad-body rule; the stack
    then includes its own router of item endpoints. `lifespan`, where the server runs one (daphne
    does not), opens and closes what the stack needs.
    """
    app = FastAPI(
        title=title,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
        exception_handlers={
            StarletteHTTPException: http_error,
            RequestValidationError: validation_error,
            Exception: server_error,
        },
    )
    app.state.item_exists = item_exists
    app.add_middleware(DrainBodyMiddleware)
    app.include_router(papers)
    return app

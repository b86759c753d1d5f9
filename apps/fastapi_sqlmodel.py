"""FastAPI + SQLModel: one class hierarchy for the table and the API models, a session per request.

Run with any ASGI server on `apps.fastapi_sqlmodel:app` (the database is named by FWBENCH_DB).

FastAPI reads and validates a body before it runs the endpoint; the contract's order of errors
(404, 405, 413, 415, 400, 422) is kept by a request class that limits and strictly parses the body,
by exception handlers that sort validation errors into 404/415/400/422, and by a middleware that
drains an unread body before any answer (else the client sees a reset, not the 413).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import StrictFloat, StrictStr
from sqlalchemy import Engine, event
from sqlmodel import Field, Session, SQLModel, create_engine, func, select
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apps.common import (
    DESCRIPTION_DEFAULT,
    DESCRIPTION_MAX_LENGTH,
    DRAIN_LIMIT_BYTES,
    ITEM_ID_REGEX,
    MAX_BODY_BYTES,
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    PRICE_MAX,
    PRICE_MIN,
    JSONBodyError,
    SQLiteSettings,
    is_item_id,
    is_json_content_type,
    loads_json,
    sqlite_settings,
)

STACK = "fastapi_sqlmodel"


# --- models -------------------------------------------------------------------------------------


class ItemBase(SQLModel):
    """Fields a client sends: strict types (no "1.5" for a number, no 123 for a string)."""

    name: StrictStr = Field(min_length=NAME_MIN_LENGTH, max_length=NAME_MAX_LENGTH)
    description: StrictStr = Field(default=DESCRIPTION_DEFAULT, max_length=DESCRIPTION_MAX_LENGTH)
    price: StrictFloat = Field(ge=PRICE_MIN, le=PRICE_MAX)  # the bounds also refuse +-inf


class Item(ItemBase, table=True):
    __tablename__ = "items"

    id: int | None = Field(default=None, primary_key=True)


class ItemCreate(ItemBase):
    pass


class ItemPublic(ItemBase):
    id: int


# --- request plumbing (the same in every FastAPI stack) -----------------------------------------


class ItemIdConvertor(Convertor[int]):
    """`{item_id:item_id}`: ASCII digits up to SQLite's largest INTEGER, else no route (404)."""

    regex = ITEM_ID_REGEX + r"(?!\n)"  # "$" would also match before a final newline

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("item_id", ItemIdConvertor())


class ContractRequest(Request):
    """A request whose body is limited to MAX_BODY_BYTES (413) and parsed as strict JSON."""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            length = self.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                raise HTTPException(413, "request body is over 1 MiB")
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise HTTPException(413, "request body is over 1 MiB")
                chunks.append(chunk)
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

        await self.app(scope, tracking_receive, draining_send)


# --- database -----------------------------------------------------------------------------------


def make_engine(settings: SQLiteSettings) -> Engine:
    engine = create_engine(
        f"sqlite:///{settings.path}",
        # Sessions are opened in a dependency and used in the endpoint: both in the thread pool.
        connect_args={"check_same_thread": False, "timeout": settings.timeout_s},
    )

    @event.listens_for(engine, "connect")
    def apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in settings.pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def item_exists(engine: Engine, item_id: int) -> bool:
    with Session(engine) as session:
        return session.get(Item, item_id) is not None


# --- errors -------------------------------------------------------------------------------------


async def names_unknown_item(request: Request) -> bool:
    """Whether the request is about an item id that does not exist.

    The contract answers an unknown id before a bad body; FastAPI validates the body first, so a
    refused body (and only that) pays for this look-up.
    """
    item_id = request.path_params.get("item_id")
    if item_id is None:
        return False
    if not is_item_id(item_id):
        return True
    return not await run_in_threadpool(item_exists, request.app.state.engine, item_id)


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


router = APIRouter(route_class=ContractRoute)


@router.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello, World!"}


@router.post("/echo")
async def echo(request: Request) -> JSONResponse:
    return JSONResponse(await json_body(request, finite=True))


@router.get("/get")
async def get() -> dict[str, Any]:
    return {
        "message": "This is a GET request!",
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "pid": os.getpid(),
    }


@router.post("/post")
async def post(request: Request) -> JSONResponse:
    received = await json_body(request, finite=True)
    return JSONResponse(
        {
            "received": received,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "pid": os.getpid(),
        }
    )


# Both forms of each item URL are declared: answered directly, never a 307 redirect.
@router.get("/items")
@router.get("/items/")
def list_items(session: SessionDep) -> list[ItemPublic]:
    return session.exec(select(Item).order_by(Item.id)).all()


@router.post("/items", status_code=201)
@router.post("/items/", status_code=201)
def create_item(item: ItemCreate, session: SessionDep) -> ItemPublic:
    db_item = Item.model_validate(item)
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item


def get_or_404(session: Session, item_id: int) -> Item:
    db_item = session.get(Item, item_id)
    if db_item is None:
        raise HTTPException(404, "Item not found")
    return db_item


@router.get("/items/{item_id:item_id}")
@router.get("/items/{item_id:item_id}/")
def get_item(item_id: int, session: SessionDep) -> ItemPublic:
    return get_or_404(session, item_id)


@router.put("/items/{item_id:item_id}")
@router.put("/items/{item_id:item_id}/")
def update_item(item_id: int, item: ItemCreate, session: SessionDep) -> ItemPublic:
    db_item = get_or_404(session, item_id)
    db_item.sqlmodel_update(item.model_dump())
    session.add(db_item)
    session.commit()
    session.refresh(db_item)
    return db_item


@router.delete("/items/{item_id:item_id}", status_code=204)
@router.delete("/items/{item_id:item_id}/", status_code=204)
def delete_item(item_id: int, session: SessionDep) -> Response:
    session.delete(get_or_404(session, item_id))
    session.commit()
    return Response(status_code=204)


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, Any]:
    count = session.exec(select(func.count()).select_from(Item)).one()
    return {"status": "ok", "stack": STACK, "pid": os.getpid(), "items": count}


def create_app(db_path: str | os.PathLike[str] | None = None) -> FastAPI:
    """The application; `db_path` overrides FWBENCH_DB."""
    app = FastAPI(
        title=STACK,
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
    app.state.engine = make_engine(sqlite_settings(db_path))
    app.include_router(router)
    app.add_middleware(DrainBodyMiddleware)
    return app


app = create_app()

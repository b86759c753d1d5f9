"""One way to talk to a stack, three ways to reach it: in-process WSGI, in-process ASGI, HTTP.

`ContractClient.request(method, path, body, headers) -> Reply(status, headers, body)` is all the
contract suite uses, so the same tests run against a framework in-process or a live server.
`request_chunked(method, path, raw, headers)` sends a body with Transfer-Encoding: chunked, `raw`
being the exact bytes after the headers (the chunk framing included, broken or not: see
`chunked`). In-process there is no server to de-chunk it, so the client does what servers do:
for WSGI, `wsgi.input` de-chunks lazily (werkzeug's development server's own DechunkedInput,
raising OSError on broken framing) with `wsgi.input_terminated`; for ASGI, the de-chunked body
arrives without a content-length and broken framing ends it with a disconnect (as uvicorn does).
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

STACKS = ("flask_sqlite3", "flask_sqlalchemy", "fastapi_sqlite3", "fastapi_sqlmodel", "django_drf")
ENV_URL = "FWBENCH_CONTRACT_URL"
ENV_STACK = "FWBENCH_CONTRACT_STACK"
ENV_SERVER = "FWBENCH_CONTRACT_SERVER"  # optional: the server's name in the variant matrix
ENV_SEED_ITEMS = "FWBENCH_CONTRACT_SEED_ITEMS"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    """`body` framed as chunks of `size` bytes, then the last (empty) chunk."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def dechunk(raw: bytes, piece: int = 64 * 1024) -> tuple[list[bytes], bool]:
    """The payload of chunked framing in pieces, and whether the framing is intact."""
    from werkzeug.serving import DechunkedInput

    stream = DechunkedInput(io.BytesIO(raw))
    pieces: list[bytes] = []
    try:
        while data := stream.read(piece):
            pieces.append(data)
    except OSError:
        return pieces, False
    return pieces, True


class ContractClient(Protocol):
    stack: str
    live: bool
    server: str  # "in-process", or the live server's name in the matrix ("" if not given)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply: ...

    def request_chunked(
        self, method: str, path: str, raw: bytes, headers: Mapping[str, str] | None = None
    ) -> Reply: ...


@dataclass
class WSGIClient:
    """Calls a WSGI application in-process through werkzeug's test client (Flask's, too)."""

    app: Callable[..., Any]
    stack: str
    live: bool = False
    server: str = "in-process"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        from werkzeug.test import Client

        client = Client(self.app)  # one per call: werkzeug's client keeps cookies, not threads
        response = client.open(path, method=method, data=body, headers=dict(headers or {}))
        try:
            data = response.get_data()
        finally:
            response.close()
        return Reply(
            response.status_code, {k.lower(): v for k, v in response.headers.items()}, data
        )

    def request_chunked(
        self, method: str, path: str, raw: bytes, headers: Mapping[str, str] | None = None
    ) -> Reply:
        from werkzeug.serving import DechunkedInput
        from werkzeug.test import EnvironBuilder, run_wsgi_app

        builder = EnvironBuilder(path=path, method=method, headers=dict(headers or {}))
        environ = builder.get_environ()
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input"] = DechunkedInput(io.BytesIO(raw))
        environ["wsgi.input_terminated"] = True
        app_iter, status, response_headers = run_wsgi_app(self.app, environ, buffered=True)
        try:
            data = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        return Reply(
            int(status.split(None, 1)[0]),
            {k.lower(): v for k, v in response_headers.items()},
            data,
        )


@dataclass
class ASGIClient:
    """Calls an ASGI application in-process on one event loop, as a server would.

    The body arrives in 64 KiB messages; after it, `receive` waits for the answer and then says
    the client disconnected (as uvicorn does).
    """

    app: Callable[..., Any]
    stack: str
    live: bool = False
    server: str = "in-process"
    chunk: int = 64 * 1024
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the application's loop (e.g. to close its pool) and return its
        result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=120)

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        body = body or b""
        pieces = [body[i : i + self.chunk] for i in range(0, len(body), self.chunk)]
        headers = dict(headers or {})
        if body or method in ("POST", "PUT", "PATCH"):
            headers["content-length"] = str(len(body))
        call = self._call(method, path, pieces, headers, complete=True)
        return asyncio.run_coroutine_threadsafe(call, self._loop).result(timeout=120)

    def request_chunked(
        self, method: str, path: str, raw: bytes, headers: Mapping[str, str] | None = None
    ) -> Reply:
        pieces, complete = dechunk(raw, self.chunk)
        headers = {**(headers or {}), "transfer-encoding": "chunked"}
        call = self._call(method, path, pieces, headers, complete=complete)
        return asyncio.run_coroutine_threadsafe(call, self._loop).result(timeout=120)

    async def _call(
        self,
        method: str,
        path: str,
        pieces: list[bytes],
        headers: dict[str, str],
        *,
        complete: bool,
    ) -> Reply:
        """`pieces` of the body, then (if not `complete`) a disconnect instead of its end."""
        raw_path, _, query = path.partition("?")
        header_list = [(b"host", b"127.0.0.1")]
        header_list += [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": header_list,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        pieces = list(pieces) if pieces or not complete else [b""]
        answered = asyncio.Event()
        status = 0
        response_headers: dict[str, str] = {}
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if pieces:
                piece = pieces.pop(0)
                more = bool(pieces) or not complete
                return {"type": "http.request", "body": piece, "more_body": more}
            if complete:
                await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        await self.app(scope, receive, send)
        answered.set()
        return Reply(status, response_headers, b"".join(parts))


class HTTPClient:
    """Talks to a live server through `requests` (one session per thread, no redirects)."""

    live = True

    def __init__(self, base_url: str, stack: str, server: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.stack = stack
        self.server = server
        self._local = threading.local()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        response = session.request(
            method,
            self.base_url + path,
            data=body,
            headers=dict(headers or {}),
            allow_redirects=False,
            timeout=60,
        )
        return Reply(
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )

    def request_chunked(
        self, method: str, path: str, raw: bytes, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """The request on a connection of its own (http.client: `raw` goes out as it is)."""
        url = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            connection.putrequest(method, url.path + path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.putheader("Transfer-Encoding", "chunked")
            connection.endheaders()
            try:
                for start in range(0, len(raw), 64 * 1024):
                    connection.send(raw[start : start + 64 * 1024])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early and stopped reading: its answer may be there
            response = connection.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()


def live_target() -> tuple[str, str, str] | None:
    """(url, stack, server) when the suite should run against a live server, else None."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return None
    stack = os.environ.get(ENV_STACK, "").strip()
    if stack not in STACKS:
        raise RuntimeError(f"{ENV_URL} is set: {ENV_STACK} must be one of {', '.join(STACKS)}")
    return url, stack, os.environ.get(ENV_SERVER, "").strip()

"""Fixtures for the client tests, and the misbehaving HTTP server they run against.

Run as a script (``python tests/unit/conftest.py``) this file is the server: asyncio, raw HTTP/1.1
on 127.0.0.1, an ephemeral port printed on stdout. It runs in its own process so that it never
competes with the client under test for the GIL. Routes:

  /ok /hello /get /post   200 small JSON (Content-Length)      /chunked   200, chunked body
  /eof                    HTTP/1.0 body delimited by close      /close     200 + Connection: close
  /status/NNN             that status                           /reset     RST, no answer
  /garbage                not HTTP                              /hang      never answers
  /slow?ms=M              head, then the body M ms later        /items/ID  200 {"id": ID}
  /stall?after=N&ms=M     the N-th request to /stall freezes every answer of the server for M ms
  /_count                 requests seen per path (JSON)         /_reset    zero the counts
  /_count?by=method       requests seen per "METHOD path"

/items/ID remembers deletes as a database would: once DELETE /items/ID answered 204, every
request to /items/ID (a second DELETE, a GET, a PUT) gets 404 until /_reset.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]


# ---- the server (runs in a subprocess) --------------------------------------------------------
class _State:
    counts: ClassVar[Counter[str]] = Counter()
    method_counts: ClassVar[Counter[str]] = Counter()
    deleted: ClassVar[set[str]] = set()
    stall_until = 0.0
    stall_hits = 0


def _response(status: int, body: bytes, extra: str = "") -> bytes:
    head = (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            url = urlsplit(target)
            path, q = url.path, parse_qs(url.query)
            if path == "/_count":
                counts = _State.method_counts if q.get("by") == ["method"] else _State.counts
                writer.write(_response(200, json.dumps(counts).encode()))
                await writer.drain()
                continue
            if path == "/_reset":
                _State.counts.clear()
                _State.method_counts.clear()
                _State.deleted.clear()
                _State.stall_hits = 0
                _State.stall_until = 0.0
                writer.write(_response(200, b"{}"))
                await writer.drain()
                continue
            _State.counts[path] += 1
            _State.method_counts[f"{method} {path}"] += 1
            if path == "/stall":
                _State.stall_hits += 1
                if _State.stall_hits == int(q.get("after", ["1"])[0]):
                    _State.stall_until = time.monotonic() + int(q.get("ms", ["300"])[0]) / 1000
            wait = _State.stall_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if path in ("/ok", "/hello", "/get", "/post", "/echo", "/stall"):
                writer.write(_response(200, body or b'{"message": "Hello, World!"}'))
            elif path == "/chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"5;ext=1\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")
            elif path == "/eof":
                writer.write(b"HTTP/1.0 200 OK\r\n\r\nclose-delimited body")
                await writer.drain()
                writer.close()
                return
            elif path == "/close":
                writer.write(_response(200, b"{}", "Connection: close\r\n"))
                await writer.drain()
                writer.close()
                return
            elif path.startswith("/status/"):
                writer.write(_response(int(path.rsplit("/", 1)[1]), b'{"detail": "x"}'))
            elif path == "/reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            elif path == "/garbage":
                writer.write(b"NOT HTTP AT ALL\r\n\r\n")
            elif path == "/hang":
                await asyncio.sleep(3600)
            elif path == "/slow":
                payload = b'{"slow": "' + b"x" * 1000 + b'"}'
                writer.write(_response(200, payload)[:-500])
                await writer.drain()
                await asyncio.sleep(int(q.get("ms", ["100"])[0]) / 1000)
                writer.write(payload[-500:])
            elif path.startswith("/items/"):
                item = path.rstrip("/").rsplit("/", 1)[1]
                status = 201 if method == "POST" else 204 if method == "DELETE" else 200
                if path in _State.deleted:
                    status = 404
                elif method == "DELETE":
                    _State.deleted.add(path)
                out = body or json.dumps({"id": item}).encode()
                writer.write(_response(status, b"" if status == 204 else out))
            else:
                writer.write(_response(404, b'{"detail": "Not Found"}'))
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        return
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


# ---- fixtures (prefixed client_: this conftest is shared with other test modules) -------------
class ClientTestServer:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"

    def counts(self, by_method: bool = False) -> dict[str, int]:
        """Requests seen per path, or per "METHOD path" with ``by_method``."""
        import requests

        query = "?by=method" if by_method else ""
        return requests.get(self.url + "/_count" + query, timeout=5).json()

    def reset(self) -> None:
        import requests

        requests.get(self.url + "/_reset", timeout=5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture(scope="session")
def client_server():
    srv = ClientTestServer()
    yield srv
    srv.stop()


@pytest.fixture()
def client_fresh_server(client_server):
    client_server.reset()
    return client_server


@pytest.fixture()
def client_free_port() -> int:
    """A port with nothing listening: connections to it are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    asyncio.run(_serve())

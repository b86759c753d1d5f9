"""Django's development server (`runserver`), able to read a chunked request body.

Django's server (wsgiref underneath) hands an application a body only by its Content-Length: a
chunked body is neither de-chunked nor skipped, so the application sees an empty body and the
server then reads the chunks as the next request. Here such a body is de-chunked and offered as
`wsgi.input` with `wsgi.input_terminated` set, as werkzeug's development server and gunicorn offer
it, so the stack reads and limits it the way it does on those servers (docs/web-contract.md).
Every other request takes Django's own path, unchanged. The `runserver` command of this app
(`apps.django_drf.management.commands.runserver`) serves with these classes.
"""

from __future__ import annotations

import io
import re
from typing import Any, BinaryIO

from django.core.servers import basehttp

from apps.common import DRAIN_LIMIT_BYTES, drain, is_chunked

MAX_LINE_BYTES = 4096  # a chunk-size line (with extensions) or a trailer line
MAX_TRAILER_LINES = 100
# chunk-size [ chunk-ext ] CRLF; chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] )
_CHUNK_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,16})(?:[ \t]*;[^\r\n]*)?\r\n")


class ChunkedBodyError(OSError):
    """The chunked framing of a request body is broken (or the connection ended inside it)."""


class DechunkedInput(io.RawIOBase):
    """The payload of a chunked body read from a connection, strictly (RFC 9112 section 7.1).

    Reads end at the last chunk (after its trailer section); a framing error is raised as
    ChunkedBodyError by every read from then on, and `done` stays False.
    """

    def __init__(self, rfile: BinaryIO) -> None:
        super().__init__()
        self._rfile = rfile
        self._left = 0  # bytes left in the current chunk
        self._done = False
        self._error: ChunkedBodyError | None = None

    @property
    def done(self) -> bool:
        """Whether the whole body, up to the end of its trailer section, has been read."""
        return self._done

    def readable(self) -> bool:
        return True

    def _line(self) -> bytes:
        line = self._rfile.readline(MAX_LINE_BYTES + 1)
        if not line.endswith(b"\r\n"):  # too long, a bare LF, or the end of the connection
            raise ChunkedBodyError("chunked body: a line is not ended by CRLF")
        return line

    def _start_chunk(self) -> None:
        match = _CHUNK_SIZE_LINE.fullmatch(self._line())
        if match is None:
            raise ChunkedBodyError("chunked body: invalid chunk size line")
        self._left = int(match[1], 16)
        if self._left == 0:  # the last chunk: a trailer section, then an empty line
            for _ in range(MAX_TRAILER_LINES + 1):
                if self._line() == b"\r\n":
                    self._done = True
                    return
            raise ChunkedBodyError("chunked body: too many trailer lines")

    def readinto(self, buffer: Any) -> int:
        if self._error is not None:
            raise self._error
        try:
            if self._done:
                return 0
            if self._left == 0:
                self._start_chunk()
                if self._done:
                    return 0
            data = self._rfile.read(min(len(buffer), self._left))
            if not data:
                raise ChunkedBodyError("chunked body: the connection ended inside a chunk")
            size = len(data)
            buffer[:size] = data
            self._left -= size
            if self._left == 0 and self._rfile.read(2) != b"\r\n":
                raise ChunkedBodyError("chunked body: a chunk is not followed by CRLF")
            return size
        except ChunkedBodyError as exc:
            self._error = exc
            raise


class ChunkedServerHandler(basehttp.ServerHandler):
    """Django's ServerHandler for a request whose body is a DechunkedInput."""

    stdin: DechunkedInput
    request_handler: basehttp.WSGIRequestHandler

    def __init__(
        self, stdin: DechunkedInput, stdout: Any, stderr: Any, environ: dict[str, Any]
    ) -> None:
        super().__init__(stdin, stdout, stderr, environ)
        # Django's __init__ wraps stdin in a LimitedStream of the Content-Length (none: 0 bytes).
        self.stdin = stdin

    def close(self) -> None:
        """Skip what the application left of the body (as Django's close() does), and keep the
        connection only if that reaches its end: after broken framing nothing more can be read."""
        stdin = self.stdin
        drain(stdin.read, DRAIN_LIMIT_BYTES)
        if not stdin.done:
            self.request_handler.close_connection = True
        self.stdin = io.BytesIO()  # type: ignore[assignment]  # nothing left for Django to read
        super().close()


class WSGIRequestHandler(basehttp.WSGIRequestHandler):
    """Django's request handler, plus chunked request bodies."""

    def handle_one_request(self) -> None:
        """Django's handle_one_request(), with a ChunkedServerHandler for a chunked body."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = ""
            self.request_version = ""
            self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():  # an error has been sent
            return
        transfer_encoding = self.headers.get("Transfer-Encoding")
        handler: basehttp.ServerHandler
        if transfer_encoding is None:
            handler = basehttp.ServerHandler(
                self.rfile, self.wfile, self.get_stderr(), self.get_environ()
            )
        elif not is_chunked(transfer_encoding) or "Content-Length" in self.headers:
            # RFC 9112 section 6.3: the body's length cannot be known; 400 and close.
            explain = "Transfer-Encoding must end in chunked, without Content-Length"
            self.send_error(400, None, explain)
            return
        else:
            environ = self.get_environ()
            environ["wsgi.input_terminated"] = True
            handler = ChunkedServerHandler(
                DechunkedInput(self.rfile), self.wfile, self.get_stderr(), environ
            )
        handler.request_handler = self  # backpointer for logging & connection closing
        handler.run(self.server.get_app())


class WSGIServer(basehttp.WSGIServer):
    """Django's development server with WSGIRequestHandler (runserver passes Django's own)."""

    def __init__(self, server_address: Any, _handler_class: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(server_address, WSGIRequestHandler, *args, **kwargs)

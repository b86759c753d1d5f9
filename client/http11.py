"""Minimal HTTP/1.1 client side: encode requests once, parse responses incrementally.

Supports what the fwbench servers send: Content-Length bodies, chunked bodies, bodies delimited by
connection close (HTTP/1.0 style), bodiless statuses (1xx skipped, 204, 304), ``Connection: close``.
No pipelining: one response per request.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_HEAD = 65_536

# Parser states.
HEAD, BODY_LEN, BODY_CHUNKED, BODY_EOF, DONE = range(5)


class ProtocolError(Exception):
    """The response is not HTTP/1.x as we understand it."""

    status = 0  # the response's status code when its head was read that far (else 0)


def split_url(url: str) -> tuple[str, int, str, str]:
    """``http://host:port/path?q`` -> (host, port, host header, path-and-query)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"only http:// URLs are supported by the fast engine: {url}")
    if not parts.hostname:
        raise ValueError(f"no host in URL: {url}")
    port = parts.port or 80
    host_header = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port, host_header, path


def encode_request(method: str, host_header: str, path: str, body: bytes | None,
                   close: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host_header}", "User-Agent: fwbench-client",
             "Accept: */*"]
    if close:
        lines.append("Connection: close")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    elif method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


class ResponseParser:
    """Feed bytes; ``feed`` returns True once one whole response has been read.

    After completion: ``status``, ``keep_alive``, ``body_bytes`` (body length, excluding head and
    chunk framing); ``extra`` holds bytes past the response (an error for us: we never pipeline).
    Body bytes are counted, never stored.
    """

    __slots__ = ("_buf", "_chunk_left", "_left", "body_bytes", "extra", "head_method",
                 "keep_alive", "state", "status")

    def __init__(self) -> None:
        self.head_method = False
        self.reset()

    def reset(self) -> None:
        self.state = HEAD
        self._buf = b""
        self._left = 0
        self._chunk_left = 0
        self.status = 0
        self.keep_alive = True
        self.extra = b""
        self.body_bytes = 0

    def feed(self, data: bytes) -> bool:
        state = self.state
        if state == HEAD:
            return self._feed_head(data)
        if state == BODY_LEN:
            left = self._left - len(data)
            if left > 0:
                self._left = left
                return False
            self._left = 0
            self.state = DONE
            if left < 0:
                self.extra = data[left:]
            return True
        if state == BODY_CHUNKED:
            return self._feed_chunked(data)
        if state == BODY_EOF:
            self.body_bytes += len(data)
            return False
        raise ProtocolError("data after a complete response")

    def eof(self) -> bool:
        """The connection closed: True when that completes the response (close-delimited body)."""
        if self.state == BODY_EOF:
            self.state = DONE
            self.keep_alive = False
            return True
        return False

    @property
    def started(self) -> bool:
        return self.state != HEAD or bool(self._buf)

    def _feed_head(self, data: bytes) -> bool:
        buf = self._buf + data if self._buf else data
        cache = _HEAD_CACHE[self.head_method]
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    raise ProtocolError("response head too large")
                self._buf = buf
                return False
            head = buf[:end]
            info = cache.get(head)
            if info is None:
                try:
                    info = _parse_head(head, self.head_method)
                except ProtocolError as exc:
                    if exc.status:  # as far as the head was understood
                        self._buf = b""
                        self.status = exc.status
                    raise
                if len(cache) >= _HEAD_CACHE_MAX:
                    cache.clear()
                cache[head] = info
            if info is _INTERIM:
                buf = buf[end + 4:]  # interim response: skip it
                continue
            break
        self._buf = b""
        self.status, self.keep_alive, mode, length = info
        start = end + 4
        if mode == BODY_LEN:
            self.body_bytes = length
            left = length - (len(buf) - start)
            if left > 0:
                self.state = BODY_LEN
                self._left = left
                return False
            self.state = DONE
            if left < 0:
                self.extra = buf[left:]
            return True
        if mode == DONE:
            self.state = DONE
            self.extra = buf[start:]
            return True
        if mode == BODY_CHUNKED:
            self.state = BODY_CHUNKED
            self._chunk_left = 0
            return self._feed_chunked(buf[start:])
        self.state = BODY_EOF
        self.body_bytes = len(buf) - start
        return False

    def _feed_chunked(self, data: bytes) -> bool:
        # _chunk_left > 0: bytes of chunk data + its CRLF still to skip.
        # _chunk_left == -1: in the trailer section after the last chunk.
        buf = self._buf + data if self._buf else data
        pos = 0
        n = len(buf)
        while pos < n:
            left = self._chunk_left
            if left > 0:
                take = min(left, n - pos)
                self._chunk_left = left - take
                pos += take
                continue
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                break
            line = buf[pos:eol]
            pos = eol + 2
            if left == -1:  # trailers: an empty line ends the message
                if not line:
                    self.state = DONE
                    self._buf = b""
                    self.extra = buf[pos:]
                    return True
                continue
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProtocolError("bad chunk size") from None
            if size < 0:
                raise ProtocolError("bad chunk size")
            self._chunk_left = -1 if size == 0 else size + 2
            self.body_bytes += size
        rest = buf[pos:]
        if len(rest) > MAX_HEAD:
            raise ProtocolError("chunk header too large")
        self._buf = rest
        return False


# A response head is parsed once: servers send the same few heads over and over (only ``Date``
# changes, once a second), so the parse result is memoised per head bytes. ``_parse_head`` is a pure
# function of (head, head_method); a bounded dict per head_method value, cleared when full.
_INTERIM = (0, True, HEAD, 0)
_HEAD_CACHE_MAX = 256
_HEAD_CACHE: dict[bool, dict[bytes, tuple[int, bool, int, int]]] = {False: {}, True: {}}


def _parse_head(head: bytes, head_method: bool) -> tuple[int, bool, int, int]:
    """One response head (without the blank line) -> (status, keep_alive, mode, length): ``mode``
    DONE (bodiless), BODY_LEN (``length`` bytes), BODY_CHUNKED or BODY_EOF; ``_INTERIM`` for a 1xx
    to skip. Raises ProtocolError."""
    if not head.startswith(b"HTTP/1."):
        raise ProtocolError("not an HTTP/1.x response")
    try:
        status = int(head[9:12])
    except ValueError:
        raise ProtocolError("bad status line") from None
    if 100 <= status < 200 and status != 101:
        return _INTERIM
    keep_alive = True
    http10 = head[7:8] == b"0"
    # Header names: try the two spellings servers use (canonical, lower case) before paying
    # for a lower-cased copy of the head.
    conn_at = head.find(b"\r\nConnection:")
    if conn_at < 0:
        conn_at = head.find(b"\r\nconnection:")
    lower = b""
    if conn_at < 0 and b"onnection:" in head:
        lower = head.lower()
        conn_at = lower.find(b"\r\nconnection:")
    if conn_at >= 0:
        eol = head.find(b"\r\n", conn_at + 2)
        conn = head[conn_at + 13:eol if eol >= 0 else len(head)].lower()
        if b"close" in conn:
            keep_alive = False
        elif http10 and b"keep-alive" in conn:
            http10 = False
    if http10:
        keep_alive = False
    if head_method or status in (204, 304):
        return status, keep_alive, DONE, 0
    if b"ransfer-" in head or b"RANSFER-" in head:
        lower = lower or head.lower()
        te = lower.find(b"\r\ntransfer-encoding:")
        te_end = lower.find(b"\r\n", te + 2) if te >= 0 else -1
        if te >= 0 and b"chunked" in (lower[te:te_end] if te_end >= 0 else lower[te:]):
            return status, keep_alive, BODY_CHUNKED, 0
    cl = head.find(b"\r\nContent-Length:")
    if cl < 0:
        cl = head.find(b"\r\ncontent-length:")
    src = head
    if cl < 0 and b"ontent-" in head:
        src = lower = lower or head.lower()
        cl = lower.find(b"\r\ncontent-length:")
    if cl >= 0:
        eol = src.find(b"\r\n", cl + 2)
        try:
            length = int(src[cl + 17:eol if eol >= 0 else len(src)])
        except ValueError:
            length = -1
        if length < 0:
            exc = ProtocolError("bad Content-Length")
            exc.status = status
            raise exc
        return status, keep_alive, BODY_LEN, length
    return status, False, BODY_EOF, 0

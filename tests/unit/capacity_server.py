"""A server of known capacity for the capacity tests: every request costs a fixed 10 ms of
blocking work, done serially, so it answers at most ~100 requests per second (a little less: the
sleep overshoots by tens of microseconds and parsing costs a little).

Run as a script (``python tests/unit/capacity_server.py [MS]``) in its own process: asyncio, raw
HTTP/1.1 keep-alive on 127.0.0.1, an ephemeral port printed on stdout. The work is a blocking
``time.sleep`` inside the event loop, so while one request is being served nothing else is read,
accepted or answered (a single-worker server), and it costs no CPU: the client under test keeps a
core to itself on a small machine. Every path answers 200 with a small JSON body
(``/hello``, ``/items/ID``, ``/healthz``, ...). ``MS`` (default 10) is the work per request.
"""

from __future__ import annotations

import asyncio
import sys
import time

WORK_S = 0.010
BODY = b'{"message": "Hello, World!"}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%b"
            % (len(BODY), BODY))


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            time.sleep(WORK_S)  # blocking on purpose: one request at a time
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        return
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
    sys.stdout.write(f"{server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        WORK_S = float(sys.argv[1]) / 1000
    asyncio.run(_serve())

"""Clock offset between two hosts, measured over TCP the way NTP does it.

The reference host runs ``serve``: for each 8-byte ping it answers its wall clock
(``time.time_ns()``, 8 bytes big-endian). The other host runs ``probe``: it stamps each ping
when sent (t0) and when the answer arrives (t3); with the reference's stamp ts, the offset
``ts - (t0 + t3) / 2`` is exact when the two legs take the same time, and never wrong by more
than half the round trip. ``estimate`` keeps the sample with the shortest round trip.

It runs over the benchmark's own TCP port, before any cell, so it crosses whatever firewall
the benchmark itself crosses.
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import asdict, dataclass

_STAMP = struct.Struct("!q")
PING = b"fwbclock"


@dataclass(frozen=True)
class Offset:
    """The reference's clock minus this host's clock, from the best of ``samples`` pings."""

    offset_ns: int
    rtt_ns: int
    bound_ns: int  # |error| <= bound_ns: half the best round trip
    samples: int
    rtt_median_ns: int

    def as_dict(self) -> dict[str, float | int]:
        return {**asdict(self), "offset_ms": self.offset_ns / 1e6, "bound_ms": self.bound_ns / 1e6}


def estimate(samples: list[tuple[int, int, int]]) -> Offset:
    """Offset from ``(t0, ts, t3)`` samples: t0/t3 local send/receive, ts the reference's stamp."""
    if not samples:
        raise ValueError("no clock samples")
    for t0, _, t3 in samples:
        if t3 < t0:
            raise ValueError(f"a sample ends before it starts: {t0} > {t3}")
    t0, ts, t3 = min(samples, key=lambda s: s[2] - s[0])
    rtts = sorted(s[2] - s[0] for s in samples)
    return Offset(offset_ns=ts - (t0 + t3) // 2, rtt_ns=t3 - t0, bound_ns=(t3 - t0 + 1) // 2,
                  samples=len(samples), rtt_median_ns=rtts[len(rtts) // 2])


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the clock reference closed the connection")
        data += chunk
    return data


def _connect(host: str, port: int, wait_s: float) -> socket.socket:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


def probe(host: str, port: int, count: int = 64, wait_s: float = 20.0) -> Offset:
    """Ping the reference ``count`` times over one connection (retry the connect for ``wait_s``)."""
    samples: list[tuple[int, int, int]] = []
    with _connect(host, port, wait_s) as sock:
        for _ in range(count):
            t0 = time.time_ns()
            sock.sendall(PING)
            stamp = _STAMP.unpack(_recv_exactly(sock, _STAMP.size))[0]
            samples.append((t0, stamp, time.time_ns()))
    return estimate(samples)


def serve(bind: str, port: int, clients: int, seconds: float) -> int:
    """Answer the pings of up to ``clients`` probes, one after another; stop after ``seconds``.

    Returns how many probes were served (a connection that never sent a valid ping is not one).
    """
    deadline = time.monotonic() + seconds
    served = 0
    with socket.create_server((bind, port), reuse_port=False) as listener:
        while served < clients:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            listener.settimeout(remaining)
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                break
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn.settimeout(max(deadline - time.monotonic(), 0.1))
                served += _answer(conn)
    return served


def _answer(conn: socket.socket) -> bool:
    """Answer pings until the peer closes; whether it sent at least one valid ping."""
    answered = False
    try:
        while True:
            ping = _recv_exactly(conn, len(PING))
            if ping != PING:
                return answered  # not our protocol: drop the connection
            conn.sendall(_STAMP.pack(time.time_ns()))
            answered = True
    except (ConnectionError, TimeoutError):
        return answered

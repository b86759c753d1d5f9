"""The fast engine: asyncio (+ uvloop when installed), hand-written HTTP/1.1 keep-alive.

One ``_Conn`` protocol object per TCP connection, callbacks only (no per-request task, future or
timer handle): a response completes inside ``data_received``, is recorded, and the next request of
that connection (closed loop) or the next queued request (open loop) is written from the same
callback. Requests are pre-encoded bytes. Timeouts are enforced by one periodic sweeper (precision
``timeout/4``, at most 100 ms) instead of a timer per request.

Open loop: request ``i`` is due at ``t0 + i/R`` (a shared step, client/share.py: request ``seq``
of the whole step at ``t0 + seq/R_step``, each client sending every K-th). A timer wakes the
scheduler, which sends every due request on an idle keep-alive connection, opens a new connection
when none is idle (up to the connection limit), or queues the request (counted as a
connection-limit hit). Latency is measured from the scheduled time, so a stalled server or a late
client shows up in full.

Closed loop: C workers, each one connection, each sending as soon as the previous answer arrived
(plus ``pause``). With iterations they share one counter (k6 shared-iterations); with a duration
they stop issuing at the deadline and finish their last request (k6 constant-vus).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import deque

from client.clock import now
from client.constants import CONNECT_ERROR_BACKOFF_S
from client.engine import EngineFacts, start_time, status_error
from client.http11 import ProtocolError, ResponseParser, encode_request, split_url
from client.plan import LoadPlan
from client.recorder import Recorder


def _exc_error(exc: BaseException | None) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "reset"
    return "other"


class _Conn(asyncio.Protocol):
    __slots__ = ("alive", "busy", "eng", "parser", "retired", "sched", "sent", "seq",
                 "transport", "worker")

    def __init__(self, eng: FastEngine, worker: int) -> None:
        self.eng = eng
        self.worker = worker
        self.transport: asyncio.Transport | None = None
        self.parser = ResponseParser()
        self.parser.head_method = eng.head_method
        self.busy = False
        self.alive = False
        self.retired = False
        self.seq = 0
        self.sched = -1
        self.sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.alive = True

    def send(self, seq: int, sched: int, data: bytes, sent: int | None = None) -> None:
        """Write one request; ``sent`` (perf ns) when the request's time began earlier than now
        (a fresh connection per request: its connect is part of the request's latency)."""
        self.busy = True
        self.seq = seq
        self.sched = sched
        self.sent = now() if sent is None else sent
        self.transport.write(data)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        if not self.busy:
            self.close()  # bytes nobody asked for: this connection is unusable
            return
        try:
            complete = self.parser.feed(data)
        except ProtocolError:
            self.eng.finish(self, "protocol", keep=False)
            return
        if complete:
            p = self.parser
            status = p.status
            self.eng.finish(self, "" if 200 <= status < 300 else status_error(status),
                            p.keep_alive and not p.extra)

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        if self.busy:
            if self.parser.eof():
                self.eng.finish(self, status_error(self.parser.status), keep=False)
            elif exc is None:
                self.eng.finish(self, "protocol" if self.parser.started else "reset", keep=False)
            else:
                self.eng.finish(self, _exc_error(exc), keep=False)
        self.eng.retire(self)

    def close(self) -> None:
        self.alive = False
        if self.transport is not None:
            self.transport.abort()


class FastEngine:
    def __init__(self, plan: LoadPlan, recorder: Recorder) -> None:
        self.plan = plan
        self.rec = recorder
        self.record = recorder.record
        self.host, self.port, host_header, _ = split_url(plan.url_for("/"))
        # connection "new": every request on its own connection, announced with Connection:
        # close and closed after its answer, so each request pays its TCP connect
        self.fresh = plan.connection == "new"
        self.reqs = [encode_request(plan.method, host_header, path, body, close=self.fresh)
                     for path, body in plan.variants]
        self.nreq = len(self.reqs)
        self.head_method = plan.method == "HEAD"
        self.timeout_ns = int(plan.timeout_s * 1e9)
        self.facts = EngineFacts()
        self.open_loop = plan.rate is not None
        self.total = plan.total  # None: closed loop with a duration
        self.issued = 0
        self.finished = 0
        self.stopping = False
        self.conns: set[_Conn] = set()
        self.idle: list[_Conn] = []
        self.pending: deque[tuple[int, int]] = deque()
        self.open_count = 0
        self.limit = plan.connection_limit
        self.workers: list[_Conn | None] = []
        self.active_workers = 0
        self.remaining = plan.iterations
        self.deadline = 0
        self.t0 = 0
        self.period_ns = plan.schedule_period_ns
        self.seq_start = plan.seq_start  # global seq of request i: seq_start + i * seq_step
        self.seq_step = plan.seq_step
        self.start_at_perf: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.done: asyncio.Future[None] | None = None

    # ---- shared -------------------------------------------------------------------------------
    async def run(self) -> EngineFacts:
        loop = self.loop = asyncio.get_running_loop()
        self.rec.sink.attach(loop)
        self.done = loop.create_future()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop)
        try:
            if self.open_loop:
                await self._run_open()
            else:
                await self._run_closed()
            sweep = min(0.1, self.plan.timeout_s / 4)
            sweeper = loop.create_task(self._sweeper(sweep))
            guard = self.plan.expected_s + 2 * self.plan.timeout_s + 30
            try:
                await asyncio.wait_for(asyncio.shield(self.done), guard)
            except asyncio.TimeoutError:
                self.facts.guard_tripped = True
            sweeper.cancel()
        finally:
            self.facts.end_perf = now()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)
            for conn in list(self.conns):
                conn.close()
            self.rec.sink.flush()
        return self.facts

    def stop(self) -> None:
        """SIGINT/SIGTERM: send nothing new, let requests in flight finish."""
        self.stopping = True
        self.facts.interrupted = True
        if self.open_loop:
            self.total = self.issued
            while self.pending:  # queued, never sent: not requests of this run
                self.pending.popleft()
                self.total -= 1
            self._check_done()

    def _check_done(self) -> None:
        if self.done is None or self.done.done():
            return
        if self.open_loop:
            if self.finished >= (self.total or 0) and self.issued >= (self.total or 0):
                self.done.set_result(None)
        elif self.active_workers == 0:
            self.done.set_result(None)

    def _new_conn(self, worker: int) -> _Conn:
        conn = _Conn(self, worker)
        self.facts.connections_opened += 1
        return conn

    async def _connect(self, conn: _Conn) -> None:
        assert self.loop is not None
        await asyncio.wait_for(
            self.loop.create_connection(lambda: conn, self.host, self.port), self.plan.timeout_s)
        self.conns.add(conn)

    def finish(self, conn: _Conn, err: str, keep: bool) -> None:
        """A request on ``conn`` is over (answer, error or timeout): record it, reuse or retire."""
        done = now()
        conn.busy = False
        p = conn.parser
        self.record(conn.seq, conn.worker, conn.sched, conn.sent, done, p.status, p.body_bytes, err)
        p.reset()
        self.finished += 1
        if not keep or not conn.alive or self.fresh:
            conn.close()
            self.retire(conn)
        if self.open_loop:
            if conn.alive and not conn.retired:
                if self.pending:
                    seq, sched = self.pending.popleft()
                    conn.send(seq, sched, self.reqs[seq % self.nreq])
                else:
                    self.idle.append(conn)
            self._check_done()
        elif self.plan.pause_s > 0:
            self.loop.call_later(self.plan.pause_s, self._issue, conn.worker)  # type: ignore[union-attr]
        else:
            self._issue(conn.worker)

    def retire(self, conn: _Conn) -> None:
        if conn.retired:
            return
        conn.retired = True
        conn.alive = False
        self.conns.discard(conn)
        if self.open_loop:
            self.open_count -= 1
            if conn in self.idle:
                self.idle.remove(conn)
            if self.pending and self.open_count < self.limit:
                seq, sched = self.pending.popleft()
                self._open_and_send(seq, sched)

    async def _sweeper(self, interval: float) -> None:
        timeout = self.timeout_ns
        while True:
            await asyncio.sleep(interval)
            t = now()
            for conn in list(self.conns):
                if conn.busy and t - conn.sent > timeout:
                    self.finish(conn, "timeout", keep=False)
            pending = self.pending
            while pending and t - pending[0][1] > timeout:
                seq, sched = pending.popleft()
                self._record_failure(seq, 0, sched, -1, "timeout")
                self._check_done()

    def _record_failure(self, seq: int, worker: int, sched: int, sent: int, err: str) -> None:
        self.record(seq, worker, sched, sent, now(), 0, 0, err)
        self.finished += 1

    # ---- open loop ----------------------------------------------------------------------------
    async def _run_open(self) -> None:
        # Open a few connections before the clock starts; more are opened on demand.
        warm = 0 if self.fresh else min(self.limit, 4)
        for _ in range(warm):
            conn = self._new_conn(self.facts.connections_opened)
            try:
                await self._connect(conn)
            except (OSError, asyncio.TimeoutError):
                break
            self.open_count += 1
            self.idle.append(conn)
        self.facts.max_open = self.open_count
        self.t0 = start_time(self.start_at_perf, 1_000_000, self.facts)
        self.facts.t0_perf = self.t0
        self.loop.call_later((self.t0 - now()) / 1e9, self._tick)  # type: ignore[union-attr]

    def _tick(self) -> None:
        if self.stopping:
            return
        t = now()
        i = self.issued
        total = self.total or 0
        t0 = self.t0
        period = self.period_ns
        start, step = self.seq_start, self.seq_step
        sched = t0
        while i < total:
            seq = start + i * step
            sched = t0 + int(seq * period)
            if sched > t:
                break
            self.issued = i + 1
            self._dispatch(seq, sched)
            i += 1
        if i < total:
            self.loop.call_later(max(0, sched - now()) / 1e9, self._tick)  # type: ignore[union-attr]
        else:
            self._check_done()

    def _dispatch(self, seq: int, sched: int) -> None:
        if self.idle:
            self.idle.pop().send(seq, sched, self.reqs[seq % self.nreq])
        elif self.open_count < self.limit:
            self._open_and_send(seq, sched)
        else:
            self.facts.limit_hits += 1
            self.pending.append((seq, sched))

    def _open_and_send(self, seq: int, sched: int) -> None:
        self.open_count += 1
        if self.open_count > self.facts.max_open:
            self.facts.max_open = self.open_count
        self.loop.create_task(self._open_and_send_async(seq, sched))  # type: ignore[union-attr]

    async def _open_and_send_async(self, seq: int, sched: int) -> None:
        conn = self._new_conn(self.facts.connections_opened)
        started = now()
        try:
            await self._connect(conn)
        except (OSError, asyncio.TimeoutError) as exc:
            self.open_count -= 1
            self._record_failure(seq, conn.worker, sched, started, _exc_error(exc))
            if self.pending and self.open_count < self.limit:
                nseq, nsched = self.pending.popleft()
                self._open_and_send(nseq, nsched)
            self._check_done()
            return
        if not conn.alive:  # closed between connect and now
            self.conns.discard(conn)
            self.open_count -= 1
            self._record_failure(seq, conn.worker, sched, started, "reset")
            self._check_done()
            return
        conn.send(seq, sched, self.reqs[seq % self.nreq])

    # ---- closed loop --------------------------------------------------------------------------
    async def _run_closed(self) -> None:
        c = self.plan.concurrency or 1
        self.workers = [None] * c

        async def connect(w: int) -> None:
            conn = self._new_conn(w)
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await self._connect(conn)
                self.workers[w] = conn

        if not self.fresh:  # with a fresh connection per request, each request connects itself
            await asyncio.gather(*(connect(w) for w in range(c)))
        self.facts.max_open = sum(1 for x in self.workers if x is not None)
        t0 = start_time(self.start_at_perf, 0, self.facts)
        while (wait := t0 - now()) > 0:
            await asyncio.sleep(wait / 1e9)
        self.t0 = now()
        self.facts.t0_perf = self.t0
        if self.plan.duration_s is not None:
            self.deadline = self.t0 + int(self.plan.duration_s * 1e9)
        self.active_workers = c
        for w in range(c):
            self._issue(w)

    def _issue(self, w: int) -> None:
        if self.stopping:
            self._worker_done()
            return
        if self.remaining is not None:
            if self.remaining <= 0:
                self._worker_done()
                return
            self.remaining -= 1
        elif now() >= self.deadline:
            self._worker_done()
            return
        seq = self.seq_start + self.issued * self.seq_step
        self.issued += 1
        conn = self.workers[w]
        if conn is not None and conn.alive and not conn.busy:
            conn.send(seq, -1, self.reqs[seq % self.nreq])
        else:
            self.loop.create_task(self._reconnect_and_send(w, seq))  # type: ignore[union-attr]

    def _worker_done(self) -> None:
        self.active_workers -= 1
        self._check_done()

    async def _reconnect_and_send(self, w: int, seq: int) -> None:
        conn = self._new_conn(w)
        started = now()
        try:
            await self._connect(conn)
        except (OSError, asyncio.TimeoutError) as exc:
            self.workers[w] = None
            self._record_failure(seq, w, -1, started, _exc_error(exc))
            self.loop.call_later(CONNECT_ERROR_BACKOFF_S, self._issue, w)  # type: ignore[union-attr]
            return
        self.workers[w] = conn
        if not conn.alive:
            self.conns.discard(conn)
            self._record_failure(seq, w, -1, started, "reset")
            self.loop.call_later(CONNECT_ERROR_BACKOFF_S, self._issue, w)  # type: ignore[union-attr]
            return
        conn.send(seq, -1, self.reqs[seq % self.nreq], started if self.fresh else None)


def new_event_loop() -> tuple[asyncio.AbstractEventLoop, str]:
    """uvloop when importable, else the standard loop; returns (loop, name)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop(), "asyncio"
    return uvloop.new_event_loop(), "uvloop"

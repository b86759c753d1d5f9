"""The papers' method: python-requests, one Session per worker thread, one request at a time.

Closed loop: ``concurrency`` threads; with iterations they share one counter, with a duration each
runs until the deadline; ``pause`` sleeps after every request (paper 2's ``time.sleep(0.005)``).
Open loop: a pool of threads takes request ``i`` from a shared counter, sleeps until its scheduled
time ``t0 + i/R`` and sends it; when every thread is busy the request goes out late and its latency
(from the scheduled time) says so.

``sent_ns`` is taken just before ``Session.request`` and ``done_ns`` after the whole body was read,
so the figures include python-requests' own overhead, exactly like the papers' clients.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from typing import Any

from client.clock import now
from client.constants import DEFAULT_REQUESTS_OPEN_WORKERS
from client.engine import EngineFacts, start_time, status_error
from client.plan import LoadPlan
from client.recorder import Recorder


def classify_exception(exc: BaseException) -> str:
    """Map a requests/urllib3/socket exception (and its causes) to an error class."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout"
    seen: set[int] = set()
    stack: list[Any] = [exc]
    found: list[str] = []
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        name = type(e).__name__
        if isinstance(e, (TimeoutError,)) or name in ("ReadTimeoutError", "ConnectTimeoutError"):
            found.append("timeout")
        elif isinstance(e, ConnectionRefusedError) or (name == "NewConnectionError" and \
                "refused" in str(e).lower()):
            found.append("refused")
        elif isinstance(e, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)) or \
                name == "RemoteDisconnected":
            found.append("reset")
        elif name in ("BadStatusLine", "LineTooLong", "InvalidChunkLength", "IncompleteRead",
                      "ChunkedEncodingError", "ContentDecodingError", "InvalidHeader",
                      "HeaderParsingError", "LocationParseError"):
            found.append("protocol")
        stack.extend(a for a in e.args if isinstance(a, BaseException))
        stack.extend(x for x in (e.__cause__, e.__context__, getattr(e, "reason", None)) if x)
    for cls in ("timeout", "refused", "reset", "protocol"):
        if cls in found:
            return cls
    return "other"


class RequestsEngine:
    def __init__(self, plan: LoadPlan, recorder: Recorder) -> None:
        self.plan = plan
        self.rec = recorder
        self.facts = EngineFacts()
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.counter = itertools.count()
        self.urls = [(plan.url_for(path), body) for path, body in plan.variants]
        self.total = plan.total
        # connection "new": requests.request() per request, a fresh Session and TCP connection
        # each time, exactly what the papers' `requests.get(url)` in a loop does
        self.fresh = plan.connection == "new"
        self.fresh_opened = 0
        self.deadline = 0
        self.t0 = 0
        self.start_at_perf: int | None = None

    def stop(self) -> None:
        self.stop_event.set()
        self.facts.interrupted = True

    def run(self) -> EngineFacts:
        import requests

        open_loop = self.plan.rate is not None
        if open_loop:
            n = self.plan.max_connections or DEFAULT_REQUESTS_OPEN_WORKERS
            n = min(n, self.total or n)
        else:
            n = self.plan.concurrency or 1
        sessions = []
        for _ in range(n):
            s = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=1,
                                                    max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            sessions.append(s)
        self.facts.max_open = n
        old = _install_signals(self.stop)
        self.t0 = start_time(self.start_at_perf, 2_000_000, self.facts)
        self.facts.t0_perf = self.t0
        if self.plan.duration_s is not None:
            self.deadline = self.t0 + int(self.plan.duration_s * 1e9)
        target = self._open_worker if open_loop else self._closed_worker
        threads = [threading.Thread(target=target, args=(w, sessions[w]), daemon=True,
                                    name=f"fwbench-worker-{w}") for w in range(n)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                while t.is_alive():
                    t.join(0.2)
        finally:
            _restore_signals(old)
            self.facts.end_perf = now()
            kept = sum(_connections_made(s) for s in sessions)
            for s in sessions:
                s.close()
        self.facts.connections_opened = self.fresh_opened if self.fresh else kept
        return self.facts

    def _one(self, session: Any, seq: int, worker: int, sched: int) -> None:
        url, body = self.urls[seq % len(self.urls)]
        headers = {"Content-Type": "application/json"} if body is not None else None
        sent = now()
        status = 0
        nbytes = 0
        try:
            if self.fresh:
                import requests

                with self.lock:
                    self.fresh_opened += 1
                resp = requests.request(self.plan.method, url, data=body, headers=headers,
                                        timeout=self.plan.timeout_s, allow_redirects=False)
            else:
                resp = session.request(self.plan.method, url, data=body, headers=headers,
                                       timeout=self.plan.timeout_s, allow_redirects=False)
            content = resp.content
            status = resp.status_code
            nbytes = len(content)
            err = status_error(status)
        except Exception as exc:
            err = classify_exception(exc)
        done = now()
        with self.lock:
            self.rec.record(seq, worker, sched, sent, done, status, nbytes, err)

    def _closed_worker(self, worker: int, session: Any) -> None:
        _wait_until(self.t0)
        pause = self.plan.pause_s
        total = self.total
        while not self.stop_event.is_set():
            if total is None:
                if now() >= self.deadline:
                    return
                with self.lock:
                    seq = next(self.counter)
            else:
                with self.lock:
                    seq = next(self.counter)
                if seq >= total:
                    return
            self._one(session, self.plan.global_seq(seq), worker, -1)
            if pause > 0:
                time.sleep(pause)

    def _open_worker(self, worker: int, session: Any) -> None:
        period = self.plan.schedule_period_ns
        total = self.total or 0
        while not self.stop_event.is_set():
            with self.lock:
                i = next(self.counter)
            if i >= total:
                return
            seq = self.plan.global_seq(i)
            sched = self.t0 + int(seq * period)
            _wait_until(sched)
            self._one(session, seq, worker, sched)


def _connections_made(session: Any) -> int:
    """TCP connections a keep-alive Session opened (urllib3's per-pool count)."""
    total = 0
    for adapter in {id(a): a for a in session.adapters.values()}.values():
        pools = getattr(getattr(adapter, "poolmanager", None), "pools", None)
        for key in list(pools.keys()) if pools is not None else []:
            total += getattr(pools[key], "num_connections", 0)
    return total


def _wait_until(target: int) -> None:
    while True:
        remaining = target - now()
        if remaining <= 0:
            return
        time.sleep(remaining / 1e9)


def _install_signals(handler: Any) -> dict[int, Any]:
    old: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return old
    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, lambda *_: handler())
    return old


def _restore_signals(old: dict[int, Any]) -> None:
    for sig, h in old.items():
        signal.signal(sig, h)

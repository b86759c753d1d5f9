"""What a load run produced: every finished request goes through a Recorder, which writes its CSV
row and keeps the few arrays the summary needs. ``result_from_csv`` rebuilds the same RunResult
from a requests.csv, so the summary can always be recomputed from the file."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from client.clock import Clock
from client.constants import TIMEOUT
from client.csvfile import Row, RowSink, read_rows

_ERR_CACHE: dict[str, bytes] = {"": b""}

MAXINT = 2**63 - 1


@dataclass
class RunResult:
    """Raw figures of one load run (times are ns since the Unix epoch)."""

    model: str  # "open" | "closed"
    requests: int = 0
    error_classes: dict[str, int] = field(default_factory=dict)
    # latency samples: successes, and timeouts at the time they were abandoned (censored)
    latencies_ns: array = field(default_factory=lambda: array("q"))
    censored: int = 0  # timed-out requests among latencies_ns
    done_ns: array = field(default_factory=lambda: array("q"))  # every completion, as recorded
    lateness_ns: array = field(default_factory=lambda: array("q"))  # open loop, sent requests
    first_origin_ns: int = MAXINT  # first scheduled_ns (open) / sent_ns (closed)
    first_done_ns: int = MAXINT
    last_done_ns: int = 0
    first_sent_ns: int = MAXINT
    last_sent_ns: int = 0
    sent: int = 0

    @property
    def errors(self) -> int:
        return sum(self.error_classes.values())

    @property
    def started_ns(self) -> int | None:
        return self.first_origin_ns if self.requests else None

    @property
    def ended_ns(self) -> int | None:
        return self.last_done_ns if self.requests else None

    def add(self, sched: int | None, sent: int | None, done: int, err: str) -> None:
        """Account one request (epoch ns; ``sched`` None in closed loop, ``sent`` None if the
        request never left the client)."""
        self.requests += 1
        origin = sched if sched is not None else sent
        if origin is None:
            origin = done
        if origin < self.first_origin_ns:
            self.first_origin_ns = origin
        if done < self.first_done_ns:
            self.first_done_ns = done
        if done > self.last_done_ns:
            self.last_done_ns = done
        if sent is not None:
            self.sent += 1
            if sent < self.first_sent_ns:
                self.first_sent_ns = sent
            if sent > self.last_sent_ns:
                self.last_sent_ns = sent
            if sched is not None:
                self.lateness_ns.append(sent - sched)
        self.done_ns.append(done)
        if err:
            self.error_classes[err] = self.error_classes.get(err, 0) + 1
            if err == TIMEOUT:
                self.censored += 1
                self.latencies_ns.append(done - origin)
        else:
            self.latencies_ns.append(done - origin)


class Recorder:
    """Hot-path recording: format the CSV row and account the request. Times are perf_counter_ns
    readings; ``sched < 0`` means closed loop, ``sent < 0`` means never sent.

    ``record`` does what ``RunResult.add`` does (kept in step with it, checked by the unit tests),
    inlined: it runs once per request at tens of thousands of requests per second."""

    def __init__(self, model: str, sink: RowSink, clock: Clock, batched: bool) -> None:
        self.result = RunResult(model=model)
        self.sink = sink
        self.off = clock.offset
        self._emit: Callable[[bytes], None] = sink.add if batched else sink.write_now
        self._write_rows = sink.enabled

    def record(self, seq: int, worker: int, sched: int, sent: int, done: int, status: int,
               nbytes: int, err: str) -> None:
        off = self.off
        res = self.result
        e_done = done + off
        res.requests += 1
        res.done_ns.append(e_done)
        if e_done < res.first_done_ns:
            res.first_done_ns = e_done
        if e_done > res.last_done_ns:
            res.last_done_ns = e_done
        if sent >= 0:
            e_sent = sent + off
            res.sent += 1
            if e_sent < res.first_sent_ns:
                res.first_sent_ns = e_sent
            if e_sent > res.last_sent_ns:
                res.last_sent_ns = e_sent
            if sched >= 0:
                origin = sched + off
                res.lateness_ns.append(e_sent - origin)
            else:
                origin = e_sent
        else:
            e_sent = 0
            origin = sched + off if sched >= 0 else e_done
        if origin < res.first_origin_ns:
            res.first_origin_ns = origin
        if err:
            classes = res.error_classes
            classes[err] = classes.get(err, 0) + 1
            if err == TIMEOUT:
                res.censored += 1
                res.latencies_ns.append(e_done - origin)
        else:
            res.latencies_ns.append(e_done - origin)
        if self._write_rows:
            eb = _ERR_CACHE.get(err)
            if eb is None:
                eb = _err_bytes(err)
            if sched < 0:
                if sent >= 0:
                    row = b"%d,%d,,%d,%d,%d,%d,%b\n" % (seq, worker, e_sent, e_done, status,
                                                        nbytes, eb)
                else:
                    row = b"%d,%d,,,%d,%d,%d,%b\n" % (seq, worker, e_done, status, nbytes, eb)
            elif sent >= 0:
                row = b"%d,%d,%d,%d,%d,%d,%d,%b\n" % (seq, worker, origin, e_sent, e_done,
                                                      status, nbytes, eb)
            else:
                row = b"%d,%d,%d,,%d,%d,%d,%b\n" % (seq, worker, origin, e_done, status,
                                                    nbytes, eb)
            self._emit(row)


def _err_bytes(err: str) -> bytes:
    b = _ERR_CACHE.get(err)
    if b is None:
        b = _ERR_CACHE[err] = err.encode()
    return b


def result_from_rows(rows: Iterable[Row], model: str | None = None) -> RunResult:
    """Rebuild a RunResult from CSV rows (without ``model``: open loop if scheduled_ns is set)."""
    rows = list(rows)
    if model is None:
        model = "open" if any(r.scheduled_ns is not None for r in rows) else "closed"
    res = RunResult(model=model)
    for r in rows:
        res.add(r.scheduled_ns, r.sent_ns, r.done_ns, r.error)
    return res


def result_from_csv(path: str | os.PathLike[str], model: str | None = None) -> RunResult:
    return result_from_rows(read_rows(path), model)

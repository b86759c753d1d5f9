"""What a load run produced: every finished request goes through a Recorder, which writes its CSV
row and keeps the few arrays the summary needs. ``result_from_csv`` rebuilds the same RunResult
from a requests.csv, so the summary can always be recomputed from the file."""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from client.clock import Clock
from client.csvfile import Row, RowSink, read_rows

_ERR_CACHE: dict[str, bytes] = {}

MAXINT = 2**63 - 1


@dataclass
class RunResult:
    """Raw figures of one load run (times are ns since the Unix epoch)."""

    model: str  # "open" | "closed"
    requests: int = 0
    error_classes: dict[str, int] = field(default_factory=dict)
    latencies_ns: array = field(default_factory=lambda: array("q"))  # successes only
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
        if err:
            self.error_classes[err] = self.error_classes.get(err, 0) + 1
        else:
            self.latencies_ns.append(done - origin)


class Recorder:
    """Hot-path recording: format the CSV row and account the request. Times are perf_counter_ns
    readings; ``sched < 0`` means closed loop, ``sent < 0`` means never sent."""

    def __init__(self, model: str, sink: RowSink, clock: Clock, batched: bool) -> None:
        self.result = RunResult(model=model)
        self.sink = sink
        self.off = clock.offset
        self._emit: Callable[[bytes], None] = sink.add if batched else sink.write_now
        self._write_rows = sink.enabled

    def record(self, seq: int, worker: int, sched: int, sent: int, done: int, status: int,
               nbytes: int, err: str) -> None:
        off = self.off
        e_done = done + off
        e_sched = sched + off if sched >= 0 else None
        e_sent = sent + off if sent >= 0 else None
        if self._write_rows:
            eb = _ERR_CACHE.get(err) or _err_bytes(err)
            if e_sched is None:
                if e_sent is not None:
                    row = b"%d,%d,,%d,%d,%d,%d,%b\n" % (seq, worker, e_sent, e_done, status,
                                                        nbytes, eb)
                else:
                    row = b"%d,%d,,,%d,%d,%d,%b\n" % (seq, worker, e_done, status, nbytes, eb)
            elif e_sent is not None:
                row = b"%d,%d,%d,%d,%d,%d,%d,%b\n" % (seq, worker, e_sched, e_sent, e_done,
                                                      status, nbytes, eb)
            else:
                row = b"%d,%d,%d,,%d,%d,%d,%b\n" % (seq, worker, e_sched, e_done, status,
                                                    nbytes, eb)
            self._emit(row)
        self.result.add(e_sched, e_sent, e_done, err)


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

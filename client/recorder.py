"""Recording a load run: every finished request goes through a Recorder, which writes its CSV
row and keeps the few arrays the summary needs, in a ``RunResult`` (runfiles/run_result.py, which
also rebuilds the same RunResult from a requests.csv, so the summary can always be recomputed from
the file)."""

from __future__ import annotations

from collections.abc import Callable

from client.clock import Clock
from runfiles.constants import TIMEOUT
from runfiles.requests_csv import RowSink
from runfiles.run_result import RunResult

_ERR_CACHE: dict[str, bytes] = {"": b""}


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

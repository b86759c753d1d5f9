"""What a load run produced, as figures: ``RunResult`` holds the counts, times and the few arrays
the summary needs. The client fills it request by request (client/recorder.py);
``result_from_rows`` / ``result_from_csv`` rebuild the same RunResult from requests.csv rows, so
the summary can always be recomputed from the file (``merge``, the report's synthetic runs)."""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

from runfiles.constants import TIMEOUT
from runfiles.requests_csv import Row, read_rows

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


def combined(results: Iterable[RunResult]) -> RunResult:
    """One RunResult of runs that form one measured phase (the blocks of ``client run
    --min-measure-s``): the same figures as ``result_from_rows`` over all their rows."""
    results = list(results)
    out = RunResult(model=results[0].model if results else "closed")
    for r in results:
        out.requests += r.requests
        for err, n in r.error_classes.items():
            out.error_classes[err] = out.error_classes.get(err, 0) + n
        out.latencies_ns.extend(r.latencies_ns)
        out.censored += r.censored
        out.done_ns.extend(r.done_ns)
        out.lateness_ns.extend(r.lateness_ns)
        out.first_origin_ns = min(out.first_origin_ns, r.first_origin_ns)
        out.first_done_ns = min(out.first_done_ns, r.first_done_ns)
        out.last_done_ns = max(out.last_done_ns, r.last_done_ns)
        out.first_sent_ns = min(out.first_sent_ns, r.first_sent_ns)
        out.last_sent_ns = max(out.last_sent_ns, r.last_sent_ns)
        out.sent += r.sent
    return out


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

"""The measured warm-up (``run --warmup measured``): warm what the cell measures.

It replaces the scenario's own warm-up steps and pause with two unrecorded steps and a pause:

1. ``GET /hello``, ``HELLO_REQUESTS`` requests: the framework, its HTTP layer and the
   connections, without the database.
2. the measured request itself — same method, path, body shape and id mode, same engine,
   connection mode, per-request pause and timeout — on the measured load model: a closed loop
   at the measured concurrency, at least ``MIN_CONCURRENCY`` connections, for ``MIN_S`` seconds
   and at least ``MIN_REQUESTS`` requests (topped up when the duration sent fewer); an open loop
   at the measured rate, ``max(MIN_REQUESTS, MIN_S × rate)`` requests.
3. a pause of ``PAUSE_S`` seconds (× ``--scale``) before measuring.

Why this length: the report's warm-up-effect rule (reports/analysis/warmup.py) compares the mean
of a repetition's first max(10, 1% of n) requests with the median of the rest. A cold path
(lazy imports, a worker's or thread's first database connection, a connection pool, the
serializer's first run) costs once per worker, thread or pooled connection; 100 requests over at
least 4 connections reach every worker and thread of the lab servers (2 workers × 2 threads)
many times over, and a second of load at the measured concurrency fills the pools the measured
phase will use. The request counts are not scaled: a warm-up shorter than that would not warm.

Writes keep the data the measured phase needs:

* a create (``POST /items/``) warms by creating: its ``{seq}`` start at ``SEQ_OFFSET``, so no
  warm-up item shares a name with a measured one;
* an update (``PUT /items/{id}``, random ids) warms by updating random ids of the same range
  (a full replace of a row that stays there);
* a step with sequential ids (a delete: each id used once) deletes ``MIN_REQUESTS`` ids from the
  top of its range (``ids.max``) and lowers ``ids.max`` by as many, so the measured phase and its
  repeats never meet a deleted id; without room there (no ``ids.max``, or fewer than
  ``MIN_REQUESTS`` spare ids) it warms with ``GET`` of the same path on the measured ids.

A capacity scenario keeps its own warm-up: its cost step already warms the measured request.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from client.plan import LoadPlan
from client.scenarios import Scenario, Step

HELLO_PATH = "/hello"
HELLO_REQUESTS = 50
MIN_REQUESTS = 100
MIN_S = 1.0
MIN_CONCURRENCY = 4
PAUSE_S = 1.0
SEQ_OFFSET = 1_000_000_000
_REQUEST_KEYS = ("method", "path", "body", "ids", "engine", "timeout_s", "connection",
                 "pause_s", "max_connections")


def measured_warmup(scen: Scenario, scale: float = 1.0) -> Scenario:
    """``scen`` (already scaled) with the measured warm-up instead of its own; unchanged for a
    capacity scenario."""
    if scen.capacity is not None:
        return scen
    m = scen.measure.spec
    same = {k: m[k] for k in ("engine", "timeout_s", "connection") if k in m}
    closed = m.get("rate") is None
    conc = max(int(m.get("concurrency") or 1), MIN_CONCURRENCY)
    hello = Step({"method": "GET", "path": HELLO_PATH, **same,
                  "concurrency": min(conc, HELLO_REQUESTS), "iterations": HELLO_REQUESTS})
    endpoint: dict[str, Any] = {k: m[k] for k in _REQUEST_KEYS if k in m}
    if closed:
        endpoint.update({"concurrency": conc, "duration_s": MIN_S, "min_requests": MIN_REQUESTS})
    else:
        endpoint.update({"rate": m["rate"],
                         "iterations": max(MIN_REQUESTS, math.ceil(MIN_S * m["rate"]))})
    measure = scen.measure
    ids = m.get("ids")
    if ids and ids.get("mode") == "sequential":
        start = ids.get("start", 1)
        last = start + m["iterations"] - 1
        spare = ids.get("max", 0) - last
        if spare >= MIN_REQUESTS:  # delete the top ids, which the measured phase never reaches
            top = ids["max"] - MIN_REQUESTS + 1
            endpoint["ids"] = {"mode": "sequential", "start": top, "max": ids["max"]}
            endpoint["iterations"] = MIN_REQUESTS
            if closed:
                endpoint["concurrency"] = min(conc, MIN_REQUESTS)
                del endpoint["duration_s"], endpoint["min_requests"]
            measure = Step({**m, "ids": {**ids, "max": top - 1}})
        else:  # no spare ids: read the same path instead
            endpoint.pop("body", None)
            endpoint.update({"method": "GET",
                             "ids": {"mode": "random", "min": start, "max": last}})
    else:  # {seq} in a body (a create's names): numbers no measured request uses
        endpoint["seq_offset"] = SEQ_OFFSET
    return Scenario(scen.name, scen.data, (hello, Step(endpoint)), measure, PAUSE_S * scale)


def top_up(plan: LoadPlan, sent: int, wanted: int) -> LoadPlan | None:
    """The rest of a closed-loop warm-up step whose duration sent fewer than ``wanted`` requests
    (``min_requests``): the missing ones as shared iterations; None when nothing is missing."""
    missing = wanted - sent
    if missing <= 0 or plan.rate is not None:
        return None
    return replace(plan, duration_s=None, iterations=missing,
                   concurrency=min(plan.concurrency or 1, missing))

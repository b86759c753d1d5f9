"""A battery over HTTP for races, nesting and chunked bodies, on every variant of the matrix.

Starts each variant's real server on 127.0.0.1 as tests/contract/test_http_servers.py does (2
workers x 2 threads, freshly seeded database), fires the cases below at it, stops it by its PID,
and prints the cases tried and the failures per variant and per stack. Exit status 1 if any case
failed. Not collected by pytest; run it from the repository root:

    .venv/bin/python tests/contract/battery.py                  # every variant of the matrix
    .venv/bin/python tests/contract/battery.py --pairs 100 --variants django_drf-daphne,...
    .venv/bin/python tests/contract/battery.py --json battery.json

Cases (a failure is any other answer, a 5xx, or no answer at all):
  put-delete     PUT and DELETE of one fresh item at the same moment: DELETE 204, PUT 200 with
                 the new fields or 404, then GET 404 (no resurrected row).
  delete-delete  two DELETEs of one fresh item at the same moment: one 204, one 404, then GET 404.
  post-delete    POST of a new item and DELETE of the id it will get, at the same moment: POST 201,
                 DELETE 204 or 404, no 5xx.
  nesting-limit  arrays nested MAX_JSON_DEPTH levels deep to /echo: 200; one more level: 400.
  nesting-900-1000  arrays nested 900..1000 levels deep to /echo (every depth) and to /post and
                 POST /items (every 10th depth): 400.
  chunked-small  a small item POSTed chunked: 201 and stored as sent.
  chunked-1.5MiB a 1.5 MiB chunked item (valid JSON if cut at 1 MiB): 413, nothing stored.
  chunked-bad    broken chunk framing (a size that is not hex; a chunk longer than its size): 4xx,
                 nothing stored.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from contract_client import HTTPClient, Reply, chunked
from test_http_servers import VARIANTS, Variant, running

from apps.common import MAX_BODY_BYTES, MAX_JSON_DEPTH

JSON = {"Content-Type": "application/json"}
Results = dict[str, list[int]]  # case -> [tried, failed]
Answer = Reply | Exception


class Battery:
    def __init__(self, client: HTTPClient, pairs: int) -> None:
        self.client = client
        self.pairs = pairs
        self.results: Results = defaultdict(lambda: [0, 0])
        self.examples: dict[str, str] = {}
        self.pool = ThreadPoolExecutor(2)

    def record(self, case: str, ok: bool, detail: str) -> None:
        self.results[case][0] += 1
        if not ok:
            self.results[case][1] += 1
            self.examples.setdefault(case, detail)

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> Answer:
        """One request; a reset or a timeout is returned (it is a failure, not a crash)."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        try:
            return self.client.request(method, path, data, JSON if data is not None else None)
        except Exception as exc:
            return exc

    def call_chunked(self, method: str, path: str, raw: bytes) -> Answer:
        try:
            return self.client.request_chunked(method, path, raw, JSON)
        except Exception as exc:
            return exc

    def at_once(self, *calls: Callable[[], Answer]) -> list[Answer]:
        barrier = threading.Barrier(len(calls))

        def run(call: Callable[[], Answer]) -> Answer:
            barrier.wait(timeout=30)
            return call()

        return [f.result() for f in [self.pool.submit(run, call) for call in calls]]

    def create(self, name: str) -> int:
        reply = self.call("POST", "/items", {"name": name, "price": 1})
        assert isinstance(reply, Reply) and reply.status == 201, _show(reply)
        return reply.json()["id"]

    def count(self) -> int | None:
        reply = self.call("GET", "/healthz")
        return reply.json()["items"] if _status(reply) == 200 else None

    def race_put_delete(self) -> None:
        for n in range(self.pairs):
            item_id = self.create(f"pd-{n}")
            path = f"/items/{item_id}"
            fields = {"name": f"pd-new-{n}", "description": "", "price": 2.0}
            put, delete = self.at_once(
                partial(self.call, "PUT", path, fields), partial(self.call, "DELETE", path)
            )
            after = self.call("GET", path)
            put_ok = _status(put) == 404 or (
                isinstance(put, Reply)
                and put.status == 200
                and put.json() == {**fields, "id": item_id}
            )
            ok = put_ok and _status(delete) == 204 and _status(after) == 404
            detail = f"PUT {_show(put)} DELETE {_show(delete)} GET after {_show(after)}"
            self.record("put-delete", ok, detail)

    def race_delete_delete(self) -> None:
        for n in range(self.pairs):
            path = f"/items/{self.create(f'dd-{n}')}"
            replies = self.at_once(*[partial(self.call, "DELETE", path)] * 2)
            after = self.call("GET", path)
            ok = sorted(map(_status, replies)) == [204, 404] and _status(after) == 404
            self.record("delete-delete", ok, f"DELETEs {[_show(r) for r in replies]}")

    def race_post_delete(self) -> None:
        for n in range(self.pairs):
            next_id = self.create(f"pd-probe-{n}") + 1
            post, delete = self.at_once(
                partial(self.call, "POST", "/items", {"name": f"post-{n}", "price": 1}),
                partial(self.call, "DELETE", f"/items/{next_id}"),
            )
            ok = _status(post) == 201 and _status(delete) in (204, 404)
            self.record("post-delete", ok, f"POST {_show(post)} DELETE {_show(delete)}")

    def nesting(self) -> None:
        def deep(depth: int) -> bytes:
            return b"[" * depth + b"]" * depth

        for depth, status in ((MAX_JSON_DEPTH, 200), (MAX_JSON_DEPTH + 1, 400)):
            reply = self.call("POST", "/echo", raw=deep(depth))
            self.record("nesting-limit", _status(reply) == status, f"{depth}: {_show(reply)}")
        for depth in range(900, 1001):
            targets = ["/echo"] + (["/post", "/items"] if depth % 10 == 0 else [])
            for path in targets:
                if path == "/items":
                    raw = b'{"name": "deep", "price": 1, "pad": ' + deep(depth - 1) + b"}"
                else:
                    raw = deep(depth)
                reply = self.call("POST", path, raw=raw)
                detail = f"{path} depth {depth}: {_show(reply)}"
                self.record("nesting-900-1000", _status(reply) == 400, detail)

    def chunked_bodies(self) -> None:
        small = json.dumps({"name": "chunked", "price": 1.5}).encode()
        reply = self.call_chunked("POST", "/items", chunked(small, 7))
        ok = False
        if isinstance(reply, Reply) and reply.status == 201:
            stored = self.call("GET", f"/items/{reply.json()['id']}")
            if isinstance(stored, Reply) and stored.status == 200:
                ok = stored.json()["name"] == "chunked"
        self.record("chunked-small", ok, _show(reply))

        item = json.dumps({"name": "truncated", "price": 1}).encode()
        big = item + b" " * (MAX_BODY_BYTES * 3 // 2 - len(item))
        before = self.count()
        reply = self.call_chunked("POST", "/items", chunked(big))
        after = self.count()
        ok = _status(reply) == 413 and before is not None and after == before
        self.record("chunked-1.5MiB", ok, f"{_show(reply)} items {before} -> {after}")

        payload = json.dumps({"name": "bad", "price": 1}).encode()
        for raw in (b"zz\r\n" + payload + b"\r\n0\r\n\r\n", b"3\r\n" + payload + b"\r\n0\r\n\r\n"):
            before = self.count()
            reply = self.call_chunked("POST", "/items", raw)
            after = self.count()
            ok = 400 <= _status(reply) < 500 and before is not None and after == before
            self.record("chunked-bad", ok, f"{_show(reply)} items {before} -> {after}")

    def run(self) -> Results:
        try:
            self.race_put_delete()
            self.race_delete_delete()
            self.race_post_delete()
            self.nesting()
            self.chunked_bodies()
        finally:
            self.pool.shutdown()
        return dict(self.results)


def _status(reply: Answer) -> int:
    return reply.status if isinstance(reply, Reply) else 0


def _show(reply: Answer) -> str:
    if isinstance(reply, Exception):
        return f"{type(reply).__name__}: {reply}"
    return f"{reply.status} {reply.body[:100]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pairs", type=int, default=50, help="pairs per race case (50)")
    parser.add_argument("--variants", default="", help="comma-separated names (default: all)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    wanted = {name for name in args.variants.split(",") if name}
    variants: list[Variant] = [v for v in VARIANTS if not wanted or v.name in wanted]
    if wanted - {v.name for v in variants}:
        parser.error(f"unknown variants: {', '.join(sorted(wanted - {v.name for v in VARIANTS}))}")

    all_results: dict[str, Results] = {}
    examples: dict[str, dict[str, str]] = {}
    for variant in variants:
        started = time.monotonic()
        with (
            tempfile.TemporaryDirectory(prefix="fwbench-battery-") as workdir,
            running(variant, Path(workdir)) as url,
        ):
            battery = Battery(HTTPClient(url, variant.stack, variant.server), args.pairs)
            all_results[variant.name] = battery.run()
            examples[variant.name] = battery.examples
        results = all_results[variant.name]
        cells = "  ".join(f"{case} {failed}/{tried}" for case, (tried, failed) in results.items())
        print(f"{variant.name:34} {cells}  ({time.monotonic() - started:.0f}s)", flush=True)
        for case, detail in battery.examples.items():
            print(f"    first {case} failure: {detail}", flush=True)

    print("\nfailures/cases per stack:")
    per_stack: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for variant in variants:
        for case, (tried, failed) in all_results[variant.name].items():
            per_stack[variant.stack][case][0] += tried
            per_stack[variant.stack][case][1] += failed
    for stack, cases in per_stack.items():
        cells = "  ".join(f"{case} {failed}/{tried}" for case, (tried, failed) in cases.items())
        print(f"{stack:18} {cells}")
    if args.json:
        args.json.write_text(
            json.dumps({"results": all_results, "examples": examples}, indent=2), encoding="utf-8"
        )
    failed = sum(failed for results in all_results.values() for _, failed in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

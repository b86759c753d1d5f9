"""``python -m client {load,sweep,ladder,run,scenarios,monitor,clock-serve,clock-probe}``:
argument parsing and output only. The controller's bookkeeping of cell folders (``cell-state``,
``cell-commit``, ``run-status``, ``resume-check``, ``merge``, ``failed-cell``) is
``python -m controller``'s."""

from __future__ import annotations

import argparse
import json
import math
import re
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from client import __version__
from client.capacity import DEFAULT_LEVELS
from client.cell import WARMUP_MODES
from client.clock import Clock
from client.constants import (
    CAPACITY_TIMEOUT_S,
    DEFAULT_TIMEOUT_S,
    MONITOR_INTERVAL_S,
    MONITOR_MAX_S,
)
from client.plan import CONNECTION_MODES, LoadPlan
from client.scenarios import ScenarioError
from runfiles import summary_json
from runfiles.figures import load_summary
from runfiles.validity import CAPACITY_MAX_ERROR_RATE, MAX_ERROR_RATE

EXIT_USAGE = 2


class UsageError(Exception):
    pass


def _positive(kind: type, most: float = math.inf) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
        if value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most:g}: {text!r}")
        return value
    return parse


# Bounds on one load run: a load loop is bounded in count and time.
MAX_RATE = 1_000_000.0
MAX_CONCURRENCY = 10_000
MAX_ITERATIONS = 1_000_000_000
MAX_DURATION_S = 86_400.0
MAX_STEP_S = 3_600.0
METHOD = re.compile(r"^[A-Z]{1,16}$")


def _port(text: str) -> int:
    value = _positive(int)(text)
    if value > 65_535:
        raise argparse.ArgumentTypeError(f"must be a TCP port 1-65535: {text!r}")
    return int(value)


def http_url(text: str, option: str) -> SplitResult:
    """``text`` as an http(s) URL with a host and a valid port, or a UsageError naming it."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}: {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} must be http://host[:port]..., got {text!r}")
    if port == 0:
        raise UsageError(f"{option}: port 0 is not a port: {text!r}")
    return parts


def _nonneg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _floor_s(text: str) -> float:
    value = _nonneg(text)
    if value > MAX_DURATION_S:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DURATION_S:g}: {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _nonneg(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value


def _levels(text: str) -> tuple[int, ...]:
    parse = _positive(int, MAX_CONCURRENCY)
    levels = tuple(parse(part.strip()) for part in text.split(","))
    if list(levels) != sorted(set(levels)):
        raise argparse.ArgumentTypeError(f"must be increasing connection counts: {text!r}")
    return levels


def _add_target(p: argparse.ArgumentParser) -> None:
    """The request every step of a sweep or ladder sends."""
    p.add_argument("--url", required=True)
    p.add_argument("--method", default="GET", type=str.upper)
    p.add_argument("--body", help="JSON request body (sent as application/json)")
    p.add_argument("--timeout", type=_positive(float, MAX_DURATION_S), default=CAPACITY_TIMEOUT_S,
                   help="per request, seconds (default %(default)s)")
    p.add_argument("--max-connections", type=_positive(int, MAX_CONCURRENCY),
                   help="open loop: connection limit (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seed for {id} in the URL path")
    p.add_argument("--max-error-rate", type=_fraction, default=CAPACITY_MAX_ERROR_RATE,
                   help="a step above this fraction of failed requests fails / ends the ladder "
                        "(default %(default)s)")
    p.add_argument("--step-duration", type=_positive(float, MAX_STEP_S), default=3.0,
                   help="seconds each step measures (default %(default)s)")
    p.add_argument("--time-budget", type=_positive(float, MAX_DURATION_S), default=60.0,
                   help="the whole search, seconds (default %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m client",
                                description="fwbench load client and resource monitor")
    p.add_argument("--version", action="version", version=f"fwbench-client {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    ld = sub.add_parser("load", help="one load run against one URL")
    ld.add_argument("--url", required=True)
    ld.add_argument("--method", default="GET", type=str.upper)
    ld.add_argument("--body", help="JSON request body (sent as application/json)")
    model = ld.add_mutually_exclusive_group(required=True)
    model.add_argument("--rate", type=_positive(float, MAX_RATE),
                       help="open loop: requests per second")
    model.add_argument("--concurrency", type=_positive(int, MAX_CONCURRENCY),
                       help="closed loop: connections")
    amount = ld.add_mutually_exclusive_group(required=True)
    amount.add_argument("--iterations", type=_positive(int, MAX_ITERATIONS),
                        help="requests in total")
    amount.add_argument("--duration", type=_positive(float, MAX_DURATION_S), help="seconds")
    ld.add_argument("--engine", choices=("fast", "requests"), default="fast")
    ld.add_argument("--connection", choices=CONNECTION_MODES, default="keep-alive",
                    help="keep-alive: each worker keeps its connection; new: a fresh TCP "
                         "connection per request, its connect counted in the latency")
    ld.add_argument("--timeout", type=_positive(float), default=DEFAULT_TIMEOUT_S,
                    help="per request, seconds (default %(default)s)")
    ld.add_argument("--csv", help="write requests.csv here")
    ld.add_argument("--pause", type=_nonneg, default=0.0,
                    help="closed loop: seconds each worker sleeps after every answer")
    ld.add_argument("--max-connections", type=_positive(int, MAX_CONCURRENCY),
                    help="open loop: connection limit (fast engine) / threads (requests engine)")
    ld.add_argument("--start-at", type=int, metavar="EPOCH_NS",
                    help="start at this wall-clock time (ns since the Unix epoch)")
    ld.add_argument("--seed", type=int, default=0, help="seed for {id} in the URL path")
    ld.add_argument("--max-error-rate", type=_fraction, default=MAX_ERROR_RATE,
                    help="status 'failed' above this fraction of failed requests "
                         "(default %(default)s)")

    sw = sub.add_parser("sweep", help="open loop: the highest rate whose p99 holds an objective")
    _add_target(sw)
    sw.add_argument("--slo-p99-ms", type=_positive(float, MAX_DURATION_S * 1000), required=True,
                    help="the objective: p99 latency from the schedule, ms")
    sw.add_argument("--start-rate", type=_positive(float, MAX_RATE), default=50.0,
                    help="first rate, req/s (default %(default)s)")
    sw.add_argument("--max-rate", type=_positive(float, MAX_RATE), default=10_000.0,
                    help="highest rate tried, req/s (default %(default)s)")

    la = sub.add_parser("ladder", help="closed loop: goodput and p99 at each connection level")
    _add_target(la)
    la.add_argument("--levels", type=_levels, default=DEFAULT_LEVELS,
                    help="connection levels, comma-separated, increasing (default "
                         "1,2,4,...,256)")

    rn = sub.add_parser("run", help="run a named scenario and write a cell folder")
    rn.add_argument("--scenario", required=True)
    rn.add_argument("--base-url", required=True)
    rn.add_argument("--out", required=True, help="cell folder (requests.csv, summary.json)")
    rn.add_argument("--scale", type=_positive(float), default=1.0,
                    help="0 < F <= 1: shorten durations, iterations and pauses")
    rn.add_argument("--engine", choices=("fast", "requests"),
                    help="override the scenario's engine for every step")
    rn.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                    help="variant, stack, server, rep, ... (repeatable)")
    rn.add_argument("--seed", type=int, default=0)
    rn.add_argument("--start-at", type=int, metavar="EPOCH_NS",
                    help="start the cell (its warm-up) at this wall-clock time")
    rn.add_argument("--timeout", type=_positive(float), help="override per-request timeout")
    rn.add_argument("--share", metavar="I/K",
                    help="this client sends share I of K of every step (several client hosts "
                         "sharing one cell; merge their folders with `python -m controller merge`)")
    rn.add_argument("--add-warmup", action="store_true",
                    help="give a scenario that has no warm-up one (its own request 100 times, "
                         "unrecorded); writing scenarios keep none")
    rn.add_argument("--skip-warmup", action="store_true",
                    help="run none of the scenario's warm-up steps nor the pause after them (the "
                         "cell follows another on the same running server: procedure paper1)")
    rn.add_argument("--warmup", choices=WARMUP_MODES, default="scenario",
                    help="scenario: the scenario file's own warm-up (default); measured: GET "
                         "/hello, then the measured request itself at the measured load for at "
                         "least 1 s and 100 requests, unrecorded (client/warmup.py)")
    rn.add_argument("--min-measure-s", type=_floor_s, default=0.0, metavar="S",
                    help="the measured phase lasts at least S seconds: a duration or open-loop "
                         "schedule is raised to S, a closed loop of shared iterations is "
                         "repeated block after block (client/measure.py); 0 = off (default)")
    rn.add_argument("--max-error-rate", type=_fraction, default=MAX_ERROR_RATE,
                    help="status 'failed' above this fraction of failed requests "
                         "(default %(default)s)")

    sc = sub.add_parser("scenarios", help="list scenarios and their key parameters as JSON")
    sc.add_argument("--scale", type=_positive(float, 1.0), default=1.0,
                    help="0 < F <= 1: the parameters as `run --scale F` would use them")

    mo = sub.add_parser("monitor", help="sample a process tree and the host into a CSV")
    mo.add_argument("--csv", required=True)
    target = mo.add_mutually_exclusive_group()
    target.add_argument("--unit", help="systemd unit whose processes to sample")
    target.add_argument("--pid", type=int)
    target.add_argument("--pidfile")
    mo.add_argument("--interval", type=_positive(float), default=MONITOR_INTERVAL_S)
    mo.add_argument("--max-seconds", type=_positive(float), default=MONITOR_MAX_S)

    cs = sub.add_parser("clock-serve", help="be the clock reference for `clock-probe` (TCP)")
    cs.add_argument("--bind", default="127.0.0.1",
                    help="address to listen on: the benchmark address only (default %(default)s)")
    cs.add_argument("--port", type=_port, required=True)
    cs.add_argument("--clients", type=_positive(int), default=1,
                    help="exit after serving this many probes (default %(default)s)")
    cs.add_argument("--seconds", type=_positive(float), default=60.0,
                    help="exit after this long in any case (default %(default)s)")

    cp = sub.add_parser("clock-probe", help="measure this host's clock offset to a clock-serve "
                                            "reference; prints JSON")
    cp.add_argument("--host", required=True)
    cp.add_argument("--port", type=_port, required=True)
    cp.add_argument("--count", type=_positive(int), default=64, help="pings (default %(default)s)")
    cp.add_argument("--wait", type=_positive(float), default=20.0,
                    help="seconds to retry the connect while the reference starts")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "load":
            return cmd_load(args)
        if args.command in ("sweep", "ladder"):
            return cmd_capacity(args)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "scenarios":
            return cmd_scenarios(args.scale)
        if args.command == "monitor":
            from client.monitor import run_monitor

            return run_monitor(args.csv, unit=args.unit, pid=args.pid, pidfile=args.pidfile,
                               interval=args.interval, max_seconds=args.max_seconds)
        if args.command in ("clock-serve", "clock-probe"):
            return cmd_clock(args)
    except (UsageError, ScenarioError) as exc:
        print(f"python -m client {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"python -m client {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a path that cannot be written, a folder where a file should be, ...
        where = f": {exc.filename}" if exc.filename else ""
        print(f"python -m client {args.command}: error: {exc.strerror or exc}{where}",
              file=sys.stderr)
        return 1
    parser.error("unknown command")
    return EXIT_USAGE


def _print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


def _request(args: argparse.Namespace, engine: str) -> tuple[str, str, bytes | None]:
    """``--url``, ``--method``, ``--body`` checked: (base URL, path with query, body bytes)."""
    parts = http_url(args.url, "--url")
    if not METHOD.match(args.method):
        raise UsageError(f"--method must be an HTTP method (letters only), got {args.method!r}")
    if engine == "fast" and parts.scheme != "http":
        raise UsageError("the fast engine speaks plain http:// only (use --engine requests)")
    raw_body = None
    if args.body is not None:
        try:
            json.loads(args.body)
        except ValueError as exc:
            raise UsageError(f"--body is not valid JSON: {exc}") from None
        raw_body = args.body.encode()
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return f"{parts.scheme}://{parts.netloc}", path, raw_body


def cmd_load(args: argparse.Namespace) -> int:
    base_url, path, raw_body = _request(args, args.engine)
    try:
        plan = LoadPlan(base_url=base_url, method=args.method, path=path,
                        raw_body=raw_body, rate=args.rate, concurrency=args.concurrency,
                        iterations=args.iterations, duration_s=args.duration, engine=args.engine,
                        timeout_s=args.timeout, pause_s=args.pause,
                        max_connections=args.max_connections, seed=args.seed,
                        connection=args.connection)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.csv is not None and Path(args.csv).exists():
        raise UsageError(f"--csv {args.csv} already exists: fwbench never overwrites a file it "
                         "did not just create; pick a new name")
    from client.runner import execute

    clock = Clock()
    ex = execute(plan, args.csv, clock, start_at_epoch_ns=args.start_at)
    summary = load_summary(ex.result, plan.rate, ex.client_cpu_pct, ex.facts_dict(),
                           plan.timeout_s, args.max_error_rate)
    summary.update({"engine": plan.engine, "connection": plan.connection,
                    "event_loop": ex.event_loop, "rate": plan.rate,
                    "concurrency": plan.concurrency, "iterations": plan.iterations,
                    "connections_opened": ex.facts.connections_opened})
    _print_json(summary)
    return 0


def cmd_capacity(args: argparse.Namespace) -> int:
    """``sweep`` (open-loop rate search) and ``ladder`` (closed-loop connection levels)."""
    import time

    from client.capacity import CapacitySpec
    from client.search import GROWTH, RESOLUTION
    from client.sweep import DRAIN_PAUSE_S, Sweep, run

    base_url, path, raw_body = _request(args, "fast")
    if args.command == "sweep" and args.start_rate > args.max_rate:
        raise UsageError(f"--start-rate {args.start_rate:g} is above --max-rate "
                         f"{args.max_rate:g}")
    try:
        if args.command == "sweep":
            spec = CapacitySpec(mode="open", slo_p99_ms=args.slo_p99_ms,
                                max_error_rate=args.max_error_rate, start_rate=args.start_rate,
                                max_rate=args.max_rate, step_duration_s=args.step_duration,
                                time_budget_s=args.time_budget)
            first = spec.step_duration_at(spec.start_rate)
        else:
            spec = CapacitySpec(mode="closed", max_error_rate=args.max_error_rate,
                                levels=args.levels, step_duration_s=args.step_duration,
                                time_budget_s=args.time_budget)
            first = spec.step_duration_s
        template = LoadPlan(base_url=base_url, method=args.method, path=path, raw_body=raw_body,
                            concurrency=1, iterations=1, timeout_s=args.timeout,
                            max_connections=args.max_connections, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if first + DRAIN_PAUSE_S > spec.time_budget_s:
        raise UsageError(f"--time-budget {spec.time_budget_s:g} s has no room for the first step "
                         f"({first:g} s and a {DRAIN_PAUSE_S:g} s pause)")
    started = time.monotonic()
    outcome = run(Sweep(template, spec))
    block = outcome.block()
    steps = block.pop("steps")
    _print_json({**block, "url": args.url, "method": args.method,
                 "step_duration_s": spec.step_duration_s, "time_budget_s": spec.time_budget_s,
                 "timeout_s": args.timeout,
                 **({"resolution": RESOLUTION, "growth": GROWTH, "start_rate": spec.start_rate,
                     "max_rate": spec.max_rate} if spec.mode == "open"
                    else {"levels": list(spec.levels)}),
                 "elapsed_s": round(time.monotonic() - started, 1),
                 "warnings": outcome.warnings, "steps": steps})
    return 0


def cmd_scenarios(scale: float = 1.0) -> int:
    from client import scenarios

    _print_json({"scenarios": [scenarios.load(n).scaled(scale).brief()
                               for n in scenarios.names()]})
    return 0


def parse_labels(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` labels (runfiles.summary_json.parse_labels), or a UsageError."""
    try:
        return summary_json.parse_labels(items)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_run(args: argparse.Namespace) -> int:
    from client.cell import CellRequest, run_cell
    from client.share import Share

    labels = parse_labels(args.label)
    if not 0 < args.scale <= 1:
        raise UsageError("--scale must be in (0, 1]")
    share = None
    if args.share is not None:
        try:
            share = Share.parse(args.share)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    parts = http_url(args.base_url, "--base-url")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is not a folder")
    if (out / "requests.csv").exists() or (out / "summary.json").exists():
        raise UsageError(f"--out {out} already holds a cell (requests.csv or summary.json); "
                         "fwbench never overwrites results: pick a new folder")
    base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    request = CellRequest(scenario=args.scenario, base_url=base_url, out=Path(args.out),
                          scale=args.scale, engine=args.engine, labels=labels, seed=args.seed,
                          start_at=args.start_at, timeout_s=args.timeout, share=share,
                          max_error_rate=args.max_error_rate, add_warmup=args.add_warmup,
                          skip_warmup=args.skip_warmup, warmup=args.warmup,
                          min_measure_s=args.min_measure_s)
    try:
        summary = run_cell(request)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _print_json(summary)
    return 0


    _print_json(summary)
    return 0


def cmd_clock(args: argparse.Namespace) -> int:
    from client import clocksync

    try:
        if args.command == "clock-serve":
            served = clocksync.serve(args.bind, args.port, args.clients, args.seconds)
            _print_json({"served": served, "clients": args.clients})
            return 0 if served == args.clients else 1
        offset = clocksync.probe(args.host, args.port, args.count, args.wait)
    except OSError as exc:
        print(f"python -m client {args.command}: {exc}", file=sys.stderr)
        return 1
    _print_json({"reference": f"{args.host}:{args.port}", "host": socket.gethostname(),
                 **offset.as_dict()})
    return 0

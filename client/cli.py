"""``python -m client {load,run,merge,scenarios,monitor,clock-serve,clock-probe}``: argument
parsing and output only."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from client import __version__
from client.clock import Clock
from client.constants import DEFAULT_TIMEOUT_S, MONITOR_INTERVAL_S, MONITOR_MAX_S
from client.plan import LoadPlan
from client.scenarios import ScenarioError
from client.summary import cell_figures, load_summary
from client.validity import MAX_ERROR_RATE

EXIT_USAGE = 2


class UsageError(Exception):
    pass


def _positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
        return value
    return parse


def _nonneg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be >= 0: {text!r}")
    return value


def _fraction(text: str) -> float:
    value = _nonneg(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text!r}")
    return value


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
    model.add_argument("--rate", type=_positive(float), help="open loop: requests per second")
    model.add_argument("--concurrency", type=_positive(int), help="closed loop: connections")
    amount = ld.add_mutually_exclusive_group(required=True)
    amount.add_argument("--iterations", type=_positive(int), help="requests in total")
    amount.add_argument("--duration", type=_positive(float), help="seconds")
    ld.add_argument("--engine", choices=("fast", "requests"), default="fast")
    ld.add_argument("--timeout", type=_positive(float), default=DEFAULT_TIMEOUT_S,
                    help="per request, seconds (default %(default)s)")
    ld.add_argument("--csv", help="write requests.csv here")
    ld.add_argument("--pause", type=_nonneg, default=0.0,
                    help="closed loop: seconds each worker sleeps after every answer")
    ld.add_argument("--max-connections", type=_positive(int),
                    help="open loop: connection limit (fast engine) / threads (requests engine)")
    ld.add_argument("--start-at", type=int, metavar="EPOCH_NS",
                    help="start at this wall-clock time (ns since the Unix epoch)")
    ld.add_argument("--seed", type=int, default=0, help="seed for {id} in the URL path")
    ld.add_argument("--max-error-rate", type=_fraction, default=MAX_ERROR_RATE,
                    help="status 'failed' above this fraction of failed requests "
                         "(default %(default)s)")

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
                         "sharing one cell; merge their folders with `merge`)")
    rn.add_argument("--max-error-rate", type=_fraction, default=MAX_ERROR_RATE,
                    help="status 'failed' above this fraction of failed requests "
                         "(default %(default)s)")

    mg = sub.add_parser("merge", help="merge the cell folders of K shares (run --share) into one")
    mg.add_argument("--out", required=True, help="merged cell folder")
    mg.add_argument("cells", nargs="+", metavar="CELL_DIR", help="one folder per share")

    sub.add_parser("scenarios", help="list scenarios and their key parameters as JSON")

    mo = sub.add_parser("monitor", help="sample a process tree and the host into a CSV")
    mo.add_argument("--csv", required=True)
    target = mo.add_mutually_exclusive_group()
    target.add_argument("--unit", help="systemd unit whose processes to sample")
    target.add_argument("--pid", type=int)
    target.add_argument("--pidfile")
    mo.add_argument("--interval", type=_positive(float), default=MONITOR_INTERVAL_S)
    mo.add_argument("--max-seconds", type=_positive(float), default=MONITOR_MAX_S)

    cs = sub.add_parser("clock-serve", help="be the clock reference for `clock-probe` (TCP)")
    cs.add_argument("--bind", default="0.0.0.0")
    cs.add_argument("--port", type=_positive(int), required=True)
    cs.add_argument("--clients", type=_positive(int), default=1,
                    help="exit after serving this many probes (default %(default)s)")
    cs.add_argument("--seconds", type=_positive(float), default=60.0,
                    help="exit after this long in any case (default %(default)s)")

    cp = sub.add_parser("clock-probe", help="measure this host's clock offset to a clock-serve "
                                            "reference; prints JSON")
    cp.add_argument("--host", required=True)
    cp.add_argument("--port", type=_positive(int), required=True)
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
        if args.command == "run":
            return cmd_run(args)
        if args.command == "merge":
            return cmd_merge(args)
        if args.command == "scenarios":
            return cmd_scenarios()
        if args.command == "monitor":
            from client.monitor import run_monitor

            return run_monitor(args.csv, unit=args.unit, pid=args.pid, pidfile=args.pidfile,
                               interval=args.interval, max_seconds=args.max_seconds)
        if args.command in ("clock-serve", "clock-probe"):
            return cmd_clock(args)
    except (UsageError, ScenarioError) as exc:
        print(f"python -m client {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parser.error("unknown command")
    return EXIT_USAGE


def _print_json(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
    sys.stdout.flush()


def cmd_load(args: argparse.Namespace) -> int:
    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--url must be http://host[:port]/path, got {args.url!r}")
    if args.engine == "fast" and parts.scheme != "http":
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
    try:
        plan = LoadPlan(base_url=f"{parts.scheme}://{parts.netloc}", method=args.method, path=path,
                        raw_body=raw_body, rate=args.rate, concurrency=args.concurrency,
                        iterations=args.iterations, duration_s=args.duration, engine=args.engine,
                        timeout_s=args.timeout, pause_s=args.pause,
                        max_connections=args.max_connections, seed=args.seed)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    from client.runner import execute

    clock = Clock()
    ex = execute(plan, args.csv, clock, start_at_epoch_ns=args.start_at)
    summary = load_summary(ex.result, plan.rate, ex.client_cpu_pct, ex.facts_dict(),
                           plan.timeout_s, args.max_error_rate)
    summary.update({"engine": plan.engine, "event_loop": ex.event_loop, "rate": plan.rate,
                    "concurrency": plan.concurrency, "iterations": plan.iterations,
                    "connections_opened": ex.facts.connections_opened})
    _print_json(summary)
    return 0


def cmd_scenarios() -> int:
    from client import scenarios

    _print_json({"scenarios": [scenarios.load(n).brief() for n in scenarios.names()]})
    return 0


def parse_labels(items: list[str]) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--label must be KEY=VALUE, got {item!r}")
        labels[key] = int(value) if key == "rep" and value.isdigit() else value
    return labels


def client_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(),
                                  "fwbench_client": __version__}
    for mod in ("uvloop", "requests", "psutil"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def _step_params(p: LoadPlan | None, model: str) -> dict[str, Any]:
    """rate, concurrency, iterations, duration_s of a (share of a) step; a share with nothing
    to send in it has 0 requests / connections."""
    if p is None:
        return {"rate": 0.0 if model == "open" else None,
                "concurrency": 0 if model == "closed" else None, "iterations": 0,
                "duration_s": None}
    return {"rate": p.rate, "concurrency": p.concurrency, "iterations": p.iterations,
            "duration_s": p.duration_s}


def _warmup_entry(p: LoadPlan | None, full: LoadPlan) -> dict[str, Any]:
    return {"method": full.method, "path": full.path, "model": full.model,
            **_step_params(p, full.model)}


def measure_start_at(start_at: int, full_warm: list[LoadPlan], pauses_s: float) -> int:
    """``run --share --start-at`` with warm-up steps: when every share starts its measured step
    (the same for all of them: computed from the whole steps): the warm-up's expected time plus
    10% and 2 s, rounded up to 100 ms. A share still warming up then starts late and warns."""
    expected = sum(p.expected_s for p in full_warm) + pauses_s
    slack_ns = math.ceil((expected * 1.1 + 2.0) * 10) * 100_000_000
    return start_at + slack_ns


def cmd_run(args: argparse.Namespace) -> int:
    from client import scenarios
    from client.csvfile import RowSink
    from client.recorder import RunResult
    from client.runner import execute
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
    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--base-url must be http://host[:port], got {args.base_url!r}")
    base_url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    scen = scenarios.load(args.scenario).scaled(args.scale)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    try:
        full_warm = [w.plan(base_url, args.engine, args.seed + 1000 + i, args.timeout)
                     for i, w in enumerate(scen.warmup)]
        full_plan = scen.measure.plan(base_url, args.engine, args.seed, args.timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    warm_plans: list[LoadPlan | None] = list(full_warm)
    plan: LoadPlan | None = full_plan
    measure_at = None
    if share is not None:
        warm_plans = [share.apply(p) for p in full_warm]
        plan = share.apply(full_plan)
        pauses = scen.pause_s + sum(w.spec.get("pause_after_s", 0.0) for w in scen.warmup)
        if args.start_at is not None and (full_warm or pauses):
            measure_at = measure_start_at(args.start_at, full_warm, pauses)

    start_at = args.start_at
    for i, (wplan, wstep) in enumerate(zip(warm_plans, scen.warmup, strict=False)):
        if wplan is not None:
            execute(wplan, None, clock, start_at_epoch_ns=start_at, label=f"warm-up {i + 1}")
        start_at = None
        time.sleep(wstep.spec.get("pause_after_s", 0.0))
    if scen.pause_s:
        time.sleep(scen.pause_s)
    if measure_at is not None:
        start_at = measure_at
    if plan is not None:
        ex = execute(plan, out / "requests.csv", clock, start_at_epoch_ns=start_at,
                     label=scen.name)
        load = load_summary(ex.result, plan.rate, ex.client_cpu_pct, ex.facts_dict(),
                            plan.timeout_s, args.max_error_rate)
        event_loop, opened = ex.event_loop, ex.facts.connections_opened
    else:  # this share has nothing to send in the measured step
        RowSink(out / "requests.csv").close()
        load = load_summary(RunResult(model=full_plan.model), None, None, {},
                            max_error_rate=args.max_error_rate)
        load["warnings"] = [f"share {share} has nothing to send in the measured step (fewer "
                            "connections or iterations than shares)"]
        event_loop, opened = None, 0
    p = plan or full_plan
    m = scen.measure.spec
    summary: dict[str, Any] = {
        "variant": labels.get("variant"), "stack": labels.get("stack"),
        "server": labels.get("server"), "scenario": scen.name, "rep": labels.get("rep"),
        "method": p.method, "path": m["path"], "model": p.model,
        **_step_params(plan, full_plan.model),
        **cell_figures(load),
        # provenance and extras
        "engine": p.engine, "event_loop": event_loop, "scale": args.scale,
        "seed": args.seed, "timeout_s": p.timeout_s, "pause_s": p.pause_s,
        "connections_opened": opened,
        "connection_limit": p.connection_limit if p.model == "open" else None,
        "writes": scen.writes, "source": scen.data["source"],
        "warmup": [_warmup_entry(w, f) for w, f in zip(warm_plans, full_warm, strict=True)],
        "warmup_pause_s": scen.pause_s, "base_url": base_url, "labels": labels,
        "client_host": socket.gethostname(), "client_versions": client_versions(),
        "start_at_ns": args.start_at,
    }
    if share is not None:
        summary.update({
            "share": str(share),
            "share_step": {**_step_params(full_plan, full_plan.model),
                           "warmup": [_warmup_entry(f, f) for f in full_warm]},
            "measure_start_at_ns": measure_at, "share_idle": plan is None,
        })
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, out / "summary.json")
    _print_json(summary)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from client.merge import MergeError, merge_cells

    try:
        summary = merge_cells([Path(d) for d in args.cells], Path(args.out))
    except MergeError as exc:
        raise UsageError(str(exc)) from None
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

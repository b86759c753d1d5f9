"""Command line: ``python -m reports build RUN_DIR``, ``python -m reports compare A B`` and
``python -m reports decide RUN_DIR`` (the questions a run asks and which are still open, one
JSON object on stdout: controller/budget.py reads it)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from reports.constants import (
    DEMO_CAPACITY_SCENARIOS,
    PAPER2_FAILURES,
    SCENARIO_ORDER,
    SMOKE_SCENARIOS,
)

EXIT_USAGE = 2
EXIT_INTERNAL = 3
DEMO_DATABASES = ("sqlite", "postgresql")  # reports/synthetic/database.py
# The demo's default scenarios: both papers' (paper 1's seven, paper 2's six), then a capacity
# search and a capacity ladder.
DEMO_SCENARIOS: tuple[str, ...] = (
    *(s for s in SCENARIO_ORDER if s not in SMOKE_SCENARIOS), *DEMO_CAPACITY_SCENARIOS)


class UsageError(Exception):
    """A bad option value (exit 2, one line)."""


def _count(most: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be 1-{most}: {text!r}")
        return value
    return parse


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < 10_000:
        raise argparse.ArgumentTypeError(f"must be a percentage >= 0: {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reports",
        description="Tables, figures and the HTML report of a fwbench results folder.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write RUN_DIR/report/{summary.csv,tables.md,figures,"
                                     "index.html} and print a summary table")
    b.add_argument("run_dir", type=Path)
    b.add_argument("--no-figures", action="store_true", help="skip figures (and their pages)")
    b.add_argument("--no-html", action="store_true", help="skip index.html")
    b.add_argument("-q", "--quiet", action="store_true", help="no terminal table")
    b.add_argument("--thresholds", default="",
                   help="conditions every variant x scenario must meet, e.g. "
                        "'p99_ms<50,error_rate<0.01' (metrics: columns of summary.csv); exit 1 "
                        "when one is crossed (the report is written all the same)")
    b.add_argument("--paper2-failures", choices=PAPER2_FAILURES, default="blank",
                   help="how report/paper2/ writes a failed request: blank (default; averages "
                        "skip it) or zero (0 s, paper 2's own convention)")
    c = sub.add_parser("compare", help="ratio of RUN_B to RUN_A per variant x scenario")
    c.add_argument("run_a", type=Path)
    c.add_argument("run_b", type=Path)
    c.add_argument("--out", type=Path, help="output folder (default RUN_B/report/compare-<A>)")
    c.add_argument("--fail-on-regression", type=_percent, metavar="PCT",
                   help="exit 1 when a variant x scenario of B is significantly slower than in A "
                        "(latency verdict b_slower) by more than PCT %%")
    q = sub.add_parser("decide", help="print, as one JSON object, the questions RUN_DIR asks "
                                      "and which are still open (the stopping rule of a budget "
                                      "run)")
    q.add_argument("run_dir", type=Path)
    d = sub.add_parser("demo", help="write a synthetic run folder (no lab needed) and build it")
    d.add_argument("out_dir", type=Path)
    d.add_argument("--scenarios", default=",".join(DEMO_SCENARIOS),
                   help="comma-separated scenario names (default: both papers' scenarios and "
                        "the capacity ones; with any of the papers', every variant of both "
                        "papers' sets runs every scenario, as the `paper` profile does; a "
                        "capacity scenario adds four variants' capacity curves with known "
                        "answers)")
    d.add_argument("--reps", type=_count(100), default=3)
    d.add_argument("--requests", type=_count(1_000_000), default=1000,
                   help="requests per repetition")
    d.add_argument("--database", choices=DEMO_DATABASES, default="sqlite",
                   help="the run's database: sqlite (in-process, the default) or postgresql "
                        "(on a host of its own, whose monitor-db.csv the report shows)")
    return parser


def _build(args: argparse.Namespace) -> int:
    from reports.analysis.thresholds import ThresholdError, crossings, parse
    from reports.build import build
    from reports.loading.database import headline
    from reports.rendering import terminal

    try:
        limits = parse(getattr(args, "thresholds", ""))
    except ThresholdError as exc:
        raise UsageError(str(exc)) from None
    started = time.perf_counter()
    result, out = build(args.run_dir, figures=not args.no_figures, html=not args.no_html,
                        thresholds=limits,
                        paper2_failures=getattr(args, "paper2_failures", "blank"))
    if not args.quiet:
        print(terminal.terminal_summary(result.summary), end="")
        print(f"\n{headline(result.provenance.database)}")
        n = result.counts
        print(f"validity: {n.errors} error(s), {n.warnings} warning(s) — see "
              f"{out / 'tables.md'}")
        main_file = out / ("tables.md" if args.no_html else "index.html")
        print(f"report: {main_file}  ({time.perf_counter() - started:.1f} s)")
    crossed = crossings(result.summary, limits)
    for r in crossed.itertuples():
        print(f"threshold crossed: {r.variant} · {r.scenario}: {r.threshold} "
              f"(observed {r.observed:g})")
    return 1 if len(crossed) else 0


def _compare(args: argparse.Namespace) -> int:
    from reports.build import build_comparison
    from reports.rendering.compare_report import terminal_table

    comparison, out = build_comparison(args.run_a, args.run_b, args.out)
    for line in comparison.setup:
        print(f"setups differ: {line}")
    print(terminal_table(comparison.table), end="")
    print(f"\ncomparison: {out}")
    if args.fail_on_regression is None:
        return 0
    from reports.analysis.run_comparison import regressions

    slower = regressions(comparison.table, args.fail_on_regression)
    for r in slower.itertuples():
        print(f"regression: {r.variant} · {r.scenario}: B/A {r.latency_ratio:.3f} "
              f"(> {1 + args.fail_on_regression / 100:.3f}, significant)")
    return 1 if len(slower) else 0


def _decide(args: argparse.Namespace) -> int:
    from reports.analysis.analyse import analyse
    from reports.analysis.questions import questions
    from reports.loading.run_folder import load_run

    print(json.dumps(questions(analyse(load_run(args.run_dir))), allow_nan=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from reports.loading.run_folder import NotARunError
    from reports.synthetic.capacity_cells import CAPACITY_SCENARIOS
    from reports.synthetic.demo import write_demo_run
    from reports.synthetic.runs import SCENARIOS

    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in scenarios if s not in SCENARIOS and s not in CAPACITY_SCENARIOS]
    if unknown or not scenarios:
        raise NotARunError(f"unknown scenario(s) {', '.join(unknown) or '(none given)'}; valid: "
                           + ", ".join([*SCENARIOS, *CAPACITY_SCENARIOS]))
    out: Path = args.out_dir
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise NotARunError(f"{out} exists and is not an empty folder: demo writes a new run only "
                           "into a new or empty folder, never over one")
    write_demo_run(out, scenarios, reps=args.reps, requests=args.requests,
                   database=getattr(args, "database", "sqlite"))
    return _build(argparse.Namespace(run_dir=args.out_dir, no_figures=False, no_html=False,
                                     quiet=False))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from reports.loading.run_folder import NotARunError  # pandas: not needed for --help

    warnings.filterwarnings("ignore", category=RuntimeWarning)  # empty-slice means etc. -> NaN
    handlers = {"build": _build, "compare": _compare, "decide": _decide, "demo": _demo}
    try:
        return handlers[args.command](args)
    except (NotARunError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a folder that cannot be written, a file where a folder should be
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception:  # a bug, not bad input: its traceback, and an exit no threshold uses
        traceback.print_exc()
        print("error: the report could not be built (an internal error, above); please report it",
              file=sys.stderr)
        return EXIT_INTERNAL

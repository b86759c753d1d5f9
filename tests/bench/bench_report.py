"""Benchmark: build the whole report from a synthetic run with 1,000,000 request rows.

Usage: python tests/bench/bench_report.py [--rows 1000000] [--keep DIR]

Writes a paper-sized synthetic run (5 variants x the 13 paper scenarios x 3 repetitions, with
monitor files) into a temporary folder, then times ``python -m reports build`` on it as a user
would run it (a fresh process). Prints the generation time and the build time; the target is a
build in 20 s or less.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reports.constants import PAPER1_FIGURES, PAPER2_LOADS  # noqa: E402
from reports.synthetic.runs import make_run  # noqa: E402

VARIANTS = {
    "fastapi_sqlmodel-gunicorn_uvicorn": 2.4,
    "fastapi_sqlite3-gunicorn_uvicorn": 2.0,
    "flask_sqlalchemy-gunicorn_gthread": 4.4,
    "flask_sqlite3-gunicorn_gthread": 4.0,
    "django_drf-gunicorn_gthread": 8.0,
}
SCENARIOS = [s for _, s, _, _ in PAPER1_FIGURES] + [
    s for _, g, p, _ in PAPER2_LOADS.values() for s in (g, p)]
REPS = 3
TARGET_S = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the run here and keep it")
    args = parser.parse_args()
    per_rep = -(-args.rows // (len(VARIANTS) * len(SCENARIOS) * REPS))
    with tempfile.TemporaryDirectory(prefix="fwbench-bench-") as tmp:
        run_dir = args.keep or Path(tmp) / "bench-run"
        started = time.perf_counter()
        make_run(run_dir, variants=VARIANTS, scenarios=SCENARIOS, reps=REPS,
                 requests_per_rep=per_rep, error_rate=0.001)
        generated = time.perf_counter() - started
        rows = per_rep * len(VARIANTS) * len(SCENARIOS) * REPS
        print(f"generated {rows:,} request rows in {len(VARIANTS) * len(SCENARIOS) * REPS} "
              f"cells in {generated:.1f} s")
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "reports", "build", str(run_dir), "-q"],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        figures = len(list((run_dir / "report" / "figures").glob("*.png")))
        verdict = "OK" if elapsed <= TARGET_S else "TOO SLOW"
        print(f"build: {elapsed:.1f} s for {rows:,} rows, {figures} figures "
              f"(target <= {TARGET_S:.0f} s: {verdict})")
    return 0 if elapsed <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

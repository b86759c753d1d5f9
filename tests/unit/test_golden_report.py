"""The report's CSV and JSON outputs for two fixed synthetic runs are byte-identical to the ones
kept in tests/golden/: the demo (SQLite) and the demo on PostgreSQL, both with capacity cells.

A move of code (packages, modules, names) must leave these bytes alone. A change that means to
change a number rewrites the goldens on purpose, in its own commit, with the reason:

    .venv/bin/python tests/unit/test_golden_report.py   # rewrites tests/golden/report-*/
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
FILES = ("summary.csv", "comparisons.csv", "reproduction.csv", "capacity.csv",
         "capacity_steps.csv", "run-summary.json")
# Small but whole: every scenario of both papers and both capacity kinds, 2 repetitions.
SCENARIOS = ["p1_hello", "p1_echo", "p1_list", "p1_get", "p1_create", "p1_update", "p1_delete",
             "p2_get_constant", "p2_post_constant", "p2_get_rate200", "p2_post_rate200",
             "p2_get_concurrent", "p2_post_concurrent", "capacity_hello", "capacity_get"]
DATABASES = ("sqlite", "postgresql")


def build_golden_run(root: Path, database: str) -> Path:
    """Write the fixed synthetic run (its folder is named ``golden``, the run id) and build its
    report without figures or HTML; return the report folder."""
    sys.path.insert(0, str(GOLDEN.parents[1]))
    from reports.build import build
    from reports.synthetic.demo import write_demo_run

    run = write_demo_run(root / "golden", SCENARIOS, reps=2, requests=100, database=database)
    _, out = build(run, figures=False, html=False)
    return out


@pytest.mark.parametrize("database", DATABASES)
def test_report_outputs_match_the_goldens(tmp_path: Path, database: str) -> None:
    out = build_golden_run(tmp_path, database)
    kept = GOLDEN / f"report-{database}"
    for name in FILES:
        got, want = (out / name).read_bytes(), (kept / name).read_bytes()
        assert got == want, f"{name} ({database}) differs from {kept / name}"


if __name__ == "__main__":
    import shutil
    import tempfile

    for db in DATABASES:
        with tempfile.TemporaryDirectory() as tmp:
            built = build_golden_run(Path(tmp), db)
            target = GOLDEN / f"report-{db}"
            target.mkdir(parents=True, exist_ok=True)
            for name in FILES:
                shutil.copyfile(built / name, target / name)
            print(f"wrote {target}")

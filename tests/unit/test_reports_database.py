"""The report's side of `-e database=postgresql`: which database the run used (the report's top
line, provenance, a `database` column in every export), the database host's resources from
monitor-db.csv (efficiency, capacity cost, resources over time) computed by the server's own
functions, warnings and blanks where monitor-db.csv is missing, and SQLite and older runs
unchanged but for the database line and column.

Known answers (``reports.synthetic.database``): in every ordinary cell the server's monitor has
two processes at 40% of a core and the database host's two at 20% and 30% (40 + 60 MiB), each
sampled for exactly 10 s: 8 and 5 CPU-seconds. With 250 successful requests per repetition:
31.25 requests per server CPU-second, 20 database CPU-seconds per 1,000 requests, a database
peak RSS of 100 MiB and 250 / 13 requests per CPU-second of server and database together. In
a capacity cell's cost step (150 req/s, ``reports.synthetic.capacity_cells``) the database's 0.5 of
a core is 0.5 / 150 × 1,000 = 3.33 CPU-seconds per 1,000 requests; beside gunicorn + uvicorn's 2.0
that is 1,000 / 5.33 = 187.5 requests per CPU-second.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.analysis.analyse import Analysis
from reports.build import build, build_comparison
from reports.loading.database import database_facts, database_of, headline
from reports.loading.run_folder import MONITOR_SIDES
from reports.rendering import plotly_resources
from reports.rendering.sections import variant_styles
from reports.synthetic.capacity_cells import CAPACITY_MODELS, add_capacity_cells
from reports.synthetic.database import DbTree, add_database, tree_monitor
from reports.synthetic.runs import make_run

GU, GTHREAD = "fastapi_sqlite3-gunicorn_uvicorn", "flask_sqlite3-gunicorn_gthread"
VARIANTS = {GU: 2.0, GTHREAD: 4.0}
SCENARIOS = ("smoke_hello", "smoke_get")
CAPACITY = "capacity_hello"
REPS, REQUESTS, SECONDS = 3, 250, 10.0
SERVER_CPU_S, DB_CPU_S = 2 * 0.40 * SECONDS, (0.20 + 0.30) * SECONDS  # 8 and 5
PG_LINE = "database: PostgreSQL 15.18 on host db (pool 8 per server process)"
DB_TREE = DbTree(seconds=SECONDS)


def _constant_server(root: Path) -> None:
    """Every ordinary cell's server monitor: two processes at 40% for exactly 10 s."""
    for folder in sorted((root / "cells").glob("*/smoke_*/rep-*")):
        start = json.loads((folder / "summary.json").read_text())["started_ns"]
        tree_monitor(start, SECONDS, (40.0, 40.0), (50.0, 50.0), first_pid=1000,
                     name="gunicorn").to_csv(folder / MONITOR_SIDES["server"], index=False)


def _run(root: Path, kind: str | None, *, capacity: bool = False,
         without_monitor: frozenset[tuple[str, str, int]] = frozenset()) -> Path:
    make_run(root, variants=VARIANTS, scenarios=SCENARIOS, reps=REPS, requests_per_rep=REQUESTS)
    if capacity:
        add_capacity_cells(root, [CAPACITY], reps=REPS,
                           models={v: CAPACITY_MODELS[v] for v in VARIANTS})
    _constant_server(root)
    if kind:
        add_database(root, kind, tree=DB_TREE, without_monitor=without_monitor)
    return root


def _row(frame: pd.DataFrame, variant: str, scenario: str) -> pd.Series:
    rows = frame[(frame["variant"] == variant) & (frame["scenario"] == scenario)]
    assert len(rows) == 1, (variant, scenario)
    return rows.iloc[0]


def _section(text: str, heading: str) -> str:
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Path]:
    root = _run(tmp_path_factory.mktemp("pg") / "run", "postgresql", capacity=True)
    return build(root, figures=False)


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Path]:
    root = _run(tmp_path_factory.mktemp("sqlite") / "run", "sqlite", capacity=True)
    return build(root, figures=False)


# -- which database ----------------------------------------------------------------------------

def test_a_postgresql_run_says_so_at_the_top_and_in_full_in_provenance(pg):
    _, out = pg
    text = (out / "tables.md").read_text()
    assert text.splitlines()[2] == f"**{PG_LINE}**"
    database = _section(text, "### Database")
    for line in ("- **database**: PostgreSQL, a server on its own host",
                 "- **version**: 15.18 (Debian 15.18-0+deb12u1)",
                 "- **host**: db (198.18.0.20)", "- **connection pool**: 8 per server process",
                 "- **setting shared_buffers**: 128MB", "- **setting synchronous_commit**: on"):
        assert line in database
    html = (out / "index.html").read_text()
    assert f'<div class="db" id="database-line">{PG_LINE}</div>' in html
    assert html.index(PG_LINE) < html.index("Validity — read first")
    assert "<th>setting work_mem</th><td>4MB</td>" in html


def test_database_block_in_either_settings_shape_and_never_a_crash():
    effective = database_of({"database": {
        "kind": "postgresql", "host": "db", "version": "15.18 (Debian 15.18-0+deb12u1)",
        "unit": "postgresql@15-main.service", "pool_size_per_process": 8,
        "settings": {"configured": {"shared_buffers": "256MB", "fsync": "on"},
                     "effective": {"shared_buffers": "128MB", "fsync": "on"}}}})
    assert effective.settings == {"shared_buffers": "128MB", "fsync": "on"}
    facts = dict(database_facts(effective))
    assert facts["setting shared_buffers"] == "128MB (configured: 256MB)"
    assert facts["setting fsync"] == "on" and facts["unit"] == "postgresql@15-main.service"
    for garbage in ({"database": "postgresql"}, {"database": {"kind": 3, "settings": [1]}},
                    {"database": {"kind": "postgresql", "pool_size_per_process": "eight",
                                  "settings": "x", "version": {}}}, {"database": None}, {}):
        assert headline(database_of(garbage)).startswith("database: ")
    down = database_of({"database": {"kind": "postgresql", "host": "db", "version": None,
                                     "error": "connection refused"}})
    assert headline(down) == "database: PostgreSQL (version not recorded) on host db"
    assert headline(database_of({"database": {"kind": "sqlite", "version": "3.40.1",
                                              "settings": {"journal_mode": "wal"}}})) == \
        "database: SQLite 3.40.1 (WAL), in-process"


# -- the database host's resources --------------------------------------------------------------

def test_db_cpu_figures_of_ordinary_cells_are_the_hand_computed_ones(pg):
    result, _ = pg
    reps = result.reps
    assert reps["ok_requests"].eq(REQUESTS).all()
    assert reps["server_cpu_s"].to_numpy() == pytest.approx(SERVER_CPU_S)
    assert reps["db_cpu_s"].to_numpy() == pytest.approx(DB_CPU_S)
    for scenario in SCENARIOS:
        row = _row(result.summary, GU, scenario)
        assert row["requests_per_cpu_s"] == pytest.approx(REQUESTS / SERVER_CPU_S)  # 31.25
        assert row["db_cpu_s_per_1k"] == pytest.approx(DB_CPU_S / REQUESTS * 1000)  # 20
        assert row["db_peak_rss_mib"] == pytest.approx(100.0)
        assert row["requests_per_total_cpu_s"] == pytest.approx(REQUESTS / 13.0)  # 19.23


def test_the_efficiency_table_shows_the_database_host(pg):
    result, out = pg
    section = _section((out / "tables.md").read_text(), "## Efficiency")
    assert "PostgreSQL's process tree on host db (monitor-db.csv)" in section
    assert ("| requests per server CPU-second | database CPU-s per 1,000 requests | database "
            "peak RSS MiB | requests per CPU-second, server + database |") in section
    assert f"| {GU} | smoke_hello | " in section
    assert "| 31.2 | 20.00 | 100.0 | 19.2 |" in section
    assert list(result.efficiency.columns)[-3:] == ["db_cpu_s_per_1k", "db_peak_rss_mib",
                                                    "requests_per_total_cpu_s"]


def test_capacity_cost_has_the_database_host_beside_the_server(pg):
    result, out = pg
    cost = _row(result.capacity.cost, GU, CAPACITY)
    assert cost["cpu_mean"] == pytest.approx(2.0, abs=1e-6)
    assert cost["db_cpu_mean"] == pytest.approx(0.5 / 150 * 1000, rel=1e-6)  # 3.33
    assert cost["db_rss_mean"] == pytest.approx(100.0)
    assert cost["total_rps_per_cpu_mean"] == pytest.approx(1000 / (2.0 + 10 / 3), rel=1e-6)
    assert cost["db_n"] == REPS
    section = _section((out / "tables.md").read_text(), "### Cost per request")
    assert "database CPU-s per 1,000 requests (mean)" in section
    assert "requests per CPU-second, server + database (mean)" in section
    assert f"| {GU} | {CAPACITY} | 150.0 | 2.00 | 2.00 – 2.00 | 60.0 | 60.0 – 60.0 | 3 of 3 | " \
        "3.33 | 3.33 – 3.33 | 100.0 | 187.5 | 3 of 3 | yes |" in section


def test_db_figures_come_from_the_servers_own_functions(tmp_path: Path):
    """A db monitor identical to the server's gives identical figures, ordinary and capacity."""
    root = _run(tmp_path / "run", "postgresql", capacity=True)
    for folder in (root / "cells").glob("*/*/rep-*"):
        shutil.copy(folder / MONITOR_SIDES["server"], folder / MONITOR_SIDES["db"])
    result, _ = build(root, figures=False, html=False)
    assert result.reps["db_cpu_s"].to_numpy() == pytest.approx(
        result.reps["server_cpu_s"].to_numpy())
    reps = result.capacity.reps
    assert reps["db_cost_cpu_s_per_1k"].to_numpy() == pytest.approx(
        reps["cost_cpu_s_per_1k"].to_numpy())
    assert reps["db_peak_rss_mib"].to_numpy() == pytest.approx(reps["peak_rss_mib"].to_numpy())


def test_resources_over_time_have_the_database_host(pg):
    result, _ = pg
    data = result.timelines["smoke_get"]
    db_cpu = data[(data["metric"] == "db_cpu_pct") & (data["variant"] == GU)]
    assert len(db_cpu) and db_cpu["value"].to_numpy() == pytest.approx(50.0)
    db_rss = data[(data["metric"] == "db_rss_mb") & (data["variant"] == GU)]
    assert db_rss["value"].to_numpy() == pytest.approx(100.0)
    spec = plotly_resources.resources_spec(data, "smoke_get", result.variants,
                                         variant_styles(result.variants, result.summary))
    assert spec is not None
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert "<b>database CPU % (its process tree, own host)</b>" in titles
    assert "<b>database RSS MiB (its process tree, own host)</b>" in titles


def test_figures_add_server_plus_database_efficiency_only_with_a_database_host(pg, sqlite,
                                                                              tmp_path: Path):
    from reports.rendering import figures

    drawn = {f.filename: f for f in figures.write_all(pg[0], tmp_path / "pg", workers=1)}
    assert {"efficiency.png", "efficiency_total.png"} <= set(drawn)
    assert drawn["efficiency_total.png"].title == "Requests per server + database CPU-second"
    assert "the database's process tree" in drawn["resources_smoke_get.png"].caption
    plain = {f.filename: f for f in figures.write_all(sqlite[0], tmp_path / "sqlite", workers=1)}
    assert "efficiency.png" in plain and "efficiency_total.png" not in plain
    assert "database" not in plain["resources_smoke_get.png"].caption


# -- exports ------------------------------------------------------------------------------------

def test_every_export_has_the_database_column_and_postgresql_adds_its_figures(pg):
    _, out = pg
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[-4:]) == ["database", "db_cpu_s_per_1k", "db_peak_rss_mib",
                                          "requests_per_total_cpu_s"]
    assert set(summary["database"]) == {"postgresql"}
    assert summary["db_cpu_s_per_1k"].to_numpy() == pytest.approx(20.0)
    capacity = pd.read_csv(out / "capacity.csv")
    assert list(capacity.columns[-6:]) == [
        "database", "db_cost_cpu_s_per_1k", "db_peak_rss_mib", "cost_requests_per_total_cpu_s",
        "db_cost_cpu_s", "db_monitor_coverage"]
    assert capacity["db_monitor_coverage"].to_numpy() == pytest.approx(1.0)
    for name in ("comparisons.csv", "reproduction.csv", "capacity_steps.csv"):
        frame = pd.read_csv(out / name)
        assert frame.columns[-1] == "database" and set(frame["database"]) <= {"postgresql"}


def test_compare_names_the_databases_of_both_runs(pg, sqlite, tmp_path: Path):
    comparison, out = build_comparison(sqlite[0].run.path, pg[0].run.path, tmp_path / "cmp")
    assert ("database: SQLite 3.40.1 (WAL), in-process in A, PostgreSQL 15.18 on host db "
            "(pool 8 per server process) in B") in comparison.setup
    table = pd.read_csv(out / "compare.csv")
    assert set(table["database_a"]) == {"sqlite"} and set(table["database_b"]) == {"postgresql"}


# -- missing monitor-db.csv ---------------------------------------------------------------------

def test_a_missing_monitor_db_is_warned_and_its_figures_are_blank_never_zero(tmp_path: Path):
    lacking = frozenset({(GTHREAD, "smoke_get", k) for k in range(1, REPS + 1)}
                        | {(GU, "smoke_hello", 2), (GU, CAPACITY, 1)})
    result, out = build(_run(tmp_path / "run", "postgresql", capacity=True,
                             without_monitor=lacking), figures=False)
    warned = result.validity[result.validity["message"].str.startswith("monitor-db.csv missing")]
    assert set(zip(warned["variant"], warned["scenario"], warned["rep"], strict=True)) == lacking
    assert set(warned["severity"]) == {"warning"}
    assert not result.validity["message"].str.contains("database monitor covers").any()
    rep = result.reps.set_index(["variant", "scenario", "rep"]).loc[(GU, "smoke_hello", 2)]
    assert math.isnan(rep["db_cpu_s"]) and math.isnan(rep["requests_per_total_cpu_s"])
    assert rep["server_cpu_s"] == pytest.approx(SERVER_CPU_S)  # the server's figures stay
    assert _row(result.summary, GU, "smoke_hello")["db_cpu_s_per_1k"] == pytest.approx(20.0)
    blank = _row(result.summary, GTHREAD, "smoke_get")  # no repetition has one
    assert all(math.isnan(blank[c]) for c in ("db_cpu_s_per_1k", "db_peak_rss_mib",
                                              "requests_per_total_cpu_s"))
    assert blank["requests_per_cpu_s"] == pytest.approx(REQUESTS / SERVER_CPU_S)
    section = _section((out / "tables.md").read_text(), "## Efficiency")
    (line,) = [ln for ln in section.splitlines() if ln.startswith(f"| {GTHREAD} | smoke_get |")]
    assert line.endswith("| 31.2 | – | – | – |")  # goodput, server, then three blanks
    cap = result.capacity.reps.set_index(["variant", "scenario", "rep"]).loc[(GU, CAPACITY, 1)]
    assert math.isnan(cap["db_cost_cpu_s_per_1k"]) and cap["cost_cpu_s_per_1k"] == \
        pytest.approx(2.0)
    assert _row(result.capacity.cost, GU, CAPACITY)["db_n"] == REPS - 1
    written = pd.read_csv(out / "summary.csv")
    assert written.loc[(written["variant"] == GTHREAD) & (written["scenario"] == "smoke_get"),
                       "db_cpu_s_per_1k"].isna().all()


def test_a_reset_to_other_rows_or_not_recorded_is_a_finding(tmp_path: Path):
    root = _run(tmp_path / "run", "postgresql")
    cells = sorted((root / "cells").glob(f"{GU}/smoke_get/rep-*"))
    reset = json.loads((cells[0] / "database.json").read_text())
    (cells[0] / "database.json").write_text(json.dumps({**reset, "items": 1499}))
    (cells[1] / "database.json").unlink()
    result, _ = build(root, figures=False, html=False)
    messages = result.validity.set_index(["variant", "scenario", "rep"])
    assert "reset to 1,499 rows before this cell, not the 1,500" in \
        messages.loc[(GU, "smoke_get", 1), "message"]
    assert messages.loc[(GU, "smoke_get", 2), "severity"] == "info"


# -- SQLite and older runs ----------------------------------------------------------------------

def test_a_sqlite_run_has_no_database_columns_at_all(sqlite):
    result, out = sqlite
    text = (out / "tables.md").read_text()
    assert text.splitlines()[2] == "**database: SQLite 3.40.1 (WAL), in-process**"
    assert "database" not in _section(text, "## Efficiency")
    cost = _section(text, "### Cost per request")
    assert "database" not in cost and "server CPU-s per 1,000 requests" in cost
    assert list(result.efficiency.columns) == ["variant", "scenario", "rps_median",
                                               "requests_per_cpu_s"]
    summary = pd.read_csv(out / "summary.csv")
    assert summary.columns[-1] == "database" and set(summary["database"]) == {"sqlite"}
    assert not [c for c in summary.columns if c.startswith("db_")]
    capacity = pd.read_csv(out / "capacity.csv")
    assert capacity.columns[-1] == "database"
    assert not [c for c in capacity.columns if c.startswith("db_")]
    assert not set(result.timelines["smoke_get"]["metric"]) & {"db_cpu_pct", "db_rss_mb"}
    assert not result.validity["message"].str.contains("monitor-db.csv").any()
    assert "- **setting busy_timeout_ms**: 5000" in _section(text, "### Database")


def test_an_old_run_without_a_database_block_still_builds(tmp_path: Path):
    root = _run(tmp_path / "run", None, capacity=True)
    meta = json.loads((root / "run.json").read_text())
    meta["settings"] = {"port": 8000, "seed_items": 1500, "sqlite_journal_mode": "wal",
                        "sqlite_busy_timeout_ms": 5000}
    (root / "run.json").write_text(json.dumps(meta))
    result, out = build(root, figures=False)
    text = (out / "tables.md").read_text()
    assert "**database: SQLite (WAL; version not recorded), in-process**" in text
    assert "- **version**: not recorded" in _section(text, "### Database")
    info = result.validity[result.validity["severity"] == "info"]["message"]
    assert info.str.startswith("run.json has no database block").sum() == 1
    assert set(pd.read_csv(out / "summary.csv")["database"]) == {"sqlite"}
    assert "database: SQLite (WAL; version not recorded), in-process" in \
        (out / "index.html").read_text()
    assert np.isnan(result.reps["db_cpu_s"]).all()

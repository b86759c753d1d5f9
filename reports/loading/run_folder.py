"""Readers: turn a results folder (docs/results.md) into three tidy DataFrames.

Nothing here computes a statistic; it only reads, types and aligns the data:

* ``cells``    one row per repetition folder (``cell_id``): its summary.json keys, what was found;
* ``requests`` one row per request: ``cell_id, seq, t_s, latency_ms, ok, censored``: ``ok`` for a
  success; ``censored`` for a timed-out request, whose ``latency_ms`` is the time it was abandoned
  (a lower bound of its latency); ``latency_ms`` is NaN for every other failure, which is counted
  but never a latency sample;
* ``monitors`` one row per monitor sample:
  ``cell_id, side, t_s, ts_ns, scope, pid, cpu_percent, rss_bytes`` (``ts_ns``: the sample's
  epoch time, to place it in a step's window ``[start_ns, end_ns)``; ``side``: ``server``,
  ``client`` or ``db``, the database host of a PostgreSQL run).

A cell of a PostgreSQL run also says whether it has its ``monitor-db.csv`` (``has_db_monitor``)
and holds the reset of the database before it (``db_reset``: database.json, or None).

A cell's ``round`` and ``design`` are its summary labels (rounds design; None before). An A/A
control's cells (variant ``X~aa``) take stack and server from their summary, else from X.

A capacity cell (``"kind": "capacity"`` in its summary.json) keeps its ``capacity`` object (the
search, its steps) in ``cells``; ``reports.analysis.capacity.analyse`` reads it.

``t_s`` is seconds since the repetition's start (``started_ns``, else its first request).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.loading.plan import unit_variant
from runfiles.constants import TIMEOUT
from runfiles.summary_json import summary_problems

REQUEST_COLUMNS = ("seq", "scheduled_ns", "sent_ns", "done_ns", "error")  # read; others ignored
MONITOR_COLUMNS = ("ts_ns", "scope", "pid", "cpu_percent", "rss_bytes")
# side -> file; "db": the database server's process tree on its own host (PostgreSQL runs)
MONITOR_SIDES = {"server": "monitor-server.csv", "client": "monitor-client.csv",
                 "db": "monitor-db.csv"}
DATABASE_RESET = "database.json"  # PostgreSQL runs: the reset of the database before the cell
_REP_DIR = re.compile(r"^rep-(\d+)$")


class NotARunError(Exception):
    """The folder is not a fwbench results folder."""


@dataclass(frozen=True)
class Run:
    path: Path
    meta: dict[str, Any]
    cells: pd.DataFrame
    requests: pd.DataFrame
    monitors: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.meta.get("run_id") or self.path.name)


def check_run_dir(path: Path) -> None:
    """Raise NotARunError with a one-line reason unless ``path`` looks like a results folder."""
    if not path.exists():
        raise NotARunError(f"{path}: no such folder")
    if not path.is_dir():
        raise NotARunError(f"{path}: not a folder")
    if not (path / "run.json").is_file() and not (path / "cells").is_dir():
        raise NotARunError(f"{path}: not a fwbench run folder (neither run.json nor cells/ found)")


def _read_json(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"{path.name} missing"
    except (OSError, ValueError) as exc:
        return None, f"{path.name} unreadable ({type(exc).__name__})"
    if not isinstance(data, dict):
        return None, f"{path.name} is not a JSON object"
    return data, None


def read_requests(path: Path, model: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """Read one requests.csv: ``seq, start_ns, done_ns, error`` (times nullable Int64).

    ``start_ns`` is ``scheduled_ns`` in open loop (latency counts from the schedule: no coordinated
    omission) and ``sent_ns`` in closed loop. Without a ``model``, a file whose ``scheduled_ns`` is
    filled in is taken as open loop. ``attrs["open_loop"]`` says which was used.
    """
    empty = pd.DataFrame({"seq": pd.Series(dtype="int64"), "start_ns": pd.Series(dtype="Int64"),
                          "done_ns": pd.Series(dtype="Int64"), "error": pd.Series(dtype="str")})
    if not path.is_file():
        return empty, "requests.csv missing"
    dtypes = dict.fromkeys(REQUEST_COLUMNS, "Int64") | {"error": "category"}
    try:  # one pass: only the columns the report uses, typed up front
        raw = pd.read_csv(path, usecols=lambda c: c in dtypes, dtype=dtypes,
                          keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return empty, "requests.csv is empty"
    except (ValueError, pd.errors.ParserError) as exc:
        return empty, f"requests.csv unreadable ({exc.__class__.__name__})"
    lacking = [c for c in ("sent_ns", "done_ns", "error") if c not in raw.columns]
    if lacking:
        return empty, f"requests.csv lacks columns {', '.join(lacking)}"
    if raw.empty:
        return empty, "requests.csv has no rows"
    start = raw["sent_ns"]
    has_schedule = "scheduled_ns" in raw and bool(raw["scheduled_ns"].notna().any())
    open_loop = model == "open" or (model is None and has_schedule)
    if open_loop and not has_schedule:
        open_loop = False  # nothing to count from: fall back to sent_ns (warned by validity)
    if open_loop:
        start = raw["scheduled_ns"].fillna(start)
    seq = raw["seq"] if "seq" in raw else pd.Series(np.arange(1, len(raw) + 1), dtype="Int64")
    out = pd.DataFrame({"seq": seq.fillna(-1).astype("int64"), "start_ns": start,
                        "done_ns": raw["done_ns"], "error": raw["error"]})
    out.attrs["open_loop"] = open_loop
    return out, None


def _requests_frame(cell_id: int, raw: pd.DataFrame, t0: int) -> pd.DataFrame:
    failed = raw["error"].notna().to_numpy() | raw["done_ns"].isna().to_numpy()
    censored = (raw["error"] == TIMEOUT).fillna(False).to_numpy(dtype=bool) \
        & raw["done_ns"].notna().to_numpy()
    latency = (raw["done_ns"] - raw["start_ns"]).to_numpy(dtype="float64", na_value=np.nan) / 1e6
    latency[failed & ~censored] = np.nan
    done = raw["done_ns"].fillna(raw["start_ns"])
    t_s = (done - t0).to_numpy(dtype="float64", na_value=np.nan) / 1e9
    return pd.DataFrame({"cell_id": np.full(len(raw), cell_id, dtype="int32"),
                         "seq": raw["seq"].to_numpy(), "t_s": t_s, "latency_ms": latency,
                         "ok": ~failed, "censored": censored})


def read_monitor(path: Path) -> tuple[pd.DataFrame | None, str | None]:
    """Read one monitor CSV (only the columns the report uses)."""
    if not path.is_file():
        return None, None
    dtypes = dict.fromkeys(MONITOR_COLUMNS, "float64") | {"ts_ns": "int64", "scope": "category"}
    try:
        mon = pd.read_csv(path, usecols=lambda c: c in dtypes, dtype=dtypes)
    except pd.errors.EmptyDataError:
        return None, f"{path.name} is empty"
    except (ValueError, pd.errors.ParserError) as exc:
        return None, f"{path.name} unreadable ({exc.__class__.__name__})"
    if not set(MONITOR_COLUMNS) <= set(mon.columns):
        return None, f"{path.name} lacks columns {sorted(set(MONITOR_COLUMNS) - set(mon.columns))}"
    return mon, None


def _cell_row(cell_id: int, variant: str, scenario: str, rep: int, folder: Path,
              summary: dict[str, Any] | None, meta_variants: dict[str, Any]) -> dict[str, Any]:
    s = summary or {}
    # An A/A control X~aa runs X's unit: run.json lists X, and its name is X's plus "~aa".
    unit = unit_variant(variant)
    vmeta = meta_variants.get(variant) or meta_variants.get(unit) or {}
    stack_guess, _, server_guess = unit.partition("-")
    labels = s.get("labels") if isinstance(s.get("labels"), dict) else {}
    lat = s.get("latency_ms") if isinstance(s.get("latency_ms"), dict) else {}
    return {
        "cell_id": cell_id, "variant": variant, "scenario": scenario, "rep": rep,
        "path": str(folder),
        "stack": s.get("stack") or vmeta.get("stack") or stack_guess,
        "server": s.get("server") or vmeta.get("server") or server_guess or "",
        "method": s.get("method"), "url_path": s.get("path"), "model": s.get("model"),
        "rate": s.get("rate"), "concurrency": s.get("concurrency"),
        "iterations": s.get("iterations"), "duration_s": s.get("duration_s"),
        "engine": s.get("engine"), "summary_requests": s.get("requests"),
        "summary_errors": s.get("errors"),
        "error_classes": dict(s.get("error_classes") or {}),
        "achieved_rps": s.get("achieved_rps"), "attempted_rps": s.get("attempted_rps"),
        "schema_version": _schema_version(s) if summary is not None else None,
        "max_error_rate": s.get("max_error_rate"), "started_ns": s.get("started_ns"),
        "ended_ns": s.get("ended_ns"), "summary_mean_ms": lat.get("mean"),
        "client_cpu_pct": s.get("client_cpu_pct"),
        "warnings": [str(w) for w in (s.get("warnings") or [])],
        "status": s.get("status") if s.get("status") in ("ok", "degraded", "failed") else None,
        "has_summary": summary is not None,
        "kind": s.get("kind") if isinstance(s.get("kind"), str) else None,
        "capacity": s.get("capacity") if isinstance(s.get("capacity"), dict) else None,
        "has_steps_csv": (folder / "steps.csv").is_file(),
        "round": _label_int(labels.get("round")), "design": labels.get("design"),
    }


def _label_int(value: object) -> int | None:
    """A label that should be an integer (``--label round=3`` arrives as the string "3")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _schema_version(summary: dict[str, Any]) -> int:
    """summary.json's schema: 1 when absent (before goodput and censoring)."""
    version = summary.get("schema_version")
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def discover_cells(run_dir: Path) -> list[tuple[str, str, int, Path]]:
    """(variant, scenario, rep, folder) for every ``cells/<variant>/<scenario>/rep-<k>``."""
    found = []
    for folder in sorted((run_dir / "cells").glob("*/*/rep-*")):
        match = _REP_DIR.match(folder.name)
        if match and folder.is_dir():
            found.append((folder.parent.parent.name, folder.parent.name, int(match[1]), folder))
    return found


def load_run(run_dir: Path | str) -> Run:
    """Read a whole results folder. Raises NotARunError when it is not a run (no folder, a
    run.json that exists but is not a JSON object, no cell at all); smaller problems are listed
    in ``problems`` and the report shows them."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    problems: list[str] = []
    meta, problem = _read_json(run_dir / "run.json")
    if problem and (run_dir / "run.json").exists():
        raise NotARunError(f"{run_dir / 'run.json'}: {problem.removeprefix('run.json ')}; "
                           "fix it or move it aside (a run without run.json still builds)")
    if problem:
        problems.append(f"run.json: {problem}")
    meta = meta or {}
    meta_variants = meta.get("variants") if isinstance(meta.get("variants"), dict) else {}

    rows: list[dict[str, Any]] = []
    req_frames: list[pd.DataFrame] = []
    mon_frames: list[pd.DataFrame] = []
    for cell_id, (variant, scenario, rep, folder) in enumerate(discover_cells(run_dir)):
        summary, s_problem = _read_json(folder / "summary.json")
        cell_problems = [s_problem] if s_problem else []
        invalid = summary_problems(summary) if summary is not None else []
        if invalid:  # never trust a summary of the wrong shape: the rows speak instead
            cell_problems.append(f"{folder.relative_to(run_dir)}/summary.json: "
                                 + "; ".join(invalid) + "; ignored, figures from requests.csv")
            summary = None
        row = _cell_row(cell_id, variant, scenario, rep, folder, summary, meta_variants)
        raw, r_problem = read_requests(folder / "requests.csv", row["model"])
        if r_problem:
            cell_problems.append(r_problem)
        if row["model"] == "open" and len(raw) and not raw.attrs.get("open_loop"):
            cell_problems.append("open loop but scheduled_ns is empty: latency counted from "
                                 "sent_ns, which can hide server stalls (coordinated omission)")
        starts = raw["start_ns"].dropna()
        t0 = row["started_ns"] if isinstance(row["started_ns"], int) else None
        if t0 is None and len(starts):
            t0 = int(starts.min())
        if row["model"] not in ("open", "closed") and len(raw):
            row["model"] = "open" if raw.attrs.get("open_loop") else "closed"
        failed = raw["error"].notna()
        row["has_requests"] = r_problem is None
        row["csv_requests"] = len(raw)
        row["csv_errors"] = int(failed.sum() + (raw["done_ns"].isna() & ~failed).sum())
        if len(raw) and not row["error_classes"]:
            row["error_classes"] = {str(k): int(v) for k, v in
                                    raw["error"].value_counts().items() if v}
        row["first_start_ns"] = int(starts.min()) if len(starts) else None
        row["last_done_ns"] = int(raw["done_ns"].max()) if raw["done_ns"].notna().any() else None
        if len(raw) and t0 is not None:
            req_frames.append(_requests_frame(cell_id, raw, t0))
        row["has_db_monitor"] = False
        for side, name in MONITOR_SIDES.items():
            mon, m_problem = read_monitor(folder / name)
            if m_problem:
                cell_problems.append(m_problem)
            if side == "db":
                row["has_db_monitor"] = mon is not None and bool(len(mon))
            if mon is not None and len(mon):
                origin = t0 if t0 is not None else int(mon["ts_ns"].min())
                mon_frames.append(pd.DataFrame({
                    "cell_id": np.int32(cell_id), "side": side,
                    "t_s": (mon["ts_ns"].to_numpy() - origin) / 1e9,
                    "ts_ns": mon["ts_ns"].to_numpy(), "scope": mon["scope"].astype(str).to_numpy(),
                    "pid": mon["pid"].to_numpy(), "cpu_percent": mon["cpu_percent"].to_numpy(),
                    "rss_bytes": mon["rss_bytes"].to_numpy()}))
        reset, reset_problem = _read_json(folder / DATABASE_RESET)
        if reset_problem and (folder / DATABASE_RESET).exists():
            cell_problems.append(reset_problem)
        row["db_reset"] = reset
        row["problems"] = cell_problems
        rows.append(row)

    cells = pd.DataFrame(rows)
    if cells.empty:
        raise NotARunError(f"{run_dir}: no cells found under cells/<variant>/<scenario>/rep-<k>/; "
                           "nothing to report")
    requests = (pd.concat(req_frames, ignore_index=True) if req_frames else pd.DataFrame(
        {"cell_id": pd.Series(dtype="int32"), "seq": pd.Series(dtype="int64"),
         "t_s": pd.Series(dtype="float64"), "latency_ms": pd.Series(dtype="float64"),
         "ok": pd.Series(dtype="bool"), "censored": pd.Series(dtype="bool")}))
    monitors = (pd.concat(mon_frames, ignore_index=True) if mon_frames else pd.DataFrame(
        columns=["cell_id", "side", "t_s", "ts_ns", "scope", "pid", "cpu_percent", "rss_bytes"]))
    return Run(run_dir, meta, cells, requests, monitors, problems)

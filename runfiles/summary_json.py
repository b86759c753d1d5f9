"""The results model: summary.json's versioned schema, its one builder, its validation, and the
atomic writer of every file that marks progress.

A cell's summary.json is built here and nowhere else: by ``client run`` (one client host), by
``controller merge`` (several), and by ``controller failed-cell`` on the controller when a cell
could not run at all. The report validates what it reads with ``summary_problems``.
docs/results.md describes every key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runfiles.atomic import write_text_atomic
from runfiles.constants import SUMMARY_SCHEMA_VERSION

IDENTITY_KEYS: tuple[str, ...] = ("variant", "stack", "server", "scenario", "rep")
STEP_KEYS: tuple[str, ...] = ("method", "path", "model", "rate", "concurrency", "iterations",
                              "duration_s")
STATUSES: tuple[str, ...] = ("ok", "degraded", "failed")

_NUMBER = (int, float)
_OPT_NUMBER = (int, float, type(None))
_OPT_STR = (str, type(None))
# key -> accepted JSON types (bool is never accepted as a number).
SCHEMA: dict[str, tuple[type, ...]] = {
    "schema_version": (int,),
    "variant": _OPT_STR, "stack": _OPT_STR, "server": _OPT_STR, "scenario": (str,),
    "rep": (int, type(None)),
    "method": _OPT_STR, "path": _OPT_STR, "model": _OPT_STR,
    "rate": _OPT_NUMBER, "concurrency": (int, type(None)), "iterations": (int, type(None)),
    "duration_s": _OPT_NUMBER,
    "requests": (int,), "errors": (int,), "error_classes": (dict,),
    "achieved_rps": _OPT_NUMBER, "attempted_rps": _OPT_NUMBER, "error_rate": _OPT_NUMBER,
    "max_error_rate": _OPT_NUMBER, "started_ns": (int, type(None)),
    "ended_ns": (int, type(None)), "latency_ms": (dict, type(None)),
    "latency_censored": (int,), "latency_samples": (int,),
    "client_cpu_pct": _OPT_NUMBER, "warnings": (list,), "status": (str,),
    # The warm-up and the floor of the measured phase (client run --warmup / --min-measure-s).
    # Absent in summaries written before them: the scenario's own warm-up, no floor.
    "warmup_mode": _OPT_STR, "min_measure_s": _OPT_NUMBER, "measure_blocks": (int, type(None)),
    "measured_s": _OPT_NUMBER, "min_measure_note": _OPT_STR,
}
WARMUP_MODES: tuple[str, ...] = ("measured", "scenario", "none")
REQUIRED: tuple[str, ...] = ("schema_version", "scenario", "requests", "errors", "status",
                             "warnings")


def summary_problems(data: object) -> list[str]:
    """What is wrong with a summary.json's content, one sentence per key (empty when valid).

    Keys outside ``SCHEMA`` are extras and pass; a summary without ``schema_version`` is read as
    schema 1 (before goodput) by the report, so it is not a problem here."""
    if not isinstance(data, dict):
        return [f"is a JSON {type(data).__name__}, not an object"]
    out = []
    version = data.get("schema_version", 1)
    if _is(version, (int,)) and version > SUMMARY_SCHEMA_VERSION:
        out.append(f"schema_version {version} is newer than this fwbench reads "
                   f"({SUMMARY_SCHEMA_VERSION}): update fwbench")
    for key in REQUIRED:
        if key not in data and not (key == "schema_version" or version == 1):
            out.append(f"key '{key}' is missing")
    for key, types in SCHEMA.items():
        if key in data and not _is(data[key], types):
            out.append(f"key '{key}' must be {_names(types)}, got {data[key]!r:.40}")
    if _is(data.get("status"), (str,)) and data["status"] not in STATUSES:
        out.append(f"key 'status' must be one of {', '.join(STATUSES)}, got {data['status']!r:.40}")
    if _is(data.get("warmup_mode"), (str,)) and data["warmup_mode"] not in WARMUP_MODES:
        out.append(f"key 'warmup_mode' must be one of {', '.join(WARMUP_MODES)}, got "
                   f"{data['warmup_mode']!r:.40}")
    for key in ("requests", "errors", "latency_censored", "latency_samples", "measure_blocks",
                "min_measure_s", "measured_s"):
        if _is(data.get(key), _NUMBER) and data[key] < 0:
            out.append(f"key '{key}' must be >= 0, got {data[key]}")
    return out


def _is(value: object, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    return isinstance(value, types)


def _names(types: tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", str: "a string", dict: "an object",
             list: "a list", type(None): "null", bool: "a boolean"}
    wanted = [names[t] for t in types if not (t is float and int in types)]
    if int in types and float in types:
        wanted[wanted.index("an integer")] = "a number"
    return " or ".join(wanted)


def parse_labels(items: list[str]) -> dict[str, Any]:
    """A cell's ``labels`` from ``KEY=VALUE`` items (``--label``); ``rep`` becomes an int when it
    is one. Raises ValueError naming a malformed item."""
    labels: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--label must be KEY=VALUE, got {item!r}")
        labels[key] = int(value) if key == "rep" and value.isdigit() else value
    return labels


def build_summary(identity: Mapping[str, Any], step: Mapping[str, Any],
                  figures: Mapping[str, Any], extras: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of one cell, in a fixed key order: schema version, who (``identity``: variant,
    stack, server, scenario, rep), what load (``step``), the figures (``figures.cell_figures``),
    then provenance extras. Raises ValueError when the result would not validate."""
    out: dict[str, Any] = {"schema_version": SUMMARY_SCHEMA_VERSION}
    out.update({k: identity.get(k) for k in IDENTITY_KEYS})
    out.update({k: step.get(k) for k in STEP_KEYS})
    out.update(figures)
    out.update({k: v for k, v in extras.items() if k not in out})
    problems = summary_problems(out)
    if problems:
        raise ValueError("summary.json would be invalid: " + "; ".join(problems))
    return out


def failed_summary(identity: Mapping[str, Any], reason: str,
                   extras: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of a cell that could not run (never healthy, load task failed)."""
    figures = {"requests": 0, "errors": 0, "error_classes": {}, "achieved_rps": None,
               "attempted_rps": None, "error_rate": None, "started_ns": None, "ended_ns": None,
               "latency_ms": None, "latency_censored": 0, "latency_samples": 0,
               "client_cpu_pct": None, "warnings": [f"cell failed: {reason}"],
               "status": "failed", "failure": reason}
    return build_summary(identity, {}, figures, extras)


def write_json_atomic(path: Path, data: object) -> None:
    """Write ``data`` as JSON (indent 2, a final newline) atomically (``write_text_atomic``)."""
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")

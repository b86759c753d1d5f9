"""Scenario files (client/scenarios/NAME.json): load, validate, scale, turn into LoadPlans.

The schema is documented in client/scenarios/README.md; ``validate`` enforces it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.capacity import CapacitySpec
from client.constants import CAPACITY_TIMEOUT_S
from client.plan import CONNECTION_MODES, IdSpec, LoadPlan

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

ADDED_WARMUP_REQUESTS = 100  # run --add-warmup: requests of the warm-up given to a cold scenario
_TOP_KEYS = {"name", "description", "source", "writes", "warmup", "pause_s", "measure"}
_STEP_KEYS = {"method", "path", "body", "ids", "rate", "concurrency", "iterations", "duration_s",
              "engine", "pause_s", "timeout_s", "max_connections", "pause_after_s", "note",
              "connection"}
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}
# A capacity step (measure only): the request keys of a step, and ``capacity`` instead of the load.
_CAPACITY_STEP_KEYS = {"method", "path", "body", "ids", "timeout_s", "max_connections",
                       "connection", "engine", "note", "capacity"}
_CAPACITY_KEYS = {"mode", "slo_p99_ms", "max_error_rate", "start_rate", "max_rate",
                  "step_duration_s", "cost_rate", "cost_duration_s", "levels", "time_budget_s"}
_OPEN_ONLY = ("slo_p99_ms", "start_rate", "max_rate")
_SCALED_CAPACITY_KEYS = ("step_duration_s", "cost_duration_s", "time_budget_s")


class ScenarioError(ValueError):
    """A scenario name or file is not valid."""


@dataclass(frozen=True)
class Step:
    """One step of a scenario: its ``spec`` as in the file (client/scenarios/README.md). The
    measured warm-up (client/warmup.py) also sets two keys no file has: ``min_requests`` (send
    at least this many, topping a duration up) and ``seq_offset`` (``LoadPlan.seq_offset``)."""

    spec: dict[str, Any]

    def plan(self, base_url: str, engine: str | None, seed: int, timeout_s: float | None = None,
             seq_offset: int | None = None) -> LoadPlan:
        s = self.spec
        ids = None
        if "ids" in s:
            i = s["ids"]
            ids = IdSpec("sequential", int(i.get("start", 1)), int(i.get("max", 0))) \
                if i["mode"] == "sequential" \
                else IdSpec("random", int(i.get("min", 1)), int(i.get("max", 1500)))
        kwargs: dict[str, Any] = {
            "base_url": base_url, "method": s["method"], "path": s["path"], "body": s.get("body"),
            "ids": ids, "rate": s.get("rate"), "concurrency": s.get("concurrency"),
            "iterations": s.get("iterations"), "duration_s": s.get("duration_s"),
            "engine": engine or s.get("engine") or "fast", "pause_s": s.get("pause_s", 0.0),
            "max_connections": s.get("max_connections"), "seed": seed,
            "connection": s.get("connection", "keep-alive"),
            "seq_offset": s.get("seq_offset", 0) if seq_offset is None else seq_offset,
        }
        t = timeout_s if timeout_s is not None else s.get("timeout_s")
        if t is not None:
            kwargs["timeout_s"] = t
        return LoadPlan(**kwargs)

    def scaled(self, factor: float) -> Step:
        s = dict(self.spec)
        if s.get("iterations") is not None:
            s["iterations"] = max(1, round(s["iterations"] * factor))
        if s.get("duration_s") is not None:
            s["duration_s"] = max(min(1.0, s["duration_s"]), s["duration_s"] * factor)
        if s.get("pause_after_s"):
            s["pause_after_s"] = s["pause_after_s"] * factor
        if s.get("capacity") is not None:
            s["capacity"] = {k: max(min(1.0, v), v * factor) if k in _SCALED_CAPACITY_KEYS else v
                             for k, v in s["capacity"].items()}
        return Step(s)

    @property
    def capacity(self) -> CapacitySpec | None:
        """A capacity step's search (``capacity`` in the file), else None."""
        c = self.spec.get("capacity")
        if c is None:
            return None
        kwargs = dict(c)
        if "levels" in kwargs:
            kwargs["levels"] = tuple(kwargs["levels"])
        return CapacitySpec(**kwargs)

    def template(self, base_url: str, seed: int, timeout_s: float | None = None) -> LoadPlan:
        """A capacity step's request as a LoadPlan (its load is set per step by
        ``sweep.step_plan``); the timeout defaults to ``CAPACITY_TIMEOUT_S``."""
        spec = {k: v for k, v in self.spec.items() if k != "capacity"}
        spec.setdefault("timeout_s", CAPACITY_TIMEOUT_S)
        return Step({**spec, "concurrency": 1, "iterations": 1}).plan(base_url, "fast", seed,
                                                                       timeout_s)


@dataclass(frozen=True)
class Scenario:
    name: str
    data: dict[str, Any]
    warmup: tuple[Step, ...]
    measure: Step
    pause_s: float

    @property
    def writes(self) -> bool:
        return bool(self.data["writes"])

    @property
    def capacity(self) -> CapacitySpec | None:
        """The capacity search of a capacity scenario (scaled as the scenario is), else None."""
        return self.measure.capacity

    def scaled(self, factor: float) -> Scenario:
        if not 0 < factor <= 1:
            raise ScenarioError("--scale must be in (0, 1]")
        return Scenario(self.name, self.data, tuple(w.scaled(factor) for w in self.warmup),
                        self.measure.scaled(factor), self.pause_s * factor)

    def with_warmup(self, requests: int = ADDED_WARMUP_REQUESTS) -> Scenario:
        """The scenario with a warm-up where it has none (``run --add-warmup``): the measured
        step's own request, ``requests`` times, closed loop on the step's engine and connection
        mode, unrecorded, then a 1 s pause. Writing scenarios (create, update, delete) keep none:
        a warm-up would change the rows they measure."""
        if self.warmup or self.writes:
            return self
        m = self.measure.spec
        spec = {k: m[k] for k in ("method", "path", "body", "ids", "engine", "timeout_s",
                                  "connection") if k in m}
        spec.update({"concurrency": min(int(m.get("concurrency") or 1), requests),
                     "iterations": requests, "pause_after_s": 1.0})
        return Scenario(self.name, self.data, (Step(spec),), self.measure, self.pause_s)

    def without_warmup(self) -> Scenario:
        """The scenario without its warm-up and the pause after it (``run --skip-warmup``): the
        cell follows another one on the same running server (``-e procedure=paper1``)."""
        return Scenario(self.name, self.data, (), self.measure, 0.0)

    def brief(self) -> dict[str, Any]:
        """Key parameters (for `python -m client scenarios`)."""
        m = self.measure.spec
        cap = self.capacity
        model = cap.mode if cap else "open" if m.get("rate") is not None else "closed"
        return {
            "name": self.name, "description": self.data["description"],
            "source": self.data["source"], "writes": self.writes,
            "kind": "capacity" if cap else "load",
            "method": m["method"], "path": m["path"], "model": model,
            "rate": m.get("rate"), "concurrency": m.get("concurrency"),
            "iterations": m.get("iterations"), "duration_s": m.get("duration_s"),
            "engine": m.get("engine", "fast"), "pause_s": m.get("pause_s", 0.0),
            "connection": m.get("connection", "keep-alive"),
            "warmup_steps": len(self.warmup), "warmup_pause_s": self.pause_s,
            "expected_s": round(self.expected_s(), 1),
            **({"capacity": cap.as_dict()} if cap else {}),
        }

    def expected_s(self) -> float:
        """Rough lower bound of the wall time (durations, open-loop schedules, pauses); a
        capacity step counts as its time budget."""
        total = self.pause_s
        for st in (*self.warmup, self.measure):
            s = st.spec
            if st.capacity is not None:
                total += st.capacity.time_budget_s
                continue
            if s.get("duration_s") is not None:
                total += s["duration_s"]
            elif s.get("rate"):
                total += s["iterations"] / s["rate"]
            elif s.get("pause_s"):
                total += s["iterations"] * s["pause_s"] / (s.get("concurrency") or 1)
            total += s.get("pause_after_s", 0.0)
        return total


def names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


def load(name: str) -> Scenario:
    path = SCENARIO_DIR / f"{name}.json"
    if not name or "/" in name or not path.is_file():
        raise ScenarioError(f"unknown scenario {name!r}; valid: {', '.join(names())}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ScenarioError(f"{path.name}: not valid JSON ({exc})") from None
    validate(data, name)
    return Scenario(name, data, tuple(Step(w) for w in data["warmup"]), Step(data["measure"]),
                    float(data["pause_s"]))


def validate(data: Any, name: str) -> None:
    """Raise ScenarioError unless ``data`` follows the schema of client/scenarios/README.md."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{name}: not a JSON object")
    missing = _TOP_KEYS - data.keys()
    extra = data.keys() - _TOP_KEYS
    if missing or extra:
        raise ScenarioError(f"{name}: missing keys {sorted(missing)}, unknown keys {sorted(extra)}")
    if data["name"] != name:
        raise ScenarioError(f"{name}: 'name' is {data['name']!r}, must match the file name")
    for key in ("description", "source"):
        if not isinstance(data[key], str) or not data[key]:
            raise ScenarioError(f"{name}: '{key}' must be a non-empty string")
    if not isinstance(data["writes"], bool):
        raise ScenarioError(f"{name}: 'writes' must be true or false")
    _number(data["pause_s"], f"{name}: pause_s", minimum=0)
    if not isinstance(data["warmup"], list):
        raise ScenarioError(f"{name}: 'warmup' must be a list of steps")
    for i, step in enumerate(data["warmup"]):
        if isinstance(step, dict) and "capacity" in step:
            raise ScenarioError(f"{name}: warmup[{i}]: 'capacity' only in the measured step")
        _validate_step(step, f"{name}: warmup[{i}]", warmup=True)
    if isinstance(data["measure"], dict) and "capacity" in data["measure"]:
        _validate_capacity_step(data["measure"], f"{name}: measure")
    else:
        _validate_step(data["measure"], f"{name}: measure", warmup=False)
    writes = data["measure"]["method"] in ("POST", "PUT", "PATCH", "DELETE") and \
        data["measure"]["path"].startswith("/items")
    if writes and not data["writes"]:
        raise ScenarioError(f"{name}: measure writes items but 'writes' is false")


def _validate_capacity_step(step: dict[str, Any], where: str) -> None:
    """A measured step with ``capacity``: the request keys of a step, the search's keys."""
    extra = step.keys() - _CAPACITY_STEP_KEYS
    if extra:
        raise ScenarioError(f"{where}: unknown keys {sorted(extra)} (a capacity step sets its "
                            "load in 'capacity', not with rate, concurrency, iterations or "
                            "duration_s)")
    ids = step.get("ids")
    if isinstance(ids, dict) and ids.get("mode") == "sequential":
        raise ScenarioError(f"{where}: a capacity step draws random ids (no sequential ids: its "
                            "request count is not known in advance)")
    _validate_request(step, where)
    if step.get("engine", "fast") != "fast":
        raise ScenarioError(f"{where}: a capacity step runs on the fast engine")
    cap = step["capacity"]
    at = f"{where}: capacity"
    if not isinstance(cap, dict):
        raise ScenarioError(f"{at}: not an object")
    extra = cap.keys() - _CAPACITY_KEYS
    if extra:
        raise ScenarioError(f"{at}: unknown keys {sorted(extra)}")
    if cap.get("mode") not in ("open", "closed"):
        raise ScenarioError(f"{at}: mode must be 'open' (rate search) or 'closed' (connection "
                            "ladder)")
    required = ["step_duration_s", "time_budget_s"]
    required += ["slo_p99_ms"] if cap["mode"] == "open" else []
    missing = [k for k in required if k not in cap]
    if missing:
        raise ScenarioError(f"{at}: missing keys {missing}")
    if cap["mode"] == "open" and "levels" in cap:
        raise ScenarioError(f"{at}: levels is for mode 'closed' only")
    if cap["mode"] == "closed" and any(k in cap for k in _OPEN_ONLY):
        raise ScenarioError(f"{at}: {', '.join(k for k in _OPEN_ONLY if k in cap)} for mode "
                            "'open' only")
    for key in ("slo_p99_ms", "start_rate", "max_rate", "step_duration_s", "cost_rate",
                "cost_duration_s", "time_budget_s"):
        if key in cap:
            _number(cap[key], f"{at}.{key}", minimum=0, strict=True)
    if "max_error_rate" in cap:
        _number(cap["max_error_rate"], f"{at}.max_error_rate", minimum=0)
    if "levels" in cap:
        if not isinstance(cap["levels"], list) or not cap["levels"]:
            raise ScenarioError(f"{at}.levels must be a non-empty list of integers")
        for c in cap["levels"]:
            _integer(c, f"{at}.levels[]")
    try:
        Step(step).capacity  # noqa: B018 (builds and checks the CapacitySpec)
        Step(step).template("http://127.0.0.1:1", 0)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{at}: {exc}") from None


def _validate_request(step: dict[str, Any], where: str) -> None:
    if step.get("method") not in _METHODS:
        raise ScenarioError(f"{where}: method must be one of {sorted(_METHODS)}")
    path = step.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ScenarioError(f"{where}: path must start with '/'")
    if "timeout_s" in step:
        _number(step["timeout_s"], f"{where}: timeout_s", minimum=0, strict=True)
    if "max_connections" in step:
        _integer(step["max_connections"], f"{where}: max_connections")
    if step.get("engine", "fast") not in ("fast", "requests"):
        raise ScenarioError(f"{where}: engine must be 'fast' or 'requests'")
    if step.get("connection", "keep-alive") not in CONNECTION_MODES:
        raise ScenarioError(f"{where}: connection must be one of {', '.join(CONNECTION_MODES)}")
    uses_id = "{id}" in path or "{id}" in json.dumps(step.get("body"))
    ids = step.get("ids")
    if uses_id != (ids is not None):
        raise ScenarioError(f"{where}: 'ids' is required exactly when path or body uses {{id}}")
    if ids is not None:
        if not isinstance(ids, dict) or ids.get("mode") not in ("random", "sequential"):
            raise ScenarioError(f"{where}: ids.mode must be 'random' or 'sequential'")
        if ids["mode"] == "random":
            lo, hi = ids.get("min", 1), ids.get("max", 1500)
            _integer(lo, f"{where}: ids.min")
            _integer(hi, f"{where}: ids.max")
            if lo > hi:
                raise ScenarioError(f"{where}: ids.min > ids.max")
        else:
            start = ids.get("start", 1)
            _integer(start, f"{where}: ids.start")
            if "iterations" not in step:
                raise ScenarioError(f"{where}: sequential ids need iterations (distinct ids)")
            if "max" in ids:
                _integer(ids["max"], f"{where}: ids.max")
                _integer(step["iterations"], f"{where}: iterations")
                last = start + step["iterations"] - 1
                if ids["max"] < last:
                    raise ScenarioError(f"{where}: ids.max {ids['max']} is below the last id "
                                        f"the step uses ({last})")


def _validate_step(step: Any, where: str, warmup: bool) -> None:
    if not isinstance(step, dict):
        raise ScenarioError(f"{where}: not an object")
    extra = step.keys() - _STEP_KEYS
    if extra:
        raise ScenarioError(f"{where}: unknown keys {sorted(extra)}")
    if "pause_after_s" in step and not warmup:
        raise ScenarioError(f"{where}: pause_after_s only in warm-up steps (use pause_s on top)")
    _validate_request(step, where)
    if ("rate" in step) == ("concurrency" in step):
        raise ScenarioError(f"{where}: exactly one of rate (open loop) and concurrency (closed)")
    if ("iterations" in step) == ("duration_s" in step):
        raise ScenarioError(f"{where}: exactly one of iterations and duration_s")
    if "rate" in step:
        _number(step["rate"], f"{where}: rate", minimum=0, strict=True)
    if "concurrency" in step:
        _integer(step["concurrency"], f"{where}: concurrency")
    if "iterations" in step:
        _integer(step["iterations"], f"{where}: iterations")
    if "duration_s" in step:
        _number(step["duration_s"], f"{where}: duration_s", minimum=0, strict=True)
    for key in ("pause_s", "pause_after_s"):
        if key in step:
            _number(step[key], f"{where}: {key}", minimum=0)
    try:
        Step(step).plan("http://127.0.0.1:1", None, 0)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None


def _number(x: Any, where: str, minimum: float, strict: bool = False) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or \
            x < minimum or (strict and x == minimum):
        raise ScenarioError(f"{where} must be a number {'>' if strict else '>='} {minimum}")


def _integer(x: Any, where: str) -> None:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise ScenarioError(f"{where} must be an integer >= 1")

"""The run plan: the cells in their seeded order, the estimate, and everything the roles read.

``plan_run`` takes the request the role hands over (the options, the settings of the roles'
defaults, the inventory), the scenario names of client/scenarios/ and a way to read the scenario
catalogue at a scale, and returns ``{"run": RUN, "lab_clients": [...]}``: RUN is the fact
``bench_plan_run`` the roles read; ``lab_clients`` the extra lab client machines the role adds to
the inventory. Nothing here reads a file or runs a command: controller/plan_command.py does.

A cell is a dict (``cell``): ``name`` ("VARIANT|SCENARIO|REP", how run.json's ``cell_order``,
progress.json and the messages name it; never parsed), ``variant``, ``stack``, ``server``,
``scenario``, ``rep`` (1, 2, ...), ``dir`` ("VARIANT/SCENARIO/rep-REP", its folder under the run's
``cells/`` and the host's work folder), and for procedure paper1 its ``session`` (the session's
number in the run's order, 1 first; null with isolated cells), ``session_first`` and
``session_last`` (the session's first and last cell; always false with isolated cells).

The order is seeded: isolated cells are shuffled all together; with procedure paper1 the sessions
(variant x rep) are shuffled and each session's scenarios follow in paper 1's order. The shuffle is
Ansible's ``shuffle(seed=...)`` filter, which the plan used before it moved here: a seed given as
``-e seed=N`` is the text "N" (``random.Random("N")`` shuffles differently from
``random.Random(N)``), the run id's seed an int, and a falsy seed shuffles unseeded.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from controller.errors import UsageError
from controller.hosts import Hosts, hosts_of
from controller.options import PAPER1, Selection, select

Catalogue = Callable[[str], Sequence[Mapping[str, Any]]]
"""The scenario catalogue at a scale (``python -m client scenarios --scale S``'s ``scenarios``)."""

CAPACITY = "capacity"


def run_id_of(given: str, now: datetime) -> str:
    """The run id given, or a new one from the UTC time ``now``."""
    return given or now.strftime("%Y%m%dT%H%M%SZ")


def seed_of(given: str, run_id: str) -> str | int:
    """The seed given (its text), or one derived from the run id: the first 12 hex digits of its
    MD5 as an int (a resumed run gets the same order)."""
    if given != "":
        return given
    return int(hashlib.md5(run_id.encode()).hexdigest()[:12], 16)


def shuffled(items: Sequence[Any], seed: str | int) -> list[Any]:
    """``items`` shuffled as Ansible's ``shuffle(seed=seed)`` filter shuffles them."""
    out = list(items)
    rng = random.Random(seed) if seed else random.Random()
    rng.shuffle(out)
    return out


def cell(variant: str, scenario: str, rep: int, stacks: Mapping[str, str]) -> dict[str, Any]:
    """One cell, of no session (isolated)."""
    return {"name": f"{variant}|{scenario}|{rep}", "variant": variant, "stack": stacks[variant],
            "server": variant[len(stacks[variant]) + 1:], "scenario": scenario, "rep": rep,
            "dir": f"{variant}/{scenario}/rep-{rep}", "session": None,
            "session_first": False, "session_last": False}


def stack_of(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Variant -> its stack, for every variant of the matrix."""
    return {f"{stack}-{server}": stack for stack, spec in stacks.items()
            for server in spec["servers"]}


def isolated_cells(selection: Selection, seed: str | int,
                   stacks: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every variant x scenario x rep, shuffled."""
    reps = range(1, int(selection.repetitions) + 1)
    return shuffled([cell(variant, scenario, rep, stacks) for variant in selection.variants
                     for scenario in selection.scenarios for rep in reps], seed)


def session_cells(selection: Selection, seed: str | int,
                  stacks: Mapping[str, str]) -> list[dict[str, Any]]:
    """Procedure paper1: the sessions (variant x rep) shuffled, each one's scenarios in order."""
    reps = range(1, int(selection.repetitions) + 1)
    sessions = shuffled([(variant, rep) for variant in selection.variants for rep in reps], seed)
    cells = []
    for number, (variant, rep) in enumerate(sessions, start=1):
        for index, scenario in enumerate(selection.scenarios):
            cells.append({**cell(variant, scenario, rep, stacks), "session": number,
                          "session_first": index == 0,
                          "session_last": index == len(selection.scenarios) - 1})
    return cells


def scaled_settle_s(selection: Selection, settings: Mapping[str, Any]) -> float:
    """Procedure paper1: seconds the server is left idle after it starts, at the run's scale
    (the plan's ``settle_s`` is this rounded to 0.1 s, at least 1; the estimate counts it
    unrounded, at least 1)."""
    return float(settings["paper1_settle_s"]) * float(selection.scale)


def estimate_s(selection: Selection, settings: Mapping[str, Any], pause_s: Any,
               catalogue: Sequence[Mapping[str, Any]]) -> int:
    """Seconds the cells take: per session of variant x rep, the scenarios' load, a pause and
    the per-cell overhead each, and the settle time with procedure paper1."""
    load = sum(entry["expected_s"] for entry in catalogue
               if entry["name"] in selection.scenarios)
    per_cell = float(pause_s) + float(settings["cell_overhead_s"])
    settle = max(1, scaled_settle_s(selection, settings)) if selection.procedure == PAPER1 else 0
    total = (len(selection.variants) * int(selection.repetitions)
             * (load + len(selection.scenarios) * per_cell + settle))
    return int(round(total, 0))


def capacity_scenarios(selection: Selection,
                       catalogue: Sequence[Mapping[str, Any]]) -> list[str]:
    """The selected capacity scenarios (they write steps.csv too), in the catalogue's order."""
    return [entry["name"] for entry in catalogue
            if entry.get("kind") == CAPACITY and entry["name"] in selection.scenarios]


def check_capacity(capacity: Sequence[str], clients: Sequence[str]) -> None:
    """A capacity scenario's search decides each step from the last: one client host only."""
    if capacity and len(clients) != 1:
        raise UsageError(
            f"A capacity scenario ({', '.join(capacity)}) runs from one client host: its search "
            "decides each step from the last one. Use one client host (lab_clients=1, or one "
            "host in the group 'clients'), or run these scenarios separately.")


def run_of(root: str, selection: Selection, hosts: Hosts, settings: Mapping[str, Any],
           catalogue: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    """The fact bench_plan_run."""
    profile = settings["profiles"][selection.profile]
    run_id = run_id_of(selection.run_id, now)
    seed = seed_of(selection.seed, run_id)
    stacks = stack_of(settings["stacks"])
    results_dir = selection.results_dir or f"{root}/results"
    order = session_cells if selection.procedure == PAPER1 else isolated_cells
    return {
        "root": root, "run_id": run_id, "run_dir": f"{results_dir}/{run_id}",
        "results_dir": results_dir, "profile": selection.profile,
        "versions": selection.versions,
        "server_lock": settings["version_sets"][selection.versions]["lock"],
        "variants": selection.variants, "scenarios": selection.scenarios,
        "repetitions": int(selection.repetitions), "scale": float(selection.scale),
        "pause_s": profile["pause_s"], "seed": seed, "add_warmup": selection.add_warmup,
        "procedure": selection.procedure,
        "capacity_scenarios": capacity_scenarios(selection, catalogue),
        "settle_s": (max(1, round(scaled_settle_s(selection, settings), 1))
                     if selection.procedure == PAPER1 else 0),
        "session_pause_s": settings["paper1_pause_s"],
        "estimate_s": estimate_s(selection, settings, profile["pause_s"], catalogue),
        "server": hosts.server, "clients": hosts.clients, "database": selection.database,
        "database_hosts": hosts.database_hosts, "database_address": hosts.database_address,
        "lab_hosts": hosts.lab_hosts, "cells": order(selection, seed, stacks),
    }


def plan_run(request: Mapping[str, Any], scenario_files: Sequence[str], catalogue: Catalogue,
             now: datetime) -> dict[str, Any]:
    """The plan of the run ``request`` asks for (keys root, options, settings, inventory; see
    controller/plan_command.py), or ``UsageError`` naming the first bad option or host."""
    settings = request["settings"]
    selection = select(request["options"], settings, scenario_files)
    hosts = hosts_of(request["inventory"], request["options"]["lab_clients"],
                     selection.database)
    scenarios = catalogue(selection.scale)
    check_capacity(capacity_scenarios(selection, scenarios), hosts.clients)
    return {"run": run_of(request["root"], selection, hosts, settings, scenarios, now),
            "lab_clients": hosts.lab_clients}

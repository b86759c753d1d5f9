"""The run plan: the cells in their seeded order, the estimate, and everything the roles read.

``plan_run`` takes the request the role hands over (the options, the settings of the roles'
defaults, the inventory), the scenario names of client/scenarios/ and a way to read the scenario
catalogue at a scale, and returns ``{"run": RUN, "lab_clients": [...]}``: RUN is the fact
``bench_plan_run`` the roles read; ``lab_clients`` the extra lab client machines the role adds to
the inventory. Nothing here reads a file or runs a command: controller/plan_command.py does.

A cell is a dict (``cell``): ``name`` ("VARIANT|SCENARIO|REP", how run.json's ``cell_order``,
progress.json and the messages name it; never parsed), ``variant``, ``stack``, ``server``,
``scenario``, ``rep`` (1, 2, ...), ``dir`` ("VARIANT/SCENARIO/rep-REP", its folder under the run's
``cells/`` and the host's work folder), for procedure paper1 its ``session`` (the session's
number in the run's order, 1 first; null with isolated cells), ``session_first`` and
``session_last`` (the session's first and last cell; always false with isolated cells), its
``round`` (design rounds: its rep; null with design shuffled) and ``unit_variant`` (the variant
whose unit serves it: X for the A/A control "X~aa", else the cell's own variant).

The order is seeded. Design shuffled (the order before designs): isolated cells are shuffled all
together; with procedure paper1 the sessions (variant x rep) are shuffled and each session's
scenarios follow in paper 1's order. Design rounds: round r holds every cell of rep r, shuffled
with a seed of its own (``round_seed``), the rounds one after the other; with procedure paper1
round r holds every variant's session of rep r. The A/A control "X~aa" (-e control=X) is one
more variant of the rounds, served by X's unit. The shuffle is Ansible's ``shuffle(seed=...)``
filter, which the plan used before it moved here: a seed given as ``-e seed=N`` is the text "N"
(``random.Random("N")`` shuffles differently from ``random.Random(N)``), the run id's seed an
int, and a falsy seed shuffles unseeded.

The estimate: a cell takes its load (its measured phase, at least ``min_measure_s``, plus the
rest of the scenario's expected time: its warm-up and pauses), the profile's pause and the
per-cell overhead; procedure paper1 adds the settle time once per session. A round is every
(variant, scenario) cell once, the control's included; with -e budget= the plan holds the rounds
that fit the budget (at most ``MAX_ROUNDS``, at least the repetitions and 3).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from controller.errors import UsageError
from controller.hosts import Hosts, hosts_of
from controller.options import PAPER1, ROUNDS, Selection, select

Catalogue = Callable[[str], Sequence[Mapping[str, Any]]]
"""The scenario catalogue at a scale (``python -m client scenarios --scale S``'s ``scenarios``)."""

CAPACITY = "capacity"
CONTROL_SUFFIX = "~aa"  # the A/A control of variant X is the variant "X~aa"
MAX_ROUNDS = 50  # the most rounds a budget gives
MIN_BUDGET_ROUNDS = 3  # with a budget, the fewest rounds a run holds (repetitions if more)


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


def round_seed(seed: str | int, rep: int) -> str:
    """The seed of round ``rep``'s order: the run's seed and the round (text, so the same run
    seed gives the same rounds in every process)."""
    return f"{seed}/round-{rep}"


def cell(variant: str, scenario: str, rep: int, stacks: Mapping[str, str],
         unit: str = "", in_round: int | None = None) -> dict[str, Any]:
    """One cell, of no session (isolated); ``unit`` the variant whose unit serves it (the
    variant itself where empty), ``in_round`` its round (None: design shuffled)."""
    unit = unit or variant
    stack = stacks[unit]
    return {"name": f"{variant}|{scenario}|{rep}", "variant": variant, "stack": stack,
            "server": unit[len(stack) + 1:], "scenario": scenario, "rep": rep,
            "dir": f"{variant}/{scenario}/rep-{rep}", "session": None,
            "session_first": False, "session_last": False, "round": in_round,
            "unit_variant": unit}


def stack_of(stacks: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Variant -> its stack, for every variant of the matrix."""
    return {f"{stack}-{server}": stack for stack, spec in stacks.items()
            for server in spec["servers"]}


def cell_variants(selection: Selection) -> list[tuple[str, str]]:
    """(variant, the variant whose unit serves it) of every variant of the cells: the run's
    variants, then the A/A control's "X~aa" served by X."""
    control = [(selection.control + CONTROL_SUFFIX, selection.control)] if selection.control else []
    return [(variant, variant) for variant in selection.variants] + control


def isolated_cells(selection: Selection, seed: str | int, stacks: Mapping[str, str],
                   rounds: int) -> list[dict[str, Any]]:
    """Design shuffled: every variant x scenario x rep, shuffled together. Design rounds: round
    after round, each one's variant x scenario cells shuffled with the round's seed."""
    variants = cell_variants(selection)
    if selection.design != ROUNDS:
        return shuffled([cell(variant, scenario, rep, stacks, unit) for variant, unit in variants
                         for scenario in selection.scenarios for rep in range(1, rounds + 1)],
                        seed)
    cells = []
    for rep in range(1, rounds + 1):
        cells += shuffled([cell(variant, scenario, rep, stacks, unit, rep)
                           for variant, unit in variants for scenario in selection.scenarios],
                          round_seed(seed, rep))
    return cells


def session_cells(selection: Selection, seed: str | int, stacks: Mapping[str, str],
                  rounds: int) -> list[dict[str, Any]]:
    """Procedure paper1: the sessions (variant x rep), each one's scenarios in order. Design
    shuffled: all sessions shuffled together; design rounds: round after round, each one's
    sessions (every variant's of that rep) shuffled with the round's seed."""
    variants = cell_variants(selection)
    if selection.design != ROUNDS:
        sessions = shuffled([(variant, unit, rep) for variant, unit in variants
                             for rep in range(1, rounds + 1)], seed)
    else:
        sessions = [(variant, unit, rep) for rep in range(1, rounds + 1)
                    for variant, unit in shuffled(variants, round_seed(seed, rep))]
    cells = []
    for number, (variant, unit, rep) in enumerate(sessions, start=1):
        in_round = rep if selection.design == ROUNDS else None
        for index, scenario in enumerate(selection.scenarios):
            cells.append({**cell(variant, scenario, rep, stacks, unit, in_round),
                          "session": number, "session_first": index == 0,
                          "session_last": index == len(selection.scenarios) - 1})
    return cells


def scaled_settle_s(selection: Selection, settings: Mapping[str, Any]) -> float:
    """Procedure paper1: seconds the server is left idle after it starts, at the run's scale
    (the plan's ``settle_s`` is this rounded to 0.1 s, at least 1; the estimate counts it
    unrounded, at least 1)."""
    return float(settings["paper1_settle_s"]) * float(selection.scale)


def measured_s(entry: Mapping[str, Any]) -> float:
    """Seconds of a scenario's measured phase, from its catalogue entry, as the client's
    ``expected_s`` counts it (a capacity search its time budget; a duration; an open-loop
    schedule; a closed loop's pauses), at most the entry's ``expected_s``."""
    if entry.get("capacity"):
        measured = float(entry["capacity"]["time_budget_s"])
    elif entry.get("duration_s") is not None:
        measured = float(entry["duration_s"])
    elif entry.get("rate"):
        measured = float(entry["iterations"]) / float(entry["rate"])
    elif entry.get("pause_s") and entry.get("iterations"):
        measured = (float(entry["iterations"]) * float(entry["pause_s"])
                    / float(entry.get("concurrency") or 1))
    else:
        measured = 0.0
    return min(measured, float(entry["expected_s"]))


def load_s(entry: Mapping[str, Any], min_measure_s: float) -> float:
    """Seconds of a cell's load: its measured phase, at least ``min_measure_s``, plus the rest
    of the scenario's expected time (its warm-up and the pauses around it)."""
    measured = measured_s(entry)
    return max(measured, min_measure_s) + float(entry["expected_s"]) - measured


def round_s(selection: Selection, settings: Mapping[str, Any], pause_s: Any,
            catalogue: Sequence[Mapping[str, Any]]) -> float:
    """Seconds one round takes (every variant x scenario once, the control's too): per variant,
    the scenarios' load, a pause and the per-cell overhead each, and the settle time with
    procedure paper1 (a session per variant and round)."""
    load = sum(load_s(entry, selection.min_measure_s) for entry in catalogue
               if entry["name"] in selection.scenarios)
    per_cell = float(pause_s) + float(settings["cell_overhead_s"])
    settle = max(1, scaled_settle_s(selection, settings)) if selection.procedure == PAPER1 else 0
    return len(cell_variants(selection)) * (load + len(selection.scenarios) * per_cell + settle)


def estimate_s(selection: Selection, settings: Mapping[str, Any], pause_s: Any,
               catalogue: Sequence[Mapping[str, Any]], rounds: int) -> int:
    """Seconds the cells of ``rounds`` rounds (repetitions) take."""
    return int(round(rounds * round_s(selection, settings, pause_s, catalogue), 0))


def rounds_of(selection: Selection, round_estimate_s: int) -> tuple[int, int]:
    """(max_rounds, min_rounds): without a budget both are the repetitions. With one, the most
    rounds that fit it (at most ``MAX_ROUNDS``, or the repetitions if more) and the repetitions,
    at least ``MIN_BUDGET_ROUNDS``; ``UsageError`` when the budget holds fewer."""
    repetitions = int(selection.repetitions)
    if not selection.budget_s:
        return repetitions, repetitions
    least = max(MIN_BUDGET_ROUNDS, repetitions)
    fit = selection.budget_s // max(1, round_estimate_s)
    if fit < 1:
        raise UsageError(
            f"budget={selection.budget} ({selection.budget_s} s) is shorter than one round of "
            f"this run (estimated {round_estimate_s} s: every variant x scenario once); give a "
            f"budget of at least {least * round_estimate_s}s ({least} rounds), or fewer "
            "variants or scenarios.")
    if fit < least:
        raise UsageError(
            f"budget={selection.budget} ({selection.budget_s} s) holds {fit} round(s) of this run "
            f"(estimated {round_estimate_s} s each), fewer than the {least} it runs at least "
            f"(the repetitions, at least {MIN_BUDGET_ROUNDS}); give a budget of at least "
            f"{least * round_estimate_s}s.")
    return min(fit, max(MAX_ROUNDS, least)), least


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
    """The fact bench_plan_run (``repetitions``: the rounds the plan holds, ``max_rounds``)."""
    profile = settings["profiles"][selection.profile]
    run_id = run_id_of(selection.run_id, now)
    seed = seed_of(selection.seed, run_id)
    stacks = stack_of(settings["stacks"])
    results_dir = selection.results_dir or f"{root}/results"
    order = session_cells if selection.procedure == PAPER1 else isolated_cells
    one_round = int(round(round_s(selection, settings, profile["pause_s"], catalogue), 0))
    max_rounds, min_rounds = rounds_of(selection, one_round)
    return {
        "root": root, "run_id": run_id, "run_dir": f"{results_dir}/{run_id}",
        "results_dir": results_dir, "profile": selection.profile,
        "versions": selection.versions,
        "server_lock": settings["version_sets"][selection.versions]["lock"],
        "variants": selection.variants, "scenarios": selection.scenarios,
        "repetitions": max_rounds, "scale": float(selection.scale),
        "pause_s": profile["pause_s"], "seed": seed, "add_warmup": selection.add_warmup,
        "procedure": selection.procedure, "design": selection.design,
        "control": selection.control, "min_measure_s": selection.min_measure_s,
        "warmup": selection.warmup, "budget_s": selection.budget_s, "max_rounds": max_rounds,
        "min_rounds": min_rounds, "round_estimate_s": one_round,
        "capacity_scenarios": capacity_scenarios(selection, catalogue),
        "settle_s": (max(1, round(scaled_settle_s(selection, settings), 1))
                     if selection.procedure == PAPER1 else 0),
        "session_pause_s": settings["paper1_pause_s"],
        "estimate_s": estimate_s(selection, settings, profile["pause_s"], catalogue,
                                 max_rounds),
        "server": hosts.server, "clients": hosts.clients, "database": selection.database,
        "database_hosts": hosts.database_hosts, "database_address": hosts.database_address,
        "lab_hosts": hosts.lab_hosts, "cells": order(selection, seed, stacks, max_rounds),
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

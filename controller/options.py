"""The run's options checked against the profiles, the variant matrix and the scenario files.

``select`` turns the options as Ansible holds them (``-e profile=... variants=...``: strings,
lists, or the role's defaults) into a ``Selection``, or raises ``UsageError`` with the one-line
message bench.yml has always stopped with. The checks run in the order the preflight ran them, so
the first bad option is the one reported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from controller.errors import UsageError

REPETITIONS = re.compile(r"^[1-9][0-9]{0,3}$")
SCALE = re.compile(r"^(0?\.[0-9]*[1-9][0-9]*|1(\.0*)?)$")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SEED = re.compile(r"^[0-9]{1,18}$")
PAPER1 = "paper1"


@dataclass(frozen=True)
class Selection:
    """What the run measures and how, every option resolved (the profile's where none was given).

    ``repetitions`` and ``scale`` keep the text they were checked as (the scenario catalogue is
    read at that scale); ``seed`` is the option as given ("" when the run id decides it).
    """

    profile: str
    variants: list[str]
    scenarios: list[str]
    repetitions: str
    scale: str
    run_id: str
    seed: str
    versions: str
    procedure: str
    database: str
    add_warmup: bool
    results_dir: str


def text(value: Any) -> str:
    """``value`` as the preflight's templates printed it (str(), as Jinja's ``string`` filter)."""
    return str(value)


def names(value: Any) -> list[str]:
    """A comma list or a list of names, each trimmed, the empty ones dropped."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return [name for name in (text(item).strip() for item in items) if name != ""]


def missing(wanted: Sequence[str], valid: Sequence[str]) -> list[str]:
    """The names of ``wanted`` not in ``valid``, each once, in the order given."""
    return list(dict.fromkeys(name for name in wanted if name not in valid))


def all_variants(stacks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every variant of the matrix, "<stack>-<server>", in the matrix's order."""
    return [f"{stack}-{server}" for stack, spec in stacks.items() for server in spec["servers"]]


def number_or_profiles(given: Any, profile_value: Any) -> str:
    """The option's text, or the profile's where the option is empty or 0."""
    option = text(given).strip()
    return option if option not in ("", "0") else text(profile_value)


def check_known(name: Any, valid: Sequence[str], what: str, plural: str) -> None:
    """Refuse a name that is not one of ``valid``."""
    if name not in valid:
        raise UsageError(f"Unknown {what} '{text(name)}'. Valid {plural}: {', '.join(valid)}.")


def check_names(wanted: Sequence[str], valid: Sequence[str], what: str) -> None:
    """Refuse the names of a list that are not in ``valid``."""
    unknown = missing(wanted, valid)
    if unknown:
        raise UsageError(f"Unknown {what}(s): {', '.join(unknown)}. "
                         f"Valid {what}s: {', '.join(valid)}.")


def paper1_scenarios(scenarios: Sequence[str], order: Sequence[str]) -> list[str]:
    """Procedure paper1: only paper 1's scenarios, put in the paper's order."""
    foreign = missing(scenarios, order)
    if foreign:
        raise UsageError("procedure=paper1 runs paper 1's scenarios in the paper's order; these "
                         f"are not among them: {', '.join(foreign)}. Valid: {', '.join(order)}.")
    return [name for name in order if name in scenarios]


def check_numbers(repetitions: str, scale: str, run_id: Any, seed: Any) -> None:
    """Refuse repetitions, a scale, a run id or a seed of the wrong form (one message for all)."""
    good = (REPETITIONS.match(repetitions) and SCALE.match(scale)
            and (run_id == "" or RUN_ID.match(text(run_id)))
            and (text(seed) == "" or SEED.match(text(seed))))
    if not good:
        raise UsageError(
            f"Bad option: repetitions must be an integer 1-9999 (got '{repetitions}'), scale a "
            f"number in (0, 1] (got '{scale}'), run_id letters, digits, '.', '_' or '-' (got "
            f"'{text(run_id)}'), seed a non-negative integer (got '{text(seed)}').")


def select(options: Mapping[str, Any], settings: Mapping[str, Any],
           scenario_files: Sequence[str]) -> Selection:
    """Resolve and check the options (``options``: the role's bench_plan_* values by their
    public name; ``settings``: profiles, procedures, databases, paper1_order, stacks,
    version_sets; ``scenario_files``: the scenario names of client/scenarios/, sorted)."""
    profiles = settings["profiles"]
    check_known(options["profile"], list(profiles), "profile", "profiles")
    profile = profiles[options["profile"]]
    matrix = all_variants(settings["stacks"])
    variants = names(options["variants"]) or (
        matrix if profile["variants"] == "all" else list(profile["variants"]))
    scenarios = names(options["scenarios"]) or list(profile["scenarios"])
    repetitions = number_or_profiles(options["repetitions"], profile["repetitions"])
    scale = number_or_profiles(options["scale"], profile["scale"])
    check_names(variants, matrix, "variant")
    check_names(scenarios, scenario_files, "scenario")
    check_known(options["procedure"], settings["procedures"], "procedure", "procedures")
    check_known(options["database"], settings["databases"], "database", "databases")
    if options["procedure"] == PAPER1:
        scenarios = paper1_scenarios(scenarios, settings["paper1_order"])
    check_known(options["versions"], list(settings["version_sets"]), "version set",
                "version sets")
    check_numbers(repetitions, scale, options["run_id"], options["seed"])
    return Selection(
        profile=options["profile"], variants=variants, scenarios=scenarios,
        repetitions=repetitions, scale=scale, run_id=options["run_id"],
        seed=text(options["seed"]), versions=options["versions"],
        procedure=options["procedure"], database=options["database"],
        add_warmup=bool(options["add_warmup"]), results_dir=options["results_dir"])

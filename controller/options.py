"""The run's options checked against the profiles, the variant matrix and the scenario files.

``select`` turns the options as Ansible holds them (``-e profile=... variants=...``: strings,
lists, or the role's defaults) into a ``Selection``, or raises ``UsageError`` with the one-line
message bench.yml has always stopped with. The checks run in the order the preflight ran them, so
the first bad option is the one reported; those of the design (design, control, budget,
min_measure_s, warmup) come last.
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
# -e budget=: "90s", "60m", "1h", "1h30m" (h, m, s in that order, each at most once) or seconds
BUDGET = re.compile(r"^(?=[0-9])(?:([0-9]{1,4})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,7})s)?$")
SECONDS = re.compile(r"^[0-9]{1,7}$")
MIN_MEASURE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6})?$")
MIN_MEASURE_LOWEST = 2.0  # -e min_measure_s=: at least this, or 0 (no floor)
PAPER1 = "paper1"
ROUNDS = "rounds"
SHUFFLED = "shuffled"
DESIGNS = (ROUNDS, SHUFFLED)
NO_CONTROL = "none"
WARMUPS = ("measured", "scenario")  # -e warmup=: the client's run --warmup


@dataclass(frozen=True)
class Selection:
    """What the run measures and how, every option resolved (the profile's where none was given).

    ``repetitions`` and ``scale`` keep the text they were checked as (the scenario catalogue is
    read at that scale); ``seed`` is the option as given ("" when the run id decides it).
    ``design`` is rounds or shuffled; ``control`` the variant run again as the A/A control
    ("" for none); ``budget`` the -e budget= text ("" for none) and ``budget_s`` its seconds (0
    for none); ``min_measure_s`` the floor of a cell's measured phase (0: none); ``warmup``
    "measured" (warm the measured request) or "scenario" (the scenario's own warm-up).
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
    design: str = SHUFFLED
    control: str = ""
    budget: str = ""
    budget_s: int = 0
    min_measure_s: float = 0.0
    warmup: str = "scenario"


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


def design_of(given: Any, procedure: str) -> str:
    """-e design=, or the default: rounds, except under procedure paper1 (its sessions shuffled
    together, as before designs)."""
    design = text(given).strip()
    if design == "":
        return SHUFFLED if procedure == PAPER1 else ROUNDS
    check_known(design, DESIGNS, "design", "designs")
    return design


def control_of(given: Any, profile_control: Any, variants: Sequence[str], design: str) -> str:
    """The variant run again as the A/A control, "" for none. ``given`` None (no -e control=):
    the profile's control, where the design has rounds and the run has that variant. Given, it
    must be "none", empty or one of the run's variants, and needs design=rounds."""
    if given is None:
        default = text(profile_control or "").strip()
        return default if design == ROUNDS and default in variants else ""
    control = text(given).strip()
    if control in ("", NO_CONTROL):
        return ""
    if control not in variants:
        raise UsageError(f"Unknown control '{control}': the control is one of the run's "
                         f"variants. Valid controls: {NO_CONTROL}, {', '.join(variants)}.")
    if design != ROUNDS:
        raise UsageError(f"control={control} needs design=rounds (the A/A control runs once in "
                         f"every round); got design={design}. Use design=rounds or control=none.")
    return control


def budget_seconds(given: Any) -> int:
    """-e budget= in seconds ("", "0": no budget); ``UsageError`` for another form."""
    budget = text(given).strip()
    if budget == "":
        return 0
    if SECONDS.match(budget):
        return int(budget)
    found = BUDGET.match(budget)
    if not found:
        raise UsageError(f"Bad budget '{budget}': give a duration such as 90s, 60m, 1h or "
                         "1h30m, or plain seconds (0 or empty: no budget).")
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds


def check_budget(budget: str, budget_s: int, design: str) -> None:
    """A budget decides how many rounds run: it needs design=rounds."""
    if budget_s and design != ROUNDS:
        raise UsageError(f"budget={budget} needs design=rounds (the budget decides how many "
                         f"rounds run); got design={design}.")


def min_measure_of(given: Any, profile_value: Any, procedure: str) -> float:
    """The floor of a cell's measured phase: -e min_measure_s= (a number >= 2, or 0 for none), or
    the profile's (5 s where a profile names none); 0 under procedure paper1, whose scenarios keep
    the paper's shapes."""
    option = text(given).strip()
    if option == "":
        return 0.0 if procedure == PAPER1 else float(5 if profile_value is None
                                                     else profile_value)
    if not MIN_MEASURE.match(option) or 0 < float(option) < MIN_MEASURE_LOWEST:
        raise UsageError(f"Bad min_measure_s '{option}': a number of seconds >= 2 (the measured "
                         "phase's floor), or 0 to switch the floor off.")
    if procedure == PAPER1 and float(option) > 0:
        raise UsageError(f"procedure=paper1 keeps the paper's scenarios as they are: "
                         f"min_measure_s must be 0 or unset (got '{option}').")
    return float(option)


def warmup_of(given: Any, procedure: str) -> str:
    """-e warmup=, or the default: measured (warm the measured request), scenario (the scenario
    file's own warm-up, as the papers did) under procedure paper1."""
    warmup = text(given).strip()
    if warmup == "":
        return "scenario" if procedure == PAPER1 else "measured"
    check_known(warmup, WARMUPS, "warmup", "warmups")
    return warmup


def select(options: Mapping[str, Any], settings: Mapping[str, Any],
           scenario_files: Sequence[str]) -> Selection:
    """Resolve and check the options (``options``: the role's bench_plan_* values by their
    public name, ``control`` None where -e control= was not given; ``settings``: profiles,
    procedures, databases, paper1_order, stacks, version_sets; ``scenario_files``: the scenario
    names of client/scenarios/, sorted)."""
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
    procedure = options["procedure"]
    design = design_of(options.get("design", ""), procedure)
    control = control_of(options.get("control"), profile.get("control"), variants, design)
    budget = text(options.get("budget", "")).strip()
    budget_s = budget_seconds(budget)
    check_budget(budget, budget_s, design)
    min_measure_s = min_measure_of(options.get("min_measure_s", ""),
                                   profile.get("min_measure_s"), procedure)
    warmup = warmup_of(options.get("warmup", ""), procedure)
    return Selection(
        profile=options["profile"], variants=variants, scenarios=scenarios,
        repetitions=repetitions, scale=scale, run_id=options["run_id"],
        seed=text(options["seed"]), versions=options["versions"],
        procedure=options["procedure"], database=options["database"],
        add_warmup=bool(options["add_warmup"]), results_dir=options["results_dir"],
        design=design, control=control, budget=budget, budget_s=budget_s,
        min_measure_s=min_measure_s, warmup=warmup)

"""The lab machines' effective CPUs (``/run/fwbench-lab/<machine>.cpus``, written by
roles/lab/files/fwbench-lab) as run.json's ``lab`` block records them. Pure; no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping

CPU_LIST = re.compile(r"[0-9][0-9,-]*$")


def _number(text: str) -> int:
    """A CPU number of a list; an empty one counts as 0 (as the Jinja ``int`` filter did)."""
    return int(text) if text else 0


def parse_cpu_list(text: str) -> list[int] | None:
    """The cores of a kernel CPU list (``0-1,3`` -> ``[0, 1, 3]``); None when it is not one
    (``unpinned``, empty). ``a-b-c`` spans ``a`` to ``c``; a reversed range is empty."""
    if not CPU_LIST.match(text):
        return None
    cores: list[int] = []
    for part in text.split(","):
        ends = part.split("-")
        cores.extend(range(_number(ends[0]), _number(ends[-1]) + 1))
    return cores


def shared_machines(cpus: Mapping[str, str]) -> list[str]:
    """The machines (sorted) that share at least one core with another machine of ``cpus``
    (machine -> CPU list); a machine whose list is not a CPU list shares nothing."""
    sets = {machine: set(cores) for machine, text in cpus.items()
            if (cores := parse_cpu_list(text)) is not None}
    return sorted(machine for machine, cores in sets.items()
                  if any(other != machine and cores & theirs for other, theirs in sets.items()))

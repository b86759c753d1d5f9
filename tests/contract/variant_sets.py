"""Which variants run the contract suite over HTTP, where.

Every `make test` runs the suite over HTTP against every variant of the matrix once, in one of two
places: on 127.0.0.1 (tests/contract/test_http_servers.py, the unit phase, in parallel) or
deployed as a systemd unit in the lab (tests/lab, the lab phase, one at a time). `split_in_two`
cuts the matrix into two parts that each hold every stack and every server at least once (the lab
one variant per server, loopback the rest), so each phase still proves every server and every
stack, and the two together prove every variant. FWBENCH_CONTRACT_VARIANTS=all runs every
variant in both places (`make test-full`).

Plain data in, plain data out: this module reads no files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ENV_VARIANTS = "FWBENCH_CONTRACT_VARIANTS"  # "all": every variant in both places
LOOPBACK, LAB = "loopback", "lab"

Pair = tuple[str, str]  # (stack, server)


def matrix_pairs(stacks: Mapping[str, Mapping[str, Any]]) -> list[Pair]:
    """Every (stack, server) of the matrix's `fwbench_stacks`, in the matrix's order."""
    return [(stack, server) for stack, spec in stacks.items() for server in spec["servers"]]


def split_in_two(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(loopback, lab): each covers every stack and every server, together every pair.

    The lab, where a variant costs the most (serial, as a deployed unit), gets a smallest cover:
    one variant per server, each time of the stack it has fewest of so far (the first in the
    matrix's order on a tie), then the first variant of any stack still missing. Loopback, where
    variants run in parallel, gets every other pair, plus a lab pair where a server or stack would
    be missing without it (a server with one variant is in both). Deterministic.
    """
    servers: dict[str, list[Pair]] = {}
    for pair in pairs:
        servers.setdefault(pair[1], []).append(pair)
    stacks = list(dict.fromkeys(s for s, _ in pairs))
    lab: list[Pair] = []
    for members in servers.values():
        counts = {stack: sum(1 for s, _ in lab if s == stack) for stack in stacks}
        lab.append(min(members, key=lambda p: counts[p[0]]))
    loopback = [p for p in pairs if p not in lab]
    for part in (lab, loopback):
        for server, members in servers.items():
            if not any(v == server for _, v in part):
                part.append(members[0])
        for stack in stacks:
            if not any(s == stack for s, _ in part):
                part.append(next(p for p in pairs if p[0] == stack))
    order = {pair: i for i, pair in enumerate(pairs)}
    return sorted(loopback, key=order.__getitem__), sorted(lab, key=order.__getitem__)


def for_place(pairs: Sequence[Pair], place: str, environ: Mapping[str, str] = os.environ,
              ) -> list[Pair]:
    """The pairs that run over HTTP in `place` (LOOPBACK or LAB): its part, or every pair when
    FWBENCH_CONTRACT_VARIANTS=all."""
    choice = environ.get(ENV_VARIANTS, "")
    if choice not in ("", "all"):
        raise ValueError(f"{ENV_VARIANTS}={choice!r}: unset (this place's part) or 'all'")
    if choice == "all":
        return list(pairs)
    loopback, lab = split_in_two(pairs)
    return {LOOPBACK: loopback, LAB: lab}[place]


def names(pairs: Iterable[Pair]) -> list[str]:
    return [f"{stack}-{server}" for stack, server in pairs]

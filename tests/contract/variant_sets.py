"""Which variants run the contract suite over HTTP, where.

Every `make test` runs the suite over HTTP in two places: on 127.0.0.1 (tests/contract/
test_http_servers.py, the unit phase) and deployed as a systemd unit in the lab (tests/lab, the lab
phase). Each place runs a smallest cover of the matrix, one variant per server with every stack
among them, so each phase proves every server and every stack; the two covers differ wherever the
matrix allows, so one `make test` proves 19 of the 27 variants. FWBENCH_CONTRACT_VARIANTS=all runs
every variant in both places (`make test-full`; `make contract-all` on 127.0.0.1 only).

Plain data in, plain data out: this module reads no files.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

ENV_VARIANTS = "FWBENCH_CONTRACT_VARIANTS"  # "all": every variant in both places
LOOPBACK, LAB = "loopback", "lab"

Pair = tuple[str, str]  # (stack, server)


def matrix_pairs(stacks: Mapping[str, Mapping[str, Any]]) -> list[Pair]:
    """Every (stack, server) of the matrix's `fwbench_stacks`, in the matrix's order."""
    return [(stack, server) for stack, spec in stacks.items() for server in spec["servers"]]


def cover(pairs: Sequence[Pair], avoid: Collection[Pair] = ()) -> list[Pair]:
    """A smallest set of `pairs` holding every server and every stack: one variant per server,
    each time one not in `avoid` where the server has one, of the stack picked fewest times so
    far (the first in the matrix's order on a tie); then the first variant of any stack still
    missing. In the matrix's order."""
    servers: dict[str, list[Pair]] = {}
    for pair in pairs:
        servers.setdefault(pair[1], []).append(pair)
    stacks = list(dict.fromkeys(s for s, _ in pairs))
    chosen: list[Pair] = []
    for members in servers.values():
        counts = {stack: sum(1 for s, _ in chosen if s == stack) for stack in stacks}
        chosen.append(min(members, key=lambda p: (p in avoid, counts[p[0]])))
    for stack in stacks:
        if not any(s == stack for s, _ in chosen):
            chosen.append(next((p for p in pairs if p[0] == stack and p not in avoid),
                               next(p for p in pairs if p[0] == stack)))
    order = {pair: i for i, pair in enumerate(pairs)}
    return sorted(chosen, key=order.__getitem__)


def split_in_two(pairs: Sequence[Pair]) -> tuple[list[Pair], list[Pair]]:
    """(loopback, lab): two covers of `pairs` (every server, every stack), as different as the
    matrix allows (a server with one variant is in both), so that one `make test` proves twice
    as many variants as one cover would. Deterministic."""
    lab = cover(pairs)
    return cover(pairs, avoid=set(lab)), lab


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

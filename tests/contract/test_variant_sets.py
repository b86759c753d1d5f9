"""The two covers of the matrix that run the contract suite over HTTP (variant_sets.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from variant_sets import (
    ENV_VARIANTS,
    LAB,
    LOOPBACK,
    cover,
    for_place,
    matrix_pairs,
    names,
    split_in_two,
)

MATRIX = Path(__file__).resolve().parents[2] / "roles" / "fwbench" / "defaults" / "main.yml"
REAL = matrix_pairs(yaml.safe_load(MATRIX.read_text(encoding="utf-8"))["fwbench_stacks"])
# A matrix with a lone stack (one server), a lone server (one stack) and uneven servers.
ODD = [("a", "s1"), ("a", "s2"), ("a", "s3"), ("b", "s1"), ("b", "s2"), ("c", "s4"),
       ("d", "s1"), ("d", "s3")]


def _covers(part: list[tuple[str, str]], pairs: list[tuple[str, str]]) -> None:
    assert {s for s, _ in part} == {s for s, _ in pairs}, "a stack is missing"
    assert {v for _, v in part} == {v for _, v in pairs}, "a server is missing"
    assert len(set(part)) == len(part) and set(part) <= set(pairs)


@pytest.mark.parametrize("pairs", [REAL, ODD], ids=["matrix", "odd"])
def test_each_place_holds_every_stack_and_server(pairs):
    loopback, lab = split_in_two(pairs)
    print(f"\nloopback {names(loopback)}\nlab      {names(lab)}\n"
          f"make test-full only {names(p for p in pairs if p not in loopback + lab)}")
    _covers(loopback, pairs)
    _covers(lab, pairs)


def test_the_covers_are_smallest_and_share_only_what_they_must():
    loopback, lab = split_in_two(REAL)
    servers = {v for _, v in REAL}
    assert len(lab) == len(loopback) == len(servers) == 10  # one variant per server
    # Shared: django_drf-django_dev, the Django dev server's only variant.
    assert set(loopback) & set(lab) == {("django_drf", "django_dev")}
    assert len(set(loopback) | set(lab)) == 19


def test_a_cover_avoids_what_it_is_told_to_where_it_can():
    first = cover(ODD)
    second = cover(ODD, avoid=set(first))
    lone = {p for p in ODD if sum(1 for q in ODD if q[1] == p[1]) == 1}  # ("c", "s4")
    assert set(first) & set(second) <= lone | {p for p in ODD if p[0] == "c"}


def test_the_split_is_the_same_every_time():
    assert split_in_two(REAL) == split_in_two(list(REAL))


def test_all_runs_every_variant_in_both_places_and_a_bad_value_is_refused():
    assert for_place(REAL, LOOPBACK, {}) == split_in_two(REAL)[0]
    assert for_place(REAL, LAB, {}) == split_in_two(REAL)[1]
    every = {ENV_VARIANTS: "all"}
    assert for_place(REAL, LOOPBACK, every) == for_place(REAL, LAB, every) == REAL
    with pytest.raises(ValueError, match="FWBENCH_CONTRACT_VARIANTS='half'"):
        for_place(REAL, LAB, {ENV_VARIANTS: "half"})

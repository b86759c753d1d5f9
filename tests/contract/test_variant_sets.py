"""The two halves of the matrix that run the contract suite over HTTP (variant_sets.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from variant_sets import ENV_VARIANTS, LAB, LOOPBACK, for_place, matrix_pairs, names, split_in_two

MATRIX = Path(__file__).resolve().parents[2] / "roles" / "fwbench" / "defaults" / "main.yml"
REAL = matrix_pairs(yaml.safe_load(MATRIX.read_text(encoding="utf-8"))["fwbench_stacks"])
# A matrix with a lone stack (one server), a lone server (one stack) and uneven servers.
ODD = [("a", "s1"), ("a", "s2"), ("a", "s3"), ("b", "s1"), ("b", "s2"), ("c", "s4"),
       ("d", "s1"), ("d", "s3")]


def _covers(part: list[tuple[str, str]], pairs: list[tuple[str, str]]) -> None:
    assert {s for s, _ in part} == {s for s, _ in pairs}, "a stack is missing"
    assert {v for _, v in part} == {v for _, v in pairs}, "a server is missing"


@pytest.mark.parametrize("pairs", [REAL, ODD], ids=["matrix", "odd"])
def test_each_part_holds_every_stack_and_server_and_together_every_variant(pairs):
    first, second = split_in_two(pairs)
    print(f"\nloopback {names(first)}\nlab      {names(second)}")
    _covers(first, pairs)
    _covers(second, pairs)
    assert set(first) | set(second) == set(pairs)
    assert len(set(first)) == len(first) and len(set(second)) == len(second)
    assert set(first) <= set(pairs) and set(second) <= set(pairs)


def test_the_lab_gets_one_variant_per_server_and_loopback_the_rest():
    loopback, lab = split_in_two(REAL)
    assert len(REAL) == 27
    assert sorted(v for _, v in lab) == sorted({v for _, v in REAL})  # each server once
    # Only what must be shared is shared: django_drf-django_dev, the dev server's one variant.
    assert set(loopback) & set(lab) == {("django_drf", "django_dev")}
    assert len(loopback) == 27 - len(lab) + 1


def test_the_split_is_the_same_every_time():
    assert split_in_two(REAL) == split_in_two(list(REAL))


def test_all_runs_every_variant_in_both_places_and_a_bad_value_is_refused():
    assert for_place(REAL, LOOPBACK, {}) == split_in_two(REAL)[0]
    assert for_place(REAL, LAB, {}) == split_in_two(REAL)[1]
    every = {ENV_VARIANTS: "all"}
    assert for_place(REAL, LOOPBACK, every) == for_place(REAL, LAB, every) == REAL
    with pytest.raises(ValueError, match="FWBENCH_CONTRACT_VARIANTS='half'"):
        for_place(REAL, LAB, {ENV_VARIANTS: "half"})

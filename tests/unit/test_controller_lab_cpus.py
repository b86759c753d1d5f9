"""The lab machines' CPU lists as run.json's ``lab`` block reads them (controller/lab_cpus.py)."""

from __future__ import annotations

import pytest

from controller.lab_cpus import parse_cpu_list, shared_machines


@pytest.mark.parametrize(("text", "cores"), [
    ("0", [0]),
    ("1", [1]),
    ("0-3", [0, 1, 2, 3]),
    ("0-1,3", [0, 1, 3]),
    ("0,2-3,7", [0, 2, 3, 7]),
    ("5-5", [5]),
    ("3-1", []),  # a reversed range holds nothing
    ("1-2-4", [1, 2, 3, 4]),  # first and last end
    ("1,,2", [1, 0, 2]),  # an empty part counts as CPU 0, as the Jinja int filter read it
    ("2-", []),  # an open end counts as 0
])
def test_cpu_lists(text, cores):
    assert parse_cpu_list(text) == cores


@pytest.mark.parametrize("text", ["", "unpinned", "-1", ",1", "0 1", "a-b"])
def test_not_cpu_lists(text):
    assert parse_cpu_list(text) is None


def test_shared_machines():
    cpus = {"fwbench-server": "0", "fwbench-client": "1", "fwbench-db": "0-1"}
    assert shared_machines(cpus) == ["fwbench-client", "fwbench-db", "fwbench-server"]
    assert shared_machines({"fwbench-server": "0", "fwbench-client": "1"}) == []
    assert shared_machines({"fwbench-server": "0,2", "fwbench-client": "1-2",
                            "fwbench-db": "3"}) == ["fwbench-client", "fwbench-server"]


def test_a_machine_without_a_cpu_list_shares_nothing():
    assert shared_machines({"fwbench-server": "0", "fwbench-db": "unknown"}) == []
    assert shared_machines({}) == []

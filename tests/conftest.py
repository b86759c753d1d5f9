"""Test-run ordering shared by every test folder.

`make unit` runs the tests on several workers (pytest-xdist, `--dist loadfile`: whole files, handed
out in collection order). A long file that starts last keeps one worker busy while the others idle,
so files marked `long` (a minute or more each) are collected first; the order within a file, and
the files' relative order otherwise, are unchanged.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("long") is None)  # stable

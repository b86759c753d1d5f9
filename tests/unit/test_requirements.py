"""The lock files agree with each other and pin everything exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+!-]+)$")
SAME_SET = ("server", "client", "controller")  # the "current" versions; server-paper is its own set


def pins(name: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in (REQUIREMENTS / f"{name}.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{name}.txt: not an exact pin: {line!r}"
        result[match[1].lower().replace("_", "-")] = match[2]
    return result


@pytest.mark.parametrize("name", [*SAME_SET, "server-paper", "server-py310"])
def test_every_lock_line_is_an_exact_pin(name: str):
    assert pins(name)


def test_shared_packages_have_one_version_across_the_current_set():
    sets = {name: pins(name) for name in SAME_SET}
    clashes = {
        package: {name: versions[package] for name, versions in sets.items() if package in versions}
        for package in set().union(*sets.values())
    }
    clashes = {p: v for p, v in clashes.items() if len(set(v.values())) > 1}
    assert not clashes


def test_controller_can_import_what_the_hosts_run():
    controller = pins("controller")
    for name in ("server", "client"):
        missing = set(pins(name)) - set(controller)
        assert not missing, f"{name}.txt packages missing from controller.txt: {missing}"


def test_paper_set_pins_paper_ones_table_2():
    paper = pins("server-paper")
    table_2 = {"fastapi": "0.115.12", "flask": "3.1.0", "django": "5.2.1", "sqlmodel": "0.0.24",
               "flask-sqlalchemy": "3.1.1", "gunicorn": "23.0.0"}
    assert {k: paper[k] for k in table_2} == table_2
    top_level = {"fastapi", "uvicorn", "uvloop", "httptools", "flask", "flask-sqlalchemy",
                 "sqlalchemy", "sqlmodel", "django", "djangorestframework", "gunicorn", "gevent",
                 "daphne", "granian", "hypercorn", "psutil"}
    assert top_level <= set(paper) and top_level <= set(pins("server"))


# Newer releases of these dropped Python 3.10; server-py310.txt holds the newest that support it.
PY310_BACKPORTS = {"exceptiongroup", "taskgroup", "tomli"}  # pulled in on 3.10 only


def test_py310_variant_is_the_current_set_where_it_can_be():
    current, py310 = pins("server"), pins("server-py310")
    assert set(py310) - set(current) == PY310_BACKPORTS
    assert set(current) <= set(py310)
    older = {p for p in current if py310[p] != current[p]}
    assert older, "no difference: the variant is not needed"
    for package in older:
        assert Version(py310[package]) < Version(current[package]), package
    assert older <= {"annotated-doc", "asgiref", "autobahn", "fastapi", "pycparser", "sqlalchemy",
                     "sqlmodel", "starlette", "txaio", "zope.interface"}

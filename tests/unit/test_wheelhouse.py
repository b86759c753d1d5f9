"""The controller's wheelhouse (roles/python_env/files/wheelhouse.py) for each supported host
Python: Ubuntu 22.04 (3.10), Debian 12 (3.11), Ubuntu 24.04 (3.12). Downloads from PyPI."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "roles/python_env/files/wheelhouse.py"
_spec = importlib.util.spec_from_file_location("wheelhouse", SCRIPT)
assert _spec and _spec.loader
wheelhouse = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wheelhouse)
LOCKS = [REPO / "requirements" / f"{name}.txt" for name in ("server", "server-paper", "client")]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def test_a_python_specific_lock_replaces_the_general_one(tmp_path: Path):
    for name in ("server.txt", "server-py310.txt", "client.txt"):
        (tmp_path / name).write_text("x==1\n")
    locks = [tmp_path / "server.txt", tmp_path / "client.txt"]
    assert wheelhouse.for_python(locks, "3.10") == [tmp_path / "server-py310.txt",
                                                    tmp_path / "client.txt"]
    assert wheelhouse.for_python(locks, "3.12") == locks


@pytest.mark.parametrize(("python", "glibc"), [("3.10", "2.35"), ("3.11", "2.36"),
                                               ("3.12", "2.39")])
def test_every_pin_has_a_wheel_for_each_supported_host_python(tmp_path: Path, python: str,
                                                              glibc: str):
    out = tmp_path / "wheelhouse"
    built = subprocess.run([sys.executable, str(SCRIPT), "--python", python, "--glibc", glibc,
                            "--machine", "x86_64", "--out", str(out), *map(str, LOCKS)],
                           capture_output=True, text=True, timeout=900, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    assert built.stdout.splitlines()[-1] == "changed"
    wheels = {(_norm(w.name.split("-")[0]), w.name.split("-")[1]) for w in out.glob("*.whl")}
    for lock in wheelhouse.for_python(LOCKS, python):
        for line in lock.read_text().splitlines():
            if line and not line.startswith("#"):
                name, version = line.split("==")
                assert (_norm(name), version) in wheels, f"{lock.name}: {line} for {python}"
    again = subprocess.run([sys.executable, str(SCRIPT), "--python", python, "--glibc", glibc,
                            "--machine", "x86_64", "--out", str(out), *map(str, LOCKS)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert again.stdout.splitlines()[-1] == "ok"  # up to date: left alone

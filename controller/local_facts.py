"""What the controller host itself knows about a run, read where it runs: the project's git
commit, its own CPUs and the lab's files under ``/run/fwbench-lab`` (each machine's effective
CPUs and network delay, written by roles/lab/files/fwbench-lab)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LAB_RUN_DIR = Path("/run/fwbench-lab")


@dataclass(frozen=True)
class LocalFacts:
    """The controller's side of run.json: git commit, CPUs, and per lab machine its files."""

    git_commit: str
    controller_cpus: int
    lab_cpus: dict[str, str] = field(default_factory=dict)  # fwbench-<host> -> CPU list
    lab_netem: dict[str, str] = field(default_factory=dict)  # fwbench-<host> -> "kernel|user ..."


def git_commit(root: Path) -> str:
    """``git describe --always --dirty --abbrev=40`` of ``root``, or ``unknown``."""
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                               "--abbrev=40"], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def machine_files(folder: Path, suffix: str) -> dict[str, str]:
    """``<machine><suffix>`` files of ``folder``: machine -> content without trailing blanks."""
    if not folder.is_dir():
        return {}
    return {path.name.replace(suffix, ""): path.read_text(encoding="utf-8").rstrip()
            for path in sorted(folder.glob(f"*{suffix}")) if path.is_file()}


def read_local_facts(root: Path, lab_dir: Path = LAB_RUN_DIR) -> LocalFacts:
    """Read the controller's facts for run.json."""
    return LocalFacts(git_commit=git_commit(root),
                      controller_cpus=len(os.sched_getaffinity(0)),
                      lab_cpus=machine_files(lab_dir, ".cpus"),
                      lab_netem=machine_files(lab_dir, ".netem"))

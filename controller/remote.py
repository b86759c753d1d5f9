"""Commands on the run's hosts, as the controller's cell runner sends them: one SSH round trip
per command over a master connection per host (OpenSSH's ControlMaster, opened by the first
command and closed at the end), or a plain process for a host Ansible reaches with
``ansible_connection: local``.

A host's connection comes from its inventory variables as Ansible reads them (``ansible_host``,
``ansible_user``, ``ansible_port``, ``ansible_ssh_private_key_file``, ``ansible_ssh_common_args``,
``ansible_ssh_extra_args``, ``ansible_become``), so the runner reaches a host exactly as the
playbook does. Every command runs with its own environment (``env NAME=VALUE ...``) and, on a
host Ansible becomes root on, under ``sudo -n``.

The SSH processes run in their own session: a Ctrl-C reaches the runner only, which then stops
what the cell left running before it exits (controller/run_cells.py).
"""

from __future__ import annotations

import shlex
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from controller.errors import UsageError

CONNECTIONS = ("ssh", "local")
MASTER_OPTIONS = ("-o", "ControlMaster=auto", "-o", "ControlPersist=300",
                  "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15")


@dataclass(frozen=True)
class Host:
    """How the controller reaches one inventory host."""

    name: str
    connection: str = "ssh"
    address: str = ""
    user: str = ""
    port: int | None = None
    key: str = ""
    ssh_args: tuple[str, ...] = ()
    become: bool = False

    @classmethod
    def of(cls, name: str, spec: Mapping[str, Any]) -> Host:
        """The host ``name`` from its connection variables (the spec's ``hosts`` entry)."""
        connection = str(spec.get("connection") or "ssh")
        if connection not in CONNECTIONS:
            raise UsageError(
                f"host {name}: ansible_connection {connection!r} is not supported by the cell "
                f"runner; use one of {', '.join(CONNECTIONS)}")
        port = spec.get("port")
        args = " ".join(str(spec.get(k) or "") for k in ("ssh_common_args", "ssh_extra_args"))
        return cls(name=name, connection=connection, address=str(spec.get("address") or name),
                   user=str(spec.get("user") or ""),
                   port=int(port) if port not in (None, "") else None,
                   key=str(spec.get("key") or ""), ssh_args=tuple(shlex.split(args)),
                   become=bool(spec.get("become")))


@dataclass
class Result:
    """A command's exit status and output, as a failed cell's reason reads them."""

    rc: int
    stdout: str
    stderr: str
    argv: list[str] = field(default_factory=list)

    def as_failure(self, message: str) -> dict[str, Any]:
        """The failure's result in the shape controller/failure.py reads (msg, stderr)."""
        return {"msg": message, "rc": self.rc, "stdout": self.stdout[-2000:],
                "stderr": self.stderr[-2000:]}


def command_line(argv: Sequence[str], env: Mapping[str, str], become: bool) -> list[str]:
    """``argv`` with its environment (``env NAME=VALUE ... argv``), under ``sudo -n`` when the
    host needs it."""
    with_env = ["env", *(f"{k}={v}" for k, v in sorted(env.items())), *argv] if env else list(argv)
    return ["sudo", "-n", "--", *with_env] if become else with_env


class Remote:
    """The run's hosts, by inventory name; ``close`` ends the master connections."""

    def __init__(self, hosts: Mapping[str, Host], control_dir: Path) -> None:
        self.hosts = dict(hosts)
        self.control_dir = control_dir

    def _ssh(self, host: Host) -> list[str]:
        argv = ["ssh", *MASTER_OPTIONS, "-o", f"ControlPath={self.control_dir}/%C"]
        if host.port:
            argv += ["-p", str(host.port)]
        if host.key:
            argv += ["-i", host.key]
        if host.user:
            argv += ["-l", host.user]
        return [*argv, *host.ssh_args, host.address]

    def argv(self, name: str, argv: Sequence[str],
             env: Mapping[str, str] | None = None) -> list[str]:
        """The local command that runs ``argv`` on host ``name``."""
        host = self.hosts[name]
        line = command_line(argv, env or {}, host.become)
        if host.connection == "local":
            return line
        return [*self._ssh(host), "--", shlex.join(line)]

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
            timeout: float | None = None) -> Result:
        """Run ``argv`` on host ``name`` and wait for it (a timeout kills it: rc -9)."""
        local = self.argv(name, argv, env)
        try:
            done = subprocess.run(local, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, start_new_session=True, check=False)
        except subprocess.TimeoutExpired as exc:
            return Result(-9, _text(exc.stdout),
                          _text(exc.stderr) + f"\ntimed out after {timeout} s", local)
        return Result(done.returncode, done.stdout, done.stderr, local)

    def fetch(self, name: str, remote_dir: str, files: Sequence[str], local_dir: Path,
              timeout: float | None = None) -> Result:
        """Copy ``files`` of ``remote_dir`` on host ``name`` into ``local_dir`` in one round trip
        (a tar stream); a file missing there fails the fetch, naming it."""
        local_dir.mkdir(parents=True, exist_ok=True)
        local = self.argv(name, ["tar", "-C", remote_dir, "-cf", "-", "--", *files])
        with subprocess.Popen(local, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, start_new_session=True) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            try:
                extracted = _untar(proc.stdout, local_dir, set(files))
            except (tarfile.TarError, OSError) as exc:
                proc.kill()
                return Result(1, "", f"fetching {', '.join(files)} failed: {exc}", local)
            try:
                stderr = proc.stderr.read().decode(errors="replace")
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                return Result(-9, "", f"fetch timed out after {timeout} s", local)
        missing = sorted(set(files) - extracted)
        if rc == 0 and missing:
            rc, stderr = 1, stderr + f"not fetched: {', '.join(missing)}"
        return Result(rc, "", stderr, local)

    def close(self) -> None:
        """End every master connection (idle ones would otherwise linger ControlPersist s)."""
        for host in self.hosts.values():
            if host.connection == "ssh":
                subprocess.run([*self._ssh(host)[:-1], "-O", "exit", host.address],
                               capture_output=True, stdin=subprocess.DEVNULL,
                               start_new_session=True, timeout=10, check=False)


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _untar(stream: IO[bytes], local_dir: Path, wanted: set[str]) -> set[str]:
    """Extract the regular files named ``wanted`` from a tar stream; nothing else is written
    (no links, no paths outside ``local_dir``)."""
    got: set[str] = set()
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            if member.isfile() and member.name in wanted:
                archive.extract(member, local_dir, filter="data")
                got.add(member.name)
    return got

"""A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only, with scram-sha-256 over TCP.

`throwaway_cluster(databases)` runs initdb in a fresh temporary folder (as the `postgres` system
user when the tests run as root: PostgreSQL refuses to run as root), listens on a free port of
127.0.0.1 and on a Unix socket inside that folder (for the superuser's set-up, peer auth), creates
the role `fwbench` with a random password and each named database owned by it, writes a PGPASSFILE
(0600) for this process, and at the end stops the server by its own data folder (`pg_ctl stop`)
and removes the folder. Nothing here touches the machine's own clusters.

Without the PostgreSQL server binaries it raises `PostgresMissing`, which the fixtures turn into a
test failure telling to run `make system-deps` (never a skip).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
ENV_BINDIR = "FWBENCH_TEST_PG_BINDIR"  # optional: the folder of initdb and pg_ctl
USER = "fwbench"
SYSTEM_USER = "postgres"  # runs the server when the tests run as root
START_TIMEOUT_S = 60
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under "
    "/usr/lib/postgresql/*/bin or on PATH: run `make system-deps` (installs Debian's postgresql), "
    f"or set {ENV_BINDIR}"
)


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def find_bindir() -> Path | None:
    """FWBENCH_TEST_PG_BINDIR if set, else the newest /usr/lib/postgresql/N/bin holding initdb
    and pg_ctl, else the folder of the ones on PATH."""
    if os.environ.get(ENV_BINDIR):
        bindir = Path(os.environ[ENV_BINDIR])
        return bindir if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file() else None
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class PgCluster:
    bindir: Path
    root: Path  # the temporary folder: data/, sock/, server.log, pgpass
    port: int
    password: str
    passfile: Path
    run_as: tuple[str, ...]  # the command prefix that runs a program as the server's user

    host: str = HOST
    user: str = USER

    @property
    def datadir(self) -> Path:
        return self.root / "data"

    @property
    def sockdir(self) -> Path:
        return self.root / "sock"

    def env(self, database: str, pool: int | None = None) -> dict[str, str]:
        """What a stack, or `python -m apps.seed`, needs to use `database` (and PGPASSFILE)."""
        env = {
            "FWBENCH_DATABASE": "postgresql",
            "FWBENCH_PG_HOST": self.host,
            "FWBENCH_PG_PORT": str(self.port),
            "FWBENCH_PG_NAME": database,
            "FWBENCH_PG_USER": self.user,
            "PGPASSFILE": str(self.passfile),
        }
        if pool is not None:
            env["FWBENCH_PG_POOL"] = str(pool)
        return env

    def admin_sql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the Unix socket (peer auth); SQL goes on stdin."""
        done = subprocess.run(
            [*self.run_as, str(self.bindir / "psql"), "-X", "-q", "-A", "-t",
             "-v", "ON_ERROR_STOP=1", "-h", str(self.sockdir), "-p", str(self.port),
             "-d", database, "-f", "-"],
            input=sql, capture_output=True, text=True, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str) -> None:
        self.admin_sql(f'CREATE DATABASE "{name}" OWNER {self.user} ENCODING \'UTF8\' '
                       "TEMPLATE template0")


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _write_passfile(path: Path, lines: Iterable[str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{line}\n" for line in lines)


@contextlib.contextmanager
def throwaway_cluster(databases: Iterable[str]) -> Iterator[PgCluster]:
    """A running cluster with role `fwbench` owning `databases`; stopped and removed after."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresMissing(MISSING)
    databases = list(databases)
    root = Path(tempfile.mkdtemp(prefix="fwbench-pg-"))
    run_as: tuple[str, ...] = ()
    started = False
    try:
        if os.geteuid() == 0:
            account = pwd.getpwnam(SYSTEM_USER)  # KeyError: no such user, as missing binaries
            os.chown(root, account.pw_uid, account.pw_gid)
            run_as = ("runuser", "-u", SYSTEM_USER, "--")
        (root / "sock").mkdir()
        if run_as:
            os.chown(root / "sock", account.pw_uid, account.pw_gid)
        port = free_port()
        password = secrets.token_urlsafe(24)
        # Only the server's user may read its folder; the passfile is this process's.
        _run([*run_as, str(bindir / "initdb"), "-D", str(root / "data"), "--no-sync",
              "--no-instructions", "--encoding=UTF8", "--locale=C",
              "--auth-local=peer", "--auth-host=scram-sha-256"], "initdb")
        with (root / "data" / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"listen_addresses = '{HOST}'\nport = {port}\n"
                f"unix_socket_directories = '{root / 'sock'}'\n"
                "max_connections = 200\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nlog_min_messages = warning\n"
                "password_encryption = 'scram-sha-256'\n"
            )
        _run([*run_as, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l",
              str(root / "server.log"), "-w", "-t", str(START_TIMEOUT_S), "start"], "pg_ctl start")
        started = True
        passfile = root / "pgpass"
        _write_passfile(passfile, [f"{HOST}:{port}:{name}:{USER}:{password}"
                                   for name in databases])
        cluster = PgCluster(bindir=bindir, root=root, port=port, password=password,
                            passfile=passfile, run_as=run_as)
        cluster.admin_sql(f"CREATE ROLE {USER} LOGIN PASSWORD '{password}';")
        for name in databases:
            cluster.create_database(name)
        yield cluster
    finally:
        if started:
            subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m",
                            "fast", "-w", "-t", "60", "stop"], capture_output=True, timeout=90,
                           check=False)
        shutil.rmtree(root, ignore_errors=True)

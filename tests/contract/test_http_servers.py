"""The variants of the matrix (stack x server) pass the contract suite over real HTTP.

For each variant of this place's cover of the matrix (roles/fwbench/defaults/main.yml; one variant
per server, every stack among them, `variant_sets.py`: the lab test runs another cover as systemd
units, and FWBENCH_CONTRACT_VARIANTS=all runs all 27 here): seed a database, start the
variant's own command on 127.0.0.1 (a free port, 2 workers x 2 threads), wait for /healthz, run
test_contract.py against it in a subprocess (FWBENCH_CONTRACT_URL), stop the server by its PID.
The servers are this interpreter's; FWBENCH_CONTRACT_VERSIONS=paper renders the commands for the
paper version set, for a run from a venv of requirements/server-paper.txt.

Here on SQLite; test_http_servers_postgres.py runs the variants of PG_VARIANTS, which cover every
server and every stack, on PostgreSQL (the throwaway cluster of `pg_cluster.py`, reset by
`apps.seed`); FWBENCH_CONTRACT_PG_VARIANTS=all runs every variant on PostgreSQL too. (Two files,
so that the unit phase's parallel workers can take one each.)
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_client import ENV_SEED_ITEMS, ENV_SERVER, ENV_STACK, ENV_URL
from variant_sets import LOOPBACK, for_place

from apps.common import postgres_settings
from apps.seed import seed_database, seed_postgres

REPO = Path(__file__).resolve().parents[2]
MATRIX = REPO / "roles" / "fwbench" / "defaults" / "main.yml"
APP_SERVER = REPO / "roles" / "app_server" / "defaults" / "main.yml"  # SQLite settings
SUITE = Path(__file__).with_name("test_contract.py")
HOST = "127.0.0.1"  # traffic stays on the loopback interface
WORKERS = 2
THREADS = 2
SEED_ITEMS = 1500
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
SUITE_TIMEOUT_S = 900
# The version set whose flags the commands get: "current" (this venv, requirements/controller.txt,
# holds server.txt's pins), or "paper" when the suite runs from a venv of server-paper.txt.
VERSION_SET = os.environ.get("FWBENCH_CONTRACT_VERSIONS", "current")


@dataclass(frozen=True)
class Variant:
    stack: str
    server: str
    command: str  # the template from the matrix
    targets: dict[str, str]  # wsgi / asgi entry points of the stack

    @property
    def name(self) -> str:
        return f"{self.stack}-{self.server}"


def load_variants(path: Path = MATRIX) -> tuple[list[Variant], dict[str, Any]]:
    matrix = {**yaml.safe_load(APP_SERVER.read_text(encoding="utf-8")),
              **yaml.safe_load(path.read_text(encoding="utf-8"))}
    servers = matrix["fwbench_servers"]
    variants = [
        Variant(
            stack=stack,
            server=server,
            command=servers[server]["command"],
            targets={key: spec[key] for key in ("wsgi", "asgi") if key in spec},
        )
        for stack, spec in matrix["fwbench_stacks"].items()
        for server in spec["servers"]
    ]
    return variants, matrix


VARIANTS, MATRIX_DATA = load_variants()

# The variants run on PostgreSQL by default (11 of 27, about 2 minutes): every server and every
# stack, the raw FastAPI stack's async pool on four ASGI servers (with and without a lifespan:
# daphne runs none), the raw Flask stack's pool on gunicorn gevent, granian and the dev server.
# The ORM stacks under gevent are test_postgres.py's. FWBENCH_CONTRACT_PG_VARIANTS=all runs all
# 27 on PostgreSQL (they all pass).
PG_VARIANTS = {
    "flask_sqlite3-flask_dev", "flask_sqlite3-gunicorn_gevent", "flask_sqlite3-granian_wsgi",
    "flask_sqlalchemy-gunicorn_gthread",
    "fastapi_sqlite3-uvicorn", "fastapi_sqlite3-daphne", "fastapi_sqlite3-granian_asgi",
    "fastapi_sqlite3-hypercorn",
    "fastapi_sqlmodel-gunicorn_uvicorn",
    "django_drf-django_dev", "django_drf-uvicorn",
}
PG_DATABASE = "fwbench"
PG_POOL = 4  # connections per server process (2 workers: 8 per variant)


def sqlite_params() -> list[Any]:
    here = set(for_place([(v.stack, v.server) for v in VARIANTS], LOOPBACK))
    return [pytest.param(variant, id=variant.name) for variant in VARIANTS
            if (variant.stack, variant.server) in here]


def postgresql_params() -> list[Any]:
    every = os.environ.get("FWBENCH_CONTRACT_PG_VARIANTS", "") == "all"
    return [pytest.param(variant, id=f"{variant.name}-postgresql")
            for variant in VARIANTS if every or variant.name in PG_VARIANTS]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def version_set_values(name: str = VERSION_SET) -> dict[str, str]:
    """The placeholders a version set fills in ({gunicorn_flags}, {uvicorn_worker_class}, ...):
    every key but its lock file, as the app_server role passes them."""
    return {key: value for key, value in MATRIX_DATA["fwbench_version_sets"][name].items()
            if key != "lock"}


def render_command(variant: Variant, port: int) -> list[str]:
    bin_dir = Path(sys.executable).parent
    text = variant.command.format(
        bin=bin_dir,
        python=sys.executable,
        wsgi=variant.targets.get("wsgi", ""),
        asgi=variant.targets.get("asgi", ""),
        host=HOST,
        port=port,
        workers=WORKERS,
        threads=THREADS,
        **version_set_values(),
    )
    return shlex.split(text)


def clean_environ() -> dict[str, str]:
    """This process's environment without anything the suite or a stack would read."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FWBENCH_") and key != "DJANGO_SETTINGS_MODULE"
    }


def wait_healthy(url: str, process: subprocess.Popen[bytes], stack: str) -> dict[str, Any]:
    import requests

    deadline = time.monotonic() + START_TIMEOUT_S
    last_error = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before it was healthy")
        try:
            reply = requests.get(f"{url}/healthz", timeout=2)
            if reply.status_code == 200 and reply.json().get("stack") == stack:
                return reply.json()
            last_error = f"{reply.status_code} {reply.text[:200]}"
        except requests.RequestException as exc:
            last_error = type(exc).__name__
        time.sleep(0.2)
    raise AssertionError(f"not healthy within {START_TIMEOUT_S}s: {last_error}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's PID, SIGKILL after a timeout; then make sure no worker it started
    (its own process group, created for it by start_new_session) outlives it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # only the group of the server we started


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def database_environ(workdir: Path, database_env: dict[str, str] | None) -> dict[str, str]:
    """A freshly seeded database: SQLite in `workdir`, or the PostgreSQL one `database_env`
    names (reset by the seed, as the run play does); what the server needs to reach it."""
    if database_env is None:
        db = workdir / "fwbench.db"
        seed_database(db, SEED_ITEMS, MATRIX_DATA["app_server_sqlite_journal_mode"])
        return {
            "FWBENCH_DB": str(db),
            "FWBENCH_SQLITE_BUSY_MS": str(MATRIX_DATA["app_server_sqlite_busy_timeout_ms"]),
            "FWBENCH_SQLITE_JOURNAL": MATRIX_DATA["app_server_sqlite_journal_mode"],
        }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in database_env.items():
            mp.setenv(name, value)
        seed_postgres(postgres_settings(), SEED_ITEMS)
    return database_env


@contextlib.contextmanager
def running(
    variant: Variant, workdir: Path, database_env: dict[str, str] | None = None
) -> Iterator[str]:
    """The variant's server on a freshly seeded database, healthy: yields its URL. SQLite in
    `workdir` by default; PostgreSQL with `database_env` (FWBENCH_DATABASE, FWBENCH_PG_*,
    PGPASSFILE).

    Started as the matrix says (its own process group), stopped by its PID on exit; its output
    goes to `workdir`/server.log, whose tail is in the error if it never becomes healthy.
    """
    secret = workdir / "secret_key"
    secret.write_text("contract-tests-only-" + "y" * 40, encoding="utf-8")
    port = free_port()
    url = f"http://{HOST}:{port}"
    server_env = {
        **clean_environ(),
        **database_environ(workdir, database_env),
        "FWBENCH_SECRET_KEY_FILE": str(secret),
        "FWBENCH_ALLOWED_HOSTS": HOST,
        "PYTHONUNBUFFERED": "1",
    }
    log = workdir / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            render_command(variant, port),
            cwd=REPO,
            env=server_env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            health = wait_healthy(url, process, variant.stack)
        except AssertionError as exc:
            message = f"{variant.name}: {exc}\n--- server log ---\n{tail(log)}"
            raise AssertionError(message) from None
        assert health["items"] == SEED_ITEMS
        yield url
        assert process.poll() is None, f"{variant.name}: the server died\n{tail(log)}"
    finally:
        stop(process)


def passes_the_contract_over_http(variant: Variant, tmp_path: Path,
                                  database_env: dict[str, str] | None = None) -> None:
    """Start `variant` on a freshly seeded database (SQLite, or PostgreSQL with `database_env`)
    and run the whole contract suite against it over HTTP; fail with the suite's and server's
    output."""
    name = variant.name if database_env is None else f"{variant.name} on postgresql"
    with running(variant, tmp_path, database_env) as url:
        started = time.monotonic()
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider"],
            cwd=REPO,
            env={
                **clean_environ(),
                ENV_URL: url,
                ENV_STACK: variant.stack,
                ENV_SERVER: variant.server,
                ENV_SEED_ITEMS: str(SEED_ITEMS),
            },
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT_S,
        )
        elapsed = time.monotonic() - started
        lines = [line.strip("= ") for line in suite.stdout.splitlines() if line.strip()]
        print(f"\n{name}: {lines[-1] if lines else '?'} (suite {elapsed:.1f}s)")
        assert suite.returncode == 0, (
            f"{name}: contract suite failed over HTTP\n"
            f"{suite.stdout[-6000:]}\n{suite.stderr[-2000:]}\n"
            f"--- server log ---\n{tail(tmp_path / 'server.log')}"
        )


@pytest.mark.servers
@pytest.mark.parametrize("variant", sqlite_params())
def test_variant_passes_the_contract_over_http(variant: Variant, tmp_path: Path) -> None:
    passes_the_contract_over_http(variant, tmp_path)

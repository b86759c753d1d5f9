"""Fixtures for the contract suite: a `client` per stack and database (in-process) or for a live
server.

In-process, each stack runs on SQLite (a freshly seeded temporary file) and on PostgreSQL (a
freshly reset database of a throwaway cluster on 127.0.0.1, `pg_cluster.py`) whenever its client is
set up. With FWBENCH_CONTRACT_URL (and FWBENCH_CONTRACT_STACK) set, the suite runs once, over HTTP.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contract_client import ENV_SEED_ITEMS, STACKS, ContractClient, HTTPClient, live_target
from inprocess import DATABASE_ENV, close_django, postgres_env, sqlite_env, stack_client
from pg_cluster import PgCluster, PostgresMissing, throwaway_cluster

from apps.seed import DEFAULT_ITEMS

_LIVE = live_target()
DATABASES = ("sqlite", "postgresql")
# Databases of the throwaway cluster: one per stack in-process, `fwbench` for the servers over
# HTTP, and the PostgreSQL tests' own.
PG_DATABASES = (*(f"fwbench_{stack}" for stack in STACKS), "fwbench", "fwbench_seed",
                "fwbench_ids", "fwbench_drivers", "fwbench_gevent")
# libpq's own environment: none of it may reach a test but PGPASSFILE, set to the cluster's.
LIBPQ_ENV = ("PGPASSWORD", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
             "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGOPTIONS")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The throwaway PostgreSQL cluster, PGPASSFILE set to its passfile for the session.

    Missing PostgreSQL binaries fail every test that needs it (never a skip).
    """
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_cluster(PG_DATABASES))
        except PostgresMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        stack.callback(close_django)  # Django's pools, before the cluster stops
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        for name in LIBPQ_ENV:
            mp.delenv(name, raising=False)
        mp.setenv("PGPASSFILE", str(cluster.passfile))
        yield cluster


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Environment every stack reads at import: database paths are per stack, under this dir."""
    root = tmp_path_factory.mktemp("stacks")
    secret = root / "secret_key"
    secret.write_text("contract-tests-only-" + "x" * 40, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for name in DATABASE_ENV:
            mp.delenv(name, raising=False)
        mp.setenv("FWBENCH_SECRET_KEY_FILE", str(secret))
        mp.setenv("DJANGO_SETTINGS_MODULE", "apps.django_drf.settings")
        mp.setenv("FWBENCH_DB", str(root / "django_drf.db"))  # Django reads it once per process
        yield root


def _client_params() -> list[Any]:
    if _LIVE:
        return ["live"]
    return [
        pytest.param((stack, database), id=stack if database == "sqlite" else f"{stack}-{database}")
        for database in DATABASES
        for stack in STACKS
    ]


@pytest.fixture(scope="module", params=_client_params())
def client(request: pytest.FixtureRequest, stack_env: Path) -> Iterator[ContractClient]:
    if _LIVE:
        yield HTTPClient(*_LIVE)
        return
    stack, database = request.param
    if database == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        env = postgres_env(cluster, f"fwbench_{stack}")
    else:
        env = sqlite_env(stack, stack_env)
    instance, close = stack_client(stack, env)
    try:
        yield instance
    finally:
        close()


@pytest.fixture(scope="session")
def seeded_items() -> int:
    """How many rows the database was seeded with."""
    return int(os.environ.get(ENV_SEED_ITEMS, DEFAULT_ITEMS))

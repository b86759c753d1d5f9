"""Fixtures for the contract suite: a `client` per stack and database (in-process) or for a live
server.

In-process, each stack runs on SQLite (a freshly seeded temporary file) and on PostgreSQL (a
freshly reset database of a throwaway cluster on 127.0.0.1, `pg_cluster.py`) whenever its client is
set up. With FWBENCH_CONTRACT_URL (and FWBENCH_CONTRACT_STACK) set, the suite runs once, over HTTP.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from contract_client import (
    ENV_SEED_ITEMS,
    STACKS,
    ASGIClient,
    ContractClient,
    HTTPClient,
    WSGIClient,
    live_target,
)
from pg_cluster import PgCluster, PostgresMissing, throwaway_cluster

from apps.common import postgres_settings
from apps.seed import DEFAULT_ITEMS, seed_database, seed_postgres

_LIVE = live_target()
DATABASES = ("sqlite", "postgresql")
# Databases of the throwaway cluster: one per stack in-process, `fwbench` for the servers over
# HTTP, and the PostgreSQL tests' own.
PG_DATABASES = (*(f"fwbench_{stack}" for stack in STACKS), "fwbench", "fwbench_seed",
                "fwbench_ids", "fwbench_drivers", "fwbench_gevent")
# Environment a stack reads to choose and reach its database.
DATABASE_ENV = ("FWBENCH_DATABASE", "FWBENCH_DB", "FWBENCH_PG_HOST", "FWBENCH_PG_PORT",
                "FWBENCH_PG_NAME", "FWBENCH_PG_USER", "FWBENCH_PG_POOL")
# libpq's own environment: none of it may reach a test but PGPASSFILE, set to the cluster's.
LIBPQ_ENV = ("PGPASSWORD", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER",
             "PGSERVICE", "PGSERVICEFILE", "PGSSLMODE", "PGOPTIONS")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The throwaway PostgreSQL cluster, PGPASSFILE set to its passfile for the session.

    Missing PostgreSQL binaries fail every test that needs it (never a skip).
    """
    try:
        cluster_cm = throwaway_cluster(PG_DATABASES)
        cluster = cluster_cm.__enter__()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        with pytest.MonkeyPatch.context() as mp:
            for name in LIBPQ_ENV:
                mp.delenv(name, raising=False)
            mp.setenv("PGPASSFILE", str(cluster.passfile))
            yield cluster
    finally:
        _close_django()
        cluster_cm.__exit__(None, None, None)


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


# --- Django: one settings module per process, so its DATABASES are switched in place ------------


def _close_django() -> None:
    """Close Django's connections and its psycopg pools (if Django and they were loaded)."""
    if "django.db" not in sys.modules:
        return
    from django.db import connections

    connections.close_all()
    backend = sys.modules.get("django.db.backends.postgresql.base")
    if backend is not None:
        pools = backend.DatabaseWrapper._connection_pools
        for pool in list(pools.values()):
            pool.close()
        pools.clear()


def use_django_database(env: Mapping[str, str]) -> None:
    """Point Django's DATABASES at the database `env` describes, as its settings would at start.

    Django reads its settings once per process; the settings module's own `databases()` builds
    the new value, and the connection handler forgets the old connections and settings.
    """
    from asgiref.local import Local
    from django.conf import settings
    from django.db import connections

    import apps.django_drf.settings as drf_settings

    with pytest.MonkeyPatch.context() as mp:
        for name in DATABASE_ENV:
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        databases = drf_settings.databases()
    _close_django()
    settings.DATABASES = databases
    connections._settings = None
    connections.__dict__.pop("settings", None)  # the cached_property
    connections._connections = Local(connections.thread_critical)


# --- in-process clients --------------------------------------------------------------------------


def stack_client(stack: str, env: Mapping[str, str]) -> tuple[ContractClient, Callable[[], None]]:
    """An in-process client for `stack` on the database `env` describes (already seeded), and
    how to close it (its pools and connections)."""
    if stack == "django_drf":
        importlib.import_module("apps.django_drf.wsgi")  # django.setup(), once
        use_django_database(env)
        module = importlib.import_module("apps.django_drf.wsgi")
        return WSGIClient(module.application, stack), _close_django
    with pytest.MonkeyPatch.context() as mp:
        for name in DATABASE_ENV:
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        module = importlib.import_module(f"apps.{stack}")  # the module builds `app` on import
        app = module.create_app()  # a fresh app on the fresh database
    if stack.startswith("fastapi"):
        client = ASGIClient(app, stack)
        return client, lambda: _close_asgi(client, app)
    return WSGIClient(app, stack), lambda: _close_wsgi(app)


def _close_asgi(client: ASGIClient, app: Any) -> None:
    pg = getattr(app.state, "pg", None)
    if pg is not None:
        client.run(pg.aclose())
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        engine.dispose()
    client.close()


def _close_wsgi(app: Any) -> None:
    database = app.extensions.get("fwbench_database")
    pool = getattr(database, "pool", None)
    if pool is not None:
        pool.close()
    if "sqlalchemy" in app.extensions:
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def sqlite_env(stack: str, root: Path) -> dict[str, str]:
    db = root / f"{stack}.db"
    seed_database(db, DEFAULT_ITEMS)
    return {"FWBENCH_DB": str(db)}


def postgres_env(cluster: PgCluster, database: str, items: int = DEFAULT_ITEMS) -> dict[str, str]:
    env = cluster.env(database)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        seed_postgres(postgres_settings(), items)
    return env


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

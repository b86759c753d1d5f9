"""In-process clients of the stacks on either database, for the contract fixtures and the
PostgreSQL tests: `stack_client(stack, env)` builds one on the database `env` describes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from contract_client import ASGIClient, ContractClient, WSGIClient
from pg_cluster import PgCluster

from apps.common import postgres_settings
from apps.seed import DEFAULT_ITEMS, seed_database, seed_postgres

# Environment a stack reads to choose and reach its database.
DATABASE_ENV = ("FWBENCH_DATABASE", "FWBENCH_DB", "FWBENCH_PG_HOST", "FWBENCH_PG_PORT",
                "FWBENCH_PG_NAME", "FWBENCH_PG_USER", "FWBENCH_PG_POOL")


# --- Django: one settings module per process, so its DATABASES are switched in place ------------


def close_django() -> None:
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
    close_django()
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
        return WSGIClient(module.application, stack), close_django
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

"""Fixtures for the contract suite: a `client` per stack (in-process) or for a live server.

In-process, each stack gets a freshly seeded temporary database whenever its client is set up.
With FWBENCH_CONTRACT_URL (and FWBENCH_CONTRACT_STACK) set, the suite runs once, over HTTP.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

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

from apps.seed import DEFAULT_ITEMS, seed_database

_LIVE = live_target()


@pytest.fixture(scope="session")
def stack_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Environment every stack reads at import: database paths are per stack, under this dir."""
    root = tmp_path_factory.mktemp("stacks")
    secret = root / "secret_key"
    secret.write_text("contract-tests-only-" + "x" * 40, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FWBENCH_SECRET_KEY_FILE", str(secret))
        mp.setenv("DJANGO_SETTINGS_MODULE", "apps.django_drf.settings")
        mp.setenv("FWBENCH_DB", str(root / "django_drf.db"))  # Django reads it once per process
        yield root


def _inprocess_client(stack: str, root: Path) -> ContractClient:
    db = root / f"{stack}.db"
    seed_database(db, DEFAULT_ITEMS)
    if stack == "django_drf":
        from django.db import connections

        connections.close_all()  # the file was just replaced
        module = importlib.import_module("apps.django_drf.wsgi")
        return WSGIClient(module.application, stack)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FWBENCH_DB", str(db))  # the module builds `app` on import
        module = importlib.import_module(f"apps.{stack}")
    app = module.create_app(db)  # a fresh app on the fresh database
    if stack.startswith("fastapi"):
        return ASGIClient(app, stack)
    return WSGIClient(app, stack)


@pytest.fixture(scope="module", params=["live"] if _LIVE else list(STACKS))
def client(request: pytest.FixtureRequest, stack_env: Path) -> Iterator[ContractClient]:
    if _LIVE:
        yield HTTPClient(*_LIVE)
        return
    instance = _inprocess_client(request.param, stack_env)
    yield instance
    if isinstance(instance, ASGIClient):
        instance.close()


@pytest.fixture(scope="session")
def seeded_items() -> int:
    """How many rows the database was seeded with."""
    return int(os.environ.get(ENV_SEED_ITEMS, DEFAULT_ITEMS))

"""PostgreSQL: every driver path authenticates with only PGPASSFILE (scram-sha-256), the seed resets
a database exactly and never prints the password, bad settings are one-line errors, and every stack
has 64-bit ids and refuses what PostgreSQL's text cannot hold, on the throwaway cluster of
`pg_cluster.py` (docs/databases.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from contract_client import STACKS, ContractClient
from inprocess import postgres_env, stack_client
from pg_cluster import PgCluster, free_port

from apps.common import ITEM_ID_MAX
from apps.seed import rows_digest, seed_item, seed_items

REPO = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}
SEED_ITEMS = 40


def clean_env(**extra: str) -> dict[str, str]:
    """A child's environment: none of fwbench's or libpq's settings but those given."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FWBENCH_", "PG", "DJANGO_"))}
    return {**env, **extra}


def run_python(
    code: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def connect(cluster: PgCluster, database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(host=cluster.host, port=cluster.port, dbname=database,
                           user=cluster.user, autocommit=True)


def table_rows(cluster: PgCluster, database: str) -> list[dict[str, Any]]:
    with connect(cluster, database) as conn:
        rows = conn.execute("SELECT id, name, description, price FROM items ORDER BY id")
        return [dict(zip(("id", "name", "description", "price"), row, strict=True))
                for row in rows]


# --- authentication: only PGPASSFILE, scram-sha-256 ----------------------------------------------

DRIVER_PATHS = {
    "psycopg": """
import psycopg
from apps.common import postgres_settings
with psycopg.connect(postgres_settings().conninfo) as conn:
    print(conn.execute("SELECT current_user").fetchone()[0])
""",
    "psycopg_pool": """
from psycopg_pool import ConnectionPool
from apps.common import postgres_settings
s = postgres_settings()
with ConnectionPool(s.conninfo, min_size=s.pool_size, max_size=s.pool_size, timeout=3) as pool:
    with pool.connection() as conn:
        print(conn.execute("SELECT current_user").fetchone()[0])
""",
    "psycopg_pool_async": """
import asyncio
from psycopg_pool import AsyncConnectionPool
from apps.common import postgres_settings
async def main():
    s = postgres_settings()
    async with AsyncConnectionPool(s.conninfo, min_size=1, max_size=1, timeout=3) as pool:
        async with pool.connection() as conn:
            print((await (await conn.execute("SELECT current_user")).fetchone())[0])
asyncio.run(main())
""",
    "sqlalchemy": """
import sqlalchemy
from apps.common import postgres_settings
s = postgres_settings()
engine = sqlalchemy.create_engine(s.sqlalchemy_url, pool_size=s.pool_size, max_overflow=0)
with engine.connect() as conn:
    print(conn.execute(sqlalchemy.text("SELECT current_user")).scalar())
""",
    "django": """
import django
django.setup()
from django.conf import settings
from django.db import connection
settings.DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 3  # fail fast without a password
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    print(cursor.fetchone()[0])
assert connection.pool is not None, "Django's pool is not in use"
connection.close()
connection.close_pool()
""",
}


@pytest.fixture(scope="module")
def secret_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret_key"
    path.write_text("contract-tests-only-" + "z" * 40, encoding="utf-8")
    return path


def test_the_cluster_demands_scram_sha_256_over_tcp(pg_cluster: PgCluster) -> None:
    rules = pg_cluster.admin_sql(
        "SELECT type, address, auth_method FROM pg_hba_file_rules WHERE type = 'host'")
    assert rules.strip() and all(line.endswith("|scram-sha-256")
                                 for line in rules.strip().splitlines()), rules
    stored = pg_cluster.admin_sql(
        f"SELECT rolpassword FROM pg_authid WHERE rolname = '{pg_cluster.user}'")
    assert stored.startswith("SCRAM-SHA-256$")


@pytest.mark.parametrize("path", list(DRIVER_PATHS))
def test_every_driver_path_connects_with_only_pgpassfile(
    pg_cluster: PgCluster, secret_key: Path, path: str
) -> None:
    env = clean_env(**pg_cluster.env("fwbench_drivers", pool=2),
                    FWBENCH_SECRET_KEY_FILE=str(secret_key),
                    DJANGO_SETTINGS_MODULE="apps.django_drf.settings")
    assert "PGPASSWORD" not in env and pg_cluster.password not in json.dumps(env)
    done = run_python(DRIVER_PATHS[path], env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [pg_cluster.user]
    # The same path without the passfile is refused: the password really comes from it.
    env["PGPASSFILE"] = os.devnull
    refused = run_python(DRIVER_PATHS[path], env)
    assert refused.returncode != 0
    assert "no password supplied" in refused.stderr, refused.stderr[-2000:]


# --- the seed -----------------------------------------------------------------------------------


def seed(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "apps.seed", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_seed_resets_a_modified_database_to_exactly_the_seeded_rows(pg_cluster: PgCluster) -> None:
    env = clean_env(**pg_cluster.env("fwbench_seed", pool=3))
    first = seed(env, "--database", "postgresql", "--items", str(SEED_ITEMS))
    assert first.returncode == 0, first.stderr
    with connect(pg_cluster, "fwbench_seed") as conn:
        conn.execute("INSERT INTO items (name, price) VALUES ('extra', 1), ('more', 2)")
        conn.execute("UPDATE items SET name = 'changed', price = 0 WHERE id = 3")
        conn.execute("DELETE FROM items WHERE id IN (1, 7)")
        conn.execute("INSERT INTO items (id, name, price) VALUES (9000, 'far', 3)")
    done = seed(env, "--database", "postgresql", "--items", str(SEED_ITEMS))
    assert done.returncode == 0, done.stderr
    assert table_rows(pg_cluster, "fwbench_seed") == list(seed_items(SEED_ITEMS))
    with connect(pg_cluster, "fwbench_seed") as conn:
        new_id = conn.execute(
            "INSERT INTO items (name, price) VALUES ('next', 1) RETURNING id").fetchone()
        assert new_id == (SEED_ITEMS + 1,)
        columns = conn.execute(
            "SELECT column_name, data_type, is_identity, identity_generation, is_nullable, "
            "column_default FROM information_schema.columns WHERE table_name = 'items' "
            "ORDER BY ordinal_position").fetchall()
        analysed = conn.execute(
            "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = 'items'").fetchone()
    assert columns == [
        ("id", "bigint", "YES", "BY DEFAULT", "NO", None),
        ("name", "text", "NO", None, "NO", None),
        ("description", "text", "NO", None, "NO", "''::text"),
        ("price", "double precision", "NO", None, "NO", None),
    ]
    assert analysed == (True,)


def test_seed_of_zero_items_gives_id_1_next(pg_cluster: PgCluster) -> None:
    env = clean_env(**pg_cluster.env("fwbench_seed"))
    done = seed(env, "--database", "postgresql", "--items", "0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["items"] == 0
    with connect(pg_cluster, "fwbench_seed") as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (0,)
        new_id = conn.execute(
            "INSERT INTO items (name, price) VALUES ('first', 1) RETURNING id").fetchone()
    assert new_id == (1,)


def test_seed_prints_one_json_line_and_never_the_password(pg_cluster: PgCluster) -> None:
    env = clean_env(**pg_cluster.env("fwbench_seed", pool=5))
    done = seed(env, "--database", "postgresql", "--items", str(SEED_ITEMS))
    assert done.returncode == 0, done.stderr
    assert pg_cluster.password not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary == {
        "database": "postgresql",
        "host": pg_cluster.host,
        "port": pg_cluster.port,
        "name": "fwbench_seed",
        "user": pg_cluster.user,
        "items": SEED_ITEMS,
        "sha256": rows_digest(SEED_ITEMS),
        "server_version": summary["server_version"],
        "settings": summary["settings"],
    }
    assert summary["server_version"].split(".")[0].isdigit()
    settings = summary["settings"]
    assert set(settings) == {"max_connections", "shared_buffers", "ssl", "synchronous_commit",
                             "fsync", "wal_level", "work_mem", "effective_cache_size",
                             "pool_size_per_process", "connection_tls"}
    assert settings["max_connections"] == "200"  # the cluster's postgresql.conf
    assert settings["fsync"] == "off"
    assert settings["pool_size_per_process"] == 5
    # the throwaway cluster has no certificate: ssl off, and the seed's connection is plain TCP
    assert settings["ssl"] == "off"
    assert settings["connection_tls"] is False


def test_seed_sqlite_forms_keep_working(tmp_path: Path) -> None:
    env = clean_env()
    implied = seed(env, "--db", str(tmp_path / "a.db"), "--items", "5")
    explicit = seed(env, "--database", "sqlite", "--db", str(tmp_path / "b.db"), "--items", "5")
    for done, name in ((implied, "a.db"), (explicit, "b.db")):
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["database"] == "sqlite"
        assert summary["db"] == str((tmp_path / name).resolve())
        assert set(summary) == {"database", "db", "items", "journal_mode", "sha256", "bytes"}
        assert summary["sha256"] == rows_digest(5)


def _assert_one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_seed_refuses_bad_combinations_in_one_line(pg_cluster: PgCluster, tmp_path: Path) -> None:
    env = clean_env(**pg_cluster.env("fwbench_seed"))
    _assert_one_line_error(seed(env, "--database", "postgresql", "--db", str(tmp_path / "x.db")),
                           "--db")
    _assert_one_line_error(seed(clean_env()), "--db")  # neither --db nor --database
    _assert_one_line_error(seed(clean_env(), "--database", "sqlite"), "--db")
    _assert_one_line_error(seed(env, "--database", "mysql"), "--database")
    no_host = {k: v for k, v in env.items() if k != "FWBENCH_PG_HOST"}
    _assert_one_line_error(seed(no_host, "--database", "postgresql"), "FWBENCH_PG_HOST")
    _assert_one_line_error(seed({**env, "FWBENCH_PG_POOL": "0"}, "--database", "postgresql"),
                           "FWBENCH_PG_POOL")
    _assert_one_line_error(seed({**env, "FWBENCH_PG_PORT": "http"}, "--database", "postgresql"),
                           "FWBENCH_PG_PORT")


def test_seed_of_an_unreachable_database_fails_in_one_line(pg_cluster: PgCluster) -> None:
    closed = {**clean_env(**pg_cluster.env("fwbench_seed")), "FWBENCH_PG_PORT": str(free_port())}
    _assert_one_line_error(seed(closed, "--database", "postgresql"), "cannot connect")
    wrong_db = clean_env(**pg_cluster.env("no_such_database"))
    done = seed(wrong_db, "--database", "postgresql")
    _assert_one_line_error(done, "cannot connect")
    assert pg_cluster.password not in done.stderr


# --- the stacks' settings -----------------------------------------------------------------------

STARTUP = {
    "flask_sqlite3": "import apps.flask_sqlite3",
    "flask_sqlalchemy": "import apps.flask_sqlalchemy",
    "fastapi_sqlite3": "import apps.fastapi_sqlite3",
    "fastapi_sqlmodel": "import apps.fastapi_sqlmodel",
    "django_drf": "import apps.django_drf.wsgi",
}


@pytest.mark.parametrize("stack", STACKS)
def test_a_stack_refuses_to_start_with_bad_database_settings(
    stack: str, secret_key: Path, tmp_path: Path
) -> None:
    base = clean_env(FWBENCH_SECRET_KEY_FILE=str(secret_key), FWBENCH_DB=str(tmp_path / "x.db"),
                     DJANGO_SETTINGS_MODULE="apps.django_drf.settings")
    cases = [
        ({"FWBENCH_DATABASE": "mysql"}, "FWBENCH_DATABASE must be one of sqlite, postgresql"),
        ({"FWBENCH_DATABASE": "postgresql"}, "FWBENCH_PG_HOST is not set"),
        ({"FWBENCH_DATABASE": "postgresql", "FWBENCH_PG_HOST": "127.0.0.1",
          "FWBENCH_PG_POOL": "-1"}, "FWBENCH_PG_POOL must be an integer >= 1"),
    ]
    for extra, message in cases:
        done = run_python(STARTUP[stack], {**base, **extra})
        assert done.returncode != 0, extra
        last = done.stderr.strip().splitlines()[-1]
        # Django reports its settings errors as ImproperlyConfigured, with the same line.
        kind = "ImproperlyConfigured" if stack == "django_drf" else "RuntimeError"
        assert last.startswith(f"{kind}: ") or last.startswith(f"django.core.exceptions.{kind}: ")
        assert message in last, last


# --- every stack on PostgreSQL: 64-bit ids, what text cannot hold -------------------------------


@pytest.fixture(params=STACKS)
def pg_stack(request: pytest.FixtureRequest, pg_cluster: PgCluster,
             stack_env: Path) -> Iterator[ContractClient]:
    """A stack on the `fwbench_ids` database, freshly reset to SEED_ITEMS rows."""
    env = postgres_env(pg_cluster, "fwbench_ids", SEED_ITEMS)
    client, close = stack_client(request.param, env)
    try:
        yield client
    finally:
        close()


def send(client: ContractClient, method: str, path: str, payload: Any) -> Any:
    return client.request(method, path, json.dumps(payload).encode(), JSON)


def test_the_stack_really_stores_in_postgresql(pg_stack: ContractClient,
                                               pg_cluster: PgCluster) -> None:
    assert pg_stack.request("GET", "/items/1").json() == seed_item(1)
    created = send(pg_stack, "POST", "/items", {"name": "in-pg", "price": 2.5})
    assert created.status == 201
    assert created.json()["id"] == SEED_ITEMS + 1  # the identity the seed set
    assert table_rows(pg_cluster, "fwbench_ids")[-1] == {
        "id": SEED_ITEMS + 1, "name": "in-pg", "description": "", "price": 2.5}
    assert pg_stack.request("GET", "/healthz").json()["items"] == SEED_ITEMS + 1


@pytest.mark.parametrize("item_id", [2**31, 2**32 + 5, ITEM_ID_MAX])
def test_ids_are_64_bit(pg_stack: ContractClient, pg_cluster: PgCluster, item_id: int) -> None:
    path = f"/items/{item_id}"
    for method in ("GET", "DELETE"):
        assert pg_stack.request(method, path).status == 404
    assert send(pg_stack, "PUT", path, {"name": "x", "price": 1}).status == 404
    with connect(pg_cluster, "fwbench_ids") as conn:
        conn.execute("INSERT INTO items (id, name, price) VALUES (%s, 'big', 1.5)", (item_id,))
    assert pg_stack.request("GET", path).json() == {
        "id": item_id, "name": "big", "description": "", "price": 1.5}
    assert send(pg_stack, "PUT", path, {"name": "bigger", "price": 2}).json() == {
        "id": item_id, "name": "bigger", "description": "", "price": 2.0}
    assert any(item["id"] == item_id for item in pg_stack.request("GET", "/items").json())
    assert pg_stack.request("DELETE", path).status == 204
    assert pg_stack.request("GET", path).status == 404
    assert pg_stack.request("DELETE", path).status == 404


def test_text_with_nul_is_422_not_500(pg_stack: ContractClient, pg_cluster: PgCluster) -> None:
    before = table_rows(pg_cluster, "fwbench_ids")
    for field in ("name", "description"):
        item = {"name": "n", "description": "d", "price": 1, field: "a\u0000b"}
        assert send(pg_stack, "POST", "/items", item).status == 422
        assert send(pg_stack, "PUT", "/items/2", item).status == 422
        assert send(pg_stack, "PUT", "/items/999999", item).status == 404  # 404 comes first
    assert table_rows(pg_cluster, "fwbench_ids") == before


# --- gevent: a query that waits blocks its greenlet, not the worker ------------------------------

GEVENT_TARGETS = {
    "flask_sqlite3": "apps.flask_sqlite3:app",
    "flask_sqlalchemy": "apps.flask_sqlalchemy:app",
    "django_drf": "apps.django_drf.wsgi:application",
}


@pytest.mark.parametrize("stack", list(GEVENT_TARGETS))
def test_a_gevent_worker_keeps_serving_while_a_query_waits(
    stack: str, pg_cluster: PgCluster, secret_key: Path, tmp_path: Path
) -> None:
    """One gunicorn gevent worker; a row lock held outside makes a PUT wait in PostgreSQL. If
    psycopg waited in C (not cooperatively), the worker's one thread would block and nothing else
    would be answered until the lock is released."""
    import threading
    import time

    import requests
    from test_http_servers import HOST, clean_environ, stop, version_set_values, wait_healthy

    env = {**clean_environ(), **postgres_env(pg_cluster, "fwbench_gevent", SEED_ITEMS),
           "FWBENCH_PG_POOL": "3", "FWBENCH_SECRET_KEY_FILE": str(secret_key),
           "FWBENCH_ALLOWED_HOSTS": HOST}
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [str(Path(sys.executable).parent / "gunicorn"), GEVENT_TARGETS[stack], "--bind",
               f"{HOST}:{port}", "--workers", "1", "--worker-class", "gevent",
               *version_set_values()["gunicorn_flags"].split()]
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(url, process, stack)
        with connect(pg_cluster, "fwbench_gevent") as locker, locker.transaction():
            locker.execute("SELECT 1 FROM items WHERE id = 5 FOR UPDATE")
            put: dict[str, Any] = {}
            waiting = threading.Thread(target=lambda: put.update(reply=requests.put(
                f"{url}/items/5", json={"name": "after the lock", "price": 1}, timeout=60)))
            waiting.start()
            time.sleep(1.0)  # the PUT is now waiting for the row lock
            started = time.monotonic()
            hello = requests.get(f"{url}/hello", timeout=10)
            other = requests.get(f"{url}/items/6", timeout=10)
            elapsed = time.monotonic() - started
            assert "reply" not in put, "the PUT did not wait for the lock"
        waiting.join(timeout=60)
        assert hello.status_code == 200 and other.json() == seed_item(6)
        assert elapsed < 3, f"the worker was blocked for {elapsed:.1f}s"
        assert put["reply"].status_code == 200
    finally:
        stop(process)

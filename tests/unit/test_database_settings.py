"""Database settings (apps/common.py): FWBENCH_DATABASE and FWBENCH_PG_* (docs/databases.md)."""

from __future__ import annotations

import pytest

from apps.common import (
    ENV_DATABASE,
    PostgresSettings,
    database_kind,
    nul_errors,
    postgres_settings,
)

PG_ENV = ("FWBENCH_PG_HOST", "FWBENCH_PG_PORT", "FWBENCH_PG_NAME", "FWBENCH_PG_USER",
          "FWBENCH_PG_POOL")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_DATABASE, *PG_ENV):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("value", "kind"), [(None, "sqlite"), ("", "sqlite"),
                                             ("sqlite", "sqlite"), ("postgresql", "postgresql")])
def test_database_kind(monkeypatch: pytest.MonkeyPatch, value: str | None, kind: str) -> None:
    if value is not None:
        monkeypatch.setenv(ENV_DATABASE, value)
    assert database_kind() == kind


@pytest.mark.parametrize("value", ["mysql", "postgres", "PostgreSQL", " sqlite", "sqlite3"])
def test_any_other_database_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch,
                                                value: str) -> None:
    monkeypatch.setenv(ENV_DATABASE, value)
    with pytest.raises(RuntimeError) as error:
        database_kind()
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("FWBENCH_DATABASE must be one of sqlite, postgresql")


def test_postgres_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FWBENCH_PG_HOST", "db.example")
    assert postgres_settings() == PostgresSettings(host="db.example", port=5432, name="fwbench",
                                                   user="fwbench", pool_size=8)


def test_postgres_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in zip(PG_ENV, ("10.0.0.5", "6543", "bench db", "o'neil", "3"), strict=True):
        monkeypatch.setenv(name, value)
    settings = postgres_settings()
    assert settings == PostgresSettings("10.0.0.5", 6543, "bench db", "o'neil", 3)
    assert settings.conninfo == ("host='10.0.0.5' port='6543' dbname='bench db' "
                                 "user='o\\'neil' connect_timeout='10'")
    assert settings.sqlalchemy_url == (
        "postgresql+psycopg://o%27neil@10.0.0.5:6543/bench%20db?connect_timeout=10")
    assert settings.describe() == {"host": "10.0.0.5", "port": 6543, "name": "bench db",
                                   "user": "o'neil"}


def test_urls_parse_back_to_the_settings() -> None:
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import make_url

    settings = PostgresSettings("::1", 5433, "d/b'\\x", "u@s:er", 2)
    assert conninfo_to_dict(settings.conninfo) == {
        "host": "::1", "port": "5433", "dbname": "d/b'\\x", "user": "u@s:er",
        "connect_timeout": "10"}
    url = make_url(settings.sqlalchemy_url)
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == (
        "postgresql+psycopg", "::1", 5433, "d/b'\\x", "u@s:er", None)


@pytest.mark.parametrize(("name", "value", "needle"), [
    ("FWBENCH_PG_PORT", "0", "FWBENCH_PG_PORT must be an integer from 1 to 65535"),
    ("FWBENCH_PG_PORT", "70000", "FWBENCH_PG_PORT must be an integer from 1 to 65535"),
    ("FWBENCH_PG_PORT", "5432x", "FWBENCH_PG_PORT must be an integer"),
    ("FWBENCH_PG_POOL", "0", "FWBENCH_PG_POOL must be an integer >= 1"),
    ("FWBENCH_PG_POOL", "two", "FWBENCH_PG_POOL must be an integer >= 1"),
    ("FWBENCH_PG_HOST", "/var/run/postgresql", "FWBENCH_PG_HOST must be one host"),
    ("FWBENCH_PG_HOST", "a,b", "FWBENCH_PG_HOST must be one host"),
])
def test_bad_postgres_settings_are_one_line_errors(monkeypatch: pytest.MonkeyPatch, name: str,
                                                   value: str, needle: str) -> None:
    monkeypatch.setenv("FWBENCH_PG_HOST", "127.0.0.1")
    monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError) as error:
        postgres_settings()
    assert needle in str(error.value) and "\n" not in str(error.value)


def test_a_missing_host_is_a_one_line_error() -> None:
    with pytest.raises(RuntimeError, match=r"^FWBENCH_PG_HOST is not set") as error:
        postgres_settings()
    assert "\n" not in str(error.value)


def test_settings_hold_no_password() -> None:
    settings = PostgresSettings("h")
    assert "password" not in settings.conninfo and ":@" not in settings.sqlalchemy_url
    assert "password" not in settings.describe()


def test_nul_errors_name_the_fields_that_hold_one() -> None:
    assert nul_errors({"name": "ok", "description": "", "price": 1.0}) == []
    errors = nul_errors({"name": "a\x00", "description": "b\x00c", "price": 1.0})
    assert [error["loc"] for error in errors] == [["body", "name"], ["body", "description"]]

"""Django settings, all from the environment (nothing to edit on a host).

FWBENCH_DATABASE           sqlite (default) or postgresql
FWBENCH_DB                 SQLite database file (required for sqlite)
FWBENCH_SQLITE_BUSY_MS     busy timeout in ms (default 5000)
FWBENCH_SQLITE_JOURNAL     journal mode (default wal)
FWBENCH_PG_HOST, FWBENCH_PG_PORT, FWBENCH_PG_NAME, FWBENCH_PG_USER, FWBENCH_PG_POOL
                           PostgreSQL (docs/databases.md); the password comes from PGPASSFILE
FWBENCH_SECRET_KEY_FILE    file holding SECRET_KEY (required)
FWBENCH_ALLOWED_HOSTS      comma-separated ALLOWED_HOSTS (default "127.0.0.1,localhost")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from apps.common import (
    MAX_BODY_BYTES,
    PG_CONNECT_TIMEOUT_S,
    database_kind,
    postgres_settings,
    sqlite_settings,
)

ENV_SECRET_KEY_FILE = "FWBENCH_SECRET_KEY_FILE"
ENV_ALLOWED_HOSTS = "FWBENCH_ALLOWED_HOSTS"


def _secret_key() -> str:
    name = os.environ.get(ENV_SECRET_KEY_FILE, "")
    if not name:
        raise ImproperlyConfigured(
            f"{ENV_SECRET_KEY_FILE} is not set: it must name a file holding the secret key"
        )
    try:
        key = Path(name).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"{ENV_SECRET_KEY_FILE}={name} cannot be read: {exc.strerror}"
        ) from exc
    if not key:
        raise ImproperlyConfigured(f"{ENV_SECRET_KEY_FILE}={name} is empty")
    return key


def databases() -> dict[str, dict[str, Any]]:
    """DATABASES from the environment: SQLite (FWBENCH_DB) or PostgreSQL (FWBENCH_PG_*)."""
    try:
        if database_kind() == "postgresql":
            pg = postgres_settings()
            return {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": pg.name,
                    "USER": pg.user,
                    "PASSWORD": "",  # libpq reads it from PGPASSFILE
                    "HOST": pg.host,
                    "PORT": str(pg.port),
                    # Django's own psycopg pool, per process; it needs CONN_MAX_AGE = 0 (a
                    # connection goes back to the pool at the end of each request).
                    "CONN_MAX_AGE": 0,
                    "OPTIONS": {
                        "pool": {"min_size": pg.pool_size, "max_size": pg.pool_size},
                        "connect_timeout": PG_CONNECT_TIMEOUT_S,
                    },
                }
            }
        sqlite = sqlite_settings()
    except RuntimeError as exc:
        raise ImproperlyConfigured(str(exc)) from exc
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": sqlite.path,
            "OPTIONS": {
                "timeout": sqlite.timeout_s,
                "init_command": ";".join(sqlite.pragmas),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }


DATABASES = databases()
SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get(ENV_ALLOWED_HOSTS, "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = ["rest_framework", "apps.django_drf"]
# No sessions, auth, CSRF or CommonMiddleware (so no APPEND_SLASH redirects) on this API.
MIDDLEWARE = ["apps.django_drf.rest.DrainUnreadBodyMiddleware"]
ROOT_URLCONF = "apps.django_drf.urls"
WSGI_APPLICATION = "apps.django_drf.wsgi.application"
ASGI_APPLICATION = "apps.django_drf.asgi.application"
APPEND_SLASH = False
TEMPLATES: list[dict[str, object]] = []

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.django_drf.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.django_drf.parsers.JSONOnlyNegotiation",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "apps.django_drf.rest.exception_handler",
}

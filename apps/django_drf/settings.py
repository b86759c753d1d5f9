"""Django settings, all from the environment (nothing to edit on a host).

FWBENCH_DB                 SQLite database file (required)
FWBENCH_SECRET_KEY_FILE    file holding SECRET_KEY (required)
FWBENCH_ALLOWED_HOSTS      comma-separated ALLOWED_HOSTS (default "127.0.0.1,localhost")
FWBENCH_SQLITE_BUSY_MS     busy timeout in ms (default 5000)
FWBENCH_SQLITE_JOURNAL     journal mode (default wal)
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from apps.common import MAX_BODY_BYTES, sqlite_settings

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


try:
    _SQLITE = sqlite_settings()
except RuntimeError as exc:
    raise ImproperlyConfigured(str(exc)) from exc

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _SQLITE.path,
        "OPTIONS": {
            "timeout": _SQLITE.timeout_s,
            "init_command": ";".join(_SQLITE.pragmas),
            "transaction_mode": "IMMEDIATE",
        },
    }
}
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

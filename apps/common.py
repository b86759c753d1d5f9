"""What every stack shares: item and request limits, database settings, a strict JSON reader.

The web contract these serve is written down in docs/web-contract.md.

Everything else (routing, validation libraries, database access, error pages) belongs to the stack
and is written the way people use that framework; the plumbing that two stacks of one framework
would write alike is shared between them in `apps._flask` and `apps._fastapi`.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any, Literal
from urllib.parse import quote

# Item limits (docs/web-contract.md).
NAME_MIN_LENGTH = 1
NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000
DESCRIPTION_DEFAULT = ""
PRICE_MIN = 0.0
PRICE_MAX = 1e9

# An item id in a URL: 1 to 19 ASCII digits, and at most SQLite's largest INTEGER (PostgreSQL's
# BIGINT has the same range).
ITEM_ID_MAX = 2**63 - 1


def _at_most_regex(limit: int) -> str:
    """A regex for the decimal strings (ASCII digits, leading zeros allowed, at most as many
    digits as `limit` has) whose value is <= limit, so that routing alone refuses larger ids."""
    digits = str(limit)
    width = len(digits)
    options = [f"[0-9]{{1,{width - 1}}}"] if width > 1 else []
    for i, digit in enumerate(digits):
        if digit != "0":
            rest = width - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            options.append(f"{digits[:i]}[0-{int(digit) - 1}]{tail}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


ITEM_ID_REGEX = _at_most_regex(ITEM_ID_MAX)

# Request limits: a body over MAX_BODY_BYTES is answered 413; up to DRAIN_LIMIT_BYTES of it are
# read and discarded first so that the client sees the answer and not a connection reset.
MAX_BODY_BYTES = 1024 * 1024
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES
DRAIN_CHUNK_BYTES = 64 * 1024
JSON_MEDIA_TYPE = "application/json"

# How deeply arrays and objects may nest in any request body: `[]` and `{}` are one level, `[[]]`
# and `{"a": []}` two, a bare scalar none. Deeper bodies are answered 400 before they are parsed,
# so nothing deep enough to exhaust the interpreter's recursion limit (about 1,000 frames, shared
# by the JSON parser, the JSON encoder that echoes a body back and the frameworks' own calls) ever
# reaches a parser or an encoder.
MAX_JSON_DEPTH = 100

# Environment read by every stack.
ENV_DB = "FWBENCH_DB"
ENV_BUSY_MS = "FWBENCH_SQLITE_BUSY_MS"
ENV_JOURNAL = "FWBENCH_SQLITE_JOURNAL"
DEFAULT_BUSY_MS = 5000
DEFAULT_JOURNAL = "wal"
JOURNAL_MODES = ("delete", "truncate", "persist", "memory", "wal", "off")


@dataclass(frozen=True)
class SQLiteSettings:
    """Where the database is and how every connection to it is set up."""

    path: str
    busy_timeout_ms: int = DEFAULT_BUSY_MS
    journal_mode: str = DEFAULT_JOURNAL

    @property
    def pragmas(self) -> tuple[str, ...]:
        """Statements to run on each new connection (busy timeout first: WAL needs a lock)."""
        return (
            f"PRAGMA busy_timeout = {self.busy_timeout_ms}",
            f"PRAGMA journal_mode = {self.journal_mode}",
        )

    def apply_pragmas(self, connection: Any) -> None:
        """Run `pragmas` on a new DB-API connection (sqlite3, or the one under SQLAlchemy)."""
        cursor = connection.cursor()
        try:
            for pragma in self.pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @property
    def timeout_s(self) -> float:
        """The busy timeout in seconds, as `sqlite3.connect(timeout=...)` takes it."""
        return self.busy_timeout_ms / 1000


def sqlite_settings(path: str | os.PathLike[str] | None = None) -> SQLiteSettings:
    """SQLite settings from the environment; `path` overrides `FWBENCH_DB`."""
    if path is None:
        path = os.environ.get(ENV_DB, "")
        if not path:
            raise RuntimeError(
                f"{ENV_DB} is not set: it must name the SQLite database file "
                "(create one with `python -m apps.seed --db PATH`)"
            )
    busy_raw = os.environ.get(ENV_BUSY_MS, str(DEFAULT_BUSY_MS))
    try:
        busy_ms = int(busy_raw)
    except ValueError:
        busy_ms = -1
    if busy_ms < 0:
        raise RuntimeError(f"{ENV_BUSY_MS} must be a non-negative integer, not {busy_raw!r}")
    journal = os.environ.get(ENV_JOURNAL, DEFAULT_JOURNAL).strip().lower()
    if journal not in JOURNAL_MODES:
        raise RuntimeError(f"{ENV_JOURNAL} must be one of {', '.join(JOURNAL_MODES)}")
    return SQLiteSettings(path=os.fspath(path), busy_timeout_ms=busy_ms, journal_mode=journal)


# Which database the stacks use (docs/databases.md): SQLite unless FWBENCH_DATABASE says otherwise.
ENV_DATABASE = "FWBENCH_DATABASE"
DatabaseKind = Literal["sqlite", "postgresql"]
DATABASE_KINDS: tuple[DatabaseKind, ...] = ("sqlite", "postgresql")
DEFAULT_DATABASE: DatabaseKind = "sqlite"


def database_kind() -> DatabaseKind:
    """The database named by FWBENCH_DATABASE: `sqlite` (also when unset or empty) or
    `postgresql`; anything else is a one-line RuntimeError naming the choices."""
    value = os.environ.get(ENV_DATABASE, "")
    if not value:
        return DEFAULT_DATABASE
    for kind in DATABASE_KINDS:
        if value == kind:
            return kind
    raise RuntimeError(
        f"{ENV_DATABASE} must be one of {', '.join(DATABASE_KINDS)} "
        f"(unset or empty: {DEFAULT_DATABASE}), not {value[:40]!r}"
    )


# PostgreSQL, reached over TCP. The password is never in the environment, a URL or a command
# line: libpq reads it from the file named by PGPASSFILE (host:port:dbname:user:password).
ENV_PG_HOST = "FWBENCH_PG_HOST"
ENV_PG_PORT = "FWBENCH_PG_PORT"
ENV_PG_NAME = "FWBENCH_PG_NAME"
ENV_PG_USER = "FWBENCH_PG_USER"
ENV_PG_POOL = "FWBENCH_PG_POOL"
DEFAULT_PG_PORT = 5432
DEFAULT_PG_NAME = "fwbench"
DEFAULT_PG_USER = "fwbench"
DEFAULT_PG_POOL = 8
# Seconds libpq waits for a connection before giving up (a database that cannot be reached).
PG_CONNECT_TIMEOUT_S = 10


def _conninfo_value(value: str) -> str:
    """A libpq connection-string value, quoted (backslash and single quote escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class PostgresSettings:
    """Where the PostgreSQL database is, and how many connections each server process keeps."""

    host: str
    port: int = DEFAULT_PG_PORT
    name: str = DEFAULT_PG_NAME
    user: str = DEFAULT_PG_USER
    pool_size: int = DEFAULT_PG_POOL

    @property
    def conninfo(self) -> str:
        """A libpq connection string (psycopg, psycopg_pool), without a password."""
        params = {
            "host": self.host,
            "port": str(self.port),
            "dbname": self.name,
            "user": self.user,
            "connect_timeout": str(PG_CONNECT_TIMEOUT_S),
        }
        return " ".join(f"{key}={_conninfo_value(value)}" for key, value in params.items())

    @property
    def sqlalchemy_url(self) -> str:
        """The SQLAlchemy URL (psycopg 3 dialect), without a password."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (
            f"postgresql+psycopg://{quote(self.user, safe='')}@{host}:{self.port}/"
            f"{quote(self.name, safe='')}?connect_timeout={PG_CONNECT_TIMEOUT_S}"
        )

    def describe(self) -> dict[str, Any]:
        """Where the database is, for a log line or a summary (there is no secret to leave out)."""
        return {"host": self.host, "port": self.port, "name": self.name, "user": self.user}


def _env_int(name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = os.environ.get(name, "") or str(default)
    try:
        value = int(raw.strip())
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        raise RuntimeError(f"{name} must be an integer {bounds}, not {raw[:40]!r}")
    return value


def postgres_settings() -> PostgresSettings:
    """PostgreSQL settings from the environment (FWBENCH_PG_*); one-line RuntimeErrors."""
    host = os.environ.get(ENV_PG_HOST, "").strip()
    if not host:
        raise RuntimeError(
            f"{ENV_PG_HOST} is not set: with {ENV_DATABASE}=postgresql it must name the "
            "database server's host name or address (the password comes from PGPASSFILE)"
        )
    if host.startswith("/") or any(c.isspace() or c == "," for c in host):
        raise RuntimeError(
            f"{ENV_PG_HOST} must be one host name or address (PostgreSQL is used over TCP), "
            f"not {host[:60]!r}"
        )
    port = _env_int(ENV_PG_PORT, DEFAULT_PG_PORT, 1, 65535)
    pool_size = _env_int(ENV_PG_POOL, DEFAULT_PG_POOL, 1)
    names = {}
    for env, default in ((ENV_PG_NAME, DEFAULT_PG_NAME), (ENV_PG_USER, DEFAULT_PG_USER)):
        value = os.environ.get(env, "").strip() or default
        if "\x00" in value:
            raise RuntimeError(f"{env} must not contain a NUL character")
        names[env] = value
    return PostgresSettings(
        host=host,
        port=port,
        name=names[ENV_PG_NAME],
        user=names[ENV_PG_USER],
        pool_size=pool_size,
    )


# PostgreSQL's text cannot hold U+0000 (SQLite's can): on PostgreSQL a string field with one is
# refused as invalid (422) instead of failing in the driver (a 500). Django REST framework's
# CharField refuses it on every database already.
NUL = "\x00"


def nul_errors(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Errors, shaped like pydantic's, for the string fields of a valid item that hold U+0000."""
    return [
        {
            "type": "string_no_nul",
            "loc": ["body", field],
            "msg": "String should not contain the NUL character (U+0000)",
        }
        for field in ("name", "description")
        if isinstance(item.get(field), str) and NUL in item[field]
    ]


def is_item_id(value: int) -> bool:
    """Whether an id that matched ITEM_ID_REGEX also fits in SQLite's INTEGER (and in BIGINT)."""
    return 0 <= value <= ITEM_ID_MAX


def is_json_content_type(value: str | None) -> bool:
    """Whether a Content-Type header value is application/json (parameters allowed)."""
    if not value:
        return False
    return value.split(";", 1)[0].strip().lower() == JSON_MEDIA_TYPE


class JSONBodyError(ValueError):
    """The request body is not acceptable JSON (answered 400)."""


# A JSON string from its opening quote to its closing one, or to the end of the text when it is
# unterminated: the pattern can always match where it starts, so it never backtracks and a scan
# with it is linear in the body's length whatever the body holds.
_JSON_STRING = re.compile(rb'"(?:[^"\\]+|\\.|\\\Z)*(?:"|\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = [0] * 256  # depth change per byte value
_BRACKET_STEP[ord("[")] = _BRACKET_STEP[ord("{")] = 1
_BRACKET_STEP[ord("]")] = _BRACKET_STEP[ord("}")] = -1
_DEPTH_SLICE = 64 * 1024


def json_too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels deep in a JSON text.

    A scan of the raw bytes, without parsing and without recursion: brackets inside strings are
    skipped, the others counted (+1 for `[` `{`, -1 for `]` `}`) and the running depth checked a
    slice at a time, so a body of 100,000 `[` is refused after the first slice. A body with at
    most `limit` opening brackets cannot be too deep and is not scanned at all. For a text that
    is not JSON the answer is only a guess, but such a text is refused by the parser anyway.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    outside_strings = _JSON_STRING.sub(b"", data) if b'"' in data else data
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    depth = 0
    for start in range(0, len(brackets), _DEPTH_SLICE):
        steps = map(_BRACKET_STEP.__getitem__, brackets[start : start + _DEPTH_SLICE])
        depths = list(accumulate(steps, initial=depth))
        if max(depths) > limit:
            return True
        depth = depths[-1]
    return False


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _reject_constant(token: str) -> Any:
    raise JSONBodyError(f"{token} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONBodyError("a number is too large")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def loads_json(data: bytes | str, *, finite: bool = False) -> Any:
    """Parse a request body as strict JSON, raising JSONBodyError (a ValueError) when it is not.

    Strict means: UTF-8, no NaN/Infinity tokens, no unpaired UTF-16 surrogate escapes (they cannot
    be stored or sent back as UTF-8), no arrays and objects nested more than MAX_JSON_DEPTH levels
    (checked on the raw text before parsing). With `finite`, numbers that overflow to infinity
    (1e400) are refused too: a body that is echoed back must be representable; item fields leave
    them to validation (a 422).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if json_too_deep(raw):
        raise JSONBodyError(f"body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = data if isinstance(data, str) else raw.decode("utf-8")
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float if finite else None,
        )
    except JSONBodyError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, ...
        raise JSONBodyError("body is not valid JSON") from exc
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise JSONBodyError("body has an unpaired surrogate escape")
    return value


# --- request bodies sent with Transfer-Encoding: chunked -----------------------------------------


def is_chunked(transfer_encoding: str | None) -> bool:
    """Whether a Transfer-Encoding header value frames the body in chunks (chunked comes last)."""
    if not transfer_encoding:
        return False
    return transfer_encoding.rsplit(",", 1)[-1].strip().lower() == "chunked"


class BodyFramingError(ValueError):
    """The server could not deliver the request body: its chunked framing is broken, or the
    connection ended inside it (answered 400)."""


def _body_read_errors() -> tuple[type[Exception], ...]:
    """What reading the body a WSGI server de-chunks raises when the framing is broken.

    werkzeug's development server and `apps.django_drf.devserver` raise OSError; gunicorn raises
    its own ParseException (InvalidChunkSize, ChunkMissingTerminator, ...) or NoMoreData (an
    OSError); a file read after it is closed raises ValueError.
    """
    errors: list[type[Exception]] = [OSError, ValueError]
    try:
        from gunicorn.http.errors import ParseException
    except ImportError:  # not every host runs gunicorn
        pass
    else:
        errors.append(ParseException)
    return tuple(errors)


BODY_READ_ERRORS = _body_read_errors()


def read_limited(read: Callable[[int], bytes], limit: int = MAX_BODY_BYTES) -> bytes | None:
    """Read a body of unknown length (chunked) to its end: the body, or None when it is longer
    than `limit` (then exactly limit + 1 bytes are read and the rest is left to a drain).

    `read(n)` returns at most n bytes and b"" at the end, like `wsgi.input` or a file. Raises
    BodyFramingError when the server cannot deliver the body (see BODY_READ_ERRORS).
    """
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = read(min(DRAIN_CHUNK_BYTES, limit + 1 - size))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
    except BODY_READ_ERRORS as exc:
        raise BodyFramingError("request body has broken chunked framing") from exc
    return None


def drain(read: Callable[[int], bytes], limit: int = DRAIN_LIMIT_BYTES) -> None:
    """Read and discard up to `limit` bytes of what is left of a body, ignoring read errors."""
    remaining = limit
    try:
        while remaining > 0:
            chunk = read(min(DRAIN_CHUNK_BYTES, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
    except BODY_READ_ERRORS:
        pass


def validate_item(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Check an item body by hand, for stacks without a schema library (Flask).

    Returns the clean item (name, description, price as float) and a list of errors shaped like
    pydantic's (`type`, `loc`, `msg`); the list is empty when the item is valid. Unknown fields
    are ignored. The offending value is never copied into an error.
    """
    item: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []

    def error(field: str, kind: str, msg: str) -> None:
        errors.append({"type": kind, "loc": ["body", field], "msg": msg})

    for field, min_length, max_length in (
        ("name", NAME_MIN_LENGTH, NAME_MAX_LENGTH),
        ("description", 0, DESCRIPTION_MAX_LENGTH),
    ):
        if field not in data:
            if field == "description":
                item[field] = DESCRIPTION_DEFAULT
            else:
                error(field, "missing", "Field required")
            continue
        value = data[field]
        if not isinstance(value, str):
            error(field, "string_type", "Input should be a valid string")
        elif len(value) < min_length:
            error(field, "string_too_short", f"String should have at least {min_length} character")
        elif len(value) > max_length:
            error(field, "string_too_long", f"String should have at most {max_length} characters")
        else:
            item[field] = value

    if "price" not in data:
        error("price", "missing", "Field required")
    else:
        price = data["price"]
        if isinstance(price, bool) or not isinstance(price, (int, float)):
            error("price", "float_type", "Input should be a valid number")
        elif isinstance(price, float) and not math.isfinite(price):
            error("price", "finite_number", "Input should be a finite number")
        elif price < PRICE_MIN:
            error(
                "price",
                "greater_than_equal",
                f"Input should be greater than or equal to {PRICE_MIN:g}",
            )
        elif price > PRICE_MAX:
            error(
                "price", "less_than_equal", f"Input should be less than or equal to {PRICE_MAX:.0f}"
            )
        else:
            item["price"] = float(price)
    return item, errors

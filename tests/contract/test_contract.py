"""The web contract (docs/web-contract.md), for every stack: in-process, or over HTTP when
FWBENCH_CONTRACT_URL names a live server (FWBENCH_CONTRACT_STACK its stack).

Tests never change the seeded rows: updates and deletes work on items the tests create, so the
suite can run against one server, in any order, more than once.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest
from contract_client import ContractClient, Reply, chunked

from apps.common import MAX_BODY_BYTES, MAX_JSON_DEPTH
from apps.seed import seed_item

JSON = {"Content-Type": "application/json"}
CANARY = "CANARY-7f3a9"
VALID = {"name": "widget", "description": "a thing", "price": 12.5}
NO_BODY = object()


# --- helpers ------------------------------------------------------------------------------------


def send(
    client: ContractClient,
    method: str,
    path: str,
    payload: Any = NO_BODY,
    *,
    raw: bytes | None = None,
    content_type: str | None = "application/json",
) -> Reply:
    """A request with a JSON payload (or raw bytes) and the given Content-Type (None: none)."""
    if raw is not None:
        body: bytes | None = raw
    else:
        body = None if payload is NO_BODY else json.dumps(payload).encode()
    headers = {} if content_type is None or body is None else {"Content-Type": content_type}
    return client.request(method, path, body, headers)


def assert_json(reply: Reply, status: int) -> Any:
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.content_type == "application/json", reply.headers
    return reply.json()


def assert_error(reply: Reply, status: int) -> None:
    """An error answer: the status, JSON {"detail": ...}, no traceback, the input not echoed."""
    data = assert_json(reply, status)
    assert isinstance(data, dict) and "detail" in data, data
    assert b"Traceback" not in reply.body
    assert CANARY.encode() not in reply.body


def create(client: ContractClient, **fields: Any) -> dict[str, Any]:
    item = assert_json(send(client, "POST", "/items", {**VALID, **fields}), 201)
    assert isinstance(item["id"], int)
    return item


def healthz(client: ContractClient) -> dict[str, Any]:
    return assert_json(client.request("GET", "/healthz"), 200)


def state(client: ContractClient, item_id: int) -> tuple[int, Any]:
    """What a rejected write must not change: the row count and one row's content."""
    return healthz(client)["items"], client.request("GET", f"/items/{item_id}").json()


def json_of_size(size: int) -> bytes:
    """A JSON object of exactly `size` bytes that is also a valid item (padding is ignored)."""
    head = b'{"name": "big", "price": 1, "pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.fixture(scope="module")
def victim(client: ContractClient) -> dict[str, Any]:
    """An item that every rejected write targets or sits next to; it must never change."""
    return create(client, name="victim", description="must not change", price=42.0)


@pytest.fixture
def unchanged(client: ContractClient, victim: dict[str, Any]) -> Any:
    """Asserts, after the test, that the row count and the victim row are as before it."""
    before = state(client, victim["id"])
    yield victim
    assert state(client, victim["id"]) == before


# Every endpoint that takes a JSON body; "{id}" is the victim's id.
BODY_ENDPOINTS = [
    ("POST", "/echo"),
    ("POST", "/post"),
    ("POST", "/items"),
    ("POST", "/items/"),
    ("PUT", "/items/{id}"),
    ("PUT", "/items/{id}/"),
]
ITEM_ENDPOINTS = [e for e in BODY_ENDPOINTS if e[1].startswith("/items")]


def at(path: str, victim: dict[str, Any]) -> str:
    return path.replace("{id}", str(victim["id"]))


# --- success paths ------------------------------------------------------------------------------


def test_hello_says_hello_world(client: ContractClient) -> None:
    assert assert_json(client.request("GET", "/hello"), 200) == {"message": "Hello, World!"}


ECHO_VALUES = [
    {"a": 1, "b": [1, 2, {"c": None}], "d": "é😀\u2028", "e": True, "f": -0.5},
    {"z": 1, "a": 2, "m": 3},
    {},
    [],
    [1, "two", 3.25, None, True, False, {"k": []}],
    "just a string",
    "",
    42,
    -7,
    12345678901234567890123,
    3.141592653589793,
    1.0,
    1e300,
    True,
    False,
    None,
]


@pytest.mark.parametrize("value", ECHO_VALUES, ids=lambda v: type(v).__name__ + ":" + repr(v)[:20])
def test_echo_returns_any_json_value_unchanged(client: ContractClient, value: Any) -> None:
    reply = send(client, "POST", "/echo", value)
    data = assert_json(reply, 200)
    assert data == value and type(data) is type(value)
    if isinstance(value, dict):
        assert list(data) == list(value), "key order changed"


def test_echo_accepts_json_content_type_with_charset(client: ContractClient) -> None:
    reply = send(client, "POST", "/echo", {"x": 1}, content_type="application/json; charset=utf-8")
    assert assert_json(reply, 200) == {"x": 1}


def test_echo_accepts_a_body_of_exactly_one_mib(client: ContractClient) -> None:
    body = json_of_size(MAX_BODY_BYTES)
    reply = send(client, "POST", "/echo", raw=body)
    assert assert_json(reply, 200) == json.loads(body)


def _assert_utc_timestamp(text: str) -> None:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert stamp.utcoffset() == timedelta(0), text
    assert abs(datetime.now(timezone.utc) - stamp) < timedelta(minutes=5)


def test_get_returns_message_timestamp_and_pid(client: ContractClient) -> None:
    data = assert_json(client.request("GET", "/get"), 200)
    assert data["message"] == "This is a GET request!"
    assert isinstance(data["pid"], int) and not isinstance(data["pid"], bool)
    _assert_utc_timestamp(data["timestamp"])


@pytest.mark.parametrize("value", [{"a": [1, 2]}, [1, 2], "s", 5, None], ids=repr)
def test_post_returns_the_body_as_received(client: ContractClient, value: Any) -> None:
    data = assert_json(send(client, "POST", "/post", value), 200)
    assert data["received"] == value
    assert isinstance(data["pid"], int)
    _assert_utc_timestamp(data["timestamp"])


@pytest.mark.parametrize("path", ["/items", "/items/"])
def test_list_items_is_ordered_by_id_and_holds_the_seeded_rows(
    client: ContractClient, seeded_items: int, path: str
) -> None:
    items = assert_json(client.request("GET", path), 200)
    ids = [item["id"] for item in items]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert items[:seeded_items] == [seed_item(i) for i in range(1, seeded_items + 1)]
    assert len(items) == healthz(client)["items"]


def test_healthz_reports_stack_pid_and_item_count(client: ContractClient) -> None:
    data = healthz(client)
    assert data["status"] == "ok"
    assert data["stack"] == client.stack
    assert isinstance(data["pid"], int) and data["pid"] > 0
    assert isinstance(data["items"], int) and data["items"] >= 0


@pytest.mark.parametrize("path", ["/items", "/items/"])
def test_create_item_returns_201_and_the_item(client: ContractClient, path: str) -> None:
    count = healthz(client)["items"]
    reply = send(client, "POST", path, {"name": "new", "description": "d", "price": 3})
    item = assert_json(reply, 201)
    assert item == {"id": item["id"], "name": "new", "description": "d", "price": 3.0}
    assert healthz(client)["items"] == count + 1
    assert assert_json(client.request("GET", f"/items/{item['id']}"), 200) == item


def test_create_item_defaults_description_and_ignores_unknown_fields(
    client: ContractClient,
) -> None:
    item = assert_json(
        send(client, "POST", "/items", {"name": "n", "price": 1, "colour": "red"}), 201
    )
    assert item == {"id": item["id"], "name": "n", "description": "", "price": 1.0}


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "x"},
        {"name": "n" * 100},
        {"description": ""},
        {"description": "d" * 1000},
        {"price": 0},
        {"price": 0.0},
        {"price": 1e9},
        {"price": 1000000000},
        {"price": 0.01},
        {"name": " ", "description": "  spaced  "},
        {"name": "ünïcødé 😀"},
    ],
    ids=lambda f: ",".join(f"{k}={str(v)[:12]}" for k, v in f.items()),
)
def test_create_item_accepts_values_at_the_limits(
    client: ContractClient, fields: dict[str, Any]
) -> None:
    item = create(client, **fields)
    expected = {**VALID, **fields}
    assert item["name"] == expected["name"]
    assert item["description"] == expected["description"]
    assert item["price"] == expected["price"]
    assert client.request("GET", f"/items/{item['id']}").json() == item


@pytest.mark.parametrize("path", ["/items/{id}", "/items/{id}/"])
def test_get_item_answers_both_slash_forms(client: ContractClient, path: str) -> None:
    item = create(client)
    assert assert_json(client.request("GET", path.replace("{id}", str(item["id"]))), 200) == item


def test_get_seeded_item(client: ContractClient) -> None:
    assert assert_json(client.request("GET", "/items/1"), 200) == seed_item(1)


@pytest.mark.parametrize("path", ["/items/{id}", "/items/{id}/"])
def test_update_item_replaces_it_entirely(client: ContractClient, path: str) -> None:
    item = create(client, name="before", description="old", price=1.5)
    url = path.replace("{id}", str(item["id"]))
    reply = send(client, "PUT", url, {"name": "after", "price": 7, "extra": 1})
    updated = assert_json(reply, 200)
    # Full replace: the omitted description goes back to its default.
    assert updated == {"id": item["id"], "name": "after", "description": "", "price": 7.0}
    assert client.request("GET", f"/items/{item['id']}").json() == updated


@pytest.mark.parametrize("path", ["/items/{id}", "/items/{id}/"])
def test_delete_item_answers_204_and_removes_it(client: ContractClient, path: str) -> None:
    item = create(client)
    count = healthz(client)["items"]
    reply = client.request("DELETE", path.replace("{id}", str(item["id"])))
    assert reply.status == 204
    assert reply.body == b""
    assert_error(client.request("GET", f"/items/{item['id']}"), 404)
    assert healthz(client)["items"] == count - 1
    assert_error(client.request("DELETE", f"/items/{item['id']}"), 404)


def test_concurrent_creates_all_succeed(client: ContractClient) -> None:
    threads, per_thread = 10, 20
    count = healthz(client)["items"]
    barrier = threading.Barrier(threads)

    def worker(n: int) -> list[int]:
        barrier.wait()
        ids = []
        for k in range(per_thread):
            reply = send(client, "POST", "/items", {"name": f"c{n}-{k}", "price": n + k / 100})
            assert reply.status == 201, (reply.status, reply.body[:300])
            ids.append(reply.json()["id"])
        return ids

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(worker, range(threads)))
    ids = [i for chunk in results for i in chunk]
    assert len(set(ids)) == threads * per_thread
    assert healthz(client)["items"] == count + threads * per_thread
    assert client.request("GET", f"/items/{results[3][5]}").json()["name"] == "c3-5"


# --- 404 ----------------------------------------------------------------------------------------

UNKNOWN_PATHS = ["/", "/nope", "/hello/", "/HELLO", "/items/1/x", "/itemsx", "/healthz/x",
                 "/hello%0A", "/get%0A", "/items%0A", "/healthz%09"]
BAD_IDS = [
    "abc",
    "-1",
    "1.0",
    "+1",
    "1e3",
    "0x1",
    "%201",
    "1%20",
    "1%0A",
    "%D9%A1",  # ARABIC-INDIC DIGIT ONE: a digit, but not an ASCII one
    "1" * 20,
    "0" * 19 + "1",  # 20 digits, even if the value is 1
    "9223372036854775808",  # 19 digits, one more than SQLite's largest INTEGER
    "9999999999999999999",
]
ABSENT_IDS = ["0", "999999999", "9223372036854775807"]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_unknown_path_is_404(client: ContractClient, method: str, path: str) -> None:
    assert_error(send(client, method, path, VALID), 404)


@pytest.mark.parametrize("item_id", BAD_IDS + ABSENT_IDS)
@pytest.mark.parametrize("slash", ["", "/"], ids=["noslash", "slash"])
def test_unknown_item_id_is_404(
    client: ContractClient, unchanged: Any, item_id: str, slash: str
) -> None:
    path = f"/items/{item_id}{slash}"
    assert_error(client.request("GET", path), 404)
    assert_error(send(client, "PUT", path, VALID), 404)
    assert_error(client.request("DELETE", path), 404)


@pytest.mark.parametrize("item_id", ["abc", "9223372036854775808", "999999999"])
@pytest.mark.parametrize(
    "body, content_type",
    [
        (json.dumps({"name": 1, "price": "x"}).encode(), "application/json"),  # would be 422
        (b"{not json", "application/json"),  # 400
        (b"[]", "application/json"),  # 400
        (json.dumps(VALID).encode(), "text/plain"),  # 415
        (json_of_size(MAX_BODY_BYTES + 1), "application/json"),  # 413
    ],
    ids=["invalid", "badjson", "notobject", "wrongtype", "toolarge"],
)
def test_unknown_item_id_is_404_before_any_body_error(
    client: ContractClient, unchanged: Any, item_id: str, body: bytes, content_type: str
) -> None:
    assert_error(send(client, "PUT", f"/items/{item_id}", raw=body, content_type=content_type), 404)


def test_unknown_path_is_404_before_a_too_large_body(client: ContractClient) -> None:
    body = json_of_size(2 * MAX_BODY_BYTES)
    assert_error(send(client, "POST", "/nope", raw=body, content_type="text/plain"), 404)


# --- 405 ----------------------------------------------------------------------------------------

WRONG_METHODS = [
    ("POST", "/hello"),
    ("DELETE", "/hello"),
    ("GET", "/echo"),
    ("PUT", "/echo"),
    ("POST", "/get"),
    ("GET", "/post"),
    ("POST", "/healthz"),
    ("PUT", "/items"),
    ("DELETE", "/items"),
    ("PATCH", "/items/"),
    ("POST", "/items/{id}"),
    ("POST", "/items/{id}/"),
    ("PATCH", "/items/{id}"),
    ("PATCH", "/items/{id}/"),
]


@pytest.mark.parametrize("method, path", WRONG_METHODS)
def test_wrong_method_is_405(
    client: ContractClient, unchanged: Any, method: str, path: str
) -> None:
    assert_error(send(client, method, at(path, unchanged), VALID), 405)


@pytest.mark.parametrize(
    "method, path", [("POST", "/hello"), ("PUT", "/items"), ("PATCH", "/items/{id}")]
)
@pytest.mark.parametrize(
    "body, content_type",
    [(json_of_size(MAX_BODY_BYTES + 1), "text/plain"), (b"{bad", "text/plain"), (b"{bad", None)],
    ids=["toolarge", "badjson-wrongtype", "badjson-notype"],
)
def test_wrong_method_is_405_before_any_body_error(
    client: ContractClient,
    unchanged: Any,
    method: str,
    path: str,
    body: bytes,
    content_type: str | None,
) -> None:
    reply = send(client, method, at(path, unchanged), raw=body, content_type=content_type)
    assert_error(reply, 405)


# --- 413 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "body, content_type",
    [
        (json_of_size(MAX_BODY_BYTES + 1), "application/json"),
        (json_of_size(MAX_BODY_BYTES + 1), "text/plain"),  # 413 before 415
        (b"[" * (MAX_BODY_BYTES + 1), "application/json"),  # 413 before 400
        (json_of_size(4 * MAX_BODY_BYTES), "application/json"),  # drained, not reset
    ],
    ids=["1MiB+1", "1MiB+1-text", "1MiB+1-badjson", "4MiB"],
)
def test_body_over_one_mib_is_413(
    client: ContractClient,
    unchanged: Any,
    method: str,
    path: str,
    body: bytes,
    content_type: str,
) -> None:
    assert_error(
        send(client, method, at(path, unchanged), raw=body, content_type=content_type), 413
    )


@pytest.mark.parametrize("method, path", ITEM_ENDPOINTS)
def test_item_body_of_exactly_one_mib_is_accepted(
    client: ContractClient, method: str, path: str
) -> None:
    target = create(client)
    reply = send(client, method, at(path, target), raw=json_of_size(MAX_BODY_BYTES))
    item = assert_json(reply, 201 if method == "POST" else 200)
    assert (item["name"], item["price"]) == ("big", 1.0)


# --- 415 ----------------------------------------------------------------------------------------

ITEM_JSON = json.dumps({**VALID, "name": CANARY}).encode()
MULTIPART = (
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="name"\r\n\r\n' + CANARY.encode() + b"\r\n"
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="price"\r\n\r\n1\r\n'
    b"--xyz--\r\n"
)
# (Content-Type, body): each a body a client could send with that type.
WRONG_CONTENT_TYPES = {
    "none": (None, ITEM_JSON),
    "text-plain": ("text/plain", ITEM_JSON),
    "form": ("application/x-www-form-urlencoded", b"name=" + CANARY.encode() + b"&price=1"),
    "multipart": ("multipart/form-data; boundary=xyz", MULTIPART),
    "xml": ("application/xml", b"<item><name>" + CANARY.encode() + b"</name></item>"),
    "text-json": ("text/json", ITEM_JSON),
    "jsonx": ("application/jsonx", ITEM_JSON),
    "json-suffix": ("application/vnd.api+json", ITEM_JSON),
}


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "content_type, body", WRONG_CONTENT_TYPES.values(), ids=WRONG_CONTENT_TYPES.keys()
)
def test_body_that_is_not_declared_json_is_415(
    client: ContractClient,
    unchanged: Any,
    method: str,
    path: str,
    content_type: str | None,
    body: bytes,
) -> None:
    reply = send(client, method, at(path, unchanged), raw=body, content_type=content_type)
    assert_error(reply, 415)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_json_body_declared_as_multipart_is_415(
    client: ContractClient, unchanged: Any, method: str, path: str
) -> None:
    if client.server == "daphne" and method == "POST":
        pytest.xfail(
            "daphne (Twisted) parses every POST multipart/form-data body itself and answers a "
            "malformed one with an empty 400 and a disconnect before the application runs"
        )
    content_type = "multipart/form-data; boundary=xyz"
    reply = send(client, method, at(path, unchanged), raw=ITEM_JSON, content_type=content_type)
    assert_error(reply, 415)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize("body", [b"", b"{not json"], ids=["empty", "badjson"])
def test_missing_content_type_is_415_before_400(
    client: ContractClient, unchanged: Any, method: str, path: str, body: bytes
) -> None:
    assert_error(send(client, method, at(path, unchanged), raw=body, content_type=None), 415)


# --- 400 ----------------------------------------------------------------------------------------

INVALID_JSON = {
    "empty": b"",
    "whitespace": b"   ",
    "truncated-object": b'{"name": "x", "price": 1',
    "truncated-string": b'{"name": "' + CANARY.encode(),
    "nan": b'{"name": "x", "price": NaN}',
    "infinity": b'{"name": "x", "price": Infinity}',
    "minus-infinity": b'{"name": "x", "price": -Infinity}',
    "bare-nan": b"NaN",
    "single-quotes": b"{'name': 'x', 'price': 1}",
    "trailing-comma": b'{"name": "x", "price": 1,}',
    "two-values": b'{"name": "x", "price": 1} {}',
    "garbage": b"\x00\x01\x02",
    "not-utf8": b'{"name": "\xff\xfe", "price": 1}',
    "utf16": '{"name": "x", "price": 1}'.encode("utf-16"),
    "lone-surrogate": b'{"name": "\\ud800", "price": 1}',
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "huge-integer-digits": b'{"name": "x", "price": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize("body", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_invalid_json_is_400(
    client: ContractClient, unchanged: Any, method: str, path: str, body: bytes
) -> None:
    assert_error(send(client, method, at(path, unchanged), raw=body), 400)


@pytest.mark.parametrize("path", ["/echo", "/post"])
@pytest.mark.parametrize("body", [b"1e400", b"[-1e400]", b'{"a": 1e999}'], ids=str)
def test_echo_of_a_number_that_overflows_is_400(
    client: ContractClient, path: str, body: bytes
) -> None:
    # JSON syntax allows 1e400, but it cannot be sent back unchanged: refused, never a 500.
    assert_error(send(client, "POST", path, raw=body), 400)


NOT_OBJECTS = {
    "list": b'[{"name": "x", "price": 1}]',
    "empty-list": b"[]",
    "string": b'"' + CANARY.encode() + b'"',
    "number": b"1",
    "null": b"null",
    "true": b"true",
}


@pytest.mark.parametrize("method, path", ITEM_ENDPOINTS)
@pytest.mark.parametrize("body", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
def test_item_body_that_is_not_an_object_is_400(
    client: ContractClient, unchanged: Any, method: str, path: str, body: bytes
) -> None:
    assert_error(send(client, method, at(path, unchanged), raw=body), 400)


# --- 422 ----------------------------------------------------------------------------------------

INVALID_ITEMS: dict[str, Any] = {
    "missing-name": {"price": 1},
    "missing-price": {"name": "x"},
    "missing-both": {},
    "only-unknown": {"colour": CANARY},
    "name-number": {"name": 123, "price": 1},
    "name-float": {"name": 1.5, "price": 1},
    "name-bool": {"name": True, "price": 1},
    "name-null": {"name": None, "price": 1},
    "name-list": {"name": [CANARY], "price": 1},
    "name-object": {"name": {"x": CANARY}, "price": 1},
    "name-empty": {"name": "", "price": 1},
    "name-101": {"name": CANARY + "n" * (101 - len(CANARY)), "price": 1},
    "description-number": {"name": "x", "description": 5, "price": 1},
    "description-null": {"name": "x", "description": None, "price": 1},
    "description-1001": {
        "name": "x",
        "description": CANARY + "d" * (1001 - len(CANARY)),
        "price": 1,
    },
    "price-numeric-string": {"name": "x", "price": "1.5"},
    "price-string": {"name": "x", "price": CANARY},
    "price-true": {"name": "x", "price": True},
    "price-false": {"name": "x", "price": False},
    "price-null": {"name": "x", "price": None},
    "price-list": {"name": "x", "price": [1]},
    "price-object": {"name": "x", "price": {"v": 1}},
    "price-negative": {"name": "x", "price": -0.01},
    "price-negative-int": {"name": "x", "price": -1},
    "price-over-max": {"name": "x", "price": 1000000000.5},
    "price-over-max-int": {"name": "x", "price": 1000000001},
    "price-huge-int": {"name": "x", "price": 10**400},
}
INFINITE_ITEMS = {
    "price-1e400": b'{"name": "x", "price": 1e400}',
    "price-minus-1e400": b'{"name": "x", "price": -1e400}',
}


@pytest.mark.parametrize("method, path", ITEM_ENDPOINTS)
@pytest.mark.parametrize("fields", INVALID_ITEMS.values(), ids=INVALID_ITEMS.keys())
def test_invalid_item_is_422(
    client: ContractClient, unchanged: Any, method: str, path: str, fields: dict[str, Any]
) -> None:
    assert_error(send(client, method, at(path, unchanged), fields), 422)


@pytest.mark.parametrize("method, path", ITEM_ENDPOINTS)
@pytest.mark.parametrize("body", INFINITE_ITEMS.values(), ids=INFINITE_ITEMS.keys())
def test_infinite_price_is_422(
    client: ContractClient, unchanged: Any, method: str, path: str, body: bytes
) -> None:
    assert math.isinf(json.loads(body)["price"])
    assert_error(send(client, method, at(path, unchanged), raw=body), 422)


def test_rejected_update_leaves_the_item_as_it_was(client: ContractClient) -> None:
    item = create(client, name="keep", description="me", price=9.75)
    for body in (b'{"name": 1, "price": 1}', b"{", b"[]", json_of_size(MAX_BODY_BYTES + 1)):
        reply = send(client, "PUT", f"/items/{item['id']}", raw=body)
        assert 400 <= reply.status < 500
    assert client.request("GET", f"/items/{item['id']}").json() == item


def test_no_answer_is_a_redirect(client: ContractClient, unchanged: Any) -> None:
    item_id = unchanged["id"]
    for method, path in [
        ("GET", "/items"),
        ("GET", "/items/"),
        ("GET", f"/items/{item_id}"),
        ("GET", f"/items/{item_id}/"),
        ("GET", "/hello/"),
        ("GET", "/items//"),
        ("POST", "/echo/"),
    ]:
        reply = client.request(method, path)
        assert not 300 <= reply.status < 400, (method, path, reply.status, reply.headers)


# --- concurrency: two requests on one item at the same moment -----------------------------------
# Over HTTP the two requests of a pair reach different workers/threads of the server; in-process
# the WSGI stacks run them on two threads and the FastAPI stacks on their thread pool. Without
# single-statement writes, the ORM stacks answered most PUT/DELETE pairs with a 500 (SQLAlchemy's
# StaleDataError) or brought the deleted row back (Django's save(): UPDATE of no row, then INSERT).

RACE_PAIRS = 20


def at_once(pool: ThreadPoolExecutor, *calls: Callable[[], Reply]) -> list[Reply]:
    """Run the calls on the pool's threads, all released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Reply]) -> Reply:
        barrier.wait(timeout=30)
        return call()

    futures = [pool.submit(run, call) for call in calls]
    return [future.result(timeout=120) for future in futures]


def test_concurrent_put_and_delete_of_one_item(client: ContractClient) -> None:
    """DELETE 204; PUT 200 (it came first) or 404 (it came second); the item is gone after."""
    count = healthz(client)["items"]
    failures: list[str] = []
    outcomes = {200: 0, 404: 0}
    with ThreadPoolExecutor(2) as pool:
        for n in range(RACE_PAIRS):
            item = create(client, name=f"race-{n}")
            path = f"/items/{item['id']}"
            fields = {"name": f"raced-{n}", "description": "put", "price": n + 0.5}
            put, delete = at_once(
                pool,
                partial(send, client, "PUT", path, fields),
                partial(client.request, "DELETE", path),
            )
            after = client.request("GET", path)
            if delete.status != 204 or put.status not in (200, 404) or after.status != 404:
                failures.append(
                    f"pair {n}: PUT {put.status} {put.body[:120]!r}, DELETE {delete.status} "
                    f"{delete.body[:120]!r}, GET after {after.status} {after.body[:120]!r}"
                )
                continue
            outcomes[put.status] += 1
            if put.status == 200:
                assert assert_json(put, 200) == {"id": item["id"], **fields}
            else:
                assert_error(put, 404)
    assert not failures, "\n".join(failures)
    assert healthz(client)["items"] == count, "a deleted item came back"
    print(f"PUT/DELETE pairs: PUT first {outcomes[200]}, DELETE first {outcomes[404]}")


def test_concurrent_deletes_of_one_item(client: ContractClient) -> None:
    """Exactly one of two DELETEs of one item deletes it (204); the other finds nothing (404)."""
    count = healthz(client)["items"]
    failures: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(RACE_PAIRS):
            path = f"/items/{create(client, name=f'race-del-{n}')['id']}"
            replies = at_once(pool, *[partial(client.request, "DELETE", path)] * 2)
            statuses = sorted(reply.status for reply in replies)
            if statuses != [204, 404] or client.request("GET", path).status != 404:
                failures.append(f"pair {n}: DELETE statuses {statuses}")
                continue
            for reply in replies:
                if reply.status == 204:
                    assert reply.body == b""
                else:
                    assert_error(reply, 404)
    assert not failures, "\n".join(failures)
    assert healthz(client)["items"] == count


# --- nesting ------------------------------------------------------------------------------------
# Arrays and objects nest at most MAX_JSON_DEPTH levels in any body ("[]" is one level); deeper is
# a 400, checked before parsing, so that no stack runs out of recursion parsing a body or encoding
# its echo (at 900-1000 levels the parser still succeeded and the echo failed with a 500).

DEEPER = [MAX_JSON_DEPTH + 1, 900, 950, 1000, 100_000]


def nested(depth: int, shape: str = "array") -> bytes:
    """A JSON value `depth` levels deep: arrays, objects, or both in turn."""
    openers = {"array": [b"["], "object": [b'{"k": '], "mixed": [b"[", b'{"k": ']}[shape]
    opened = [openers[level % len(openers)] for level in range(depth)]
    closers = b"".join(b"]" if opener == b"[" else b"}" for opener in reversed(opened))
    return b"".join(opened) + b"0" + closers


def nested_item(depth: int) -> bytes:
    """A valid item `depth` levels deep: the object itself, then an ignored field below it."""
    return b'{"name": "deep", "price": 1, "pad": ' + nested(depth - 1) + b"}"


@pytest.mark.parametrize("path", ["/echo", "/post"])
@pytest.mark.parametrize("shape", ["array", "object", "mixed"])
def test_nesting_at_the_limit_is_accepted(client: ContractClient, path: str, shape: str) -> None:
    body = nested(MAX_JSON_DEPTH, shape)
    data = assert_json(send(client, "POST", path, raw=body), 200)
    assert (data if path == "/echo" else data["received"]) == json.loads(body)


@pytest.mark.parametrize("method, path", ITEM_ENDPOINTS)
def test_item_nested_at_the_limit_is_accepted(
    client: ContractClient, method: str, path: str
) -> None:
    target = create(client)
    reply = send(client, method, at(path, target), raw=nested_item(MAX_JSON_DEPTH))
    item = assert_json(reply, 201 if method == "POST" else 200)
    assert (item["name"], item["price"]) == ("deep", 1.0)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize("depth", DEEPER)
def test_nesting_beyond_the_limit_is_400(
    client: ContractClient, unchanged: Any, method: str, path: str, depth: int
) -> None:
    body = nested_item(depth) if path.startswith("/items") else nested(depth)
    assert_error(send(client, method, at(path, unchanged), raw=body), 400)


@pytest.mark.parametrize("shape", ["object", "mixed"])
@pytest.mark.parametrize("depth", DEEPER)
def test_nested_objects_beyond_the_limit_are_400(
    client: ContractClient, shape: str, depth: int
) -> None:
    assert_error(send(client, "POST", "/echo", raw=nested(depth, shape)), 400)


def test_brackets_inside_strings_do_not_nest(client: ContractClient) -> None:
    value = {"a": "[" * 5000, "b": '{\\"[' * 500, "c": ["]" * 300, "}"], "d": "\\"}
    assert assert_json(send(client, "POST", "/echo", value), 200) == value


# --- chunked request bodies ---------------------------------------------------------------------
# A body sent with Transfer-Encoding: chunked is read and limited like any other: 413 over 1 MiB
# (the rest read and discarded), then 415, 400, 422. Broken chunk framing is a 4xx: the stack's
# JSON 400 where the application reads the framing errors (WSGI servers), the server's own 400
# where the server refuses the request itself (ASGI servers). Never a 5xx, never a stored item.


def padded_item(size: int, name: str = "truncated") -> bytes:
    """A valid item followed by spaces, `size` bytes: cut anywhere, it is still a valid item."""
    item = json.dumps({"name": name, "price": 1}).encode()
    return item + b" " * (size - len(item))


@pytest.mark.parametrize("path", ["/items", "/items/"])
def test_chunked_item_is_created(client: ContractClient, path: str) -> None:
    count = healthz(client)["items"]
    body = json.dumps({"name": "chunked", "description": "in pieces", "price": 2.5}).encode()
    item = assert_json(client.request_chunked("POST", path, chunked(body, 7), JSON), 201)
    assert item == {"id": item["id"], "name": "chunked", "description": "in pieces", "price": 2.5}
    assert client.request("GET", f"/items/{item['id']}").json() == item
    assert healthz(client)["items"] == count + 1


def test_chunked_update_replaces_the_item(client: ContractClient) -> None:
    item = create(client)
    body = json.dumps({"name": "rechunked", "price": 3}).encode()
    reply = client.request_chunked("PUT", f"/items/{item['id']}", chunked(body, 5), JSON)
    updated = assert_json(reply, 200)
    assert updated == {"id": item["id"], "name": "rechunked", "description": "", "price": 3.0}
    assert client.request("GET", f"/items/{item['id']}").json() == updated


@pytest.mark.parametrize("path", ["/echo", "/post"])
def test_chunked_echo(client: ContractClient, path: str) -> None:
    value = {"a": [1, 2, {"b": "c" * 300}], "d": None}
    raw = chunked(json.dumps(value).encode(), 64)
    data = assert_json(client.request_chunked("POST", path, raw, JSON), 200)
    assert (data if path == "/echo" else data["received"]) == value


def test_chunked_body_of_exactly_one_mib_is_accepted(client: ContractClient) -> None:
    body = json_of_size(MAX_BODY_BYTES)
    reply = client.request_chunked("POST", "/echo", chunked(body), JSON)
    assert assert_json(reply, 200) == json.loads(body)


@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "size", [MAX_BODY_BYTES + 1, MAX_BODY_BYTES * 3 // 2], ids=["1MiB+1", "1.5MiB"]
)
def test_chunked_body_over_one_mib_is_413(
    client: ContractClient, unchanged: Any, method: str, path: str, size: int
) -> None:
    # Cut at 1 MiB the body would still be a valid item: a stack that truncates stores it.
    reply = client.request_chunked(method, at(path, unchanged), chunked(padded_item(size)), JSON)
    assert_error(reply, 413)


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("POST", "/nope", 404),
        ("PUT", "/items/999999999", 404),
        ("PUT", "/items", 405),
        ("POST", "/hello", 405),
    ],
)
def test_chunked_body_is_404_or_405_first(
    client: ContractClient, unchanged: Any, method: str, path: str, status: int
) -> None:
    raw = chunked(padded_item(MAX_BODY_BYTES * 3 // 2))
    assert_error(client.request_chunked(method, path, raw, JSON), status)


def test_chunked_body_with_wrong_content_type_is_415(
    client: ContractClient, unchanged: Any
) -> None:
    body = json.dumps({**VALID, "name": CANARY}).encode()
    text = {"Content-Type": "text/plain"}
    reply = client.request_chunked("POST", "/items", chunked(body, 16), text)
    assert_error(reply, 415)


@pytest.mark.parametrize("path", ["/items", "/echo"])
@pytest.mark.parametrize(
    "body, status",
    [(b"{not json", 400), (b"", 400), (b'{"name": 1, "price": 1}', 422)],
    ids=["badjson", "empty", "invalid"],
)
def test_chunked_body_errors_follow_the_contract(
    client: ContractClient, unchanged: Any, path: str, body: bytes, status: int
) -> None:
    if path == "/echo" and status == 422:
        status = 200  # any JSON value is echoed
    reply = client.request_chunked("POST", path, chunked(body, 4), JSON)
    if status == 200:
        assert assert_json(reply, 200) == json.loads(body)
    else:
        assert_error(reply, status)


ITEM_BYTES = json.dumps({**VALID, "name": CANARY}).encode()
MALFORMED_CHUNKED = {
    "size-not-hex": b"zz\r\n" + ITEM_BYTES + b"\r\n0\r\n\r\n",
    "size-too-small": b"3\r\n" + ITEM_BYTES + b"\r\n0\r\n\r\n",  # no CRLF after 3 bytes
}


@pytest.mark.parametrize(
    "method, path",
    [("POST", "/items"), ("PUT", "/items/{id}"), ("POST", "/echo"), ("POST", "/nope")],
)
@pytest.mark.parametrize("raw", MALFORMED_CHUNKED.values(), ids=MALFORMED_CHUNKED.keys())
def test_malformed_chunked_framing_is_4xx(
    client: ContractClient, unchanged: Any, method: str, path: str, raw: bytes
) -> None:
    reply = client.request_chunked(method, at(path, unchanged), raw, JSON)
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert b"Traceback" not in reply.body
    assert CANARY.encode() not in reply.body
    if reply.content_type == "application/json":
        assert "detail" in reply.json()


# A whole chunk holding a valid item, then broken framing: a server that ends the body at the
# break, as if it were complete, hands the application a valid item, which it stores.
BROKEN_AFTER_A_CHUNK = b"%x\r\n" % len(ITEM_BYTES) + ITEM_BYTES + b"\r\nzz\r\nabc\r\n0\r\n\r\n"


@pytest.mark.parametrize("method, path", [("POST", "/items"), ("PUT", "/items/{id}"),
                                          ("POST", "/echo")])
def test_framing_broken_after_a_whole_chunk_is_4xx(
    client: ContractClient, victim: dict[str, Any], request: pytest.FixtureRequest,
    method: str, path: str
) -> None:
    if client.server == "granian_wsgi":
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "granian's WSGI interface ends the body at the broken framing and hands the "
            "application what came before it as the whole body (wsgi.input_terminated), so the "
            "item is stored (201) or echoed (200)")))
    before = state(client, victim["id"])
    reply = client.request_chunked(method, at(path, victim), BROKEN_AFTER_A_CHUNK, JSON)
    after = state(client, victim["id"])
    assert 400 <= reply.status < 500, (reply.status, reply.body[:300])
    assert CANARY.encode() not in reply.body
    assert after == before

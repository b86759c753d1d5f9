"""The fast engine's HTTP/1.1 response parser and the shared percentile definition."""

from __future__ import annotations

import numpy as np
import pytest

from client import http11
from client.http11 import ProtocolError, ResponseParser, encode_request
from runfiles.stats import latency_stats_ms, percentile


def feed_in_pieces(raw: bytes, size: int) -> ResponseParser:
    p = ResponseParser()
    done = False
    for i in range(0, len(raw), size):
        assert not done
        done = p.feed(raw[i:i + size])
    assert done
    return p


@pytest.mark.parametrize("size", [1, 3, 7, 1000])
def test_content_length_response_completes_at_its_last_byte_whatever_the_split(size):
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world"
    p = feed_in_pieces(raw, size)
    assert (p.status, p.body_bytes, p.keep_alive, p.extra) == (200, 11, True, b"")


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_chunked_response_with_extensions_and_trailers_completes(size):
    raw = (b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: v\r\n\r\n")
    p = feed_in_pieces(raw, size)
    assert (p.status, p.body_bytes) == (201, 15)


def test_bodiless_and_interim_responses():
    p = ResponseParser()
    assert p.feed(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
    assert p.status == 204
    p = ResponseParser()
    assert p.feed(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")


def test_close_delimited_body_completes_on_eof_and_http10_is_not_kept_alive():
    p = ResponseParser()
    assert not p.feed(b"HTTP/1.0 200 OK\r\n\r\nabc")
    assert not p.feed(b"def")
    assert p.eof() and p.body_bytes == 6 and not p.keep_alive


def test_connection_close_header_disables_keep_alive():
    p = ResponseParser()
    assert p.feed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    assert not p.keep_alive


@pytest.mark.parametrize("raw", [b"NOT HTTP\r\n\r\n", b"HTTP/1.1 abc OK\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
def test_malformed_responses_raise_protocol_error(raw):
    with pytest.raises(ProtocolError):
        ResponseParser().feed(raw)


def test_truncated_response_is_not_complete_on_eof():
    p = ResponseParser()
    assert not p.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert not p.eof() and p.started


NGINX_HEAD = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Tue, 01 Jul 2025 06:00:00 GMT\r\n"
              b"Content-Type: application/json\r\nContent-Length: 5\r\n"
              b"Connection: keep-alive\r\n\r\n")


@pytest.mark.parametrize("size", [1, 7, 1000])
def test_a_repeated_head_parses_the_same_every_time(size):
    # Heads are memoised: the second and later responses take the cached path.
    for _ in range(3):
        p = feed_in_pieces(NGINX_HEAD + b"hello", size)
        assert (p.status, p.body_bytes, p.keep_alive, p.extra) == (200, 5, True, b"")
    p = ResponseParser()
    assert p.feed(NGINX_HEAD + b"helloHTTP")
    assert p.extra == b"HTTP"
    p = ResponseParser()
    assert not p.feed(NGINX_HEAD + b"hel") and p.feed(b"lo")


def test_head_requests_and_other_requests_do_not_share_parse_results():
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"
    for _ in range(2):
        head = ResponseParser()
        head.head_method = True
        assert head.feed(raw) and head.body_bytes == 0
        get = ResponseParser()
        assert not get.feed(raw)
        assert get.feed(b"x" * 99) and get.body_bytes == 99


def test_a_bad_content_length_keeps_the_status_every_time():
    for _ in range(2):
        p = ResponseParser()
        with pytest.raises(ProtocolError):
            p.feed(b"HTTP/1.1 503 Busy\r\nContent-Length: -3\r\n\r\n")
        assert p.status == 503


def test_the_head_cache_stays_bounded():
    for i in range(2 * http11._HEAD_CACHE_MAX):
        p = ResponseParser()
        assert p.feed(b"HTTP/1.1 200 OK\r\nX-N: %d\r\nContent-Length: 1\r\n\r\nx" % i)
    assert len(http11._HEAD_CACHE[False]) <= http11._HEAD_CACHE_MAX


def test_requests_are_encoded_with_length_and_json_type():
    raw = encode_request("POST", "h:1", "/post", b'{"key": "value"}')
    assert raw.startswith(b"POST /post HTTP/1.1\r\nHost: h:1\r\n")
    assert b"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n{" in raw
    assert b"Content-Length: 0" in encode_request("POST", "h", "/p", None)


def test_percentiles_match_numpy_linear_definition():
    rng = np.random.default_rng(3)
    values = sorted(int(x) for x in rng.integers(1, 10**9, 1001))
    for p in (0, 50, 90, 99, 99.9, 100):
        assert percentile(values, p) == pytest.approx(np.percentile(values, p))
    stats = latency_stats_ms(values)
    assert stats["p99"] == pytest.approx(np.percentile(values, 99) / 1e6, abs=1e-4)
    assert latency_stats_ms([])["p50"] is None

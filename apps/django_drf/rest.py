"""DRF plumbing for the contract: body checks in the contract's order, the error classes."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.common import (
    JSON_MEDIA_TYPE,
    MAX_BODY_BYTES,
    BodyFramingError,
    drain,
    is_chunked,
    is_json_content_type,
    read_limited,
)


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "request body is over 1 MiB"
    default_code = "payload_too_large"


class LengthRequired(exceptions.APIException):
    status_code = 411
    default_detail = "this server cannot read a chunked body: send a Content-Length"
    default_code = "length_required"


def chunked_stream(request: HttpRequest) -> Callable[[int], bytes] | None:
    """How to read a chunked body, which Django and DRF do not read (they go by Content-Length).

    WSGI: the stream the server de-chunks (`wsgi.input` with `wsgi.input_terminated`: gunicorn,
    and runserver through `apps.django_drf.devserver`), None if the server offers none. ASGI: the
    handler has already received the whole body into the request's own stream.
    """
    meta = request.META
    if "wsgi.input" not in meta:
        return request.read
    if not meta.get("wsgi.input_terminated"):
        return None
    return meta["wsgi.input"].read


def json_body(request: Request) -> Any:
    """The parsed body, with the checks DRF does not make (or makes later) in the contract's order.

    413 over 1 MiB (DRF reads the stream, bypassing DATA_UPLOAD_MAX_MEMORY_SIZE), 415 unless
    application/json (DRF would parse a missing Content-Type as an empty body), 400 when empty.
    A chunked body is read here, up to the limit, and handed to the view's parser.
    """
    if is_chunked(request.META.get("HTTP_TRANSFER_ENCODING")):
        return chunked_json_body(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise PayloadTooLarge()
    if not is_json_content_type(request.META.get("CONTENT_TYPE")):
        raise exceptions.UnsupportedMediaType("", detail="Content-Type must be application/json")
    if length == 0:
        raise exceptions.ParseError("body is not valid JSON")
    return request.data


def chunked_json_body(request: Request) -> Any:
    """json_body for a chunked body: 411 if the server cannot delimit it, 413, 415, 400."""
    read = chunked_stream(request._request)
    if read is None:
        raise LengthRequired()
    try:
        data = read_limited(read)
    except BodyFramingError as exc:
        raise exceptions.ParseError(str(exc)) from exc
    if data is None:
        raise PayloadTooLarge()  # DrainUnreadBodyMiddleware reads the rest
    if not is_json_content_type(request.META.get("CONTENT_TYPE")):
        raise exceptions.UnsupportedMediaType("", detail="Content-Type must be application/json")
    parser = request.parsers[0]  # each view has one: StrictJSONParser or FiniteJSONParser
    return parser.parse(io.BytesIO(data), JSON_MEDIA_TYPE, {"request": request})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with validation errors as 422 and every answer shaped {"detail": ...}."""
    if isinstance(exc, exceptions.ValidationError):
        return Response({"detail": exc.detail}, status=422)
    if isinstance(exc, exceptions.MethodNotAllowed):
        exc = exceptions.MethodNotAllowed("", detail="Method not allowed")
    elif isinstance(exc, (exceptions.NotFound, Http404)):
        exc = exceptions.NotFound("Not found")
    response = drf_exception_handler(exc, context)
    if response is not None and not (isinstance(response.data, dict) and "detail" in response.data):
        response.data = {"detail": response.data}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: an unknown path, answered in JSON."""
    return JsonResponse({"detail": "Not found"}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON, never a traceback."""
    return JsonResponse({"detail": "Internal Server Error"}, status=500)


class DrainUnreadBodyMiddleware:
    """After an error answer, read and discard what is left of the request body (up to a cap).

    A 404, 405 or 413 is decided before the body is read; closing the connection with the body
    unread would make the client see a reset instead of the answer. Reads are bounded by
    Content-Length (Django's LimitedStream) or by the end of a chunked body the server de-chunks,
    so this never blocks on a body that is not there.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 400:
            read: Callable[[int], bytes] | None = request.read
            if is_chunked(request.META.get("HTTP_TRANSFER_ENCODING")):
                read = chunked_stream(request)
            if read is not None:
                drain(read)  # read errors (client gone, broken framing) end it quietly
        return response

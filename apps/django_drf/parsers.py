"""Parser, renderer and negotiation classes (some named in settings.REST_FRAMEWORK).

Kept apart from anything importing `rest_framework.views`, which reads those settings on import.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request

from apps.common import JSONBodyError, loads_json


class StrictJSONParser(JSONParser):
    """JSON without NaN/Infinity tokens or unpaired surrogates; any failure is a 400."""

    finite = False

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return loads_json(stream.read(), finite=self.finite)
        except JSONBodyError as exc:
            raise exceptions.ParseError(str(exc)) from exc


class FiniteJSONParser(StrictJSONParser):
    """For bodies sent back as they came (echo): numbers that overflow to infinity are a 400."""

    finite = True


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """Always answer JSON, whatever the Accept header says (no 406, no browsable API)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class EchoJSONRenderer(JSONRenderer):
    """JSONRenderer renders None as an empty body; an echoed JSON null must stay "null"."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if data is None:
            return b"null"
        return super().render(data, accepted_media_type, renderer_context)

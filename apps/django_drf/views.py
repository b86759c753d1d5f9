from __future__ import annotations

import os
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions, viewsets
from rest_framework.decorators import api_view, parser_classes, renderer_classes
from rest_framework.request import Request
from rest_framework.response import Response

from apps.common import ITEM_ID_REGEX, is_item_id
from apps.django_drf.models import Item
from apps.django_drf.parsers import EchoJSONRenderer, FiniteJSONParser
from apps.django_drf.rest import json_body
from apps.django_drf.serializers import ItemSerializer

STACK = "django_drf"


@api_view(["GET"])
def hello(request: Request) -> Response:
    return Response({"message": "Hello, World!"})


@api_view(["POST"])
@parser_classes([FiniteJSONParser])
@renderer_classes([EchoJSONRenderer])
def echo(request: Request) -> Response:
    return Response(json_body(request))


@api_view(["GET"])
def get(request: Request) -> Response:
    return Response(
        {
            "message": "This is a GET request!",
            "timestamp": timezone.now().isoformat(),
            "pid": os.getpid(),
        }
    )


@api_view(["POST"])
@parser_classes([FiniteJSONParser])
def post(request: Request) -> Response:
    received = json_body(request)
    return Response(
        {"received": received, "timestamp": timezone.now().isoformat(), "pid": os.getpid()}
    )


@api_view(["GET"])
def healthz(request: Request) -> Response:
    return Response(
        {"status": "ok", "stack": STACK, "pid": os.getpid(), "items": Item.objects.count()}
    )


def item_body(request: Request) -> dict[str, Any]:
    data = json_body(request)
    if not isinstance(data, dict):
        raise exceptions.ParseError("body must be a JSON object")
    return data


class ItemViewSet(viewsets.ModelViewSet):
    """CRUD on items; PATCH is not part of the contract (405).

    PUT and DELETE are single `UPDATE ... WHERE id` / `DELETE ... WHERE id` statements through the
    queryset API, whose row counts decide 404. ModelViewSet's own `instance.save()` would race a
    concurrent DELETE: an UPDATE that matches no row is followed by an INSERT, and the deleted
    item comes back.
    """

    queryset = Item.objects.order_by("id")
    serializer_class = ItemSerializer
    lookup_value_regex = ITEM_ID_REGEX
    http_method_names = ("get", "post", "put", "delete", "head", "options")

    def get_object(self) -> Item:
        if not is_item_id(int(self.kwargs[self.lookup_field])):
            raise exceptions.NotFound()  # beyond SQLite's INTEGER: cannot exist
        return super().get_object()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=item_body(request))
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(serializer.data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # an unknown id is a 404 before any body error
        serializer = self.get_serializer(instance, data=item_body(request))
        serializer.is_valid(raise_exception=True)
        # One transaction (BEGIN IMMEDIATE: it holds SQLite's write lock; on PostgreSQL the
        # UPDATE holds the row's lock), so the row read back is the one just written and cannot
        # vanish in between.
        with transaction.atomic():
            if not Item.objects.filter(pk=instance.pk).update(**serializer.validated_data):
                raise exceptions.NotFound()  # deleted since get_object()
            instance.refresh_from_db()
        return Response(self.get_serializer(instance).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item_id = int(self.kwargs[self.lookup_field])
        if not is_item_id(item_id):
            raise exceptions.NotFound()
        deleted, _ = Item.objects.filter(pk=item_id).delete()
        if not deleted:
            raise exceptions.NotFound()
        return Response(status=204)

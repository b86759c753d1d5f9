from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

from apps.common import (
    DESCRIPTION_DEFAULT,
    DESCRIPTION_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAME_MIN_LENGTH,
    PRICE_MAX,
    PRICE_MIN,
)
from apps.django_drf.models import Item


class StrictCharField(serializers.CharField):
    """A CharField that refuses non-strings (DRF's would turn 123 into "123")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    """A FloatField that refuses strings and booleans (DRF's takes "1.5" and true)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        if isinstance(data, int) and not PRICE_MIN <= data <= PRICE_MAX:
            # Checked before float(), which overflows for huge integers.
            if data > PRICE_MAX:
                self.fail("max_value", max_value=self.max_value)
            self.fail("min_value", min_value=self.min_value)
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ItemSerializer(serializers.ModelSerializer):
    name = StrictCharField(
        min_length=NAME_MIN_LENGTH, max_length=NAME_MAX_LENGTH, trim_whitespace=False
    )
    description = StrictCharField(
        max_length=DESCRIPTION_MAX_LENGTH,
        allow_blank=True,
        trim_whitespace=False,
        default=DESCRIPTION_DEFAULT,
    )
    price = StrictFloatField(min_value=PRICE_MIN, max_value=PRICE_MAX)

    class Meta:
        model = Item
        fields = ("id", "name", "description", "price")
        read_only_fields = ("id",)

from django.db import models

from apps.common import DESCRIPTION_DEFAULT, DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH


class Item(models.Model):
    """A row of the shared `items` table; `python -m apps.seed` creates it (no migrations)."""

    # 64-bit (ids in URLs go up to 2**63 - 1; BIGINT on PostgreSQL, INTEGER on SQLite).
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, blank=True, default=DESCRIPTION_DEFAULT
    )
    price = models.FloatField()

    class Meta:
        db_table = "items"
        managed = False
        ordering = ("id",)

    def __str__(self) -> str:
        return self.name

"""The report's order of variants and scenarios (the papers' order), and the row key. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from reports.constants import SCENARIO_ORDER, SERVER_ORDER, STACK_ORDER

KEYS = ["variant", "scenario"]


def _rank(value: str, order: Sequence[str]) -> int:
    return order.index(value) if value in order else len(order)


def order_variants(cells: pd.DataFrame) -> list[str]:
    """Variants in the papers' order (stack, then server), unknown ones after, by name."""
    if cells.empty:
        return []
    first = cells.drop_duplicates("variant")
    keyed = sorted(first.itertuples(), key=lambda r: (_rank(str(r.stack), STACK_ORDER),
                                                      _rank(str(r.server), SERVER_ORDER),
                                                      str(r.variant)))
    return [str(r.variant) for r in keyed]


def order_scenarios(names: Iterable[str]) -> list[str]:
    return sorted(set(names), key=lambda s: (_rank(s, SCENARIO_ORDER), s))


def in_report_order(df: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """``df`` (with ``variant`` and ``scenario``) sorted by scenario, then variant."""
    if df.empty:
        return df
    v_rank = {v: i for i, v in enumerate(order_variants(cells))}
    s_rank = {s: i for i, s in enumerate(order_scenarios(df["scenario"]))}
    key = df["scenario"].map(s_rank) * 10_000 + df["variant"].map(v_rank).fillna(9_999)
    return df.assign(_k=key).sort_values(["_k"], kind="stable").drop(columns="_k") \
        .reset_index(drop=True)

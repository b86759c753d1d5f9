"""Pure statistics over latency samples (integer nanoseconds in, milliseconds out)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from runfiles.constants import PERCENTILES
from runfiles.validity import percentile_min_samples


def percentile(sorted_values: Sequence[int], p: float) -> float:
    """numpy's default ("linear", type 7) percentile of an ascending sequence; NaN when empty."""
    n = len(sorted_values)
    if n == 0:
        return math.nan
    h = (n - 1) * p / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


def latency_stats_ms(values_ns: Sequence[int]) -> dict[str, float | None]:
    """``mean``, every percentile of ``PERCENTILES`` and ``max``, in ms (None when no sample).

    p99.9 (and any percentile of ``PERCENTILES`` above p99) is None unless enough samples lie
    beyond it (``validity.percentile_min_samples``: 10,000 for p99.9); lower percentiles are
    always given, with ``latency_samples`` beside them to say what they rest on."""
    keys = ["mean", *PERCENTILES, "max"]
    if not values_ns:
        return dict.fromkeys(keys)
    s = sorted(values_ns)
    out: dict[str, float | None] = {"mean": round(math.fsum(s) / len(s) / 1e6, 4)}
    for key, p in PERCENTILES.items():
        enough = p <= 99.0 or len(s) >= percentile_min_samples(p)
        out[key] = round(percentile(s, p) / 1e6, 4) if enough else None
    out["max"] = round(s[-1] / 1e6, 4)
    return out

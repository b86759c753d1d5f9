"""The terminal's text tables: plain aligned columns, and the summary that ``python -m reports
build`` prints (pure strings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from reports.rendering.table_text import Formatter, cells_text, fmt_int, fmt_num


def aligned(df: pd.DataFrame, columns: Mapping[str, str],
            formats: Mapping[str, Formatter] | None = None, right: Sequence[str] = ()) -> str:
    """A plain aligned text table for the terminal."""
    rows = [list(columns.values()), *cells_text(df, columns, formats)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    keys = list(columns)
    lines = []
    for n, r in enumerate(rows):
        parts = [v.rjust(w) if keys[i] in right else v.ljust(w)
                 for i, (v, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


TERMINAL_COLUMNS = {"variant": "variant", "scenario": "scenario", "reps": "reps",
                    "requests": "requests", "errors": "errors", "rps_median": "rps",
                    "p50_ms": "p50 ms", "p99_ms": "p99 ms", "status": "status"}
TERMINAL_FORMATS: dict[str, Formatter] = {"reps": fmt_int, "requests": fmt_int, "errors": fmt_int,
                                          "rps_median": fmt_num(1), "p50_ms": fmt_num(2),
                                          "p99_ms": fmt_num(2)}
NUMERIC = ("reps", "requests", "errors", "rps_median", "p50_ms", "p99_ms")


def terminal_summary(summary: pd.DataFrame) -> str:
    return aligned(summary, TERMINAL_COLUMNS, TERMINAL_FORMATS, right=NUMERIC)

"""Paper-2 compatible export: one CSV per paper-2 cell, ``Iteration,Execution Time (seconds)``.

Paper 2 (Malatjie & Faniso-Myaka) kept one such file per framework and method. Its tooling wrote a
failed request as 0 s; here a failed request keeps its row with an empty time, so spreadsheet and
pandas averages skip it instead of counting it as the fastest request. The rows come from the
analysis (``Analysis.paper2_cells``); this module only names, formats and writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ("Iteration", "Execution Time (seconds)")


def paper2_files(cells: dict[tuple[str, str, int], pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Relative file name -> the cell's rows in paper 2's format (seconds)."""
    files = {}
    for (variant, scenario, rep), rows in cells.items():
        seconds = rows["latency_ms"].to_numpy() / 1000.0
        files[f"{variant}/{scenario}-rep{rep}.csv"] = pd.DataFrame(
            {COLUMNS[0]: rows["seq"].to_numpy(), COLUMNS[1]: seconds})
    return files


def write_paper2(cells: dict[tuple[str, str, int], pd.DataFrame], out: Path) -> list[Path]:
    """Write each paper-2 cell under ``out``; return the files written."""
    written = []
    for name, frame in paper2_files(cells).items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, float_format="%.6f")
        written.append(path)
    return written

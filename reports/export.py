"""Paper-2 compatible export: one CSV per paper-2 cell, ``Iteration,Execution Time (seconds)``.

Paper 2 (Malatjie & Faniso-Myaka) kept one such file per framework and method. Its tooling wrote a
failed request as 0 s; here a failed request keeps its row with an empty time, so spreadsheet and
pandas averages skip it instead of counting it as the fastest request.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reports.constants import PAPER2_LOADS

PAPER2_SCENARIOS = frozenset(s for _, get_s, post_s, _ in PAPER2_LOADS.values()
                             for s in (get_s, post_s))
COLUMNS = ("Iteration", "Execution Time (seconds)")


def paper2_frames(requests: pd.DataFrame, cells: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Relative file name → the cell's rows in paper 2's format (pure)."""
    frames: dict[str, pd.DataFrame] = {}
    wanted = cells[cells["scenario"].isin(PAPER2_SCENARIOS)]
    for cell in wanted.itertuples():
        rows = requests[requests["cell_id"].to_numpy() == cell.cell_id].sort_values("seq")
        seconds = rows["latency_ms"].where(rows["ok"]) / 1000.0
        frames[f"{cell.variant}/{cell.scenario}-rep{cell.rep}.csv"] = pd.DataFrame(
            {COLUMNS[0]: rows["seq"].to_numpy(), COLUMNS[1]: seconds.to_numpy()})
    return frames


def write_paper2(frames: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write each frame under ``out``; return the files written."""
    written = []
    for name, frame in frames.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False, float_format="%.6f")
        written.append(path)
    return written

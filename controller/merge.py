"""``python -m controller merge``: K cell folders written by ``python -m client run --share I/K``
→ one cell folder.

* ``requests.csv``: every row of every share (their ``seq`` are the step's global sequence
  numbers, disjoint by construction), ordered by scheduled time (open loop) / seq (closed loop);
  ``worker`` ids are offset share by share (share 1 keeps its own, share 2 starts after share 1's
  largest, ...) so they stay unique.
* ``summary.json``: the figures are recomputed from the merged rows with the same code as ``run``
  (``run_result.result_from_rows`` → ``figures.load_summary`` → ``figures.cell_figures``);
  ``rate, concurrency, iterations, duration_s`` are the whole step's; ``warnings`` are every
  share's own, prefixed ``share I/K: `` (none from a share that had nothing to send), plus those
  the merged figures trigger; ``status`` from ``figures.status_for`` over the merged rows and that
  list; ``client_cpu_pct`` the largest of the shares' (each in ``client_cpu_pct_shares``);
  ``clients`` = K; ``shares`` one line per share.
* ``monitor-client.csv``: the shares' files concatenated (one header), when present.

Bad input (missing folder or file, other scenario, labels that disagree, shares that do not make a
complete I/K set) raises MergeError (exit 2).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from runfiles.figures import cell_figures, load_summary, status_for
from runfiles.requests_csv import Row, read_rows, write_rows
from runfiles.run_result import result_from_rows
from runfiles.share_id import ShareId
from runfiles.summary_json import build_summary, write_json_atomic
from runfiles.validity import MAX_ERROR_RATE

# Keys that must be equal in every share's summary.json.
_AGREE = ("scenario", "labels", "variant", "stack", "server", "rep", "method", "path", "model",
          "scale", "engine", "writes", "share_step")


class MergeError(ValueError):
    """The folders cannot be merged into one cell."""


def _load_share(folder: Path) -> tuple[ShareId, dict[str, Any]]:
    if not folder.is_dir():
        raise MergeError(f"{folder}: no such folder")
    for name in ("summary.json", "requests.csv"):
        if not (folder / name).is_file():
            raise MergeError(f"{folder}: no {name}")
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise MergeError(f"{folder}/summary.json: not valid JSON ({exc})") from None
    if not isinstance(summary, dict) or not summary.get("share"):
        raise MergeError(f"{folder}: not a shared cell (summary.json has no 'share'; "
                         "write it with `run --share I/K`)")
    try:
        share = ShareId.parse(str(summary["share"]))
    except ValueError as exc:
        raise MergeError(f"{folder}: {exc}") from None
    return share, summary


def _check(folders: list[Path], shares: list[ShareId], summaries: list[dict[str, Any]],
           out: Path) -> None:
    for key in _AGREE:
        values = [s.get(key) for s in summaries]
        if any(v != values[0] for v in values):
            listed = ", ".join(f"{f}: {v!r}" for f, v in zip(folders, values, strict=True))
            what = "scenarios" if key == "scenario" else f"'{key}'"
            raise MergeError(f"the shares disagree on {what} ({listed})")
    k = shares[0].count
    if any(s.count != k for s in shares):
        raise MergeError(f"shares of different splits: {', '.join(map(str, shares))}")
    indexes = sorted(s.index for s in shares)
    if indexes != list(range(1, k + 1)):
        raise MergeError(f"need exactly the shares 1/{k} .. {k}/{k} once each, got "
                         f"{', '.join(map(str, shares))}")
    resolved = out.resolve()
    if any(f.resolve() == resolved for f in folders):
        raise MergeError(f"--out {out} is one of the share folders")


def _merge_rows(folders: list[Path]) -> list[Row]:
    rows: list[Row] = []
    offset = 0
    for folder in folders:
        part = list(read_rows(folder / "requests.csv"))
        rows.extend(replace(r, worker=r.worker + offset) for r in part)
        if part:
            offset += max(r.worker for r in part) + 1
    rows.sort(key=lambda r: (r.scheduled_ns if r.scheduled_ns is not None else -1, r.seq))
    return rows


def _concat_monitors(folders: list[Path], target: Path) -> None:
    files = [f / target.name for f in folders if (f / target.name).is_file()]
    if not files:
        return
    tmp = target.with_name(target.name + ".tmp")
    header: bytes | None = None
    with tmp.open("wb") as out:
        for path in files:
            lines = path.read_bytes().splitlines(keepends=True)
            if not lines:
                continue
            if header is None:
                header = lines[0]
                out.write(header)
            body = lines[1:] if lines[0] == header or lines[0].startswith(b"ts_ns") else lines
            for line in body:
                out.write(line if line.endswith(b"\n") else line + b"\n")
    os.replace(tmp, target)


def _max_or_none(values: list[Any]) -> float | None:
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return max(nums) if nums else None


def merge_cells(folders: list[Path], out: Path) -> dict[str, Any]:
    """Merge the share folders into ``out``; return the merged summary (also in summary.json)."""
    loaded = [_load_share(f) for f in folders]
    shares = [sh for sh, _ in loaded]
    summaries = [s for _, s in loaded]
    _check(folders, shares, summaries, out)
    order = sorted(range(len(folders)), key=lambda i: shares[i].index)
    folders = [folders[i] for i in order]
    shares = [shares[i] for i in order]
    summaries = [summaries[i] for i in order]

    rows = _merge_rows(folders)
    first = summaries[0]
    step = first["share_step"]
    model = first["model"]
    result = result_from_rows(rows, model)
    max_error_rate = first.get("max_error_rate", MAX_ERROR_RATE)
    load = load_summary(result, step.get("rate") if model == "open" else None, None, {},
                        first.get("timeout_s"), max_error_rate)
    # an idle share (nothing to send: fewer connections or iterations than shares) is by design
    warnings = [f"share {sh}: {w}" for sh, s in zip(shares, summaries, strict=True)
                if not s.get("share_idle") for w in s.get("warnings") or []]
    warnings += load["warnings"]
    cpu = [s.get("client_cpu_pct") for s in summaries]

    figures = cell_figures(load)
    figures.update({"warnings": warnings, "status": status_for(result, warnings, max_error_rate),
                    "client_cpu_pct": _max_or_none(cpu)})
    extras = {k: v for k, v in first.items() if k not in ("share", "share_step", "share_idle")}
    extras.update({
        "client_cpu_pct_shares": cpu,
        "clients": len(shares),
        "connections_opened": sum(s.get("connections_opened") or 0 for s in summaries),
        "warmup": step.get("warmup", first.get("warmup")),
        "client_host": ", ".join(str(s.get("client_host")) for s in summaries),
        "client_hosts": [s.get("client_host") for s in summaries],
        # the floor: the shares ran side by side, each its own blocks
        "measured_s": _max_or_none([s.get("measured_s") for s in summaries]),
        "measure_blocks": (sum(s["measure_blocks"] for s in summaries)
                           if all(isinstance(s.get("measure_blocks"), int) for s in summaries)
                           else first.get("measure_blocks")),
        "shares": [{"share": str(sh), "folder": str(f), "client_host": s.get("client_host"),
                    "rate": s.get("rate"), "concurrency": s.get("concurrency"),
                    "iterations": s.get("iterations"), "requests": s.get("requests"),
                    "errors": s.get("errors"), "client_cpu_pct": s.get("client_cpu_pct"),
                    "status": s.get("status"), "idle": bool(s.get("share_idle")),
                    "measure_blocks": s.get("measure_blocks"),
                    "measured_s": s.get("measured_s"),
                    "seed": s.get("seed"),
                    "start_at_ns": s.get("start_at_ns"),
                    "measure_start_at_ns": s.get("measure_start_at_ns")}
                   for sh, f, s in zip(shares, folders, summaries, strict=True)],
    })
    stepped = {**first, **{k: step[k] for k in ("rate", "concurrency", "iterations",
                                                 "duration_s")}}
    merged = build_summary(first, stepped, figures, extras)

    out.mkdir(parents=True, exist_ok=True)
    write_rows(out / "requests.csv", rows)
    _concat_monitors(folders, out / "monitor-client.csv")
    write_json_atomic(out / "summary.json", merged)
    return merged

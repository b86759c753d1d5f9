"""requests.csv: the row sink (writer) and the reader, so both sides share one definition.

Durability: rows go to the file with plain ``os.write`` on an ``O_APPEND`` descriptor, no
user-space buffer. Once ``os.write`` returns, the bytes are in the kernel's page cache: a client
killed even with SIGKILL leaves them on disk (only a host crash could lose them). Each row is one
``write`` in the requests engine (a few hundred requests per second at most, so the syscall is
noise). The fast engine collects the rows completed during one event-loop iteration and writes
them with a single ``os.write`` scheduled with ``call_soon``: at most one loop iteration
(microseconds) of finished rows is ever held in memory, and at high rates one syscall carries many
rows. Every write is whole lines, so a reader never sees a torn row unless the process dies inside
``write`` itself.
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runfiles.columns import REQUEST_COLUMNS

HEADER = (",".join(REQUEST_COLUMNS) + "\n").encode()


class RowSink:
    """Append-only, unbuffered CSV rows. ``path=None`` discards rows (warm-up steps). With
    ``append`` the rows go after those already in the file (the header only when it is empty):
    the steps of a capacity cell share one requests.csv."""

    def __init__(self, path: str | os.PathLike[str] | None, append: bool = False) -> None:
        self._fd = -1
        self._pending: list[bytes] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        if path is not None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if append else os.O_TRUNC)
            self._fd = os.open(os.fspath(path), flags, 0o644)
            if os.fstat(self._fd).st_size == 0:
                self._write(HEADER)

    @property
    def enabled(self) -> bool:
        return self._fd >= 0

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def write_now(self, row: bytes) -> None:
        """Write one row at once (thread-safe: O_APPEND writes of whole lines)."""
        if self._fd >= 0:
            self._write(row)

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Use per-loop-iteration batching (fast engine)."""
        self._loop = loop

    def add(self, row: bytes) -> None:
        """Queue a row; it is written at the end of the current event-loop iteration."""
        if self._fd < 0:
            return
        self._pending.append(row)
        if not self._scheduled:
            self._scheduled = True
            assert self._loop is not None
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._scheduled = False
        if self._pending and self._fd >= 0:
            rows, self._pending = self._pending, []
            self._write(b"".join(rows))

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass(frozen=True)
class Row:
    seq: int
    worker: int
    scheduled_ns: int | None
    sent_ns: int | None
    done_ns: int
    status: int
    bytes: int
    error: str


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def read_rows(path: str | os.PathLike[str]) -> Iterator[Row]:
    """Yield the rows of a requests.csv; a torn last line (killed mid-write) is skipped."""
    with Path(path).open(newline="", encoding="ascii") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return
        if tuple(header) != REQUEST_COLUMNS:
            raise ValueError(f"{path}: unexpected header {header}")
        for fields in reader:
            if len(fields) != len(REQUEST_COLUMNS):
                continue
            try:
                yield Row(int(fields[0]), int(fields[1]), _int_or_none(fields[2]),
                          _int_or_none(fields[3]), int(fields[4]), int(fields[5]), int(fields[6]),
                          fields[7])
            except ValueError:
                continue


def format_row(row: Row) -> bytes:
    """One requests.csv line, exactly as the recorder writes it (empty for None times)."""
    def opt(v: int | None) -> bytes:
        return b"" if v is None else b"%d" % v

    return b"%d,%d,%b,%b,%d,%d,%d,%b\n" % (row.seq, row.worker, opt(row.scheduled_ns),
                                           opt(row.sent_ns), row.done_ns, row.status, row.bytes,
                                           row.error.encode())


def write_rows(path: str | os.PathLike[str], rows: Iterator[Row] | list[Row]) -> None:
    """Write a whole requests.csv (header + rows) atomically (temporary file, then rename)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(HEADER)
        fh.writelines(format_row(r) for r in rows)
    os.replace(tmp, target)

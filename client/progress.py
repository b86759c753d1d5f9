"""A rich progress display for interactive runs; nothing at all when stdout is not a TTY."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import TracebackType

from client.constants import PROGRESS_MIN_S


class Progress:
    """Context manager polling ``counts() -> (done, errors)`` twice a second from a thread."""

    def __init__(self, label: str, expected_s: float, total: int | None,
                 counts: Callable[[], tuple[int, int]]) -> None:
        self.label = label
        self.expected_s = expected_s
        self.total = total
        self.counts = counts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.enabled = sys.stdout.isatty() and expected_s > PROGRESS_MIN_S and _has_rich()

    def __enter__(self) -> Progress:
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True, name="fwbench-progress")
            self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def _run(self) -> None:
        from rich.progress import (
            BarColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        with RichProgress(TextColumn("{task.description}"), BarColumn(),
                          TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                          transient=True, auto_refresh=False) as bar:
            by_time = self.total is None
            task = bar.add_task(self.label, total=self.expected_s if by_time else self.total,
                                info="")
            import time

            t0 = time.monotonic()
            while not self._stop.wait(0.5):
                done, errors = self.counts()
                elapsed = time.monotonic() - t0
                rate = done / elapsed if elapsed > 0 else 0.0
                bar.update(task, completed=elapsed if by_time else done,
                           info=f"{done} req  {errors} err  {rate:,.0f} req/s")
                bar.refresh()


def _has_rich() -> bool:
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True

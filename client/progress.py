"""Progress of a load run: a rich progress bar on a terminal; off a terminal (under systemd,
Ansible, CI) a plain line on stderr every ``PLAIN_EVERY_S`` seconds once a run lasts that long, so
`journalctl -u 'fwbench-load-*' -f` on a client host shows a long cell advancing. stdout is left
alone: its last line is the run's JSON summary."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import TracebackType

from client.constants import PROGRESS_MIN_S

PLAIN_EVERY_S = 10.0  # off a terminal: one progress line this often (none for shorter runs)


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
        self.plain = not sys.stdout.isatty()

    def __enter__(self) -> Progress:
        target = self._run if self.enabled else self._run_plain if self.plain else None
        if target is not None:
            self._thread = threading.Thread(target=target, daemon=True, name="fwbench-progress")
            self._thread.start()
        return self

    def line(self, elapsed: float) -> str:
        done, errors = self.counts()
        rate = done / elapsed if elapsed > 0 else 0.0
        if self.total:
            part = f"{done:,}/{self.total:,} requests ({100 * done / self.total:.0f}%)"
        else:
            part = f"{done:,} requests, {elapsed:.0f} of {self.expected_s:.0f} s"
        return f"progress {self.label}: {part}, {errors:,} errors, {rate:,.0f} req/s"

    def _run_plain(self) -> None:
        import time

        t0 = time.monotonic()
        while not self._stop.wait(PLAIN_EVERY_S):
            print(self.line(time.monotonic() - t0), file=sys.stderr, flush=True)

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

"""Off a terminal (systemd, Ansible, CI) a long load run prints plain progress lines on stderr."""

from __future__ import annotations

import time

from client import progress


def test_plain_progress_lines_off_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.1)
    done = {"n": 0}

    def counts() -> tuple[int, int]:
        done["n"] += 100
        return done["n"], 1

    with progress.Progress("p1_get", 5.0, 10_000, counts):
        time.sleep(0.35)
    err = capsys.readouterr()
    lines = [line for line in err.err.splitlines() if line.startswith("progress p1_get: ")]
    assert len(lines) >= 2, err.err
    assert "/10,000 requests (" in lines[0] and "1 errors" in lines[0]
    assert err.out == ""  # stdout stays for the JSON summary


def test_a_short_run_prints_nothing(capsys):
    with progress.Progress("smoke", 1.0, 10, lambda: (10, 0)):
        time.sleep(0.05)
    assert capsys.readouterr().err == ""

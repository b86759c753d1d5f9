"""roles/lab/files/fwbench-delay, the user-space stand-in for netem's delay: its pure parts.
(The lab end-to-end test runs it for real: tests/lab, `lab_netem`.)"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import random
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "roles/lab/files/fwbench-delay"
_loader = importlib.machinery.SourceFileLoader("fwbench_delay", str(SCRIPT))
_spec = importlib.util.spec_from_loader("fwbench_delay", _loader)
assert _spec is not None
delay = importlib.util.module_from_spec(_spec)
_loader.exec_module(delay)


@pytest.mark.parametrize(("words", "expected"), [
    ("delay 1ms", (1_000_000, 0)),
    ("delay 1ms 0.2ms", (1_000_000, 200_000)),
    ("delay 250us 50us", (250_000, 50_000)),
    ("delay 0.5s", (500_000_000, 0)),
])
def test_netem_delay_is_parsed_to_nanoseconds(words, expected):
    assert delay.parse_netem(words.split()) == expected


@pytest.mark.parametrize("words", [
    "", "delay", "loss 1%", "delay 1ms 0.2ms 25%", "delay 1 ms", "delay fast",
    "delay 1ms 2ms",  # jitter above the delay
])
def test_anything_but_delay_and_jitter_is_refused(words):
    with pytest.raises(ValueError):
        delay.parse_netem(words.split())


def test_check_command_exits_2_with_the_reason():
    bad = subprocess.run([sys.executable, str(SCRIPT), "check", "loss", "1%"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "only 'delay D [J]'" in bad.stderr
    good = subprocess.run([sys.executable, str(SCRIPT), "check", "delay 1ms 0.2ms"],
                          capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr


def test_packets_are_held_within_the_jitter_and_never_reordered():
    rng = random.Random(7)
    d, j = 1_000_000, 200_000
    released, previous = [], 0
    arrivals = [i * 50_000 for i in range(2000)]  # 20,000 packets/s: the jitter would reorder
    for arrival in arrivals:
        previous = delay.release_at(arrival, previous, d, j, rng)
        released.append(previous)
    assert released == sorted(released)
    held = [r - a for r, a in zip(released, arrivals, strict=True)]
    assert min(held) >= d - j and max(held) <= d + j


def test_sparse_packets_get_the_whole_jitter_range():
    rng = random.Random(3)
    held = [delay.release_at(t, 0, 1_000_000, 200_000, rng) - t
            for t in range(0, 10**10, 10**7)]
    assert min(held) < 850_000 and max(held) > 1_150_000
    assert abs(sum(held) / len(held) - 1_000_000) < 20_000

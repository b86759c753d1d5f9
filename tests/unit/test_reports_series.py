"""Series behind the figures: per-iteration lines over repetitions and resource timelines
summed over processes (and hosts) that are sampled at different instants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.analysis.figure_series import per_iteration, process_tree_sum


def _cells(*rows: tuple[int, str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"cell_id": c, "variant": v, "stack": "x", "server": "y",
                          "scenario": "s", "rep": r}
                         for c, v, r in rows])


def _requests(cell_id: int, latencies: list[float], failed: tuple[int, ...] = ()) -> pd.DataFrame:
    seq = np.arange(1, len(latencies) + 1)
    ok = ~np.isin(seq, failed)
    return pd.DataFrame({"cell_id": cell_id, "seq": seq, "t_s": seq * 0.01,
                         "latency_ms": np.where(ok, latencies, np.nan), "ok": ok})


def test_each_iteration_is_the_median_over_the_repetitions():
    cells = _cells((0, "A", 1), (1, "A", 2), (2, "A", 3), (3, "B", 1))
    requests = pd.concat([_requests(0, [1, 10, 5]), _requests(1, [2, 20, 6]),
                          _requests(2, [3, 30, 700], failed=(3,)), _requests(3, [4, 4, 4])],
                         ignore_index=True)
    series = per_iteration(requests, cells, "s")
    a = series[series["variant"] == "A"]
    assert a["iteration"].tolist() == [1, 2, 3]
    # Iteration 3 failed in rep 3: it is the median of the two that answered, never a 0 s.
    assert a["latency_ms"].tolist() == [2, 20, 5.5]
    assert set(a["reps"]) == {3}
    assert series[series["variant"] == "B"]["latency_ms"].tolist() == [4, 4, 4]
    assert set(series[series["variant"] == "B"]["reps"]) == {1}


def test_a_variant_without_successes_has_no_line():
    cells = _cells((0, "A", 1))
    requests = _requests(0, [1, 2], failed=(1, 2))
    assert per_iteration(requests, cells, "s").empty


def test_two_hosts_sampled_out_of_step_add_up_in_every_bin():
    # Host 1's load generator (pid 10) at 40% sampled at .0/.2/.4..., host 2's (pid 20) at 60%
    # sampled at .1/.3/.5...: no instant has both, yet together they use 100% all along.
    t1 = np.arange(0, 3, 0.2)
    t2 = t1 + 0.1
    samples = pd.DataFrame({"t_s": np.r_[t1, t2], "pid": [10] * len(t1) + [20] * len(t2),
                            "cpu_percent": [40.0] * len(t1) + [60.0] * len(t2)})
    naive = samples.groupby("t_s")["cpu_percent"].sum()
    assert set(naive.round(6)) == {40.0, 60.0}  # what a per-instant sum shows: a sawtooth
    summed = process_tree_sum(samples, "cpu_percent", 1.0)
    assert summed.index.tolist() == [0.5, 1.5, 2.5]
    assert summed.tolist() == [100.0, 100.0, 100.0]


def test_a_process_tree_is_averaged_per_process_then_summed():
    samples = pd.DataFrame({"t_s": [0.1, 0.2, 0.3, 0.1, 1.1],
                            "pid": [1, 1, 1, 2, 1],
                            "cpu_percent": [10.0, 20.0, 30.0, 50.0, 5.0]})
    summed = process_tree_sum(samples, "cpu_percent", 1.0)
    assert summed.to_dict() == {0.5: 70.0, 1.5: 5.0}

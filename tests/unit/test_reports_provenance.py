"""Run-level provenance shown by the report: network delay and the hosts' clock offsets."""

from __future__ import annotations

from reports.provenance import clock_facts, run_facts


def _meta(**extra: object) -> dict:
    return {"run_id": "r1", "profile": "smoke", "inventory": {"lab": True}, **extra}


def test_clock_offsets_are_shown_per_client_with_their_bound():
    meta = _meta(clock_offsets=[{"reference": "server", "hosts": {
        "client": {"offset_ms": -0.0021, "bound_ms": 0.0316, "samples": 64},
        "client2": {"error": "[Errno 111] Connection refused"}}}])
    assert clock_facts(meta) == [
        ("clock offset server - client", "-0.002 ms ± 0.032 ms (best of 64 round trips)"),
        ("clock offset server - client2", "not measured: [Errno 111] Connection refused")]


def test_each_attempt_of_a_resumed_run_is_labelled():
    entry = {"reference": "server", "hosts": {"client": {"offset_ms": 1.5, "bound_ms": 0.1,
                                                         "samples": 64}}}
    labels = [label for label, _ in clock_facts(_meta(clock_offsets=[entry, entry]))]
    assert labels == ["clock offset server - client (attempt 1)",
                      "clock offset server - client (attempt 2)"]


def test_old_or_broken_run_json_gives_no_clock_facts():
    assert clock_facts(_meta()) == []
    assert clock_facts(_meta(clock_offsets="garbage")) == []
    assert clock_facts(_meta(clock_offsets=[None, {"hosts": None}])) == []


def test_lab_netem_and_how_it_was_applied_are_facts():
    facts = dict(run_facts(_meta(network={
        "lab_netem": "delay 1ms 0.2ms",
        "lab_netem_applied": {"fwbench-server": "user delay 1ms 0.2ms"}})))
    assert facts["lab netem"] == "delay 1ms 0.2ms"
    assert facts["lab netem applied"] == "fwbench-server: user delay 1ms 0.2ms"
    assert dict(run_facts(_meta(network={"lab_netem": ""})))["lab netem"] == "none"
    assert "lab netem" not in dict(run_facts({"inventory": {"lab": False}, "network": {}}))

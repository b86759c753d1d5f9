"""Run-level provenance in the report: network delay and the hosts' clock offsets, as facts and
as findings."""

from __future__ import annotations

from reports.analysis.findings import run_setup_items
from reports.loading.provenance import clock_facts, hosts_table, run_facts


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


def _findings(meta: dict) -> list[tuple[str, str]]:
    return [(i["severity"], i["message"]) for i in run_setup_items(meta)]


def test_a_client_clock_far_off_the_server_is_a_warning_and_a_close_one_is_not():
    def offsets(ms: float, bound: float) -> dict:
        return {"hosts": {"client": {"offset_ms": ms, "bound_ms": bound, "samples": 64}}}

    assert _findings(_meta(clock_offsets=[offsets(0.01, 0.03), offsets(-2.1, 0.2)])) == []
    (finding,) = _findings(_meta(clock_offsets=[offsets(-7.25, 0.05)]))
    assert finding[0] == "warning" and "client is -7.2 ms off the server's" in finding[1]
    (missing,) = _findings(_meta(clock_offsets=[{"hosts": {"client": {"error": "refused"}}}]))
    assert missing == ("info", "clock offset of client to the server not measured: refused")


def test_a_user_space_lab_delay_is_noted():
    def network(how: str) -> dict:
        return _meta(network={"lab_netem": "delay 1ms",
                              "lab_netem_applied": {"fwbench-server": f"{how} delay 1ms"}})

    (finding,) = _findings(network("user"))
    assert finding[0] == "info" and "user space" in finding[1]
    assert _findings(network("kernel")) == []


def test_hosts_table_reads_what_host_facts_records():
    table = hosts_table({"hosts": {
        "server": {"cpu": "Xeon", "cores": 2, "memory_mb": 24105, "kernel": "6.18",
                   "os": "Debian 12", "python": "3.11.2", "cpu_governor": "performance",
                   "somaxconn": "4096", "virtualization": "container/guest"},
        "client": {"memory": 8 * 2**30}}})
    server = table.set_index("host").loc["server"]
    assert server["memory"] == "23.5 GiB" and server["cpu_governor"] == "performance"
    assert server["somaxconn"] == "4096" and server["virtualization"] == "container/guest"
    assert table.set_index("host").loc["client", "memory"] == "8.0 GiB"

"""The controller's cell runner without the lab: the run spec it accepts, the commands it sends
to a host, real local commands and tar fetches, and check mode (which touches nothing). The lab
end-to-end test runs it against real hosts over SSH."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from controller.errors import UsageError
from controller.remote import Host, Remote, command_line
from controller.run_cells import RESULT_PREFIX, run_cells
from controller.run_spec import RunSpec, offsets_ns
from runfiles.constants import SUMMARY_SCHEMA_VERSION
from runfiles.summary_json import write_json_atomic

REPO = Path(__file__).resolve().parents[2]


def spec(tmp_path: Path, **over: object) -> dict:
    cells = [{"name": f"v-s|hello|{r}", "variant": "v-s", "stack": "v", "server": "s",
              "scenario": "hello", "rep": r, "dir": f"v-s/hello/rep-{r}", "session": None,
              "session_first": False, "session_last": False} for r in (1, 2)]
    data = {"plan": {"run_id": "r1", "run_dir": str(tmp_path / "r1"), "root": str(REPO),
                     "server": "server", "clients": ["client"], "cells": cells,
                     "estimate_s": 20, "scale": 1.0, "seed": 1},
            "hosts": {"server": {"address": "198.18.0.10", "user": "root"},
                      "client": {"address": "198.18.0.11", "user": "root", "port": 2222,
                                 "key": "/k", "ssh_common_args": "-o LogLevel=ERROR"}},
            "script": "/opt/fwbench/fwbench-cell", "work_dir": "/var/tmp/fwbench",
            "server_url": "http://198.18.0.10:8000", "env": {"FWBENCH_ROOT": "/opt/fwbench"},
            "database": None, "health_timeout_s": 60, "cell_timeout_s": 1800,
            "start_delay_s": 3, "clock_offsets": {"hosts": {"client": {"offset_ns": 42}}}}
    data.update(over)
    return data


def test_the_spec_reads_hosts_offsets_and_settings(tmp_path):
    run = RunSpec.of(spec(tmp_path))
    assert run.all_hosts == ["server", "client"]
    assert run.hosts["client"] == Host("client", "ssh", "198.18.0.11", "root", 2222, "/k",
                                       ("-o", "LogLevel=ERROR"), False)
    assert run.clock_offsets_ns == {"client": 42}
    assert offsets_ns({"hosts": {"a": {"offset_ns": None}, "b": "odd"}}) == {"a": 0}


@pytest.mark.parametrize(("change", "says"), [
    ({"script": None}, None),
    ({"hosts": {"server": {}}}, "no connection for client"),
    ({"hosts": {"server": {"connection": "docker"}, "client": {}}}, "'docker' is not supported"),
    ({"health_timeout_s": "soon"}, "not valid"),
])
def test_a_bad_spec_is_one_usage_error(tmp_path, change, says):
    data = spec(tmp_path)
    data.update(change)
    if change.get("script", "") is None:
        del data["script"]
        says = "lacks script"
    with pytest.raises(UsageError, match=says):
        RunSpec.of(data)


def test_a_command_carries_its_environment_and_becomes_root_only_when_asked():
    line = command_line(["/x/fwbench-cell", "server-start"], {"B": "2 3", "A": "1"}, False)
    assert line == ["env", "A=1", "B=2 3", "/x/fwbench-cell", "server-start"]
    assert command_line(["id"], {}, True) == ["sudo", "-n", "--", "id"]


def test_ssh_reaches_the_host_as_the_inventory_says_over_one_master(tmp_path):
    remote = Remote(RunSpec.of(spec(tmp_path)).hosts, tmp_path / "ctl")
    argv = remote.argv("client", ["echo", "a b"], {"K": "v"})
    assert argv[0] == "ssh" and f"ControlPath={tmp_path}/ctl/%C" in argv
    assert argv[argv.index("-p") + 1] == "2222" and argv[argv.index("-i") + 1] == "/k"
    assert argv[argv.index("-l") + 1] == "root" and "LogLevel=ERROR" in argv
    assert argv[-3:] == ["198.18.0.11", "--", "env K=v echo 'a b'"]
    assert shlex.split(argv[-1]) == ["env", "K=v", "echo", "a b"]


def test_a_local_host_runs_commands_and_fetches_files_for_real(tmp_path):
    remote = Remote({"here": Host("here", connection="local")}, tmp_path)
    done = remote.run("here", ["sh", "-c", 'echo "$GREETING"; echo oops >&2; exit 3'],
                      {"GREETING": "hi there"})
    assert (done.rc, done.stdout, done.stderr) == (3, "hi there\n", "oops\n")
    slow = remote.run("here", ["sleep", "5"], timeout=0.3)
    assert slow.rc == -9 and "timed out" in slow.stderr
    source = tmp_path / "remote"
    source.mkdir()
    (source / "requests.csv").write_text("a,b\n1,2\n")
    (source / "summary.json").write_text("{}")
    (source / "other.txt").write_text("not asked for")
    got = remote.fetch("here", str(source), ["requests.csv", "summary.json"], tmp_path / "local")
    assert got.rc == 0, got.stderr
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == ["requests.csv",
                                                                      "summary.json"]
    assert (tmp_path / "local" / "requests.csv").read_text() == "a,b\n1,2\n"
    missing = remote.fetch("here", str(source), ["steps.csv"], tmp_path / "local2")
    assert missing.rc != 0 and "steps.csv" in missing.stderr


def test_check_mode_names_every_cell_and_touches_nothing(tmp_path):
    data = spec(tmp_path)
    done = tmp_path / "r1" / "cells" / "v-s" / "hello" / "rep-1"
    done.mkdir(parents=True)
    write_json_atomic(done / "summary.json", {
        "schema_version": SUMMARY_SCHEMA_VERSION, "scenario": "hello", "requests": 1,
        "errors": 0, "status": "ok", "warnings": []})
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    lines: list[str] = []
    # The hosts do not exist: check mode must not try to reach them.
    assert run_cells(RunSpec.of(data), check=True, out=lines.append) == 0
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    text = "\n".join(lines)
    assert "cell 1/2" in text and "finished before: skipped" in text
    assert "v-s|hello|2" in text and "would be measured" in text
    tally = json.loads(lines[-1].removeprefix(RESULT_PREFIX))
    assert tally["cells_measured"] == 0 and tally["cells_skipped"] == 1


def test_the_command_refuses_a_spec_that_is_not_json_in_one_line(tmp_path):
    bad = tmp_path / "spec.json"
    bad.write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "controller", "run-cells", "--spec", str(bad)],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1

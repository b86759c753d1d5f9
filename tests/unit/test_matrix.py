"""The variant matrix (roles/fwbench/defaults/main.yml) is whole: every command renders for every
version set, binds to the benchmark address, uses the parallelism setting where it says it does,
and runs only what that version set's lock file installs."""

from __future__ import annotations

import re
import string
from importlib import metadata
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MATRIX = yaml.safe_load((REPO / "roles/fwbench/defaults/main.yml").read_text(encoding="utf-8"))
APP_SERVER_VARS = yaml.safe_load((REPO / "roles/app_server/vars/main.yml").read_text(
    encoding="utf-8"))
SERVERS = MATRIX["fwbench_servers"]
VERSION_SETS = MATRIX["fwbench_version_sets"]
# What app_server passes to str.format besides the stack's entry points (wsgi, asgi).
FORMAT_KEYS = set(APP_SERVER_VARS["_app_server_format"]) | {"wsgi", "asgi"}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: str) -> set[str]:
    lines = (REPO / "requirements" / f"{lock}.txt").read_text(encoding="utf-8").splitlines()
    return {norm(line.split("==")[0]) for line in lines if line and not line.startswith("#")}


def test_every_version_set_fills_the_same_placeholders_and_app_server_passes_them():
    keys = [set(spec) - {"lock"} for spec in VERSION_SETS.values()]
    assert all(k == keys[0] for k in keys), keys
    for key in keys[0]:
        assert APP_SERVER_VARS["_app_server_format"][key] == (
            f"{{{{ fwbench_version_sets[app_server_versions].{key} }}}}")


@pytest.mark.parametrize("server", SERVERS)
def test_a_server_renders_for_every_version_set_and_binds_to_the_benchmark_address(server: str):
    spec = SERVERS[server]
    used = placeholders(spec["command"]) | placeholders(str(spec["worker_class"]))
    assert used <= FORMAT_KEYS, used - FORMAT_KEYS
    assert {"host", "port"} <= used
    assert "0.0.0.0" not in spec["command"] and "[::]" not in spec["command"]
    for name, values in VERSION_SETS.items():
        fields = {key: f"<{key}>" for key in FORMAT_KEYS} | values
        assert "{" not in spec["command"].format(**fields), name


@pytest.mark.parametrize("server", SERVERS)
def test_a_server_that_honours_parallelism_uses_the_setting(server: str):
    spec = SERVERS[server]
    used = placeholders(spec["command"])
    if spec["processes"] == "workers" or spec["honours_parallelism"]:
        assert "workers" in used
    if spec["threads"] == "threads":
        assert "threads" in used
    if not spec["honours_parallelism"]:
        assert not {"workers", "threads"} & used  # a setting it ignores is not pretended


def test_every_stack_runs_only_servers_that_speak_its_interface():
    for stack, spec in MATRIX["fwbench_stacks"].items():
        for server in spec["servers"]:
            assert SERVERS[server]["interface"] in spec, f"{stack}-{server}"


def _programs() -> dict[str, str]:
    """Console script -> its distribution, from this venv (it holds every server's package)."""
    return {ep.name: norm(dist.metadata["Name"]) for dist in metadata.distributions()
            for ep in dist.entry_points if ep.group == "console_scripts"}


@pytest.mark.parametrize("version_set", VERSION_SETS)
def test_every_version_set_installs_what_its_commands_run(version_set: str):
    values = VERSION_SETS[version_set]
    locked = pins(values["lock"])
    programs, modules = _programs(), metadata.packages_distributions()
    for server, spec in SERVERS.items():
        fields = {key: f"<{key}>" for key in FORMAT_KEYS} | values
        words = spec["command"].format(**fields).split()
        needed = {programs[w.removeprefix("<bin>/")] for w in words if w.startswith("<bin>/")}
        needed |= {norm(modules[words[i + 1]][0]) for i, w in enumerate(words[:-1])
                   if w == "-m" and words[i + 1] in modules}
        needed |= {norm(modules[w.partition(".")[0]][0]) for w in words
                   if re.fullmatch(r"[a-z_]+(\.[a-z_]+)*\.[A-Z]\w+", w)}  # a worker class
        assert needed, server
        assert needed <= locked, f"{version_set}: {server} needs {needed - locked}"

"""Filter fwbench.bench.connection: how the controller's cell runner reaches a host, from that
host's variables as Ansible reads them (controller/remote.py's ``Host.of`` reads the result)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KEYS = {"connection": "ansible_connection", "address": "ansible_host", "user": "ansible_user",
        "port": "ansible_port", "key": "ansible_ssh_private_key_file",
        "ssh_common_args": "ansible_ssh_common_args", "ssh_extra_args": "ansible_ssh_extra_args",
        "become": "ansible_become"}


def connection(hostvars: Mapping[str, Any]) -> dict[str, Any]:
    """The connection variables of one host (``hostvars[name]``); absent ones are None, the
    address defaults to the inventory name."""
    out = {key: hostvars.get(var) for key, var in KEYS.items()}
    out["address"] = out["address"] or hostvars.get("inventory_hostname")
    return out


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"connection": connection}

"""The run's hosts, from the inventory: the server, the clients, the database host, the lab.

``hosts_of`` checks the inventory for the run (one server, at least one client apart from it, a
database host of its own for PostgreSQL, an address for every host) and names the extra lab
client machines of ``-e lab_clients=N``, or raises ``UsageError`` with the preflight's one-line
message. The inventory is handed over as data (the role reads it from Ansible's ``groups`` and
``hostvars``)::

    {"groups": {"all": [...], "servers": [...], "clients": [...], "databases": [...],
                "lab": [...]},          # a group the inventory lacks is left out
     "ansible_host": {HOST: ADDRESS},   # the hosts that have one
     "bench_address": {HOST: ADDRESS}}  # fwbench_bench_address, the hosts that have one
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from controller.errors import UsageError
from controller.options import text

LAB_CLIENTS = re.compile(r"^[1-8]$")
LAB_CLIENT_NAME = re.compile(r"^client[0-9]+$")
LAB_NETWORK = "198.18.0."
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class Hosts:
    """The hosts of a run. ``lab_clients``: the machines the role adds to the groups lab and
    clients, ``{"name": "client2", "ansible_host": "198.18.0.12"}`` ...; ``lab_hosts``: the lab
    machines this run needs (the database's only when it uses one)."""

    server: str
    clients: list[str]
    database_hosts: list[str]
    database_address: str
    lab_hosts: list[str]
    lab_clients: list[dict[str, str]] = field(default_factory=list)


def extra_lab_clients(count: int) -> list[dict[str, str]]:
    """client2..N at 198.18.0.12 and up (the first client is the inventory's own)."""
    return [{"name": f"client{n}", "ansible_host": f"{LAB_NETWORK}{10 + n}"}
            for n in range(2, count + 1)]


def check_lab_clients(lab_clients: Any, groups: Mapping[str, list[str]],
                      addresses: Mapping[str, str]) -> int:
    """The number of lab client machines, checked: 1-8, more than 1 only in the lab, and their
    addresses taken by no other host of the inventory."""
    ok = LAB_CLIENTS.match(text(lab_clients))
    if not ok or (int(text(lab_clients)) > 1 and not groups.get("lab")):
        raise UsageError(
            f"lab_clients must be 1-8 and needs the lab inventory (got '{text(lab_clients)}'); "
            "on real hosts list every client host in the group 'clients' instead.")
    count = int(text(lab_clients))
    if count > 1:
        wanted = [machine["ansible_host"] for machine in extra_lab_clients(count)]
        taken = [addresses.get(host, "") for host in groups.get("all", [])
                 if not LAB_CLIENT_NAME.match(host)]
        taken = [address for address in taken if address in wanted]
        if taken:
            raise UsageError(
                f"lab_clients={text(lab_clients)} puts client2..{text(lab_clients)} at "
                f"{LAB_NETWORK}12-{10 + count}, but {', '.join(taken)} is taken by another host "
                "of the inventory; move that host (inventory/lab/hosts.yml).")
    return count


def with_new(group: Sequence[str], new: Sequence[str]) -> list[str]:
    """A group after the role adds hosts to it (a host already there stays where it is)."""
    return [*group, *(name for name in new if name not in group)]


def check_roles(servers: list[str], clients: list[str]) -> None:
    """Exactly one server and at least one client, none of them both."""
    if len(servers) != 1 or not clients or set(servers) & set(clients):
        raise UsageError(
            "The inventory needs exactly one host in group 'servers' and at least one other host "
            f"in group 'clients' (got servers={servers}, clients={clients}). "
            "See inventory/examples/.")


def check_database_host(databases: list[str], servers: list[str], clients: list[str]) -> None:
    """PostgreSQL: exactly one host in the group databases, neither server nor client."""
    if len(databases) != 1 or set(databases) & set(servers + clients):
        raise UsageError(
            "database=postgresql needs exactly one host in the inventory group 'databases', a "
            "host of its own (not in 'servers' or 'clients'); got "
            f"databases={databases}. Add the PostgreSQL host to the group 'databases' (see "
            "inventory/examples/hardware/hosts.yml).")


def hosts_of(inventory: Mapping[str, Any], lab_clients: Any, database: str) -> Hosts:
    """The run's hosts, the inventory checked for a run with ``lab_clients`` client machines in
    the lab and ``database`` (sqlite or postgresql)."""
    groups = inventory["groups"]
    addresses = {**inventory["ansible_host"]}
    count = check_lab_clients(lab_clients, groups, addresses)
    new = extra_lab_clients(count)
    new_names = [machine["name"] for machine in new]
    addresses.update({machine["name"]: machine["ansible_host"] for machine in new})
    servers = list(groups.get("servers", []))
    clients = with_new(groups.get("clients", []), new_names)
    check_roles(servers, clients)
    databases = list(groups.get("databases", []))
    database_hosts = databases if database == POSTGRESQL else []
    if database == POSTGRESQL:
        check_database_host(databases, servers, clients)
    for host in servers + clients + database_hosts:
        if host not in addresses:
            raise UsageError(f"Host {host} has no ansible_host in the inventory.")
    database_address = ""
    if database_hosts:
        database_address = inventory["bench_address"].get(
            database_hosts[0], addresses[database_hosts[0]])
    lab = with_new(groups.get("lab", []), new_names)
    unused = [host for host in databases if host not in database_hosts]
    return Hosts(server=servers[0], clients=clients, database_hosts=database_hosts,
                 database_address=database_address,
                 lab_hosts=[host for host in lab if host not in unused], lab_clients=new)

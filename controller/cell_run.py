"""One cell on the hosts: start the server, run the load from the client hosts, stop, fetch the
files and commit the summary that marks the cell finished; or, when a step fails, keep the
journals' tails and record the cell as failed. Every host command is one round trip
(controller/remote.py) to the host side of a cell (roles/bench_run/files/fwbench-cell).

Each step has the id controller/failure.py maps to a failed cell's reason.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controller import cellstate
from controller.cell_summary import write_failed_summary
from controller.failure import failure_reason
from controller.merge import MergeError, merge_cells
from controller.remote import Remote, Result
from controller.run_spec import RunSpec

PAPER1 = "paper1"
FIGURE_KEYS = ("status", "requests", "errors", "achieved_rps", "latency_ms", "warnings")
JOURNAL_LINES = "40"


class StepFailed(Exception):
    """A step of the cell failed: its id and its result (controller/failure.py reads both)."""

    def __init__(self, step: str, result: Mapping[str, Any]) -> None:
        super().__init__(f"{step}: {result.get('msg', '')} {result.get('stderr', '')}".strip())
        self.step = step
        self.result = dict(result)


@dataclass
class Session:
    """Procedure paper1: the session whose server is still running (None: none)."""

    live: int | None = None


@dataclass
class Cell:
    """One cell of the plan, with where its files go and the names of this attempt's units."""

    spec: dict[str, Any]
    local_dir: Path
    remote_dir: str
    tag: str
    health_status: int | None = None
    load_ended: float | None = None
    times: dict[str, float] = field(default_factory=dict)  # seconds per phase of the cell

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the time spent in the block to ``times[phase]``."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.times[phase] = self.times.get(phase, 0.0) + time.monotonic() - start

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def unit(self) -> str:
        return f"fwbench-{self.spec.get('unit_variant') or self.spec['variant']}.service"


def new_cell(run: RunSpec, spec: Mapping[str, Any]) -> Cell:
    return Cell(spec=dict(spec), local_dir=Path(run.plan["run_dir"]) / "cells" / spec["dir"],
                remote_dir=f"{run.work_dir}/{run.plan['run_id']}/{spec['dir']}",
                tag=str(time.time_ns()))


class CellRunner:
    """Runs the plan's cells one at a time on the run's hosts."""

    def __init__(self, run: RunSpec, remote: Remote) -> None:
        self.run = run
        self.remote = remote
        self.session = Session()
        self.paper1 = run.plan.get("procedure", "isolated") == PAPER1
        self.pg = run.plan.get("database") == "postgresql"

    # -- the environment and the host side -------------------------------------------------
    def env(self, cell: Cell) -> dict[str, str]:
        env = {**self.run.env, "FWBENCH_DIR": cell.remote_dir, "FWBENCH_TAG": cell.tag,
               "FWBENCH_UNIT": cell.unit}
        if self.run.database:
            env.update({"FWBENCH_DB_UNIT": self.run.database.unit,
                        "FWBENCH_DB_MONITOR_USER": self.run.database.monitor_user})
        return env

    def script(self, host: str, cell: Cell, step: str, *args: str,
               timeout: float | None = None) -> Result:
        """``fwbench-cell ARGS`` on ``host``; a non-zero exit fails the cell at ``step``."""
        result = self.remote.run(host, [self.run.script, *args], self.env(cell), timeout=timeout)
        if result.rc != 0:
            raise StepFailed(step, result.as_failure(
                f"fwbench-cell {args[0]} on {host} exited {result.rc}"))
        return result

    def joins_session(self, cell: Cell) -> bool:
        return self.paper1 and self.session.live is not None \
            and self.session.live == cell.spec.get("session")

    # -- the measurement -------------------------------------------------------------------
    def measure(self, cell: Cell, index: int, last_load_end: float | None) -> None:
        plan, server = self.run.plan, self.run.server
        joins = self.joins_session(cell)
        cell.spec["joins_session"] = joins
        if index > 0 and last_load_end is not None:  # the pause since the last load ended
            pause = float(plan.get("session_pause_s", 0) if joins else plan.get("pause_s", 0))
            with cell.timed("pause"):
                time.sleep(max(0.0, last_load_end + pause - time.monotonic()))
        with cell.timed("server-start"):
            if self.pg and self.run.database:
                self.script(self.run.database.host, cell, "database-check", "db-monitor-start")
            if joins:
                self.script(server, cell, "monitor-start", "monitor-start")
            else:
                self.script(server, cell, "server-start", "server-start")
        with cell.timed("health"):
            self.wait_healthy(cell)
        if self.paper1 and not joins:
            with cell.timed("settle"):
                time.sleep(float(plan.get("settle_s", 0)))
            self.session.live = cell.spec.get("session")
        with cell.timed("load"):
            self.load(cell, joins)
        keep = self.paper1 and not cell.spec.get("session_last")
        with cell.timed("stop"):
            self.script(server, cell, "server-stop", "monitor-stop" if keep else "stop-server")
            if self.pg and self.run.database:
                self.script(self.run.database.host, cell, "database-stop", "db-monitor-stop")
        if cell.spec.get("session_last"):
            self.session.live = None

    def wait_healthy(self, cell: Cell) -> None:
        client = self.run.clients[0]
        result = self.remote.run(client, [self.run.script, "health",
                                          f"{self.run.server_url}/healthz",
                                          str(self.run.health_timeout_s)], self.env(cell),
                                 timeout=self.run.health_timeout_s + 30)
        status = result.stdout.strip().splitlines()[-1:] or ["0"]
        cell.health_status = int(status[0]) if status[0].isdigit() else None
        if result.rc != 0:
            raise StepFailed("health", result.as_failure("the variant did not answer /healthz"))

    def labels(self, cell: Cell) -> dict[str, Any]:
        """The cell's labels in its summary.json (measured or failed alike)."""
        plan, spec = self.run.plan, cell.spec
        labels = {"variant": spec["variant"], "stack": spec["stack"], "server": spec["server"],
                  "rep": spec["rep"], "run_id": plan["run_id"]}
        if spec.get("round") is not None:
            labels.update({"round": spec["round"], "design": plan.get("design", "rounds")})
        return labels

    def client_args(self, cell: Cell, joins: bool) -> list[str]:
        plan, spec = self.run.plan, cell.spec
        labels = self.labels(cell)
        args = ["--scenario", str(spec["scenario"]), "--base-url", self.run.server_url,
                "--scale", str(plan["scale"]), "--seed", str(plan["seed"])]
        for key, value in labels.items():
            args += ["--label", f"{key}={value}"]
        if plan.get("add_warmup"):
            args.append("--add-warmup")
        if self.paper1:
            args += ["--label", "procedure=paper1",
                     "--label", f"session_start={str(not joins).lower()}"]
        if joins:
            args.append("--skip-warmup")
        if plan.get("min_measure_s"):
            args += ["--min-measure-s", str(plan["min_measure_s"])]
        if plan.get("warmup"):
            args += ["--warmup", str(plan["warmup"])]
        return args

    def load(self, cell: Cell, joins: bool) -> None:
        clients = self.run.clients
        args = self.client_args(cell, joins)
        start_at = time.time_ns() + int(self.run.start_delay_s * 1e9)
        for share, client in enumerate(clients):
            extra = []
            if len(clients) > 1:
                offset = self.run.clock_offsets_ns.get(client, 0)
                extra = ["--share", f"{share + 1}/{len(clients)}",
                         "--start-at", str(start_at - offset)]
            self.script(client, cell, "load-start", "client-start", *args, *extra)
        for client in clients:
            self.script(client, cell, "load-wait", "client-wait",
                        timeout=self.run.cell_timeout_s + 60)
        cell.load_ended = time.monotonic()

    # -- the files -------------------------------------------------------------------------
    def fetch(self, cell: Cell) -> dict[str, Any]:
        with cell.timed("fetch"):
            return self._fetch(cell)

    def _fetch(self, cell: Cell) -> dict[str, Any]:
        plan = self.run.plan
        server_files = ["monitor-server.csv"]
        if self.pg and not cell.spec.get("joins_session"):
            server_files.append("database.json")
        self.get(self.run.server, cell, server_files, cell.local_dir)
        if self.pg and self.run.database:
            self.get(self.run.database.host, cell, ["monitor-db.csv"], cell.local_dir)
        clients = self.run.clients
        if len(clients) == 1:
            files = ["monitor-client.csv", "requests.csv"]
            if cell.spec["scenario"] in plan.get("capacity_scenarios", []):
                files.append("steps.csv")
            self.get(clients[0], cell, [*files, "summary.json"], cell.local_dir,
                     rename={"summary.json": cellstate.PART})
            try:
                return cellstate.commit(cell.local_dir)
            except ValueError as exc:
                raise StepFailed("commit", {"msg": str(exc)}) from None
        for client in clients:
            self.get(client, cell, ["monitor-client.csv", "requests.csv", "summary.json"],
                     cell.local_dir / "shares" / client)
        try:
            return merge_cells([cell.local_dir / "shares" / c for c in clients], cell.local_dir)
        except (MergeError, ValueError) as exc:
            raise StepFailed("merge", {"msg": str(exc)}) from None

    def get(self, host: str, cell: Cell, files: list[str], into: Path,
            rename: Mapping[str, str] | None = None) -> None:
        result = self.remote.fetch(host, cell.remote_dir, files, into, timeout=600)
        if result.rc != 0:
            raise StepFailed("fetch", result.as_failure(f"fetching from {host} failed"))
        for old, new in (rename or {}).items():
            os.replace(into / old, into / new)

    # -- failure and cleanup ---------------------------------------------------------------
    def record_failure(self, cell: Cell, failed: StepFailed) -> dict[str, Any]:
        """Keep the journals' tails, write the failed summary; the run goes on."""
        self.session.live = None
        cell.local_dir.mkdir(parents=True, exist_ok=True)
        journal = self.remote.run(self.run.server, ["journalctl", "--unit", cell.unit, "--lines",
                                                    JOURNAL_LINES, "--no-pager", "--output", "cat"],
                                  timeout=60)
        (cell.local_dir / "journal-tail.txt").write_text(journal.stdout + "\n")
        if self.pg and self.run.database:
            db = self.remote.run(self.run.database.host,
                                 ["journalctl", "--unit", self.run.database.unit, "--lines",
                                  JOURNAL_LINES, "--no-pager", "--output", "cat"], timeout=60)
            (cell.local_dir / "journal-db-tail.txt").write_text((db.stdout or db.stderr) + "\n")
        spec, labels = cell.spec, self.labels(cell)
        reason = failure_reason(failed.step, failed.result, cell.health_status,
                                self.run.health_timeout_s)
        return write_failed_summary(cell.local_dir, labels, str(spec["scenario"]), reason,
                                    failed.step)

    def cleanup(self, cell: Cell) -> None:
        """Stop whatever of the cell still runs (a paper1 session's server runs on) and clear
        the cell's folder on every host."""
        keep = self.session.live is not None and self.session.live == cell.spec.get("session")
        action = "stop-transients" if keep else "stop-all"
        with cell.timed("cleanup"):
            for host in self.run.all_hosts:
                self.remote.run(host, ["sh", "-c", f'"$0" {action}; rm -rf "$FWBENCH_DIR"',
                                       self.run.script], self.env(cell), timeout=120)

    def end_session(self, cell: Cell) -> None:
        """A session whose last cells were finished before (resume): stop its server."""
        if cell.spec.get("session_last") and self.session.live == cell.spec.get("session") \
                and self.session.live is not None:
            self.remote.run(self.run.server, [self.run.script, "stop-all"], self.env(cell),
                            timeout=120)
        if cell.spec.get("session_last"):
            self.session.live = None


def figures(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The figures shown after a cell."""
    return {k: summary[k] for k in FIGURE_KEYS if k in summary}


def measured_s(summary: Mapping[str, Any]) -> float:
    """Seconds the cell's load measured: ``measured_s``, else its measured phase's span."""
    if isinstance(summary.get("measured_s"), (int, float)):
        return float(summary["measured_s"])
    start, end = summary.get("started_ns"), summary.get("ended_ns")
    if isinstance(start, int) and isinstance(end, int) and end > start:
        return (end - start) / 1e9
    return 0.0

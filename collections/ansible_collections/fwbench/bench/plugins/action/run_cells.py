"""Action plugin fwbench.bench.run_cells: the run's cell loop, which lives in the controller
(``python -m controller run-cells``), run from the play with its lines shown as they come.

Arguments: ``spec`` (the run spec, controller/run_spec.py), ``python`` (the controller's
interpreter), ``chdir`` (the project root) and ``check`` (say what would run, touch nothing).
The result has ``rc`` and ``tally`` (the attempt's cells and measuring time); a non-zero exit
fails the task with the runner's last lines.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import tempfile
from collections import deque
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()
PREFIX = "fwbench-run-cells: "
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """The runner gets SIGTERM (and stops its cell's units) if this worker dies first."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no parent-death signal
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("spec", "python", "chdir", "check"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = self._task.args
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="fwbench-spec-",
                                         delete=False) as handle:
            json.dump(args["spec"], handle)
        argv = [str(args["python"]), "-m", "controller", "run-cells", "--spec", handle.name]
        if args.get("check"):
            argv.append("--check")
        plan = args["spec"].get("plan", {})
        display.display(f"run-cells: {len(plan.get('cells', []))} cell(s) of run "
                        f"{plan.get('run_id')}, each line as it comes"
                        + (" (check mode: nothing runs)" if args.get("check") else ""))
        tail: deque[str] = deque(maxlen=40)
        tally: dict[str, Any] = {}
        try:
            with subprocess.Popen(argv, cwd=str(args["chdir"]), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                  preexec_fn=_die_with_parent) as proc:
                assert proc.stdout is not None
                for line in proc.stdout:
                    line = line.rstrip("\n")
                    if line.startswith(PREFIX):
                        tally = json.loads(line[len(PREFIX):])
                        continue
                    tail.append(line)
                    display.display(line)
                rc = proc.wait()
        finally:
            os.unlink(handle.name)
        result.update(rc=rc, tally=tally, changed=not args.get("check") and rc == 0)
        if rc != 0:
            result.update(failed=True, msg=f"python -m controller run-cells exited {rc}: "
                                           + " / ".join(list(tail)[-8:]))
        return result

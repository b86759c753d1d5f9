#!/usr/bin/python
"""Documentation of the action plugin fwbench.bench.run_cells (it runs on the controller only)."""

DOCUMENTATION = r"""
module: run_cells
short_description: Run fwbench's cells from the controller, showing each line as it comes
description:
  - Runs C(python -m controller run-cells) in the project with the run spec and streams its lines.
  - An action plugin; nothing runs on a managed host through Ansible's module transport.
options:
  spec:
    description:
      - The run spec (controller/run_spec.py).
      - The plan, the hosts' connections, the cells' environment.
    type: dict
    required: true
  python:
    description: The controller's Python interpreter (the project's venv).
    type: str
    required: true
  chdir:
    description: The project root.
    type: str
    required: true
  check:
    description: Say what would run and touch nothing.
    type: bool
    default: false
author: fwbench
"""

RETURN = r"""
rc:
  description: The runner's exit status (130 interrupted).
  type: int
  returned: always
tally:
  description: The attempt's cells measured, skipped and failed, its wall time and measuring time.
  type: dict
  returned: always
"""

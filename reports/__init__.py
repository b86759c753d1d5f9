"""fwbench report generator: tables, figures and the HTML report of a results folder.

Entry point: ``python -m reports build RUN_DIR`` (see ``reports.cli``).
"""

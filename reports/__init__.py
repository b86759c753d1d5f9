"""fwbench report generator: tables, figures and the HTML report of a results folder.

Entry point: ``python -m reports build RUN_DIR`` (see ``reports.cli``); ``reports.build`` is the
pipeline. Its layers import downward only: ``loading`` (a run folder read) <- ``analysis`` (every
number the report shows) <- ``rendering`` (every file and text written); ``synthetic`` writes run
folders with known answers. ``reports.constants`` holds the constants every layer shares.
"""

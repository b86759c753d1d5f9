"""fwbench's controller: the run's decisions, made in Python on the controller host only.

Ansible reaches the hosts, starts and stops units and fetches files; it asks this package what to
do (``python -m controller plan``) and hands it the files to keep (``cell-state``, ``cell-commit``,
``merge``, ``failed-cell``, ``run-info``, ``progress``). It imports runfiles/ (the model of every
file a run writes) and never client/ or reports/.
"""

"""The model of every file a run writes: its names, columns, schemas, builders and validation.

The writer (client/ on the client hosts, controller/ on the controller) and the reader (reports/)
import it; it imports none of them. roles/python_env ships it to the hosts beside client/.

* ``columns``: the columns of requests.csv, steps.csv and the monitors' CSVs, in order.
* ``constants``: what writer and reader share besides columns (the timeout error class, the
  percentiles and their definition, summary.json's schema version).
* ``requests_csv``: requests.csv, its unbuffered row sink, its reader and its whole-file writer.
* ``steps_csv``: a capacity cell's steps.csv.
* ``run_result``: a run's raw figures (``RunResult``), rebuilt from requests.csv rows.
* ``stats``: percentiles and latency statistics over samples.
* ``validity``: the validity thresholds and rules (warnings, a cell's status, capacity verdicts).
* ``figures``: the figures of a run that go into its summary.json (rates, latency, warnings).
* ``summary_json``: summary.json's schema, its one builder, its validation, the atomic writer.
* ``share_id``: the ``share`` key of a shared cell's summary.json (``I/K``).
* ``run_json``: run.json's keys, its text (as the run has always written it), reader and writer.
* ``progress_json``: progress.json's keys and writer.
* ``atomic``: the atomic writer of every file that marks progress (temporary name, fsync, rename).
"""

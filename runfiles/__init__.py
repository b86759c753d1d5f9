"""The model of every file a run writes: its names, columns, schemas, builders and validation.

The writer (client/ on the client hosts, controller/ on the controller) and the reader (reports/)
import it; it imports none of them. roles/python_env ships it to the hosts beside client/.
"""

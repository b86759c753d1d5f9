"""Synthetic run folders with known answers, for the tests and ``python -m reports demo``."""

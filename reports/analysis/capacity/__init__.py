"""Capacity analysis: what the capacity cells measured, per cell and per variant x scenario."""

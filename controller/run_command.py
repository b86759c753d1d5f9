"""Subcommands of ``python -m controller`` (filled in as the run's logic moves here)."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the controller's parser."""

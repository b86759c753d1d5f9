"""The controller's one error type for bad input."""


class UsageError(Exception):
    """A bad option, inventory or run folder: exit 2 with this one line, nothing written."""

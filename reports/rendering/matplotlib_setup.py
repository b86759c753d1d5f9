"""The one place that sets matplotlib up: the Agg backend (PNG files, no display), chosen before
pyplot is first imported. Every renderer that draws takes ``plt`` from here."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plt"]

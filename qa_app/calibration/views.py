"""Calibration pages. The session pages live here; results_views.py holds the figures'
pages and is imported below so that registering `bp` registers every route."""

from __future__ import annotations

from qa_app.calibration import results_views  # noqa: F401  (its routes join bp)
from qa_app.calibration.blueprint import bp

__all__ = ["bp"]

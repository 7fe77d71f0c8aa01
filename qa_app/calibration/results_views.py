"""The pages of calibration's figures (a session's results, agreement, drift)."""

from __future__ import annotations

from qa_app.calibration.blueprint import bp  # noqa: F401  (routes are added to bp here)

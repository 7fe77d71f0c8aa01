"""The `calibration` blueprint: calibration sessions (views.py: list, new, scoring, close,
promote) and their figures (results_views.py: a session's results, agreement over
sessions, evaluator drift)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calibration", __name__, url_prefix="/calibration")

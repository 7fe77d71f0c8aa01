"""The `evaluations` blueprint: evaluations. Its routes are in views.py and sample_views.py
(views.py imports it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

"""The `feedback` blueprint: an agent's released evaluations. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

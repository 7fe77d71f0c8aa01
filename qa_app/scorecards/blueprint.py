"""The `scorecards` blueprint: scorecards and their builder. Its routes are in views.py and
builder_views.py (views.py imports it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scorecards", __name__, url_prefix="/scorecards")
